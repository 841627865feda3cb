#include "control/control_config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <initializer_list>

#include "config/config_keys.h"
#include "config/config_source.h"
#include "config/yaml_json.h"

namespace sh::host {
namespace fs = std::filesystem;
namespace {

void check_keys(const HostConfig& cfg, const YAML::Node& section, const std::string& name,
                std::initializer_list<const char*> allowed) {
  if (!section.IsMap()) throw ConfigError(cfg.message_at(section, name + ": expected a map"));
  check_known_keys(section, cfg.source(), name + ":", std::vector<std::string>(allowed.begin(), allowed.end()));
}

template <typename T>
T get_or(const HostConfig& cfg, const YAML::Node& section, const char* key, const std::string& name,
         T fallback) {
  const YAML::Node n = section[key];
  if (!n) return fallback;
  if (!n.IsScalar()) throw ConfigError(cfg.message_at(n, name + "." + key + ": expected a scalar"));
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(cfg.message_at(n, name + "." + key + " has the wrong type ('" + n.Scalar() + "')"));
  }
}

std::string non_empty_string(const HostConfig& cfg, const YAML::Node& section, const char* key,
                             std::string fallback) {
  const std::string v = get_or<std::string>(cfg, section, key, "control", std::move(fallback));
  if (v.empty()) throw ConfigError(cfg.message_at(section[key], std::string("control.") + key + " must not be empty"));
  return v;
}

int64_t positive(const HostConfig& cfg, const YAML::Node& section, const char* key,
                 const std::string& name, int64_t fallback, int64_t max) {
  const int64_t v = get_or<int64_t>(cfg, section, key, name, fallback);
  if (v <= 0 || v > max) {
    throw ConfigError(cfg.message_at(section[key], name + "." + key + " must be 1.." + std::to_string(max)));
  }
  return v;
}

}  // namespace

ControlConfig parse_control_config(const HostConfig& config) {
  ControlConfig out;
  out.paths.base_dir = config.base_dir();
  out.paths.plugin_dirs = config.plugin_dirs();
  out.paths.rule_dirs = config.rule_dirs();
  // Default: the config file's directory, which contains conf/ and config/;
  // config files carry parameters, never code, and are schema-checked on load.
  out.paths.config_dirs = {config.base_dir()};
  out.nonce_store_dir = (config.state_dir() / "control").string();
  for (const ComponentConfig* c : config.components()) {
    out.paths.components.insert(c->name);
    if (c->is_lua) out.paths.lua_components.insert(c->name);
  }

  const YAML::Node& root = config.root();
  if (!root.IsMap() || !root["control"]) return out;
  const YAML::Node s = root["control"];
  if (s.IsNull()) return out;
  check_keys(config, s, "control",
             {"channel", "desired_key", "switch_stream", "switch_stream_maxlen", "hmac_secret_env",
              "signature_max_age_s", "allowed_config_dirs", "guard", "reconnect_backoff_ms",
              "max_messages_per_second"});
  out.channel = non_empty_string(config, s, "channel", out.channel);
  out.desired_key = non_empty_string(config, s, "desired_key", out.desired_key);
  out.switch_stream = non_empty_string(config, s, "switch_stream", out.switch_stream);
  out.switch_stream_maxlen = static_cast<uint64_t>(
      positive(config, s, "switch_stream_maxlen", "control", 10000, int64_t{1} << 40));
  out.max_messages_per_second = static_cast<uint32_t>(
      positive(config, s, "max_messages_per_second", "control", 200, 1000000));

  if (s["hmac_secret_env"]) {
    out.hmac_secret_env = non_empty_string(config, s, "hmac_secret_env", "");
    const char* v = std::getenv(out.hmac_secret_env.c_str());
    if (v == nullptr) {
      throw ConfigError(config.message_at(
          s["hmac_secret_env"], "control.hmac_secret_env: environment variable " + out.hmac_secret_env +
                                    " is not set (signed reload messages are required)"));
    }
    if (*v == '\0') {
      throw ConfigError(config.message_at(
          s["hmac_secret_env"], "control.hmac_secret_env: environment variable " + out.hmac_secret_env +
                                    " is empty"));
    }
    out.hmac_secret = v;
  }
  out.signature_max_age_ms =
      1000 * positive(config, s, "signature_max_age_s", "control", out.signature_max_age_ms / 1000, 86400);

  if (const YAML::Node dirs = s["allowed_config_dirs"]) {
    if (!dirs.IsSequence() || dirs.size() == 0) {
      throw ConfigError(config.message_at(dirs, "control.allowed_config_dirs: expected a non-empty list of directories"));
    }
    out.paths.config_dirs.clear();
    for (const auto& d : dirs) {
      if (!d.IsScalar() || d.Scalar().empty()) {
        throw ConfigError(config.message_at(d, "control.allowed_config_dirs: expected a directory path"));
      }
      out.paths.config_dirs.push_back(config.resolve(d.Scalar()));
    }
  }

  if (const YAML::Node g = s["guard"]) {
    check_keys(config, g, "control.guard", {"var_key_pattern", "max_var_pct", "host_var", "publish_key"});
    out.guard.host_var = get_or<bool>(config, g, "host_var", "control.guard", out.guard.host_var);
    out.guard.publish_key = get_or<std::string>(config, g, "publish_key", "control.guard", out.guard.publish_key);
    out.guard.var_key_pattern =
        get_or<std::string>(config, g, "var_key_pattern", "control.guard", out.guard.var_key_pattern);
    out.guard.max_var_pct = get_or<double>(config, g, "max_var_pct", "control.guard", out.guard.max_var_pct);
    if (!std::isfinite(out.guard.max_var_pct) || out.guard.max_var_pct < 0) {
      throw ConfigError(config.message_at(g["max_var_pct"], "control.guard.max_var_pct must be a finite number >= 0"));
    }
  }

  if (const YAML::Node b = s["reconnect_backoff_ms"]) {
    check_keys(config, b, "control.reconnect_backoff_ms", {"initial", "max"});
    out.reconnect_initial_ms = static_cast<int>(
        positive(config, b, "initial", "control.reconnect_backoff_ms", out.reconnect_initial_ms, 600000));
    out.reconnect_max_ms = static_cast<int>(
        positive(config, b, "max", "control.reconnect_backoff_ms", out.reconnect_max_ms, 600000));
    if (out.reconnect_max_ms < out.reconnect_initial_ms) {
      throw ConfigError(config.message_at(b, "control.reconnect_backoff_ms: max must be >= initial"));
    }
  }
  return out;
}

}  // namespace sh::host
