#include "cli/list_plugins.h"

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

// One listed row, plugin or rule.
struct Row {
  std::string name, kind, version, abi, path, description;
  std::vector<std::string> config_keys;
  std::string status;
};

std::vector<Row> rows_of(const PluginCatalog& catalog, const RuleCatalog& rules) {
  std::vector<Row> rows;
  for (const auto& e : catalog.entries()) {
    rows.push_back({e.identity.name, e.identity.kind, e.identity.version, e.identity.abi,
                    e.path.string(), e.identity.description, e.identity.config_keys, e.status});
  }
  for (const auto& e : rules.entries) {
    rows.push_back({e.name, e.kind, e.version, "lua", e.path.string(), e.description,
                    e.config_keys, e.status});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.path < b.path; });
  return rows;
}

void print_json(const std::vector<Row>& rows, std::ostream& out) {
  // ordered_json keeps the documented field order.
  nlohmann::ordered_json doc;
  doc["host_abi"] = host_abi();
  doc["plugins"] = nlohmann::ordered_json::array();
  for (const auto& e : rows) {
    nlohmann::ordered_json row;
    row["name"] = e.name;
    row["kind"] = e.kind;
    row["version"] = e.version;
    row["abi"] = e.abi;
    row["path"] = e.path;
    row["description"] = e.description;
    row["config_keys"] = e.config_keys;
    row["status"] = e.status;
    doc["plugins"].push_back(std::move(row));
  }
  out << doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

void print_table(const PluginCatalog& catalog, const std::vector<Row>& listed, std::ostream& out) {
  constexpr size_t kCols = 8;
  using Cells = std::array<std::string, kCols>;
  std::vector<Cells> rows;
  rows.push_back({"NAME", "KIND", "VERSION", "ABI", "PATH", "CONFIG", "DESCRIPTION", "STATUS"});
  for (const auto& e : listed) {
    rows.push_back({e.name, e.kind, e.version, e.abi, e.path, join_keys(e.config_keys),
                    e.description, e.status});
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
  if (listed.empty()) {
    std::string dirs;
    for (const auto& d : catalog.dirs()) dirs += (dirs.empty() ? "" : ", ") + d.string();
    out << "(no plugin files in " << (dirs.empty() ? "any plugin dir" : dirs) << ")\n";
  }
}

}  // namespace

void print_plugin_list(const PluginCatalog& catalog, const RuleCatalog& rules, bool json,
                       std::ostream& out) {
  const std::vector<Row> rows = rows_of(catalog, rules);
  if (json) {
    print_json(rows, out);
  } else {
    print_table(catalog, rows, out);
  }
}

}  // namespace sh::host
