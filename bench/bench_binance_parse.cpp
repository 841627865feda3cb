// bench_binance_parse: Binance combined-stream frames parsed into events per
// second on one core, through the plugin's own decoder (simdjson parse,
// trade de-duplication, local book, L2 diffing), beside nlohmann::json
// parsing the same frames and extracting the same fields, in the same run.
//
// Frames: a realistic mix for 3 symbols (~45% bookTicker, ~40% trade, ~15%
// depth@100ms diffs of 1-20 levels), in Binance's documented format, after a
// REST snapshot per symbol so every diff is applied to a synced book.
//
//   build/bench/bench_binance_parse [frames=300000] [passes=5]
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
#include "common/binance_config.h"
#include "exchange/capture_file.h"
#include "common/frame_parser.h"
#include "provider/frame_decoder.h"

namespace {

using binance::FrameKind;
using binance::RawFrame;

std::vector<RawFrame> make_frames(size_t n, const std::vector<std::string>& symbols) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::vector<RawFrame> out;
  out.reserve(n + 8);
  const char c[] = "/stream";
  out.push_back(binance::make_frame(1, FrameKind::kConnected, c, sizeof(c) - 1));
  std::vector<uint64_t> trade_id(symbols.size(), 100000000), update_id(symbols.size(), 5000000000ull);
  std::vector<double> mid = {87000.0, 2950.0, 135.0};
  int64_t t_ms = 1767225600000;
  char buf[4096];
  // One diff per symbol, then its snapshot (the sync's first step).
  for (size_t s = 0; s < symbols.size(); ++s) {
    std::string lower = symbols[s];
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const uint64_t U = update_id[s] + 1, uu = update_id[s] + 3;
    update_id[s] = uu;
    int len = std::snprintf(buf, sizeof buf,
                            "{\"stream\":\"%s@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":%lld,\"s\":\"%s\",\"U\":%llu,\"u\":%llu,\"b\":[[\"%.2f\",\"1.00000000\"]],\"a\":[]}}",
                            lower.c_str(), static_cast<long long>(t_ms), symbols[s].c_str(),
                            static_cast<unsigned long long>(U), static_cast<unsigned long long>(uu), mid[s] - 0.01);
    out.push_back(binance::make_frame(t_ms * 1000000, FrameKind::kText, buf, static_cast<size_t>(len)));
    std::string snap = "{\"lastUpdateId\":" + std::to_string(U) + ",\"bids\":[";
    for (int i = 0; i < 100; ++i) snap += (i ? "," : "") + std::string("[\"") + std::to_string(mid[s] - 0.01 * (i + 1)) + "\",\"1.5\"]";
    snap += "],\"asks\":[";
    for (int i = 0; i < 100; ++i) snap += (i ? "," : "") + std::string("[\"") + std::to_string(mid[s] + 0.01 * (i + 1)) + "\",\"1.5\"]";
    snap += "]}";
    out.push_back(binance::make_frame(t_ms * 1000000, FrameKind::kSnapshot, snap.data(), snap.size(), symbols[s]));
  }
  while (out.size() < n) {
    const size_t s = static_cast<size_t>(u01(rng) * symbols.size()) % symbols.size();
    std::string lower = symbols[s];
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    t_ms += 1;
    mid[s] *= 1.0 + (u01(rng) - 0.5) * 1e-5;
    const double r = u01(rng);
    int len = 0;
    if (r < 0.45) {
      update_id[s] += 1;
      len = std::snprintf(buf, sizeof buf,
                          "{\"stream\":\"%s@bookTicker\",\"data\":{\"u\":%llu,\"s\":\"%s\",\"b\":\"%.2f\",\"B\":\"%.8f\",\"a\":\"%.2f\",\"A\":\"%.8f\"}}",
                          lower.c_str(), static_cast<unsigned long long>(update_id[s]), symbols[s].c_str(),
                          mid[s] - 0.01, u01(rng) * 5, mid[s] + 0.01, u01(rng) * 5);
    } else if (r < 0.85) {
      ++trade_id[s];
      len = std::snprintf(buf, sizeof buf,
                          "{\"stream\":\"%s@trade\",\"data\":{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\",\"t\":%llu,\"p\":\"%.2f\",\"q\":\"%.5f\",\"T\":%lld,\"m\":%s,\"M\":true}}",
                          lower.c_str(), static_cast<long long>(t_ms), symbols[s].c_str(),
                          static_cast<unsigned long long>(trade_id[s]), mid[s], 0.00001 + u01(rng) * 0.5,
                          static_cast<long long>(t_ms - 1), u01(rng) < 0.5 ? "true" : "false");
    } else {
      const uint64_t U = update_id[s] + 1;
      const int levels = 1 + static_cast<int>(u01(rng) * 20);
      update_id[s] += static_cast<uint64_t>(levels);
      std::string b, a;
      for (int i = 0; i < levels; ++i) {
        char lv[64];
        const bool bid = u01(rng) < 0.5;
        const double px = bid ? mid[s] - 0.01 * (1 + static_cast<int>(u01(rng) * 50))
                              : mid[s] + 0.01 * (1 + static_cast<int>(u01(rng) * 50));
        std::snprintf(lv, sizeof lv, "[\"%.2f\",\"%.8f\"]", px, u01(rng) < 0.2 ? 0.0 : u01(rng) * 3);
        std::string& side = bid ? b : a;
        if (!side.empty()) side += ',';
        side += lv;
      }
      len = std::snprintf(buf, sizeof buf,
                          "{\"stream\":\"%s@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":%lld,\"s\":\"%s\",\"U\":%llu,\"u\":%llu,\"b\":[%s],\"a\":[%s]}}",
                          lower.c_str(), static_cast<long long>(t_ms), symbols[s].c_str(),
                          static_cast<unsigned long long>(U), static_cast<unsigned long long>(update_id[s]),
                          b.c_str(), a.c_str());
    }
    out.push_back(binance::make_frame(t_ms * 1000000 + 500000, FrameKind::kText, buf, static_cast<size_t>(len)));
  }
  return out;
}

// The baseline: nlohmann::json parses each frame and the same fields are read.
size_t nlohmann_pass(const std::vector<RawFrame>& frames, double* checksum) {
  size_t n = 0;
  for (const RawFrame& f : frames) {
    if (f.kind != FrameKind::kText) continue;
    const auto j = nlohmann::json::parse(f.payload, nullptr, false);
    if (j.is_discarded()) continue;
    const std::string& stream = j["stream"].get_ref<const std::string&>();
    const auto& d = j["data"];
    auto num = [](const nlohmann::json& v) {
      const std::string& s = v.get_ref<const std::string&>();
      double x = 0;
      std::from_chars(s.data(), s.data() + s.size(), x);
      return x;
    };
    if (stream.find("@trade") != std::string::npos) {
      *checksum += num(d["p"]) + num(d["q"]) + static_cast<double>(d["t"].get<uint64_t>()) +
                   static_cast<double>(d["E"].get<int64_t>()) + (d["m"].get<bool>() ? 1 : 0);
    } else if (stream.find("@bookTicker") != std::string::npos) {
      *checksum += num(d["b"]) + num(d["B"]) + num(d["a"]) + num(d["A"]) +
                   static_cast<double>(d["u"].get<uint64_t>());
    } else {
      *checksum += static_cast<double>(d["U"].get<uint64_t>() + d["u"].get<uint64_t>());
      for (const auto& l : d["b"]) *checksum += num(l[0]) + num(l[1]);
      for (const auto& l : d["a"]) *checksum += num(l[0]) + num(l[1]);
    }
    ++n;
  }
  return n;
}


}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 300000;
  const int passes = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::vector<std::string> symbols = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  const std::vector<RawFrame> frames = make_frames(n, symbols);
  size_t text = 0, bytes = 0;
  sh_bench::count_frames(frames, FrameKind::kText, &text, &bytes);
  binance::BinanceConfig cfg;
  cfg.symbols = symbols;
  cfg.feed.depth_levels = 10;
  cfg.feed.log_limit_per_reason = 0;
  const sh::Host host(nullptr);  // no host: counters and logs are no-ops

  std::printf("bench_binance_parse: %zu frames (%zu WebSocket text, %.1f MB), %d passes, 1 core\n",
              frames.size(), text, static_cast<double>(bytes) / 1e6, passes);

  // 1. The plugin's decoder: parse + dedupe + book + events.
  size_t events = 0;
  std::vector<sh_market_event> out;
  out.reserve(1 << 16);
  const double t_decode = sh_bench::median_seconds(passes, [&] {
    binance::FrameDecoder dec(cfg, host, nullptr);
    events = sh_bench::decode_all(dec, frames, out);
  });
  // 2. simdjson parse only (no book, no events).
  size_t parsed_ok = 0;
  const double t_parse = sh_bench::median_seconds(passes, [&] {
    binance::FrameParser parser(symbols);
    parsed_ok = 0;
    for (const RawFrame& f : frames) {
      if (f.kind != FrameKind::kText) continue;
      const auto& r = parser.parse(f.payload.data(), f.payload.size(), f.payload.capacity());
      parsed_ok += r.type == binance::MsgType::kTrade || r.type == binance::MsgType::kBookTicker ||
                   r.type == binance::MsgType::kDepth;
    }
  });
  // 3. nlohmann::json on the same frames.
  double checksum = 0;
  size_t nl = 0;
  const double t_nl = sh_bench::median_seconds(passes, [&] { nl = nlohmann_pass(frames, &checksum); });
  const double decode_rate = static_cast<double>(text) / t_decode;
  const double parse_rate = static_cast<double>(text) / t_parse;
  const double nl_rate = static_cast<double>(nl) / t_nl;
  std::printf("  binance decoder (simdjson, book, events) %8.2f M msg/s  %6.0f MB/s  (%zu events)\n",
              decode_rate / 1e6, static_cast<double>(bytes) / t_decode / 1e6, events);
  std::printf("  simdjson parse only                      %8.2f M msg/s  (%zu known)\n",
              parse_rate / 1e6, parsed_ok);
  std::printf("  nlohmann::json parse + same fields       %8.2f M msg/s  (baseline; checksum %.0f)\n",
              nl_rate / 1e6, checksum > 0 ? 1.0 : 0.0);
  std::printf("  decoder vs nlohmann: %.1fx; target >= 1 M msg/s: %s\n", decode_rate / nl_rate,
              decode_rate >= 1e6 ? "met" : "NOT met");
  return 0;
}
