#include "cli/run_command.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>

#include "plugins/component_loader.h"
#include "isolation/call_watchdog.h"
#include "isolation/isolated_plugin.h"
#include "isolation/plugin_call_scope.h"
#include "isolation/plugin_selection.h"
#include "config/config_source.h"
#include "cli/history_command.h"
#include "control/heartbeat.h"
#include "control/control_config.h"
#include "control/reload_listener.h"
#include "control/reload_message.h"
#include "control/swap_coordinator.h"
#include "control/swap_journal.h"
#include "ops/http_config.h"
#include "ops/ops_server.h"
#include "services/host_services.h"
#include "plugins/lua_rule_loader.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_components.h"
#include "plugins/plugin_instance.h"
#include "store/run_lock.h"
#include "store/snapshot_export.h"
#include "store/state_store.h"
#include "store/time_format.h"

namespace sh::host {
namespace {

std::atomic<Pipeline*> g_running{nullptr};

extern "C" void on_reload_signal(int) {
  // Only an atomic store: async-signal-safe. The pipeline thread reloads.
  if (Pipeline* p = g_running.load()) p->request_all_rules_reload();
}

extern "C" void on_stop_signal(int sig) {
  // Only atomic stores: async-signal-safe.
  note_stop_signal_for_watchdog(sig);
  note_host_stopping();
  if (Pipeline* p = g_running.load()) p->request_stop();
}

// The outcome log line when no Redis control plane publishes it.
void log_outcome(const ReloadOutcome& o) {
  const std::string shadow_line = shadow_outcome_line(o);
  if (!shadow_line.empty()) {
    spdlog::info("{}", shadow_line);
  } else if (o.applied) {
    spdlog::info("Configuration reloaded: {} version {} (hash {}) effective at event {}",
                 o.request.component, o.config_version, o.content_hash.substr(0, 12),
                 o.effective_seq);
  } else if (o.request.dry_run && o.reason.rfind("dry run:", 0) == 0) {
    spdlog::info("Configuration reload {}", o.reason);
  } else {
    spdlog::warn("Configuration reload refused: {}: {}", o.request.component, o.reason);
  }
}

}  // namespace

void add_run_options(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()
      ("swap-journal", po::value<std::string>(),
       "replay: apply the swaps of this JSON-lines journal (host config journal) at their "
       "recorded event counts")
      ("swap-journal-from", po::value<std::string>(),
       "replay: the same, from the swap_journal of this state dir (its newest session)");
}

int run_pipeline_job(const HostConfig& config, const CliOptions& options) {
  HostRuntime runtime;
  runtime.config_dir = config.base_dir();
  PipelineConfig pipeline_config;
  ControlConfig control_config;
  HttpConfig http_config;
  try {
    pipeline_config = parse_pipeline_config(config, runtime);
    control_config = parse_control_config(config);
    http_config = parse_http_config(config);
  } catch (const ConfigError& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  if (const int rc = apply_history_governance(config, &pipeline_config); rc != 0) return rc;

  // Read before Pipeline::open(), which resets a replay's own store.
  std::vector<ConfigVersion> journal;
  const auto& vm = options.vm;
  const bool want_journal = vm.count("swap-journal") || vm.count("swap-journal-from");
  if (want_journal) {
    if (config.mode() != RunMode::kReplay) {
      spdlog::error("--swap-journal and --swap-journal-from apply to replay mode only (mode is {})",
                    run_mode_name(config.mode()));
      return 1;
    }
    const Status js =
        vm.count("swap-journal")
            ? load_swap_journal_file(vm["swap-journal"].as<std::string>(), &journal)
            : load_swap_journal_from_store(vm["swap-journal-from"].as<std::string>(), &journal);
    if (!js.ok()) {
      spdlog::error("swap journal: {}", js.message());
      return 1;
    }
  }
  const RedisSettings redis = pipeline_config.redis;

  // One host per state dir, before anything reads or resets the store.
  std::unique_ptr<RunLock> run_lock;
  std::string left_by;
  if (const Status ls = RunLock::acquire(config.state_dir().string(), &run_lock, &left_by);
      !ls.ok()) {
    spdlog::error("{}", ls.message());
    return 1;
  }
  if (!left_by.empty()) {
    spdlog::warn("state dir {}: took over the run lock left by a host that did not stop cleanly ({})",
                 config.state_dir().string(), left_by);
  }

  install_plugin_exit_guard();  // a plugin's exit() ends the host with 70, named
  const PluginCatalog catalog = scan_configured_plugins(config);
  for (const auto& w : catalog.warnings()) spdlog::warn("plugin dir {}", w);
  LoadedComponents loaded = load_components(config, catalog, runtime);
  LoadedRules rules = load_lua_components(config, runtime);
  if (!loaded.errors.empty() || !rules.errors.empty()) {
    for (const auto& e : loaded.errors) spdlog::error("{}", e);
    for (const auto& e : rules.errors) spdlog::error("{}", e);
    return 1;
  }
  PipelineComponents parts = assemble_pipeline_components(config, loaded, rules);
  std::vector<PluginInstance*>& providers = parts.providers;
  if (providers.empty()) {
    spdlog::error("{}: no providers: configure at least one under providers:", config.source_name());
    return 1;
  }
  spdlog::info("{} mode: {} providers, {} detectors; state {}, outputs {}",
               run_mode_name(config.mode()), providers.size(), parts.detectors.size(),
               config.state_dir().string(), config.output_dir().string());

  const bool any_expert_plugin =
      std::any_of(parts.experts.begin(), parts.experts.end(),
                  [](const DecisionComponent& d) { return d.instance != nullptr; });
  if (!any_expert_plugin && (!parts.risk.empty() || !parts.experts.empty())) {
    spdlog::warn("{} risk components and {} router rules configured but no expert plugin: the "
                 "decision layer is off",
                 parts.risk.size(), parts.experts.size());
  }

  Pipeline pipeline(std::move(pipeline_config), config, runtime, providers,
                    std::move(parts.detectors));
  pipeline.set_decision_components(std::move(parts.experts), std::move(parts.risk), parts.venue);
  // The pipeline owns the instances from here on, so that a swap can hand the
  // one it replaces back to the control side.
  pipeline.adopt_instances(std::move(loaded.instances));
  // host.http: the status the pipeline publishes, served on a thread of its own.
  std::unique_ptr<OpsServer> ops;
  if (http_config.enabled()) {
    ops = std::make_unique<OpsServer>(http_config, runtime);
    pipeline.set_status_board(&ops->board(), HostClock::wall_ns());
  }
  Status st = pipeline.open();
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return 1;
  }

  // Control plane: the coordinator prepares swaps; the listener (Redis
  // param.reload, live modes with redis: enabled) feeds it and publishes
  // outcomes; without it outcomes are log lines.
  std::atomic<ReloadListener*> listener_ptr{nullptr};
  SwapCoordinator coordinator(config, runtime, pipeline, [&listener_ptr](const ReloadOutcome& o) {
    if (ReloadListener* l = listener_ptr.load()) {
      l->publish_outcome(o);
    } else {
      log_outcome(o);
    }
  });
  coordinator.schedule_restore(pipeline.restore_versions());
  if (!journal.empty()) {
    st = coordinator.schedule_journal(journal);
    if (!st.ok()) {
      spdlog::error("{}", st.message());
      return 1;
    }
    spdlog::info("replaying {} journalled swaps", journal.size());
  } else if (want_journal) {
    spdlog::info("the swap journal is empty: nothing to replay");
  }
  std::unique_ptr<ReloadListener> listener;
  if (redis.enabled && config.mode() != RunMode::kReplay) {
    ReloadListener::Callbacks cb;
    cb.on_request = [&coordinator](ReloadRequest r) { coordinator.submit(r); };
    cb.current_version = [&pipeline](const std::string& component) {
      SwapTargetInfo t;
      return pipeline.swap_target(component, &t) ? t.current.label : std::string();
    };
    cb.host_var_pct = [&runtime] { return runtime.portfolio_var_pct.load(std::memory_order_relaxed); };
    listener = std::make_unique<ReloadListener>(control_config, redis, std::move(cb));
    listener_ptr.store(listener.get());
    // Router switches go to the same stream as reload outcomes (runbook 002:
    // `redis-cli XREVRANGE model.switch.log + - COUNT 20`).
    pipeline.set_switch_observer([l = listener.get()](std::string_view symbol, const SwitchRecord& sw) {
      l->publish_stream_entry({"kind", "model_switch", "symbol", std::string(symbol), "from", sw.from,
                               "to", sw.to, "reason", sw.reason, "ts_ns", std::to_string(sw.ts_ns),
                               "ts", format_iso8601_utc(sw.ts_ns)});
    });
    listener->start();
  }
  g_running.store(&pipeline);
  // From here a plugin call stuck past host.watchdog_ms, or a stop signal
  // not obeyed within 2 s, ends the process (isolation/call_watchdog.h).
  watch_plugin_calls_on_this_thread();
  CallWatchdog watchdog(config.watchdog_ms(), 2000);
  auto old_int = std::signal(SIGINT, on_stop_signal);
  auto old_term = std::signal(SIGTERM, on_stop_signal);
  auto old_hup = std::signal(SIGHUP, on_reload_signal);  // operator: reload every Lua rule
  // Once a stop signal is handled: whoever sees the port may stop the host.
  if (ops) st = ops->start(pipeline.store());
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
    std::signal(SIGHUP, old_hup);
    g_running.store(nullptr);
    return 1;
  }
  // Live modes: a heartbeat every host.heartbeat_ms (runbook 001).
  std::unique_ptr<Heartbeat> heartbeat;
  if (config.mode() != RunMode::kReplay && config.heartbeat_ms() > 0) {
    HeartbeatOptions ho;
    ho.interval_ms = config.heartbeat_ms();
    ho.file = config.state_dir() / "heartbeat.json";
    ho.mode = run_mode_name(config.mode());
    ho.redis = redis;
    heartbeat = std::make_unique<Heartbeat>(ho, [&runtime, &pipeline] {
      HeartbeatFigures f;
      f.minutes = runtime.minutes_committed.load(std::memory_order_relaxed);
      f.last_minute_ts_ns = runtime.last_minute_ts_ns.load(std::memory_order_relaxed);
      f.events = pipeline.events_consumed();
      return f;
    });
    heartbeat->start();
  }
  st = pipeline.run();
  if (heartbeat) heartbeat->stop();
  if (ops) ops->stop();
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  std::signal(SIGHUP, old_hup);
  g_running.store(nullptr);
  coordinator.drain();  // outcomes of the last swaps reach the listener / log
  // Requests that arrived after the run loop ended are refused, not lost.
  pipeline.discard_queued_swaps("the run ended before the swap took effect");
  coordinator.drain();
  if (listener) {
    listener->stop();  // publishes the last outcomes (the discarded ones too)
    listener_ptr.store(nullptr);
    const ReloadListenerStats ls = listener->stats();
    ReloadMessageFigures f;
    f.enabled = true;
    f.received = ls.received;
    f.applied = ls.applied;
    f.refused = ls.refused;
    f.refused_by_reason = ls.refused_by_reason;
    pipeline.set_reload_message_figures(std::move(f));
  }

  pipeline.print_summary(std::cout);
  std::cout.flush();
  const std::filesystem::path summary_path = config.output_dir() / "run_summary.json";
  std::ofstream(summary_path) << pipeline.summary_json() << "\n";
  if (!st.ok()) {
    spdlog::error("run stopped: {}", st.message());
    return 1;
  }
  return 0;
}

void add_snapshot_options(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()
      ("symbol", po::value<std::string>(), "symbol to export (required)")
      ("from", po::value<std::string>()->default_value("1970-01-01"), "first minute (ISO-8601 or ns), inclusive")
      ("to", po::value<std::string>()->default_value("2262-01-01"), "last minute (ISO-8601 or ns), exclusive")
      ("format", po::value<std::string>()->default_value("csv"), "csv or jsonl");
}

int run_snapshot_command(const HostConfig& config, const CliOptions& options) {
  const auto& vm = options.vm;
  if (!vm.count("symbol")) {
    std::cerr << "host snapshot: --symbol is required\n";
    return 2;
  }
  int64_t from_ns = 0, to_ns = 0;
  SnapshotFormat format;
  Status st = parse_time_ns(vm["from"].as<std::string>(), &from_ns);
  if (st.ok()) st = parse_time_ns(vm["to"].as<std::string>(), &to_ns);
  if (st.ok()) st = parse_snapshot_format(vm["format"].as<std::string>(), &format);
  if (!st.ok()) {
    std::cerr << "host snapshot: " << st.message() << "\n";
    return 2;
  }
  StateStoreOptions so;
  so.dir = config.state_dir().string();
  so.read_only = true;
  std::unique_ptr<StateStore> store;
  st = StateStore::open(so, &store);
  if (st.ok()) st = export_snapshots(*store, vm["symbol"].as<std::string>(), from_ns, to_ns, format, std::cout);
  if (!st.ok()) {
    std::cerr << "host snapshot: " << st.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace sh::host
