// [history][governance] Runbook 001 through the real `host` binary: the
// universe, provider capabilities and entitlement, backfill (resumable),
// verify's quality scores (computed by hand below), the symbol states, the
// Stage 2 start check and the 412 SYMBOL_NOT_ACTIVE gate.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "history/calendar.h"
#include "test_host_support.h"

using namespace sh_test;
using Catch::Matchers::Contains;
using json = nlohmann::json;

namespace {

const int32_t kEnd = sh::host::days_from_civil(2025, 1, 17);  // history.end in the configs
const int32_t kStart = kEnd - 1826 + 1;                       // history.days: 1826

// Every weekday of the backfill window.
std::vector<int32_t> weekdays() {
  std::vector<int32_t> out;
  for (int32_t d = kStart; d <= kEnd; ++d) {
    if (!sh::host::is_weekend(d)) out.push_back(d);
  }
  return out;
}

struct Row {
  int32_t day;
  double close, adj;
};

std::string csv_of(const std::vector<Row>& rows) {
  std::string s = "Date,Open,High,Low,Close,Adj Close,Volume\n";
  char buf[160];
  for (const Row& r : rows) {
    std::snprintf(buf, sizeof buf, "%s,%g,%g,%g,%g,%g,1000\n", sh::host::format_day(r.day).c_str(), r.close,
                  r.close, r.close, r.close, r.adj);
    s += buf;
  }
  return s;
}

std::vector<Row> flat_rows(const std::vector<int32_t>& days, double price = 100) {
  std::vector<Row> rows;
  for (int32_t d : days) rows.push_back({d, price, price});
  return rows;
}

std::string config_yaml(const ScratchDir& dir, const std::string& providers, const std::string& extra = "") {
  return "host:\n  mode: replay\n  state_dir: " + (dir / "state").string() + "\n  output_dir: " +
         (dir / "out").string() + "\n  plugin_dirs: ['" + SH_TEST_PLUGIN_DIR + "']\n" +
         sample_providers_yaml() + "history:\n  universe: universe.json\n  end: 2025-01-17\n" + extra +
         "  providers:\n" + providers;
}

std::vector<json> log_lines(const ScratchDir& dir) {
  std::vector<json> out;
  for (const auto& l : lines(read_file(dir / "out/governance.jsonl"))) out.push_back(json::parse(l));
  return out;
}

json status_json(const ScratchDir& dir) {
  const HostRun s = run_host({"history", "status", "--format", "json", "--config", "cfg.yaml"}, dir.path());
  INFO(s.out << s.err);
  REQUIRE(s.exit_code == 0);
  return json::parse(s.out);
}

std::map<std::string, json> states_by_symbol(const json& status) {
  std::map<std::string, json> out;
  for (const auto& row : status["symbols"]) out[row["symbol"]] = row;
  return out;
}

}  // namespace

TEST_CASE("history verify gives the runbook's quality scores and states for fixture symbols",
          "[history][governance]") {
  ScratchDir dir("gov_quality");
  const std::vector<int32_t> w = weekdays();
  const double W = static_cast<double>(w.size());
  REQUIRE(w.size() >= 1300);  // five calendar years of weekdays

  write_file(dir / "csv/AAPL.csv", csv_of(flat_rows(w)));
  // GAPPY: every 10th weekday missing (first and last kept): 130 gaps.
  std::vector<int32_t> gappy;
  size_t gaps = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (i % 10 == 5 && gaps < 130) {
      ++gaps;
      continue;
    }
    gappy.push_back(w[i]);
  }
  write_file(dir / "csv/GAPPY.csv", csv_of(flat_rows(gappy)));
  // DUPES: 26 dates delivered twice, and one day with a zero price.
  std::vector<Row> dupes;
  size_t repeated = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    dupes.push_back({w[i], i == 700 ? 0.0 : 100.0, i == 700 ? 0.0 : 100.0});
    if (i % 50 == 10) {
      dupes.push_back(dupes.back());
      ++repeated;
    }
  }
  REQUIRE(repeated == 26);
  write_file(dir / "csv/DUPES.csv", csv_of(dupes));
  // SPIKY: one day at +70% (adj close too), then back.
  std::vector<Row> spiky = flat_rows(w);
  spiky[600].close = spiky[600].adj = 170;
  write_file(dir / "csv/SPIKY.csv", csv_of(spiky));
  // SPLIT: a 2-for-1 split at row 900 that Adj Close does not reflect.
  std::vector<Row> split;
  for (size_t i = 0; i < w.size(); ++i) split.push_back({w[i], i < 900 ? 200.0 : 100.0, i < 900 ? 200.0 : 100.0});
  write_file(dir / "csv/SPLIT.csv", csv_of(split));
  // ADJSPLIT: the same split, reflected in Adj Close (a corporate action).
  std::vector<Row> adjsplit;
  for (size_t i = 0; i < w.size(); ++i) adjsplit.push_back({w[i], i < 900 ? 200.0 : 100.0, 100.0});
  write_file(dir / "csv/ADJSPLIT.csv", csv_of(adjsplit));
  // SWAPPED: two adjacent rows out of order (no term in the formula).
  std::vector<Row> swapped = flat_rows(w);
  std::swap(swapped[300], swapped[301]);
  write_file(dir / "csv/SWAPPED.csv", csv_of(swapped));
  // SHORT: 900 rows, the last 900 weekdays.
  write_file(dir / "csv/SHORT.csv", csv_of(flat_rows(std::vector<int32_t>(w.end() - 900, w.end()))));
  // BTC-USD: crypto expects every calendar day; weekdays only = weekends missing.
  write_file(dir / "csv/BTC-USD.csv", csv_of(flat_rows(w)));

  write_file(dir / "universe.json",
             R"({"symbols": ["AAPL", "GAPPY", "DUPES", "SPIKY", "SPLIT", "ADJSPLIT", "SWAPPED", "SHORT",
                 {"symbol": "BTC-USD", "class": "crypto"}, "NOFILE"]})");
  // The limited provider comes first: it reaches 730 days, not five years
  // (skipped before its entitlement is even asked).
  write_file(dir / "cfg.yaml",
             config_yaml(dir, "    - {name: limited, plugin: limited_history, config: {entitled: false}}\n"
                              "    - {name: daily_csv, plugin: csv_history, config: {dir: csv}}\n"));

  const HostRun b = run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path());
  INFO(b.out << b.err);
  REQUIRE(b.exit_code == 0);
  CHECK_THAT(b.out, Contains("NOFILE: REJECTED"));
  const HostRun v = run_host({"history", "verify", "--config", "cfg.yaml"}, dir.path());
  INFO(v.out << v.err);
  REQUIRE(v.exit_code == 0);
  const auto st = states_by_symbol(status_json(dir));

  // Hand-computed: score = 1 - (missing*0.3 + dup*0.2 + zero_neg*0.2 + spike*0.3).
  CHECK(st.at("AAPL")["state"] == "ACTIVE");
  CHECK(st.at("AAPL")["quality"].get<double>() == Approx(1.0));
  CHECK(st.at("AAPL")["rows"] == w.size());
  CHECK(st.at("GAPPY")["quality"].get<double>() == Approx(1.0 - 0.3 * 130.0 / W));
  CHECK(st.at("GAPPY")["state"] == "DEGRADED");  // 1174 rows: 1000..1259
  CHECK(st.at("GAPPY")["reason"] == "INSUFFICIENT_HISTORY");
  CHECK(st.at("DUPES")["quality"].get<double>() == Approx(1.0 - (0.2 * 26.0 / (W + 26.0) + 0.2)));
  CHECK(st.at("DUPES")["state"] == "ACTIVE");
  CHECK(st.at("SPIKY")["quality"].get<double>() == Approx(0.7));
  CHECK(st.at("SPIKY")["state"] == "ACTIVE");
  CHECK(st.at("SPLIT")["state"] == "QUARANTINED");
  CHECK(st.at("SPLIT")["reason"] == "SPLIT_NOT_ADJUSTED");
  CHECK(st.at("ADJSPLIT")["state"] == "ACTIVE");
  CHECK(st.at("ADJSPLIT")["quality"].get<double>() == Approx(1.0));
  CHECK(st.at("SWAPPED")["quality"].get<double>() == Approx(1.0));
  CHECK(st.at("SHORT")["state"] == "QUARANTINED");
  CHECK(st.at("SHORT")["reason"] == "INSUFFICIENT_HISTORY");
  // Crypto: 2 of every 7 calendar days missing between the first and last row.
  const double cal = static_cast<double>(w.back() - w.front() + 1);
  CHECK(st.at("BTC-USD")["quality"].get<double>() == Approx(1.0 - 0.3 * (cal - W) / cal));
  CHECK(st.at("NOFILE")["state"] == "QUARANTINED");
  CHECK(st.at("NOFILE")["reason"] == "BACKFILL_FAILED");

  // The governance log: every decision with its reason.
  const auto log = log_lines(dir);
  size_t not_entitled = 0, stored = 0;
  std::map<std::string, json> verify_lines;
  json adjsplit_line;
  for (const auto& l : log) {
    if (l["decision"] == "provider_not_entitled") ++not_entitled;
    if (l["decision"] == "stored") {
      ++stored;
      CHECK(l["provider"] == "daily_csv");
      const std::string cls = l["class"];
      CHECK(l["skipped"][0]["reason"] == (cls == "stocks" || cls == "crypto" ? "HISTORY_TOO_SHORT" : "CLASS_NOT_SERVED"));
      if (l["symbol"] == "ADJSPLIT") adjsplit_line = l;
    }
    if (l["command"] == "verify" && l["decision"] == "state") verify_lines[l["symbol"]] = l;
  }
  CHECK(not_entitled == 0);
  CHECK(stored == 9);
  REQUIRE(adjsplit_line.is_object());
  REQUIRE(adjsplit_line["corporate_actions"].size() == 1);
  CHECK(adjsplit_line["corporate_actions"][0]["kind"] == "split");
  CHECK(adjsplit_line["corporate_actions"][0]["value"] == 2.0);
  CHECK(verify_lines.at("SWAPPED")["out_of_order"] == 1);
  CHECK(verify_lines.at("DUPES")["duplicates"] == 26);
  CHECK(verify_lines.at("DUPES")["zero_negative_flag"] == 1);
  CHECK(verify_lines.at("GAPPY")["missing_dates"] == 130);
  CHECK(verify_lines.at("SPLIT")["previous_state"] == "NONE");

  // --strict: not every symbol is ACTIVE.
  CHECK(run_host({"history", "verify", "--strict", "--config", "cfg.yaml"}, dir.path()).exit_code == 3);
  // host status shows the states too.
  const HostRun s = run_host({"status", "--config", "cfg.yaml"}, dir.path());
  INFO(s.out << s.err);
  CHECK_THAT(s.out, Contains("SPLIT QUARANTINED SPLIT_NOT_ADJUSTED"));
}

TEST_CASE("history backfill applies the capability matrix: class, reach, entitlement, NO_VALID_PROVIDER",
          "[history][governance]") {
  ScratchDir dir("gov_matrix");
  write_file(dir / "universe.json", R"(["AAPL", "GC=F", "EURUSD=X", "ETH-USD"])");
  SECTION("730 days cannot serve 1826: HISTORY_TOO_SHORT, then NO_VALID_PROVIDER") {
    write_file(dir / "cfg.yaml", config_yaml(dir, "    - {name: limited, plugin: limited_history}\n"));
    const HostRun b = run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path());
    INFO(b.out << b.err);
    REQUIRE(b.exit_code == 0);
    for (const auto& l : log_lines(dir)) {
      CHECK(l["decision"] == "rejected");
      CHECK(l["reason"] == "NO_VALID_PROVIDER");
      const std::string why = l["skipped"][0]["reason"];
      if (l["symbol"] == "AAPL" || l["symbol"] == "ETH-USD") CHECK(why == "HISTORY_TOO_SHORT");
      if (l["symbol"] == "GC=F" || l["symbol"] == "EURUSD=X") CHECK(why == "CLASS_NOT_SERVED");
    }
    REQUIRE(run_host({"history", "verify", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
    const auto st = states_by_symbol(status_json(dir));
    CHECK(st.at("GC=F")["state"] == "QUARANTINED");
    CHECK(st.at("GC=F")["reason"] == "NO_VALID_PROVIDER");
    CHECK(st.at("GC=F")["class"] == "commodities");
    CHECK(st.at("EURUSD=X")["class"] == "fx");
    CHECK(st.at("ETH-USD")["class"] == "crypto");
  }
  SECTION("within reach: stocks and crypto stored, fx and commodities NO_VALID_PROVIDER") {
    write_file(dir / "cfg.yaml", config_yaml(dir, "    - {name: limited, plugin: limited_history}\n", "  days: 700\n"));
    REQUIRE(run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
    std::map<std::string, std::string> decision;
    for (const auto& l : log_lines(dir)) decision[l["symbol"]] = l["decision"].get<std::string>() + "/" + l["reason"].get<std::string>();
    CHECK(decision["AAPL"] == "stored/PROVIDER_SELECTED");
    CHECK(decision["ETH-USD"] == "stored/PROVIDER_SELECTED");
    CHECK(decision["GC=F"] == "rejected/NO_VALID_PROVIDER");
    CHECK(decision["EURUSD=X"] == "rejected/NO_VALID_PROVIDER");
    REQUIRE(run_host({"history", "verify", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
    const auto st = states_by_symbol(status_json(dir));
    CHECK(st.at("AAPL")["state"] == "QUARANTINED");  // ~500 rows < 1000
    CHECK(st.at("AAPL")["reason"] == "INSUFFICIENT_HISTORY");
  }
  SECTION("provider_entitled() says no: logged once, the provider skipped, NO_VALID_PROVIDER") {
    write_file(dir / "cfg.yaml",
               config_yaml(dir, "    - {name: limited, plugin: limited_history, config: {entitled: false}}\n",
                           "  days: 700\n"));
    REQUIRE(run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
    size_t once = 0;
    for (const auto& l : log_lines(dir)) {
      if (l["decision"] == "provider_not_entitled") {
        ++once;
        CHECK_THAT(l["detail"].get<std::string>(), Contains("LIMITED_HISTORY_ENABLED is not set"));
        continue;
      }
      CHECK(l["reason"] == "NO_VALID_PROVIDER");
      const std::string cls = l["class"];
      CHECK(l["skipped"][0]["reason"] == (cls == "stocks" || cls == "crypto" ? "NOT_ENTITLED" : "CLASS_NOT_SERVED"));
    }
    CHECK(once == 1);
  }
  SECTION("a 403 while fetching: logged once, the provider skipped for the rest of the run, never retried") {
    write_file(dir / "cfg.yaml",
               config_yaml(dir, "    - {name: limited, plugin: limited_history, config: {fetch: not_entitled}}\n",
                           "  days: 700\n"));
    REQUIRE(run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
    size_t once = 0;
    for (const auto& l : log_lines(dir)) {
      if (l["decision"] == "provider_not_entitled") ++once;
      if (l.contains("symbol") && l["decision"] != "provider_not_entitled") CHECK(l["reason"] == "NO_VALID_PROVIDER");
    }
    CHECK(once == 1);
  }
}

TEST_CASE("a malformed universe.json or an unknown class is refused naming the file and the entry",
          "[history][governance]") {
  ScratchDir dir("gov_universe");
  write_file(dir / "cfg.yaml", config_yaml(dir, "    - {name: daily_csv, plugin: csv_history, config: {dir: csv}}\n"));
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"[\"AAPL\", ", "universe.json: not valid JSON"},
      {R"(["AAPL", {"symbol": "GC=F", "class": "metals"}])",
       "universe.json: entry 2 (\"GC=F\"): unknown class 'metals' (expected stocks, fx, crypto or commodities)"},
      {R"(["AAPL", {"symbol": "GC=F", "class": "stocks"}])",
       "entry 2 (\"GC=F\"): class 'stocks' disagrees with classify_symbol, which says 'commodities'"},
      {R"(["AAPL", "AAPL"])", "entry 2 (\"AAPL\"): listed twice"},
      {R"({"tickers": []})", "universe.json: expected an array of symbols"},
  };
  for (const Case& c : cases) {
    write_file(dir / "universe.json", c.text);
    for (const char* cmd : {"backfill", "verify"}) {
      const HostRun r = run_host({"history", cmd, "--config", "cfg.yaml"}, dir.path());
      INFO(cmd << ": " << r.out << r.err);
      CHECK(r.exit_code == 1);
      CHECK_THAT(r.err, Contains(c.says));
    }
  }
}

TEST_CASE("a backfill killed with kill -9 resumes without storing any symbol twice", "[history][governance]") {
  ScratchDir dir("gov_resume");
  const std::vector<int32_t> w = weekdays();
  const std::string text = csv_of(flat_rows(w));
  std::string universe = "[";
  const int kSymbols = 400;
  for (int i = 0; i < kSymbols; ++i) {
    const std::string sym = "S" + std::to_string(i);
    write_file(dir / ("csv/" + sym + ".csv"), text);
    universe += (i ? ",\"" : "\"") + sym + "\"";
  }
  write_file(dir / "universe.json", universe + "]");
  write_file(dir / "cfg.yaml", config_yaml(dir, "    - {name: daily_csv, plugin: csv_history, config: {dir: csv}}\n"));

  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(127);
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl(SH_HOST_BIN, SH_HOST_BIN, "history", "backfill", "--config", "cfg.yaml", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill it once some symbols are stored, long before all are.
  size_t seen = 0;
  for (int i = 0; i < 3000 && seen < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    seen = lines(read_file(dir / "out/governance.jsonl")).size();
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const size_t before = log_lines(dir).size();
  INFO("stored before the kill: " << before);
  REQUIRE(before >= 1);
  REQUIRE(before < static_cast<size_t>(kSymbols));

  const HostRun r = run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("resuming backfill run"));
  CHECK_THAT(r.out, Contains("already stored by this run"));
  // Every symbol stored exactly once over both processes, under one run id.
  std::map<std::string, int> stored;
  std::set<std::string> runs;
  for (const auto& l : log_lines(dir)) {
    if (l["decision"] != "stored") continue;
    ++stored[l["symbol"]];
    runs.insert(l["run_id"].get<std::string>());
  }
  CHECK(runs.size() == 1);
  const HostRun v = run_host({"history", "verify", "--config", "cfg.yaml"}, dir.path());
  REQUIRE(v.exit_code == 0);
  const json st = status_json(dir);
  CHECK(st["counts"]["ACTIVE"] == kSymbols);
  CHECK(st["verified"] == true);
  for (const auto& [sym, n] : stored) CHECK(n <= 1);
  // The symbol committed just before the kill (if its log line was lost) is
  // "already stored"; the others are stored by one of the two processes.
  CHECK(stored.size() + 1 >= static_cast<size_t>(kSymbols));
}

TEST_CASE("host --list-plugins shows each provider's capabilities (ABI 1.5)", "[history][governance][cli]") {
  ScratchDir dir("gov_listing");
  const HostRun t = run_host({"--list-plugins", "--plugin-dir", SH_PLUGIN_DIR, "--plugin-dir", SH_TEST_PLUGIN_DIR},
                             dir.path());
  INFO(t.out << t.err);
  REQUIRE(t.exit_code == 0);
  CHECK_THAT(t.out, Contains("Provider capabilities (runbook 001):"));
  const auto ls = lines(t.out);
  auto row = [&ls](const std::string& name) {
    for (const auto& l : ls) {
      if (l.rfind("  " + name + " ", 0) == 0) return l;
    }
    return std::string();
  };
  CHECK_THAT(row("csv_history"), Contains("stocks,fx,crypto,commodities  no    yes      36500"));
  CHECK_THAT(row("binance"), Contains("crypto"));
  CHECK_THAT(row("binance"), Contains(" yes "));
  CHECK_THAT(row("limited_history"), Contains("stocks,crypto"));
  CHECK_THAT(row("limited_history"), Contains("730"));
  CHECK_THAT(row("limited_history"), Contains("required"));
  for (const auto& l : ls) {
    size_t columns = 0;  // UTF-8 code points ("…" is three bytes, one column)
    for (unsigned char c : l) columns += (c & 0xC0) != 0x80;
    CHECK(columns <= 100);
  }

  const HostRun j = run_host({"--list-plugins", "--json", "--plugin-dir", SH_PLUGIN_DIR, "--plugin-dir",
                              SH_TEST_PLUGIN_DIR},
                             dir.path());
  REQUIRE(j.exit_code == 0);
  std::map<std::string, json> by_name;
  const json listing = json::parse(j.out);
  for (const auto& r : listing["plugins"]) by_name[r["name"].get<std::string>()] = r;
  const json& csv = by_name.at("csv_history")["provider"];
  CHECK(csv["asset_classes"] == json::array({"stocks", "fx", "crypto", "commodities"}));
  CHECK(csv["history"] == true);
  CHECK(csv["live"] == false);
  CHECK(csv["max_history_days"] == 36500);
  CHECK(csv["requires_entitlement"] == false);
  CHECK(by_name.at("limited_history")["provider"]["requires_entitlement"] == true);
  CHECK(by_name.at("coinbase")["provider"]["live"] == true);
  CHECK(by_name.at("kill_switch")["provider"].is_null());
  CHECK(by_name.at("good_provider")["provider"].is_null());  // declares none
}

TEST_CASE("host --validate-config checks history: the universe, each provider and the classes it serves",
          "[history][governance][cli]") {
  ScratchDir dir("gov_validate");
  write_file(dir / "universe.json", R"(["AAPL", "GC=F", "ETH-USD"])");
  auto validate = [&](const std::string& yaml) {
    write_file(dir / "cfg.yaml", yaml);
    return run_host({"--validate-config", "--config", "cfg.yaml"}, dir.path());
  };
  SECTION("a provider within reach: OK, and the classes no provider serves are named") {
    const HostRun r = validate(config_yaml(dir, "    - {name: limited, plugin: limited_history}\n", "  days: 700\n"));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("history: 3 symbols in the universe"));
    CHECK_THAT(r.out, Contains("no provider serves commodities for 700 days: GC=F (backfill rejects them with "
                               "NO_VALID_PROVIDER"));
    CHECK(r.out.find("ETH-USD") == std::string::npos);  // crypto is served
  }
  SECTION("a provider that cannot reach history.days is never used, so nothing is served") {
    const HostRun r = validate(config_yaml(dir, "    - {name: limited, plugin: limited_history}\n"));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("history.providers[0] 'limited' reaches 730 days, 1826 asked (history.days)"));
    CHECK_THAT(r.out, Contains("no provider serves crypto for 1826 days: ETH-USD"));
  }
  SECTION("a live-only provider is refused, naming the line") {
    const HostRun r = validate(config_yaml(dir, "    - {name: live, plugin: synthetic}\n"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("cfg.yaml:"));
    CHECK_THAT(r.err, Contains("history.providers[0] 'live' (plugin synthetic): serves no daily history"));
  }
  SECTION("a plugin that does not exist is refused, naming the line") {
    const HostRun r = validate(config_yaml(dir, "    - {name: gone, plugin: no_such_history}\n"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("cfg.yaml:"));
    CHECK_THAT(r.err, Contains("no_such_history"));
  }
  SECTION("a universe file that is missing is refused, naming it") {
    fs::remove(dir / "universe.json");
    const HostRun r = validate(config_yaml(dir, "    - {name: limited, plugin: limited_history}\n"));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("history.universe: "));
    CHECK_THAT(r.err, Contains("universe.json"));
  }
  SECTION("a bad value is refused with file:line") {
    const std::string yaml = config_yaml(dir, "    - {name: limited, plugin: limited_history}\n", "  days: -5\n");
    const size_t line = 1 + static_cast<size_t>(std::count(yaml.begin(), yaml.begin() + yaml.find("days: -5"), '\n'));
    const HostRun r = validate(yaml);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("cfg.yaml:" + std::to_string(line) + ":"));
    CHECK_THAT(r.err, Contains("history.days: expected a positive integer"));
  }
}

TEST_CASE("a backup holds the history store and the universe, and a restore brings the states back",
          "[history][governance][backup]") {
  ScratchDir dir("gov_backup");
  write_file(dir / "csv/AAPL.csv", csv_of(flat_rows(weekdays())));
  write_file(dir / "universe.json", R"(["AAPL", "MSFT"])");  // MSFT has no file: QUARANTINED
  write_file(dir / "cfg.yaml", config_yaml(dir, "    - {name: daily_csv, plugin: csv_history, config: {dir: csv}}\n"));
  REQUIRE(run_host({"history", "backfill", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
  REQUIRE(run_host({"history", "verify", "--config", "cfg.yaml"}, dir.path()).exit_code == 0);
  const json before = status_json(dir);
  REQUIRE(states_by_symbol(before).at("AAPL")["state"] == "ACTIVE");
  REQUIRE(states_by_symbol(before).at("MSFT")["state"] == "QUARANTINED");

  const HostRun c = run_host({"backup", "create", "--type", "full", "--config", "cfg.yaml"}, dir.path());
  INFO(c.out << c.err);
  REQUIRE(c.exit_code == 0);
  const HostRun l = run_host({"backup", "list", "--format", "json", "--config", "cfg.yaml"}, dir.path());
  REQUIRE(l.exit_code == 0);
  const std::string name = json::parse(l.out).at(0)["name"];
  const json manifest = json::parse(read_file(dir / "backups" / name / "manifest.json"));
  std::set<std::string> files;
  for (const auto& f : manifest["files"]) files.insert(f["path"].get<std::string>());
  CHECK(files.count("state/history/data.mdb") == 1);
  CHECK(files.count("config/universe.json") == 1);
  bool provider_binary = false;
  for (const auto& f : files) provider_binary = provider_binary || f.find("csv_history") != std::string::npos;
  CHECK(provider_binary);
  REQUIRE(run_host({"backup", "verify", name, "--config", "cfg.yaml"}, dir.path()).exit_code == 0);

  // The history store lost (a wiped disk): the restore brings the states back.
  fs::remove_all(dir / "state/history");
  const json gone = status_json(dir);
  CHECK(gone["verified"] == false);
  CHECK_THAT(gone["problem"].get<std::string>(), Contains("no history store yet"));
  const HostRun r = run_host({"backup", "restore", name, "--components", "data", "--config", "cfg.yaml"}, dir.path());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const json after = status_json(dir);
  CHECK(states_by_symbol(after).at("AAPL")["state"] == "ACTIVE");
  CHECK(states_by_symbol(after).at("AAPL")["rows"] == states_by_symbol(before).at("AAPL")["rows"]);
  CHECK(states_by_symbol(after).at("MSFT")["state"] == "QUARANTINED");
  CHECK(after["symbols"] == before["symbols"]);
}
