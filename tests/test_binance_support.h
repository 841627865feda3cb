// test_binance_support.h: helpers shared by the binance provider's tests:
// a config pointed at the local fixture server, and a pump that polls an
// instance until a condition holds, the stream ends, or a deadline passes.
#ifndef SH_TESTS_TEST_BINANCE_SUPPORT_H
#define SH_TESTS_TEST_BINANCE_SUPPORT_H

#include <chrono>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "support/plugin_harness.h"
#include "test_ws_server.h"

namespace sh_test {

using BinanceFixtureServer = WsFixtureServer;

inline nlohmann::json binance_config(const BinanceFixtureServer& s,
                                     std::vector<std::string> symbols = {"BTCUSDT", "ETHUSDT"}) {
  return {{"symbols", symbols},
          {"ws_url", s.ws_url()},
          {"rest_url", s.rest_url()},
          {"ca_file", s.ca_file()},
          {"reconnect", {{"initial_ms", 20}, {"max_ms", 200}, {"multiplier", 2.0}, {"jitter", 0.2}}},
          {"stale_timeout_ms", 3000},
          {"connect_timeout_ms", 3000}};
}

// Polls until done() holds, the provider ends or fails, or timeout_ms pass.
// Returns the last status.
inline sh_status pump(PluginInstance& inst, std::vector<sh_market_event>& events,
                      const std::function<bool()>& done, int timeout_ms = 20000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  sh_status st = SH_OK;
  while (std::chrono::steady_clock::now() < deadline) {
    st = inst.poll(events, 1000);
    if (st != SH_OK && st != SH_WOULD_BLOCK) return st;
    if (done && done()) return st;
    if (st == SH_WOULD_BLOCK) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return st;
}

inline size_t count_type(const std::vector<sh_market_event>& evs, sh_event_type t) {
  size_t n = 0;
  for (const auto& e : evs) n += e.type == t ? 1 : 0;
  return n;
}

// The top of book as a consumer of the L2 events sees it: level -> (price, size).
struct L2View {
  std::map<uint32_t, std::pair<double, double>> bids, asks;
  void apply(const sh_market_event& e) {
    if (e.type != SH_EVENT_L2) return;
    if (e.flags & SH_EVENT_FLAG_SNAPSHOT) {
      bids.clear();
      asks.clear();
    }
    auto& side = e.data.l2.side == SH_SIDE_BUY ? bids : asks;
    if (e.data.l2.size > 0)
      side[e.data.l2.level] = {e.data.l2.price, e.data.l2.size};
    else
      side.erase(e.data.l2.level);
  }
};

// The fixture's minute 0 of BTCUSDT and ETHUSDT and the first trades of
// minute 1 (up to 00:01:00.099), from trades_bbo.jsonl.
inline std::vector<std::string> minute0_frames() {
  std::vector<std::string> frames;
  for (const std::string& line : fixture_lines("trades_bbo.jsonl")) {
    const auto j = nlohmann::json::parse(line);
    if (j["data"].contains("T") && j["data"]["T"].get<int64_t>() > 1767225660099) break;
    frames.push_back(line);
  }
  return frames;
}

}  // namespace sh_test

#endif
