// host: the strategy host binary. See README.md.
#include <exception>
#include <iostream>
#include <vector>

#include "cli.h"
#include "main_job.h"

namespace {

// Subcommands: one entry each. The first positional argument selects one;
// "run" is the default.
const std::vector<sh::host::Subcommand> kSubcommands = {
    {"run", "run", "load the config's components and run the pipeline", nullptr,
     &sh::host::run_main_job},
};

}  // namespace

int main(int argc, char** argv) {
  try {
    return sh::host::run_cli(argc, argv, kSubcommands);
  } catch (const std::exception& e) {
    std::cerr << "host: fatal: " << e.what() << "\n";
    return 1;
  }
}
