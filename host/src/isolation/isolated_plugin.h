// The host side of an `isolation: process` plugin: a proxy with the plugin's
// own descriptor shape, so PluginInstance and the pipeline call it exactly
// as they call a plugin loaded in process.
//
// Each call copies the batch (the same C ABI structs) into shared memory,
// wakes the child (sh-plugin-runner), and waits for its reply with a
// deadline (IsolationOptions::call_timeout_ms). When the child dies (a
// signal, exit()/_exit()), hangs past the deadline or sends a malformed
// reply, the component is faulted: one error line names it and what happened
//   component 'x' (isolated, pid N) died of SIGSEGV during detect()
// "<component>.isolation_faults" counts it, and the call returns
// SH_ERR_INTERNAL with that line as last_error(), so the pipeline's usual
// rules apply (risk: POLICY_ERROR deny, expert: abstain, detector: a
// detector error). With restart: true the next call starts a new child
// (created with the component's current config and, for a plugin with
// durable state, the last state saved or loaded) after a backoff of 0, 0.1,
// 0.2, ... 5 s, at most max_restarts times per run
// ("<component>.isolation_restarts").
#pragma once

#include <strategy_host/abi.h>

#include <string>

#include "isolation/isolation_options.h"
#include "plugins/plugin_library.h"

namespace sh::host {

// A copy of the library's descriptor whose functions go to the child. create
// is NULL: instances come from create_isolated_instance.
sh_plugin_descriptor make_isolated_descriptor(const PluginLibrary& library);

// Starts the child and creates the plugin instance in it. Like a plugin's
// create(): returns the instance (a proxy) with *rc = SH_OK, or an error in
// *rc and possibly a non-NULL proxy whose last_error() says why (the caller
// then destroys it through the descriptor). host must outlive the proxy.
void* create_isolated_instance(const PluginLibrary& library, const std::string& component,
                               const IsolationOptions& options, const sh_host_services* host,
                               const char* config_json, sh_status* rc);

// The parameters a restarted child is created with, after a set_config that
// changed them (a one-shot command sent through set_config does not).
void set_isolated_restart_config(void* instance, const std::string& config_json);

// Called from the host's SIGTERM/SIGINT handler (async-signal-safe: one
// atomic store): from then on a call waits at most 500 ms for its child, so a
// hung isolated plugin cannot hold up the host's exit.
void note_host_stopping() noexcept;

// The runner executable: $SH_PLUGIN_RUNNER, else sh-plugin-runner next to the
// running executable, else in ../bin from it (benchmarks, tests).
std::string plugin_runner_path();

}  // namespace sh::host
