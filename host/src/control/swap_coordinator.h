// SwapCoordinator: the swap side of `param.reload` (control thread).
//
// submit(request) validates and builds the candidate off the hot path:
//   plugin + config_path   read the YAML/JSON map, validate it against the
//                          serving plugin's schema; set_config on the live
//                          instance when the plugin supports it, else a new
//                          instance of the same library
//   plugin + plugin_path   copy to <state>/plugin_cache/<sha256>-<name>, open
//                          (ABI, descriptor), check the kind, create a new
//                          instance (with config_path's map, or the serving
//                          config) and warm it with one call on an empty batch
//   Lua rule               LuaRule::prepare (compile + dry run) of rule_path,
//                          or of the serving file, with config_path's map as
//                          params (or the serving params)
//   rollback: N            rebuild config_versions entry N the same way
//   dry_run                all of the above, then report "dry run: would
//                          apply ..." and drop the candidate
//   shadow (start)         any of the above as a candidate of its own (a new
//                          instance, never set_config; a Lua rule of its
//                          own), run beside the serving version: detectors only
//   promote / discard      the running candidate's record as a plain swap
//                          that ends the trial / the end of the trial
// then hands the PreparedSwap to the pipeline, which applies it between two
// input events and hands back the instance it replaced. A refusal (unknown
// component, schema violation naming the field, the loader's status, the
// create() error, the rule's file:line) leaves the serving version alone.
//
// Outcomes (refusals here and the pipeline's applied/refused reports) reach
// the outcome callback on the coordinator's own reporter thread, in order;
// retired instances are destroyed there too, never on the pipeline thread.
// Paths in a request resolve against the config's directory; plugin files
// must lie in host.plugin_dirs (or be a component's configured plugin file,
// or a content-addressed copy in the plugin cache) and rule files in
// host.rule_dirs: a message cannot load code from anywhere else.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/prepared_swap.h"
#include "control/reload_request.h"
#include "config/host_config.h"
#include "services/host_services.h"
#include "pipeline/pipeline.h"

namespace sh::host {

class SwapCoordinator final : public SwapListener {
 public:
  // Called on the reporter thread, one outcome at a time, in order.
  using OutcomeFn = std::function<void(const ReloadOutcome&)>;
  // Also called there, for applied swaps: what was written (tests, benches).
  using AppliedFn = std::function<void(const SwapDone&)>;

  // Registers itself as the pipeline's swap listener. config, runtime and
  // pipeline must outlive it. The pipeline must be open() before submit().
  SwapCoordinator(const HostConfig& config, HostRuntime& runtime, Pipeline& pipeline,
                  OutcomeFn on_outcome);
  ~SwapCoordinator() override;
  SwapCoordinator(const SwapCoordinator&) = delete;
  SwapCoordinator& operator=(const SwapCoordinator&) = delete;

  void set_applied_callback(AppliedFn fn) { on_applied_ = std::move(fn); }

  // Control thread: prepare + enqueue, or report the refusal. Returns "" when
  // the swap was enqueued (or a dry run passed), else the refusal reason.
  std::string submit(const ReloadRequest& request);

  struct Prepared {
    std::unique_ptr<PreparedSwap> swap;  // null when refused
    std::string error;                   // the refusal reason
  };
  // Validates and builds the candidate; never touches the pipeline's live
  // instances. Thread-safe with respect to the pipeline thread.
  Prepared prepare(const ReloadRequest& request);
  // Rebuilds a stored record. exact: keep its swap kind (replay); otherwise
  // choose set_config when the serving library is the same (rollback).
  Prepared prepare_record(const ConfigVersion& record, const ReloadRequest& request, bool exact);
  // prepare_record with a request naming the record's component and label.
  Prepared rebuild(const ConfigVersion& record, const char* origin, bool exact);

  // Replay: rebuilds every journal entry and schedules it on the pipeline at
  // its effective_seq. Before Pipeline::run(). An error names the first
  // entry that cannot be rebuilt.
  Status schedule_journal(const std::vector<ConfigVersion>& journal);

  // A restart (persistent modes): rebuilds each version the host was serving
  // by reload when it stopped (Pipeline::restore_versions) and schedules it
  // before the first event, origin "restore". A version that cannot be
  // rebuilt is logged and the YAML's config keeps serving.
  void schedule_restore(const std::vector<ConfigVersion>& versions);

  // Blocks until every outcome reported so far has been delivered.
  void drain();

  // SwapListener (pipeline thread): queues for the reporter thread.
  void on_swap_done(SwapDone done) override;

 private:
  struct Report {
    ReloadOutcome outcome;
    std::unique_ptr<SwapDone> done;  // set for pipeline reports
  };
  void post(Report report);
  void reporter_loop();
  Prepared refuse(const std::string& reason);
  Prepared prepare_plugin(const ReloadRequest& request, const SwapTargetInfo& target);
  Prepared prepare_lua(const ReloadRequest& request, const SwapTargetInfo& target);
  // Builds a new instance, validates, warms it. Fills swap->instance.
  std::string create_instance(const std::string& component,
                              std::shared_ptr<const PluginLibrary> library,
                              const nlohmann::json& config, PreparedSwap* swap);
  std::string build_rule(const std::string& component, const std::string& path,
                         const std::string& source, const nlohmann::json& params,
                         PreparedSwap* swap);
  std::string check_plugin_path(const std::filesystem::path& path) const;
  std::string check_rule_path(const std::filesystem::path& path) const;
  void finish_label(PreparedSwap* swap) const;
  // Shadow trials: why `request` (shadow start, promote or discard) cannot
  // act on `target`, or "".
  std::string shadow_refusal(const ReloadRequest& request, const SwapTargetInfo& target) const;
  Prepared prepare_discard(const ConfigVersion& candidate, const ReloadRequest& request);
  Prepared prepare_promote(const ConfigVersion& candidate, const ReloadRequest& request);

  const HostConfig& config_;
  HostRuntime& runtime_;
  Pipeline& pipeline_;
  OutcomeFn on_outcome_;
  AppliedFn on_applied_;
  std::filesystem::path plugin_cache_;
  std::filesystem::path rule_cache_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Report> reports_;  // guarded by mu_
  bool busy_ = false;           // guarded by mu_: a report is being delivered
  bool stopping_ = false;       // guarded by mu_
  std::thread reporter_;
};

// A YAML or JSON map file as a JSON object (plugin config / rule params).
// Throws ConfigError naming the file.
nlohmann::json load_config_map(const std::filesystem::path& path);

}  // namespace sh::host
