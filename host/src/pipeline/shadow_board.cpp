#include "pipeline/shadow_board.h"

#include <cmath>

namespace sh::host {

const char* shadow_kind_name(sh_plugin_kind kind) {
  switch (kind) {
    case SH_KIND_EXPERT: return "expert";
    case SH_KIND_RISK: return "risk policy";
    default: return "detector";
  }
}

const char* shadow_unit_name(const std::string& kind) {
  if (kind == "expert") return "evidence";
  if (kind == "risk policy") return "verdicts";
  return "hits";
}

void ShadowBoard::start(const std::string& component, const std::string& kind,
                        const std::string& label, const std::string& version,
                        const std::string& content_hash, uint64_t at_event) {
  ShadowComparison c;
  c.component = component;
  c.kind = kind;
  c.candidate = label;
  c.candidate_version = version;
  c.content_hash = content_hash;
  c.state = "running";
  c.started_at_event = at_event;
  std::lock_guard<std::mutex> lock(mu_);
  trials_[component] = std::move(c);
}

void ShadowBoard::end(const std::string& component, const std::string& how, uint64_t at_event) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = trials_.find(component);
  if (it == trials_.end() || it->second.state != "running") return;
  it->second.state = how;
  it->second.ended_at_event = at_event;
}

void ShadowBoard::add_minute(const std::string& component, int64_t minute_ts_ns,
                             const ShadowHitSet& serving, const ShadowHitSet& candidate) {
  std::vector<ShadowDifference> diffs;
  uint64_t only_serving = 0, only_candidate = 0, score_differs = 0;
  auto differ = [&](const ShadowHitSet::key_type& key, std::optional<double> s,
                    std::optional<double> c) {
    diffs.push_back(ShadowDifference{minute_ts_ns, key.first, key.second, s, c});
  };
  for (const auto& [key, score] : serving) {
    const auto it = candidate.find(key);
    if (it == candidate.end()) {
      ++only_serving;
      differ(key, score, std::nullopt);
    } else if (!(it->second == score || (std::isnan(it->second) && std::isnan(score)))) {
      ++score_differs;
      differ(key, score, it->second);
    }
  }
  for (const auto& [key, score] : candidate) {
    if (serving.count(key) != 0) continue;
    ++only_candidate;
    differ(key, std::nullopt, score);
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = trials_.find(component);
  if (it == trials_.end()) return;
  ShadowComparison& c = it->second;
  ++c.minutes_compared;
  c.minutes_differing += diffs.empty() ? 0 : 1;
  c.serving_hits += serving.size();
  c.candidate_hits += candidate.size();
  c.only_serving += only_serving;
  c.only_candidate += only_candidate;
  c.score_differs += score_differs;
  for (ShadowDifference& d : diffs) {
    c.last_differences.push_back(std::move(d));
    if (c.last_differences.size() > kLastDifferences) c.last_differences.pop_front();
  }
}

std::vector<ShadowComparison> ShadowBoard::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ShadowComparison> out;
  out.reserve(trials_.size());
  for (const auto& [name, c] : trials_) out.push_back(c);
  return out;
}

nlohmann::json shadow_comparison_json(const ShadowComparison& c) {
  nlohmann::json diffs = nlohmann::json::array();
  for (const ShadowDifference& d : c.last_differences) {
    nlohmann::json j = {{"minute_ts_ns", d.minute_ts_ns}, {"symbol", d.symbol}, {"class", d.hit_class}};
    j["serving_score"] = d.serving_score ? nlohmann::json(*d.serving_score) : nlohmann::json();
    j["candidate_score"] = d.candidate_score ? nlohmann::json(*d.candidate_score) : nlohmann::json();
    diffs.push_back(std::move(j));
  }
  return {{"component", c.component},
          {"kind", c.kind},
          {"compares", shadow_unit_name(c.kind)},
          {"candidate", c.candidate},
          {"candidate_version", c.candidate_version},
          {"content_hash", c.content_hash},
          {"state", c.state},
          {"started_at_event", c.started_at_event},
          {"ended_at_event", c.ended_at_event},
          {"minutes_compared", c.minutes_compared},
          {"minutes_differing", c.minutes_differing},
          {"serving_hits", c.serving_hits},
          {"candidate_hits", c.candidate_hits},
          {"only_serving", c.only_serving},
          {"only_candidate", c.only_candidate},
          {"score_differs", c.score_differs},
          {"last_differences", std::move(diffs)}};
}

nlohmann::json ShadowBoard::snapshot_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const ShadowComparison& c : snapshot()) out.push_back(shadow_comparison_json(c));
  return out;
}

}  // namespace sh::host
