// volume_spike_core.h: per-batch logic of the volume_spike detector, shared
// verbatim by the plugin and the benchmarks.
#ifndef SH_PLUGINS_VOLUME_SPIKE_CORE_H
#define SH_PLUGINS_VOLUME_SPIKE_CORE_H

#include <strategy_host/plugin.hpp>

namespace volume_spike {

constexpr const char* kHitClass = "volume_spike";

struct Params {
  double z_threshold = 4.0;    // z_volume must reach this (one-sided: only high volume), > 0
  double min_quantile = 0.95;  // and q_volume must reach this, 0..1
  bool require_dq_ok = false;  // skip rows whose dq != SH_DQ_OK
};

// 50 at the threshold, linear to 100 at twice the threshold, capped.
inline double score(double z, double threshold) {
  const double s = 50.0 + 50.0 * (z - threshold) / threshold;
  return s > 100.0 ? 100.0 : s;
}

// One hit per row with z_volume >= z_threshold and q_volume >= min_quantile;
// rows with either null are skipped. out needs rows.size() slots. The hit's
// value is z_volume, its threshold z_threshold.
inline uint32_t detect_batch(const sh::FeatureRows& rows, const Params& p, sh_detector_hit* out) {
  uint32_t n = 0;
  for (const sh_feature_row& row : rows) {
    if (p.require_dq_ok && row.dq != SH_DQ_OK) continue;
    const double z = SH_ROW_FIELD(row, z_volume);
    const double q = SH_ROW_FIELD(row, q_volume);
    if (!(z >= p.z_threshold) || !(q >= p.min_quantile)) continue;  // false for NaN
    sh_detector_hit& h = out[n++];
    h.struct_size = sizeof(sh_detector_hit);
    h.symbol = row.symbol;
    h.minute_ts_ns = row.minute_ts_ns;
    h.score = score(z, p.z_threshold);
    h.hit_class = kHitClass;
    h.value = z;
    h.threshold = p.z_threshold;
  }
  return n;
}

}  // namespace volume_spike

#endif  // SH_PLUGINS_VOLUME_SPIKE_CORE_H
