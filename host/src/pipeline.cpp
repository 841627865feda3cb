#include "pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <ostream>
#include <system_error>
#include <thread>
#include <utility>
#include <limits>
#include <cstddef>
#include <cstdlib>

#include "content_address.h"
#include "decision/order_intent.h"
#include "events/feed_recovery.h"
#include "events/redis_stream_sink.h"
#include "host_services.h"
#include "lua/rule_watcher.h"
#include "lua_detector_stage.h"
#include "lua_rule_loader.h"
#include "plugin_instance.h"
#include "store/time_format.h"
#include "trade_command.h"
#include "lua/lua_rule.h"

namespace sh::host {
namespace {

class PluginDetector final : public DetectorStage {
 public:
  explicit PluginDetector(PluginInstance& inst)
      : inst_(&inst), name_(inst.component()), version_(inst.library().version()) {}
  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  sh_status detect(const sh_feature_batch& rows, const sh_market_context& context,
                   const sh_hit_sink& sink) override {
    return inst_->detect(rows, context, sink);
  }
  std::string last_error() const override { return inst_->last_error(); }

  PluginInstance& instance() const { return *inst_; }
  // A swap: the next batch goes to `inst` (not owned; must outlive its use).
  void replace(PluginInstance& inst) {
    inst_ = &inst;
    version_ = inst.library().version();
  }

 private:
  PluginInstance* inst_;
  std::string name_;
  std::string version_;
};

const char* dq_name(sh_dq_status dq) {
  switch (dq) {
    case SH_DQ_OK: return "ok";
    case SH_DQ_STALE_BOOK: return "stale_book";
    case SH_DQ_NO_TRADES: return "no_trades";
    case SH_DQ_GAP: return "gap";
    case SH_DQ_LATE: return "late";
    default: return "unknown";
  }
}

bool is_reset_command(const nlohmann::json& config) {
  return config.is_object() && config.size() == 1 && config.contains("reset") &&
         config["reset"].is_boolean() && config["reset"].get<bool>();
}

// Logs the first few occurrences of a recurring problem, then every 1000th.
bool should_log(uint64_t occurrence) { return occurrence <= 5 || occurrence % 1000 == 0; }

Status open_jsonl(const std::filesystem::path& dir, const std::string& file, bool truncate,
                  OutputDigest* digest, const std::string& stream,
                  std::unique_ptr<JsonlFileSink>* out) {
  if (file.empty()) return Status::Ok();
  const std::filesystem::path path = dir / file;
  if (truncate) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) return Status::IoError(path.string() + ": cannot truncate: " + ec.message());
  }
  JsonlFileSinkOptions o;
  o.path = path.string();
  o.digest = digest;
  o.digest_stream = stream;
  return JsonlFileSink::open(o, out);
}

}  // namespace

std::unique_ptr<DetectorStage> make_plugin_detector(PluginInstance& instance) {
  return std::make_unique<PluginDetector>(instance);
}

Pipeline::Pipeline(PipelineConfig config, const HostConfig& host_config, HostRuntime& runtime,
                   std::vector<PluginInstance*> providers,
                   std::vector<std::unique_ptr<DetectorStage>> detectors)
    : config_(std::move(config)),
      host_config_(host_config),
      runtime_(runtime),
      providers_(std::move(providers)),
      detectors_(std::move(detectors)),
      conveyor_(config_.conveyor),
      merger_(providers_.size()),
      provider_done_(providers_.size(), false),
      stage_errors_(detectors_.size(), 0),
      version_suffix_(detectors_.size()) {
  for (size_t i = 0; i < providers_.size(); ++i) provider_ctx_.push_back({this, i});
  for (size_t i = 0; i < providers_.size(); ++i) {
    SwapSlot slot;
    slot.component = providers_[i]->component();
    slot.provider = static_cast<int>(i);
    slot.instance = providers_[i];
    slot.kind = SH_KIND_PROVIDER;
    slot.library = providers_[i]->shared_library();
    slots_.push_back(std::move(slot));
  }
  for (size_t i = 0; i < detectors_.size(); ++i) {
    SwapSlot slot;
    slot.component = detectors_[i]->name();
    slot.stage = static_cast<int>(i);
    slot.kind = SH_KIND_DETECTOR;
    if (auto* pd = dynamic_cast<PluginDetector*>(detectors_[i].get())) {
      slot.instance = &pd->instance();
      slot.library = slot.instance->shared_library();
    } else if (auto* rule = dynamic_cast<LuaDetectorStage*>(detectors_[i].get())) {
      slot.rule = &rule->rule();
    } else {
      continue;  // another stage type (tests): not swappable
    }
    slots_.push_back(std::move(slot));
  }
  hit_sink_.struct_size = sizeof(hit_sink_);
  hit_sink_.sink_ctx = this;
  hit_sink_.emit = &Pipeline::emit_hits;

  for (const auto& d : detectors_) {
    if (auto* stage = dynamic_cast<LuaDetectorStage*>(d.get())) {
      rules_.push_back({stage->name(), &stage->rule()});
    }
  }
}

void Pipeline::start_rule_watcher() {
  std::vector<std::string> rule_dirs;
  for (const RuleRef& r : rules_) {
    const std::string dir = std::filesystem::path(r.rule->path()).parent_path().string();
    if (std::find(rule_dirs.begin(), rule_dirs.end(), dir) == rule_dirs.end()) {
      rule_dirs.push_back(dir);
    }
  }
  if (!rule_dirs.empty()) {
    rule_watcher_ = std::make_unique<RuleWatcher>(rule_dirs);
    for (const auto& e : rule_watcher_->errors()) spdlog::warn("rule watcher: {}", e);
  }
}

Pipeline::~Pipeline() = default;

Status Pipeline::open() {
  const bool replay = config_.mode == RunMode::kReplay;
  const std::filesystem::path state_dir = host_config_.state_dir();
  if (replay) {
    // A replay owns its store: start empty so two replays write the same.
    std::error_code ec;
    for (const char* f : {"data.mdb", "lock.mdb"}) {
      std::filesystem::remove(state_dir / f, ec);
      if (ec) return Status::IoError((state_dir / f).string() + ": cannot reset for replay: " + ec.message());
    }
  }
  StateStoreOptions so;
  so.dir = state_dir.string();
  so.map_size_bytes = config_.state_map_size_bytes;
  so.sync_commits = config_.state_sync_commits;
  Status st = StateStore::open(so, &store_);
  if (!st.ok()) return st;
  store_->set_output_digest(&digest_);

  uint64_t last_seq = 0;
  st = store_->last_seq(&last_seq);
  if (!st.ok() && !st.is_not_found()) return st;
  gate_ = std::make_unique<EventGate>(config_.gate, last_seq + 1);
  start_rule_watcher();
  st = record_startup_versions();
  if (!st.ok()) return st;
  if (!replay) {
    StateTxn txn;
    st = store_->begin_read(&txn);
    if (!st.ok()) return st;
    std::string saved;
    st = txn.get(StateDb::kMeta, "event_gate_state", &saved);
    if (st.ok()) {
      st = gate_->restore_state(saved);
      if (!st.ok()) return st;
    } else if (!st.is_not_found()) {
      return st;
    }
  }

  if (!replay) {
    // A previous process may have died between writing a minute's feed
    // lines and committing it.
    st = trim_feeds_to_store();
    if (!st.ok()) return st;
  }
  const std::filesystem::path out_dir = host_config_.output_dir();
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Status::IoError(out_dir.string() + ": cannot create output dir: " + ec.message());
  const bool truncate = replay;
  switch (config_.mode) {
    case RunMode::kDryRun:
      st = open_jsonl(out_dir, config_.sinks.candidates_jsonl, true, &digest_, "candidates",
                      &candidates_jsonl_);
      break;
    case RunMode::kShadow:
      st = open_jsonl(out_dir, config_.sinks.shadow_jsonl, truncate, &digest_, "shadow_events",
                      &shadow_jsonl_);
      break;
    case RunMode::kCanary:
      st = open_jsonl(out_dir, config_.sinks.shadow_jsonl, truncate, &digest_, "shadow_events",
                      &shadow_jsonl_);
      if (st.ok()) st = open_jsonl(out_dir, config_.sinks.jsonl, truncate, &digest_, "events", &main_jsonl_);
      break;
    case RunMode::kProduction:
    case RunMode::kReplay:
      st = open_jsonl(out_dir, config_.sinks.jsonl, truncate, &digest_, "events", &main_jsonl_);
      break;
  }
  if (!st.ok()) return st;
  if (config_.decision.enabled && !experts_.empty()) {
    st = open_decision(out_dir, truncate);
    if (!st.ok()) return st;
  }
  // Replay never publishes outside its own files.
  if (!replay && config_.redis.enabled && !config_.sinks.redis_stream.empty() &&
      (config_.mode == RunMode::kProduction || config_.mode == RunMode::kCanary)) {
    RedisStreamSinkOptions ro;
    ro.host = config_.redis.host;
    ro.port = config_.redis.port;
    ro.timeout_ms = config_.redis.timeout_ms;
    ro.stream = config_.sinks.redis_stream;
    ro.maxlen = config_.sinks.redis_maxlen;
    redis_sink_ = std::make_unique<RedisStreamSink>(ro);
  }
  if (replay) runtime_.clock.set_virtual_ns(0);
  return Status::Ok();
}

sh_status Pipeline::emit_events(void* ctx, const sh_market_event* events, uint32_t count,
                                uint32_t item_size) {
  auto* pc = static_cast<ProviderCtx*>(ctx);
  Pipeline& self = *pc->self;
  if (events == nullptr || item_size < 8 || item_size % 8 != 0) return SH_ERR_INVALID_ARGUMENT;
  if (self.providers_.size() > 1) {
    self.merger_.push(pc->index, events, count, item_size);
    return SH_OK;
  }
  if (item_size >= sizeof(sh_market_event)) {
    self.feed(events, count, item_size);
  } else {
    // An older plugin's shorter records: widen them first.
    self.normalized_.clear();
    const auto* p = reinterpret_cast<const unsigned char*>(events);
    for (uint32_t i = 0; i < count; ++i, p += item_size) {
      self.normalized_.push_back(normalize_event(reinterpret_cast<const sh_market_event*>(p), item_size));
    }
    self.feed(self.normalized_.data(), count, sizeof(sh_market_event));
  }
  return SH_OK;
}

void Pipeline::feed(const sh_market_event* events, size_t count, size_t stride) {
  // A replayed journal swap lands between the same two input events as in
  // the recorded run: feed up to it, process what closed, swap, go on.
  while (!scheduled_.empty() && count > 0 && deferred_error_.ok()) {
    const uint64_t in = conveyor_.stats().events_in;
    const uint64_t at = *scheduled_.front()->apply_at_seq;
    if (at <= in) {
      Status st = process_closed();
      if (st.ok()) st = apply_scheduled_due();
      if (!st.ok()) deferred_error_ = st;
      continue;
    }
    if (at - in >= count) break;
    const size_t n = static_cast<size_t>(at - in);
    feed_raw(events, n, stride);
    events = reinterpret_cast<const sh_market_event*>(reinterpret_cast<const unsigned char*>(events) + n * stride);
    count -= n;
  }
  if (count > 0) feed_raw(events, count, stride);
}

void Pipeline::feed_raw(const sh_market_event* events, size_t count, size_t stride) {
  conveyor_.on_events(events, count, stride, closed_);
  events_consumed_.store(conveyor_.stats().events_in, std::memory_order_release);
}

sh_status Pipeline::emit_hits(void* ctx, const sh_detector_hit* hits, uint32_t count,
                              uint32_t item_size) {
  auto& self = *static_cast<Pipeline*>(ctx);
  if (hits == nullptr || item_size < offsetof(sh_detector_hit, hit_class) + sizeof(const char*)) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(hits);
  for (uint32_t i = 0; i < count; ++i, p += item_size) {
    const auto& h = *reinterpret_cast<const sh_detector_hit*>(p);
    Hit hit;
    hit.symbol = h.symbol;
    hit.score = h.score;
    const bool has_value = item_size >= offsetof(sh_detector_hit, threshold) + sizeof(double);
    hit.value = has_value ? h.value : std::numeric_limits<double>::quiet_NaN();
    hit.threshold = has_value ? h.threshold : std::numeric_limits<double>::quiet_NaN();
    hit.hit_class = h.hit_class != nullptr && h.hit_class[0] != '\0'
                        ? h.hit_class
                        : self.detectors_[self.current_stage_]->name();
    hit.stage = self.current_stage_;
    self.hits_.push_back(std::move(hit));
  }
  return SH_OK;
}

Status Pipeline::poll_providers(bool* progressed) {
  *progressed = false;
  for (size_t i = 0; i < providers_.size(); ++i) {
    if (provider_done_[i]) continue;
    if (providers_.size() > 1 && !merger_.needs_poll(i)) continue;
    sh_event_sink sink{sizeof(sh_event_sink), &provider_ctx_[i], &Pipeline::emit_events};
    const sh_status st = providers_[i]->poll(sink, config_.poll_max_events);
    if (!deferred_error_.ok()) return std::exchange(deferred_error_, Status::Ok());
    if (st == SH_OK) {
      *progressed = true;
    } else if (st == SH_WOULD_BLOCK) {
      // live source with nothing now
    } else {
      provider_done_[i] = true;
      *progressed = true;
      if (providers_.size() > 1) merger_.finish(i);
      if (st != SH_END_OF_DATA) {
        ++summary_.provider_errors;
        spdlog::error("provider '{}' failed ({}): {}; it is stopped, the run carries on",
                      providers_[i]->component(), abi_status_name(st), providers_[i]->last_error());
      }
    }
    if (providers_.size() == 1) {
      Status s = process_closed();
      if (!s.ok()) return s;
    }
  }
  if (providers_.size() > 1) {
    merger_.release(released_);
    if (!released_.empty()) {
      feed(released_.data(), released_.size(), sizeof(sh_market_event));
    }
    if (!deferred_error_.ok()) return std::exchange(deferred_error_, Status::Ok());
    return process_closed();
  }
  return Status::Ok();
}

bool Pipeline::request_rule_reload(const std::string& component) {
  bool known = false;
  for (const RuleRef& r : rules_) known = known || r.name == component;
  if (!known) return false;
  {
    std::lock_guard<std::mutex> lock(reload_mu_);
    reload_queue_.push_back(component);
  }
  reload_requested_.store(true, std::memory_order_release);
  return true;
}

void Pipeline::check_rule_reloads() {
  std::vector<const RuleRef*> due;
  auto add = [&due](const RuleRef& r) {
    if (std::find(due.begin(), due.end(), &r) == due.end()) due.push_back(&r);
  };
  if (reload_requested_.exchange(false, std::memory_order_acquire)) {
    std::vector<std::string> names;
    {
      std::lock_guard<std::mutex> lock(reload_mu_);
      names.swap(reload_queue_);
    }
    for (const RuleRef& r : rules_) {
      if (std::find(names.begin(), names.end(), r.name) != names.end()) add(r);
    }
  }
  if (reload_all_requested_.exchange(false, std::memory_order_acquire)) {
    for (const RuleRef& r : rules_) add(r);
  }
  if (rule_watcher_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_rule_poll_) {
      next_rule_poll_ = now + kRulePollInterval;
      for (const std::string& changed : rule_watcher_->poll_changed()) {
        const std::filesystem::path p = std::filesystem::path(changed).lexically_normal();
        for (const RuleRef& r : rules_) {
          if (std::filesystem::path(r.rule->path()).lexically_normal() == p) add(r);
        }
      }
    }
  }
  for (const RuleRef* r : due) reload_rule(*r);
}

void Pipeline::reload_rule(const RuleRef& ref) {
  LuaRule& rule = *ref.rule;
  const std::string error = with_full_rule_path(rule.reload(""), rule.path());
  if (error.empty()) {
    ++summary_.rule_reloads_ok;
    spdlog::info("rule '{}' reloaded from {} (hash {})", ref.name, rule.path(),
                 rule.content_hash());
  } else {
    ++summary_.rule_reloads_refused;
    if (rule.enabled()) {
      spdlog::warn("rule '{}' reload refused: {}; version {} keeps serving", ref.name, error,
                   rule.content_hash());
    } else {
      spdlog::warn("rule '{}' reload refused: {}; the rule stays disabled", ref.name, error);
    }
  }
}

// ---------------------------------------------------------------- config swaps

void Pipeline::adopt_instances(std::vector<std::unique_ptr<PluginInstance>> instances) {
  for (auto& i : instances) owned_instances_.push_back(std::move(i));
}

void Pipeline::enqueue_swap(std::unique_ptr<PreparedSwap> swap) {
  if (swap->enqueued == std::chrono::steady_clock::time_point{}) {
    swap->enqueued = std::chrono::steady_clock::now();
  }
  {
    std::lock_guard<std::mutex> lock(swap_mu_);
    swap_queue_.push_back(std::move(swap));
  }
  swaps_queued_.store(true, std::memory_order_release);
}

void Pipeline::schedule_swaps(std::vector<std::unique_ptr<PreparedSwap>> swaps) {
  for (auto& s : swaps) {
    if (!s->apply_at_seq) s->apply_at_seq = 0;
    scheduled_.push_back(std::move(s));
  }
  std::stable_sort(scheduled_.begin(), scheduled_.end(),
                   [](const std::unique_ptr<PreparedSwap>& a, const std::unique_ptr<PreparedSwap>& b) {
                     return *a->apply_at_seq < *b->apply_at_seq;
                   });
}

Pipeline::SwapSlot* Pipeline::find_slot(const std::string& component) {
  for (SwapSlot& s : slots_) {
    if (s.component == component) return &s;
  }
  return nullptr;
}

bool Pipeline::swap_target(const std::string& component, SwapTargetInfo* info) const {
  for (const SwapSlot& s : slots_) {
    if (s.component != component) continue;
    std::lock_guard<std::mutex> lock(slots_mu_);
    info->component = s.component;
    info->lua = s.rule != nullptr;
    info->provider = s.provider >= 0;
    info->kind = s.kind;
    info->library = s.library;
    info->current = s.current;
    info->last_version = s.last_version;
    return true;
  }
  return false;
}

Status Pipeline::read_config_version(const std::string& component, uint64_t version,
                                     ConfigVersion* out) const {
  if (!store_) return Status::FailedPrecondition("the pipeline's state store is not open");
  StateTxn txn;
  Status st = store_->begin_read(&txn);
  if (!st.ok()) return st;
  return sh::host::read_config_version(txn, component, version, out);
}

ConfigVersion Pipeline::startup_record(const SwapSlot& slot) const {
  ConfigVersion v;
  v.component = slot.component;
  v.swap = SwapKind::kStartup;
  v.origin = "startup";
  v.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  if (slot.instance != nullptr) {
    const PluginLibrary& lib = slot.instance->library();
    v.config = slot.instance->config();
    v.plugin_sha256 = lib.content_sha256();
    v.library_version = lib.version();
    v.plugin_path = lib.path().string();
    // A copy under the state dir, so a rollback to this version loads these
    // bytes even after the file at the configured path was rebuilt.
    std::string why;
    const auto copy = copy_to_content_addressed(lib.path(), host_config_.state_dir() / "plugin_cache", &why);
    if (copy && copy->filename().string().rfind(v.plugin_sha256, 0) == 0) {
      v.plugin_path = copy->string();
    } else if (!why.empty()) {
      spdlog::warn("component '{}': {}; its config history names {}", slot.component, why,
                   v.plugin_path);
    }
    v.content_hash = config_content_hash(v.config, v.plugin_sha256);
  } else {
    const LuaRule& rule = *slot.rule;
    v.lua = true;
    if (const ComponentConfig* c = host_config_.find_component(slot.component)) v.config = c->lua.params;
    v.rule_file = rule.path();
    v.rule_hash = rule.content_hash();
    std::ifstream in(rule.path(), std::ios::binary);
    v.rule_source.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (content_hash_fnv1a64(v.rule_source) != v.rule_hash) {
      spdlog::warn("rule '{}': {} changed since it was loaded; its config history keeps the "
                   "file's current text",
                   slot.component, rule.path());
    }
    v.content_hash = config_content_hash(v.config, sha256_hex(v.rule_source));
  }
  v.label = v.content_hash.substr(0, 12);
  return v;
}

Status Pipeline::record_startup_versions() {
  StateTxn txn;
  Status st = store_->begin_write(&txn);
  if (!st.ok()) return st;
  std::vector<ConfigVersion> journal;
  st = list_swap_journal(txn, &journal);
  if (!st.ok()) return st;
  uint64_t session = 0;
  for (const ConfigVersion& v : journal) {
    session = std::max(session, v.session);
    journal_sequence_ = std::max(journal_sequence_, v.sequence);
  }
  journal_session_ = session + 1;
  bool wrote = false;
  for (SwapSlot& slot : slots_) {
    ConfigVersion rec = startup_record(slot);
    ConfigVersion latest;
    st = latest_config_version(txn, slot.component, &latest);
    if (!st.ok() && !st.is_not_found()) return st;
    const bool have = st.ok();
    if (have && latest.content_hash == rec.content_hash) {
      rec = latest;  // serving what the store says was last in service
    } else {
      rec.version = have ? latest.version + 1 : 1;
      st = put_config_version(txn, rec);
      if (!st.ok()) return st;
      wrote = true;
    }
    std::lock_guard<std::mutex> lock(slots_mu_);
    slot.last_version = have ? std::max(latest.version, rec.version) : rec.version;
    slot.current = std::move(rec);
    if (slot.stage >= 0) {
      version_suffix_[slot.stage] =
          slot.current.version > 1 ? "+cfg" + std::to_string(slot.current.version) : "";
    }
  }
  if (!wrote) {
    txn.abort();
    return Status::Ok();
  }
  return txn.commit();
}

void Pipeline::discard_queued_swaps(const std::string& reason) {
  std::vector<std::unique_ptr<PreparedSwap>> left;
  {
    std::lock_guard<std::mutex> lock(swap_mu_);
    left.swap(swap_queue_);
  }
  for (auto& s : scheduled_) left.push_back(std::move(s));
  scheduled_.clear();
  for (auto& s : left) refuse_swap(std::move(s), reason);
  report_swaps();
}

Status Pipeline::apply_pending_swaps() {
  Status st = apply_scheduled_due();
  if (st.ok() && swaps_queued_.exchange(false, std::memory_order_acquire)) {
    std::vector<std::unique_ptr<PreparedSwap>> queue;
    {
      std::lock_guard<std::mutex> lock(swap_mu_);
      queue.swap(swap_queue_);
    }
    for (auto& s : queue) {
      if (!st.ok()) {
        refuse_swap(std::move(s), "the run stopped: " + st.message());
        continue;
      }
      st = apply_swap(std::move(s));
    }
  }
  report_swaps();
  return st;
}

Status Pipeline::apply_scheduled_due() {
  const uint64_t in = conveyor_.stats().events_in;
  while (!scheduled_.empty() && *scheduled_.front()->apply_at_seq <= in) {
    std::unique_ptr<PreparedSwap> s = std::move(scheduled_.front());
    scheduled_.pop_front();
    if (*s->apply_at_seq != in) {
      spdlog::warn("journalled swap of '{}' was due at event {}, applied at {}", s->record.component,
                   *s->apply_at_seq, in);
    }
    Status st = apply_swap(std::move(s));
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

void Pipeline::refuse_swap(std::unique_ptr<PreparedSwap> swap, const std::string& reason) {
  ++summary_.swaps_refused;
  SwapDone done;
  done.outcome.request = swap->request;
  done.outcome.applied = false;
  done.outcome.reason = reason;
  done.outcome.content_hash = swap->record.content_hash;
  done.outcome.effective_seq = conveyor_.stats().events_in;
  done.retired = std::move(swap->instance);
  done.enqueued = swap->enqueued;
  done.applied = std::chrono::steady_clock::now();
  swaps_done_.push_back(std::move(done));
}

Status Pipeline::apply_swap(std::unique_ptr<PreparedSwap> swap) {
  const std::string component = swap->record.component;
  SwapSlot* slot = find_slot(component);
  if (slot == nullptr) {
    refuse_swap(std::move(swap), "unknown component '" + component + "'");
    return Status::Ok();
  }
  const std::string keeps = "; version " + std::to_string(slot->current.version) + " keeps serving";
  std::unique_ptr<PluginInstance> retired;
  bool reset_command = false;
  switch (swap->record.swap) {
    case SwapKind::kInstance: {
      if (slot->instance == nullptr || !swap->instance ||
          swap->instance->kind() != slot->instance->kind()) {
        refuse_swap(std::move(swap), "component '" + component + "': the candidate is not a " +
                                         "plugin instance of the component's kind" + keeps);
        return Status::Ok();
      }
      PluginInstance* old = slot->instance;
      PluginInstance* now = swap->instance.get();
      owned_instances_.push_back(std::move(swap->instance));
      for (auto it = owned_instances_.begin(); it != owned_instances_.end(); ++it) {
        if (it->get() == old) {
          retired = std::move(*it);
          owned_instances_.erase(it);
          break;
        }
      }
      if (old != nullptr && old->library().supports_state() && now->library().supports_state() &&
          old->library().name() == now->library().name()) {
        // A new instance of the same plugin carries on from the serving one's
        // state (a breaker that is open stays open across a parameter reload).
        std::string bytes;
        std::string err = old->save_state(&bytes);
        if (err.empty()) err = now->load_state(bytes);
        if (!err.empty()) {
          spdlog::warn("component '{}': state not carried over to the new instance: {}", component, err);
        }
      }
      slot->instance = now;
      if (slot->provider >= 0) providers_[slot->provider] = now;
      if (slot->stage >= 0) static_cast<PluginDetector&>(*detectors_[slot->stage]).replace(*now);
      if (slot->expert >= 0) experts_[slot->expert] = now;
      if (slot->risk >= 0) risk_stages_[slot->risk].instance = now;
      break;
    }
    case SwapKind::kSetConfig: {
      if (slot->instance == nullptr) {
        refuse_swap(std::move(swap), "component '" + component + "' is not a plugin" + keeps);
        return Status::Ok();
      }
      // {"reset": true} alone is the plugins' one-shot reset command
      // (circuit_breaker, drawdown_lock, daily_loss): it is journalled like
      // any change (a replay resets at the same event) but the instance and
      // the serving record keep their parameters.
      reset_command = is_reset_command(swap->record.config);
      const std::string err = reset_command ? slot->instance->send_command(swap->record.config)
                                            : slot->instance->set_config(swap->record.config);
      if (!err.empty()) {
        refuse_swap(std::move(swap), "component '" + component + "': " + err + keeps);
        return Status::Ok();
      }
      break;
    }
    case SwapKind::kLuaRule: {
      if (slot->rule == nullptr || !swap->rule) {
        refuse_swap(std::move(swap), "component '" + component + "' is not a Lua rule" + keeps);
        return Status::Ok();
      }
      slot->rule->commit(std::move(swap->rule));
      break;
    }
    case SwapKind::kStartup:
      refuse_swap(std::move(swap), "component '" + component + "': not a swap" + keeps);
      return Status::Ok();
  }

  ConfigVersion rec = std::move(swap->record);
  rec.effective_seq = conveyor_.stats().events_in;
  rec.session = journal_session_;
  rec.sequence = ++journal_sequence_;
  if (rec.origin.empty()) rec.origin = swap->request.origin;
  rec.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    // A replayed journal entry keeps its number when it is still free.
    rec.version = std::max(rec.version, slot->last_version + 1);
  }
  // Its own small transaction, between two minutes: the swap is in the
  // journal before any output it influences is committed.
  StateTxn txn;
  Status st = store_->begin_write(&txn);
  if (st.ok()) st = put_config_version(txn, rec);
  if (st.ok()) st = txn.commit();
  if (!st.ok()) {
    return Status::IoError("recording the swap of '" + component + "': " + st.message());
  }
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    slot->last_version = rec.version;
    slot->current = rec;
    if (reset_command) slot->current.config = slot->instance->config();
    if (slot->instance != nullptr) slot->library = slot->instance->shared_library();
  }
  if (slot->stage >= 0) version_suffix_[slot->stage] = "+cfg" + std::to_string(rec.version);
  ++summary_.swaps_applied;

  SwapDone done;
  done.outcome.request = std::move(swap->request);
  done.outcome.applied = true;
  done.outcome.config_version = rec.version;
  done.outcome.content_hash = rec.content_hash;
  done.outcome.effective_seq = rec.effective_seq;
  done.outcome.applied_wall_ns = rec.wall_ns;
  done.record = std::move(rec);
  done.retired = std::move(retired);
  done.enqueued = swap->enqueued;
  done.applied = std::chrono::steady_clock::now();
  swaps_done_.push_back(std::move(done));
  return Status::Ok();
}

void Pipeline::report_swaps() {
  if (swaps_done_.empty()) return;
  std::vector<SwapDone> done;
  done.swap(swaps_done_);
  for (SwapDone& d : done) {
    if (swap_listener_ != nullptr) {
      swap_listener_->on_swap_done(std::move(d));
      continue;
    }
    const ReloadOutcome& o = d.outcome;
    if (o.applied) {
      spdlog::info("Configuration reloaded: component '{}' version {} ({}) effective at event {}",
                   o.request.component, o.config_version, d.record.label, o.effective_seq);
    } else {
      spdlog::warn("Configuration reload refused: {}", o.reason);
    }
  }
}

Status Pipeline::run() {
  const auto t0 = std::chrono::steady_clock::now();
  Status st;
  for (;;) {
    if (stop_.load(std::memory_order_relaxed)) break;
    // Between two provider polls no minute is half-processed: rules swap here.
    if (!rules_.empty()) check_rule_reloads();
    st = apply_pending_swaps();
    if (!st.ok()) break;
    if (std::all_of(provider_done_.begin(), provider_done_.end(), [](bool d) { return d; })) break;
    bool progressed = false;
    st = poll_providers(&progressed);
    if (!st.ok()) break;
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (st.ok()) {
    if (providers_.size() > 1) {
      for (size_t i = 0; i < providers_.size(); ++i) merger_.finish(i);
      merger_.release(released_);
      if (!released_.empty()) feed(released_.data(), released_.size(), sizeof(sh_market_event));
      if (!deferred_error_.ok()) st = std::exchange(deferred_error_, Status::Ok());
    }
    // Swaps due at the very end (journal entries at the last event count,
    // requests that arrived with the last batch) still serve the final flush.
    if (st.ok()) st = process_closed();
    if (st.ok()) st = apply_pending_swaps();
  }
  if (st.ok()) {
    conveyor_.flush(closed_);
    st = process_closed();
  }
  discard_queued_swaps("the run ended before the swap took effect");
  for (EventSink* s : {static_cast<EventSink*>(main_jsonl_.get()), redis_sink_.get()}) {
    if (s == nullptr) continue;
    const Status fs = s->flush();
    if (!fs.ok() && st.ok()) st = fs;
  }
  if (store_) {
    const Status ss = store_->sync();
    if (!ss.ok() && st.ok()) st = ss;
  }
  summary_.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  finish_summary();
  return st;
}

Status Pipeline::process_closed() {
  for (MinuteClose& m : closed_) {
    const auto t0 = std::chrono::steady_clock::now();
    Status st = process_minute(m);
    // Close latency: the conveyor's close work for this minute (bars,
    // features, baselines, context) plus detectors, gate, store txn, sinks.
    close_latency_ns_.push_back(m.compute_ns +
                                std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now() - t0)
                                    .count());
    conveyor_close_ns_.push_back(m.compute_ns);
    if (!st.ok()) {
      closed_.clear();
      return st;
    }
  }
  conveyor_.recycle(closed_);
  return Status::Ok();
}

const sh_feature_row* Pipeline::find_row(const MinuteClose& minute, sh_symbol_id symbol) const {
  auto it = std::lower_bound(minute.rows.begin(), minute.rows.end(), symbol,
                             [](const sh_feature_row& r, sh_symbol_id s) { return r.symbol < s; });
  return it != minute.rows.end() && it->symbol == symbol ? &*it : nullptr;
}

JsonlFileSink* Pipeline::route(const EventRecord& record) {
  switch (config_.mode) {
    case RunMode::kShadow:
      return shadow_jsonl_.get();
    case RunMode::kCanary: {
      const auto& c = config_.canary;
      const bool canary = c.symbols.count(record.symbol) != 0 &&
                          (c.classes.empty() || c.classes.count(record.hit_class) != 0);
      return canary ? nullptr : shadow_jsonl_.get();  // nullptr: the main sinks
    }
    default:
      return nullptr;
  }
}

Status Pipeline::process_minute(MinuteClose& minute) {
  const int64_t close_ns = minute.minute_ts_ns + config_.conveyor.bar_interval_ns;
  if (config_.mode == RunMode::kReplay) runtime_.clock.set_virtual_ns(close_ns);

  const sh_feature_batch batch{sizeof(sh_feature_batch), sizeof(sh_feature_row),
                               static_cast<uint32_t>(minute.rows.size()), 0, minute.minute_ts_ns,
                               minute.rows.data()};
  hits_.clear();
  for (size_t i = 0; i < detectors_.size(); ++i) {
    current_stage_ = i;
    const sh_status st = detectors_[i]->detect(batch, minute.context, hit_sink_);
    if (st != SH_OK) {
      ++summary_.detector_errors;
      if (should_log(++stage_errors_[i])) {
        spdlog::warn("detector '{}' failed on minute {} ({}): {} [{} so far]", detectors_[i]->name(),
                     format_iso8601_utc(minute.minute_ts_ns), abi_status_name(st),
                     detectors_[i]->last_error(), stage_errors_[i]);
      }
    }
  }
  summary_.detector_hits += hits_.size();

  if (broker_) {
    const auto d0 = std::chrono::steady_clock::now();
    const Status ds = decide(minute, batch);
    if (!ds.ok()) return ds;
    decision_latency_ns_.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - d0)
            .count());
  }

  MinuteWrite write;
  write.minute_ts_ns = minute.minute_ts_ns;
  write.rows.reserve(minute.rows.size());
  for (const sh_feature_row& r : minute.rows) {
    const char* name = runtime_.symbols.name(r.symbol);
    write.rows.push_back(SnapshotRow{name ? name : "", r});
    ++summary_.dq_rows[dq_name(r.dq)];
  }

  std::vector<std::pair<EventRecord, JsonlFileSink*>> outputs;  // null: the main sinks
  for (const Hit& h : hits_) {
    const sh_feature_row* row = find_row(minute, h.symbol);
    const char* name = runtime_.symbols.name(h.symbol);
    EventCandidate c;
    c.symbol = name ? name : "";
    c.minute_ts_ns = minute.minute_ts_ns;
    c.hit_class = h.hit_class;
    c.score = h.score;
    c.value = h.value;
    c.threshold = h.threshold;
    c.detector = detectors_[h.stage]->name();
    c.detector_version = version_suffix_[h.stage].empty()
                             ? detectors_[h.stage]->version()
                             : detectors_[h.stage]->version() + version_suffix_[h.stage];
    c.dq = row ? row->dq : SH_DQ_GAP;
    if (config_.mode == RunMode::kDryRun) {
      ++summary_.candidates;
      EventRecord rec;
      static_cast<EventCandidate&>(rec) = c;
      spdlog::info("candidate {} {} {} score {:.1f} (dry-run: not published)", c.hit_class,
                   c.symbol, format_iso8601_utc(c.minute_ts_ns), c.score);
      outputs.emplace_back(rec, candidates_jsonl_.get());
      continue;
    }
    GateDecision d = gate_->offer(c);
    if (!d.published()) {
      ++summary_.suppressed[suppress_reason_name(d.reason)];
      continue;
    }
    JsonlFileSink* dest = route(d.record);
    if (dest == nullptr) {
      ++summary_.published;
    } else {
      ++summary_.shadowed;
    }
    write.events.push_back(d.record);
    outputs.emplace_back(std::move(d.record), dest);
  }

  if (broker_) collect_component_state();
  // The feed files get this minute's lines before the transaction commits
  // (see events/feed_recovery.h): a crash after the commit loses none; one
  // before it leaves lines the next start trims.
  Status fst = Status::Ok();
  for (const auto& [rec, dest] : outputs) {
    JsonlFileSink* file = dest != nullptr ? dest : main_jsonl_.get();
    if (file == nullptr) continue;
    fst = file->write(rec);
    if (!fst.ok()) break;
  }
  for (JsonlFileSink* f : {shadow_jsonl_.get(), candidates_jsonl_.get(), main_jsonl_.get()}) {
    if (!fst.ok()) break;
    if (f != nullptr) fst = f->flush();
  }
  if (fst.ok() && broker_) fst = write_decision_feeds();
  if (!fst.ok()) return fst;
  // One transaction: snapshots, events, and the gate state that produced them.
  // The gate only changes when it is offered a hit.
  const bool gate_changed = !hits_.empty() && config_.mode != RunMode::kDryRun;
  const std::string gate_state = gate_changed ? gate_->save_state() : std::string();
  // The paper broker's orders, positions and account of this minute commit
  // in the same transaction.
  Status st = store_->write_minute(write, [&](StateTxn& txn) {
    Status hs = gate_changed ? txn.put(StateDb::kMeta, "event_gate_state", gate_state) : Status::Ok();
    if (hs.ok() && broker_) hs = broker_->persist(txn);
    for (const std::string& key : applied_command_keys_) {
      if (!hs.ok()) break;
      hs = txn.del(StateDb::kMeta, key);
      if (hs.is_not_found()) hs = Status::Ok();
    }
    for (const SwitchRecord& sw : switches_) {
      if (!hs.ok()) break;
      const char* name = runtime_.symbols.name(sw.symbol);
      hs = append_switch_history(txn, sw, name ? name : "", router_->config().candidates);
    }
    for (const auto& [component, value] : state_writes_) {
      if (!hs.ok()) break;
      hs = txn.put(StateDb::kMeta, std::string(kMetaComponentStatePrefix) + component, value);
    }
    if (hs.ok() && broker_ && chain_.consecutive_errors() != saved_chain_errors_) {
      hs = txn.put(StateDb::kMeta, kMetaChainErrors, std::to_string(chain_.consecutive_errors()));
    }
    return hs;
  });
  if (st.ok()) {
    for (auto& [component, value] : state_writes_) saved_state_[component] = std::move(value);
    saved_chain_errors_ = chain_.consecutive_errors();
  }
  state_writes_.clear();
  applied_command_keys_.clear();
  if (broker_) {
    const Status cs = after_commit_decision(st);
    if (st.ok()) st = cs;
  }
  if (!st.ok()) {
    // Nothing half-written: the feeds lose this minute's lines again.
    const Status ts = trim_feeds_to_store();
    if (!ts.ok()) spdlog::error("{}", ts.message());
    return st;
  }
  summary_.snapshot_rows += write.rows.size();
  ++summary_.minutes_closed;

  // Redis (a feed for other processes) only ever sees committed minutes.
  if (redis_sink_) {
    for (const auto& [rec, dest] : outputs) {
      if (dest != nullptr) continue;
      st = redis_sink_->write(rec);
      if (!st.ok()) return st;
    }
  }
  if (redis_sink_) {
    st = redis_sink_->flush();
    if (!st.ok()) {
      // Redis is a feed: the store has the events; the sink retries next minute.
      spdlog::warn("{}", st.message());
    }
  }
  return Status::Ok();
}

void Pipeline::set_decision_components(std::vector<DecisionComponent> experts,
                                       std::vector<DecisionComponent> risk) {
  auto add_slot = [this](const DecisionComponent& c, sh_plugin_kind kind, int expert, int risk_index) {
    SwapSlot slot;
    slot.component = c.name;
    slot.kind = kind;
    slot.expert = expert;
    slot.risk = risk_index;
    slot.instance = c.instance;
    slot.rule = c.rule.get();
    if (c.instance != nullptr) slot.library = c.instance->shared_library();
    slots_.push_back(std::move(slot));
    if (c.rule) rules_.push_back({c.name, c.rule.get()});
  };
  for (DecisionComponent& c : experts) {
    if (c.instance == nullptr && !c.rule) continue;
    if (c.rule) {
      add_slot(c, SH_KIND_EXPERT, static_cast<int>(router_rules_.size()), -1);
      router_rules_.push_back(std::move(c));
    } else {
      add_slot(c, SH_KIND_EXPERT, static_cast<int>(experts_.size()), -1);
      experts_.push_back(c.instance);
      expert_names_.push_back(c.name);
    }
  }
  for (DecisionComponent& c : risk) {
    if (c.instance == nullptr && !c.rule) continue;
    add_slot(c, SH_KIND_RISK, -1, static_cast<int>(risk_stages_.size()));
    risk_stages_.push_back(std::move(c));
  }
}

Status Pipeline::open_decision(const std::filesystem::path& out_dir, bool truncate) {
  const DecisionSettings& d = config_.decision;
  Status st = Consensus::create(d.consensus, &consensus_);
  if (!st.ok()) return st;
  st = consensus_->check_experts(expert_names_);
  if (!st.ok()) return st;
  if (d.router_enabled) {
    st = ModelRouter::create(d.router, &router_);
    if (!st.ok()) return st;
    if (config_.mode != RunMode::kReplay) {
      StateTxn txn;
      st = store_->begin_read(&txn);
      if (!st.ok()) return st;
      st = restore_router_from_history(txn, router_.get(), [this](std::string_view name) {
        return runtime_.symbols.intern(std::string(name));
      });
      if (!st.ok()) return st;
    }
  }
  // Each policy reads the serving component at call time, so that a swap
  // (new instance or rule version) takes effect at the next minute.
  std::vector<RiskPolicy> policies;
  for (size_t i = 0; i < risk_stages_.size(); ++i) {
    RiskPolicy p;
    p.name = risk_stages_[i].name;
    p.evaluate = [this, i](const sh_order_intent_batch& intents, const sh_portfolio_state& portfolio,
                           sh_risk_verdict_batch& out) -> Status {
      const DecisionComponent& c = risk_stages_[i];
      if (c.rule) {
        // On failure the rule wrote DENY POLICY_ERROR (or its last good
        // version's verdicts); the chain still counts the cycle as erroring.
        const sh_status s = c.rule->check(intents, portfolio, &out);
        if (s != SH_OK) {
          return Status::Unavailable(abi_status_name(s) + ": " +
                                     with_full_rule_path(c.rule->last_error(), c.rule->path()));
        }
        return Status::Ok();
      }
      PluginInstance* inst = c.instance;
      if (inst->faulted()) return Status::Unavailable("plugin faulted (an exception escaped it)");
      const sh_status s = inst->evaluate_risk(intents, portfolio, out);
      if (s != SH_OK) return Status::Unavailable(abi_status_name(s) + ": " + inst->last_error());
      return Status::Ok();
    };
    policies.push_back(std::move(p));
  }
  chain_.set_policies(std::move(policies));
  st = restore_component_state();
  if (!st.ok()) return st;
  st = PaperBroker::open(store_.get(), &runtime_.symbols, d.broker, &broker_);
  if (!st.ok()) return st;
  if (!d.trades_csv.empty()) {
    const std::filesystem::path path = out_dir / d.trades_csv;
    if (truncate) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      if (ec) return Status::IoError(path.string() + ": cannot truncate: " + ec.message());
    }
    st = TradesCsvFile::open(path.string(), &digest_, &trades_csv_);
    if (!st.ok()) return st;
  }
  st = open_jsonl(out_dir, d.decisions_jsonl, truncate, &digest_, "decisions", &decisions_jsonl_);
  if (!st.ok()) return st;
  evidence_.assign(experts_.size(), {});
  expert_error_counts_.assign(experts_.size(), 0);
  router_error_counts_.assign(router_rules_.size(), 0);
  summary_.decision_enabled = true;
  summary_.equity_usd = broker_->equity_usd();
  summary_.cash_usd = broker_->cash_usd();
  spdlog::info("decision layer: {} experts, {} router rules, {} risk policies, paper broker "
               "(notional {} USD per order){}{}",
               experts_.size(), router_rules_.size(), risk_stages_.size(), d.order_notional_usd,
               router_ ? "; model router over " + std::to_string(d.router.candidates.size()) + " candidates"
                       : std::string("; no model router"),
               config_.mode == RunMode::kDryRun ? "; dry-run: orders are decided and logged, not submitted"
                                                : "");
  return Status::Ok();
}

Status Pipeline::decide(const MinuteClose& minute, const sh_feature_batch& batch) {
  const size_t n = minute.rows.size();
  const int64_t ts = minute.minute_ts_ns;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  decision_lines_.clear();
  // A minute the store already has (a restart catching up on what a previous
  // process committed, e.g. after kill -9): its orders were decided then and
  // are in the store. Deciding it again against the book as it is now could
  // accept an intent the first process denied (a cap since reached, ...), so
  // the experts and the router still see it (their state) but no intent is
  // made, nothing is submitted and no decision line is written again.
  const bool catch_up = broker_->last_minute_ts_ns() != std::numeric_limits<int64_t>::min() &&
                        ts <= broker_->last_minute_ts_ns();
  if (catch_up && summary_.minutes_closed == 0) {
    spdlog::info("decision layer: the store has decided up to minute {}: catching up without new "
                 "orders",
                 format_iso8601_utc(broker_->last_minute_ts_ns()));
  }

  refresh_decision_versions();

  // 1. Fill the orders of the previous minutes at this bar's open; mark.
  bars_.clear();
  for (const sh_feature_row& r : minute.rows) bars_.push_back(BarPrice{r.symbol, r.open, r.close, nan});
  Status st = broker_->on_minute_close(ts, bars_.data(), bars_.size());
  if (!st.ok()) return st;
  for (const sh_feature_row& r : minute.rows) {
    if (!std::isfinite(r.rv_5)) continue;
    if (r.symbol >= last_rv5_.size()) last_rv5_.resize(static_cast<size_t>(r.symbol) + 1, nan);
    last_rv5_[r.symbol] = r.rv_5;
  }

  // 1b. Operator commands (`host trade ...`, runbook 003) queued in the
  // store's meta DB, possibly by another process while we run: applied in
  // seq order before any order of this minute is submitted; their records
  // are deleted in this minute's write transaction (see process_minute).
  st = apply_operator_commands(ts);
  if (!st.ok()) return st;

  // 2. Experts: one evidence record per row; a failing expert abstains.
  // The decision time (experts -> consensus -> chain) is measured from here.
  const auto decision_start = std::chrono::steady_clock::now();
  symbols_scratch_.clear();
  for (const sh_feature_row& r : minute.rows) symbols_scratch_.push_back(r.symbol);
  auto prefill = [&](std::vector<sh_evidence>& ev) {
    ev.assign(n, sh_evidence{});
    for (size_t i = 0; i < n; ++i) {
      ev[i].struct_size = sizeof(sh_evidence);
      ev[i].symbol = minute.rows[i].symbol;
      ev[i].flags = SH_EVIDENCE_FLAG_ABSTAIN;
      ev[i].prob_long = nan;
      ev[i].prob_short = nan;
      ev[i].confidence = nan;
    }
  };
  expert_views_.clear();
  for (size_t e = 0; e < experts_.size(); ++e) {
    std::vector<sh_evidence>& ev = evidence_[e];
    prefill(ev);
    sh_evidence_batch out{sizeof(sh_evidence_batch), sizeof(sh_evidence), static_cast<uint32_t>(n),
                          0, ev.data()};
    const sh_status s = experts_[e]->faulted() ? SH_ERR_UNSUPPORTED
                                                : experts_[e]->evaluate_expert(batch, minute.context, out);
    if (s != SH_OK) {
      prefill(ev);
      ++summary_.expert_errors;
      if (should_log(++expert_error_counts_[e])) {
        spdlog::warn("expert '{}' failed on minute {} ({}): {}; it abstains [{} so far]",
                     experts_[e]->component(), format_iso8601_utc(ts), abi_status_name(s),
                     experts_[e]->faulted() ? "faulted" : experts_[e]->last_error(),
                     expert_error_counts_[e]);
      }
    }
    ExpertEvidence view;
    view.name = expert_names_[e];
    view.items = ev.data();
    view.count = static_cast<uint32_t>(n);
    view.item_size = sizeof(sh_evidence);
    expert_views_.push_back(view);
  }

  // 3. Router (optional): the active model per symbol is the records'
  // model_version; then consensus.
  switches_.clear();
  const std::string_view* versions = nullptr;
  if (router_) {
    router_candidates_.clear();
    for (const std::string& cand : router_->config().candidates) {
      for (const ExpertEvidence& v : expert_views_) {
        if (v.name == cand) router_candidates_.push_back(v);
      }
    }
    st = router_->route(ts, symbols_scratch_.data(), n, router_candidates_, &switches_);
    if (!st.ok()) return st;
    model_versions_.assign(n, std::string_view());
    router_->active_models(symbols_scratch_.data(), n, model_versions_.data());
    versions = model_versions_.data();
  }
  st = consensus_->fuse(symbols_scratch_.data(), n, expert_views_, versions, &consensus_out_);
  if (!st.ok()) return st;
  if (!router_rules_.empty()) apply_router_rules(minute);
  if (catch_up) return Status::Ok();

  // 4. Intents, sized at order_notional_usd at the row's close.
  intents_.clear();
  intent_row_.clear();
  intent_keys_.clear();
  for (size_t i = 0; i < n; ++i) {
    const ConsensusRecord& rec = consensus_out_[i];
    if (!rec.allow || rec.signal == Signal::kFlat) continue;
    const char* name = runtime_.symbols.name(rec.symbol);
    if (name == nullptr) continue;
    const sh_side side = rec.signal == Signal::kLong ? SH_SIDE_BUY : SH_SIDE_SELL;
    std::string key = make_idempotency_key(name, ts, side);
    const sh_order_intent intent = make_order_intent(rec, ts, minute.rows[i].close,
                                                     config_.decision.order_notional_usd,
                                                     intent_id_for_key(key));
    if (intent.side == SH_SIDE_UNKNOWN || !(intent.qty > 0)) continue;
    intents_.push_back(intent);
    intent_row_.push_back(i);
    intent_keys_.push_back(std::move(key));
  }
  summary_.intents += intents_.size();

  // 5. Risk chain over the portfolio as of this close.
  sh_portfolio_state portfolio = broker_->portfolio_state();
  portfolio.consecutive_errors = chain_.consecutive_errors();
  portfolio.var_pct = portfolio_var_pct(portfolio);
  if (std::isfinite(portfolio.var_pct)) {
    summary_.var_pct_max = std::max(summary_.var_pct_max, portfolio.var_pct);
  }
  // The previous minute's measured decision time (NaN on the first minute).
  // It is wall time, so a replay passes null: a policy decision must never
  // depend on the wall clock there, or two replays could differ.
  portfolio.decision_latency_ms = config_.mode == RunMode::kReplay
                                      ? std::numeric_limits<double>::quiet_NaN()
                                      : last_decision_latency_ms_;
  chain_.evaluate(intents_.data(), intents_.size(), portfolio, &risk_result_);
  const int64_t core_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now() - decision_start)
                              .count();
  decision_core_ns_.push_back(core_ns);
  last_decision_latency_ms_ = static_cast<double>(core_ns) / 1e6;

  // 6. Submit what the chain let through.
  std::vector<SubmitResult> submits(intents_.size());
  std::vector<char> submitted(intents_.size(), 0);
  for (size_t k = 0; k < intents_.size(); ++k) {
    const IntentOutcome& o = risk_result_.outcomes[k];
    if (o.action == SH_RISK_DENY) {
      ++summary_.denied[risk_reason_text(o.reason)];
      continue;
    }
    if (config_.mode == RunMode::kDryRun) {
      // Dry run: the whole decision is made and logged; nothing is sent.
      ++summary_.orders_not_submitted;
      continue;
    }
    st = broker_->submit(risk_result_.final_intents[k], intent_keys_[k], &submits[k]);
    if (!st.ok()) {
      ++summary_.orders_refused;
      spdlog::warn("paper broker refused {}: {}", intent_keys_[k], st.message());
      continue;
    }
    submitted[k] = 1;
    switch (submits[k].outcome) {
      case SubmitOutcome::kAccepted: ++summary_.orders_accepted; break;
      case SubmitOutcome::kDuplicate: ++summary_.orders_duplicate; break;
      case SubmitOutcome::kRefused: ++summary_.orders_refused; break;
    }
  }

  // 7. The decision lines (written after the commit).
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    const bool has_intent = k < intents_.size() && intent_row_[k] == i;
    if (consensus_out_[i].signal == Signal::kFlat && !has_intent) continue;
    const char* name = runtime_.symbols.name(consensus_out_[i].symbol);
    DecisionView v;
    v.minute_ts_ns = ts;
    v.symbol = name ? name : "";
    v.row = i;
    v.experts = &expert_views_;
    v.consensus = &consensus_out_[i];
    v.chain = &chain_;
    v.expert_versions = &expert_versions_;
    v.policy_versions = &policy_versions_;
    if (has_intent) {
      v.intent = &intents_[k];
      v.risk = &risk_result_;
      v.intent_index = k;
      v.idempotency_key = intent_keys_[k];
      v.submit = submitted[k] ? &submits[k] : nullptr;
      ++k;
    }
    decision_lines_.push_back(format_decision_json(v));
  }
  return Status::Ok();
}

void Pipeline::refresh_decision_versions() {
  expert_versions_.resize(experts_.size());
  policy_versions_.resize(risk_stages_.size());
  for (const SwapSlot& slot : slots_) {
    std::string* out = nullptr;
    if (slot.risk >= 0) {
      out = &policy_versions_[static_cast<size_t>(slot.risk)];
    } else if (slot.expert >= 0 && slot.instance != nullptr) {
      out = &expert_versions_[static_cast<size_t>(slot.expert)];
    } else {
      continue;  // providers, detectors (their events carry versions), router rules
    }
    if (slot.instance != nullptr) {
      out->assign(slot.instance->library().version());
    } else {
      out->assign("lua:");
      out->append(slot.rule->content_hash());
    }
    if (slot.current.version > 1) {
      out->append("+cfg");
      out->append(std::to_string(slot.current.version));
    }
  }
}

void Pipeline::collect_component_state() {
  state_writes_.clear();
  auto collect = [this](const std::string& name, PluginInstance* inst) {
    if (inst == nullptr || inst->faulted() || !inst->library().supports_state()) return;
    std::string bytes;
    const std::string err = inst->save_state(&bytes);
    if (!err.empty()) {
      if (should_log(++state_errors_)) {
        spdlog::warn("component '{}': {}; its last stored state stays [{} so far]", name, err,
                     state_errors_);
      }
      return;
    }
    std::string value = inst->library().name() + '\n' + bytes;
    const auto it = saved_state_.find(name);
    if (it != saved_state_.end() && it->second == value) return;
    state_writes_.emplace_back(name, std::move(value));
  };
  for (size_t e = 0; e < experts_.size(); ++e) collect(expert_names_[e], experts_[e]);
  for (const DecisionComponent& r : risk_stages_) collect(r.name, r.instance);
}

Status Pipeline::restore_component_state() {
  StateTxn txn;
  Status st = store_->begin_read(&txn);
  if (!st.ok()) return st;
  std::string errors;
  st = txn.get(StateDb::kMeta, kMetaChainErrors, &errors);
  if (st.ok()) {
    char* end = nullptr;
    const unsigned long n = std::strtoul(errors.c_str(), &end, 10);
    if (end != errors.c_str() && *end == '\0') {
      saved_chain_errors_ = static_cast<uint32_t>(n);
      chain_.set_consecutive_errors(saved_chain_errors_);
    }
  } else if (!st.is_not_found()) {
    return st;
  }
  st = Status::Ok();
  auto restore = [&](const std::string& name, PluginInstance* inst) -> Status {
    if (inst == nullptr || !inst->library().supports_state()) return Status::Ok();
    std::string value;
    Status gs = txn.get(StateDb::kMeta, std::string(kMetaComponentStatePrefix) + name, &value);
    if (gs.is_not_found()) return Status::Ok();
    if (!gs.ok()) return gs;
    const size_t nl = value.find('\n');
    const std::string plugin = value.substr(0, nl);
    if (nl == std::string::npos || plugin != inst->library().name()) {
      spdlog::warn("component '{}': stored state is from plugin '{}', not '{}'; it starts clear",
                   name, plugin, inst->library().name());
      return Status::Ok();
    }
    const std::string err = inst->load_state(value.substr(nl + 1));
    if (!err.empty()) {
      spdlog::warn("component '{}': stored state refused ({}); it starts clear", name, err);
      return Status::Ok();
    }
    saved_state_[name] = std::move(value);
    spdlog::info("component '{}': state restored from the store ({} bytes)", name,
                 saved_state_[name].size() - nl - 1);
    return Status::Ok();
  };
  for (size_t e = 0; e < experts_.size() && st.ok(); ++e) st = restore(expert_names_[e], experts_[e]);
  for (const DecisionComponent& r : risk_stages_) {
    if (!st.ok()) break;
    st = restore(r.name, r.instance);
  }
  return st;
}

// A router rule sees each symbol's fused record as one evidence record
// (prob_long, prob_short, confidence; NaN where no expert voted) and decides
// the signal: its direction and confidence replace the consensus's, and
// allow = direction != flat. Several rules run in config order, each on the
// previous one's output. A failing rule leaves every record flat for the
// minute (no orders; LuaRule's fail-safe) and is counted.
void Pipeline::apply_router_rules(const MinuteClose& minute) {
  const size_t n = consensus_out_.size();
  route_in_.resize(n);
  route_out_.resize(n);
  for (size_t r = 0; r < router_rules_.size(); ++r) {
    for (size_t i = 0; i < n; ++i) {
      const ConsensusRecord& rec = consensus_out_[i];
      sh_evidence& ev = route_in_[i];
      ev = sh_evidence{};
      ev.struct_size = sizeof(sh_evidence);
      ev.symbol = rec.symbol;
      ev.prob_long = rec.prob_long;
      ev.prob_short = rec.prob_short;
      ev.confidence = rec.confidence;
    }
    const sh_evidence_batch batch{sizeof(sh_evidence_batch), sizeof(sh_evidence),
                                  static_cast<uint32_t>(n), 0, route_in_.data()};
    LuaRule& rule = *router_rules_[r].rule;
    const sh_status s = rule.route(batch, minute.context, route_out_.data());
    if (s != SH_OK) {
      ++summary_.router_rule_errors;
      if (should_log(++router_error_counts_[r])) {
        spdlog::warn("router rule '{}' failed on minute {} ({}): {}; its records are flat [{} so far]",
                     router_rules_[r].name, format_iso8601_utc(minute.minute_ts_ns),
                     abi_status_name(s), with_full_rule_path(rule.last_error(), rule.path()),
                     router_error_counts_[r]);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      ConsensusRecord& rec = consensus_out_[i];
      const RouteDecision& d = route_out_[i];
      rec.signal = d.direction == RouteDirection::Long    ? Signal::kLong
                   : d.direction == RouteDirection::Short ? Signal::kShort
                                                          : Signal::kFlat;
      rec.confidence = d.confidence;
      rec.allow = rec.signal != Signal::kFlat;
    }
  }
}

// Parametric 1-day 95% VaR as a percentage of equity:
//
//   VaR% = 1.645 * sqrt(sum_i (notional_i * sigma_daily_i)^2) / equity * 100
//   sigma_daily_i = rv_5_i * sqrt(1440)
//
// rv_5_i is the symbol's latest per-minute log-return standard deviation
// (the feature row's rv_5), scaled to a day of 1440 minutes (square-root of
// time). Symbols are assumed independent (no correlation terms), so this
// understates VaR for correlated books. A position whose symbol has no
// finite rv_5 yet is skipped. No open position: 0. Equity <= 0 or not
// finite: NaN (unknown).
double Pipeline::portfolio_var_pct(const sh_portfolio_state& portfolio) const {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!(portfolio.equity_usd > 0) || !std::isfinite(portfolio.equity_usd)) return nan;
  double sum_sq = 0.0;
  const auto* base = reinterpret_cast<const unsigned char*>(portfolio.positions);
  for (uint32_t i = 0; i < portfolio.position_count && base != nullptr; ++i) {
    const size_t stride = portfolio.position_size ? portfolio.position_size : sizeof(sh_position);
    const auto* p = reinterpret_cast<const sh_position*>(base + size_t{i} * stride);
    if (p->symbol >= last_rv5_.size()) continue;
    const double rv5 = last_rv5_[p->symbol];
    if (!std::isfinite(rv5) || !std::isfinite(p->notional_usd)) continue;
    const double sigma_daily = rv5 * std::sqrt(1440.0);
    const double x = p->notional_usd * sigma_daily;
    sum_sq += x * x;
  }
  return 1.645 * std::sqrt(sum_sq) / portfolio.equity_usd * 100.0;
}

Status Pipeline::apply_operator_commands(int64_t ts) {
  applied_command_keys_.clear();
  std::vector<TradeCommand> commands;
  {
    StateTxn txn;
    Status st = store_->begin_read(&txn);
    if (st.ok()) st = read_trade_commands(txn, &commands);
    txn.abort();
    if (!st.ok()) return st;
  }
  for (const TradeCommand& c : commands) {
    applied_command_keys_.push_back(c.key);
    if (c.command.empty()) {
      spdlog::warn("operator command record #{} is malformed: dropped", c.seq);
      continue;
    }
    std::string detail;
    if (c.command == "stop") {
      broker_->emergency_stop();
    } else if (c.command == "resume") {
      broker_->clear_emergency_stop();
    } else if (c.command == "flatten") {
      size_t orders = 0;
      const Status st = broker_->flatten_all(ts, &orders);
      if (!st.ok()) return st;
      detail = " (" + std::to_string(orders) + " closing orders)";
    } else if (c.command == "pause") {
      broker_->pause();
    } else if (c.command == "unpause") {
      broker_->resume();
    } else if (c.command == "router-pause" || c.command == "router-resume") {
      if (!router_) {
        spdlog::warn("operator command '{}': no model router is configured (consensus.router)",
                     c.command);
        continue;
      }
      if (c.command == "router-pause") router_->pause(); else router_->resume();
    } else if (c.command == "reset-risk") {
      std::string reset;
      for (const DecisionComponent& r : risk_stages_) {
        if (r.instance == nullptr) continue;
        const auto& keys = r.instance->library().identity().config_keys;
        if (std::find(keys.begin(), keys.end(), "reset") == keys.end()) continue;
        const std::string err = r.instance->send_command(nlohmann::json{{"reset", true}});
        if (!err.empty()) {
          spdlog::warn("operator command 'reset-risk': '{}' refused the reset: {}", r.name, err);
          continue;
        }
        reset += (reset.empty() ? "" : ", ") + r.name;
      }
      detail = reset.empty() ? " (no risk policy takes a reset)" : " (reset: " + reset + ")";
    }
    ++summary_.operator_commands;
    spdlog::info("operator command '{}' applied at minute {}{}", c.command, format_iso8601_utc(ts),
                 detail);
  }
  return Status::Ok();
}

Status Pipeline::write_decision_feeds() {
  Status st = Status::Ok();
  if (trades_csv_) {
    for (const Fill& f : broker_->staged_fills()) {
      st = trades_csv_->append(f);
      if (!st.ok()) return st;
    }
    st = trades_csv_->flush();
    if (!st.ok()) return st;
  }
  if (decisions_jsonl_) {
    for (const std::string& line : decision_lines_) {
      st = decisions_jsonl_->append_line(line);
      if (!st.ok()) return st;
    }
    st = decisions_jsonl_->flush();
  }
  decision_lines_.clear();
  return st;
}

Status Pipeline::trim_feeds_to_store() {
  int64_t last = 0;
  Status st = store_->last_minute_ts_ns(&last);
  if (st.is_not_found()) return Status::Ok();  // nothing committed: leave files alone
  if (!st.ok()) return st;
  const std::filesystem::path out = host_config_.output_dir();
  struct Feed {
    const std::string& file;
    FeedFormat format;
  };
  const Feed feeds[] = {{config_.sinks.jsonl, FeedFormat::kJsonLines},
                        {config_.sinks.shadow_jsonl, FeedFormat::kJsonLines},
                        {config_.sinks.candidates_jsonl, FeedFormat::kJsonLines},
                        {config_.decision.decisions_jsonl, FeedFormat::kJsonLines},
                        {config_.decision.trades_csv, FeedFormat::kCsvTsSecondColumn}};
  for (const Feed& f : feeds) {
    if (f.file.empty()) continue;
    size_t removed = 0;
    st = trim_feed_after(out / f.file, f.format, last, &removed);
    if (!st.ok()) return st;
    if (removed > 0) {
      spdlog::warn("{}: {} line(s) of minutes after the store's last committed minute {} removed",
                   (out / f.file).string(), removed, format_iso8601_utc(last));
    }
  }
  return Status::Ok();
}

Status Pipeline::after_commit_decision(const Status& write_status) {
  Status st = broker_->on_commit(write_status);
  if (!write_status.ok()) {
    decision_lines_.clear();
    switches_.clear();
    return st;
  }
  if (!st.ok()) return st;
  for (const SwitchRecord& sw : switches_) {
    ++summary_.model_switches;
    if (switch_observer_) {
      const char* name = runtime_.symbols.name(sw.symbol);
      switch_observer_(name ? name : "", sw);
    }
    if (should_log(summary_.model_switches)) {
      const char* name = runtime_.symbols.name(sw.symbol);
      spdlog::info("model switch {} {}: '{}' -> '{}' ({})", name ? name : "?",
                   format_iso8601_utc(sw.ts_ns), sw.from, sw.to, sw.reason);
    }
  }
  switches_.clear();
  summary_.fills += broker_->take_committed_fills().size();  // in trades.csv already
  summary_.equity_usd = broker_->equity_usd();
  summary_.cash_usd = broker_->cash_usd();
  summary_.realized_pnl_usd = broker_->realized_pnl_usd();
  return Status::Ok();
}

void Pipeline::finish_summary() {
  const ConveyorStats& cs = conveyor_.stats();
  summary_.events_in = cs.events_in;
  summary_.rejected_events = cs.rejected_events;
  summary_.late_events = cs.late_events;
  summary_.digest = digest_.hex_digest();
  // p50, p99 and max in us of a list of ns samples; zeros when empty.
  auto percentiles = [](std::vector<int64_t> v, double* p50, double* p99, double* max) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    auto pct = [&v](double p) {
      return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))]) / 1e3;
    };
    *p50 = pct(0.50);
    *p99 = pct(0.99);
    if (max != nullptr) *max = static_cast<double>(v.back()) / 1e3;
  };
  percentiles(close_latency_ns_, &summary_.close_p50_us, &summary_.close_p99_us,
              &summary_.close_max_us);
  percentiles(conveyor_close_ns_, &summary_.conveyor_close_p50_us, &summary_.conveyor_close_p99_us,
              nullptr);
  percentiles(decision_latency_ns_, &summary_.decision_p50_us, &summary_.decision_p99_us,
              &summary_.decision_max_us);
  percentiles(decision_core_ns_, &summary_.decision_core_p50_us, &summary_.decision_core_p99_us,
              &summary_.decision_core_max_us);
}

void Pipeline::print_summary(std::ostream& out) const {
  const RunSummary& s = summary_;
  out << "run summary (" << run_mode_name(config_.mode) << ")\n";
  out << "  events in          " << s.events_in << "\n";
  out << "  rejected events    " << s.rejected_events << "\n";
  out << "  late events        " << s.late_events << "\n";
  out << "  minutes closed     " << s.minutes_closed << "\n";
  out << "  snapshot rows      " << s.snapshot_rows;
  if (!s.dq_rows.empty()) {
    out << "  (dq:";
    for (const auto& [k, v] : s.dq_rows) out << " " << k << "=" << v;
    out << ")";
  }
  out << "\n";
  out << "  detector hits      " << s.detector_hits << "\n";
  if (s.detector_errors) out << "  detector errors    " << s.detector_errors << "\n";
  if (!rules_.empty()) {
    out << "  rule reloads       ok " << s.rule_reloads_ok << ", refused " << s.rule_reloads_refused
        << "\n";
  }
  if (s.swaps_applied || s.swaps_refused) {
    out << "  config swaps       applied " << s.swaps_applied << ", refused " << s.swaps_refused
        << "\n";
  }
  if (s.provider_errors) out << "  provider errors    " << s.provider_errors << "\n";
  if (config_.mode == RunMode::kDryRun) out << "  candidates logged  " << s.candidates << "\n";
  out << "  events published   " << s.published << "\n";
  if (s.shadowed) out << "  events shadowed    " << s.shadowed << "\n";
  uint64_t total_suppressed = 0;
  for (const auto& kv : s.suppressed) total_suppressed += kv.second;
  out << "  events suppressed  " << total_suppressed;
  if (!s.suppressed.empty()) {
    out << "  (";
    bool first = true;
    for (const auto& [k, v] : s.suppressed) {
      out << (first ? "" : ", ") << k << "=" << v;
      first = false;
    }
    out << ")";
  }
  out << "\n";
  if (s.decision_enabled) {
    out << "  order intents      " << s.intents << "\n";
    out << "  orders accepted    " << s.orders_accepted;
    if (s.orders_duplicate) out << "  (duplicate " << s.orders_duplicate << ")";
    if (s.orders_refused) out << "  (refused " << s.orders_refused << ")";
    if (s.orders_not_submitted) out << "  (dry-run, not submitted " << s.orders_not_submitted << ")";
    out << "\n";
    uint64_t total_denied = 0;
    for (const auto& kv : s.denied) total_denied += kv.second;
    out << "  orders denied      " << total_denied;
    if (!s.denied.empty()) {
      out << "  (";
      bool first = true;
      for (const auto& [k, v] : s.denied) {
        out << (first ? "" : ", ") << k << "=" << v;
        first = false;
      }
      out << ")";
    }
    out << "\n";
    out << "  fills              " << s.fills << "\n";
    if (router_) out << "  model switches     " << s.model_switches << "\n";
    if (s.expert_errors) out << "  expert errors      " << s.expert_errors << "\n";
    if (s.router_rule_errors) out << "  router rule errors " << s.router_rule_errors << "\n";
    if (s.operator_commands) out << "  operator commands  " << s.operator_commands << "\n";
    if (s.var_pct_max > 0) out << "  var pct max        " << s.var_pct_max << "\n";
    out << "  equity usd         " << s.equity_usd << " (cash " << s.cash_usd << ", realized pnl "
        << s.realized_pnl_usd << ")\n";
  }
  for (const auto& [name, value] : runtime_.counters.snapshot()) {
    if (value != 0) out << "  " << name << " " << value << "\n";
  }
  const double rate = s.wall_seconds > 0 ? static_cast<double>(s.events_in) / s.wall_seconds : 0;
  if (s.minutes_closed) {
    out << "  minute close       p50 " << s.close_p50_us << " us, p99 " << s.close_p99_us
        << " us, max " << s.close_max_us << " us\n";
    out << "    conveyor part    p50 " << s.conveyor_close_p50_us << " us, p99 "
        << s.conveyor_close_p99_us << " us\n";
    if (s.decision_enabled) {
      out << "    decision stage   p50 " << s.decision_p50_us << " us, p99 " << s.decision_p99_us
          << " us, max " << s.decision_max_us << " us\n";
      out << "      experts..risk  p50 " << s.decision_core_p50_us << " us, p99 "
          << s.decision_core_p99_us << " us, max " << s.decision_core_max_us << " us\n";
    }
  }
  out << "  wall time          " << s.wall_seconds << " s (" << static_cast<uint64_t>(rate)
      << " events/s)\n";
  out << "digest sha256:" << s.digest << "\n";
}

std::string Pipeline::summary_json() const {
  const RunSummary& s = summary_;
  nlohmann::json j;
  j["mode"] = run_mode_name(config_.mode);
  j["events_in"] = s.events_in;
  j["rejected_events"] = s.rejected_events;
  j["late_events"] = s.late_events;
  j["minutes_closed"] = s.minutes_closed;
  j["snapshot_rows"] = s.snapshot_rows;
  j["dq_rows"] = s.dq_rows;
  j["detector_hits"] = s.detector_hits;
  j["detector_errors"] = s.detector_errors;
  j["provider_errors"] = s.provider_errors;
  j["candidates"] = s.candidates;
  j["published"] = s.published;
  j["shadowed"] = s.shadowed;
  j["suppressed"] = s.suppressed;
  j["rule_reloads"] = {{"ok", s.rule_reloads_ok}, {"refused", s.rule_reloads_refused}};
  j["config_swaps"] = {{"applied", s.swaps_applied}, {"refused", s.swaps_refused}};
  if (s.decision_enabled) {
    j["decision"] = {{"intents", s.intents},
                     {"orders_accepted", s.orders_accepted},
                     {"orders_duplicate", s.orders_duplicate},
                     {"orders_refused", s.orders_refused},
                     {"orders_not_submitted", s.orders_not_submitted},
                     {"denied", s.denied},
                     {"fills", s.fills},
                     {"model_switches", s.model_switches},
                     {"expert_errors", s.expert_errors},
                     {"router_rule_errors", s.router_rule_errors},
                     {"operator_commands", s.operator_commands},
                     {"var_pct_max", s.var_pct_max},
                     {"equity_usd", s.equity_usd},
                     {"cash_usd", s.cash_usd},
                     {"realized_pnl_usd", s.realized_pnl_usd},
                     {"latency_us",
                      {{"p50", s.decision_p50_us}, {"p99", s.decision_p99_us}, {"max", s.decision_max_us}}},
                     {"core_latency_us",
                      {{"p50", s.decision_core_p50_us},
                       {"p99", s.decision_core_p99_us},
                       {"max", s.decision_core_max_us}}}};
  }
  nlohmann::json counters = nlohmann::json::object();
  for (const auto& [name, value] : runtime_.counters.snapshot()) counters[name] = value;
  j["counters"] = counters;
  j["wall_seconds"] = s.wall_seconds;
  j["close_latency_us"] = {{"p50", s.close_p50_us}, {"p99", s.close_p99_us}, {"max", s.close_max_us}};
  j["conveyor_close_latency_us"] = {{"p50", s.conveyor_close_p50_us}, {"p99", s.conveyor_close_p99_us}};
  j["digest"] = s.digest;
  nlohmann::json streams = nlohmann::json::array();
  for (const auto& info : digest_.streams()) {
    streams.push_back({{"name", info.name}, {"bytes", info.bytes}, {"sha256", info.hex_digest}});
  }
  j["streams"] = streams;
  return j.dump(2);
}

}  // namespace sh::host
