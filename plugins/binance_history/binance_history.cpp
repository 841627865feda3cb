// binance_history: daily bars from Binance Spot's REST klines endpoint
// (binance-spot-api-docs, rest-api.md "Kline/Candlestick data"):
//   GET /api/v3/klines?symbol=BTCUSDT&interval=1d&startTime=MS&endTime=MS&limit=1000
// answers an array of klines, each
//   [open time ms, "open", "high", "low", "close", "volume", close time ms,
//    "quote volume", trades, "taker buy base", "taker buy quote", "ignore"]
// at most 1000 per request (so five years take two). See README.md for the
// error handling: retries with backoff on 5xx, timeouts and truncated
// bodies; none on 400/401/403; 429/418 wait Retry-After.
#include <strategy_host/plugin.hpp>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "exchange/backoff.h"
#include "exchange/rest_client.h"

namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int kKlinesLimit = 1000;

// "BTC-USD" -> "BTCUSDT" (the runbook's crypto spelling to a Binance pair:
// the dash goes, a USD quote becomes USDT); anything else unchanged.
std::string default_pair(const std::string& symbol) {
  std::string out;
  for (char c : symbol) {
    if (c != '-') out += c;
  }
  if (symbol.find("-USD") != std::string::npos && out.size() >= 3 && out.compare(out.size() - 3, 3, "USD") == 0) {
    out += "T";
  }
  return out;
}

double decimal_field(const nlohmann::json& v, const char* what) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() && *end == '\0') return d;
  } else if (v.is_number()) {
    return v.get<double>();
  }
  throw std::runtime_error(std::string("klines: ") + what + " is not a decimal: " + v.dump());
}

std::string first_chars(const std::string& body, size_t n) {
  std::string s = body.substr(0, n);
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s + (body.size() > n ? "..." : "");
}

bool looks_like_html(const exchange::HttpResult& r) {
  if (r.content_type.find("text/html") != std::string::npos) return true;
  const size_t i = r.body.find_first_not_of(" \t\r\n");
  return i != std::string::npos && r.body[i] == '<';
}

class BinanceHistory final : public sh::Provider {
 public:
  static constexpr const char* kName = "binance_history";
  static constexpr uint32_t kAssetClasses = SH_ASSET_CRYPTO;
  static constexpr uint32_t kProviderFlags = SH_PROVIDER_HISTORY;
  // Binance Spot opened in July 2017; the klines reach back to each pair's listing.
  static constexpr uint32_t kMaxHistoryDays = 3650;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "daily history from Binance Spot REST klines (GET /api/v3/klines, interval 1d)";
  static constexpr const char* kConfigSchema = R"JSON({
    "type": "object",
    "properties": {
      "rest_url": {"type": "string", "default": "https://api.binance.com", "description": "https:// base URL"},
      "ca_file": {"type": "string", "format": "path", "default": "", "description": "PEM CA file; \"\" = the system store"},
      "timeout_ms": {"type": "integer", "minimum": 100, "default": 10000, "description": "per request"},
      "retries": {"type": "integer", "minimum": 0, "maximum": 10, "default": 4, "description": "after 5xx, timeouts, truncated bodies, 429"},
      "backoff_initial_ms": {"type": "integer", "minimum": 1, "default": 500},
      "backoff_max_ms": {"type": "integer", "minimum": 1, "default": 8000},
      "max_retry_after_ms": {"type": "integer", "minimum": 0, "default": 60000, "description": "a longer 429 Retry-After fails the symbol"},
      "symbols": {"type": "object", "additionalProperties": {"type": "string"}, "default": {}, "description": "universe symbol -> Binance pair (default: BTC-USD -> BTCUSDT)"}
    },
    "additionalProperties": false
  })JSON";

  BinanceHistory(const sh::Host& host, const nlohmann::json& config) : sh::Provider(host) {
    const sh::config::Reader r(config, kConfigSchema);
    timeout_ms_ = r.integer("timeout_ms");
    retries_ = static_cast<uint32_t>(r.integer("retries"));
    backoff_.initial_ms = r.integer("backoff_initial_ms");
    backoff_.max_ms = r.integer("backoff_max_ms");
    max_retry_after_ms_ = r.integer("max_retry_after_ms");
    if (config.contains("symbols")) {
      for (auto it = config["symbols"].begin(); it != config["symbols"].end(); ++it) {
        pairs_[it.key()] = it.value().get<std::string>();
      }
    }
    try {
      rest_ = std::make_unique<exchange::RestClient>(r.string("rest_url"), r.string("ca_file"), timeout_ms_,
                                                     "strategy-host-binance-history/1.0");
    } catch (const std::exception& e) {
      throw sh::ConfigError(std::string("binance_history: ") + e.what());
    }
  }

  sh_status poll(const sh::EventSink&, uint32_t) override { return SH_END_OF_DATA; }

  void fetch_daily(const std::string& symbol, int64_t from_ns, int64_t to_ns,
                   const sh::DailyBarSink& sink) override {
    const auto it = pairs_.find(symbol);
    const std::string pair = it != pairs_.end() ? it->second : default_pair(symbol);
    int64_t start_ms = from_ns / 1'000'000;
    const int64_t end_ms = to_ns / 1'000'000 + kDayMs - 1;
    while (start_ms <= end_ms) {
      const std::string target = "/api/v3/klines?symbol=" + pair + "&interval=1d&startTime=" +
                                 std::to_string(start_ms) + "&endTime=" + std::to_string(end_ms) +
                                 "&limit=" + std::to_string(kKlinesLimit);
      const nlohmann::json klines = get_json(target);
      std::vector<sh_daily_bar> bars;
      int64_t last_open_ms = -1;
      for (const auto& k : klines) {
        if (!k.is_array() || k.size() < 7 || !k[0].is_number_integer()) {
          throw std::runtime_error("GET " + target + ": a kline is not [open time, open, high, low, close, volume, close time, ...]: " +
                                   first_chars(k.dump(), 80));
        }
        sh_daily_bar b{};
        b.struct_size = sizeof b;
        last_open_ms = k[0].get<int64_t>();
        b.day_ts_ns = (last_open_ms / kDayMs) * kDayMs * 1'000'000;
        b.open = decimal_field(k[1], "open");
        b.high = decimal_field(k[2], "high");
        b.low = decimal_field(k[3], "low");
        b.close = decimal_field(k[4], "close");
        b.adj_close = b.close;  // no corporate actions on a spot pair
        b.volume = decimal_field(k[5], "volume");
        bars.push_back(b);
      }
      if (!bars.empty()) sink.emit(bars.data(), static_cast<uint32_t>(bars.size()));
      if (klines.size() < static_cast<size_t>(kKlinesLimit) || last_open_ms < start_ms) break;
      start_ms = last_open_ms + kDayMs;
    }
  }

 private:
  // One GET with the error policy of README.md; the parsed JSON array.
  nlohmann::json get_json(const std::string& target) {
    std::string last;
    for (uint32_t attempt = 0;; ++attempt) {
      const exchange::HttpResult r = rest_->request("GET", target, "");
      int64_t wait_ms = -1;
      if (r.outcome != exchange::HttpResult::kResponse) {
        last = r.error;
      } else if (r.status == 200) {
        if (looks_like_html(r)) {
          throw std::runtime_error("GET " + target + ": HTTP 200 with an HTML page instead of JSON: " +
                                   first_chars(r.body, 80));
        }
        nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
        if (!j.is_discarded() && j.is_array()) return j;
        last = j.is_discarded() ? "truncated or malformed JSON (" + std::to_string(r.body.size()) +
                                      " bytes): " + first_chars(r.body, 60)
                                : "HTTP 200 but not a JSON array: " + first_chars(r.body, 80);
      } else if (r.status == 400 || r.status == 401 || r.status == 403) {
        const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
        const std::string what = "GET " + target + ": HTTP " + std::to_string(r.status) + " " +
                                 (looks_like_html(r) ? "(an HTML page) " : "") + first_chars(r.body, 120);
        if (r.status == 400 && j.is_object() && j.value("code", 0) == -1121) throw sh::InvalidArgument(what);
        throw sh::NotEntitled(what);  // never retried
      } else if (r.status == 429 || r.status == 418) {
        last = "HTTP " + std::to_string(r.status) + " (rate limited)";
        wait_ms = r.retry_after.empty() ? -1 : std::atoll(r.retry_after.c_str()) * 1000;
        if (wait_ms > max_retry_after_ms_) {
          throw std::runtime_error("GET " + target + ": HTTP " + std::to_string(r.status) + " Retry-After " +
                                   r.retry_after + " s, longer than max_retry_after_ms");
        }
      } else if (r.status >= 500) {
        last = "HTTP " + std::to_string(r.status) + (looks_like_html(r) ? " (an HTML error page)" : "") + " " +
               first_chars(r.body, 80);
      } else {
        throw std::runtime_error("GET " + target + ": HTTP " + std::to_string(r.status) + " " + first_chars(r.body, 120));
      }
      if (attempt >= retries_) {
        throw std::runtime_error("GET " + target + ": " + last + " (after " + std::to_string(attempt + 1) + " tries)");
      }
      if (wait_ms < 0) wait_ms = static_cast<int64_t>(exchange::backoff_delay_ms(backoff_, attempt, rng_));
      host().warn("binance_history: GET " + target + ": " + last + "; retry " + std::to_string(attempt + 1) +
                  " in " + std::to_string(wait_ms) + " ms");
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
  }

  std::unique_ptr<exchange::RestClient> rest_;
  int64_t timeout_ms_ = 10000;
  uint32_t retries_ = 4;
  exchange::BackoffConfig backoff_;
  int64_t max_retry_after_ms_ = 60000;
  std::map<std::string, std::string> pairs_;
  std::mt19937_64 rng_{42};
};

}  // namespace

SH_EXPORT_PLUGIN(BinanceHistory)
