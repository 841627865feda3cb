// `host reload`: publishes one param.reload message, the way operators are
// meant to (rather than a bare `redis-cli PUBLISH`, which is only a hint).
//
//   host reload --component C [--config-path P] [--plugin-path P]
//               [--rule-path P] [--label V] [--rollback N] [--dry-run]
//               [--config host.yaml]
//
// Builds the message, validates it against the same config the host runs
// (components, plugin/rule/config dirs), signs it when control.hmac_secret_env
// is configured, then in one MULTI/EXEC stores it in the desired-state hash
// (HSET <desired_key> C <message>, so a host that was disconnected reconciles
// it) and PUBLISHes it on the channel. A dry run is only published: it is not
// a desired state. Prints how many subscribers received it.
// --label sets the message's "version" (--version is the host's own flag).
// Paths are sent as given: the host resolves relative ones against its
// config file's directory.
// Exit status: 0 published, 1 config/validation/Redis error, 2 usage error.
#pragma once

#include <boost/program_options.hpp>

#include "cli/cli.h"
#include "config/host_config.h"

namespace sh::host {

void add_reload_options(boost::program_options::options_description& options);
int run_reload_command(const HostConfig& config, const CliOptions& options);

}  // namespace sh::host
