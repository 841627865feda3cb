#include "list_plugins.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sh::host {

namespace {

std::string host_abi() { return std::to_string(SH_ABI_MAJOR) + "." + std::to_string(SH_ABI_MINOR); }

std::string join_keys(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ",") + k;
  return out;
}

void print_json(const PluginCatalog& catalog, std::ostream& out) {
  // ordered_json keeps the documented field order.
  nlohmann::ordered_json doc;
  doc["host_abi"] = host_abi();
  doc["plugins"] = nlohmann::ordered_json::array();
  for (const auto& e : catalog.entries()) {
    nlohmann::ordered_json row;
    row["name"] = e.identity.name;
    row["kind"] = e.identity.kind;
    row["version"] = e.identity.version;
    row["abi"] = e.identity.abi;
    row["path"] = e.path.string();
    row["description"] = e.identity.description;
    row["config_keys"] = e.identity.config_keys;
    row["status"] = e.status;
    doc["plugins"].push_back(std::move(row));
  }
  out << doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

void print_table(const PluginCatalog& catalog, std::ostream& out) {
  constexpr size_t kCols = 8;
  using Row = std::array<std::string, kCols>;
  std::vector<Row> rows;
  rows.push_back({"NAME", "KIND", "VERSION", "ABI", "PATH", "CONFIG", "DESCRIPTION", "STATUS"});
  for (const auto& e : catalog.entries()) {
    rows.push_back({e.identity.name, e.identity.kind, e.identity.version, e.identity.abi,
                    e.path.string(), join_keys(e.identity.config_keys), e.identity.description,
                    e.status});
  }
  for (auto& r : rows) {
    for (auto& cell : r) {
      if (cell.empty()) cell = "-";
      std::replace(cell.begin(), cell.end(), '\n', ' ');
    }
  }
  std::array<size_t, kCols> width{};
  for (const auto& r : rows) {
    for (size_t i = 0; i < kCols; ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < kCols; ++i) {
      line += r[i];
      if (i + 1 < kCols) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
  if (catalog.entries().empty()) {
    std::string dirs;
    for (const auto& d : catalog.dirs()) dirs += (dirs.empty() ? "" : ", ") + d.string();
    out << "(no plugin files in " << (dirs.empty() ? "any plugin dir" : dirs) << ")\n";
  }
}

}  // namespace

void print_plugin_list(const PluginCatalog& catalog, bool json, std::ostream& out) {
  if (json) {
    print_json(catalog, out);
  } else {
    print_table(catalog, out);
  }
}

}  // namespace sh::host
