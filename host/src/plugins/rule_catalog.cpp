#include "plugins/rule_catalog.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>

#include "plugins/lua_rule_loader.h"
#include "services/text_util.h"

namespace sh::host {
namespace fs = std::filesystem;

namespace {

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

// Fills version and description from the file text.
void describe(const fs::path& path, RuleCatalogEntry* e) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  e->version = content_hash_fnv1a64(text);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    const size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line.compare(start, 2, "--") != 0) continue;
    line = line.substr(start + 2);
    line.erase(0, std::min(line.find_first_not_of("- \t"), line.size()));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line.compare(0, 1, "[") == 0) continue;  // separators, --[[ blocks
    e->description = line;
    return;
  }
}

std::string load_status(const LuaRuleConfig& rc) {
  std::string error;
  return LuaRule::load(rc, &error) ? "ok" : one_line(with_full_rule_path(error, rc.path));
}

// Loads an unconfigured file as the kind of the function it defines.
std::string probe_status(const fs::path& path) {
  LuaRuleConfig rc;
  rc.name = path.stem().string();
  rc.path = path.string();
  rc.params_json = "{}";
  rc.log = [](sh_log_level, const std::string&) {};  // listing stays quiet
  for (RuleKind kind : {RuleKind::Detector, RuleKind::Router, RuleKind::Risk}) {
    rc.kind = kind;
    std::string error;
    if (LuaRule::load(rc, &error)) return "ok";
    if (error.find("rule defines no function '") == std::string::npos) {
      return one_line(with_full_rule_path(error, rc.path));
    }
  }
  return path.string() + ": defines none of detect, route, check";
}

}  // namespace

RuleCatalog scan_rules(const HostConfig& config) {
  RuleCatalog cat;
  std::set<fs::path> configured;
  for (const ComponentConfig* c : config.components()) {
    if (!c->is_lua) continue;
    RuleCatalogEntry e;
    e.name = c->name;
    e.kind = std::string("lua ") + rule_kind_name(rule_kind_of(*c));
    e.path = c->lua.path;
    for (const auto& kv : c->lua.params.items()) e.config_keys.push_back(kv.key());
    describe(e.path, &e);
    LuaRuleConfig rc = make_lua_rule_config(*c, nullptr);
    rc.log = [](sh_log_level, const std::string&) {};  // listing stays quiet
    e.status = load_status(rc);
    configured.insert(e.path);
    cat.entries.push_back(std::move(e));
  }

  std::set<fs::path> seen;
  for (const fs::path& dir : config.rule_dirs()) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      cat.warnings.push_back(dir.string() + ": " + ec.message());
      continue;
    }
    std::vector<fs::path> found;
    for (const fs::directory_iterator end; it != end; it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.' || !ends_with(name, ".lua")) continue;
      found.push_back(it->path().lexically_normal());
    }
    if (ec) cat.warnings.push_back(dir.string() + ": " + ec.message());
    std::sort(found.begin(), found.end());
    for (const fs::path& f : found) {
      if (configured.count(f) != 0 || !seen.insert(f).second) continue;
      RuleCatalogEntry e;
      e.name = f.stem().string();
      e.kind = "lua rule";
      e.path = f;
      describe(f, &e);
      e.status = probe_status(f);
      cat.entries.push_back(std::move(e));
    }
  }
  std::stable_sort(cat.entries.begin(), cat.entries.end(),
                   [](const RuleCatalogEntry& a, const RuleCatalogEntry& b) { return a.path < b.path; });
  return cat;
}

}  // namespace sh::host
