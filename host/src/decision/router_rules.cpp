#include "decision/router_rules.h"

#include <spdlog/spdlog.h>

#include "plugins/lua_rule_loader.h"
#include "services/log_throttle.h"
#include "store/time_format.h"

namespace sh::host {

size_t RouterRules::add(DecisionComponent rule) {
  rules_.push_back(std::move(rule));
  error_counts_.push_back(0);
  return rules_.size() - 1;
}

void RouterRules::apply(const MinuteClose& minute, std::vector<ConsensusRecord>& records,
                        uint64_t* errors) {
  const size_t n = records.size();
  route_in_.resize(n);
  route_out_.resize(n);
  for (size_t r = 0; r < rules_.size(); ++r) {
    for (size_t i = 0; i < n; ++i) {
      const ConsensusRecord& rec = records[i];
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
    LuaRule& rule = *rules_[r].rule;
    const sh_status s = rule.route(batch, minute.context, route_out_.data());
    if (s != SH_OK) {
      ++*errors;
      if (should_log(++error_counts_[r])) {
        spdlog::warn("router rule '{}' failed on minute {} ({}): {}; its records are flat [{} so far]",
                     rules_[r].name, format_iso8601_utc(minute.minute_ts_ns),
                     abi_status_name(s), with_full_rule_path(rule.last_error(), rule.path()),
                     error_counts_[r]);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      ConsensusRecord& rec = records[i];
      const RouteDecision& d = route_out_[i];
      rec.signal = d.direction == RouteDirection::Long    ? Signal::kLong
                   : d.direction == RouteDirection::Short ? Signal::kShort
                                                          : Signal::kFlat;
      rec.confidence = d.confidence;
      rec.allow = rec.signal != Signal::kFlat;
    }
  }
}

}  // namespace sh::host
