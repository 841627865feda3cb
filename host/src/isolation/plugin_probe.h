// Opening a plugin file that nobody vouched for: first in a child process.
//
// A library runs code as it loads (constructors); one that crashes, exits or
// hangs there would take the process that dlopen()s it down. open_probed
// loads the file in `sh-plugin-runner --probe FILE` first (after the ELF
// check) and only when that child survived loads it here. Used where the
// host opens every file of the plugin dirs: `host --list-plugins`, and a
// run whose config names a plugin that is not lib<name>.so (the full scan).
#pragma once

#include <cstdint>
#include <filesystem>

#include "plugins/plugin_library.h"

namespace sh::host {

constexpr int64_t kProbeTimeoutMs = 5000;

// As PluginLibrary::open; a file whose probe died is an entry with a status
// "load error: PATH: crashed while loading (SIGSEGV; probed in a child
// process)" (or "exited with status N while loading", or "did not finish
// loading within 5000 ms"), never loaded here. Without a runner (not built
// or not found) this is PluginLibrary::open.
PluginLibrary::Opened open_probed(const std::filesystem::path& path);

}  // namespace sh::host
