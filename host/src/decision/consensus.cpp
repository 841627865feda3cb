#include "decision/consensus.h"

#include <cmath>
#include <utility>

#include "store/text_format.h"

namespace sh::host {

namespace {

bool unit_interval(double v) { return v >= 0.0 && v <= 1.0; }  // false for NaN

}  // namespace

Status validate_consensus_config(const ConsensusConfig& config) {
  if (config.weights.empty()) {
    return Status::InvalidArgument("consensus.weights: empty (at least one expert needs a weight > 0)");
  }
  double total = 0.0;
  for (const auto& [name, w] : config.weights) {
    if (!std::isfinite(w)) {
      return Status::InvalidArgument("consensus.weights." + name + ": " + format_double(w) +
                                     " is not a finite number");
    }
    if (w < 0.0) {
      return Status::InvalidArgument("consensus.weights." + name + ": " + format_double(w) +
                                     " is negative (weights must be finite and >= 0)");
    }
    total += w;
  }
  if (!(total > 0.0) || !std::isfinite(total)) {
    return Status::InvalidArgument("consensus.weights: sum is " + format_double(total) +
                                   ", not a usable total (needs a finite sum > 0)");
  }
  if (!unit_interval(config.threshold)) {
    return Status::InvalidArgument("consensus.threshold: " + format_double(config.threshold) +
                                   " is outside 0..1");
  }
  if (!unit_interval(config.min_confidence)) {
    return Status::InvalidArgument("consensus.min_confidence: " +
                                   format_double(config.min_confidence) + " is outside 0..1");
  }
  return Status::Ok();
}

const char* signal_name(Signal signal) {
  switch (signal) {
    case Signal::kLong: return "long";
    case Signal::kShort: return "short";
    case Signal::kFlat: break;
  }
  return "flat";
}

std::string consensus_to_json(const ConsensusRecord& r, std::string_view symbol_name) {
  std::string s;
  {
    TextWriter w(&s, 192);
    append_consensus_json(w, r, symbol_name);
  }
  return s;
}

void append_consensus_json(TextWriter& s, const ConsensusRecord& r, std::string_view symbol_name) {
  s.lit("{\"symbol\":");
  s.json_string(symbol_name);
  s.lit(",\"signal\":\"");
  s.put(std::string_view(signal_name(r.signal)));
  s.lit("\",\"prob_long\":");
  s.json_double(r.prob_long);
  s.lit(",\"prob_short\":");
  s.json_double(r.prob_short);
  s.lit(",\"confidence\":");
  s.json_double(r.confidence);
  s.lit(",\"model_version\":");
  s.json_string(r.model_version);
  if (r.allow) {
    s.lit(",\"allow\":true,\"threshold\":");
  } else {
    s.lit(",\"allow\":false,\"threshold\":");
  }
  s.json_double(r.threshold);
  s.put('}');
}

bool evidence_usable(const sh_evidence& e, sh_symbol_id symbol) {
  if ((e.flags & SH_EVIDENCE_FLAG_ABSTAIN) != 0) return false;
  if (e.symbol != symbol) return false;
  if (!unit_interval(e.prob_long) || !unit_interval(e.prob_short) || !unit_interval(e.confidence)) {
    return false;
  }
  return e.prob_long + e.prob_short <= 1.0 + 1e-9;
}

Consensus::Consensus(ConsensusConfig config) : config_(std::move(config)) {
  for (const auto& kv : config_.weights) total_weight_ += kv.second;
}

Status Consensus::create(ConsensusConfig config, std::unique_ptr<Consensus>* out) {
  Status st = validate_consensus_config(config);
  if (!st.ok()) return st;
  out->reset(new Consensus(std::move(config)));
  return Status::Ok();
}

Status Consensus::check_experts(const std::vector<std::string>& expert_names) const {
  for (const std::string& name : expert_names) {
    if (config_.weights.find(name) == config_.weights.end()) {
      return Status::InvalidArgument("consensus: expert '" + name +
                                     "' has no weight in consensus.weights");
    }
  }
  return Status::Ok();
}

Status Consensus::fuse(const sh_symbol_id* symbols, size_t count,
                       const std::vector<ExpertEvidence>& experts,
                       const std::string_view* model_versions,
                       std::vector<ConsensusRecord>* out) const {
  scratch_weights_.resize(experts.size());
  for (size_t e = 0; e < experts.size(); ++e) {
    const ExpertEvidence& ex = experts[e];
    auto it = config_.weights.find(ex.name);
    if (it == config_.weights.end()) {
      return Status::InvalidArgument("consensus: expert '" + std::string(ex.name) +
                                     "' has no weight in consensus.weights");
    }
    if (ex.count < count || (count > 0 && ex.items == nullptr)) {
      return Status::InvalidArgument("consensus: expert '" + std::string(ex.name) + "' gave " +
                                     std::to_string(ex.count) + " evidence records for " +
                                     std::to_string(count) + " symbols");
    }
    if (ex.item_size < sizeof(sh_evidence)) {
      return Status::InvalidArgument("consensus: expert '" + std::string(ex.name) +
                                     "' evidence item_size " + std::to_string(ex.item_size) +
                                     " < " + std::to_string(sizeof(sh_evidence)));
    }
    scratch_weights_[e] = it->second;
  }

  const double nan = std::nan("");
  out->resize(count);
  for (size_t i = 0; i < count; ++i) {
    const sh_symbol_id sym = symbols[i];
    double w_sum = 0.0, pl = 0.0, ps = 0.0, conf = 0.0;
    uint32_t used = 0;
    for (size_t e = 0; e < experts.size(); ++e) {
      const double w = scratch_weights_[e];
      if (w <= 0.0) continue;
      const sh_evidence& ev = experts[e].at(i);
      if (!evidence_usable(ev, sym)) continue;
      w_sum += w;
      pl += w * ev.prob_long;
      ps += w * ev.prob_short;
      conf += w * ev.confidence;
      ++used;
    }
    ConsensusRecord& r = (*out)[i];
    r.symbol = sym;
    r.threshold = config_.threshold;
    r.experts_used = used;
    r.weight_used = w_sum / total_weight_;
    std::string_view version =
        model_versions != nullptr ? model_versions[i] : std::string_view();
    if (version.empty()) version = config_.default_model_version;
    r.model_version.assign(version.data(), version.size());
    if (used == 0) {
      r.signal = Signal::kFlat;
      r.prob_long = nan;
      r.prob_short = nan;
      r.confidence = 0.0;
      r.allow = false;
      continue;
    }
    r.prob_long = pl / w_sum;
    r.prob_short = ps / w_sum;
    r.confidence = conf / w_sum;
    if (r.prob_long >= config_.threshold && r.prob_long > r.prob_short) {
      r.signal = Signal::kLong;
    } else if (r.prob_short >= config_.threshold && r.prob_short > r.prob_long) {
      r.signal = Signal::kShort;
    } else {
      r.signal = Signal::kFlat;
    }
    r.allow = r.signal != Signal::kFlat && r.confidence >= config_.min_confidence;
  }
  return Status::Ok();
}

}  // namespace sh::host
