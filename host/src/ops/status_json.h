// The status snapshot as JSON: the body of GET /api/status.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "ops/status_snapshot.h"

namespace sh::host {

// now_wall_ns: the time of the request (uptime, ages). NaN numbers are null.
nlohmann::json status_to_json(const StatusSnapshot& s, int64_t now_wall_ns);

}  // namespace sh::host
