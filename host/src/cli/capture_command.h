// `host capture convert|info` (issue 17): the binary event capture
// (sdk/include/strategy_host/capture_format.h).
//
//   host capture convert --config C --to FILE.shcap [--force]
//       polls the config's providers (CSV / JSON-lines replay, Binance or
//       Coinbase captures ...) exactly as a run's ingress does, merged in
//       event time, and writes every delivered event; the `capture` provider
//       replays FILE with the same digest as a run over the providers.
//   host capture info FILE.shcap [--format text|json]
//       the header: events, symbols, time range, size; refuses a bad file.
//
// Exit status: 0 ok, 1 error (config, provider, file), 2 usage.
#pragma once

#include <boost/program_options.hpp>

#include "cli/cli.h"

namespace sh::host {

void add_capture_options(boost::program_options::options_description& options);
int run_capture_command(const HostConfig& config, const CliOptions& options);

}  // namespace sh::host
