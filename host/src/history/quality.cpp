#include "history/quality.h"

#include <algorithm>
#include <cmath>

#include "history/calendar.h"
#include "services/text_util.h"

namespace sh::host {

const char* symbol_state_name(SymbolState s) {
  switch (s) {
    case SymbolState::kActive: return "ACTIVE";
    case SymbolState::kDegraded: return "DEGRADED";
    case SymbolState::kQuarantined: break;
  }
  return "QUARANTINED";
}

bool parse_symbol_state(const std::string& name, SymbolState* out) {
  for (SymbolState s : {SymbolState::kActive, SymbolState::kDegraded, SymbolState::kQuarantined}) {
    if (name == symbol_state_name(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

namespace {

bool row_non_positive(const DailyRow& r) {
  return !(r.open > 0) || !(r.high > 0) || !(r.low > 0) || !(r.close > 0) || !(r.adj_close > 0) ||
         r.volume < 0;
}

// The split ratio (2 for 2-for-1, 0.5 for 1-for-2) whose price move
// 1/ratio is within 3% of close_ratio, or 0 when none is.
double split_ratio_of(double close_ratio) {
  static const double kRatios[] = {2, 3, 4, 5, 8, 10, 20, 1.5, 0.5, 1.0 / 3, 0.25, 0.2, 0.1};
  for (double k : kRatios) {
    if (std::fabs(close_ratio * k - 1.0) < 0.03) return k;
  }
  return 0;
}

// Day-over-day measures on the date-ordered distinct rows.
void measure_moves(const std::vector<DailyRow>& rows, const QualitySettings& s, QualityReport* q) {
  for (size_t i = 1; i < rows.size(); ++i) {
    const DailyRow& a = rows[i - 1];
    const DailyRow& b = rows[i];
    if (row_non_positive(a) || row_non_positive(b)) continue;
    const double rc = b.close / a.close;
    const double ra = b.adj_close / a.adj_close;
    if (std::fabs(ra - 1.0) > s.spike_return) ++q->spikes;
    const double k = split_ratio_of(rc);
    if (k != 0) {
      // Adj close moved like the close: the split is not reflected.
      const bool reflected = std::fabs(ra / rc - 1.0) >= 0.02;
      q->actions.push_back({b.day, "split", k, reflected});
      if (!reflected && q->critical.empty()) {
        q->critical = "SPLIT_NOT_ADJUSTED";
        q->detail = "a " + format_g(k, 4) + "-for-1 split on " + format_day(b.day) +
                    " (close " + format_g(a.close, 8) + " -> " + format_g(b.close, 8) +
                    ") is not reflected in Adj Close";
      }
      continue;
    }
    const double fa = a.adj_close / a.close, fb = b.adj_close / b.close;
    const double step = fa / fb;
    if (step < 1.0 - 1e-4 && step > 0.5) {
      q->actions.push_back({b.day, "dividend", a.close * (1.0 - step), true});
    }
  }
}

void decide_state(const QualitySettings& s, QualityReport* q) {
  const int64_t rows = static_cast<int64_t>(q->rows);
  const std::string counts = std::to_string(q->rows) + " rows (" + std::to_string(s.required_rows) +
                             " required), quality " + format_g(q->score, 4);
  if (!q->critical.empty()) {
    q->state = SymbolState::kQuarantined;
    q->reason = q->critical;
    q->detail = q->detail.empty() ? counts : q->detail + "; " + counts;
  } else if (rows < s.degraded_rows) {
    q->state = SymbolState::kQuarantined;
    q->reason = "INSUFFICIENT_HISTORY";
    q->detail = counts + ": fewer than " + std::to_string(s.degraded_rows) + " rows";
  } else if (rows < s.required_rows) {
    q->state = SymbolState::kDegraded;
    q->reason = "INSUFFICIENT_HISTORY";
    q->detail = counts;
  } else if (q->score < s.min_quality) {
    q->state = SymbolState::kDegraded;
    q->reason = "LOW_QUALITY";
    q->detail = counts + " below " + format_g(s.min_quality, 4);
  } else {
    q->state = SymbolState::kActive;
    q->reason = "OK";
    q->detail = counts;
  }
}

}  // namespace

void assess_series(const DailySeries& delivered, AssetClass asset_class,
                   const QualitySettings& settings, QualityScratch* scratch, QualityReport* q) {
  *q = QualityReport{};
  q->rows_delivered = delivered.size();
  std::vector<DailyRow>& rows = scratch->sorted;
  rows.clear();
  for (size_t i = 0; i < delivered.size(); ++i) {
    if (i > 0 && delivered[i].day < delivered[i - 1].day) ++q->out_of_order;
    if (!std::isnan(delivered[i].close)) rows.push_back(delivered[i]);
  }
  if (q->out_of_order > 0) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const DailyRow& a, const DailyRow& b) { return a.day < b.day; });
  }
  // Duplicates: a later delivery of a date already seen (the first is kept).
  size_t w = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (w > 0 && rows[i].day == rows[w - 1].day) {
      ++q->duplicates;
      continue;
    }
    rows[w++] = rows[i];
  }
  rows.resize(w);
  q->rows = rows.size();
  for (const DailyRow& r : rows) q->non_positive += row_non_positive(r);
  if (!rows.empty()) {
    q->first_day = rows.front().day;
    q->last_day = rows.back().day;
    const bool every_day = asset_class == AssetClass::kCrypto;
    size_t present = 0;
    for (const DailyRow& r : rows) present += every_day || !is_weekend(r.day);
    for (int32_t d = q->first_day; d <= q->last_day; ++d) q->expected_dates += every_day || !is_weekend(d);
    q->missing_dates = q->expected_dates > present ? q->expected_dates - present : 0;
    measure_moves(rows, settings, q);
  } else {
    q->critical = "NO_DATA";
    q->detail = delivered.empty() ? "no rows delivered" : "no row has a close";
  }
  q->missing_dates_pct = q->expected_dates ? double(q->missing_dates) / double(q->expected_dates) : 0;
  q->duplicate_pct = q->rows_delivered ? double(q->duplicates) / double(q->rows_delivered) : 0;
  q->zero_negative_flag = q->non_positive > 0;
  q->extreme_spike_flag = q->spikes > 0;
  q->score = 1.0 - (q->missing_dates_pct * 0.3 + q->duplicate_pct * 0.2 + q->zero_negative_flag * 0.2 +
                    q->extreme_spike_flag * 0.3);
  if (rows.empty()) q->score = 0;
  q->score = std::clamp(q->score, 0.0, 1.0);
  decide_state(settings, q);
}

}  // namespace sh::host
