// The plugin files a run loads: only those its config names.
//
// A run used to dlopen every .so in every plugin dir, so one broken file that
// no component names could stop every run. A component naming plugin `x` is
// looked up as lib<x>.so in the plugin dirs first (earlier dirs win); only
// when a name is not found that way (or that file is not plugin `x`) do the
// dirs get scanned in full, each file ELF-checked and probed in a child
// process before it is loaded.
#pragma once

#include "config/host_config.h"
#include "plugins/plugin_catalog.h"

namespace sh::host {

PluginCatalog scan_configured_plugins(const HostConfig& config);

// Every file of the plugin dirs and the files the config names, each probed
// in a child process before it is loaded here (isolation/plugin_probe.h):
// what `host --list-plugins` shows.
PluginCatalog scan_plugins_probed(const HostConfig& config);

}  // namespace sh::host
