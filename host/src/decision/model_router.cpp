#include "decision/model_router.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "store/state_store.h"
#include "store/text_format.h"
#include "store/time_format.h"

namespace sh::host {

namespace {

constexpr std::string_view kSwitchPrefix = "model_switch/";

}  // namespace

Status validate_model_router_config(const ModelRouterConfig& c) {
  if (c.candidates.empty()) {
    return Status::InvalidArgument("model_router.candidates: empty (needs at least one model)");
  }
  std::set<std::string_view> seen;
  for (const std::string& name : c.candidates) {
    if (name.empty()) return Status::InvalidArgument("model_router.candidates: empty name");
    if (!seen.insert(name).second) {
      return Status::InvalidArgument("model_router.candidates: '" + name + "' listed twice");
    }
  }
  if (!(c.min_confidence >= 0.0 && c.min_confidence <= 1.0)) {
    return Status::InvalidArgument("model_router.min_confidence: " + format_double(c.min_confidence) +
                                   " is outside 0..1");
  }
  if (!(c.hysteresis >= 0.0 && c.hysteresis <= 1.0)) {
    return Status::InvalidArgument("model_router.hysteresis: " + format_double(c.hysteresis) +
                                   " is outside 0..1");
  }
  if (c.confirm_minutes < 1) {
    return Status::InvalidArgument("model_router.confirm_minutes: must be >= 1");
  }
  return Status::Ok();
}

std::string switch_record_to_json(const SwitchRecord& r, std::string_view symbol_name,
                                  const std::vector<std::string>& candidates) {
  std::string s;
  s.reserve(256);
  s += "{\"ts\":";
  append_json_string(&s, format_iso8601_utc(r.ts_ns));
  s += ",\"ts_ns\":";
  s += std::to_string(r.ts_ns);
  s += ",\"symbol\":";
  append_json_string(&s, symbol_name);
  s += ",\"from\":";
  append_json_string(&s, r.from);
  s += ",\"to\":";
  append_json_string(&s, r.to);
  s += ",\"reason\":";
  append_json_string(&s, r.reason);
  s += ",\"confidences\":{";
  for (size_t k = 0; k < candidates.size(); ++k) {
    if (k > 0) s += ',';
    append_json_string(&s, candidates[k]);
    s += ':';
    append_json_double(&s, k < r.confidences.size() ? r.confidences[k] : std::nan(""));
  }
  s += "}}";
  return s;
}

Status ModelRouter::create(ModelRouterConfig config, std::unique_ptr<ModelRouter>* out) {
  Status st = validate_model_router_config(config);
  if (!st.ok()) return st;
  out->reset(new ModelRouter(std::move(config)));
  return Status::Ok();
}

ModelRouter::SymbolState& ModelRouter::state(sh_symbol_id symbol) {
  if (symbol >= states_.size()) states_.resize(static_cast<size_t>(symbol) + 1);
  return states_[symbol];
}

int32_t ModelRouter::index_of(std::string_view model) const {
  for (size_t k = 0; k < config_.candidates.size(); ++k) {
    if (config_.candidates[k] == model) return static_cast<int32_t>(k);
  }
  return -1;
}

std::string_view ModelRouter::active(sh_symbol_id symbol) const {
  if (symbol >= states_.size() || states_[symbol].incumbent < 0) return {};
  return config_.candidates[static_cast<size_t>(states_[symbol].incumbent)];
}

void ModelRouter::active_models(const sh_symbol_id* symbols, size_t count,
                                std::string_view* out) const {
  for (size_t i = 0; i < count; ++i) out[i] = active(symbols[i]);
}

Status ModelRouter::set_active(sh_symbol_id symbol, std::string_view model) {
  const int32_t k = index_of(model);
  if (k < 0) {
    return Status::InvalidArgument("model_router: '" + std::string(model) + "' is not a candidate");
  }
  SymbolState& s = state(symbol);
  s.incumbent = k;
  s.challenger = -1;
  s.streak = 0;
  return Status::Ok();
}

Status ModelRouter::route(int64_t ts_ns, const sh_symbol_id* symbols, size_t count,
                          const std::vector<ExpertEvidence>& candidates,
                          std::vector<SwitchRecord>* switches) {
  const size_t n_models = config_.candidates.size();
  if (candidates.size() != n_models) {
    return Status::InvalidArgument("model_router: " + std::to_string(candidates.size()) +
                                   " candidate arrays for " + std::to_string(n_models) +
                                   " configured candidates");
  }
  for (size_t k = 0; k < n_models; ++k) {
    if (candidates[k].count < count || (count > 0 && candidates[k].items == nullptr) ||
        candidates[k].item_size < sizeof(sh_evidence)) {
      return Status::InvalidArgument("model_router: candidate '" + config_.candidates[k] +
                                     "' has a short or malformed evidence array");
    }
  }
  if (paused_) {
    for (size_t i = 0; i < count; ++i) {
      if (symbols[i] < states_.size()) {
        states_[symbols[i]].challenger = -1;
        states_[symbols[i]].streak = 0;
      }
    }
    return Status::Ok();
  }
  conf_.resize(n_models);
  const double nan = std::nan("");
  for (size_t i = 0; i < count; ++i) {
    const sh_symbol_id sym = symbols[i];
    int32_t best = -1;
    for (size_t k = 0; k < n_models; ++k) {
      const sh_evidence& e = candidates[k].at(i);
      const bool usable = evidence_usable(e, sym);
      conf_[k] = usable ? e.confidence : nan;
      if (usable && e.confidence >= config_.min_confidence &&
          (best < 0 || e.confidence > conf_[static_cast<size_t>(best)])) {
        best = static_cast<int32_t>(k);
      }
    }
    SymbolState& s = state(sym);
    const char* reason = nullptr;
    if (s.incumbent < 0) {
      if (best >= 0) reason = "initial";
    } else {
      const double inc = conf_[static_cast<size_t>(s.incumbent)];
      const bool inc_eligible = !std::isnan(inc) && inc >= config_.min_confidence;
      if (!inc_eligible) {
        if (best >= 0) reason = "incumbent_below_min_confidence";
      } else if (best >= 0 && best != s.incumbent &&
                 conf_[static_cast<size_t>(best)] >= inc + config_.hysteresis) {
        if (s.challenger == best) {
          ++s.streak;
        } else {
          s.challenger = best;
          s.streak = 1;
        }
        if (s.streak >= config_.confirm_minutes) reason = "challenger_confirmed";
      } else {
        s.challenger = -1;
        s.streak = 0;
      }
    }
    if (reason == nullptr) continue;
    SwitchRecord rec;
    rec.ts_ns = ts_ns;
    rec.symbol = sym;
    if (s.incumbent >= 0) rec.from = config_.candidates[static_cast<size_t>(s.incumbent)];
    rec.to = config_.candidates[static_cast<size_t>(best)];
    rec.reason = reason;
    rec.confidences = conf_;
    switches->push_back(std::move(rec));
    s.incumbent = best;
    s.challenger = -1;
    s.streak = 0;
  }
  return Status::Ok();
}

Status append_switch_history(StateTxn& txn, const SwitchRecord& record,
                             std::string_view symbol_name,
                             const std::vector<std::string>& candidates) {
  char ts_hex[17];
  std::snprintf(ts_hex, sizeof ts_hex, "%016" PRIx64, static_cast<uint64_t>(record.ts_ns));
  std::string key(kSwitchPrefix);
  key += ts_hex;
  key += '/';
  key += symbol_name;
  return txn.put(StateDb::kMeta, key, switch_record_to_json(record, symbol_name, candidates));
}

Status restore_router_from_history(const StateTxn& txn, ModelRouter* router,
                                   const std::function<sh_symbol_id(std::string_view)>& resolve) {
  std::string end(kSwitchPrefix);
  end.back() = static_cast<char>('/' + 1);
  Status bad;
  Status st = txn.scan(StateDb::kMeta, kSwitchPrefix, end,
                       [&](std::string_view key, std::string_view value) {
                         const nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
                         if (j.is_discarded() || !j.is_object() || !j.contains("symbol") ||
                             !j.contains("to") || !j["symbol"].is_string() || !j["to"].is_string()) {
                           bad = Status::Corruption("model switch history: bad record at key " +
                                                    std::string(key));
                           return false;
                         }
                         const sh_symbol_id id = resolve(j["symbol"].get<std::string>());
                         if (id != SH_INVALID_SYMBOL) {
                           (void)router->set_active(id, j["to"].get<std::string>());
                         }
                         return true;
                       });
  if (!st.ok()) return st;
  return bad;
}

}  // namespace sh::host
