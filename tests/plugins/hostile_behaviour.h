// Shared by the hostile test plugins (tests/test_hostile_isolation.cpp): on a
// chosen call, misbehave the way a broken plugin does.
//   misbehave: none | segv | exit | _exit | hang | throw
//   on_call:   1-based call to misbehave on (0 = never)
//   every:     also on every later multiple of on_call
//   once_marker: a file path; when set, misbehave only if it does not exist
//                (it is created first), so a restarted child behaves
#ifndef SH_TESTS_PLUGINS_HOSTILE_BEHAVIOUR_H
#define SH_TESTS_PLUGINS_HOSTILE_BEHAVIOUR_H

#include <strategy_host/plugin.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace hostile {

// The schema properties every hostile plugin takes (a literal, to concatenate).
#define HOSTILE_SCHEMA_PROPERTIES                                                              \
  R"("misbehave": {"type": "string", "enum": ["none", "segv", "exit", "_exit", "hang", "throw"]},)" \
  R"("on_call": {"type": "integer", "minimum": 0}, "every": {"type": "boolean"},)"             \
  R"("once_marker": {"type": "string"})"

class Behaviour {
 public:
  explicit Behaviour(const sh::Json& config)
      : misbehave_(config.value("misbehave", std::string("none"))),
        on_call_(config.value("on_call", int64_t{0})),
        every_(config.value("every", false)),
        marker_(config.value("once_marker", std::string())) {}

  // Called at the start of every batch call.
  void on_call() {
    const int64_t n = ++calls_;
    if (on_call_ <= 0 || misbehave_ == "none") return;
    if (every_ ? (n % on_call_ != 0) : (n != on_call_)) return;
    if (!marker_.empty()) {
      if (std::ifstream(marker_).good()) return;
      std::ofstream(marker_) << "misbehaved\n";
    }
    if (misbehave_ == "segv") {
      volatile int* p = nullptr;
      *p = 1;
    } else if (misbehave_ == "exit") {
      std::exit(0);
    } else if (misbehave_ == "_exit") {
      ::_exit(0);
    } else if (misbehave_ == "hang") {
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    } else if (misbehave_ == "throw") {
      throw std::runtime_error("hostile plugin throws on call " + std::to_string(n));
    }
  }
  int64_t calls() const { return calls_; }

 private:
  std::string misbehave_;
  int64_t on_call_;
  bool every_;
  std::string marker_;
  int64_t calls_ = 0;
};

}  // namespace hostile

#endif
