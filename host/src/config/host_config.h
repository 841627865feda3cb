// config/: the YAML config: parsing (yaml_json), the host: section and
// component lists (host_config), the pipeline's sections (pipeline_config),
// JSON-schema validation and the embedded config/default.yaml.
//
// HostConfig: the host's YAML config (--config FILE, or the embedded default).
//
// This module parses the `host:` section and the component lists
// (providers, detectors, experts, risk). Other top-level sections (conveyor,
// events, sinks, redis, ...) belong to other modules: they read root() and
// report problems with message_at(node, msg) so every error is one line,
// "FILE:LINE:COL: message". Loading throws ConfigError; nothing else here throws.
#pragma once

#include <strategy_host/abi.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config_source.h"
#include "isolation/isolation_options.h"

namespace sh::host {

enum class RunMode { kDryRun, kShadow, kCanary, kProduction, kReplay };

// "dry-run", "shadow", "canary", "production", "replay".
const char* run_mode_name(RunMode mode);

struct LogConfig {
  std::string level = "info";   // trace|debug|info|warn|error|critical|off
  std::string format = "text";  // text|json (JSON lines)
  std::filesystem::path file;   // empty: stderr only
  // The file rotates at max_size_mb (0: never): host.log becomes host.1.log
  // (host.2.log, ...),
  // keeping max_files of them (the oldest is deleted).
  uint64_t max_size_bytes = 100ull * 1024 * 1024;  // host.log.max_size_mb
  int64_t max_files = 5;
};

// The settings of a Lua rule component (`lua: PATH` instead of `plugin:`).
// Defaults match LuaRuleConfig's.
struct LuaComponentSettings {
  std::filesystem::path path;        // resolved; inside one of host.rule_dirs
  nlohmann::json params = nlohmann::json::object();  // params: (the rule's global `params`)
  std::string hit_class;             // class: ("" = the rule file's stem)
  uint64_t instruction_budget = 10'000'000;  // ticks per batch call
  int64_t time_budget_ms = 50;               // per batch call
  uint64_t memory_limit_mb = 64;             // per rule version
  bool disable_on_error = false;             // on_error: disable (default keep_last_good)
  bool jit = true;
};

// One entry of providers:, detectors:, experts: or risk:.
struct ComponentConfig {
  ComponentConfig() = default;
  ComponentConfig(const ComponentConfig&) = default;
  // Rebinds the YAML nodes (YAML::Node::operator= would write into the tree).
  ComponentConfig& operator=(const ComponentConfig& other);

  std::string name;                   // unique over all sections, [a-z0-9_]+
  std::string plugin;                 // descriptor name, or a path ending in .so
  std::filesystem::path plugin_path;  // resolved path when `plugin` is a path, else empty
  sh_plugin_kind kind = 0;            // from the section it is listed under
  nlohmann::json config;              // the plugin parameters; {} when absent
  YAML::Node node;                    // the list entry
  YAML::Node config_node;             // its config: value (not a map when absent)
  // Appended: a Lua rule (detectors: -> detector, experts: -> router,
  // risk: -> risk). `plugin` is empty then; config is {}.
  bool is_lua = false;
  LuaComponentSettings lua;
  // Appended: isolation: process, restart:, max_restarts:, call_timeout_ms:.
  IsolationOptions isolation;
};

// Copyable but not assignable (YAML::Node assignment writes into the tree);
// hold a reloaded config in a new object, e.g. a shared_ptr<const HostConfig>.
class HostConfig {
 public:
  HostConfig(const HostConfig&) = default;
  HostConfig(HostConfig&&) = default;
  HostConfig& operator=(const HostConfig&) = delete;
  HostConfig& operator=(HostConfig&&) = delete;

  // Throws ConfigError ("FILE:LINE:COL: message"). Relative paths resolve
  // against the file's directory.
  static HostConfig load_file(const std::filesystem::path& path);
  // source_name is shown in errors; relative paths resolve against base_dir.
  static HostConfig load_string(const std::string& yaml, const std::string& source_name,
                                const std::filesystem::path& base_dir);
  // The default.yaml compiled into the binary; relative paths resolve as if
  // it were the file config/default.yaml under the current working directory
  // (base_dir() is <cwd>/config).
  static HostConfig load_embedded_default();

  // Source and raw document, for other modules' sections.
  const ConfigSource& source() const { return source_; }
  const std::string& source_name() const { return source_.name(); }
  const std::filesystem::path& base_dir() const { return source_.base_dir(); }
  const YAML::Node& root() const { return root_; }
  const std::string& text() const { return text_; }
  // Empty when embedded.
  const std::filesystem::path& file() const { return file_; }
  bool embedded() const { return file_.empty(); }
  std::string where(const YAML::Node& node) const { return source_.where(node); }
  std::string message_at(const YAML::Node& node, const std::string& msg) const {
    return source_.message_at(node, msg);
  }
  std::filesystem::path resolve(const std::string& path) const { return source_.resolve(path); }

  // host: section. Paths are absolute.
  RunMode mode() const { return mode_; }
  // Configured host.plugin_dirs, then the built-in <dir of the host
  // executable>/../plugins unless host.builtin_plugins is false.
  const std::vector<std::filesystem::path>& plugin_dirs() const { return plugin_dirs_; }
  const std::vector<std::filesystem::path>& rule_dirs() const { return rule_dirs_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  const std::filesystem::path& output_dir() const { return output_dir_; }
  const LogConfig& log() const { return log_; }
  // host.watchdog_ms: longest call into an in-process plugin before the host
  // exits 70 (isolation/call_watchdog.h); 0 = unbounded.
  int64_t watchdog_ms() const { return watchdog_ms_; }
  // host.heartbeat_ms: the live modes' heartbeat (control/heartbeat.h)
  // every this many ms; 0 = off. Default 5000 (runbook 001).
  int64_t heartbeat_ms() const { return heartbeat_ms_; }

  // Component lists in file order.
  const std::vector<ComponentConfig>& providers() const { return providers_; }
  const std::vector<ComponentConfig>& detectors() const { return detectors_; }
  const std::vector<ComponentConfig>& experts() const { return experts_; }
  const std::vector<ComponentConfig>& risk() const { return risk_; }
  // execution.venue (one component of kind venue), or, when the decision
  // layer is on and the section names none, the paper venue built from
  // execution.fill and execution.slippage_bps. Null: no decision layer.
  const ComponentConfig* venue() const { return venue_.empty() ? nullptr : &venue_.front(); }
  // True when execution.venue names the venue (not the implied paper venue).
  bool venue_explicit() const { return venue_explicit_; }
  // Every component: providers, detectors, experts, risk, each in file order, then the venue.
  std::vector<const ComponentConfig*> components() const;
  const ComponentConfig* find_component(const std::string& name) const;

  // Overrides (command line): replaces the plugin dirs.
  void set_plugin_dirs(std::vector<std::filesystem::path> dirs) { plugin_dirs_ = std::move(dirs); }

 private:
  HostConfig() = default;
  void parse_host(const YAML::Node& host);
  void parse_venue(const YAML::Node& execution);
  void read_log(const YAML::Node& v);
  void read_entry_key(const std::string& key, const YAML::Node& v, const char* section,
                      ComponentConfig* comp) const;
  void parse_components(const char* section, sh_plugin_kind kind,
                        std::vector<ComponentConfig>* out);
  // Throws ConfigError at `at` unless path lies inside one of rule_dirs_.
  void check_rule_path(const YAML::Node& at, const std::filesystem::path& path) const;

  ConfigSource source_;
  std::filesystem::path file_;
  std::string text_;
  YAML::Node root_;

  RunMode mode_ = RunMode::kReplay;
  std::vector<std::filesystem::path> plugin_dirs_;
  std::vector<std::filesystem::path> rule_dirs_;
  std::filesystem::path state_dir_;
  std::filesystem::path output_dir_;
  LogConfig log_;
  int64_t watchdog_ms_ = 10000;
  int64_t heartbeat_ms_ = 5000;
  std::vector<ComponentConfig> providers_, detectors_, experts_, risk_;
  std::vector<ComponentConfig> venue_;  // at most one
  bool venue_explicit_ = false;
};

// <dir of the running executable>/../plugins (normalized).
std::filesystem::path default_plugin_dir();

}  // namespace sh::host
