#include "conveyor/conveyor_stage.h"

namespace sh::host {
namespace {

const char* dq_name(sh_dq_status dq) {
  switch (dq) {
    case SH_DQ_OK: return "ok";
    case SH_DQ_STALE_BOOK: return "stale_book";
    case SH_DQ_NO_TRADES: return "no_trades";
    case SH_DQ_GAP: return "gap";
    case SH_DQ_LATE: return "late";
    default: return "unknown";
  }
}

}  // namespace

ConveyorStage::ConveyorStage(const ConveyorConfig& config, const SymbolTable& symbols,
                             RunSummary& summary)
    : conveyor_(config), symbols_(symbols), summary_(summary) {}

void ConveyorStage::on_events(const EventBatch& batch, std::vector<MinuteClose>& closed) {
  if (batch.end) {
    conveyor_.flush(closed);
    return;
  }
  conveyor_.on_events(batch.events, batch.count, batch.stride, closed);
}

Status ConveyorStage::on_minute(Minute& minute) {
  const MinuteClose& close = *minute.close;
  MinuteWrite& write = minute.write;
  write.rows.reserve(close.rows.size());
  for (const sh_feature_row& r : close.rows) {
    const char* name = symbols_.name(r.symbol);
    write.rows.push_back(SnapshotRow{name ? name : "", r});
    ++summary_.dq_rows[dq_name(r.dq)];
  }
  return Status::Ok();
}

void ConveyorStage::contribute(RunSummary& summary) const {
  const ConveyorStats& cs = conveyor_.stats();
  summary.events_in = cs.events_in;
  summary.rejected_events = cs.rejected_events;
  summary.late_events = cs.late_events;
}

}  // namespace sh::host
