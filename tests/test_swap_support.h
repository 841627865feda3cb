// Helpers for the [reload] swap tests: an in-process pipeline over the
// shipped sample session with a pacing probe stage, and a SwapCoordinator
// whose outcomes the test can wait for.
#ifndef SH_TESTS_TEST_SWAP_SUPPORT_H
#define SH_TESTS_TEST_SWAP_SUPPORT_H

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plugins/component_loader.h"
#include "control/swap_coordinator.h"
#include "config/host_config.h"
#include "services/host_services.h"
#include "detectors/lua_detector_stage.h"
#include "plugins/lua_rule_loader.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_components.h"
#include "config/pipeline_config.h"
#include "test_host_support.h"

namespace sh_test {

inline const std::string& sample_dir() {
  static const std::string d = std::string(SH_SOURCE_DIR) + "/data/sample";
  return d;
}

// host.yaml over the sample session; detectors as given; plugin dirs: the
// real plugins and the test plugins; rule dir: <dir>/rules.
// poll: events per provider poll (a swap lands between two polls; the
// replay of a journal splits polls wherever needed, so it may differ).
inline std::string swap_config(const std::string& detectors, const std::string& state = "state",
                               int poll = 200) {
  return "host:\n"
         "  mode: replay\n"
         "  plugin_dirs: ['" SH_PLUGIN_DIR "', '" SH_TEST_PLUGIN_DIR "']\n"
         "  rule_dirs: [rules]\n"
         "  state_dir: " + state + "\n"
         "  output_dir: out\n"
         + sh_test::sample_providers_yaml() +
         "conveyor: {benchmark: BTC, poll_max_events: " + std::to_string(poll) + "}\n"
         "detectors:\n" + detectors;
}

// A Lua detector rule tagging BTC rows with class `tag` (score: params.score or 60).
inline std::string tagging_rule(const std::string& tag) {
  return "-- tags BTC rows with class " + tag + "\n"
         "function detect(row, ctx)\n"
         "  if row.symbol_name ~= 'BTC' then return nil end\n"
         "  return params.score or 60, '" + tag + "'\n"
         "end\n";
}

// A stage after the others: holds the pipeline thread at each minute until
// the test lets it through, and records which config version of each
// watched component served that minute (read on the pipeline thread, so it
// is exactly the version the minute's detectors ran with).
class PacingProbe final : public sh::host::DetectorStage {
 public:
  explicit PacingProbe(std::vector<std::string> watched) : watched_(std::move(watched)) {}
  void attach(const sh::host::Pipeline* p) { pipeline_ = p; }
  const std::string& name() const override { return name_; }
  const std::string& version() const override { return name_; }
  std::string last_error() const override { return ""; }
  sh_status detect(const sh_feature_batch& rows, const sh_market_context&,
                   const sh_hit_sink&) override {
    std::map<std::string, uint64_t> versions;
    for (const auto& c : watched_) {
      sh::host::SwapTargetInfo t;
      if (pipeline_ && pipeline_->swap_target(c, &t)) versions[c] = t.current.version;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return free_run_ || minutes_ < allowed_; });
    ++minutes_;
    by_minute_[rows.minute_ts_ns] = std::move(versions);
    cv_.notify_all();
    return SH_OK;
  }
  // Lets `n` more minutes through and waits until they ran.
  bool step(size_t n = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    allowed_ += n;
    cv_.notify_all();
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return minutes_ >= allowed_; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    free_run_ = true;
    cv_.notify_all();
  }
  std::map<int64_t, std::map<std::string, uint64_t>> by_minute() {
    std::lock_guard<std::mutex> lock(mu_);
    return by_minute_;
  }

 private:
  std::string name_ = "probe";
  std::vector<std::string> watched_;
  const sh::host::Pipeline* pipeline_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t allowed_ = 0;
  size_t minutes_ = 0;
  bool free_run_ = false;
  std::map<int64_t, std::map<std::string, uint64_t>> by_minute_;
};

// Outcomes as the coordinator reports them, with a wait.
class OutcomeLog {
 public:
  void add(const sh::host::ReloadOutcome& o) {
    std::lock_guard<std::mutex> lock(mu_);
    outcomes_.push_back(o);
    cv_.notify_all();
  }
  bool wait_for_count(size_t n, std::chrono::seconds limit = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return outcomes_.size() >= n; });
  }
  std::vector<sh::host::ReloadOutcome> all() {
    std::lock_guard<std::mutex> lock(mu_);
    return outcomes_;
  }
  sh::host::ReloadOutcome last() {
    std::lock_guard<std::mutex> lock(mu_);
    return outcomes_.back();
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return outcomes_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<sh::host::ReloadOutcome> outcomes_;
};

// Everything one in-process run needs, built like run_pipeline_job does.
struct SwapRun {
  explicit SwapRun(const fs::path& host_yaml, bool with_probe = true,
                   std::vector<std::string> watched = {})
      : config(sh::host::HostConfig::load_file(host_yaml)) {
    using namespace sh::host;
    pc = parse_pipeline_config(config, runtime);
    const PluginCatalog catalog = scan_plugins(config);
    LoadedComponents loaded = load_components(config, catalog, runtime);
    LoadedRules rules = load_lua_components(config, runtime);
    for (const auto& e : loaded.errors) errors.push_back(e);
    for (const auto& e : rules.errors) errors.push_back(e);
    PipelineComponents parts = assemble_pipeline_components(config, loaded, rules);
    if (with_probe) {
      auto p = std::make_unique<PacingProbe>(std::move(watched));
      probe = p.get();
      parts.detectors.push_back(std::move(p));
    }
    pipeline = std::make_unique<Pipeline>(pc, config, runtime, parts.providers,
                                          std::move(parts.detectors));
    pipeline->set_decision_components(std::move(parts.experts), std::move(parts.risk), parts.venue);
    pipeline->adopt_instances(std::move(loaded.instances));
    if (probe) probe->attach(pipeline.get());
    open_status = pipeline->open();
    coordinator = std::make_unique<SwapCoordinator>(
        config, runtime, *pipeline, [this](const sh::host::ReloadOutcome& o) { outcomes.add(o); });
  }
  ~SwapRun() {
    if (probe) probe->release();
    if (runner.joinable()) runner.join();
    coordinator.reset();
    pipeline.reset();
  }
  SwapRun(const SwapRun&) = delete;
  SwapRun& operator=(const SwapRun&) = delete;
  void start() {
    runner = std::thread([this] { run_status = pipeline->run(); });
  }
  void finish() {
    if (probe) probe->release();
    if (runner.joinable()) runner.join();
    coordinator->drain();
  }
  // Closes the store (LMDB allows one open per process) after finish().
  void close() {
    finish();
    coordinator.reset();
    probe = nullptr;  // owned by the pipeline
    pipeline.reset();
  }
  // Steps minutes until `n` outcomes arrived (the swap waits for the end of
  // the provider batch in flight). False after `max_minutes`.
  bool step_until_outcomes(size_t n, int max_minutes = 100) {
    for (int i = 0; i < max_minutes && outcomes.size() < n; ++i) {
      if (!probe->step()) return false;
    }
    return outcomes.wait_for_count(n, std::chrono::seconds(5));
  }
  sh::host::ReloadRequest request(const std::string& component) const {
    sh::host::ReloadRequest r;
    r.component = component;
    r.origin = "test";
    return r;
  }

  sh::host::HostConfig config;
  sh::host::HostRuntime runtime;
  sh::host::PipelineConfig pc;
  std::vector<std::string> errors;
  PacingProbe* probe = nullptr;
  std::unique_ptr<sh::host::Pipeline> pipeline;
  std::unique_ptr<sh::host::SwapCoordinator> coordinator;
  OutcomeLog outcomes;
  sh::host::Status open_status;
  sh::host::Status run_status;
  std::thread runner;
};

}  // namespace sh_test

#endif
