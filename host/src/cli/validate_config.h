// `host --validate-config`: everything a start would do up to the first event.
#pragma once

#include <ostream>

#include "config/host_config.h"

namespace sh::host {

// Finds every component's plugin, validates its config against the schema,
// creates the instance and destroys it again. Prints "config OK: N components"
// to out, or one line per problem to err. Returns the exit code (0 or 1).
int validate_config(const HostConfig& config, std::ostream& out, std::ostream& err);

}  // namespace sh::host
