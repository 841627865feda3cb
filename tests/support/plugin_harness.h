// plugin_harness.h: the in-tree tests' and benchmarks' name for the installed
// harness, strategy_host/testing.hpp (one copy: the SDK's). It loads a real
// plugin .so the way the host does (dlopen, RTLD_NOW | RTLD_LOCAL, the host's
// descriptor checks), hands it a minimal host services table, creates an
// instance from a JSON config and drives it through the C ABI.
//
//   sh_test::PluginLibrary lib(sh_test::plugin_path("replay"));
//   sh_test::HarnessHost host;
//   sh_test::PluginInstance inst(lib, host, {{"files", ...}});
//   REQUIRE(inst.ok());               // else inst.last_error()
//   auto events = inst.drain_events();
#ifndef SH_TESTS_SUPPORT_PLUGIN_HARNESS_H
#define SH_TESTS_SUPPORT_PLUGIN_HARNESS_H

#include <strategy_host/testing.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <unistd.h>

namespace sh_test {

using sh::testing::CollectedHit;
using sh::testing::HarnessHost;
using sh::testing::PluginInstance;
using sh::testing::PluginLibrary;

// A fresh directory under the system temp dir, removed with its contents on
// destruction. For tests that need generated input files.
class TempDir {
 public:
  TempDir() {
    static int seq = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("sh_test_" + std::to_string(::getpid()) + "_" + std::to_string(seq++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes content to name inside the directory; returns the file's path.
  std::string write(const std::string& name, const std::string& content) const {
    const std::filesystem::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

// Path of a plugin built into SH_PLUGIN_DIR (lib<name>.so).
inline std::string plugin_path(const std::string& name) {
#ifdef SH_PLUGIN_DIR
  return std::string(SH_PLUGIN_DIR) + "/lib" + name + ".so";
#else
  return "lib" + name + ".so";
#endif
}

}  // namespace sh_test

#endif  // SH_TESTS_SUPPORT_PLUGIN_HARNESS_H
