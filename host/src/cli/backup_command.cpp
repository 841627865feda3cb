#include "cli/backup_command.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "store/backup.h"
#include "plugins/component_loader.h"
#include "config/config_keys.h"
#include "history/history_config.h"
#include "store/run_lock.h"
#include "store/time_format.h"
#include "services/host_clock.h"

namespace sh::host {

namespace fs = std::filesystem;

namespace {

struct BackupSettings {
  fs::path dir;
  size_t keep[3] = {7, 12, 4};  // by BackupType: data, config, full
};

BackupSettings parse_settings(const HostConfig& config) {
  BackupSettings s;
  s.dir = config.resolve("backups");
  const YAML::Node& root = config.root();
  if (!root.IsMap() || !root["backup"]) return s;
  const YAML::Node b = root["backup"];
  if (!b.IsMap()) config.source().fail(b, "backup: expected a map");
  check_known_keys(b, config.source(), "backup:", {"dir", "keep"});
  if (b["dir"]) {
    if (!b["dir"].IsScalar() || b["dir"].Scalar().empty()) config.source().fail(b["dir"], "backup.dir: expected a directory");
    s.dir = config.resolve(b["dir"].Scalar());
  }
  if (const YAML::Node k = b["keep"]) {
    if (!k.IsMap()) config.source().fail(k, "backup.keep: expected a map of type -> count");
    check_known_keys(k, config.source(), "backup.keep:", {"data", "config", "full"});
    for (const auto& kv : k) {
      BackupType t;
      parse_backup_type(kv.first.Scalar(), &t);
      long long n = -1;
      try {
        n = kv.second.as<long long>();
      } catch (const YAML::Exception&) {
      }
      if (n < 1 || n > 100000) config.source().fail(kv.second, "backup.keep." + kv.first.Scalar() + ": expected 1..100000");
      s.keep[static_cast<int>(t)] = static_cast<size_t>(n);
    }
  }
  return s;
}

void add_plugin_file(const HostConfig& config, const ComponentConfig& c, const PluginCatalog& catalog,
                     BackupSources* s) {
  std::string error;
  if (auto lib = resolve_plugin(config, c, catalog, &error)) {
    const fs::path p = lib->path();
    if (std::find(s->plugin_files.begin(), s->plugin_files.end(), p) == s->plugin_files.end()) {
      s->plugin_files.push_back(p);
    }
  }
}

// The deployment's files, from its config.
BackupSources sources_of(const HostConfig& config) {
  BackupSources s;
  s.state_dir = config.state_dir();
  s.output_dir = config.output_dir();
  if (!config.embedded()) s.config_files.push_back(fs::absolute(config.file()).lexically_normal());
  const PluginCatalog catalog = scan_plugins(config);
  for (const ComponentConfig* c : config.components()) {
    if (c->is_lua) {
      s.config_files.push_back(c->lua.path);
      continue;
    }
    add_plugin_file(config, *c, catalog, &s);
  }
  // Data governance (runbook 001): the universe and the history providers.
  const HistoryConfig history = parse_history_config(config);
  std::error_code ec;
  if (history.enabled && fs::is_regular_file(history.universe, ec)) {
    s.config_files.push_back(fs::absolute(history.universe).lexically_normal());
  }
  for (const ComponentConfig& c : history.providers) add_plugin_file(config, c, catalog, &s);
  return s;
}

std::string human_size(uint64_t bytes) {
  char buf[32];
  if (bytes >= (uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  } else if (bytes >= (uint64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  }
  return buf;
}

int backup_usage(const std::string& what) {
  std::cerr << "host backup: " << what
            << "\nusage: host backup create [--type data|config|full] | list [--format text|json] | "
               "verify NAME | restore NAME [--components data|config|all] [--dry-run]\n";
  return 2;
}

int do_create(const HostConfig& config, const CliOptions& options, const BackupSettings& settings) {
  BackupType type = BackupType::kData;
  const std::string t = options.vm.count("type") ? options.vm["type"].as<std::string>() : "data";
  if (!parse_backup_type(t, &type)) return backup_usage("--type must be data, config or full, not '" + t + "'");
  BackupManifest m;
  const Status st = create_backup(sources_of(config), type, settings.dir, HostClock::wall_ns(), &m);
  if (!st.ok()) {
    std::cerr << "host backup: " << st.message() << "\n";
    return 1;
  }
  std::cout << "backup " << m.name << " created in " << (settings.dir / m.name).string() << ": "
            << m.files.size() << " files, " << human_size(m.total_bytes()) << ", last minute "
            << (m.last_minute_ts_ns >= 0 ? format_iso8601_utc(m.last_minute_ts_ns) : std::string("-"))
            << "\n";
  std::vector<std::string> removed;
  const Status pr = prune_backups(settings.dir, type, settings.keep[static_cast<int>(type)], &removed);
  if (!pr.ok()) std::cerr << "host backup: retention: " << pr.message() << "\n";
  for (const auto& r : removed) std::cout << "removed " << r << " (keep " << settings.keep[static_cast<int>(type)] << ")\n";
  return 0;
}

int do_list(const CliOptions& options, const BackupSettings& settings) {
  std::vector<BackupListing> all;
  std::vector<std::string> skipped;
  const Status st = list_backups(settings.dir, &all, &skipped);
  if (!st.ok()) {
    std::cerr << "host backup: " << st.message() << "\n";
    return 1;
  }
  const std::string format = options.vm.count("format") ? options.vm["format"].as<std::string>() : "text";
  if (format == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& l : all) {
      j.push_back({{"name", l.manifest.name},
                   {"type", backup_type_name(l.manifest.type)},
                   {"created_at", format_iso8601_utc(l.manifest.created_ns)},
                   {"bytes", l.manifest.total_bytes()},
                   {"last_minute", l.manifest.last_minute_ts_ns >= 0 ? format_iso8601_utc(l.manifest.last_minute_ts_ns) : ""},
                   {"verified_at", l.verified_at}});
    }
    std::cout << j.dump() << "\n";
  } else if (format == "text") {
    std::printf("%-28s %-6s %-20s %10s  %-20s %s\n", "NAME", "TYPE", "CREATED", "SIZE", "LAST MINUTE", "VERIFIED");
    for (const auto& l : all) {
      std::printf("%-28s %-6s %-20s %10s  %-20s %s\n", l.manifest.name.c_str(), backup_type_name(l.manifest.type),
                  format_iso8601_utc(l.manifest.created_ns / 1000000000 * 1000000000).c_str(),
                  human_size(l.manifest.total_bytes()).c_str(),
                  l.manifest.last_minute_ts_ns >= 0 ? format_iso8601_utc(l.manifest.last_minute_ts_ns).c_str() : "-",
                  l.verified_at.empty() ? "no" : l.verified_at.c_str());
    }
    std::fflush(stdout);
  } else {
    return backup_usage("--format must be text or json");
  }
  for (const auto& s : skipped) std::cerr << "host backup: skipped " << s << "\n";
  return 0;
}

}  // namespace

void add_backup_options(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()
      ("type", po::value<std::string>()->value_name("T"), "create: data (store + feeds), config (YAML, rules, plugins) or full")
      ("components", po::value<std::string>()->value_name("C"), "restore: data, config or all (default: all the backup holds)")
      ("dry-run", "restore: verify and list what would be written, write nothing")
      ("format", po::value<std::string>()->value_name("F"), "list: text (default) or json");
}

int run_backup_command(const HostConfig& config, const CliOptions& options) {
  BackupSettings settings;
  try {
    settings = parse_settings(config);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  if (options.args.empty()) return backup_usage("missing action");
  const std::string& action = options.args[0];
  if (action == "create") {
    if (options.args.size() != 1) return backup_usage("create takes no argument");
    return do_create(config, options, settings);
  }
  if (action == "list") return do_list(options, settings);
  if (action != "verify" && action != "restore") return backup_usage("unknown action '" + action + "'");
  if (options.args.size() != 2) return backup_usage(action + " needs the backup's NAME (see host backup list)");
  const std::string& name = options.args[1];
  if (name.find('/') != std::string::npos || name == ".." || name == ".") return backup_usage("NAME is a backup name, not a path");
  const fs::path dir = settings.dir / name;
  if (action == "verify") {
    BackupManifest m;
    const Status st = verify_backup(dir, &m);
    if (!st.ok()) {
      std::cerr << "host backup: verify failed: " << st.message() << "\n";
      return 1;
    }
    std::cout << "backup " << m.name << " verified: " << m.files.size() << " files, "
              << human_size(m.total_bytes()) << ", every SHA-256 matches, the store opens\n";
    return 0;
  }
  RestoreParts parts = RestoreParts::kAll;
  if (options.vm.count("components")) {
    const std::string c = options.vm["components"].as<std::string>();
    if (c == "data") parts = RestoreParts::kData;
    else if (c == "config") parts = RestoreParts::kConfig;
    else if (c != "all") return backup_usage("--components must be data, config or all, not '" + c + "'");
  }
  const bool dry_run = options.vm.count("dry-run") > 0;
  if (!dry_run) {
    const std::string holder = RunLock::holder(config.state_dir().string());
    if (!holder.empty()) {
      std::cerr << "host backup: restore refused: a host is running on " << config.state_dir().string() << " ("
                << holder << "); stop it first\n";
      return 1;
    }
  }
  // Holding the run lock for the restore keeps a host from starting on a
  // half-restored directory.
  std::unique_ptr<RunLock> lock;
  if (!dry_run) {
    const Status ls = RunLock::acquire(config.state_dir().string(), &lock);
    if (!ls.ok()) {
      std::cerr << "host backup: restore refused: " << ls.message() << "\n";
      return 1;
    }
  }
  BackupSources targets;
  targets.state_dir = config.state_dir();
  targets.output_dir = config.output_dir();
  RestorePlan plan;
  const Status st = restore_backup(dir, parts, targets, dry_run, &plan);
  if (!st.ok()) {
    std::cerr << "host backup: restore failed: " << st.message() << "\n";
    return 1;
  }
  for (const auto& [from, to] : plan.writes) {
    std::cout << (dry_run ? "would restore " : "restored ") << from << " -> " << to.string() << "\n";
  }
  std::cout << (dry_run ? "dry run: backup " : "restored backup ") << name << " ("
            << plan.writes.size() << " files)" << (dry_run ? ", nothing written" : "") << "\n";
  return 0;
}

}  // namespace sh::host
