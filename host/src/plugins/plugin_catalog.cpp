#include "plugins/plugin_catalog.h"

#include <algorithm>
#include <set>
#include "services/text_util.h"

namespace sh::host {
namespace fs = std::filesystem;

namespace {

fs::path normalized(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  return (ec ? p : abs).lexically_normal();
}

}  // namespace

PluginCatalog PluginCatalog::scan(const std::vector<fs::path>& dirs,
                                  const std::vector<fs::path>& files, const Opener& opener) {
  PluginCatalog cat;
  std::set<fs::path> seen;
  auto add = [&](const fs::path& path, size_t dir_index) {
    const fs::path p = normalized(path);
    if (!seen.insert(p).second) return;
    PluginLibrary::Opened opened = opener ? opener(p) : PluginLibrary::open(p);
    cat.entries_.push_back(
        CatalogEntry{p, opened.status, opened.identity, opened.library, dir_index});
  };

  for (size_t i = 0; i < dirs.size(); ++i) {
    const fs::path dir = normalized(dirs[i]);
    cat.dirs_.push_back(dir);
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      cat.warnings_.push_back(dir.string() + ": " + ec.message());
      continue;
    }
    std::vector<fs::path> found;
    for (const fs::directory_iterator end; it != end; it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.' || !ends_with(name, ".so")) continue;
      found.push_back(it->path());
    }
    if (ec) cat.warnings_.push_back(dir.string() + ": " + ec.message());
    std::sort(found.begin(), found.end());  // deterministic load order
    for (const auto& f : found) add(f, i);
  }
  for (const auto& f : files) add(f, dirs.size());

  std::sort(cat.entries_.begin(), cat.entries_.end(),
            [](const CatalogEntry& a, const CatalogEntry& b) { return a.path < b.path; });
  return cat;
}

std::shared_ptr<const PluginLibrary> PluginCatalog::find(const std::string& name,
                                                         std::string* error) const {
  const CatalogEntry* best = nullptr;
  const CatalogEntry* unusable = nullptr;
  size_t failed = 0;
  for (const auto& e : entries_) {
    if (!e.library) {
      ++failed;
      // A file that failed before its descriptor was read is known by its
      // name only: lib<name>.so is the plugin asked for.
      if (e.identity.name == name || (unusable == nullptr && e.path.filename() == "lib" + name + ".so")) {
        unusable = &e;
      }
      continue;
    }
    if (e.identity.name != name) continue;
    if (best == nullptr || e.dir_index < best->dir_index) {
      best = &e;
    } else if (e.dir_index == best->dir_index) {
      *error = "plugin '" + name + "' is provided by two files: " + best->path.string() + " and " +
               e.path.string();
      return nullptr;
    }
  }
  if (best) return best->library;

  if (unusable) {
    *error = "plugin '" + name + "': " + unusable->path.string() + ": " + unusable->status;
    return nullptr;
  }
  std::string where;
  for (const auto& d : dirs_) where += (where.empty() ? "" : ", ") + d.string();
  *error = "no plugin named '" + name + "' in " + (where.empty() ? "(no plugin dirs)" : where);
  if (failed > 0) {
    // Say why, for the first few: one of them may be the plugin meant.
    *error += " (" + std::to_string(failed) + " file" + (failed == 1 ? "" : "s") + " failed to load: ";
    size_t shown = 0;
    for (const auto& e : entries_) {
      if (e.library) continue;
      if (shown == 3) {
        *error += "; ...";
        break;
      }
      *error += (shown++ ? "; " : "") + e.path.filename().string() + ": " + e.status;
    }
    *error += "; see host --list-plugins)";
  }
  return nullptr;
}

const CatalogEntry* PluginCatalog::entry_for(const fs::path& path) const {
  const fs::path p = normalized(path);
  for (const auto& e : entries_) {
    if (e.path == p) return &e;
  }
  return nullptr;
}

}  // namespace sh::host
