#include "control/reload_message.h"

#include <algorithm>
#include <utility>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "plugins/content_address.h"
#include "services/text_util.h"

namespace sh::host {
namespace fs = std::filesystem;
namespace {

using json = nlohmann::json;

const char* const kFields[] = {"component", "config_path", "plugin_path", "rule_path",
                               "version",   "rollback",    "dry_run",     "ts_ms",
                               "nonce",     "emergency",   "shadow",      "promote",
                               "discard"};

bool valid_nonce(const std::string& n) {
  if (n.size() < 8 || n.size() > 128) return false;
  for (char ch : n) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                    ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

std::string field_list() {
  std::string s;
  for (const char* f : kFields) s += (s.empty() ? "" : ", ") + std::string(f);
  return s;
}

bool known_field(const std::string& key) {
  for (const char* f : kFields) {
    if (key == f) return true;
  }
  return false;
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::number_float: return "a fractional number";
    default: return "a number";
  }
}

std::string dir_list(const std::vector<fs::path>& dirs) {
  std::string s;
  for (const fs::path& d : dirs) s += (s.empty() ? "" : ", ") + d.string();
  return s.empty() ? "none configured" : s;
}

bool valid_component_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// A printable rendering of untrusted text for a one-line reason.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s.substr(0, 200)) {
    const unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (s.size() > 200) out += "...";
  return out + "'";
}

// "shadow": true starts a trial, "promote" / "discard": true end it; at
// most one of them is true. A false one is as if absent.
MessageCheck parse_shadow_fields(const json& j, ReloadRequest* out) {
  const std::pair<const char*, ShadowAction> fields[] = {{"shadow", ShadowAction::kStart},
                                                         {"promote", ShadowAction::kPromote},
                                                         {"discard", ShadowAction::kDiscard}};
  for (const auto& [name, action] : fields) {
    if (!j.contains(name)) continue;
    const json& v = j[name];
    if (!v.is_boolean()) {
      return MessageCheck::refuse("invalid", std::string(name) + " must be true or false, not " + type_name(v));
    }
    if (!v.get<bool>()) continue;
    if (out->shadow != ShadowAction::kNone) {
      return MessageCheck::refuse("invalid", std::string("shadow, promote and discard exclude each other (got ") +
                                                 shadow_action_name(out->shadow) + " and " + name + ")");
    }
    out->shadow = action;
  }
  return MessageCheck::accept();
}

}  // namespace

bool path_inside(const fs::path& path, const fs::path& dir) {
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(path, ec);
  if (ec) return false;
  const fs::path real_dir = fs::weakly_canonical(dir, ec);
  if (ec) return false;
  const fs::path rel = real.lexically_relative(real_dir);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

MessageCheck check_reload_path(const std::string& field, const std::string& path,
                               const ReloadPathPolicy& policy, fs::path* resolved) {
  const std::vector<fs::path>* dirs = nullptr;
  std::vector<std::string> extensions;
  std::string what;
  if (field == "plugin_path") {
    dirs = &policy.plugin_dirs;
    extensions = {".so"};
    what = "the plugin dirs";
  } else if (field == "rule_path") {
    dirs = &policy.rule_dirs;
    extensions = {".lua"};
    what = "the rule dirs";
  } else if (field == "config_path") {
    dirs = &policy.config_dirs;
    extensions = {".yaml", ".yml", ".json"};
    what = "the allowed config dirs";
  } else {
    return MessageCheck::refuse("invalid", "no path rule for field '" + field + "'");
  }
  if (path.empty()) return MessageCheck::refuse("invalid", field + " must not be empty");
  if (path.find('\0') != std::string::npos) {
    return MessageCheck::refuse("path", field + " contains a NUL byte");
  }
  fs::path p(path);
  if (p.is_relative()) p = policy.base_dir / p;
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(p, ec);
  if (ec) {
    return MessageCheck::refuse("path", field + " " + quoted(path) + ": " + ec.message());
  }
  bool ext_ok = false;
  for (const std::string& e : extensions) ext_ok = ext_ok || ends_with(real.filename().string(), e);
  if (!ext_ok) {
    std::string exts;
    for (const std::string& e : extensions) exts += (exts.empty() ? "" : " or ") + e;
    return MessageCheck::refuse("path", field + " " + quoted(path) + " must end in " + exts);
  }
  bool inside = false;
  for (const fs::path& d : *dirs) inside = inside || path_inside(real, d);
  if (!inside) {
    std::string msg = field + " " + quoted(path);
    if (real.string() != path) msg += " resolves to " + real.string() + ",";
    msg += " outside " + what + " (" + dir_list(*dirs) + ")";
    if (field != "config_path") msg += "; code loads only from there";
    return MessageCheck::refuse("path", msg);
  }
  if (policy.require_existing_files) {
    const fs::file_status st = fs::status(real, ec);
    if (ec || !fs::exists(st)) {
      return MessageCheck::refuse("path", field + " " + quoted(path) + ": no such file");
    }
    if (!fs::is_regular_file(st)) {
      return MessageCheck::refuse("path", field + " " + quoted(path) + ": not a regular file");
    }
  }
  *resolved = real;
  return MessageCheck::accept();
}

MessageCheck parse_reload_message(const std::string& text, const ReloadPathPolicy& policy,
                                  ReloadRequest* out) {
  *out = ReloadRequest{};
  out->raw = text;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    // Not only parse_error: a number too large for a double (4e55830) is
    // out_of_range, and escaping it would end the control thread (found by
    // fuzz/fuzz_reload_message). e.what() is "[json.exception.parse_error.101]
    // parse error at line 1, column 5: syntax error ..."; keep the part after
    // the id.
    std::string what = e.what();
    const size_t at = what.find("] ");
    if (at != std::string::npos) what = what.substr(at + 2);
    return MessageCheck::refuse("invalid", "invalid JSON: " + what);
  }
  if (!j.is_object()) {
    return MessageCheck::refuse("invalid", std::string("not a JSON object (got ") + type_name(j) + ")");
  }
  // Component first: every later reason is reported against it.
  if (!j.contains("component")) return MessageCheck::refuse("invalid", "missing field 'component'");
  const json& c = j["component"];
  if (!c.is_string()) {
    return MessageCheck::refuse("invalid", std::string("component must be a string, not ") + type_name(c));
  }
  if (c.get_ref<const std::string&>().empty()) {
    return MessageCheck::refuse("invalid", "component must not be empty");
  }
  const std::string& component = c.get_ref<const std::string&>();
  if (!valid_component_name(component)) {
    return MessageCheck::refuse("invalid", "component " + quoted(component) +
                                               " is not a component name ([a-z0-9_]+)");
  }
  out->component = component;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!known_field(it.key())) {
      return MessageCheck::refuse("invalid", "unknown field " + quoted(it.key()) + " (expected " +
                                                 field_list() + ")");
    }
  }
  if (component == "features") return MessageCheck::refuse("component", features_reload_refusal());
  if (!policy.components.empty() && policy.components.count(component) == 0) {
    std::string known;
    for (const std::string& n : policy.components) known += (known.empty() ? "" : ", ") + n;
    return MessageCheck::refuse("component", "unknown component " + quoted(component) +
                                                 " (configured: " + known + ")");
  }

  std::string paths[3];
  const char* const kPathFields[] = {"config_path", "plugin_path", "rule_path"};
  for (int i = 0; i < 3; ++i) {
    if (!j.contains(kPathFields[i])) continue;
    const json& v = j[kPathFields[i]];
    if (!v.is_string()) {
      return MessageCheck::refuse("invalid", std::string(kPathFields[i]) + " must be a string, not " +
                                                 type_name(v));
    }
    if (v.get_ref<const std::string&>().empty()) {
      return MessageCheck::refuse("invalid", std::string(kPathFields[i]) + " must not be empty");
    }
    paths[i] = v.get<std::string>();
  }
  if (j.contains("version")) {
    const json& v = j["version"];
    if (!v.is_string()) {
      return MessageCheck::refuse("invalid", std::string("version must be a string, not ") + type_name(v));
    }
    out->version = v.get<std::string>();
    if (out->version.empty()) return MessageCheck::refuse("invalid", "version must not be empty");
    if (out->version.size() > 128) {
      return MessageCheck::refuse("invalid", "version is longer than 128 characters");
    }
  }
  if (j.contains("rollback")) {
    const json& v = j["rollback"];
    // nlohmann parses non-negative integers as unsigned, negative as signed.
    if (!v.is_number_unsigned() || v.get<uint64_t>() == 0) {
      std::string got = v.is_number() ? v.dump() : type_name(v);
      return MessageCheck::refuse("invalid", "rollback must be a positive integer (a config version), not " + got);
    }
    out->rollback_to = v.get<uint64_t>();
  }
  if (j.contains("ts_ms")) {
    const json& v = j["ts_ms"];
    if (!v.is_number_unsigned()) {
      std::string got = v.is_number() ? v.dump() : type_name(v);
      return MessageCheck::refuse("invalid", "ts_ms must be a non-negative integer (ms since the epoch), not " + got);
    }
    out->signed_ts_ms = static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX));
  }
  if (j.contains("nonce")) {
    const json& v = j["nonce"];
    if (!v.is_string() || !valid_nonce(v.get<std::string>())) {
      return MessageCheck::refuse("invalid", "nonce must be a string of 8 to 128 characters [A-Za-z0-9_-]");
    }
    out->nonce = v.get<std::string>();
  }
  if (j.contains("emergency")) {
    // A de-risking change (the runbook's emergency Kelly cut, a breaker
    // reset): the VaR guard lets it through, saying why.
    const json& v = j["emergency"];
    if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 256) {
      return MessageCheck::refuse("invalid", std::string("emergency must be the reason, a string of 1 to 256 characters, not ") +
                                                 (v.is_string() ? "an empty or longer string" : type_name(v)));
    }
    out->emergency = v.get<std::string>();
  }
  if (j.contains("dry_run")) {
    const json& v = j["dry_run"];
    if (!v.is_boolean()) {
      return MessageCheck::refuse("invalid", std::string("dry_run must be true or false, not ") + type_name(v));
    }
    out->dry_run = v.get<bool>();
  }

  const bool any_path = !paths[0].empty() || !paths[1].empty() || !paths[2].empty();
  MessageCheck shadow = parse_shadow_fields(j, out);
  if (!shadow.ok()) return shadow;
  const bool trial_action =
      out->shadow == ShadowAction::kPromote || out->shadow == ShadowAction::kDiscard;
  if (trial_action && (any_path || out->rollback_to || out->dry_run)) {
    return MessageCheck::refuse("invalid", std::string(shadow_action_name(out->shadow)) +
                                               " acts on the running shadow trial and takes no "
                                               "config_path, plugin_path, rule_path, rollback or dry_run");
  }
  if (out->rollback_to && any_path) {
    return MessageCheck::refuse("invalid",
                                "rollback restores a stored config version and cannot be combined with "
                                "config_path, plugin_path or rule_path");
  }
  const bool is_lua = policy.lua_components.count(component) > 0;
  const bool known = policy.components.count(component) > 0;
  // A Lua component with nothing else reloads its configured file. When the
  // component kinds are not known here, the swap side decides.
  if (!any_path && !out->rollback_to && known && !is_lua && !trial_action) {
    return MessageCheck::refuse("invalid",
                                "nothing to do: give config_path, plugin_path, rule_path or rollback");
  }
  if (known && is_lua && !paths[1].empty()) {
    return MessageCheck::refuse("invalid", "plugin_path given for Lua component " + quoted(component) +
                                               " (use rule_path)");
  }
  if (known && !is_lua && !paths[2].empty()) {
    return MessageCheck::refuse("invalid", "rule_path given for plugin component " + quoted(component) +
                                               " (use plugin_path)");
  }

  fs::path resolved;
  for (int i = 0; i < 3; ++i) {
    if (paths[i].empty()) continue;
    MessageCheck pc = check_reload_path(kPathFields[i], paths[i], policy, &resolved);
    if (!pc.ok()) return pc;
    std::string* dst = i == 0 ? &out->config_path : i == 1 ? &out->plugin_path : &out->rule_path;
    *dst = resolved.string();
  }
  return MessageCheck::accept();
}

std::string reload_version_key(const ReloadRequest& request, const std::string& body) {
  if (!request.version.empty()) return request.version;
  return "msg-" + sha256_hex(body).substr(0, 16);
}

std::string reload_message_json(const ReloadRequest& request) {
  json j = json::object();
  j["component"] = request.component;
  if (!request.config_path.empty()) j["config_path"] = request.config_path;
  if (!request.plugin_path.empty()) j["plugin_path"] = request.plugin_path;
  if (!request.rule_path.empty()) j["rule_path"] = request.rule_path;
  if (!request.version.empty()) j["version"] = request.version;
  if (request.rollback_to) j["rollback"] = *request.rollback_to;
  if (request.dry_run) j["dry_run"] = true;
  if (request.shadow == ShadowAction::kStart) j["shadow"] = true;
  if (request.shadow == ShadowAction::kPromote) j["promote"] = true;
  if (request.shadow == ShadowAction::kDiscard) j["discard"] = true;
  if (!request.emergency.empty()) j["emergency"] = request.emergency;
  if (request.signed_ts_ms) j["ts_ms"] = *request.signed_ts_ms;
  if (!request.nonce.empty()) j["nonce"] = request.nonce;
  return j.dump();
}

std::string shadow_outcome_line(const ReloadOutcome& o) {
  if (!o.applied || o.request.dry_run) return "";
  const std::string at = " at event " + std::to_string(o.effective_seq);
  if (o.request.shadow == ShadowAction::kDiscard) {
    return "Shadow trial discarded: " + o.request.component + at;
  }
  if (o.request.shadow != ShadowAction::kStart) return "";
  const std::string label = o.request.version.empty() ? o.content_hash.substr(0, 12) : o.request.version;
  return "Shadow trial started: " + o.request.component + " candidate " + label + " (hash " +
         o.content_hash.substr(0, 12) + ")" + at;
}

}  // namespace sh::host
