// circuit_breaker: a risk policy with the runbook's three states.
//
//   CLOSED     normal: intents pass untouched.
//   OPEN       tripped: every intent that increases |exposure| is DENIED with
//              SH_REASON_CIRCUIT_OPEN (503) and a detail naming the trip
//              ("circuit OPEN: VaR 2.60% > 2.50%"); reductions pass.
//   HALF_OPEN  after a manual reset: limited trading to test. For
//              half_open_batches batches, intents that add exposure are
//              SCALED by half_open_scale (reason SH_REASON_CIRCUIT_OPEN; no
//              verdict when the scale is 1). The first batch after the trial
//              with healthy conditions closes the breaker.
//
// Transitions, evaluated at the start of each batch from sh_portfolio_state
// (the trial's effect on VaR and latency is what the next batch sees):
//   CLOSED    -> OPEN       var_pct > var_trip_pct (2.5) or
//                           decision_latency_ms > latency_trip_ms (100);
//   OPEN      -> HALF_OPEN  set_config({"reset": true}) (the operator's reset;
//                           a config whose only key is "reset" keeps the
//                           serving parameters); a reset in any other state is
//                           ignored and logged;
//   HALF_OPEN -> OPEN       any trip condition;
//   HALF_OPEN -> CLOSED     healthy conditions after half_open_batches trial batches.
// There is no automatic OPEN -> HALF_OPEN: reopening needs a person. Every
// transition is logged through the host (WARN into OPEN, INFO otherwise). A
// null var_pct or latency is "not measured" and does not trip. The state
// survives set_config.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace {

enum class State { kClosed, kOpen, kHalfOpen };

// Defaults and ranges: kConfigSchema.
struct Config {
  double var_trip_pct{};
  double latency_trip_ms{};
  double half_open_scale{};
  int64_t half_open_batches{};
  bool reset{};  // one-shot command, not a parameter
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  c.var_trip_pct = r.number("var_trip_pct");
  c.latency_trip_ms = r.number("latency_trip_ms");
  c.half_open_scale = r.number("half_open_scale");
  c.half_open_batches = r.integer("half_open_batches");
  c.reset = r.boolean("reset");
  return c;
}

bool is_command(const sh::Json& j) { return j.is_object() && j.size() == 1 && j.contains("reset"); }

const char* state_name(State s) {
  switch (s) {
    case State::kClosed: return "CLOSED";
    case State::kOpen: return "OPEN";
    case State::kHalfOpen: return "HALF_OPEN";
  }
  return "?";
}

class CircuitBreaker final : public sh::RiskPolicy {
 public:
  static constexpr const char* kName = "circuit_breaker";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "CLOSED/OPEN/HALF_OPEN breaker: opens on VaR or decision latency, half-opens on manual "
      "reset, closes after a healthy trial (CIRCUIT_OPEN)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "circuit_breaker",
  "type": "object",
  "properties": {
    "var_trip_pct": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 2.5,
                     "description": "portfolio VaR (% of equity) above which the breaker opens"},
    "latency_trip_ms": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600000, "default": 100,
                        "description": "decision latency (ms) above which the breaker opens"},
    "half_open_scale": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5,
                        "description": "scale on intents adding exposure during the HALF_OPEN trial"},
    "half_open_batches": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 1,
                          "description": "trial batches in HALF_OPEN before a healthy batch closes the breaker"},
    "reset": {"type": "boolean", "default": false,
              "description": "true moves OPEN to HALF_OPEN; {\"reset\": true} alone keeps the serving parameters"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;
  static constexpr bool kDurableState = true;

  // Durable: an OPEN (or HALF_OPEN) breaker stays so across a restart; only a
  // person reopens it.
  std::string save_state() const override {
    return sh::Json{{"state", state_name(state_)}, {"open_reason", open_reason_},
                    {"trial_batches", trial_batches_}}
        .dump();
  }
  void load_state(const std::string& bytes) override {
    const sh::Json j = sh::Json::parse(bytes);
    const std::string s = j.at("state").get<std::string>();
    State next;
    if (s == "CLOSED") next = State::kClosed;
    else if (s == "OPEN") next = State::kOpen;
    else if (s == "HALF_OPEN") next = State::kHalfOpen;
    else throw std::runtime_error("unknown breaker state '" + s + "'");
    open_reason_ = j.at("open_reason").get<std::string>();
    trial_batches_ = j.at("trial_batches").get<int64_t>();
    state_ = next;
    if (state_ != State::kClosed)
      host().warn(std::string("circuit ") + state_name(state_) + " restored from the store (opened on " +
                  open_reason_ + ")");
  }


  CircuitBreaker(const sh::Host& host, const sh::Json& config)
      : sh::RiskPolicy(host), c_(parse_config(config, kConfigSchema)), trips_(host.counter("trips")) {}

  void set_config(const sh::Json& config) override {
    const Config parsed = parse_config(config, kConfigSchema);
    if (!is_command(config)) c_ = parsed;
    if (!parsed.reset) return;
    if (state_ == State::kOpen) {
      transition(State::kHalfOpen, "manual reset");
      trial_batches_ = 0;
    } else {
      host().info(std::string("circuit reset ignored: breaker is ") + state_name(state_));
    }
  }

  void evaluate(const sh::OrderIntents& intents, const sh_portfolio_state& pf,
                const sh::VerdictsOut& out) override {
    char trip[64] = "";
    if (std::isfinite(pf.var_pct) && pf.var_pct > c_.var_trip_pct)
      std::snprintf(trip, sizeof trip, "VaR %.2f%% > %.2f%%", pf.var_pct, c_.var_trip_pct);
    else if (std::isfinite(pf.decision_latency_ms) && pf.decision_latency_ms > c_.latency_trip_ms)
      std::snprintf(trip, sizeof trip, "latency %.0fms > %.0fms", pf.decision_latency_ms,
                    c_.latency_trip_ms);
    const bool tripped = trip[0] != '\0';

    bool trial = false;
    switch (state_) {
      case State::kClosed:
        if (tripped) open(trip);
        break;
      case State::kOpen:
        break;
      case State::kHalfOpen:
        if (tripped) open(trip);
        else if (trial_batches_ >= c_.half_open_batches) transition(State::kClosed, "healthy after trial");
        else {
          ++trial_batches_;
          trial = true;
        }
        break;
    }
    if (state_ == State::kClosed) return;
    if (trial && !(c_.half_open_scale < 1.0)) return;

    char detail[sh::kDetailCapacity];
    if (trial)
      std::snprintf(detail, sizeof detail, "circuit HALF_OPEN: trial %lld/%lld at x%.2f",
                    static_cast<long long>(trial_batches_),
                    static_cast<long long>(c_.half_open_batches), c_.half_open_scale);
    else
      std::snprintf(detail, sizeof detail, "circuit OPEN: %s", open_reason_.c_str());
    const uint32_t n = intents.size() < out.size() ? intents.size() : out.size();
    const sh::PositionIndex positions(pf);  // one lookup table per batch
    for (uint32_t i = 0; i < n; ++i) {
      if (!sh::increases_exposure(intents[i], positions)) continue;
      if (trial) sh::set_verdict(out[i], SH_RISK_SCALE, SH_REASON_CIRCUIT_OPEN, c_.half_open_scale, detail);
      else sh::set_verdict(out[i], SH_RISK_DENY, SH_REASON_CIRCUIT_OPEN, 0.0, detail);
    }
  }

 private:
  void open(const char* why) {
    open_reason_ = why;
    host().add(trips_);
    transition(State::kOpen, why);
  }

  void transition(State next, const std::string& why) {
    const std::string msg = std::string("circuit ") + state_name(state_) + " -> " +
                            state_name(next) + ": " + why;
    if (next == State::kOpen) host().warn(msg);
    else host().info(msg);
    state_ = next;
  }

  Config c_;
  uint32_t trips_;
  State state_ = State::kClosed;
  std::string open_reason_;  // the trip that opened the breaker last
  int64_t trial_batches_ = 0;
};

}  // namespace

SH_EXPORT_PLUGIN(CircuitBreaker)
