// [replay] Several files become one stream in event-time order, with ties
// broken by file order then line order, identically on every run.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "support/plugin_harness.h"

using nlohmann::json;
using sh_test::HarnessHost;
using sh_test::PluginInstance;
using sh_test::PluginLibrary;

namespace {

std::string fixture(const std::string& name) {
  return std::string(SH_SOURCE_DIR) + "/tests/data/replay/" + name;
}

const PluginLibrary& replay_lib() {
  static const PluginLibrary lib(sh_test::plugin_path("replay"));
  return lib;
}

std::vector<sh_market_event> replay_all(HarnessHost& host, const json& config,
                                        uint32_t max_events_per_poll = 1000) {
  PluginInstance inst(replay_lib(), host, config);
  INFO(inst.last_error());
  REQUIRE(inst.ok());
  sh_status final_status = SH_OK;
  auto events = inst.drain_events(max_events_per_poll, &final_status);
  REQUIRE(final_status == SH_END_OF_DATA);
  return events;
}

json files(std::initializer_list<const char*> names) {
  json arr = json::array();
  for (const char* n : names) arr.push_back({{"path", fixture(n)}});
  return {{"files", arr}};
}

constexpr int64_t kJan2 = 1704153600LL * 1000000000LL;
constexpr int64_t kMs = 1000000LL;

}  // namespace

TEST_CASE("replay merges a trades file and a quotes file in event-time order", "[replay]") {
  HarnessHost host;
  const auto ev = replay_all(host, files({"trades.csv", "quotes.csv"}));
  std::vector<std::pair<sh_event_type, int64_t>> got;
  for (const auto& e : ev) got.emplace_back(e.type, (e.ts_ns - kJan2) / kMs);
  const std::vector<std::pair<sh_event_type, int64_t>> want = {
      {SH_EVENT_TRADE, 0},    {SH_EVENT_QUOTE, 500},  {SH_EVENT_TRADE, 1000},
      {SH_EVENT_QUOTE, 1500}, {SH_EVENT_TRADE, 2000}, {SH_EVENT_QUOTE, 2500},
      {SH_EVENT_TRADE, 3000}};
  CHECK(got == want);
  CHECK(host.counter("events_emitted") == 7);
}

TEST_CASE("replay breaks ts ties by file order, then line order", "[replay]") {
  // trades.csv line 2 and the four first L2 rows share ts 2024-01-02T00:00:00Z.
  HarnessHost host;
  SECTION("trades first in the config") {
    const auto ev = replay_all(host, files({"trades.csv", "l2.csv"}));
    REQUIRE(ev.size() == 9);
    CHECK(ev[0].type == SH_EVENT_TRADE);
    for (int i = 1; i <= 4; ++i) CHECK(ev[i].type == SH_EVENT_L2);
    CHECK(ev[1].data.l2.side == SH_SIDE_BUY);
    CHECK(ev[1].data.l2.level == 0);
    CHECK(ev[2].data.l2.level == 1);
    CHECK(ev[3].data.l2.side == SH_SIDE_SELL);
  }
  SECTION("L2 first in the config") {
    const auto ev = replay_all(host, files({"l2.csv", "trades.csv"}));
    REQUIRE(ev.size() == 9);
    for (int i = 0; i < 4; ++i) CHECK(ev[i].type == SH_EVENT_L2);
    CHECK(ev[4].type == SH_EVENT_TRADE);
  }
}

TEST_CASE("replay output is non-decreasing in ts and identical on every run", "[replay]") {
  const json config = files({"trades.csv", "quotes.jsonl", "l2.csv", "bars.csv", "AAPL.csv",
                             "MSFT.jsonl", "trades.jsonl"});
  HarnessHost host_a;
  HarnessHost host_b;
  const auto a = replay_all(host_a, config, 1000);
  const auto b = replay_all(host_b, config, 1);  // one event per poll
  REQUIRE(a.size() == 4 + 3 + 5 + 2 + 5 + 2 + 4);
  for (size_t i = 1; i < a.size(); ++i) CHECK(a[i - 1].ts_ns <= a[i].ts_ns);
  REQUIRE(a.size() == b.size());
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(sh_market_event)) == 0);
}

TEST_CASE("replay never emits a symbol's event after a later one from another file",
          "[replay]") {
  sh_test::TempDir dir;
  // File a is ordered per symbol but not across symbols: X at +10 s, then Y
  // at +5 s. File b has Y at +6 s, which the merge emits before a's X row,
  // so a's Y row at +5 s would go backwards for Y.
  const std::string a = dir.write("a.csv", "ts,symbol,price,size\n" + std::to_string(kJan2 + 10000 * kMs) +
                                               ",X,1,1\n" + std::to_string(kJan2 + 5000 * kMs) + ",Y,1,2\n");
  const std::string b = dir.write("b.csv", "ts,symbol,price,size\n" + std::to_string(kJan2 + 6000 * kMs) + ",Y,1,3\n");
  HarnessHost host;
  const auto ev = replay_all(host, {{"files", {{{"path", a}}, {{"path", b}}}}});
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].data.trade.size == 3);
  CHECK(ev[1].data.trade.size == 1);
  CHECK(host.counter("bad_rows.out_of_order") == 1);
  CHECK(host.logs_containing(a + ":3: out_of_order (ts)") == 1);
}

TEST_CASE("replay keeps a batch the sink refused and offers it again", "[replay]") {
  HarnessHost host;
  PluginInstance inst(replay_lib(), host, files({"trades.csv", "quotes.csv"}));
  REQUIRE(inst.ok());
  struct Sink {
    int refusals_left = 1;
    std::vector<sh_market_event> got;
  } state;
  sh_event_sink sink{sizeof(sh_event_sink), &state,
                     [](void* ctx, const sh_market_event* events, uint32_t count, uint32_t) {
                       auto* s = static_cast<Sink*>(ctx);
                       if (s->refusals_left > 0) {
                         --s->refusals_left;
                         return static_cast<sh_status>(SH_ERR_HOST);
                       }
                       s->got.insert(s->got.end(), events, events + count);
                       return static_cast<sh_status>(SH_OK);
                     }};
  CHECK(inst.poll(sink, 3) == SH_WOULD_BLOCK);
  CHECK(state.got.empty());
  CHECK(inst.poll(sink, 2) == SH_OK);  // the refused batch, at most 2 at a time
  CHECK(inst.poll(sink, 100) == SH_OK);
  CHECK(inst.poll(sink, 100) == SH_OK);
  CHECK(inst.poll(sink, 100) == SH_END_OF_DATA);
  HarnessHost ref_host;
  const auto ref = replay_all(ref_host, files({"trades.csv", "quotes.csv"}));
  REQUIRE(state.got.size() == ref.size());
  CHECK(std::memcmp(state.got.data(), ref.data(), ref.size() * sizeof(sh_market_event)) == 0);
  CHECK(host.counter("events_emitted") == 7);
}
