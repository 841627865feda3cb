// [hostile][store] The disk filling up mid-run (a small tmpfs holds the state
// dir and the outputs): the run stops naming the store or the feed and "No
// space left on device" ("disk full writing minute ..." for the store), never
// LMDB's "Input/output error" for a short write; every committed minute is kept; once there is room again the same
// host resumes and finishes. Needs mount(2) (root, as CI runs); elsewhere the
// test says so and checks nothing.
#include <catch2/catch.hpp>

#include <sys/mount.h>

#include <string>

#include "test_run_decision_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;

namespace {

struct Tmpfs {
  fs::path dir;
  bool mounted = false;
  Tmpfs(const fs::path& d, const std::string& size) : dir(d) {
    fs::create_directories(dir);
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  bool resize(const std::string& size) {
    return ::mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

}  // namespace

TEST_CASE("a disk that fills mid-run stops it with a clear message and loses no committed minute",
          "[hostile][store]") {
  ScratchDir dir("hostile_disk_full");
  for (const std::string size : {"800k", "2000k", "3000k"}) {
    INFO("tmpfs of " << size);
    Tmpfs fs_(dir / ("mnt-" + size), size);
    if (!fs_.mounted) {
      WARN("mount(2) not permitted here: disk-full case not exercised");
      return;
    }
    DecisionConfig cfg = production_config(sample_providers_yaml());
    std::string text = cfg.text();
    const std::string mnt = fs_.dir.string();
    text.replace(text.find("state_dir: state"), 16, "state_dir: '" + mnt + "/state'");
    text.replace(text.find("output_dir: out"), 15, "output_dir: '" + mnt + "/out'");
    write_file(dir / "full.yaml", text);
    const HostRun r = run_host({"--config", "full.yaml"}, dir.path());
    INFO(r.err);
    CHECK(r.exit_code == 1);
    // The store or a feed, whichever write found the disk full, named.
    const size_t stop = r.err.find("run stopped: ");
    REQUIRE(stop != std::string::npos);
    const std::string line = r.err.substr(stop, r.err.find('\n', stop) - stop);
    CHECK_THAT(line, Contains(mnt));
    CHECK_THAT(line, Contains("No space left on device"));
    CHECK(r.err.find("Input/output error") == std::string::npos);
    // What was committed is there and opens.
    const BrokerRecords kept = read_broker_records(fs_.dir / "state");
    CHECK(kept.error.empty());
    // Room again: the same config runs to the end on the same store.
    REQUIRE(fs_.resize("64m"));
    const HostRun again = run_host({"--config", "full.yaml"}, dir.path());
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Contains("run summary"));
  }
}
