// fsm_regime: an expert that keeps a finite-state regime per symbol (calm,
// trending_up, trending_down, volatile) from rv_5, mom_20 and z_ret, with
// separate enter and exit thresholds (hysteresis) so a regime does not flicker
// at a boundary, and turns the regime into evidence:
//
//   trending_up / trending_down: lean with the trend, confidence
//                                c = min(1, |mom_20| / trend_full),
//                                prob = 0.5 +- c / 2;
//   calm:                        no lean, prob_long = prob_short = 0.5, c = 0;
//   volatile:                    stay out: prob_long = prob_short = 0.25 (half
//                                the mass on "neither"), c = 0.
//
// Transitions, checked in this order each minute:
//   any -> volatile     when rv_5 >= vol_enter or |z_ret| >= z_shock;
//   volatile stays      until rv_5 < vol_exit and |z_ret| < z_shock, then the
//                       trend rules below run from calm;
//   calm -> trending_*  when |mom_20| >= trend_enter (sign gives the side);
//   trending_up stays   while mom_20 > trend_exit; flips to trending_down when
//                       mom_20 <= -trend_enter, else falls back to calm (and
//                       symmetrically for trending_down).
// A row with a null rv_5 or mom_20 abstains and leaves the state unchanged; a
// null z_ret is no shock. The state survives set_config.
#include <strategy_host/json_text.hpp>
#include <strategy_host/plugin.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

enum class Regime { kCalm, kTrendingUp, kTrendingDown, kVolatile };

// Defaults and ranges: kConfigSchema.
struct Params {
  double vol_enter{};    // rv_5 (per-minute log-return std) entering volatile
  double vol_exit{};     // rv_5 below which volatile is left, <= vol_enter
  double trend_enter{};  // |mom_20| entering a trend
  double trend_exit{};   // |mom_20| at or below which a trend ends, <= trend_enter
  double trend_full{};   // |mom_20| giving confidence 1 in a trend, >= trend_enter
  double z_shock{};      // |z_ret| forcing volatile
};

Params parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Params p;
  p.vol_enter = r.number("vol_enter");
  p.vol_exit = r.number("vol_exit");
  p.trend_enter = r.number("trend_enter");
  p.trend_exit = r.number("trend_exit");
  p.trend_full = r.number("trend_full");
  p.z_shock = r.number("z_shock");
  if (p.vol_exit > p.vol_enter) throw sh::ConfigError("vol_exit must be <= vol_enter");
  if (p.trend_exit > p.trend_enter) throw sh::ConfigError("trend_exit must be <= trend_enter");
  if (p.trend_full < p.trend_enter) throw sh::ConfigError("trend_full must be >= trend_enter");
  return p;
}

const char* regime_name(Regime r) {
  switch (r) {
    case Regime::kCalm: return "calm";
    case Regime::kTrendingUp: return "trending_up";
    case Regime::kTrendingDown: return "trending_down";
    case Regime::kVolatile: return "volatile";
  }
  return "?";
}

Regime next_regime(Regime cur, const Params& p, double rv, double mom, double z) {
  const bool shock = !sh::is_null(z) && std::fabs(z) >= p.z_shock;
  if (rv >= p.vol_enter || shock) return Regime::kVolatile;
  if (cur == Regime::kVolatile) {
    if (rv >= p.vol_exit) return Regime::kVolatile;
    cur = Regime::kCalm;
  }
  switch (cur) {
    case Regime::kTrendingUp:
      if (mom > p.trend_exit) return Regime::kTrendingUp;
      return mom <= -p.trend_enter ? Regime::kTrendingDown : Regime::kCalm;
    case Regime::kTrendingDown:
      if (mom < -p.trend_exit) return Regime::kTrendingDown;
      return mom >= p.trend_enter ? Regime::kTrendingUp : Regime::kCalm;
    default:
      if (mom >= p.trend_enter) return Regime::kTrendingUp;
      if (mom <= -p.trend_enter) return Regime::kTrendingDown;
      return Regime::kCalm;
  }
}

inline bool has_field(const sh_evidence& e, size_t field_end) { return e.struct_size >= field_end; }

class FsmRegime final : public sh::Expert {
 public:
  static constexpr const char* kName = "fsm_regime";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Per-symbol regime state machine (calm/trending_up/trending_down/volatile) with "
      "hysteresis; leans with trends, stays out when volatile";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "fsm_regime",
  "type": "object",
  "properties": {
    "vol_enter": {"type": "number", "exclusiveMinimum": 0, "default": 0.003,
                  "description": "rv_5 (per-minute log-return std) at or above which the regime is volatile"},
    "vol_exit": {"type": "number", "exclusiveMinimum": 0, "default": 0.002,
                 "description": "rv_5 below which volatile is left; <= vol_enter"},
    "trend_enter": {"type": "number", "exclusiveMinimum": 0, "default": 0.01,
                    "description": "|mom_20| (fraction) at or above which a trend starts"},
    "trend_exit": {"type": "number", "minimum": 0, "default": 0.005,
                   "description": "|mom_20| at or below which a trend ends; <= trend_enter"},
    "trend_full": {"type": "number", "exclusiveMinimum": 0, "default": 0.03,
                   "description": "|mom_20| giving confidence 1 in a trend; >= trend_enter"},
    "z_shock": {"type": "number", "exclusiveMinimum": 0, "default": 4.0,
                "description": "|z_ret| at or above which the regime is volatile at once"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  FsmRegime(const sh::Host& host, const sh::Json& config)
      : sh::Expert(host), p_(parse_config(config, kConfigSchema)) {
    for (int r = 0; r < 4; ++r)
      counters_[r] = host.counter(std::string("enter.") + regime_name(static_cast<Regime>(r)));
  }

  static constexpr bool kDurableState = true;

  // Thresholds change; every symbol keeps its current regime.
  void set_config(const sh::Json& config) override { p_ = parse_config(config, kConfigSchema); }

  // Durable: {"regimes": {symbol name: regime}}, so a restarted host does not
  // start every symbol calm (symbols by name: ids are interned per process).
  // Rebuilt only after a regime changed.
  std::string save_state() const override {
    if (!dirty_) return saved_;
    // Written directly (sh::json_text), in name order as an sh::Json object
    // would dump it: the same bytes, without a node per symbol.
    std::vector<std::pair<std::string_view, int8_t>> named;
    named.reserve(state_.size());
    for (size_t id = 0; id < state_.size(); ++id) {
      if (state_[id] == kNoState) continue;
      const char* name = host().symbol_name(static_cast<sh_symbol_id>(id));
      if (name != nullptr && *name != '\0') named.emplace_back(name, state_[id]);
    }
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                named.end());
    saved_.clear();
    saved_ += "{\"regimes\":{";
    const char* sep = "";
    for (const auto& [name, regime] : named) {
      saved_ += sep;
      sep = ",";
      sh::json_text::put_string(saved_, name);
      saved_ += ':';
      sh::json_text::put_string(saved_, regime_name(static_cast<Regime>(regime)));
    }
    saved_ += "}}";
    dirty_ = false;
    return saved_;
  }
  void load_state(const std::string& bytes) override {
    const sh::Json j = sh::Json::parse(bytes);
    std::vector<int8_t> state;
    for (const auto& [name, regime] : j.at("regimes").items()) {
      const std::string r = regime.get<std::string>();
      int8_t v = kNoState;
      for (int k = 0; k < 4; ++k)
        if (r == regime_name(static_cast<Regime>(k))) v = static_cast<int8_t>(k);
      if (v == kNoState) throw std::runtime_error("unknown regime '" + r + "' for " + name);
      const sh_symbol_id id = host().intern(name);
      if (id >= state.size()) state.resize(static_cast<size_t>(id) + 1, kNoState);
      state[id] = v;
    }
    state_ = std::move(state);
    dirty_ = true;
  }

  void evaluate(const sh::FeatureRows& rows, const sh_market_context&,
                const sh::EvidenceOut& out) override {
    const uint32_t n = rows.size() < out.size() ? rows.size() : out.size();
    for (uint32_t i = 0; i < n; ++i) {
      const sh_feature_row& row = rows[i];
      const double rv = SH_ROW_FIELD(row, rv_5);
      const double mom = SH_ROW_FIELD(row, mom_20);
      if (sh::is_null(rv) || sh::is_null(mom) || !std::isfinite(rv) || !std::isfinite(mom))
        continue;
      // Symbol ids are small host-interned integers (dense, from 1): the
      // state is a flat table by id (kNoState: no regime yet). An absurd id
      // that cannot be allocated throws, and the SDK turns that into an
      // error for this call (the expert abstains).
      if (row.symbol >= state_.size()) state_.resize(static_cast<size_t>(row.symbol) + 1, kNoState);
      int8_t& slot = state_[row.symbol];
      const bool seen = slot != kNoState;
      const Regime cur = seen ? static_cast<Regime>(slot) : Regime::kCalm;
      const Regime next = next_regime(cur, p_, rv, mom, SH_ROW_FIELD(row, z_ret));
      slot = static_cast<int8_t>(next);
      if (next != cur || !seen) {
        host().add(counters_[static_cast<int>(next)]);
        dirty_ = true;
      }

      sh_evidence& e = out[i];
      if (!has_field(e, offsetof(sh_evidence, confidence) + sizeof(double))) continue;
      double pl = 0.5, ps = 0.5, c = 0.0;
      if (next == Regime::kTrendingUp || next == Regime::kTrendingDown) {
        c = std::fmin(1.0, std::fabs(mom) / p_.trend_full);
        pl = next == Regime::kTrendingUp ? 0.5 + c / 2 : 0.5 - c / 2;
        ps = 1.0 - pl;
      } else if (next == Regime::kVolatile) {
        pl = ps = 0.25;
      }
      e.symbol = row.symbol;
      e.flags &= ~SH_EVIDENCE_FLAG_ABSTAIN;
      e.prob_long = pl;
      e.prob_short = ps;
      e.confidence = c;
    }
  }

 private:
  Params p_;
  static constexpr int8_t kNoState = -1;
  std::vector<int8_t> state_;  // Regime by symbol id, kNoState before the first row
  mutable std::string saved_;  // save_state's last bytes
  mutable bool dirty_ = true;  // a regime changed since
  uint32_t counters_[4] = {0, 0, 0, 0};
};

}  // namespace

SH_EXPORT_PLUGIN(FsmRegime)
