#include "ops/daily_report.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "store/time_format.h"

namespace sh::host {
namespace {

nlohmann::json report_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
nlohmann::ordered_json report_field(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
}

double report_double(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::string report_counts_text(const std::map<std::string, uint64_t>& m) {
  std::string s;
  for (const auto& [k, n] : m) s += (s.empty() ? "" : ", ") + k + "=" + std::to_string(n);
  return s;
}

uint64_t report_total(const std::map<std::string, uint64_t>& m) {
  uint64_t n = 0;
  for (const auto& kv : m) n += kv.second;
  return n;
}

}  // namespace

std::string DailyTally::date() const { return format_iso8601_utc(day * kNsPerDay).substr(0, 10); }

std::string DailyTally::report_json(bool partial) const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();  // fields in the documented order
  j["date"] = date();
  j["partial"] = partial;
  j["first_minute"] = format_iso8601_utc(first_minute_ts_ns);
  j["last_minute"] = format_iso8601_utc(last_minute_ts_ns);
  j["minutes"] = minutes;
  if (decided) {
    j["pnl"] = {{"total_usd", report_field(pnl_usd)},
                {"realized_usd", report_field(realized_usd)},
                {"unrealized_usd", report_field(unrealized_usd)},
                {"fees_usd", report_field(fees_usd)},
                {"start_equity_usd", report_field(start_equity_usd)},
                {"end_equity_usd", report_field(end_equity_usd)}};
  } else {
    j["pnl"] = nullptr;
  }
  j["trades"] = trades;
  j["denials"] = {{"total", report_total(denied)}, {"by_reason", denied}};
  j["alerts"] = {{"raised", report_total(alerts)}, {"by_code", alerts}};
  return j.dump();
}

std::string DailyTally::summary_line(bool partial) const {
  std::string s = "daily report " + date() + (partial ? " (partial, to " : " (to ") +
                  format_iso8601_utc(last_minute_ts_ns) + ", " + std::to_string(minutes) + " minutes): ";
  char buf[160];
  if (decided) {
    std::snprintf(buf, sizeof buf, "pnl %.2f USD (realized %.2f, unrealized %.2f), ", pnl_usd, realized_usd,
                  unrealized_usd);
    s += buf;
  } else {
    s += "no decision layer, ";
  }
  const uint64_t denials = report_total(denied);
  const uint64_t raised = report_total(alerts);
  s += std::to_string(trades) + " trades, " + std::to_string(denials) + " denials";
  if (denials > 0) s += " (" + report_counts_text(denied) + ")";
  s += ", " + std::to_string(raised) + " alerts raised";
  if (raised > 0) s += " (" + report_counts_text(alerts) + ")";
  return s;
}

std::string daily_state_json(const DailyTally& t, int64_t last_reported_day) {
  nlohmann::json j = {{"last_reported_day", last_reported_day},
                      {"day", t.day},
                      {"first_minute_ts_ns", t.first_minute_ts_ns},
                      {"last_minute_ts_ns", t.last_minute_ts_ns},
                      {"minutes", t.minutes},
                      {"decided", t.decided},
                      {"start_equity_usd", report_number(t.start_equity_usd)},
                      {"end_equity_usd", report_number(t.end_equity_usd)},
                      {"pnl_usd", t.pnl_usd},
                      {"realized_usd", t.realized_usd},
                      {"fees_usd", t.fees_usd},
                      {"unrealized_usd", t.unrealized_usd},
                      {"trades", t.trades},
                      {"denied", t.denied},
                      {"alerts", t.alerts}};
  return j.dump();
}

Status daily_state_from_json(const std::string& text, DailyTally* tally, int64_t* last_reported_day) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::Corruption(std::string("meta ") + kMetaDailyReport + ": not a JSON object");
  try {
    DailyTally t;
    *last_reported_day = j.at("last_reported_day").get<int64_t>();
    t.day = j.at("day").get<int64_t>();
    t.first_minute_ts_ns = j.at("first_minute_ts_ns").get<int64_t>();
    t.last_minute_ts_ns = j.at("last_minute_ts_ns").get<int64_t>();
    t.minutes = j.at("minutes").get<uint64_t>();
    t.decided = j.at("decided").get<bool>();
    t.start_equity_usd = report_double(j, "start_equity_usd");
    t.end_equity_usd = report_double(j, "end_equity_usd");
    t.pnl_usd = j.at("pnl_usd").get<double>();
    t.realized_usd = j.at("realized_usd").get<double>();
    t.fees_usd = j.at("fees_usd").get<double>();
    t.unrealized_usd = j.at("unrealized_usd").get<double>();
    t.trades = j.at("trades").get<uint64_t>();
    t.denied = j.at("denied").get<std::map<std::string, uint64_t>>();
    t.alerts = j.at("alerts").get<std::map<std::string, uint64_t>>();
    *tally = std::move(t);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("meta ") + kMetaDailyReport + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace sh::host
