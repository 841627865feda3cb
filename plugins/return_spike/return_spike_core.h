// return_spike_core.h: per-batch logic of the return_spike detector, shared
// verbatim by the plugin and the benchmarks.
#ifndef SH_PLUGINS_RETURN_SPIKE_CORE_H
#define SH_PLUGINS_RETURN_SPIKE_CORE_H

#include <strategy_host/plugin.hpp>

#include <cmath>

namespace return_spike {

constexpr const char* kHitClass = "return_spike";

struct Params {
  double z_threshold = 4.0;      // |z_ret| must reach this, > 0
  double min_abs_ret_bps = 10.0;  // and |log_ret| * 1e4 must reach this, >= 0
  bool require_dq_ok = false;     // skip rows whose dq != SH_DQ_OK
};

// 50 at the threshold, linear to 100 at twice the threshold, capped.
inline double score(double abs_z, double threshold) {
  const double s = 50.0 + 50.0 * (abs_z - threshold) / threshold;
  return s > 100.0 ? 100.0 : s;
}

// One hit per row with |z_ret| >= z_threshold and |log_ret| >= min_abs_ret_bps;
// rows with a null z_ret or log_ret are skipped. out needs rows.size() slots.
// The hit's value is z_ret (signed), its threshold z_threshold.
inline uint32_t detect_batch(const sh::FeatureRows& rows, const Params& p, sh_detector_hit* out) {
  uint32_t n = 0;
  for (const sh_feature_row& row : rows) {
    if (p.require_dq_ok && row.dq != SH_DQ_OK) continue;
    const double z = SH_ROW_FIELD(row, z_ret);
    const double ret_bps = SH_ROW_FIELD(row, log_ret) * 1e4;
    const double az = std::fabs(z);
    if (!(az >= p.z_threshold) || !(std::fabs(ret_bps) >= p.min_abs_ret_bps)) continue;
    sh_detector_hit& h = out[n++];
    h.struct_size = sizeof(sh_detector_hit);
    h.symbol = row.symbol;
    h.minute_ts_ns = row.minute_ts_ns;
    h.score = score(az, p.z_threshold);
    h.hit_class = kHitClass;
    h.value = z;
    h.threshold = p.z_threshold;
  }
  return n;
}

}  // namespace return_spike

#endif  // SH_PLUGINS_RETURN_SPIKE_CORE_H
