// zscore_spike_core.h: the per-batch logic of the zscore_spike detector, free
// of any plugin machinery so that the benchmark calls exactly this code.
#ifndef SH_PLUGINS_ZSCORE_SPIKE_CORE_H
#define SH_PLUGINS_ZSCORE_SPIKE_CORE_H

#include <strategy_host/plugin.hpp>

#include <cmath>
#include <cstddef>
#include <cstring>

namespace zscore_spike {

// Which normalised feature of sh_feature_row the detector watches.
enum class Field { kZRet, kZVolume, kZSpread };

inline size_t field_offset(Field f) {
  switch (f) {
    case Field::kZVolume: return offsetof(sh_feature_row, z_volume);
    case Field::kZSpread: return offsetof(sh_feature_row, z_spread);
    case Field::kZRet: break;
  }
  return offsetof(sh_feature_row, z_ret);
}

struct Params {
  size_t value_offset = offsetof(sh_feature_row, z_ret);  // byte offset of the watched double
  double threshold = 4.0;                                 // in standard deviations, > 0
  const char* hit_class = "zscore_spike";                 // must outlive detect_batch's output
  bool require_dq_ok = false;                             // skip rows whose dq != SH_DQ_OK
};

// Score 0..100 from |z| and the threshold it crossed: 50 at the threshold,
// rising linearly to 100 at twice the threshold, capped there.
inline double score(double abs_z, double threshold) {
  const double s = 50.0 + 50.0 * (abs_z - threshold) / threshold;
  return s > 100.0 ? 100.0 : s;
}

// Reads the double at byte offset `offset` of a row, or null when the
// producer's row (struct_size) is too short to hold it.
inline double row_double(const sh_feature_row& row, size_t offset) {
  if (row.struct_size < offset + sizeof(double)) return sh::kNull;
  double v;
  std::memcpy(&v, reinterpret_cast<const unsigned char*>(&row) + offset, sizeof v);
  return v;
}

// Writes one hit per row whose |value| >= threshold into out (capacity must be
// >= rows.size()); null values are skipped. Returns the number of hits.
inline uint32_t detect_batch(const sh::FeatureRows& rows, const Params& p, sh_detector_hit* out) {
  // Copied to locals: stores into `out` could alias `p` and force reloads.
  const size_t offset = p.value_offset;
  const double threshold = p.threshold;
  const char* const hit_class = p.hit_class;
  const bool require_dq_ok = p.require_dq_ok;
  uint32_t n = 0;
  for (const sh_feature_row& row : rows) {
    if (require_dq_ok && row.dq != SH_DQ_OK) continue;
    const double v = row_double(row, offset);
    const double a = std::fabs(v);
    if (!(a >= threshold)) continue;  // also false for NaN (null)
    sh_detector_hit& h = out[n++];
    h.struct_size = sizeof(sh_detector_hit);
    h.symbol = row.symbol;
    h.minute_ts_ns = row.minute_ts_ns;
    h.score = score(a, threshold);
    h.hit_class = hit_class;
    h.value = v;
    h.threshold = threshold;
  }
  return n;
}

}  // namespace zscore_spike

#endif  // SH_PLUGINS_ZSCORE_SPIKE_CORE_H
