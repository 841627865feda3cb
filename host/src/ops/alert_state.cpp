#include "ops/alert_state.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "services/text_util.h"
#include "store/time_format.h"

namespace sh::host {
namespace {

// NaN / inf as null, like every other JSON the host writes.
nlohmann::json alert_json_number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

bool alert_severity_from_name(const std::string& name, AlertSeverity* out) {
  for (AlertSeverity s : {AlertSeverity::kInfo, AlertSeverity::kWarning, AlertSeverity::kCritical}) {
    if (name == alert_severity_name(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

}  // namespace

Status read_ops_record(const StateStore& store, const char* key, int64_t* last_minute_ts_ns,
                       std::string* record, bool* found) {
  *found = false;
  int64_t last = 0;
  Status st = store.last_minute_ts_ns(&last);
  if (st.ok()) {
    *last_minute_ts_ns = last;
  } else if (!st.is_not_found()) {
    return st;
  }
  StateTxn txn;
  st = store.begin_read(&txn);
  if (!st.ok()) return st;
  st = txn.get(StateDb::kMeta, key, record);
  if (st.is_not_found()) return Status::Ok();
  *found = st.ok();
  return st;
}

std::string AlertTransition::json_line() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();  // fields in the documented order
  j["ts"] = format_iso8601_utc(ts_ns);
  j["minute_ts_ns"] = minute_ts_ns;
  j["code"] = code();
  j["severity"] = alert_severity_name(severity);
  j["state"] = raised ? "raised" : "cleared";
  j["value"] = std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json();
  j["threshold"] = std::isfinite(threshold) ? nlohmann::ordered_json(threshold) : nlohmann::ordered_json();
  j["message"] = message;
  return j.dump();
}

void AlertStates::evaluate(AlertKind kind, const AlertRuleConfig& rule, const AlertReading& reading,
                           int64_t minute_ts_ns, int64_t minute_end_ns,
                           std::vector<AlertTransition>* out) {
  if (!rule.enabled || !reading.known || !std::isfinite(reading.value)) return;
  const AlertKindInfo& info = alert_kind_info(kind);
  Slot& s = slots_[static_cast<size_t>(kind)];
  const double v = reading.value;
  const char* past = info.above ? ">=" : "<";
  const char* back = info.above ? "<=" : ">=";
  AlertTransition t;
  t.kind = kind;
  t.severity = rule.severity;
  t.ts_ns = minute_end_ns;
  t.minute_ts_ns = minute_ts_ns;
  t.value = v;
  if (!s.active) {
    const bool breach = info.above ? v >= rule.raise : v < rule.raise;
    if (!breach) return;
    t.raised = true;
    t.threshold = rule.raise;
    t.message = reading.detail + " (raise " + past + " " + format_g(rule.raise, 4) + " " +
                info.unit + ", clear " + back + " " + format_g(rule.clear, 4) + ")";
    s.active = true;
    s.alert = ActiveAlert{info.code, rule.severity, minute_end_ns, v, rule.raise, t.message};
    ++s.raised;
  } else {
    const bool back_ok = info.above ? v <= rule.clear : v >= rule.clear;
    const int64_t held_ns = minute_end_ns - s.alert.raised_ts_ns;
    if (!back_ok || held_ns < int64_t{rule.hold_minutes} * 60'000'000'000) return;
    t.raised = false;
    t.threshold = rule.clear;
    t.message = reading.detail + " (back " + back + " " + format_g(rule.clear, 4) + " " +
                info.unit + "; raised at " + format_iso8601_utc(s.alert.raised_ts_ns) + ")";
    s.active = false;
    ++s.cleared;
  }
  out->push_back(std::move(t));
}

std::vector<ActiveAlert> AlertStates::active_alerts() const {
  std::vector<ActiveAlert> out;
  for (const Slot& s : slots_) {
    if (s.active) out.push_back(s.alert);
  }
  return out;
}

std::vector<AlertCount> AlertStates::counts() const {
  std::vector<AlertCount> out;
  for (size_t k = 0; k < kAlertKindCount; ++k) {
    out.push_back(AlertCount{alert_kind_info(static_cast<AlertKind>(k)).code, slots_[k].raised,
                             slots_[k].cleared});
  }
  return out;
}

std::string AlertStates::save() const {
  nlohmann::json j = {{"active", nlohmann::json::array()}, {"counts", nlohmann::json::object()}};
  for (const Slot& s : slots_) {
    if (s.active) {
      j["active"].push_back({{"code", s.alert.code},
                             {"severity", alert_severity_name(s.alert.severity)},
                             {"raised_ts_ns", s.alert.raised_ts_ns},
                             {"value", alert_json_number(s.alert.value)},
                             {"threshold", alert_json_number(s.alert.threshold)},
                             {"message", s.alert.message}});
    }
  }
  for (size_t k = 0; k < kAlertKindCount; ++k) {
    if (slots_[k].raised == 0 && slots_[k].cleared == 0) continue;
    j["counts"][alert_kind_info(static_cast<AlertKind>(k)).code] = {slots_[k].raised, slots_[k].cleared};
  }
  return j.dump();
}

Status AlertStates::restore(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("active") || !j["active"].is_array()) {
    return Status::Corruption(std::string("meta ") + kMetaAlerts + ": not an alert state record");
  }
  std::array<Slot, kAlertKindCount> slots{};
  try {
    for (size_t k = 0; k < kAlertKindCount; ++k) {
      const char* code = alert_kind_info(static_cast<AlertKind>(k)).code;
      if (j.contains("counts") && j["counts"].contains(code)) {
        slots[k].raised = j["counts"][code].at(0).get<uint64_t>();
        slots[k].cleared = j["counts"][code].at(1).get<uint64_t>();
      }
      for (const auto& a : j["active"]) {
        if (a.at("code").get<std::string>() != code) continue;
        Slot& s = slots[k];
        s.active = true;
        s.alert.code = code;
        if (!alert_severity_from_name(a.at("severity").get<std::string>(), &s.alert.severity)) {
          return Status::Corruption(std::string("meta ") + kMetaAlerts + ": bad severity");
        }
        s.alert.raised_ts_ns = a.at("raised_ts_ns").get<int64_t>();
        s.alert.value = a.at("value").is_number() ? a["value"].get<double>() : std::nan("");
        s.alert.threshold = a.at("threshold").is_number() ? a["threshold"].get<double>() : std::nan("");
        s.alert.message = a.at("message").get<std::string>();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("meta ") + kMetaAlerts + ": " + e.what());
  }
  slots_ = slots;
  return Status::Ok();
}

}  // namespace sh::host
