// services/: host-wide services, one set per process: the clock, the symbol
// table, counters, the sh_host_services table handed to plugins, and log
// throttling. Every other folder may use them; they use only the SDK.
//
// Host services handed to plugin instances (sh_host_services).
//
// HostRuntime holds the host-wide services (one per host process, shared by
// every shard). InstanceServices is the per-instance table: its host_ctx points
// at itself, so logs and counters are attributed to the instance's component
// name ("[component] msg", "component.counter").
#pragma once

#include <atomic>
#include <filesystem>
#include <limits>

#include <strategy_host/abi.h>

#include <string>
#include <vector>

#include "services/counters.h"
#include "services/host_clock.h"
#include "services/symbol_table.h"

namespace sh::host {

struct HostRuntime {
  SymbolTable symbols;
  // The configured feature column names (config `features:`), set when the
  // pipeline config is parsed: Lua rules' row.<name> (their load-time dry
  // run knows the names).
  std::vector<std::string> feature_columns;
  CounterRegistry counters;
  HostClock clock;
  // The portfolio VaR (percent of equity) the decision layer gave the risk
  // chain at its last minute; NaN before the first. Written by the pipeline
  // thread, read by the control listener (the reload guard, var_pct:host).
  std::atomic<double> portfolio_var_pct{std::numeric_limits<double>::quiet_NaN()};
  // Progress of the pipeline thread, read by the heartbeat thread: the last
  // committed minute (0 = none yet) and how many minutes committed.
  std::atomic<int64_t> last_minute_ts_ns{0};
  std::atomic<uint64_t> minutes_committed{0};
  // Turns of the pipeline's run loop (one per ingress poll, at least one a
  // millisecond while it waits for data); /health reads it (ops/).
  std::atomic<uint64_t> loop_turns{0};
  // The config file's directory: relative values of the "format": "path"
  // fields of a plugin's config resolve against it before create() and
  // set_config() (config/config_paths.h). Empty: passed as written.
  std::filesystem::path config_dir;
};

class InstanceServices {
 public:
  // runtime must outlive this object.
  InstanceServices(std::string component, HostRuntime& runtime);
  InstanceServices(const InstanceServices&) = delete;
  InstanceServices& operator=(const InstanceServices&) = delete;

  // Valid for the life of this object; pass to the plugin's create().
  const sh_host_services* table() const { return &table_; }
  const std::string& component() const { return component_; }
  HostRuntime& runtime() const { return runtime_; }

 private:
  static void log(void* ctx, sh_log_level level, const char* msg);
  static int64_t now_ns(void* ctx);
  static sh_symbol_id intern_symbol(void* ctx, const char* name);
  static const char* symbol_name(void* ctx, sh_symbol_id id);
  static uint32_t counter_register(void* ctx, const char* name);
  static void counter_add(void* ctx, uint32_t counter_id, int64_t delta);

  std::string component_;
  HostRuntime& runtime_;
  sh_host_services table_;
};

}  // namespace sh::host
