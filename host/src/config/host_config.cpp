#include "config/host_config.h"

#include "config/config_keys.h"
#include "isolation/isolation_config.h"

#include <boost/dll/runtime_symbol_info.hpp>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "config/default_config.h"
#include "config/yaml_json.h"
#include "services/text_util.h"

namespace sh::host {
namespace fs = std::filesystem;

namespace {

bool valid_component_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// A scalar's text; anything else is refused naming the field.
std::string config_scalar(const ConfigSource& src, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) src.fail(n, what + ": expected a string");
  return n.Scalar();
}

// An integer scalar in [lo, hi], or exactly `off` (0 = off where allowed;
// pass off = lo to allow nothing else); `expect` says so in the error.
int64_t bounded_integer(const ConfigSource& src, const YAML::Node& v, const std::string& field,
                   int64_t off, int64_t lo, int64_t hi, const char* expect) {
  const std::string w = config_scalar(src, v, field);
  char* end = nullptr;
  const long long n = std::strtoll(w.c_str(), &end, 10);
  if (w.empty() || *end != '\0' || (n != off && (n < lo || n > hi))) {
    src.fail(v, field + ": expected " + expect + ", not '" + w + "'");
  }
  return n;
}

}  // namespace

const char* run_mode_name(RunMode mode) {
  switch (mode) {
    case RunMode::kDryRun:
      return "dry-run";
    case RunMode::kShadow:
      return "shadow";
    case RunMode::kCanary:
      return "canary";
    case RunMode::kProduction:
      return "production";
    case RunMode::kReplay:
      return "replay";
  }
  return "";
}

ComponentConfig& ComponentConfig::operator=(const ComponentConfig& other) {
  if (this == &other) return *this;
  name = other.name;
  plugin = other.plugin;
  plugin_path = other.plugin_path;
  kind = other.kind;
  config = other.config;
  is_lua = other.is_lua;
  lua = other.lua;
  isolation = other.isolation;
  node.reset(other.node);
  config_node.reset(other.config_node);
  return *this;
}

fs::path default_plugin_dir() {
  std::error_code ec;
  fs::path exe = boost::dll::program_location(ec);
  if (ec || exe.empty()) return fs::path("plugins");
  // The build tree: build/bin/host beside build/plugins. An install
  // (`cmake --install`): PREFIX/bin/strategy-host beside
  // PREFIX/lib/strategy-host/plugins.
  const fs::path build_tree = (exe.parent_path() / ".." / "plugins").lexically_normal();
  const fs::path installed = (exe.parent_path() / ".." / "lib" / "strategy-host" / "plugins").lexically_normal();
  if (!fs::is_directory(build_tree, ec) && fs::is_directory(installed, ec)) return installed;
  return build_tree;
}

HostConfig HostConfig::load_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(path, ec)) {
    throw ConfigError(path.string() + ": cannot read config file");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  fs::path abs = fs::absolute(path, ec);
  if (ec) abs = path;
  HostConfig c = load_string(buf.str(), path.string(), abs.parent_path());
  c.file_ = abs.lexically_normal();
  return c;
}

HostConfig HostConfig::load_embedded_default() {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  // As if it were the file config/default.yaml under the working directory:
  // its relative paths (../data/sample/..., models/...) resolve against that
  // directory, so the embedded copy and `--config config/default.yaml` agree.
  return load_string(std::string(embedded_default_config()), "embedded:config/default.yaml",
                     cwd / "config");
}

HostConfig HostConfig::load_string(const std::string& yaml, const std::string& source_name,
                                   const fs::path& base_dir) {
  HostConfig c;
  c.source_ = ConfigSource(source_name, base_dir);
  c.text_ = yaml;
  c.root_ = load_yaml_bounded(yaml, c.source_);
  if (!c.root_.IsDefined() || c.root_.IsNull()) c.root_.reset(YAML::Node(YAML::NodeType::Map));
  if (!c.root_.IsMap()) {
    c.source_.fail(c.root_, "the config must be a mapping (host:, providers:, detectors:, ...)");
  }

  try {
    const YAML::Node& root = c.root_;
    // Every section is known to some part of the host; anything else is a
    // typo that must not be skipped (`risks:` would mean no risk chain).
    check_known_keys(root, c.source_, "the config's top level", known_config_sections());
    c.parse_host(root["host"]);
    c.parse_components("providers", SH_KIND_PROVIDER, &c.providers_);
    c.parse_components("detectors", SH_KIND_DETECTOR, &c.detectors_);
    c.parse_components("experts", SH_KIND_EXPERT, &c.experts_);
    c.parse_components("risk", SH_KIND_RISK, &c.risk_);
    c.parse_venue(root["execution"]);
  } catch (const YAML::Exception& e) {
    // A yaml-cpp error while reading a parsed tree (should not happen).
    throw ConfigError(c.source_.where(e.mark) + ": " + e.msg);
  }

  std::map<std::string, const ComponentConfig*> seen;
  for (const ComponentConfig* comp : c.components()) {
    auto [it, inserted] = seen.emplace(comp->name, comp);
    if (!inserted) {
      c.source_.fail(comp->node["name"], "duplicate component name '" + comp->name +
                                             "' (first defined at " +
                                             c.source_.where(it->second->node) + ")");
    }
  }
  return c;
}

void HostConfig::parse_host(const YAML::Node& host) {
  const ConfigSource& src = source_;
  auto scalar = [&](const YAML::Node& n, const std::string& what) { return config_scalar(src, n, what); };
  auto path_list = [&](const YAML::Node& n, const std::string& what) {
    std::vector<fs::path> out;
    if (n.IsScalar()) {
      out.push_back(src.resolve(n.Scalar()));
    } else if (n.IsSequence()) {
      for (const auto& item : n) out.push_back(src.resolve(scalar(item, what + " item")));
    } else if (!n.IsNull()) {
      src.fail(n, what + ": expected a list of directories");
    }
    return out;
  };

  bool builtin_plugins = true;
  state_dir_ = src.resolve("state");
  output_dir_ = src.resolve("out");

  if (host.IsDefined() && !host.IsNull()) {
    if (!host.IsMap()) src.fail(host, "host: expected a mapping");
    static const std::vector<std::string> kKeys = {"mode",      "plugin_dirs", "builtin_plugins",
                                                   "rule_dirs", "state_dir",   "output_dir",
                                                   "log",       "watchdog_ms", "heartbeat_ms",
                                                   "http"};
    for (const auto& kv : host) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "mode") {
        const std::string m = scalar(v, "host.mode");
        if (m == "dry-run")
          mode_ = RunMode::kDryRun;
        else if (m == "shadow")
          mode_ = RunMode::kShadow;
        else if (m == "canary")
          mode_ = RunMode::kCanary;
        else if (m == "production")
          mode_ = RunMode::kProduction;
        else if (m == "replay")
          mode_ = RunMode::kReplay;
        else
          src.fail(v, "host.mode: unknown mode '" + m +
                          "' (expected dry-run, shadow, canary, production or replay)");
      } else if (key == "plugin_dirs") {
        plugin_dirs_ = path_list(v, "host.plugin_dirs");
      } else if (key == "builtin_plugins") {
        const nlohmann::json b = v.IsScalar() ? yaml_to_json(v, src) : nlohmann::json();
        if (!b.is_boolean()) src.fail(v, "host.builtin_plugins: expected true or false");
        builtin_plugins = b.get<bool>();
      } else if (key == "rule_dirs") {
        rule_dirs_ = path_list(v, "host.rule_dirs");
      } else if (key == "watchdog_ms") {
        watchdog_ms_ = bounded_integer(src, v, "host.watchdog_ms", 0, 0, 86400000, "0 (off) to 86400000 ms");
      } else if (key == "heartbeat_ms") {
        heartbeat_ms_ =
            bounded_integer(src, v, "host.heartbeat_ms", 0, 100, 3600000, "0 (off) or 100 to 3600000 ms");
      } else if (key == "http") {
        // host.http: read and checked by ops/http_config.cpp.
      } else if (key == "state_dir") {
        state_dir_ = src.resolve(scalar(v, "host.state_dir"));
      } else if (key == "output_dir") {
        output_dir_ = src.resolve(scalar(v, "host.output_dir"));
      } else if (key == "log") {
        read_log(v);
      } else {
        src.fail(kv.first, unknown_key_message(key, "host:", kKeys));
      }
    }
  }
  // host.plugin_dirs add to the built-in directory (searched after them, so
  // a plugin of the same name in a configured dir wins), unless
  // host.builtin_plugins: false.
  if (builtin_plugins) {
    const fs::path builtin = default_plugin_dir();
    if (std::find(plugin_dirs_.begin(), plugin_dirs_.end(), builtin) == plugin_dirs_.end()) {
      plugin_dirs_.push_back(builtin);
    }
  }
}

// host.log: level, format, file, and the file's rotation.
void HostConfig::read_log(const YAML::Node& v) {
  const ConfigSource& src = source_;
  if (v.IsNull()) return;
  if (!v.IsMap()) src.fail(v, "host.log: expected a mapping");
  static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn",
                                                   "error", "critical", "off"};
  for (const auto& lkv : v) {
    const std::string lkey = lkv.first.Scalar();
    const YAML::Node& lv = lkv.second;
    if (lkey == "level") {
      log_.level = config_scalar(src, lv, "host.log.level");
      if (std::find(kLevels.begin(), kLevels.end(), log_.level) == kLevels.end()) {
        src.fail(lv, "host.log.level: unknown level '" + log_.level + "' (expected one of: " +
                         join(kLevels) + ")");
      }
    } else if (lkey == "format") {
      log_.format = config_scalar(src, lv, "host.log.format");
      if (log_.format != "text" && log_.format != "json") {
        src.fail(lv, "host.log.format: unknown format '" + log_.format + "' (expected text or json)");
      }
    } else if (lkey == "file") {
      log_.file = src.resolve(config_scalar(src, lv, "host.log.file"));
    } else if (lkey == "max_size_mb") {
      // A number of MB, fractions too (0.5 = 512 KB); at least 1 KB.
      const nlohmann::json n = lv.IsScalar() ? yaml_to_json(lv, src) : nlohmann::json();
      const double mb = n.is_number() ? n.get<double>() : -1.0;
      if (!(mb == 0.0 || (mb * 1048576.0 >= 1024.0 && mb <= 1048576.0))) {
        src.fail(lv, "host.log.max_size_mb: expected 0 (never rotate) or 0.001 to 1048576 MB, not '" +
                         (lv.IsScalar() ? lv.Scalar() : std::string("a collection")) + "'");
      }
      log_.max_size_bytes = static_cast<uint64_t>(mb * 1048576.0);
    } else if (lkey == "max_files") {
      log_.max_files = bounded_integer(src, lv, "host.log.max_files", 1, 1, 1000, "1 to 1000 files");
    } else {
      src.fail(lkv.first, unknown_key_message(lkey, "host.log",
                                              {"level", "format", "file", "max_size_mb", "max_files"}));
    }
  }
}

// name:, plugin: or config: of a plugin entry (a component list's, or
// execution.venue), checked and stored in *comp.
void HostConfig::read_entry_key(const std::string& key, const YAML::Node& v, const char* section,
                                ComponentConfig* comp) const {
  const ConfigSource& src = source_;
  if (key == "name") {
    if (!v.IsScalar() || !valid_component_name(v.Scalar())) {
      src.fail(v, std::string(section) + ": component name must match [a-z0-9_]+");
    }
    comp->name = v.Scalar();
  } else if (key == "plugin") {
    if (!v.IsScalar() || v.Scalar().empty()) {
      src.fail(v, std::string(section) + ": plugin must be a plugin name or a path to a .so");
    }
    comp->plugin = v.Scalar();
    if (comp->plugin.find('/') != std::string::npos || ends_with(comp->plugin, ".so")) {
      comp->plugin_path = src.resolve(comp->plugin);
    }
  } else {  // config
    comp->config_node.reset(v);
    if (v.IsNull()) return;
    if (!v.IsMap()) src.fail(v, std::string(section) + ": config must be a mapping");
    comp->config = yaml_to_json(v, src);
  }
}

void HostConfig::parse_components(const char* section, sh_plugin_kind kind,
                                  std::vector<ComponentConfig>* out) {
  const ConfigSource& src = source_;
  const YAML::Node& root = root_;
  const YAML::Node list = root[section];
  if (!list.IsDefined() || list.IsNull()) return;
  if (!list.IsSequence()) {
    src.fail(list,
             std::string(section) + ": expected a list of components ({name, plugin, config})");
  }
  static const std::vector<std::string> kLuaKeys = {
      "name",           "lua",      "params",          "class", "instruction_budget",
      "time_budget_ms", "memory_limit_mb", "on_error", "jit"};
  for (const auto& entry : list) {
    if (!entry.IsMap()) {
      src.fail(entry,
               std::string(section) + ": each component is a mapping with name, plugin and config");
    }
    ComponentConfig comp;
    comp.kind = kind;
    comp.node.reset(entry);
    comp.config = nlohmann::json::object();
    // Decided before the keys are checked, so that errors speak of the right kind.
    for (const auto& kv : entry) comp.is_lua = comp.is_lua || kv.first.Scalar() == "lua";
    bool has_name = false, has_plugin = false;
    auto positive_integer = [&](const YAML::Node& v, const std::string& key) -> uint64_t {
      const nlohmann::json j = v.IsScalar() ? yaml_to_json(v, src) : nlohmann::json();
      if (!j.is_number_integer() || j.get<int64_t>() <= 0) {
        src.fail(v, std::string(section) + ": " + key + " must be a positive integer");
      }
      return j.get<uint64_t>();
    };
    for (const auto& kv : entry) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "plugin" && comp.is_lua) {
        src.fail(kv.first, std::string(section) +
                               ": a component names either plugin: or lua:, not both");
      } else if (key == "name" || key == "plugin" || (key == "config" && !comp.is_lua)) {
        read_entry_key(key, v, section, &comp);
        has_name = has_name || key == "name";
        has_plugin = has_plugin || key == "plugin";
      } else if (comp.is_lua && key == "lua") {
        if (kind == SH_KIND_PROVIDER) {
          src.fail(kv.first, std::string(section) +
                                 ": a provider cannot be a Lua rule (lua: is for detectors:, "
                                 "experts: and risk:)");
        }
        if (!v.IsScalar() || !ends_with(v.Scalar(), ".lua")) {
          src.fail(v, std::string(section) + ": lua must be the path of a .lua rule file");
        }
        comp.lua.path = src.resolve(v.Scalar());
        check_rule_path(v, comp.lua.path);
      } else if (comp.is_lua && key == "params") {
        if (v.IsNull()) continue;
        if (!v.IsMap()) src.fail(v, std::string(section) + ": params must be a mapping");
        comp.lua.params = yaml_to_json(v, src);
      } else if (comp.is_lua && key == "class") {
        if (!v.IsScalar() || v.Scalar().empty()) {
          src.fail(v, std::string(section) + ": class must be a non-empty string");
        }
        comp.lua.hit_class = v.Scalar();
      } else if (comp.is_lua && key == "instruction_budget") {
        comp.lua.instruction_budget = positive_integer(v, key);
      } else if (comp.is_lua && key == "time_budget_ms") {
        const uint64_t ms = positive_integer(v, key);
        if (ms > 3'600'000) src.fail(v, std::string(section) + ": time_budget_ms must be <= 3600000");
        comp.lua.time_budget_ms = static_cast<int64_t>(ms);
      } else if (comp.is_lua && key == "memory_limit_mb") {
        const uint64_t mb = positive_integer(v, key);
        if (mb > 1'048'576) src.fail(v, std::string(section) + ": memory_limit_mb must be <= 1048576");
        comp.lua.memory_limit_mb = mb;
      } else if (comp.is_lua && key == "on_error") {
        const std::string e = v.IsScalar() ? v.Scalar() : "";
        if (e != "keep_last_good" && e != "disable") {
          src.fail(v, std::string(section) + ": on_error must be keep_last_good or disable");
        }
        comp.lua.disable_on_error = e == "disable";
      } else if (comp.is_lua && key == "jit") {
        const nlohmann::json j = v.IsScalar() ? yaml_to_json(v, src) : nlohmann::json();
        if (!j.is_boolean()) src.fail(v, std::string(section) + ": jit must be true or false");
        comp.lua.jit = j.get<bool>();
      } else if (!comp.is_lua && parse_isolation_key(key, v, section, src, &comp.isolation)) {
        continue;
      } else if (comp.is_lua) {
        src.fail(kv.first, "unknown key '" + key + "' in a " + section +
                               " Lua rule entry (expected one of: " + join(kLuaKeys) +
                               (key == "config" ? "; a rule takes params:)" : ")"));
      } else if (std::find(kLuaKeys.begin(), kLuaKeys.end(), key) != kLuaKeys.end()) {
        src.fail(kv.first, "key '" + key + "' in a " + section +
                               " entry is for Lua rules (lua: PATH); a plugin takes config:");
      } else {
        src.fail(kv.first, unknown_key_message(key, std::string("a ") + section + " entry",
                                               {"name", "plugin", "config", "isolation", "restart",
                                                "max_restarts", "call_timeout_ms"}));
      }
    }
    if (!comp.is_lua) check_isolation_keys(entry, section, src, comp.isolation);
    if (!has_name) src.fail(entry, std::string(section) + ": component has no name");
    if (!has_plugin && !comp.is_lua)
      src.fail(entry, std::string(section) + ": component '" + comp.name + "' has no plugin");
    out->push_back(std::move(comp));
  }
}

// execution.venue: {name: venue, plugin: paper_venue, config: {...}} (name
// optional). Without it, a config whose decision layer is on (an expert
// plugin) gets the paper venue with execution.fill and slippage_bps, so
// every config written before venues were plugins runs as it did.
void HostConfig::parse_venue(const YAML::Node& execution) {
  const ConfigSource& src = source_;
  const bool decision = std::any_of(experts_.begin(), experts_.end(),
                                    [](const ComponentConfig& c) { return !c.is_lua; });
  // An absent section is an invalid node: IsMap() would throw.
  const bool exec_map = execution.IsDefined() && execution.IsMap();
  const YAML::Node v = exec_map ? execution["venue"] : YAML::Node();
  ComponentConfig comp;
  comp.kind = SH_KIND_VENUE;
  comp.name = "venue";
  comp.config = nlohmann::json::object();
  if (v.IsDefined() && !v.IsNull()) {
    if (!v.IsMap()) src.fail(v, "execution.venue: expected a mapping {plugin, config}");
    comp.node.reset(v);
    bool has_plugin = false;
    for (const auto& kv : v) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& val = kv.second;
      if (key == "name" || key == "plugin" || key == "config") {
        read_entry_key(key, val, "execution.venue", &comp);
        has_plugin = has_plugin || key == "plugin";
      } else {
        src.fail(kv.first, unknown_key_message(key, "execution.venue", {"name", "plugin", "config"}));
      }
    }
    if (!has_plugin) src.fail(v, "execution.venue has no plugin (e.g. plugin: paper_venue)");
    for (const char* moved : {"fill", "slippage_bps"}) {
      if (execution[moved]) {
        src.fail(execution[moved], std::string("execution.") + moved +
                                       " belongs to the paper venue: with execution.venue set, "
                                       "write it under execution.venue.config");
      }
    }
    venue_.push_back(std::move(comp));
    venue_explicit_ = true;
    return;
  }
  if (!decision) return;
  comp.plugin = "paper_venue";
  comp.node.reset(exec_map ? execution : root_);
  for (const char* key : {"fill", "slippage_bps"}) {
    const YAML::Node n = exec_map ? execution[key] : YAML::Node();
    if (n && n.IsScalar()) comp.config[key] = yaml_to_json(n, src);
  }
  venue_.push_back(std::move(comp));
}

void HostConfig::check_rule_path(const YAML::Node& at, const fs::path& path) const {
  // Compared after resolving symlinks and "..": a rule reloaded on a file
  // change must come from a directory the operator designated for rules.
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(path, ec);
  if (!ec) {
    for (const fs::path& dir : rule_dirs_) {
      std::error_code dec;
      const fs::path real_dir = fs::weakly_canonical(dir, dec);
      if (dec) continue;
      const fs::path rel = real.lexically_relative(real_dir);
      if (!rel.empty() && *rel.begin() != ".." && rel != ".") return;
    }
  }
  std::string dirs;
  for (const fs::path& d : rule_dirs_) dirs += (dirs.empty() ? "" : ", ") + d.string();
  source_.fail(at, "lua: " + path.string() + " is outside host.rule_dirs (" +
                       (dirs.empty() ? std::string("none configured") : dirs) +
                       "); rules load only from a rule directory");
}

std::vector<const ComponentConfig*> HostConfig::components() const {
  std::vector<const ComponentConfig*> out;
  for (const auto* list : {&providers_, &detectors_, &experts_, &risk_, &venue_}) {
    for (const auto& c : *list) out.push_back(&c);
  }
  return out;
}

const ComponentConfig* HostConfig::find_component(const std::string& name) const {
  for (const ComponentConfig* c : components()) {
    if (c->name == name) return c;
  }
  return nullptr;
}

}  // namespace sh::host
