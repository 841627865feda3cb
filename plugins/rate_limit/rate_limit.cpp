// rate_limit: a risk policy that bounds how many intents pass per rolling
// window of event time, globally and per symbol (runbook: 429 RATE_LIMITED).
//
// Time is the intent's ts_ns (the portfolio's ts_ns when the intent has none),
// never the wall clock, so replays agree; it is made monotone (a timestamp
// older than one already seen counts as that latest time). The window is the
// half-open interval (now - window_ms, now]: an intent that passed exactly
// window_ms ago no longer counts. Intents are taken in batch order; an intent
// is DENIED with SH_REASON_RATE_LIMITED when max_intents have already passed
// in the window, or max_intents_per_symbol for its symbol (0 disables either
// limit). Only intents this policy lets through use up the budget. The limit
// applies to every intent, reductions included: it protects the order path,
// not the book. The windows live in the instance and survive set_config.
#include <strategy_host/plugin.hpp>

#include <cstdint>
#include <cstdio>
#include <deque>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace {

// Defaults and ranges: kConfigSchema.
struct Config {
  int64_t window_ms{};
  int64_t max_intents{};             // global per window, 0 = no limit
  int64_t max_intents_per_symbol{};  // per symbol per window, 0 = no limit
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.window_ms = r.integer("window_ms");
  c.max_intents = r.integer("max_intents");
  c.max_intents_per_symbol = r.integer("max_intents_per_symbol");
  return c;
}

class RateLimit final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "rate_limit";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Denies intents beyond max_intents (global) or max_intents_per_symbol per rolling "
      "event-time window (RATE_LIMITED)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "rate_limit",
  "type": "object",
  "properties": {
    "window_ms": {"type": "integer", "minimum": 1, "maximum": 604800000, "default": 60000,
                  "description": "rolling window of event time, ms"},
    "max_intents": {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 100,
                    "description": "intents allowed per window over all symbols; 0 = no limit"},
    "max_intents_per_symbol": {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 10,
                               "description": "intents allowed per window per symbol; 0 = no limit"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;
  static constexpr bool kDurableState = true;

  // Durable: the rolling windows survive a restart (symbols by name: ids are
  // interned per process).
  std::string save_state() const override {
    sh::Json per = sh::Json::object();
    for (const auto& [id, q] : per_symbol_) {
      if (q.empty()) continue;
      const char* name = host().symbol_name(id);
      if (name != nullptr && *name != '\0') per[name] = std::vector<int64_t>(q.begin(), q.end());
    }
    return sh::Json{{"now_ns", now_ns_}, {"global", std::vector<int64_t>(global_.begin(), global_.end())},
                    {"per_symbol", per}}
        .dump();
  }
  void load_state(const std::string& bytes) override {
    const sh::Json j = sh::Json::parse(bytes);
    const auto global = j.at("global").get<std::vector<int64_t>>();
    std::map<sh_symbol_id, std::deque<int64_t>> per;
    for (const auto& [name, times] : j.at("per_symbol").items()) {
      const auto t = times.get<std::vector<int64_t>>();
      per[host().intern(name)] = std::deque<int64_t>(t.begin(), t.end());
    }
    now_ns_ = j.at("now_ns").get<int64_t>();
    global_.assign(global.begin(), global.end());
    per_symbol_ = std::move(per);
  }


  RateLimit(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), c_(parse_config(config, kConfigSchema)), denied_(host.counter("denied")) {}

  void set_config(const sh::Json& config) override { c_ = parse_config(config, kConfigSchema); }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& pf,
                const sh::VerdictsOut& out) override {
    const int64_t window_ns = c_.window_ms * 1000000LL;
    const uint32_t n = intents.size() < out.size() ? intents.size() : out.size();
    int64_t denied = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const sh_order_intent& in = intents[i];
      const int64_t t = in.ts_ns != 0 ? in.ts_ns : pf.ts_ns;
      if (t > now_ns_) now_ns_ = t;
      const int64_t cutoff = now_ns_ - window_ns;  // entries at or before this have expired
      prune(global_, cutoff);
      std::deque<int64_t>& mine = per_symbol_[in.symbol];
      prune(mine, cutoff);

      char detail[sh::kDetailCapacity];
      if (c_.max_intents > 0 && static_cast<int64_t>(global_.size()) >= c_.max_intents) {
        std::snprintf(detail, sizeof detail, "%lld intents in %lldms >= max %lld",
                      static_cast<long long>(global_.size()), static_cast<long long>(c_.window_ms),
                      static_cast<long long>(c_.max_intents));
      } else if (c_.max_intents_per_symbol > 0 &&
                 static_cast<int64_t>(mine.size()) >= c_.max_intents_per_symbol) {
        std::snprintf(detail, sizeof detail, "%s %lld intents in %lldms >= max %lld",
                      host().symbol_name(in.symbol), static_cast<long long>(mine.size()),
                      static_cast<long long>(c_.window_ms),
                      static_cast<long long>(c_.max_intents_per_symbol));
      } else {
        global_.push_back(now_ns_);
        mine.push_back(now_ns_);
        continue;
      }
      sh::set_verdict(out[i], SH_RISK_DENY, SH_REASON_RATE_LIMITED, 0.0, detail);
      ++denied;
    }
    if (denied) host().add(denied_, denied);
    // Forget symbols whose window emptied, so the map tracks active symbols only.
    for (auto it = per_symbol_.begin(); it != per_symbol_.end();) {
      prune(it->second, now_ns_ - window_ns);
      it = it->second.empty() ? per_symbol_.erase(it) : std::next(it);
    }
  }

 private:
  static void prune(std::deque<int64_t>& q, int64_t cutoff) {
    while (!q.empty() && q.front() <= cutoff) q.pop_front();
  }

  Config c_;
  uint32_t denied_;
  int64_t now_ns_ = 0;          // latest event time seen (monotone)
  std::deque<int64_t> global_;  // pass times, ascending
  std::map<sh_symbol_id, std::deque<int64_t>> per_symbol_;
};

}  // namespace

SH_EXPORT_PLUGIN(RateLimit)
