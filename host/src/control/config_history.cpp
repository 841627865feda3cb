#include "control/config_history.h"

#include <exception>

#include "control/reload_request.h"
#include "plugins/content_address.h"

namespace sh::host {

namespace {

void put_be64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string component_prefix(const std::string& component) {
  std::string k = component;
  k.push_back('\0');
  return k;
}

// The first key after every key that starts with `prefix`.
std::string prefix_end(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

Status scan_entries(const StateTxn& txn, StateDb db, const std::string& begin,
                    const std::string& end, std::vector<ConfigVersion>* out) {
  std::string bad;
  Status st = txn.scan(db, begin, end, [&](std::string_view, std::string_view value) {
    ConfigVersion v;
    std::string why;
    if (!config_version_from_json(std::string(value), &v, &why)) {
      bad = why;
      return false;
    }
    out->push_back(std::move(v));
    return true;
  });
  if (!st.ok()) return st;
  if (!bad.empty()) return Status::Corruption(std::string(state_db_name(db)) + ": " + bad);
  return Status::Ok();
}

}  // namespace

const char* swap_kind_name(SwapKind kind) {
  switch (kind) {
    case SwapKind::kStartup: return "startup";
    case SwapKind::kInstance: return "instance";
    case SwapKind::kSetConfig: return "set_config";
    case SwapKind::kLuaRule: return "lua_rule";
  }
  return "startup";
}

bool parse_swap_kind(std::string_view name, SwapKind* kind) {
  for (SwapKind k : {SwapKind::kStartup, SwapKind::kInstance, SwapKind::kSetConfig,
                     SwapKind::kLuaRule}) {
    if (name == swap_kind_name(k)) {
      *kind = k;
      return true;
    }
  }
  return false;
}

nlohmann::json config_version_to_json(const ConfigVersion& v) {
  nlohmann::json j;
  j["component"] = v.component;
  j["version"] = v.version;
  j["label"] = v.label;
  j["content_hash"] = v.content_hash;
  j["swap"] = swap_kind_name(v.swap);
  j["kind"] = v.lua ? "lua" : "plugin";
  j["config"] = v.config;
  if (!v.lua) {
    j["plugin_path"] = v.plugin_path;
    j["plugin_sha256"] = v.plugin_sha256;
    j["library_version"] = v.library_version;
  } else {
    j["rule_file"] = v.rule_file;
    j["rule_hash"] = v.rule_hash;
    j["rule_source"] = v.rule_source;
  }
  j["effective_seq"] = v.effective_seq;
  if (v.swap != SwapKind::kStartup) {
    j["session"] = v.session;
    j["sequence"] = v.sequence;
  }
  j["origin"] = v.origin;
  j["wall_ns"] = v.wall_ns;
  if (!v.shadow.empty()) j["shadow"] = v.shadow;
  return j;
}

bool config_version_from_json(const std::string& text, ConfigVersion* v, std::string* error) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    ConfigVersion out;
    out.component = j.at("component").get<std::string>();
    out.version = j.at("version").get<uint64_t>();
    out.label = j.value("label", "");
    out.content_hash = j.value("content_hash", "");
    if (!parse_swap_kind(j.value("swap", "startup"), &out.swap)) {
      *error = "unknown swap kind '" + j.value("swap", "") + "'";
      return false;
    }
    out.lua = j.value("kind", "plugin") == "lua";
    out.config = j.value("config", nlohmann::json::object());
    out.plugin_path = j.value("plugin_path", "");
    out.plugin_sha256 = j.value("plugin_sha256", "");
    out.library_version = j.value("library_version", "");
    out.rule_file = j.value("rule_file", "");
    out.rule_hash = j.value("rule_hash", "");
    out.rule_source = j.value("rule_source", "");
    out.effective_seq = j.value("effective_seq", uint64_t{0});
    out.session = j.value("session", uint64_t{0});
    out.sequence = j.value("sequence", uint64_t{0});
    out.origin = j.value("origin", "");
    out.wall_ns = j.value("wall_ns", int64_t{0});
    out.shadow = j.value("shadow", "");
    if (!out.shadow.empty() && parse_shadow_action(out.shadow) == ShadowAction::kNone) {
      *error = "unknown shadow action '" + out.shadow + "'";
      return false;
    }
    *v = std::move(out);
    return true;
  } catch (const std::exception& e) {
    *error = std::string("malformed config version record: ") + e.what();
    return false;
  }
}

std::string config_content_hash(const nlohmann::json& config, const std::string& code_hash) {
  // nlohmann::json objects are std::map-backed: dump() sorts keys.
  return sha256_hex(config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" +
                    code_hash);
}

std::string config_version_key(const std::string& component, uint64_t version) {
  std::string k = component_prefix(component);
  put_be64(&k, version);
  return k;
}

std::string swap_journal_key(uint64_t effective_seq, uint64_t sequence) {
  std::string k;
  put_be64(&k, effective_seq);
  put_be64(&k, sequence);
  return k;
}

Status latest_config_version(const StateTxn& txn, const std::string& component, ConfigVersion* v) {
  const std::string prefix = component_prefix(component);
  std::string last;
  Status st = txn.scan(StateDb::kConfigVersions, prefix, prefix_end(prefix),
                       [&](std::string_view, std::string_view value) {
                         last.assign(value.data(), value.size());
                         return true;
                       });
  if (!st.ok()) return st;
  if (last.empty()) return Status::NotFound("no config versions of component '" + component + "'");
  std::string why;
  if (!config_version_from_json(last, v, &why)) return Status::Corruption("config_versions: " + why);
  return Status::Ok();
}

Status read_config_version(const StateTxn& txn, const std::string& component, uint64_t version,
                           ConfigVersion* v) {
  std::string value;
  Status st = txn.get(StateDb::kConfigVersions, config_version_key(component, version), &value);
  if (st.is_not_found()) {
    return Status::NotFound("component '" + component + "' has no config version " +
                            std::to_string(version));
  }
  if (!st.ok()) return st;
  std::string why;
  if (!config_version_from_json(value, v, &why)) return Status::Corruption("config_versions: " + why);
  return Status::Ok();
}

Status list_config_versions(const StateTxn& txn, const std::string& component,
                            std::vector<ConfigVersion>* out) {
  if (component.empty()) return scan_entries(txn, StateDb::kConfigVersions, "", "", out);
  const std::string prefix = component_prefix(component);
  return scan_entries(txn, StateDb::kConfigVersions, prefix, prefix_end(prefix), out);
}

Status latest_startup_version(const StateTxn& txn, const std::string& component, ConfigVersion* v) {
  std::vector<ConfigVersion> all;
  Status st = list_config_versions(txn, component, &all);
  if (!st.ok()) return st;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->swap == SwapKind::kStartup) {
      *v = std::move(*it);
      return Status::Ok();
    }
  }
  return Status::NotFound("no startup version of " + component);
}

Status list_swap_journal(const StateTxn& txn, std::vector<ConfigVersion>* out) {
  return scan_entries(txn, StateDb::kSwapJournal, "", "", out);
}

Status put_config_version(StateTxn& txn, const ConfigVersion& v) {
  const std::string value = config_version_to_json(v).dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  const bool journal_only = v.shadow == "start" || v.shadow == "discard";
  Status st = journal_only ? Status::Ok()
                           : txn.put(StateDb::kConfigVersions, config_version_key(v.component, v.version), value);
  if (!st.ok() || v.swap == SwapKind::kStartup) return st;
  return txn.put(StateDb::kSwapJournal, swap_journal_key(v.effective_seq, v.sequence), value);
}

}  // namespace sh::host
