// PluginCatalog: every plugin file the host can see, loaded and checked once.
//
// Plugin dirs are scanned non-recursively for names ending in ".so" (dot-files
// skipped); files named by the config are added. Each file is opened once,
// whatever it is (a non-ELF file, a directory named x.so, an unreadable file
// all become entries with a status). Scanning never throws.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "plugins/plugin_library.h"

namespace sh::host {

struct CatalogEntry {
  std::filesystem::path path;
  std::string status;  // as PluginLibrary::Opened::status
  PluginIdentity identity;
  std::shared_ptr<const PluginLibrary> library;  // set iff status == "ok"
  size_t dir_index = 0;                          // position of its dir; files come after all dirs
};

class PluginCatalog {
 public:
  static PluginCatalog scan(const std::vector<std::filesystem::path>& dirs,
                            const std::vector<std::filesystem::path>& files = {});

  // Sorted by path.
  const std::vector<CatalogEntry>& entries() const { return entries_; }
  // Dirs that could not be listed ("DIR: reason").
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }

  // The loaded plugin whose descriptor name is `name`. Earlier dirs win (like
  // PATH); two files of the same name in one dir are ambiguous. nullptr and
  // *error set (one line, without location) when none is usable.
  std::shared_ptr<const PluginLibrary> find(const std::string& name, std::string* error) const;
  // The entry of a file that was scanned (path compared after normalization).
  const CatalogEntry* entry_for(const std::filesystem::path& path) const;

 private:
  std::vector<std::filesystem::path> dirs_;
  std::vector<CatalogEntry> entries_;
  std::vector<std::string> warnings_;
};

}  // namespace sh::host
