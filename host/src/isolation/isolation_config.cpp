#include "isolation/isolation_config.h"

#include "config/yaml_json.h"

namespace sh::host {

namespace {

int64_t integer_in(const YAML::Node& v, const std::string& what, int64_t lo, int64_t hi,
                   const ConfigSource& src) {
  const nlohmann::json j = v.IsScalar() ? yaml_to_json(v, src) : nlohmann::json();
  if (!j.is_number_integer() || j.get<int64_t>() < lo || j.get<int64_t>() > hi) {
    src.fail(v, what + " must be an integer from " + std::to_string(lo) + " to " +
                    std::to_string(hi));
  }
  return j.get<int64_t>();
}

}  // namespace

bool parse_isolation_key(const std::string& key, const YAML::Node& v, const char* section,
                         const ConfigSource& src, IsolationOptions* out) {
  const std::string at = std::string(section) + ": " + key;
  if (key == "isolation") {
    const std::string mode = v.IsScalar() ? v.Scalar() : "";
    if (mode != "process" && mode != "in_process") {
      src.fail(v, at + " must be process or in_process");
    }
    out->process = mode == "process";
  } else if (key == "restart") {
    const nlohmann::json j = v.IsScalar() ? yaml_to_json(v, src) : nlohmann::json();
    if (!j.is_boolean()) src.fail(v, at + " must be true or false");
    out->restart = j.get<bool>();
  } else if (key == "max_restarts") {
    out->max_restarts = static_cast<uint32_t>(integer_in(v, at, 0, 1000, src));
  } else if (key == "call_timeout_ms") {
    out->call_timeout_ms = integer_in(v, at, 1, 3'600'000, src);
  } else {
    return false;
  }
  return true;
}

void check_isolation_keys(const YAML::Node& entry, const char* section, const ConfigSource& src,
                          const IsolationOptions& options) {
  if (options.process) return;
  for (const auto& kv : entry) {
    const std::string key = kv.first.Scalar();
    if (key == "restart" || key == "max_restarts" || key == "call_timeout_ms") {
      src.fail(kv.first, std::string(section) + ": " + key +
                             " is for a component with isolation: process");
    }
  }
}

}  // namespace sh::host
