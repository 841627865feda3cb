// Consensus: weighted fusion of the experts' evidence for one minute close
// into one record per symbol, the runbook's consensus answer:
//   {"symbol":"BTCUSDT","signal":"long","prob_long":0.75,"prob_short":0.25,
//    "confidence":0.65,"model_version":"20241201_143022","allow":true,
//    "threshold":0.6}
//
// Fusion, per symbol: every expert with a configured weight w_e > 0 whose
// evidence is usable votes; prob_long, prob_short and confidence are the
// w-weighted means over the voters (the weights of abstaining experts are
// renormalised away). Evidence is unusable, and excluded, when it carries
// SH_EVIDENCE_FLAG_ABSTAIN, names another symbol than the row, has a NaN or
// a value outside 0..1, or prob_long + prob_short > 1 (+1e-9).
// No voter at all: signal "flat", probabilities NaN (JSON null), confidence
// 0, allow false.
//
// Signal: "long" when prob_long >= threshold and prob_long > prob_short,
// "short" symmetrically, "flat" otherwise. allow = signal != flat and
// confidence >= min_confidence. (The low-confidence 412 of the paper API is
// the risk chain's LOW_CONFIDENCE verdict; allow=false never makes an order.)
#ifndef SH_HOST_DECISION_CONSENSUS_H
#define SH_HOST_DECISION_CONSENSUS_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <strategy_host/abi.h>

#include "store/status.h"

namespace sh::host {

class TextWriter;  // store/text_format.h

struct ConsensusConfig {
  // Expert (component) name -> weight. Each finite and >= 0, their sum > 0.
  // Any positive total is usable (weights are normalised); the runbook's
  // {"fsm":0.3,"classifier":0.3,"anomaly":0.2,"divergence":0.2} sums to 1.
  std::map<std::string, double, std::less<>> weights;
  double threshold = 0.55;      // 0..1, on the winning side's probability
  double min_confidence = 0.5;  // 0..1, on the fused confidence
  // model_version of a record when the caller passes no per-symbol version.
  std::string default_model_version = "consensus";
};

// Checks a config; the message names the offending weight, e.g.
//   "consensus.weights.anomaly: -0.2 is negative (weights must be finite and >= 0)".
Status validate_consensus_config(const ConsensusConfig& config);

enum class Signal : int { kFlat = 0, kLong = 1, kShort = -1 };
const char* signal_name(Signal signal);  // "flat", "long", "short"

struct ConsensusRecord {
  sh_symbol_id symbol = SH_INVALID_SYMBOL;
  Signal signal = Signal::kFlat;
  double prob_long = 0.0;   // NaN when no expert voted
  double prob_short = 0.0;  // NaN when no expert voted
  double confidence = 0.0;
  std::string model_version;
  bool allow = false;
  double threshold = 0.0;
  uint32_t experts_used = 0;  // voters (not in the JSON: the decisions log has them)
  double weight_used = 0.0;   // voters' weight / configured total, 0..1
};

// The runbook JSON, fields in this fixed order: symbol, signal, prob_long,
// prob_short, confidence, model_version, allow, threshold. NaN is null.
std::string consensus_to_json(const ConsensusRecord& record, std::string_view symbol_name);
// The same written through a TextWriter (store/text_format.h).
void append_consensus_json(TextWriter& out, const ConsensusRecord& record,
                           std::string_view symbol_name);

// One expert's evidence for the minute: `count` records with stride
// item_size, record i belonging to the i-th symbol of the minute. Borrowed.
struct ExpertEvidence {
  std::string_view name;  // key into ConsensusConfig::weights
  const sh_evidence* items = nullptr;
  uint32_t count = 0;
  uint32_t item_size = sizeof(sh_evidence);
  const sh_evidence& at(size_t i) const {
    return *reinterpret_cast<const sh_evidence*>(reinterpret_cast<const char*>(items) +
                                                 i * item_size);
  }
};

// True when `e` may vote for `symbol` (see the exclusion rules above).
bool evidence_usable(const sh_evidence& e, sh_symbol_id symbol);

class Consensus {
 public:
  // Validates config (see validate_consensus_config); *out untouched on error.
  static Status create(ConsensusConfig config, std::unique_ptr<Consensus>* out);

  const ConsensusConfig& config() const { return config_; }

  // InvalidArgument naming the first expert that has no configured weight.
  Status check_experts(const std::vector<std::string>& expert_names) const;

  // Fuses one minute: out->at(i) is symbols[i]'s record. model_versions, if
  // not null, holds count entries (the router's active model per symbol;
  // an empty view falls back to default_model_version). *out is resized and
  // reused across calls (no allocation once warm with short versions).
  // Errors (nothing written): an expert without a configured weight, an
  // expert array shorter than count, item_size < sizeof(sh_evidence).
  Status fuse(const sh_symbol_id* symbols, size_t count, const std::vector<ExpertEvidence>& experts,
              const std::string_view* model_versions, std::vector<ConsensusRecord>* out) const;

 private:
  explicit Consensus(ConsensusConfig config);
  ConsensusConfig config_;
  double total_weight_ = 0.0;
  mutable std::vector<double> scratch_weights_;  // per expert, for one fuse call
};

}  // namespace sh::host

#endif  // SH_HOST_DECISION_CONSENSUS_H
