#include "cli/cli.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

#include "plugins/component_loader.h"
#include "isolation/plugin_selection.h"
#include "cli/list_plugins.h"
#include "cli/logging.h"
#include "cli/validate_config.h"

namespace sh::host {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// Usage errors: exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

po::options_description global_options() {
  po::options_description o("Options");
  o.add_options()("help,h", "print this help and exit")(
      "version", "print the host version and plugin ABI version and exit")(
      "config,c", po::value<std::string>()->value_name("FILE"),
      "YAML config (default: the embedded config/default.yaml, as if read from ./config/)")(
      "validate-config",
      "find every plugin, validate every component's config and create "
      "each instance, then exit")(
      "list-plugins",
      "list every plugin file in the plugin dirs and every Lua rule in the rule dirs, then exit")(
      "json", "with --list-plugins: print JSON (with each plugin's config schema and defaults)")(
      "verbose", "with --list-plugins: every field (paths, hashes, capabilities, config keys)")(
      "plugin-dir", po::value<std::vector<std::string>>()->composing()->value_name("DIR"),
      "plugin directory, repeatable (replaces host.plugin_dirs and the built-in dir)")(
      "log-format", po::value<std::string>()->value_name("text|json"),
      "log format (overrides host.log.format)")(
      "log-level", po::value<std::string>()->value_name("LEVEL"),
      "trace|debug|info|warn|error|critical|off (overrides host.log.level)");
  return o;
}

po::options_description positional_options() {
  po::options_description o;
  o.add_options()("command", po::value<std::string>())("args",
                                                       po::value<std::vector<std::string>>());
  return o;
}

const Subcommand* find_subcommand(const std::vector<Subcommand>& subcommands,
                                  const std::string& name) {
  for (const auto& s : subcommands) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

void print_help(std::ostream& out, const std::vector<Subcommand>& subcommands,
                const Subcommand* selected) {
  out << "usage: host [SUBCOMMAND [ARGS...]] [OPTIONS]\n\n"
      << "Strategy host: loads provider, detector, expert and risk plugins and runs them.\n\n"
      << "Subcommands:\n";
  size_t width = 0;
  for (const auto& s : subcommands) width = std::max(width, std::string(s.usage).size());
  for (const auto& s : subcommands) {
    out << "  " << s.usage << std::string(width - std::string(s.usage).size() + 2, ' ') << s.summary
        << "\n";
  }
  out << "\n" << global_options();
  if (selected && selected->add_options) {
    po::options_description own(std::string("Options of '") + selected->name + "'");
    selected->add_options(own);
    out << "\n" << own;
  }
  out << "\nExit status: 0 ok, 1 config or load error, 2 usage error.\n";
}

CliOptions parse(int argc, const char* const argv[], const std::vector<Subcommand>& subcommands,
                 const Subcommand** selected) {
  po::positional_options_description pos;
  pos.add("command", 1).add("args", -1);
  po::options_description first;
  first.add(global_options()).add(positional_options());

  CliOptions opts;
  // Pass 1 finds the subcommand; its own options are not known yet.
  po::variables_map vm1;
  po::store(
      po::command_line_parser(argc, argv).options(first).positional(pos).allow_unregistered().run(),
      vm1);
  if (vm1.count("command")) opts.command = vm1["command"].as<std::string>();
  *selected = find_subcommand(subcommands, opts.command);
  const bool asked_help = vm1.count("help") || vm1.count("version");
  if (*selected == nullptr && !asked_help) {
    throw UsageError("unknown subcommand '" + opts.command + "'");
  }

  // Pass 2 with the subcommand's options: anything unknown is an error.
  po::options_description all;
  all.add(first);
  if (*selected && (*selected)->add_options) {
    po::options_description own;
    (*selected)->add_options(own);
    all.add(own);
  }
  po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), opts.vm);
  po::notify(opts.vm);

  const auto& vm = opts.vm;
  if (vm.count("args")) opts.args = vm["args"].as<std::vector<std::string>>();
  if (vm.count("config")) opts.config_path = fs::path(vm["config"].as<std::string>());
  opts.validate_config = vm.count("validate-config") > 0;
  opts.list_plugins = vm.count("list-plugins") > 0;
  opts.json = vm.count("json") > 0;
  opts.verbose = vm.count("verbose") > 0;
  if (vm.count("plugin-dir")) {
    for (const auto& d : vm["plugin-dir"].as<std::vector<std::string>>()) {
      opts.plugin_dirs.push_back(fs::absolute(d).lexically_normal());
    }
  }
  if (vm.count("log-format")) {
    opts.log_format = vm["log-format"].as<std::string>();
    if (opts.log_format != "text" && opts.log_format != "json") {
      throw UsageError("--log-format must be text or json, not '" + opts.log_format + "'");
    }
  }
  if (vm.count("log-level")) {
    opts.log_level = vm["log-level"].as<std::string>();
    static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    bool ok = false;
    for (const char* l : kLevels) ok = ok || opts.log_level == l;
    if (!ok)
      throw UsageError(
          "--log-level must be one of trace, debug, info, warn, error, "
          "critical, off, not '" +
          opts.log_level + "'");
  }
  if (opts.json && !opts.list_plugins) throw UsageError("--json only applies to --list-plugins");
  if (opts.verbose && !opts.list_plugins) {
    throw UsageError("--verbose only applies to --list-plugins");
  }
  if (opts.validate_config && opts.list_plugins) {
    throw UsageError("--validate-config and --list-plugins are separate actions");
  }
  return opts;
}

// The embedded default's relative paths (../data/sample/..., models/...)
// resolve as if it were config/default.yaml under the working directory.
// Run from anywhere else, its replay and model files are not found: say
// why before the components' own errors name the missing files.
void warn_if_embedded_paths_missing(const HostConfig& config) {
  std::error_code ec;
  const fs::path expected = config.base_dir() / "default.yaml";
  if (fs::exists(expected, ec)) return;
  spdlog::warn(
      "no --config: the embedded default reads its relative paths (../data/sample/..., "
      "models/...) as if it were {}, which does not exist; run host from the repository root "
      "(or an install's share/strategy-host), or pass --config FILE",
      expected.string());
}

}  // namespace

int run_cli(int argc, const char* const argv[], const std::vector<Subcommand>& subcommands) {
  CliOptions opts;
  const Subcommand* selected = nullptr;
  try {
    opts = parse(argc, argv, subcommands, &selected);
  } catch (const std::exception& e) {  // po::error and UsageError
    std::cerr << "host: error: " << e.what() << "\nTry 'host --help'.\n";
    return 2;
  }
  if (opts.vm.count("help")) {
    print_help(std::cout, subcommands, selected);
    return 0;
  }
  if (opts.vm.count("version")) {
    std::cout << "host " << SH_HOST_VERSION << " (plugin ABI " << SH_ABI_MAJOR << "."
              << SH_ABI_MINOR << ")\n";
    return 0;
  }

  // Until the config says otherwise, log to stderr with the CLI's settings.
  LogConfig log;
  if (!opts.log_format.empty()) log.format = opts.log_format;
  if (!opts.log_level.empty()) log.level = opts.log_level;
  setup_logging(log);

  std::optional<HostConfig> config;
  try {
    if (opts.config_path) {
      config.emplace(HostConfig::load_file(*opts.config_path));
    } else {
      config.emplace(HostConfig::load_embedded_default());
      warn_if_embedded_paths_missing(*config);
    }
    if (!opts.plugin_dirs.empty()) config->set_plugin_dirs(opts.plugin_dirs);
    log = config->log();
    if (!opts.log_format.empty()) log.format = opts.log_format;
    if (!opts.log_level.empty()) log.level = opts.log_level;
    setup_logging(log);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }

  if (opts.list_plugins) {
    const PluginCatalog catalog = scan_plugins_probed(*config);  // a crashing file is an entry
    for (const auto& w : catalog.warnings()) spdlog::warn("plugin dir {}", w);
    const RuleCatalog rules = scan_rules(*config);
    for (const auto& w : rules.warnings) spdlog::warn("rule dir {}", w);
    print_plugin_list(catalog, rules, ListOptions{opts.json, opts.verbose}, std::cout);
    return 0;
  }
  if (opts.validate_config) return validate_config(*config, std::cout, std::cerr);
  return selected->run(*config, opts);
}

}  // namespace sh::host
