// cli/: the `host` command line, one file per subcommand (run, status, trade,
// reload, config, backup, validate, list-plugins) plus logging setup. It wires
// the other folders together; nothing outside cli/ and main.cpp includes it.
//
// The `host` command line (Boost.Program_options).
//
//   host [SUBCOMMAND [ARGS...]] [OPTIONS]
//
// The first positional argument selects a subcommand from a table ("run" when
// absent); a subcommand may declare its own options, which must follow its
// name. --help, --version, --list-plugins and --validate-config are actions
// of their own and take precedence over the subcommand.
#pragma once

#include <boost/program_options.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/host_config.h"

namespace sh::host {

struct CliOptions {
  std::string command = "run";
  std::vector<std::string> args;  // positional arguments after the subcommand name
  std::optional<std::filesystem::path> config_path;
  bool validate_config = false;
  bool list_plugins = false;
  bool json = false;
  bool verbose = false;
  std::vector<std::filesystem::path> plugin_dirs;  // --plugin-dir: replace the config's
  std::string log_format;                          // "" = from the config
  std::string log_level;                           // "" = from the config
  boost::program_options::variables_map vm;        // every option, incl. the subcommand's
};

struct Subcommand {
  const char* name;
  const char* usage;    // e.g. "config history [N]"
  const char* summary;  // one line (say "(the default)" for run)
  // Declares the subcommand's own options; nullptr when it has none.
  void (*add_options)(boost::program_options::options_description& options);
  // Runs with the loaded config (logging already set up); returns the exit code.
  int (*run)(const HostConfig& config, const CliOptions& options);
};

// Parses argv, loads the config (--config FILE or the embedded default), sets
// up logging and runs the selected action. Returns the process exit code:
// 0 ok, 1 failure (config or load errors), 2 usage error.
int run_cli(int argc, const char* const argv[], const std::vector<Subcommand>& subcommands);

}  // namespace sh::host
