#include "store/snapshot_export.h"

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "store/state_store.h"
#include "store/text_format.h"
#include "store/time_format.h"

namespace sh::host {
namespace {

struct DoubleField {
  const char* name;
  double sh_feature_row::*member;
};

// ABI order. A field appended to sh_feature_row is appended here.
const DoubleField kDoubleFields[] = {
    {"open", &sh_feature_row::open},
    {"high", &sh_feature_row::high},
    {"low", &sh_feature_row::low},
    {"close", &sh_feature_row::close},
    {"volume", &sh_feature_row::volume},
    {"vwap", &sh_feature_row::vwap},
    {"trade_count", &sh_feature_row::trade_count},
    {"log_ret", &sh_feature_row::log_ret},
    {"mom_20", &sh_feature_row::mom_20},
    {"rv_5", &sh_feature_row::rv_5},
    {"rsi_14", &sh_feature_row::rsi_14},
    {"atr_14", &sh_feature_row::atr_14},
    {"ema_20", &sh_feature_row::ema_20},
    {"spread_bps", &sh_feature_row::spread_bps},
    {"l2_imbalance", &sh_feature_row::l2_imbalance},
    {"book_staleness_ms", &sh_feature_row::book_staleness_ms},
    {"ingest_lag_ms", &sh_feature_row::ingest_lag_ms},
    {"z_ret", &sh_feature_row::z_ret},
    {"z_volume", &sh_feature_row::z_volume},
    {"z_spread", &sh_feature_row::z_spread},
    {"q_ret", &sh_feature_row::q_ret},
    {"q_volume", &sh_feature_row::q_volume},
    {"q_spread", &sh_feature_row::q_spread},
    {"rs_benchmark", &sh_feature_row::rs_benchmark},
};

static_assert(sizeof(kDoubleFields) / sizeof(kDoubleFields[0]) ==
                  (sizeof(sh_feature_row) - offsetof(sh_feature_row, open)) / sizeof(double),
              "every double of sh_feature_row must be exported");

// The names of the columns a store appends to its rows: the columns of its
// feature set (meta.feature_set, "name=definition;...") that are not a row
// field. A store from before features: has none.
std::vector<std::string> appended_columns(const StateStore& store) {
  std::vector<std::string> names;
  std::string sig;
  if (!store.feature_set(&sig).ok()) return names;
  size_t at = 0;
  while (at < sig.size()) {
    size_t end = sig.find(';', at);
    if (end == std::string::npos) end = sig.size();
    const std::string item = sig.substr(at, end - at);
    const std::string name = item.substr(0, item.find('='));
    bool field = false;
    for (const DoubleField& f : kDoubleFields) field = field || name == f.name;
    if (!name.empty() && !field) names.push_back(name);
    at = end + 1;
  }
  return names;
}

}  // namespace

Status parse_snapshot_format(std::string_view text, SnapshotFormat* format) {
  if (text == "csv") {
    *format = SnapshotFormat::kCsv;
  } else if (text == "jsonl") {
    *format = SnapshotFormat::kJsonl;
  } else {
    return Status::InvalidArgument("unknown snapshot format \"" + std::string(text) +
                                   "\" (expected csv or jsonl)");
  }
  return Status::Ok();
}

std::string snapshot_csv_header() {
  std::string out = "minute,minute_ts_ns,symbol,dq,late_events";
  for (const DoubleField& f : kDoubleFields) {
    out.push_back(',');
    out.append(f.name);
  }
  return out;
}

std::string format_snapshot_csv(std::string_view symbol, const sh_feature_row& row) {
  std::string out;
  out.reserve(512);
  out.append(format_iso8601_utc(row.minute_ts_ns));
  out.push_back(',');
  out.append(std::to_string(row.minute_ts_ns));
  out.push_back(',');
  append_csv_cell(&out, symbol);
  out.push_back(',');
  out.append(dq_status_name(row.dq));
  out.push_back(',');
  out.append(std::to_string(row.late_events));
  for (const DoubleField& f : kDoubleFields) {
    out.push_back(',');
    const double v = row.*f.member;
    if (!std::isnan(v)) append_double(&out, v);  // null: empty cell
  }
  return out;
}

std::string format_snapshot_json(std::string_view symbol, const sh_feature_row& row) {
  std::string out;
  out.reserve(768);
  out.append("{\"minute\":");
  append_json_string(&out, format_iso8601_utc(row.minute_ts_ns));
  out.append(",\"minute_ts_ns\":");
  out.append(std::to_string(row.minute_ts_ns));
  out.append(",\"symbol\":");
  append_json_string(&out, symbol);
  out.append(",\"dq\":");
  append_json_string(&out, dq_status_name(row.dq));
  out.append(",\"late_events\":");
  out.append(std::to_string(row.late_events));
  for (const DoubleField& f : kDoubleFields) {
    out.append(",\"");
    out.append(f.name);
    out.append("\":");
    append_json_double(&out, row.*f.member);
  }
  out.push_back('}');
  return out;
}

Status export_snapshots(const StateStore& store, const std::string& symbol, int64_t from_ns,
                        int64_t to_ns, SnapshotFormat format, std::ostream& out) {
  auto stream_error = [&] {
    return Status::IoError("snapshot export of " + symbol + ": writing the output failed");
  };
  std::string line;
  const std::vector<std::string> columns = appended_columns(store);
  if (format == SnapshotFormat::kCsv) {
    line = snapshot_csv_header();
    for (const std::string& name : columns) line.append(",").append(name);
    line.push_back('\n');
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    if (!out) return stream_error();
  }
  bool stream_ok = true;
  Status st = store.scan_snapshot_columns(symbol, from_ns, to_ns, [&](const sh_feature_row& row,
                                                                     const std::vector<double>& extra) {
    line = format == SnapshotFormat::kCsv ? format_snapshot_csv(symbol, row)
                                          : format_snapshot_json(symbol, row);
    // The configured feature columns (null: empty cell / null).
    if (format == SnapshotFormat::kJsonl) line.pop_back();  // the closing '}'
    for (size_t j = 0; j < columns.size(); ++j) {
      const double v = j < extra.size() ? extra[j] : std::nan("");
      if (format == SnapshotFormat::kCsv) {
        line.push_back(',');
        if (!std::isnan(v)) append_double(&line, v);
      } else {
        line.append(",\"").append(columns[j]).append("\":");
        append_json_double(&line, v);
      }
    }
    if (format == SnapshotFormat::kJsonl) line.push_back('}');
    line.push_back('\n');
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    stream_ok = static_cast<bool>(out);
    return stream_ok;
  });
  if (!st.ok()) return st;
  if (!stream_ok) return stream_error();
  out.flush();
  if (!out) return stream_error();
  return Status::Ok();
}

}  // namespace sh::host
