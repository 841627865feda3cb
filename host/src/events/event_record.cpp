#include "events/event_record.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "store/text_format.h"
#include "store/time_format.h"

namespace sh::host {

std::string format_event_json(const EventRecord& r) {
  std::string out;
  out.reserve(256);
  out.append("{\"seq\":");
  out.append(std::to_string(r.seq));
  out.append(",\"minute\":");
  append_json_string(&out, format_iso8601_utc(r.minute_ts_ns));
  out.append(",\"minute_ts_ns\":");
  out.append(std::to_string(r.minute_ts_ns));
  out.append(",\"symbol\":");
  append_json_string(&out, r.symbol);
  out.append(",\"class\":");
  append_json_string(&out, r.hit_class);
  out.append(",\"score\":");
  append_json_double(&out, r.score);
  out.append(",\"severity\":");
  out.append(std::to_string(r.severity));
  out.append(",\"value\":");
  append_json_double(&out, r.value);
  out.append(",\"threshold\":");
  append_json_double(&out, r.threshold);
  out.append(",\"detector\":");
  append_json_string(&out, r.detector);
  out.append(",\"detector_version\":");
  append_json_string(&out, r.detector_version);
  out.append(",\"dq\":");
  append_json_string(&out, dq_status_name(r.dq));
  out.push_back('}');
  return out;
}

namespace {

// Reads a double written by append_json_double.
bool read_json_double(const nlohmann::json& j, double* out) {
  if (j.is_null()) {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (j.is_number()) {
    *out = j.get<double>();
  } else if (j.is_string() && j.get<std::string>() == "inf") {
    *out = std::numeric_limits<double>::infinity();
  } else if (j.is_string() && j.get<std::string>() == "-inf") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    return false;
  }
  return true;
}

bool dq_from_name(const std::string& name, sh_dq_status* dq) {
  for (sh_dq_status i = 0; dq_known_name(i) != nullptr; ++i) {
    if (name == dq_known_name(i)) {
      *dq = i;
      return true;
    }
  }
  if (name.rfind("dq_", 0) == 0 && name.size() > 3) {
    try {
      *dq = std::stoi(name.substr(3));
      return true;
    } catch (...) {
      return false;
    }
  }
  return false;
}

}  // namespace

Status parse_event_json(std::string_view line, EventRecord* record) {
  const auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  auto bad = [&](const char* why) {
    return Status::Corruption(std::string("event record: ") + why + ": " + std::string(line));
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  EventRecord r;
  try {
    r.seq = j.at("seq").get<uint64_t>();
    r.minute_ts_ns = j.at("minute_ts_ns").get<int64_t>();
    r.symbol = j.at("symbol").get<std::string>();
    r.hit_class = j.at("class").get<std::string>();
    r.severity = j.at("severity").get<int>();
    r.detector = j.at("detector").get<std::string>();
    r.detector_version = j.at("detector_version").get<std::string>();
    if (!read_json_double(j.at("score"), &r.score) ||
        !read_json_double(j.at("value"), &r.value) ||
        !read_json_double(j.at("threshold"), &r.threshold)) {
      return bad("a number field has an unexpected type");
    }
    if (!dq_from_name(j.at("dq").get<std::string>(), &r.dq)) return bad("unknown dq");
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
  *record = std::move(r);
  return Status::Ok();
}

}  // namespace sh::host
