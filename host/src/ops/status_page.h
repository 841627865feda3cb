// The live status page served at GET / (host/src/ops/status_page.html,
// compiled in by host/CMakeLists.txt): one static HTML/JS file, no CDN, no
// build step; it polls /api/status.
#pragma once

#include <string_view>

namespace sh::host {

std::string_view status_page_html();

}  // namespace sh::host
