// [backup] `host backup` through the real binary (runbook 003, "Backup and
// Recovery"): a data backup taken while a production host runs restores to a
// store that resumes and ends with the book and feeds of an uninterrupted
// run; a corrupted backup fails verify and restore with the file named; a
// running host makes restore refuse; a restore killed at any moment leaves a
// store that opens; retention keeps N per type; a config backup brings the
// YAML back.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "test_run_decision_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

std::vector<std::string> backup_names(const fs::path& cwd, const std::string& config) {
  const HostRun r = run_host({"backup", "list", "--format", "json", "--config", config}, cwd);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> names;
  for (const auto& b : json::parse(r.out)) names.push_back(b["name"]);
  return names;
}

// The store's last committed minute, or a message when it does not open.
std::string store_state(const fs::path& state_dir) {
  const BrokerRecords b = read_broker_records(state_dir);
  if (!b.error.empty()) return "error: " + b.error;
  return std::to_string(b.account.value("last_minute_ts_ns", int64_t{0}));
}

}  // namespace

TEST_CASE("a data backup taken during a production session restores and resumes as if uninterrupted",
          "[backup][run][paper]") {
  ScratchDir data("backup_session_data");
  const DecisionConfig cfg = production_config(long_session_providers_yaml(data));

  ScratchDir ref("backup_session_ref");
  const HostRun rr = run_decision(ref, cfg);
  INFO(rr.err);
  REQUIRE(rr.exit_code == 0);

  ScratchDir dir("backup_session");
  write_file(dir / "host.yaml", cfg.text());
  const uintmax_t backup_at = size_of(ref / "out/trades.csv") / 3;
  std::string name;
  for (int attempt = 0; attempt < 3 && name.empty(); ++attempt) {
    fs::remove_all(dir / "state");
    fs::remove_all(dir / "out");
    fs::remove_all(dir / "backups");
    BackgroundHost h = start_host({"--config", "host.yaml"}, dir.path(), "host");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
    bool running = true;
    while (size_of(dir / "out/trades.csv") < backup_at && std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(h.pid, nullptr, WNOHANG) == h.pid) {
        h.pid = -1;
        running = false;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!running) continue;  // ended before the backup could be taken: again
    const HostRun b = run_host({"backup", "create", "--type", "data", "--config", "host.yaml"}, dir.path());
    INFO(b.err);
    REQUIRE(b.exit_code == 0);
    // A host that ended during the copy is reaped here (waiting for it again
    // would find no child): its exit status is checked the same way.
    int status = 0;
    const bool still_running = ::waitpid(h.pid, &status, WNOHANG) == 0;
    if (!still_running) {
      h.pid = -1;
      REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
      continue;  // the session ended during the copy: not a hot backup
    }
    REQUIRE(wait_host(h) == 0);
    CHECK_THAT(b.out, Contains("backup data-"));
    name = backup_names(dir.path(), "host.yaml").at(0);
  }
  REQUIRE_FALSE(name.empty());
  // The session ran to its end; the backup holds a part of it.
  const json summary_before = summary_json(dir / "out");
  CHECK(read_file(dir / "out/trades.csv") == read_file(ref / "out/trades.csv"));

  const HostRun v = run_host({"backup", "verify", name, "--config", "host.yaml"}, dir.path());
  INFO(v.err);
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Contains("every SHA-256 matches, the store opens"));
  const HostRun r = run_host({"backup", "restore", name, "--config", "host.yaml"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("restored state/data.mdb -> " + (dir / "state/data.mdb").string()));
  // Back to the backup's minute: fewer fills than the finished session.
  CHECK(size_of(dir / "out/trades.csv") < size_of(ref / "out/trades.csv"));

  // The same input again on the restored state: the host catches up on the
  // minutes the backup holds without deciding them again, then trades on.
  const HostRun again = run_host({"--config", "host.yaml"}, dir.path());
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  const json s = summary_json(dir / "out");
  CHECK(s["decision"]["orders_duplicate"] == 0);
  CHECK(s["decision"]["orders_accepted"].get<uint64_t>() > 0);
  CHECK(read_file(dir / "out/trades.csv") == read_file(ref / "out/trades.csv"));
  CHECK(read_file(dir / "out/decisions.jsonl") == read_file(ref / "out/decisions.jsonl"));
  const BrokerRecords book = read_broker_records(dir / "state");
  const BrokerRecords ref_book = read_broker_records(ref / "state");
  REQUIRE(book.error.empty());
  CHECK(book.account == ref_book.account);
  CHECK(book.orders.size() == ref_book.orders.size());
  CHECK(summary_before["decision"]["orders_duplicate"] == 0);
}

TEST_CASE("a corrupted backup fails verify and restore, naming the file, and the state is untouched",
          "[backup]") {
  ScratchDir dir("backup_corrupt");
  write_file(dir / "host.yaml", DecisionConfig().text());
  REQUIRE(run_host({"--config", "host.yaml"}, dir.path()).exit_code == 0);
  const HostRun c = run_host({"backup", "create", "--config", "host.yaml"}, dir.path());
  REQUIRE(c.exit_code == 0);
  const std::string name = backup_names(dir.path(), "host.yaml").at(0);
  const fs::path mdb = dir / "backups" / name / "state/data.mdb";
  {
    std::fstream f(mdb, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(mdb) / 2));
    f.put('\x5a');
  }
  const std::string before = store_state(dir / "state");
  const HostRun v = run_host({"backup", "verify", name, "--config", "host.yaml"}, dir.path());
  CHECK(v.exit_code == 1);
  CHECK_THAT(v.err, Contains("verify failed: backup " + name + ": state/data.mdb: SHA-256 "));
  CHECK_THAT(v.err, Contains("the manifest says"));
  const HostRun r = run_host({"backup", "restore", name, "--config", "host.yaml"}, dir.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("restore failed: backup " + name + ": state/data.mdb: SHA-256 "));
  CHECK(store_state(dir / "state") == before);
  // A truncated feed is named the same way.
  const HostRun c2 = run_host({"backup", "create", "--config", "host.yaml"}, dir.path());
  REQUIRE(c2.exit_code == 0);
  const std::string second = backup_names(dir.path(), "host.yaml").at(1);
  fs::resize_file(dir / "backups" / second / "out/trades.csv", 10);
  const HostRun v2 = run_host({"backup", "verify", second, "--config", "host.yaml"}, dir.path());
  CHECK(v2.exit_code == 1);
  CHECK_THAT(v2.err, Contains("out/trades.csv: 10 bytes, the manifest says"));
  // The list says which backups were verified.
  const HostRun l = run_host({"backup", "list", "--config", "host.yaml"}, dir.path());
  CHECK_THAT(l.out, Contains(name));
  CHECK(l.out.find("no\n") != std::string::npos);
}

TEST_CASE("restore refuses while a host runs on the state dir", "[backup]") {
  ScratchDir data("backup_refuse_data");
  ScratchDir dir("backup_refuse");
  write_file(dir / "host.yaml", production_config(long_session_providers_yaml(data)).text());
  REQUIRE(run_host({"--config", "host.yaml"}, dir.path()).exit_code == 0);
  REQUIRE(run_host({"backup", "create", "--config", "host.yaml"}, dir.path()).exit_code == 0);
  const std::string name = backup_names(dir.path(), "host.yaml").at(0);
  fs::remove_all(dir / "state");
  fs::remove_all(dir / "out");
  BackgroundHost h = start_host({"--config", "host.yaml"}, dir.path(), "host");
  bool checked = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!checked && std::chrono::steady_clock::now() < deadline) {
    if (read_file(dir / "state/host.lock").find("pid " + std::to_string(h.pid)) == 0) {
      const HostRun r = run_host({"backup", "restore", name, "--config", "host.yaml"}, dir.path());
      if (::waitpid(h.pid, nullptr, WNOHANG) != 0) break;  // it ended meanwhile: inconclusive
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.err, Contains("restore refused: a host is running on " + (dir / "state").string() +
                                 " (pid " + std::to_string(h.pid) + " since "));
      checked = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(h.pid, SIGKILL);
  wait_host(h);
  CHECK(checked);
}

TEST_CASE("a restore killed at any moment leaves a store that opens", "[backup]") {
  ScratchDir data("backup_kill_data");
  ScratchDir dir("backup_kill");
  // Session 1, backed up; session 2 (the same market 6 h later) moves the
  // store on, so that old and restored states differ.
  write_file(dir / "host.yaml", production_config(shifted_sample_providers_yaml(data / "s1", 0)).text());
  REQUIRE(run_host({"--config", "host.yaml"}, dir.path()).exit_code == 0);
  REQUIRE(run_host({"backup", "create", "--config", "host.yaml"}, dir.path()).exit_code == 0);
  const std::string name = backup_names(dir.path(), "host.yaml").at(0);
  const std::string backed_up = store_state(dir / "state");
  REQUIRE(backed_up.rfind("error", 0) != 0);
  write_file(dir / "host.yaml",
             production_config(shifted_sample_providers_yaml(data / "s2", kSessionNs)).text());
  REQUIRE(run_host({"--config", "host.yaml"}, dir.path()).exit_code == 0);
  const std::string later = store_state(dir / "state");
  REQUIRE(later != backed_up);
  REQUIRE(later.rfind("error", 0) != 0);

  int restored = 0, untouched = 0;
  for (int delay_us : {0, 300, 1000, 2000, 3000, 5000, 8000, 12000, 20000, 40000}) {
    INFO("killed after " << delay_us << " us");
    BackgroundHost h = start_host({"backup", "restore", name, "--config", "host.yaml"}, dir.path(), "restore");
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    ::kill(h.pid, SIGKILL);
    wait_host(h);
    const std::string now = store_state(dir / "state");
    CHECK((now == backed_up || now == later));  // never a store that does not open
    restored += now == backed_up;
    untouched += now == later;
    if (now == backed_up) {
      // Move the store on again for the next try.
      REQUIRE(run_host({"--config", "host.yaml"}, dir.path()).exit_code == 0);
      REQUIRE(store_state(dir / "state") == later);
    }
  }
  INFO("restored " << restored << ", untouched " << untouched);
  // And a restore that runs to its end.
  const HostRun r = run_host({"backup", "restore", name, "--config", "host.yaml"}, dir.path());
  CHECK(r.exit_code == 0);
  CHECK(store_state(dir / "state") == backed_up);
}

TEST_CASE("retention keeps the newest N of a type, and a config backup restores the YAML", "[backup]") {
  ScratchDir dir("backup_retention");
  write_file(dir / "host.yaml", DecisionConfig().text() + "backup: {keep: {data: 2}}\n");
  REQUIRE(run_host({"--config", "host.yaml"}, dir.path()).exit_code == 0);
  for (int i = 0; i < 3; ++i) {
    const HostRun c = run_host({"backup", "create", "--config", "host.yaml"}, dir.path());
    REQUIRE(c.exit_code == 0);
    if (i == 2) CHECK_THAT(c.out, Contains("removed data-"));
  }
  const HostRun cfg = run_host({"backup", "create", "--type", "config", "--config", "host.yaml"}, dir.path());
  REQUIRE(cfg.exit_code == 0);
  const std::vector<std::string> names = backup_names(dir.path(), "host.yaml");
  REQUIRE(names.size() == 3);  // two data, one config
  const std::string original = read_file(dir / "host.yaml");
  write_file(dir / "host.yaml", original + "# edited after the backup\n");
  const std::string config_backup = names.back();
  REQUIRE(config_backup.rfind("config-", 0) == 0);
  const HostRun dry = run_host({"backup", "restore", config_backup, "--components", "config", "--dry-run",
                                "--config", "host.yaml"}, dir.path());
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out, Contains("would restore config/host.yaml -> " + (dir / "host.yaml").string()));
  CHECK(read_file(dir / "host.yaml") != original);
  const HostRun r = run_host({"backup", "restore", config_backup, "--components", "config", "--config",
                              "host.yaml"}, dir.path());
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(read_file(dir / "host.yaml") == original);
  // A config backup holds no data.
  const HostRun wrong = run_host({"backup", "restore", config_backup, "--components", "data", "--config",
                                  "host.yaml"}, dir.path());
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.err, Contains("is a config backup: it holds no data to restore"));
}
