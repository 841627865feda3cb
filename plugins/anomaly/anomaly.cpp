// anomaly: an expert that turns unusually large feature z-scores into
// directional evidence. The anomaly score is s = max |z| over the configured
// fields (default z_ret, z_volume, z_spread; null fields are skipped). Below
// z_threshold the row abstains. Above it the confidence grows linearly,
//
//   c = min(1, (s - z_threshold) / (z_full - z_threshold)),
//
// and the direction is the sign of z_ret (mode "follow", the default) or its
// opposite (mode "fade", for mean reversion): prob = 0.5 +- c / 2, so
// confidence = |prob_long - prob_short|. A null z_ret has no direction:
// abstain. z_ret == 0 gives prob 0.5 / 0.5 and confidence 0.
#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

namespace {

enum class Field { kZRet, kZVolume, kZSpread };
enum class Mode { kFollow, kFade };

// Defaults and ranges: kConfigSchema.
struct Params {
  std::vector<Field> fields;
  double z_threshold{};  // s below this: abstain
  double z_full{};       // s at which confidence reaches 1, > z_threshold
  Mode mode{};
};

Params parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Params p;
  p.fields = r.choice_list<Field>(
      "fields", {{"z_ret", Field::kZRet}, {"z_volume", Field::kZVolume}, {"z_spread", Field::kZSpread}});
  p.z_threshold = r.number("z_threshold");
  p.z_full = r.number("z_full");
  p.mode = r.choice<Mode>("mode", {{"follow", Mode::kFollow}, {"fade", Mode::kFade}});
  if (!(p.z_full > p.z_threshold)) throw sh::ConfigError("z_full must be > z_threshold");
  return p;
}

double field_value(const sh_feature_row& row, Field f) {
  switch (f) {
    case Field::kZRet: return SH_ROW_FIELD(row, z_ret);
    case Field::kZVolume: return SH_ROW_FIELD(row, z_volume);
    case Field::kZSpread: return SH_ROW_FIELD(row, z_spread);
  }
  return sh::kNull;
}

inline bool has_field(const sh_evidence& e, size_t field_end) { return e.struct_size >= field_end; }

class Anomaly final : public sh::Expert {
 public:
  static constexpr const char* kName = "anomaly";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Confidence from the largest |z| of z_ret/z_volume/z_spread, direction from the sign of "
      "z_ret (follow or fade); abstains below the threshold";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "anomaly",
  "type": "object",
  "properties": {
    "fields": {"type": "array", "minItems": 1, "uniqueItems": true,
               "items": {"type": "string", "enum": ["z_ret", "z_volume", "z_spread"]},
               "default": ["z_ret", "z_volume", "z_spread"],
               "description": "z-scores whose largest |value| is the anomaly score"},
    "z_threshold": {"type": "number", "exclusiveMinimum": 0, "default": 3.0,
                    "description": "score below this: abstain"},
    "z_full": {"type": "number", "exclusiveMinimum": 0, "default": 6.0,
               "description": "score at which confidence reaches 1; > z_threshold"},
    "mode": {"type": "string", "enum": ["follow", "fade"], "default": "follow",
             "description": "follow: lean with the sign of z_ret; fade: against it"}
  },
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  Anomaly(const sh::Host& host, const sh::Json& config)
      : sh::Expert(host), p_(parse_config(config, kConfigSchema)) {}

  void set_config(const sh::Json& config) override { p_ = parse_config(config, kConfigSchema); }

  void evaluate(const sh::FeatureRows& rows, const sh_market_context&,
                const sh::EvidenceOut& out) override {
    const uint32_t n = rows.size() < out.size() ? rows.size() : out.size();
    for (uint32_t i = 0; i < n; ++i) {
      const sh_feature_row& row = rows[i];
      const double zr = SH_ROW_FIELD(row, z_ret);
      if (!std::isfinite(zr)) continue;
      double s = -1.0;
      for (Field f : p_.fields) {
        const double z = field_value(row, f);
        if (std::isfinite(z)) s = std::fmax(s, std::fabs(z));
      }
      if (s < p_.z_threshold) continue;
      const double c = std::fmin(1.0, (s - p_.z_threshold) / (p_.z_full - p_.z_threshold));
      double dir = zr > 0 ? 1.0 : (zr < 0 ? -1.0 : 0.0);
      if (p_.mode == Mode::kFade) dir = -dir;

      sh_evidence& e = out[i];
      if (!has_field(e, offsetof(sh_evidence, confidence) + sizeof(double))) continue;
      e.symbol = row.symbol;
      e.flags &= ~SH_EVIDENCE_FLAG_ABSTAIN;
      e.prob_long = 0.5 + dir * c / 2;
      e.prob_short = 1.0 - e.prob_long;
      e.confidence = std::fabs(e.prob_long - e.prob_short);
    }
  }

 private:
  Params p_;
};

}  // namespace

SH_EXPORT_PLUGIN(Anomaly)
