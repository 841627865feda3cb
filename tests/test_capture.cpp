// [capture] The binary event capture through the real binary (issue 17):
// `host capture convert` over the sample session's CSVs, one provider or
// two merged, and the `capture` provider replaying it with the same digest,
// decisions and trades; a truncated, incomplete or foreign file refused
// before the run starts, naming the file and the field; a damaged record
// stopping the provider with its index.
#include <catch2/catch.hpp>

#include <cstring>
#include <nlohmann/json.hpp>

#include "test_run_decision_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;

namespace {

DecisionConfig sample_decisions(const std::string& providers) {
  DecisionConfig cfg;
  cfg.providers = providers;
  cfg.add_risk("confidence_gate", "confidence_gate", "{min_confidence: 0.1}");
  cfg.add_risk("confidence_sizing", "confidence_sizing", "{}");
  cfg.add_risk("notional_cap", "notional_cap", "{max_notional_usd: 50000}");
  return cfg;
}

std::string capture_providers(const fs::path& file) {
  return "providers:\n  - name: session\n    plugin: capture\n    config: {file: '" + file.string() + "'}\n";
}

// The sample session as two providers: trades alone, quotes and L2 together.
std::string two_sample_providers() {
  const std::string dir = std::string(SH_SOURCE_DIR) + "/data/sample";
  return "providers:\n"
         "  - name: tape\n    plugin: replay\n    config:\n      files:\n"
         "        - {path: '" + dir + "/trades.csv', type: trades}\n"
         "  - name: book\n    plugin: replay\n    config:\n      files:\n"
         "        - {path: '" + dir + "/quotes.csv', type: quotes}\n"
         "        - {path: '" + dir + "/l2.csv', type: l2}\n";
}

HostRun convert(const ScratchDir& dir, const fs::path& to) {
  return run_host({"capture", "convert", "--config", (dir / "host.yaml").string(), "--to", to.string()}, dir.path());
}

void patch(const fs::path& file, size_t offset, const void* bytes, size_t n) {
  std::string data = read_file(file);
  REQUIRE(offset + n <= data.size());
  std::memcpy(&data[offset], bytes, n);
  write_file(file, data);
}

}  // namespace

TEST_CASE("a capture of the sample session replays with the same digest, decisions and trades", "[capture][run]") {
  const std::string providers = GENERATE(sample_providers_yaml(), two_sample_providers());
  ScratchDir csv("capture_csv");
  const HostRun a = run_decision(csv, sample_decisions(providers));
  INFO(a.err);
  REQUIRE(a.exit_code == 0);

  const fs::path file = csv / "session.shcap";
  const HostRun c = convert(csv, file);
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  CHECK_THAT(c.out, Contains("4 symbols"));
  const HostRun info = run_host({"capture", "info", file.string(), "--format", "json"}, csv.path());
  REQUIRE(info.exit_code == 0);
  const nlohmann::json header = nlohmann::json::parse(info.out);
  CHECK(header["symbols"] == 4);
  CHECK(header["clock"] == false);  // file replays: no receive clock
  CHECK(header["bytes"] == 64 + 72 * header["records"].get<uint64_t>() + 4 * 2 + std::string("BTCETHSOLDOGE").size());
  const nlohmann::json csv_summary = summary_json(csv / "out");
  CHECK(header["records"] == csv_summary["events_in"]);

  ScratchDir cap("capture_replay");
  const HostRun b = run_decision(cap, sample_decisions(capture_providers(file)));
  INFO(b.err);
  REQUIRE(b.exit_code == 0);
  const nlohmann::json cap_summary = summary_json(cap / "out");
  CHECK(cap_summary["digest"] == csv_summary["digest"]);
  CHECK(cap_summary["minutes_closed"] == csv_summary["minutes_closed"]);
  CHECK(read_file(cap / "out/decisions.jsonl") == read_file(csv / "out/decisions.jsonl"));
  CHECK(read_file(cap / "out/trades.csv") == read_file(csv / "out/trades.csv"));
  CHECK(!read_trades(cap / "out").empty());

  // Converting again refuses to overwrite, unless told.
  CHECK(convert(csv, file).exit_code == 1);
  CHECK(run_host({"capture", "convert", "--config", (csv / "host.yaml").string(), "--to", file.string(), "--force"},
                 csv.path())
            .exit_code == 0);
}

TEST_CASE("a truncated, incomplete or foreign capture is refused before the run, naming the file and the field",
          "[capture][run]") {
  ScratchDir dir("capture_bad");
  write_file(dir / "host.yaml", sample_decisions(sample_providers_yaml()).text());
  const fs::path good = dir / "good.shcap";
  REQUIRE(convert(dir, good).exit_code == 0);
  const std::string bytes = read_file(good);
  const fs::path bad = dir / "bad.shcap";

  auto refused = [&](const std::string& why) {
    ScratchDir run("capture_bad_run");
    const HostRun r = run_decision(run, sample_decisions(capture_providers(bad)));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("capture file " + bad.string() + ": " + why));
    CHECK(!fs::exists(run / "out/decisions.jsonl"));
  };
  SECTION("truncated in the middle of the events") {
    write_file(bad, bytes.substr(0, bytes.size() / 2));
    refused("record_count");
    const HostRun i = run_host({"capture", "info", bad.string()}, dir.path());
    CHECK(i.exit_code == 1);
    CHECK_THAT(i.err, Contains(bad.string() + ": record_count"));
  }
  SECTION("a conversion that did not finish") {
    write_file(bad, bytes);
    const uint32_t zero = 0;
    patch(bad, 44, &zero, sizeof zero);  // sh_capture_header.flags
    refused("incomplete (flags without COMPLETE)");
  }
  SECTION("not a capture at all") {
    write_file(bad, read_file(fs::path(SH_SOURCE_DIR) / "data/sample/trades.csv"));
    refused("not a capture (magic");
  }
  SECTION("another version of the format") {
    write_file(bad, bytes);
    const uint32_t v2 = 2;
    patch(bad, 8, &v2, sizeof v2);  // sh_capture_header.version
    refused("version 2 (this plugin reads version 1)");
  }
  SECTION("a damaged record: the records before it run, then the provider stops naming it") {
    write_file(bad, bytes);
    const uint32_t sym = 9999;
    patch(bad, 64 + 72 * 5 + 16, &sym, sizeof sym);  // record 5's symbol
    ScratchDir run("capture_bad_record");
    const HostRun r = run_decision(run, sample_decisions(capture_providers(bad)));
    INFO(r.out << r.err);
    CHECK_THAT(r.err, Contains("provider 'session' failed"));
    CHECK_THAT(r.err, Contains("capture file " + bad.string() + ": record 5: symbol 9999 is outside the table of 4"));
    const nlohmann::json summary = summary_json(run / "out");
    CHECK(summary["provider_errors"] == 1);
    CHECK(summary["events_in"] == 5);
  }
  SECTION("a cut symbol table") {
    write_file(bad, bytes.substr(0, bytes.size() - 2));
    refused("symbol table: entry 3");
  }
}
