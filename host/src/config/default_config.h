// The text of config/default.yaml, compiled into the binary at build time
// (host/CMakeLists.txt regenerates the definition whenever the file changes).
#pragma once

#include <string_view>

namespace sh::host {

std::string_view embedded_default_config();

}  // namespace sh::host
