// bench_coinbase_parse: Coinbase Advanced Trade messages parsed into events
// per second on one core, through the plugin's own decoder (simdjson parse,
// sequence check, trade de-duplication, local book, L2 diffing), beside
// nlohmann::json parsing the same messages and reading the same fields, in
// the same run.
//
// Messages: a realistic mix for 3 products (~45% ticker, ~40% market_trades
// updates of 1-3 trades, ~15% l2_data updates of 1-20 levels), in Coinbase's
// documented envelope, one sequence_num per message, after a level2
// snapshot per product so every update is applied to a synced book.
//
//   build/bench/bench_coinbase_parse [messages=300000] [passes=5]
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "common/coinbase_config.h"
#include "common/frame_parser.h"
#include "provider/frame_decoder.h"

namespace {

using coinbase::FrameKind;
using coinbase::RawFrame;

std::string envelope(const char* channel, uint64_t seq, const std::string& ts, const std::string& events) {
  return std::string("{\"channel\":\"") + channel + "\",\"client_id\":\"\",\"timestamp\":\"" + ts +
         "\",\"sequence_num\":" + std::to_string(seq) + ",\"events\":[" + events + "]}";
}

std::string iso(int64_t us) {
  char b[40];
  const int64_t s = us / 1000000;
  std::snprintf(b, sizeof b, "2026-01-01T%02lld:%02lld:%02lld.%06lldZ", static_cast<long long>(s / 3600 % 24),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60),
                static_cast<long long>(us % 1000000));
  return b;
}

std::string level(const char* side, const std::string& ts, double px, double q) {
  char b[160];
  std::snprintf(b, sizeof b, "{\"side\":\"%s\",\"event_time\":\"%s\",\"price_level\":\"%.2f\",\"new_quantity\":\"%.8f\"}",
                side, ts.c_str(), px, q);
  return b;
}

std::string message(std::mt19937_64& rng, const std::string& p, double mid, uint64_t seq, int64_t us,
                    uint64_t* trade_id) {
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  const std::string ts = iso(us);
  char b[512];
  const double r = u01(rng);
  if (r < 0.45) {
    std::snprintf(b, sizeof b,
                  "{\"type\":\"update\",\"tickers\":[{\"type\":\"ticker\",\"product_id\":\"%s\",\"price\":\"%.2f\","
                  "\"volume_24_h\":\"1234.5\",\"low_24_h\":\"1\",\"high_24_h\":\"2\",\"low_52_w\":\"1\",\"high_52_w\":\"3\","
                  "\"price_percent_chg_24_h\":\"0.4\",\"best_bid\":\"%.2f\",\"best_bid_quantity\":\"%.8f\","
                  "\"best_ask\":\"%.2f\",\"best_ask_quantity\":\"%.8f\"}]}",
                  p.c_str(), mid, mid - 0.01, u01(rng) * 5, mid + 0.01, u01(rng) * 5);
    return envelope("ticker", seq, ts, b);
  }
  if (r < 0.85) {
    std::string trades;
    for (int i = 0, n = 1 + static_cast<int>(u01(rng) * 3); i < n; ++i) {
      std::snprintf(b, sizeof b,
                    "%s{\"trade_id\":\"%llu\",\"product_id\":\"%s\",\"price\":\"%.2f\",\"size\":\"%.8f\","
                    "\"side\":\"%s\",\"time\":\"%s\"}",
                    i ? "," : "", static_cast<unsigned long long>(++*trade_id), p.c_str(), mid,
                    0.00001 + u01(rng) * 0.5, u01(rng) < 0.5 ? "BUY" : "SELL", ts.c_str());
      trades += b;
    }
    return envelope("market_trades", seq, ts, "{\"type\":\"update\",\"trades\":[" + trades + "]}");
  }
  std::string ups;
  for (int i = 0, n = 1 + static_cast<int>(u01(rng) * 20); i < n; ++i) {
    const bool bid = u01(rng) < 0.5;
    const double px = bid ? mid - 0.01 * (1 + static_cast<int>(u01(rng) * 50))
                          : mid + 0.01 * (1 + static_cast<int>(u01(rng) * 50));
    ups += (i ? "," : "") + level(bid ? "bid" : "offer", ts, px, u01(rng) < 0.2 ? 0.0 : u01(rng) * 3);
  }
  return envelope("l2_data", seq, ts, "{\"type\":\"update\",\"product_id\":\"" + p + "\",\"updates\":[" + ups + "]}");
}

std::vector<RawFrame> make_frames(size_t n, const std::vector<std::string>& products) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::vector<RawFrame> out;
  const char c[] = "/";
  out.push_back(coinbase::make_frame(1, FrameKind::kConnected, c, sizeof(c) - 1));
  std::vector<double> mid = {87000.0, 2950.0, 135.0};
  std::vector<uint64_t> trade_id(products.size(), 900000000);
  uint64_t seq = 0;
  int64_t us = 0;
  for (size_t s = 0; s < products.size(); ++s) {  // a level2 snapshot per product
    std::string ups;
    for (int i = 0; i < 100; ++i)
      ups += (i ? "," : "") + level("bid", iso(us), mid[s] - 0.01 * (i + 1), 1.5) + "," +
             level("offer", iso(us), mid[s] + 0.01 * (i + 1), 1.5);
    const std::string m = envelope("l2_data", seq++, iso(us),
                                   "{\"type\":\"snapshot\",\"product_id\":\"" + products[s] + "\",\"updates\":[" + ups + "]}");
    out.push_back(coinbase::make_frame(1767225600000000000LL, FrameKind::kText, m.data(), m.size()));
  }
  while (out.size() < n) {
    const size_t s = static_cast<size_t>(u01(rng) * products.size()) % products.size();
    us += 1000;
    mid[s] *= 1.0 + (u01(rng) - 0.5) * 1e-5;
    const std::string m = message(rng, products[s], mid[s], seq++, us, &trade_id[s]);
    out.push_back(coinbase::make_frame(1767225600000000000LL + us * 1000 + 500000, FrameKind::kText, m.data(), m.size()));
  }
  return out;
}

double num(const nlohmann::json& v) {
  const std::string& s = v.get_ref<const std::string&>();
  double x = 0;
  std::from_chars(s.data(), s.data() + s.size(), x);
  return x;
}

// The baseline: nlohmann::json parses each message and the same fields are read.
size_t nlohmann_pass(const std::vector<RawFrame>& frames, double* checksum) {
  size_t n = 0;
  for (const RawFrame& f : frames) {
    if (f.kind != FrameKind::kText) continue;
    const auto j = nlohmann::json::parse(f.payload, nullptr, false);
    if (j.is_discarded()) continue;
    const std::string& channel = j["channel"].get_ref<const std::string&>();
    *checksum += static_cast<double>(j["sequence_num"].get<uint64_t>()) + j["timestamp"].get_ref<const std::string&>().size();
    for (const auto& ev : j["events"]) {
      if (channel == "market_trades") {
        for (const auto& t : ev["trades"])
          *checksum += num(t["price"]) + num(t["size"]) + t["trade_id"].get_ref<const std::string&>().size() +
                       t["side"].get_ref<const std::string&>().size() + t["time"].get_ref<const std::string&>().size() +
                       t["product_id"].get_ref<const std::string&>().size();
      } else if (channel == "ticker") {
        for (const auto& t : ev["tickers"])
          *checksum += num(t["best_bid"]) + num(t["best_ask"]) + num(t["best_bid_quantity"]) +
                       num(t["best_ask_quantity"]) + t["product_id"].get_ref<const std::string&>().size();
      } else {
        for (const auto& u : ev["updates"])
          *checksum += num(u["price_level"]) + num(u["new_quantity"]) + u["side"].get_ref<const std::string&>().size();
      }
    }
    ++n;
  }
  return n;
}


}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 300000;
  const int passes = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::vector<std::string> products = {"BTC-USD", "ETH-USD", "SOL-USD"};
  const std::vector<RawFrame> frames = make_frames(n, products);
  size_t text = 0, bytes = 0;
  sh_bench::count_frames(frames, FrameKind::kText, &text, &bytes);
  coinbase::CoinbaseConfig cfg;
  cfg.products = products;
  cfg.feed.depth_levels = 10;
  cfg.feed.log_limit_per_reason = 0;
  const sh::Host host(nullptr);  // no host: counters and logs are no-ops
  std::printf("bench_coinbase_parse: %zu messages (%.1f MB), %d passes, 1 core\n", text,
              static_cast<double>(bytes) / 1e6, passes);

  size_t events = 0;
  std::vector<sh_market_event> out;
  out.reserve(1 << 16);
  const double t_decode = sh_bench::median_seconds(passes, [&] {
    coinbase::FrameDecoder dec(cfg, host, nullptr);
    events = sh_bench::decode_all(dec, frames, out);
  });
  size_t known = 0;
  const double t_parse = sh_bench::median_seconds(passes, [&] {
    coinbase::FrameParser parser(products);
    known = 0;
    for (const RawFrame& f : frames) {
      if (f.kind != FrameKind::kText) continue;
      const auto& m = parser.parse(f.payload.data(), f.payload.size(), f.payload.capacity());
      known += m.channel != coinbase::Channel::kMalformed && m.channel != coinbase::Channel::kUnknown;
    }
  });
  double checksum = 0;
  size_t nl = 0;
  const double t_nl = sh_bench::median_seconds(passes, [&] { nl = nlohmann_pass(frames, &checksum); });
  const double decode_rate = static_cast<double>(text) / t_decode;
  const double nl_rate = static_cast<double>(nl) / t_nl;
  std::printf("  coinbase decoder (simdjson, book, events) %8.2f M msg/s  %6.0f MB/s  (%zu events)\n",
              decode_rate / 1e6, static_cast<double>(bytes) / t_decode / 1e6, events);
  std::printf("  simdjson On-Demand parse only             %8.2f M msg/s  (%zu known)\n",
              static_cast<double>(text) / t_parse / 1e6, known);
  std::printf("  nlohmann::json parse + same fields        %8.2f M msg/s  (baseline; checksum %.0f)\n",
              nl_rate / 1e6, checksum > 0 ? 1.0 : 0.0);
  std::printf("  decoder vs nlohmann: %.1fx; target >= 1 M msg/s: %s\n", decode_rate / nl_rate,
              decode_rate >= 1e6 ? "met" : "NOT met");
  return 0;
}
