#include "control/swap_stage.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "control/reload_message.h"
#include "plugins/content_address.h"
#include "plugins/lua_rule_loader.h"
#include "services/text_util.h"
#include "services/host_clock.h"

namespace sh::host {
namespace {

bool is_reset_command(const nlohmann::json& config) {
  return config.is_object() && config.size() == 1 && config.contains("reset") &&
         config["reset"].is_boolean() && config["reset"].get<bool>();
}

}  // namespace

SwapStage::SwapStage(StageContext& ctx) : ctx_(ctx), registry_(ctx.components) {}

SwapStage::~SwapStage() = default;

// ---------------------------------------------------------------- open

Status SwapStage::open(StageContext&) {
  start_rule_watcher();
  return record_startup_versions();
}

void SwapStage::start_rule_watcher() {
  std::vector<std::string> rule_dirs;
  for (const SwapSlot& s : registry_.slots()) {
    if (s.rule == nullptr) continue;
    const std::string dir = std::filesystem::path(s.rule->path()).parent_path().string();
    if (std::find(rule_dirs.begin(), rule_dirs.end(), dir) == rule_dirs.end()) {
      rule_dirs.push_back(dir);
    }
  }
  if (!rule_dirs.empty()) {
    rule_watcher_ = std::make_unique<RuleWatcher>(rule_dirs);
    for (const auto& e : rule_watcher_->errors()) spdlog::warn("rule watcher: {}", e);
  }
}

ConfigVersion SwapStage::startup_record(const SwapSlot& slot) const {
  ConfigVersion v;
  v.component = slot.component;
  v.swap = SwapKind::kStartup;
  v.origin = "startup";
  v.wall_ns = HostClock::wall_ns();
  if (slot.instance != nullptr) {
    const PluginLibrary& lib = slot.instance->library();
    v.config = slot.instance->config();
    v.plugin_sha256 = lib.content_sha256();
    v.library_version = lib.version();
    v.plugin_path = lib.path().string();
    // A copy under the state dir, so a rollback to this version loads these
    // bytes even after the file at the configured path was rebuilt.
    std::string why;
    const auto copy =
        copy_to_content_addressed(lib.path(), ctx_.host_config.state_dir() / "plugin_cache", &why);
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
    if (const ComponentConfig* c = ctx_.host_config.find_component(slot.component)) v.config = c->lua.params;
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

Status SwapStage::record_startup_versions() {
  StateTxn txn;
  Status st = ctx_.store->begin_write(&txn);
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
  log_dropped_trials(journal);
  bool wrote = false;
  for (SwapSlot& slot : registry_.slots()) {
    ConfigVersion rec = startup_record(slot);
    ConfigVersion latest;
    st = latest_config_version(txn, slot.component, &latest);
    if (!st.ok() && !st.is_not_found()) return st;
    const bool have = st.ok();
    std::optional<ConfigVersion> yaml_entry;  // set: restore `latest` over it
    if (have && latest.content_hash != rec.content_hash) {
      st = find_restore(txn, rec, latest, &yaml_entry);
      if (!st.ok()) return st;
    }
    if (have && latest.content_hash == rec.content_hash) {
      rec = latest;  // serving what the store says was last in service
    } else if (yaml_entry) {
      // Serving the YAML's config (= that startup entry) until the restore
      // applies before the first event.
      rec = std::move(*yaml_entry);
      restore_.push_back(latest);
    } else {
      rec.version = have ? latest.version + 1 : 1;
      st = put_config_version(txn, rec);
      if (!st.ok()) return st;
      wrote = true;
    }
    std::lock_guard<std::mutex> lock(registry_.mu());
    slot.last_version = have ? std::max(latest.version, rec.version) : rec.version;
    slot.current = std::move(rec);
  }
  if (!wrote) {
    txn.abort();
    return Status::Ok();
  }
  return txn.commit();
}

// A reload (any path: param.reload, reconcile, `host reload`, a Lua file
// change) is the desired state until the YAML is edited after it: at a
// restart in a persistent mode, the newest entry is re-applied when it is a
// swap made after the newest startup entry and the YAML still holds that
// startup entry's config. When the YAML changed since, the YAML wins (the
// newer intent) and the log says which reload it replaces.
Status SwapStage::find_restore(const StateTxn& txn, const ConfigVersion& yaml,
                               const ConfigVersion& latest, std::optional<ConfigVersion>* yaml_entry) {
  yaml_entry->reset();
  if (ctx_.config.mode == RunMode::kReplay || latest.swap == SwapKind::kStartup) return Status::Ok();
  ConfigVersion startup;
  Status st = latest_startup_version(txn, yaml.component, &startup);
  if (st.is_not_found()) return Status::Ok();
  if (!st.ok()) return st;
  if (startup.content_hash == yaml.content_hash && latest.version > startup.version) {
    spdlog::warn("component '{}': re-applying version {} ({}, applied by {} while the host ran): it "
                 "is newer than the YAML, whose config is still version {}'s; `host config export` "
                 "writes the serving config",
                 yaml.component, latest.version, latest.label, latest.origin, startup.version);
    *yaml_entry = std::move(startup);
  } else {
    spdlog::info("component '{}': the YAML changed since version {} ({}, applied by {}): serving "
                 "the YAML's config",
                 yaml.component, latest.version, latest.label, latest.origin);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- rule reloads

bool SwapStage::request_rule_reload(const std::string& component) {
  bool known = false;
  for (const SwapSlot& s : registry_.slots()) known = known || (s.rule != nullptr && s.component == component);
  if (!known) return false;
  {
    std::lock_guard<std::mutex> lock(reload_mu_);
    reload_queue_.push_back(component);
  }
  reload_requested_.store(true, std::memory_order_release);
  return true;
}

void SwapStage::check_rule_reloads() {
  std::vector<const SwapSlot*> due;
  auto add = [&due](const SwapSlot& s) {
    if (std::find(due.begin(), due.end(), &s) == due.end()) due.push_back(&s);
  };
  const auto& slots = registry_.slots();
  if (reload_requested_.exchange(false, std::memory_order_acquire)) {
    std::vector<std::string> names;
    {
      std::lock_guard<std::mutex> lock(reload_mu_);
      names.swap(reload_queue_);
    }
    for (const SwapSlot& s : slots) {
      if (s.rule != nullptr && std::find(names.begin(), names.end(), s.component) != names.end()) add(s);
    }
  }
  if (reload_all_requested_.exchange(false, std::memory_order_acquire)) {
    for (const SwapSlot& s : slots) {
      if (s.rule != nullptr) add(s);
    }
  }
  if (rule_watcher_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_rule_poll_) {
      next_rule_poll_ = now + kRulePollInterval;
      for (const std::string& changed : rule_watcher_->poll_changed()) {
        const std::filesystem::path p = std::filesystem::path(changed).lexically_normal();
        for (const SwapSlot& s : slots) {
          if (s.rule != nullptr && std::filesystem::path(s.rule->path()).lexically_normal() == p) add(s);
        }
      }
    }
  }
  for (const SwapSlot* s : due) reload_rule(*s);
}

void SwapStage::reload_rule(const SwapSlot& slot) {
  LuaRule& rule = *slot.rule;
  const std::string error = with_full_rule_path(rule.reload(""), rule.path());
  if (error.empty()) {
    ++ctx_.summary.rule_reloads_ok;
    spdlog::info("rule '{}' reloaded from {} (hash {})", slot.component, rule.path(),
                 rule.content_hash());
  } else {
    ++ctx_.summary.rule_reloads_refused;
    if (rule.enabled()) {
      spdlog::warn("rule '{}' reload refused: {}; version {} keeps serving", slot.component, error,
                   rule.content_hash());
    } else {
      spdlog::warn("rule '{}' reload refused: {}; the rule stays disabled", slot.component, error);
    }
  }
}

// ---------------------------------------------------------------- the swap queue

void SwapStage::adopt_instances(std::vector<std::unique_ptr<PluginInstance>> instances) {
  for (auto& i : instances) owned_instances_.push_back(std::move(i));
}

void SwapStage::enqueue(std::unique_ptr<PreparedSwap> swap) {
  if (swap->enqueued == std::chrono::steady_clock::time_point{}) {
    swap->enqueued = std::chrono::steady_clock::now();
  }
  {
    std::lock_guard<std::mutex> lock(swap_mu_);
    swap_queue_.push_back(std::move(swap));
  }
  swaps_queued_.store(true, std::memory_order_release);
}

void SwapStage::schedule(std::vector<std::unique_ptr<PreparedSwap>> swaps) {
  for (auto& s : swaps) {
    if (!s->apply_at_seq) s->apply_at_seq = 0;
    scheduled_.push_back(std::move(s));
  }
  std::stable_sort(scheduled_.begin(), scheduled_.end(),
                   [](const std::unique_ptr<PreparedSwap>& a, const std::unique_ptr<PreparedSwap>& b) {
                     return *a->apply_at_seq < *b->apply_at_seq;
                   });
}

void SwapStage::discard_queued(const std::string& reason) {
  std::vector<std::unique_ptr<PreparedSwap>> left;
  {
    std::lock_guard<std::mutex> lock(swap_mu_);
    left.swap(swap_queue_);
  }
  for (auto& s : scheduled_) left.push_back(std::move(s));
  scheduled_.clear();
  for (auto& s : left) refuse(std::move(s), reason);
  report();
}

uint64_t SwapStage::next_barrier() const {
  return scheduled_.empty() ? kNoBarrier : *scheduled_.front()->apply_at_seq;
}

Status SwapStage::on_idle(IdlePoint point) {
  switch (point) {
    case IdlePoint::kBetweenBatches:
      // Between two provider polls no minute is half-processed: rules swap here.
      if (registry_.has_rules()) check_rule_reloads();
      return apply_pending();
    case IdlePoint::kEventBarrier:
      return apply_scheduled_due();
    case IdlePoint::kEndOfInput:
      // Swaps due at the very end (journal entries at the last event count,
      // requests that arrived with the last batch) still serve the final flush.
      return apply_pending();
  }
  return Status::Ok();
}

Status SwapStage::finish() {
  discard_queued("the run ended before the swap took effect");
  return Status::Ok();
}

void SwapStage::contribute(RunSummary& summary) const { summary.rules_in_use = registry_.has_rules(); }

Status SwapStage::apply_pending() {
  Status st = apply_scheduled_due();
  if (st.ok() && swaps_queued_.exchange(false, std::memory_order_acquire)) {
    std::vector<std::unique_ptr<PreparedSwap>> queue;
    {
      std::lock_guard<std::mutex> lock(swap_mu_);
      queue.swap(swap_queue_);
    }
    for (auto& s : queue) {
      if (!st.ok()) {
        refuse(std::move(s), "the run stopped: " + st.message());
        continue;
      }
      st = apply(std::move(s));
    }
  }
  report();
  return st;
}

Status SwapStage::apply_scheduled_due() {
  const uint64_t in = events_in();
  while (!scheduled_.empty() && *scheduled_.front()->apply_at_seq <= in) {
    std::unique_ptr<PreparedSwap> s = std::move(scheduled_.front());
    scheduled_.pop_front();
    if (*s->apply_at_seq != in) {
      spdlog::warn("journalled swap of '{}' was due at event {}, applied at {}", s->record.component,
                   *s->apply_at_seq, in);
    }
    Status st = apply(std::move(s));
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

void SwapStage::refuse(std::unique_ptr<PreparedSwap> swap, const std::string& reason) {
  ++ctx_.summary.swaps_refused;
  SwapDone done;
  done.outcome.request = swap->request;
  done.outcome.applied = false;
  done.outcome.reason = reason;
  done.outcome.content_hash = swap->record.content_hash;
  done.outcome.effective_seq = events_in();
  done.retired = std::move(swap->instance);
  done.enqueued = swap->enqueued;
  done.applied = std::chrono::steady_clock::now();
  done_.push_back(std::move(done));
}

// ---------------------------------------------------------------- applying one swap

Status SwapStage::apply(std::unique_ptr<PreparedSwap> swap) {
  const std::string component = swap->record.component;
  SwapSlot* slot = registry_.find(component);
  if (slot == nullptr) {
    refuse(std::move(swap), "unknown component '" + component + "'");
    return Status::Ok();
  }
  const std::string keeps = "; version " + std::to_string(slot->current.version) + " keeps serving";
  const std::string& shadow = swap->record.shadow;
  if (shadow == "start" || shadow == "discard") return apply_shadow(*slot, std::move(swap));
  if (shadow == "promote" && !slot->shadow) {
    refuse(std::move(swap), "component '" + component + "': no shadow trial is running" + keeps);
    return Status::Ok();
  }
  std::unique_ptr<PluginInstance> retired;
  bool reset_command = false;
  switch (swap->record.swap) {
    case SwapKind::kInstance:
      if (!swap_instance(*slot, swap, keeps, &retired)) return Status::Ok();
      break;
    case SwapKind::kSetConfig:
      if (!set_config(*slot, swap, keeps, &reset_command)) return Status::Ok();
      break;
    case SwapKind::kLuaRule:
      if (slot->rule == nullptr || !swap->rule) {
        refuse(std::move(swap), "component '" + component + "' is not a Lua rule" + keeps);
        return Status::Ok();
      }
      slot->rule->commit(std::move(swap->rule));
      break;
    case SwapKind::kStartup:
      refuse(std::move(swap), "component '" + component + "': not a swap" + keeps);
      return Status::Ok();
  }
  return record(*slot, std::move(swap), reset_command, std::move(retired));
}

bool SwapStage::swap_instance(SwapSlot& slot, std::unique_ptr<PreparedSwap>& swap,
                              const std::string& keeps, std::unique_ptr<PluginInstance>* retired) {
  const std::string& component = slot.component;
  if (slot.instance == nullptr || !swap->instance || swap->instance->kind() != slot.instance->kind()) {
    refuse(std::move(swap), "component '" + component + "': the candidate is not a " +
                                "plugin instance of the component's kind" + keeps);
    return false;
  }
  PluginInstance* old = slot.instance;
  PluginInstance* now = swap->instance.get();
  owned_instances_.push_back(std::move(swap->instance));
  for (auto it = owned_instances_.begin(); it != owned_instances_.end(); ++it) {
    if (it->get() == old) {
      *retired = std::move(*it);
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
  slot.instance = now;
  if (slot.rebind) slot.rebind(*now);
  return true;
}

bool SwapStage::set_config(SwapSlot& slot, std::unique_ptr<PreparedSwap>& swap,
                           const std::string& keeps, bool* reset_command) {
  const std::string& component = slot.component;
  if (slot.instance == nullptr) {
    refuse(std::move(swap), "component '" + component + "' is not a plugin" + keeps);
    return false;
  }
  // {"reset": true} alone is the plugins' one-shot reset command
  // (circuit_breaker, drawdown_lock, daily_loss): it is journalled like
  // any change (a replay resets at the same event) but the instance and
  // the serving record keep their parameters.
  *reset_command = is_reset_command(swap->record.config);
  const std::string err = *reset_command ? slot.instance->send_command(swap->record.config)
                                         : slot.instance->set_config(swap->record.config);
  if (!err.empty()) {
    refuse(std::move(swap), "component '" + component + "': " + err + keeps);
    return false;
  }
  return true;
}

Status SwapStage::record(SwapSlot& slot, std::unique_ptr<PreparedSwap> swap, bool reset_command,
                         std::unique_ptr<PluginInstance> retired) {
  ConfigVersion rec = std::move(swap->record);
  rec.effective_seq = events_in();
  rec.session = journal_session_;
  rec.sequence = ++journal_sequence_;
  if (rec.origin.empty()) rec.origin = swap->request.origin;
  rec.wall_ns = HostClock::wall_ns();
  {
    std::lock_guard<std::mutex> lock(registry_.mu());
    // A replayed journal entry keeps its number when it is still free.
    rec.version = std::max(rec.version, slot.last_version + 1);
  }
  // Its own small transaction, between two minutes: the swap is in the
  // journal before any output it influences is committed.
  StateTxn txn;
  Status st = ctx_.store->begin_write(&txn);
  if (st.ok()) st = put_config_version(txn, rec);
  if (st.ok()) st = txn.commit();
  if (!st.ok()) {
    return Status::IoError("recording the swap of '" + slot.component + "': " + st.message());
  }
  {
    std::lock_guard<std::mutex> lock(registry_.mu());
    slot.last_version = rec.version;
    slot.current = rec;
    if (reset_command) slot.current.config = slot.instance->config();
    if (slot.instance != nullptr) slot.library = slot.instance->shared_library();
  }
  ++ctx_.summary.swaps_applied;

  SwapDone done;
  if (rec.shadow == "promote") done.retired_candidate = end_trial(slot, "promoted", rec.effective_seq);
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
  done_.push_back(std::move(done));
  return Status::Ok();
}

// ---------------------------------------------------------------- shadow trials

std::unique_ptr<PluginInstance> SwapStage::end_trial(SwapSlot& slot, const char* how, uint64_t seq) {
  std::unique_ptr<ShadowCandidate> old;
  {
    std::lock_guard<std::mutex> lock(registry_.mu());
    old.swap(slot.shadow);
  }
  if (!old) return nullptr;
  ctx_.shadows.end(slot.component, how, seq);
  return std::move(old->instance);  // a Lua candidate dies here
}

std::unique_ptr<ShadowCandidate> SwapStage::make_candidate(const SwapSlot& slot, PreparedSwap& swap,
                                                           std::string* why) {
  auto candidate = std::make_unique<ShadowCandidate>();
  const std::string& label = swap.record.label;
  if (slot.kind != SH_KIND_DETECTOR && slot.kind != SH_KIND_EXPERT && slot.kind != SH_KIND_RISK) {
    *why = "shadow trials run detectors, experts and risk policies only";
  } else if (slot.kind == SH_KIND_EXPERT && slot.rule != nullptr) {
    *why = "a Lua rule under experts: is a router rule; shadow trials run expert plugins";
  } else if (slot.instance != nullptr && swap.instance && swap.instance->kind() == slot.instance->kind()) {
    candidate->version = swap.instance->library().version() + "+shadow:" + label;
    candidate->instance = std::move(swap.instance);
  } else if (slot.rule != nullptr && swap.shadow_rule) {
    candidate->version = "lua:" + swap.shadow_rule->content_hash() + "+shadow:" + label;
    candidate->rule = std::move(swap.shadow_rule);
  } else {
    *why = "the candidate is not a component of the serving one's type";
  }
  if (!why->empty()) return nullptr;
  return candidate;
}

// A trial starts (replacing a running one) or is discarded: journalled at
// this event count (swap_journal only), then the slot's candidate changes.
Status SwapStage::apply_shadow(SwapSlot& slot, std::unique_ptr<PreparedSwap> swap) {
  const bool start = swap->record.shadow == "start";
  const std::string keeps = "; version " + std::to_string(slot.current.version) + " keeps serving";
  std::unique_ptr<ShadowCandidate> candidate;
  std::string why;
  if (start) {
    candidate = make_candidate(slot, *swap, &why);
  } else if (!slot.shadow) {
    why = "no shadow trial is running";
  }
  if (!why.empty()) {
    refuse(std::move(swap), "component '" + slot.component + "': " + why + keeps);
    return Status::Ok();
  }
  ConfigVersion rec = std::move(swap->record);
  rec.version = 0;  // not a config version: nothing serves it
  rec.effective_seq = events_in();
  rec.session = journal_session_;
  rec.sequence = ++journal_sequence_;
  if (rec.origin.empty()) rec.origin = swap->request.origin;
  rec.wall_ns = HostClock::wall_ns();
  StateTxn txn;
  Status st = ctx_.store->begin_write(&txn);
  if (st.ok()) st = put_config_version(txn, rec);
  if (st.ok()) st = txn.commit();
  if (!st.ok()) {
    return Status::IoError("recording the shadow trial of '" + slot.component + "': " + st.message());
  }
  SwapDone done;
  done.retired_candidate = end_trial(slot, start ? "replaced" : "discarded", rec.effective_seq);
  if (start) {
    ctx_.shadows.start(slot.component, shadow_kind_name(slot.kind), rec.label, candidate->version, rec.content_hash,
                       rec.effective_seq);
    candidate->record = rec;
    std::lock_guard<std::mutex> lock(registry_.mu());
    slot.shadow = std::move(candidate);
  }
  done.outcome.request = std::move(swap->request);
  done.outcome.applied = true;
  done.outcome.content_hash = rec.content_hash;
  done.outcome.effective_seq = rec.effective_seq;
  done.outcome.applied_wall_ns = rec.wall_ns;
  done.record = std::move(rec);
  done.enqueued = swap->enqueued;
  done.applied = std::chrono::steady_clock::now();
  done_.push_back(std::move(done));
  return Status::Ok();
}

// The previous session's trials still running when it stopped: a restart
// does not bring them back (their candidate's outputs would restart from
// zero mid-comparison); the operator starts them again.
void SwapStage::log_dropped_trials(const std::vector<ConfigVersion>& journal) const {
  std::map<std::string, const ConfigVersion*> open;
  for (const ConfigVersion& v : journal) {
    if (v.session + 1 != journal_session_ || v.shadow.empty()) continue;
    if (v.shadow == "start") {
      open[v.component] = &v;
    } else {
      open.erase(v.component);
    }
  }
  for (const auto& [component, v] : open) {
    spdlog::warn("component '{}': the shadow trial of candidate {} (started at event {} of the "
                 "previous run) ended with the restart; `host reload --shadow` starts it again",
                 component, v->label, v->effective_seq);
  }
}

void SwapStage::report() {
  if (done_.empty()) return;
  std::vector<SwapDone> done;
  done.swap(done_);
  for (SwapDone& d : done) {
    remember(d);
    if (listener_ != nullptr) {
      listener_->on_swap_done(std::move(d));
      continue;
    }
    const ReloadOutcome& o = d.outcome;
    const std::string shadow_line = shadow_outcome_line(o);
    if (!shadow_line.empty()) {
      spdlog::info("{}", shadow_line);
    } else if (o.applied) {
      spdlog::info("Configuration reloaded: component '{}' version {} ({}) effective at event {}",
                   o.request.component, o.config_version, d.record.label, o.effective_seq);
    } else {
      spdlog::warn("Configuration reload refused: {}", o.reason);
    }
  }
}

void SwapStage::remember(const SwapDone& d) {
  ++reported_;
  SwapStatus h;
  h.wall_ns = d.outcome.applied_wall_ns != 0 ? d.outcome.applied_wall_ns : HostClock::wall_ns();
  h.component = d.outcome.request.component;
  h.applied = d.outcome.applied;
  h.config_version = d.outcome.config_version;
  h.label = d.record.label;
  h.reason = d.outcome.reason;
  h.effective_seq = d.outcome.effective_seq;
  // A journalled swap of a replay was never enqueued: no waiting time.
  if (d.enqueued != std::chrono::steady_clock::time_point{}) {
    const int64_t ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(d.applied - d.enqueued).count();
    h.duration_seconds = static_cast<double>(ns) * 1e-9;
    swap_latency_.observe_ns(ns);
  }
  history_.push_back(std::move(h));
  if (history_.size() > kHistory) history_.pop_front();
}

void SwapStage::describe(StatusSnapshot& status) const {
  status.swaps.assign(history_.begin(), history_.end());
  status.swap_latency = swap_latency_;
}

}  // namespace sh::host
