// Helpers for the isolation tests (tests/test_hostile_isolation_*.cpp).
#ifndef SH_TESTS_TEST_ISOLATION_SUPPORT_H
#define SH_TESTS_TEST_ISOLATION_SUPPORT_H

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace sh_test {

// Children of this process running sh-plugin-runner (comm is cut to 15 bytes).
inline std::vector<pid_t> runner_children() {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(e->d_name) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const size_t close = stat.rfind(')');
    if (close == std::string::npos || stat.find("(sh-plugin-runn") == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == ::getpid() &&
        state != 'Z') {
      out.push_back(pid);
    }
  }
  ::closedir(d);
  return out;
}

}  // namespace sh_test

#endif
