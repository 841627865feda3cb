#include "control/config_drift.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "lua/lua_rule.h"
#include "plugins/content_address.h"
#include "store/time_format.h"

namespace sh::host {
namespace {

std::string read_text(const std::filesystem::path& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What of `c` differs from `serving`; startup = the newest startup entry.
std::vector<std::string> differences(const ComponentConfig& c, const ConfigVersion& serving,
                                     const ConfigVersion* startup) {
  std::vector<std::string> what;
  if (c.is_lua) {
    if (serving.config != c.lua.params) what.push_back("params");
    bool ok = false;
    const std::string source = read_text(c.lua.path, &ok);
    if (!ok || content_hash_fnv1a64(source) != serving.rule_hash) what.push_back("rule source");
    return what;
  }
  if (serving.config != c.config) what.push_back("config");
  std::string yaml_sha;
  if (!c.plugin_path.empty()) {
    std::string why;
    yaml_sha = sha256_file(c.plugin_path, &why).value_or("");
  } else if (startup != nullptr) {
    yaml_sha = startup->plugin_sha256;
  }
  if (!yaml_sha.empty() && yaml_sha != serving.plugin_sha256) what.push_back("plugin binary");
  return what;
}

YAML::Node to_yaml(const nlohmann::json& j) {
  YAML::Node n;
  switch (j.type()) {
    case nlohmann::json::value_t::object:
      n = YAML::Node(YAML::NodeType::Map);
      for (const auto& kv : j.items()) n[kv.key()] = to_yaml(kv.value());
      break;
    case nlohmann::json::value_t::array:
      n = YAML::Node(YAML::NodeType::Sequence);
      for (const auto& v : j) n.push_back(to_yaml(v));
      break;
    case nlohmann::json::value_t::string: n = j.get<std::string>(); break;
    case nlohmann::json::value_t::boolean: n = j.get<bool>(); break;
    case nlohmann::json::value_t::number_integer: n = j.get<int64_t>(); break;
    case nlohmann::json::value_t::number_unsigned: n = j.get<uint64_t>(); break;
    case nlohmann::json::value_t::number_float: n = j.get<double>(); break;
    default: n = YAML::Node(YAML::NodeType::Null); break;
  }
  return n;
}

}  // namespace

Status find_config_drift(const HostConfig& config, const StateTxn& txn,
                         std::vector<ComponentDrift>* out) {
  out->clear();
  for (const ComponentConfig* c : config.components()) {
    ComponentDrift d;
    Status st = latest_config_version(txn, c->name, &d.serving);
    if (st.is_not_found()) continue;
    if (!st.ok()) return st;
    ConfigVersion startup;
    st = latest_startup_version(txn, c->name, &startup);
    if (!st.ok() && !st.is_not_found()) return st;
    d.what = differences(*c, d.serving, st.ok() ? &startup : nullptr);
    if (!d.what.empty()) out->push_back(std::move(d));
  }
  return Status::Ok();
}

Status read_config_drift(const HostConfig& config, std::vector<ComponentDrift>* out) {
  StateStoreOptions so;
  so.dir = config.state_dir().string();
  so.read_only = true;
  std::unique_ptr<StateStore> store;
  StateTxn txn;
  Status st = StateStore::open(so, &store);
  if (st.ok()) st = store->begin_read(&txn);
  if (st.ok()) st = find_config_drift(config, txn, out);
  return st;
}

std::string format_config_drift(const std::vector<ComponentDrift>& drift) {
  std::ostringstream s;
  for (const ComponentDrift& d : drift) {
    const ConfigVersion& v = d.serving;
    s << "  " << v.component << ": serving version " << v.version << " (" << v.label << ", "
      << swap_kind_name(v.swap) << " by " << v.origin << " " << format_iso8601_utc(v.wall_ns)
      << "); the YAML differs in ";
    for (size_t i = 0; i < d.what.size(); ++i) s << (i ? ", " : "") << d.what[i];
    s << "\n";
  }
  return s.str();
}

std::string export_serving_config(const HostConfig& config, const std::vector<ComponentDrift>& drift,
                                  std::vector<std::string>* notes) {
  YAML::Node root = YAML::Clone(config.root());
  for (const ComponentDrift& d : drift) {
    const ConfigVersion& v = d.serving;
    for (const char* section : {"providers", "detectors", "experts", "risk"}) {
      YAML::Node list = root[section];
      if (!list || !list.IsSequence()) continue;
      for (YAML::Node entry : list) {
        if (!entry.IsMap() || !entry["name"] || entry["name"].as<std::string>("") != v.component) continue;
        entry[v.lua ? "params" : "config"] = to_yaml(v.config);
        if (!v.lua && !v.plugin_path.empty() &&
            std::find(d.what.begin(), d.what.end(), "plugin binary") != d.what.end()) {
          entry["plugin"] = v.plugin_path;
        }
        if (v.lua && std::find(d.what.begin(), d.what.end(), "rule source") != d.what.end()) {
          notes->push_back(v.component + ": the serving Lua source (version " + std::to_string(v.version) +
                           ") differs from " + v.rule_file +
                           "; it is in `host config history --component " + v.component +
                           " --format json` (rule_source)");
        }
      }
    }
  }
  YAML::Emitter e;
  e << root;
  return std::string(e.c_str()) + "\n";
}

}  // namespace sh::host
