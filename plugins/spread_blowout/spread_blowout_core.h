// spread_blowout_core.h: per-batch logic of the spread_blowout detector,
// shared verbatim by the plugin and the benchmarks.
#ifndef SH_PLUGINS_SPREAD_BLOWOUT_CORE_H
#define SH_PLUGINS_SPREAD_BLOWOUT_CORE_H

#include <strategy_host/plugin.hpp>

namespace spread_blowout {

constexpr const char* kHitClass = "spread_blowout";

struct Params {
  double z_threshold = 4.0;      // z_spread reaching this fires (one-sided), > 0
  double max_spread_bps = 50.0;  // spread_bps reaching this fires too, > 0
  bool require_dq_ok = false;    // skip rows whose dq != SH_DQ_OK
};

// 50 at a threshold, linear to 100 at twice it, capped.
inline double score(double x, double threshold) {
  const double s = 50.0 + 50.0 * (x - threshold) / threshold;
  return s > 100.0 ? 100.0 : s;
}

// One hit per row where z_spread >= z_threshold or spread_bps >=
// max_spread_bps; a null input only disables its own condition. When both
// fire the score is the larger of the two; value/threshold report the z-score
// condition if it fired, otherwise spread_bps against max_spread_bps.
// out needs rows.size() slots.
inline uint32_t detect_batch(const sh::FeatureRows& rows, const Params& p, sh_detector_hit* out) {
  uint32_t n = 0;
  for (const sh_feature_row& row : rows) {
    if (p.require_dq_ok && row.dq != SH_DQ_OK) continue;
    const double z = SH_ROW_FIELD(row, z_spread);
    const double bps = SH_ROW_FIELD(row, spread_bps);
    const bool z_fires = z >= p.z_threshold;  // false for NaN
    const bool bps_fires = bps >= p.max_spread_bps;
    if (!z_fires && !bps_fires) continue;
    const double z_score = z_fires ? score(z, p.z_threshold) : 0.0;
    const double bps_score = bps_fires ? score(bps, p.max_spread_bps) : 0.0;
    sh_detector_hit& h = out[n++];
    h.struct_size = sizeof(sh_detector_hit);
    h.symbol = row.symbol;
    h.minute_ts_ns = row.minute_ts_ns;
    h.score = z_score > bps_score ? z_score : bps_score;
    h.hit_class = kHitClass;
    h.value = z_fires ? z : bps;
    h.threshold = z_fires ? p.z_threshold : p.max_spread_bps;
  }
  return n;
}

}  // namespace spread_blowout

#endif  // SH_PLUGINS_SPREAD_BLOWOUT_CORE_H
