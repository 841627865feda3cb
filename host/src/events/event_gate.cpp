#include "events/event_gate.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <nlohmann/json.hpp>
#include <strategy_host/json_text.hpp>

#include "store/state_store.h"

namespace sh::host {
namespace {

constexpr int64_t kNsPerMs = 1000000;
constexpr int64_t kHourNs = int64_t{3600} * 1000000000;
constexpr int kStateVersion = 1;

int severity_of(double score, double weight) {
  const double x = score * weight;
  if (std::isnan(x)) return 0;
  return static_cast<int>(std::lround(std::clamp(x, 0.0, 100.0)));
}

// ms -> ns without overflow for any sane config (validated <= ~292 years).
int64_t ms_to_ns(int64_t ms) { return ms * kNsPerMs; }

Status apply_policy_json(const nlohmann::json& j, const std::string& where,
                         EventClassPolicy* p, bool allow_classes) {
  if (!j.is_object()) return Status::InvalidArgument(where + ": expected an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& v = it.value();
    auto need_int = [&](int64_t* out) {
      if (!v.is_number_integer()) {
        return Status::InvalidArgument(where + "." + key + ": expected an integer");
      }
      *out = v.get<int64_t>();
      return Status::Ok();
    };
    Status st;
    if (key == "debounce_ms") {
      st = need_int(&p->debounce_ms);
    } else if (key == "cooldown_ms") {
      st = need_int(&p->cooldown_ms);
    } else if (key == "budget_per_hour") {
      st = need_int(&p->budget_per_hour);
    } else if (key == "suppress_when_dq_not_ok") {
      if (!v.is_boolean()) return Status::InvalidArgument(where + "." + key + ": expected a boolean");
      p->suppress_when_dq_not_ok = v.get<bool>();
    } else if (key == "weight") {
      if (!v.is_number()) return Status::InvalidArgument(where + "." + key + ": expected a number");
      p->weight = v.get<double>();
    } else if (key == "classes" && allow_classes) {
      continue;  // handled by the caller
    } else {
      return Status::InvalidArgument(where + ": unknown key \"" + key + "\"");
    }
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status validate_policy(const EventClassPolicy& p, const std::string& where) {
  constexpr int64_t kMaxMs = int64_t{1} << 42;  // ~139 years: ms_to_ns cannot overflow
  if (p.debounce_ms < 0 || p.debounce_ms > kMaxMs) {
    return Status::InvalidArgument(where + ".debounce_ms out of range");
  }
  if (p.cooldown_ms < 0 || p.cooldown_ms > kMaxMs) {
    return Status::InvalidArgument(where + ".cooldown_ms out of range");
  }
  if (p.budget_per_hour < 0) return Status::InvalidArgument(where + ".budget_per_hour < 0");
  if (!std::isfinite(p.weight) || p.weight < 0) {
    return Status::InvalidArgument(where + ".weight must be finite and >= 0");
  }
  return Status::Ok();
}

}  // namespace

const EventClassPolicy& EventGateConfig::policy_for(std::string_view hit_class) const {
  auto it = classes.find(hit_class);
  return it == classes.end() ? defaults : it->second;
}

Status EventGateConfig::validate() const {
  Status st = validate_policy(defaults, "events");
  if (!st.ok()) return st;
  for (const auto& [name, p] : classes) {
    st = validate_policy(p, "events.classes." + name);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status EventGateConfig::from_json(const nlohmann::json& j, EventGateConfig* config) {
  EventGateConfig c;
  Status st = apply_policy_json(j, "events", &c.defaults, /*allow_classes=*/true);
  if (!st.ok()) return st;
  auto cls = j.find("classes");
  if (cls != j.end()) {
    if (!cls->is_object()) return Status::InvalidArgument("events.classes: expected an object");
    for (auto it = cls->begin(); it != cls->end(); ++it) {
      EventClassPolicy p = c.defaults;
      st = apply_policy_json(it.value(), "events.classes." + it.key(), &p, false);
      if (!st.ok()) return st;
      c.classes[it.key()] = p;
    }
  }
  st = c.validate();
  if (!st.ok()) return st;
  *config = std::move(c);
  return Status::Ok();
}

const char* suppress_reason_name(SuppressReason reason) {
  switch (reason) {
    case SuppressReason::kNone: return "published";
    case SuppressReason::kDq: return "dq";
    case SuppressReason::kDebounce: return "debounce";
    case SuppressReason::kCooldown: return "cooldown";
    case SuppressReason::kBudget: return "budget";
  }
  return "unknown";
}

EventGate::EventGate(EventGateConfig config, uint64_t next_seq)
    : config_(std::move(config)), next_seq_(next_seq == 0 ? 1 : next_seq) {}

Status EventGate::set_config(EventGateConfig config) {
  Status st = config.validate();
  if (!st.ok()) return st;
  config_ = std::move(config);
  return Status::Ok();
}

void EventGate::count(const std::string& name) { ++counters_[name]; }

void EventGate::prune_budget(std::multiset<int64_t>* window, int64_t now_ns) {
  // Keep everything a candidate at or after now_ns could still see.
  window->erase(window->begin(), window->upper_bound(now_ns - kHourNs));
}

GateDecision EventGate::offer(const EventCandidate& c) {
  const EventClassPolicy& p = config_.policy_for(c.hit_class);
  const int64_t t = c.minute_ts_ns;
  GateDecision d;
  static_cast<EventCandidate&>(d.record) = c;
  d.record.severity = severity_of(c.score, p.weight);
  d.record.seq = 0;

  auto suppress = [&](SuppressReason r) {
    d.reason = r;
    count("events.suppressed." + std::string(suppress_reason_name(r)) + "." + c.hit_class);
    return d;
  };

  if (p.suppress_when_dq_not_ok && c.dq != SH_DQ_OK) return suppress(SuppressReason::kDq);

  auto& entry = *keys_.try_emplace({c.symbol, c.hit_class}).first;
  KeyState& ks = entry.second;
  if (!ks.changed) {
    ks.changed = true;
    changed_.push_back(&entry);
  }
  const bool in_episode = ks.has_hit && t - ks.last_hit_ts_ns < ms_to_ns(p.debounce_ms);
  if (!ks.has_hit || t > ks.last_hit_ts_ns) ks.last_hit_ts_ns = t;
  ks.has_hit = true;
  if (in_episode) return suppress(SuppressReason::kDebounce);

  if (ks.has_publish && t - ks.last_publish_ts_ns < ms_to_ns(p.cooldown_ms)) {
    return suppress(SuppressReason::kCooldown);
  }

  auto& window = budget_[c.hit_class];
  const int64_t newest = window.empty() ? t : std::max(t, *window.rbegin());
  prune_budget(&window, newest);
  const auto in_hour = std::distance(window.upper_bound(t - kHourNs), window.upper_bound(t));
  if (in_hour >= p.budget_per_hour) return suppress(SuppressReason::kBudget);

  window.insert(t);
  ks.has_publish = true;
  ks.last_publish_ts_ns = std::max(ks.last_publish_ts_ns, t);
  d.record.seq = next_seq_++;
  count("events.published." + c.hit_class);
  return d;
}

uint64_t EventGate::published(std::string_view hit_class) const {
  auto it = counters_.find("events.published." + std::string(hit_class));
  return it == counters_.end() ? 0 : it->second;
}

uint64_t EventGate::suppressed(SuppressReason reason, std::string_view hit_class) const {
  auto it = counters_.find("events.suppressed." + std::string(suppress_reason_name(reason)) + "." +
                           std::string(hit_class));
  return it == counters_.end() ? 0 : it->second;
}

std::vector<std::pair<std::string, uint64_t>> EventGate::counters() const {
  return {counters_.begin(), counters_.end()};
}

double EventGate::budget_utilization(std::string_view hit_class, int64_t now_ns) const {
  const EventClassPolicy& p = config_.policy_for(hit_class);
  if (p.budget_per_hour <= 0) return 1.0;
  auto it = budget_.find(hit_class);
  if (it == budget_.end()) return 0.0;
  const auto& w = it->second;
  const auto n = std::distance(w.upper_bound(now_ns - kHourNs), w.upper_bound(now_ns));
  return std::min(1.0, static_cast<double>(n) / static_cast<double>(p.budget_per_hour));
}

std::vector<std::pair<std::string, double>> EventGate::budget_utilizations(int64_t now_ns) const {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [cls, w] : budget_) out.emplace_back(cls, budget_utilization(cls, now_ns));
  return out;
}

std::string EventGate::save_state() const { return save(true); }

std::string EventGate::save_header() const { return save(false); }

std::string EventGate::save(bool with_keys) const {
  nlohmann::json keys = nlohmann::json::array();
  if (with_keys) {
    for (const auto& [k, s] : keys_) {
      keys.push_back({k.first, k.second, s.has_hit ? nlohmann::json(s.last_hit_ts_ns) : nullptr,
                      s.has_publish ? nlohmann::json(s.last_publish_ts_ns) : nullptr});
    }
  }
  nlohmann::json budget = nlohmann::json::object();
  for (const auto& [cls, w] : budget_) budget[cls] = std::vector<int64_t>(w.begin(), w.end());
  nlohmann::json j = {{"version", kStateVersion},
                      {"next_seq", next_seq_},
                      {"keys", std::move(keys)},
                      {"budget", std::move(budget)}};
  return j.dump();  // nlohmann::json objects are std::map: sorted keys
}

void EventGate::save_changed_keys(
    const std::function<void(std::string_view, std::string_view)>& row) const {
  std::string key;
  std::string value;
  auto put_time = [&value](bool has, int64_t ts_ns) {
    value += ',';
    if (has) {
      json_text::put_int(value, ts_ns);
    } else {
      value += "null";
    }
  };
  for (const auto* entry : changed_) {
    const auto& [k, s] = *entry;
    key.clear();
    key += '[';
    json_text::put_string(key, k.first);
    key += ',';
    json_text::put_string(key, k.second);
    key += ']';
    value.assign(key, 0, key.size() - 1);  // [symbol,class
    put_time(s.has_hit, s.last_hit_ts_ns);
    put_time(s.has_publish, s.last_publish_ts_ns);
    value += ']';
    row(key, value);
  }
}

void EventGate::forget_changed() {
  for (auto* entry : changed_) entry->second.changed = false;
  changed_.clear();
}

void EventGate::mark_all_changed() {
  for (auto& entry : keys_) {
    if (entry.second.changed) continue;
    entry.second.changed = true;
    changed_.push_back(&entry);
  }
}

// [symbol, class, last_hit|null, last_publish|null] -> the key's state
// (throws nlohmann::json::exception on a bad element).
EventGate::KeyState EventGate::key_state_of(const nlohmann::json& e) {
  KeyState s;
  if (!e.at(2).is_null()) {
    s.has_hit = true;
    s.last_hit_ts_ns = e.at(2).get<int64_t>();
  }
  if (!e.at(3).is_null()) {
    s.has_publish = true;
    s.last_publish_ts_ns = e.at(3).get<int64_t>();
  }
  return s;
}

Status EventGate::restore_key(std::string_view value) {
  const auto e = nlohmann::json::parse(value.begin(), value.end(), nullptr, false);
  try {
    if (e.is_discarded() || !e.is_array() || e.size() != 4) throw std::invalid_argument("");
    KeyState s = key_state_of(e);
    Key k{e.at(0).get<std::string>(), e.at(1).get<std::string>()};
    auto it = keys_.find(k);
    if (it != keys_.end() && it->second.changed) s.changed = true;  // still listed in changed_
    keys_.insert_or_assign(std::move(k), s);
  } catch (const std::exception&) {
    return Status::Corruption("event gate state: bad key row " + std::string(value.substr(0, 200)));
  }
  return Status::Ok();
}

Status EventGate::restore_state(std::string_view saved) {
  const auto j = nlohmann::json::parse(saved.begin(), saved.end(), nullptr, false);
  auto bad = [](const std::string& why) {
    return Status::Corruption("event gate state: " + why);
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  decltype(keys_) keys;
  decltype(budget_) budget;
  uint64_t next_seq = 0;
  try {
    if (j.at("version").get<int>() != kStateVersion) {
      return bad("unsupported version " + j.at("version").dump());
    }
    next_seq = j.at("next_seq").get<uint64_t>();
    for (const auto& e : j.at("keys")) {
      keys[{e.at(0).get<std::string>(), e.at(1).get<std::string>()}] = key_state_of(e);
    }
    for (auto it = j.at("budget").begin(); it != j.at("budget").end(); ++it) {
      auto& w = budget[it.key()];
      for (const auto& ts : it.value()) w.insert(ts.get<int64_t>());
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  keys_ = std::move(keys);
  changed_.clear();
  budget_ = std::move(budget);
  next_seq_ = std::max(next_seq_, next_seq);
  return Status::Ok();
}

namespace {
constexpr std::string_view kGateStateKey = "event_gate_state";
constexpr std::string_view kGateKeyPrefix = "event_gate/key/";
}  // namespace

Status store_gate_state(const EventGate& gate, StateTxn& txn) {
  Status st = txn.put(StateDb::kMeta, kGateStateKey, gate.save_header());
  std::string key(kGateKeyPrefix);
  gate.save_changed_keys([&](std::string_view k, std::string_view v) {
    if (!st.ok()) return;
    key.resize(kGateKeyPrefix.size());
    key += k;
    st = txn.put(StateDb::kMeta, key, v);
  });
  return st;
}

Status load_gate_state(const StateTxn& txn, EventGate* gate) {
  std::string saved;
  Status st = txn.get(StateDb::kMeta, kGateStateKey, &saved);
  if (!st.ok()) return st;
  st = gate->restore_state(saved);
  if (!st.ok()) return st;
  // A whole document (a store from before the rows) becomes rows at the
  // next save, when its header replaces it.
  gate->mark_all_changed();
  Status row_st = Status::Ok();
  st = txn.scan_prefix(StateDb::kMeta, kGateKeyPrefix, [&](std::string_view, std::string_view v) {
    row_st = gate->restore_key(v);
    return row_st.ok();
  });
  return row_st.ok() ? st : row_st;
}

}  // namespace sh::host
