// Config drift: what a state dir serves against the YAML on disk.
//
// A reload (param.reload, `host reload`, a Lua file change) changes what
// serves without touching the YAML; after a restart the host re-applies it
// (SwapStage::find_restore). Operators then need to see that the file no
// longer says what runs, and a way to write the serving config out:
// `host status` and `host --validate-config` list the drift, and
// `host config export` writes the YAML with the serving configs in place.
//
// A component drifts when the newest config_versions entry differs from the
// YAML's: its parameters (config: or a Lua rule's params:), its Lua source
// (the file's text against the serving source), or its plugin binary (the
// serving binary's SHA-256 against the file the YAML names by path, or,
// named by descriptor, against the binary of the newest startup entry).
#pragma once

#include <string>
#include <vector>

#include "config/host_config.h"
#include "control/config_history.h"
#include "store/state_store.h"

namespace sh::host {

struct ComponentDrift {
  ConfigVersion serving;             // the newest config_versions entry
  std::vector<std::string> what;     // "config", "rule source", "plugin binary"
};

// Components of `config` whose serving version differs from the YAML, in
// config order. Components the store has never served are not listed.
Status find_config_drift(const HostConfig& config, const StateTxn& txn,
                         std::vector<ComponentDrift>* out);

// The same, opening the config's state dir read-only (safe while a host runs).
Status read_config_drift(const HostConfig& config, std::vector<ComponentDrift>* out);

// Human text, one line per component:
//   "  kelly_var: serving version 3 (v7, set_config by redis 2026-...), the YAML differs in config"
std::string format_config_drift(const std::vector<ComponentDrift>& drift);

// The YAML text of `config` with each drifting component's serving
// parameters (and plugin path) in place. *notes: what the YAML cannot hold
// (a serving Lua source that differs from its file).
std::string export_serving_config(const HostConfig& config, const std::vector<ComponentDrift>& drift,
                                  std::vector<std::string>* notes);

}  // namespace sh::host
