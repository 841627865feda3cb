// classifier: an expert that scores each row with a logistic model loaded from
// a JSON file:
//
//   {"model_version": "20241201_143022",
//    "features": ["z_ret", "mom_20", "rsi_14"],
//    "weights":  [0.8, 12.0, 0.01],
//    "bias": -0.5}
//
// prob_long = sigmoid(w . x + b), prob_short = 1 - prob_long,
// confidence = |2 prob_long - 1|. Feature names are sh_feature_row field names.
// Other top-level keys (e.g. "trained_at", "description") are kept as
// metadata and ignored.
//
// Loading is all-or-nothing: a missing, unreadable, oversized or malformed
// file, a missing or empty model_version, an unknown or repeated feature, a
// weights/features length mismatch or a non-finite number refuses create (and
// set_config, which keeps the serving model) with SH_ERR_CONFIG and a message
// that names the file and the reason.
//
// Reporting the model_version: it is logged at INFO on every load
// ("model_version=... loaded from ..."), and every scored row is counted under
// the counter "model_version.<version>.scored", so both the log and the
// metrics say which model produced the evidence.
//
// A row abstains when any of the model's features is null or the logit is not
// finite; NaN is never written. set_config always re-reads the file, so
// publishing the same config after replacing the file reloads the model.
#include <strategy_host/plugin.hpp>

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr size_t kMaxModelBytes = 1 << 20;  // a logistic model is tiny; refuse anything larger

struct FeatureField {
  const char* name;
  size_t offset;  // offsetof(sh_feature_row, name)
};

#define SH_FIELD(f) {#f, offsetof(sh_feature_row, f)}
const FeatureField kFields[] = {
    SH_FIELD(open),        SH_FIELD(high),         SH_FIELD(low),
    SH_FIELD(close),       SH_FIELD(volume),       SH_FIELD(vwap),
    SH_FIELD(trade_count), SH_FIELD(log_ret),      SH_FIELD(mom_20),
    SH_FIELD(rv_5),        SH_FIELD(rsi_14),       SH_FIELD(atr_14),
    SH_FIELD(ema_20),      SH_FIELD(spread_bps),   SH_FIELD(l2_imbalance),
    SH_FIELD(book_staleness_ms), SH_FIELD(ingest_lag_ms), SH_FIELD(z_ret),
    SH_FIELD(z_volume),    SH_FIELD(z_spread),     SH_FIELD(q_ret),
    SH_FIELD(q_volume),    SH_FIELD(q_spread),     SH_FIELD(rs_benchmark),
};
#undef SH_FIELD

struct Model {
  std::string path;
  std::string version;
  std::vector<std::string> names;
  std::vector<size_t> offsets;  // into sh_feature_row, parallel to weights
  std::vector<double> weights;
  double bias = 0.0;
};

std::string read_file(const std::string& path) {
  errno = 0;
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    const int err = errno;
    throw sh::ConfigError("model_path '" + path + "': cannot open: " +
                          (err ? std::strerror(err) : "unknown error"));
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.size() > kMaxModelBytes)
    throw sh::ConfigError("model_path '" + path + "': file larger than 1 MiB");
  return s;
}

double finite_number(const sh::Json& v, const std::string& path, const std::string& what) {
  if (!v.is_number()) throw sh::ConfigError("model_path '" + path + "': " + what + " must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x)) throw sh::ConfigError("model_path '" + path + "': " + what + " is not finite");
  return x;
}

Model load_model(const std::string& path) {
  const std::string text = read_file(path);
  sh::Json j;
  try {
    j = sh::Json::parse(text);
  } catch (const sh::Json::parse_error& e) {
    throw sh::ConfigError("model_path '" + path + "': malformed JSON: " + e.what());
  }
  auto bad = [&](const std::string& why) { return sh::ConfigError("model_path '" + path + "': " + why); };
  if (!j.is_object()) throw bad("model must be a JSON object");
  for (const char* key : {"model_version", "features", "weights", "bias"})
    if (!j.contains(key)) throw bad(std::string("missing key '") + key + "'");

  Model m;
  m.path = path;
  const sh::Json& ver = j["model_version"];
  if (!ver.is_string() || ver.get<std::string>().empty())
    throw bad("model_version must be a non-empty string");
  m.version = ver.get<std::string>();

  const sh::Json& feats = j["features"];
  const sh::Json& w = j["weights"];
  if (!feats.is_array() || feats.empty()) throw bad("features must be a non-empty array");
  if (!w.is_array()) throw bad("weights must be an array");
  if (w.size() != feats.size())
    throw bad("weights has " + std::to_string(w.size()) + " entries, features has " +
              std::to_string(feats.size()));
  for (size_t i = 0; i < feats.size(); ++i) {
    if (!feats[i].is_string()) throw bad("features[" + std::to_string(i) + "] must be a string");
    const std::string name = feats[i].get<std::string>();
    const FeatureField* found = nullptr;
    for (const FeatureField& f : kFields)
      if (name == f.name) found = &f;
    if (found == nullptr) throw bad("unknown feature '" + name + "'");
    for (const std::string& prev : m.names)
      if (prev == name) throw bad("feature '" + name + "' listed twice");
    m.names.push_back(name);
    m.offsets.push_back(found->offset);
    m.weights.push_back(finite_number(w[i], path, "weights[" + std::to_string(i) + "]"));
  }
  m.bias = finite_number(j["bias"], path, "bias");
  return m;
}

struct Config {
  Model model;
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);  // model_path is required and non-empty
  return Config{load_model(r.string("model_path"))};
}

inline bool has_field(const sh_evidence& e, size_t field_end) { return e.struct_size >= field_end; }

class Classifier final : public sh::Expert {
 public:
  static constexpr const char* kName = "classifier";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Logistic model loaded from a JSON file (model_version, features, weights, bias); "
      "prob_long = sigmoid(w.x + b)";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "classifier",
  "type": "object",
  "properties": {
    "model_path": {"type": "string", "format": "path", "minLength": 1,
                   "description": "JSON model file {model_version, features, weights, bias}; relative paths resolve against the config file's directory. Required, no default."}
  },
  "required": ["model_path"],
  "additionalProperties": false
})json";
  static constexpr bool kLiveConfig = true;

  Classifier(const sh::Host& host, const sh::Json& config)
      : sh::Expert(host), c_(parse_config(config, kConfigSchema)) {
    announce();
  }

  void set_config(const sh::Json& config) override {
    Config next = parse_config(config, kConfigSchema);
    c_ = std::move(next);
    announce();
  }

  void evaluate(const sh::FeatureRows& rows, const sh_market_context&,
                const sh::EvidenceOut& out) override {
    const Model& m = c_.model;
    const uint32_t n = rows.size() < out.size() ? rows.size() : out.size();
    int64_t scored = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const sh_feature_row& row = rows[i];
      double logit = m.bias;
      bool ok = true;
      for (size_t k = 0; k < m.weights.size() && ok; ++k) {
        if (row.struct_size < m.offsets[k] + sizeof(double)) {
          ok = false;  // an older producer's row has no such field
          break;
        }
        double x;
        std::memcpy(&x, reinterpret_cast<const unsigned char*>(&row) + m.offsets[k], sizeof x);
        if (!std::isfinite(x)) ok = false;
        else logit += m.weights[k] * x;
      }
      if (!ok || !std::isfinite(logit)) continue;
      sh_evidence& e = out[i];
      if (!has_field(e, offsetof(sh_evidence, confidence) + sizeof(double))) continue;
      // Numerically stable logistic: never exp of a large positive number.
      const double p = logit >= 0 ? 1.0 / (1.0 + std::exp(-logit))
                                  : std::exp(logit) / (1.0 + std::exp(logit));
      e.symbol = row.symbol;
      e.flags &= ~SH_EVIDENCE_FLAG_ABSTAIN;
      e.prob_long = p;
      e.prob_short = 1.0 - p;
      e.confidence = std::fabs(2.0 * p - 1.0);
      ++scored;
    }
    if (scored) host().add(scored_counter_, scored);
  }

 private:
  void announce() {
    const Model& m = c_.model;
    std::string feats;
    for (const std::string& f : m.names) feats += (feats.empty() ? "" : ",") + f;
    host().info("model_version=" + m.version + " loaded from " + m.path + " (" +
                std::to_string(m.names.size()) + " features: " + feats + ")");
    scored_counter_ = host().counter("model_version." + m.version + ".scored");
  }

  Config c_;
  uint32_t scored_counter_ = 0;
};

}  // namespace

SH_EXPORT_PLUGIN(Classifier)
