// ModelRouter: per symbol, which of the candidate models is active. Called
// once per minute close over all symbols with every candidate's confidence.
//
// Rules, per symbol and minute (confidence c; a candidate is eligible when
// its evidence is usable (consensus.h) and c >= min_confidence):
//   - no incumbent yet: the best eligible candidate becomes active at once
//     (reason "initial");
//   - incumbent not eligible this minute: the best eligible candidate takes
//     over at once (reason "incumbent_below_min_confidence"); nobody eligible
//     keeps the incumbent;
//   - otherwise a challenger must beat the incumbent by >= hysteresis for
//     confirm_minutes consecutive minutes (the same challenger each minute)
//     before it takes over (reason "challenger_confirmed"); any minute it
//     fails restarts its count.
// Ties go to the candidate listed first (determinism). Every change of the
// active model produces one SwitchRecord, returned to the caller, who writes
// it to the store (append_switch_history) and the model.switch.log stream.
// Paused: nothing changes, nothing is recorded, streaks are cleared.
#ifndef SH_HOST_DECISION_MODEL_ROUTER_H
#define SH_HOST_DECISION_MODEL_ROUTER_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <strategy_host/abi.h>

#include "decision/consensus.h"
#include "store/status.h"

namespace sh::host {

class StateTxn;

struct ModelRouterConfig {
  std::vector<std::string> candidates;  // model names, unique, non-empty; order breaks ties
  double min_confidence = 0.6;          // 0..1
  double hysteresis = 0.05;             // >= 0, confidence points
  uint32_t confirm_minutes = 2;         // >= 1
};

Status validate_model_router_config(const ModelRouterConfig& config);

struct SwitchRecord {
  int64_t ts_ns = 0;  // the minute close that decided it (event time)
  sh_symbol_id symbol = SH_INVALID_SYMBOL;
  std::string from;    // "" for the first choice
  std::string to;
  std::string reason;  // "initial" | "incumbent_below_min_confidence" | "challenger_confirmed"
  std::vector<double> confidences;  // per candidate, config order; NaN = unusable
};

// One JSON object, fields in this order: ts (ISO-8601 UTC), ts_ns, symbol,
// from, to, reason, confidences {candidate: value|null, ...} in config order.
std::string switch_record_to_json(const SwitchRecord& record, std::string_view symbol_name,
                                  const std::vector<std::string>& candidates);

class ModelRouter {
 public:
  static Status create(ModelRouterConfig config, std::unique_ptr<ModelRouter>* out);

  const ModelRouterConfig& config() const { return config_; }

  // One minute close. candidates[k] is config().candidates[k]'s evidence
  // (its confidence is what is compared), aligned with symbols[0..count).
  // Switch records are appended to *switches in symbol order.
  // InvalidArgument (nothing changed) when candidates.size() differs from
  // the config or an array is shorter than count.
  Status route(int64_t ts_ns, const sh_symbol_id* symbols, size_t count,
               const std::vector<ExpertEvidence>& candidates, std::vector<SwitchRecord>* switches);

  // The active model of a symbol, "" when none was chosen yet. The view
  // stays valid for the life of the router.
  std::string_view active(sh_symbol_id symbol) const;
  // Fills out[i] = active(symbols[i]) (for Consensus::fuse).
  void active_models(const sh_symbol_id* symbols, size_t count, std::string_view* out) const;

  void pause() { paused_ = true; }
  void resume() { paused_ = false; }
  bool paused() const { return paused_; }

  // Restores an incumbent (from the switch history after a restart).
  // InvalidArgument for a model that is not a candidate.
  Status set_active(sh_symbol_id symbol, std::string_view model);

 private:
  explicit ModelRouter(ModelRouterConfig config) : config_(std::move(config)) {}
  struct SymbolState {
    int32_t incumbent = -1;
    int32_t challenger = -1;
    uint32_t streak = 0;
  };
  SymbolState& state(sh_symbol_id symbol);
  int32_t index_of(std::string_view model) const;

  ModelRouterConfig config_;
  bool paused_ = false;
  std::vector<SymbolState> states_;  // indexed by symbol id (ids are dense)
  std::vector<double> conf_;         // scratch: per candidate, one symbol
};

// The LMDB history of switches: `meta` keys
//   "model_switch/" + 16 hex digits of ts_ns + "/" + symbol name
// (ascending time order under a prefix scan), value = switch_record_to_json.
// Call inside the minute's write transaction.
Status append_switch_history(StateTxn& txn, const SwitchRecord& record,
                             std::string_view symbol_name,
                             const std::vector<std::string>& candidates);
// Replays the history into router->set_active (the last switch per symbol
// wins); resolve maps a stored symbol name to this process's id. Entries
// naming a model that is no longer a candidate are skipped.
Status restore_router_from_history(const StateTxn& txn, ModelRouter* router,
                                   const std::function<sh_symbol_id(std::string_view)>& resolve);

}  // namespace sh::host

#endif  // SH_HOST_DECISION_MODEL_ROUTER_H
