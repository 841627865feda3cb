#include "cli/list_plugins.h"

#include <algorithm>
#include <array>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config_paths.h"
#include "services/text_util.h"

namespace sh::host {

namespace {

using ojson = nlohmann::ordered_json;

std::string host_abi() { return std::to_string(SH_ABI_MAJOR) + "." + std::to_string(SH_ABI_MINOR); }

// One listed row, plugin or rule.
struct Row {
  std::string name, kind, version, abi, path, description;
  std::vector<std::string> config_keys;
  std::string status;
  std::string sha256;                     // plugin file; "" for rules and unread files
  std::vector<std::string> capabilities;  // "set_config", "state"; rules: "reload"
  ojson schema;                           // parsed config schema; null when unknown
  std::optional<sh_provider_capabilities> provider;  // ABI 1.5, declared by a provider
};

// "stocks,fx,crypto,commodities" (the bits set), "-" when none.
std::string asset_classes_text(uint32_t bits) {
  std::vector<std::string> out;
  if (bits & SH_ASSET_STOCKS) out.push_back("stocks");
  if (bits & SH_ASSET_FX) out.push_back("fx");
  if (bits & SH_ASSET_CRYPTO) out.push_back("crypto");
  if (bits & SH_ASSET_COMMODITIES) out.push_back("commodities");
  return out.empty() ? "-" : join(out, ",");
}

ojson provider_json(const std::optional<sh_provider_capabilities>& caps) {
  if (!caps) return nullptr;
  ojson j;
  ojson classes = ojson::array();
  const uint32_t bits = caps->asset_classes;
  if (bits & SH_ASSET_STOCKS) classes.push_back("stocks");
  if (bits & SH_ASSET_FX) classes.push_back("fx");
  if (bits & SH_ASSET_CRYPTO) classes.push_back("crypto");
  if (bits & SH_ASSET_COMMODITIES) classes.push_back("commodities");
  j["asset_classes"] = classes;
  j["live"] = (caps->flags & SH_PROVIDER_LIVE) != 0;
  j["history"] = (caps->flags & SH_PROVIDER_HISTORY) != 0;
  j["max_history_days"] = caps->max_history_days;
  j["requires_entitlement"] = (caps->flags & SH_PROVIDER_REQUIRES_ENTITLEMENT) != 0;
  return j;
}

std::vector<std::string> capabilities_of(const PluginLibrary& lib) {
  std::vector<std::string> out;
  if (lib.supports_set_config()) out.push_back("set_config");
  if (lib.supports_state()) out.push_back("state");
  if (const auto caps = lib.provider_capabilities()) {
    if (caps->flags & SH_PROVIDER_LIVE) out.push_back("live");
    if (caps->flags & SH_PROVIDER_HISTORY) {
      out.push_back("history_days=" + std::to_string(caps->max_history_days));
    }
    if (caps->flags & SH_PROVIDER_REQUIRES_ENTITLEMENT) out.push_back("entitlement");
    out.push_back("classes=" + asset_classes_text(caps->asset_classes));
  }
  return out;
}

std::vector<Row> rows_of(const PluginCatalog& catalog, const RuleCatalog& rules) {
  std::vector<Row> rows;
  for (const auto& e : catalog.entries()) {
    Row r;
    r.name = e.identity.name;
    r.kind = e.identity.kind;
    r.version = e.identity.version;
    r.abi = e.identity.abi;
    r.path = e.path.string();
    r.description = e.identity.description;
    r.config_keys = e.identity.config_keys;
    r.status = e.status;
    if (e.library) {
      r.sha256 = e.library->content_sha256();
      r.capabilities = capabilities_of(*e.library);
      r.provider = e.library->provider_capabilities();
    }
    if (!e.identity.config_schema.empty()) {
      r.schema = ojson::parse(e.identity.config_schema, nullptr, false);
      if (r.schema.is_discarded()) r.schema = nullptr;
    }
    rows.push_back(std::move(r));
  }
  for (const auto& e : rules.entries) {
    Row r;
    r.name = e.name;
    r.kind = e.kind;
    r.version = e.version;
    r.abi = "lua";
    r.path = e.path.string();
    r.description = e.description;
    r.config_keys = e.config_keys;
    r.status = e.status;
    // A rule is reloaded between minutes when its file changes.
    if (e.status == "ok") r.capabilities = {"reload"};
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.path < b.path; });
  return rows;
}

void print_json(const std::vector<Row>& rows, std::ostream& out) {
  // ordered_json keeps the documented field order.
  ojson doc;
  doc["host_abi"] = host_abi();
  doc["plugins"] = ojson::array();
  for (const auto& e : rows) {
    ojson row;
    row["name"] = e.name;
    row["kind"] = e.kind;
    row["version"] = e.version;
    row["abi"] = e.abi;
    row["path"] = e.path;
    row["description"] = e.description;
    row["config_keys"] = e.config_keys;
    row["status"] = e.status;
    row["sha256"] = e.sha256;
    row["capabilities"] = e.capabilities;
    row["config_schema"] = e.schema;
    row["provider"] = provider_json(e.provider);
    row["defaults"] = e.schema.is_object() ? schema_defaults(e.schema) : ojson::object();
    doc["plugins"].push_back(std::move(row));
  }
  out << doc.dump(-1, ' ', false, ojson::error_handler_t::replace) << "\n";
}

// Terminal columns of UTF-8 text: one per code point (no wide characters
// are expected in names, statuses or descriptions).
size_t columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// s cut to at most `width` columns, ending in "…" when cut.
std::string fit(const std::string& s, size_t width) {
  if (columns(s) <= width) return s;
  if (width == 0) return "";
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && ++n > width - 1) break;
    out += s[i];
  }
  return out + "\u2026";
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\t', ' ');
  return s.empty() ? "-" : s;
}

// Aligned columns; the last one is not padded.
template <size_t N>
void print_aligned(const std::vector<std::array<std::string, N>>& rows, std::ostream& out) {
  std::array<size_t, N> width{};
  for (const auto& r : rows) {
    for (size_t i = 0; i < N; ++i) width[i] = std::max(width[i], columns(r[i]));
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < N; ++i) {
      line += r[i];
      if (i + 1 < N) line += std::string(width[i] - columns(r[i]) + 2, ' ');
    }
    out << line << "\n";
  }
}

// The short status of a row: "ok", or the kind of failure ("incompatible",
// "load error", "no entry point", "invalid descriptor"); "error" when the
// status starts with a location (a Lua rule's "FILE:LINE: ...").
std::string short_status(const std::string& status) {
  if (status.empty()) return "-";
  const size_t colon = status.find(':');
  std::string head = status.substr(0, colon);
  if (colon == std::string::npos) return fit(head, 18);
  if (head.empty() || head.size() > 18 || head.find('/') != std::string::npos) return "error";
  return head;
}

void print_table(const std::vector<Row>& listed, std::ostream& out) {
  constexpr size_t kWidth = 100;
  // Caps that leave the description at least ~20 columns (short_status
  // keeps STATUS within 18).
  constexpr size_t kName = 24, kKind = 12, kVersion = 16;
  using Cells = std::array<std::string, 5>;
  std::vector<Cells> rows;
  rows.push_back({"NAME", "KIND", "VERSION", "STATUS", "DESCRIPTION"});
  std::vector<std::string> descriptions{""};
  for (const auto& e : listed) {
    // A file that could not be read has no name: show its file name.
    const std::string name = e.name.empty() ? std::filesystem::path(e.path).filename().string()
                                            : e.name;
    rows.push_back({fit(one_line(name), kName), fit(one_line(e.kind), kKind),
                    fit(one_line(e.version), kVersion), short_status(e.status), ""});
    // A row that is not ok says why where the description would be.
    descriptions.push_back(one_line(e.status == "ok" ? e.description : e.status));
  }
  size_t used = 0;
  for (size_t i = 0; i < 4; ++i) {
    size_t w = 0;
    for (const auto& r : rows) w = std::max(w, columns(r[i]));
    used += w + 2;
  }
  const size_t room = used < kWidth ? kWidth - used : 0;
  rows[0][4] = fit(rows[0][4], room);
  for (size_t i = 1; i < rows.size(); ++i) rows[i][4] = fit(descriptions[i], room);
  print_aligned(rows, out);
}

// The providers' capability matrix (runbook 001), under the table: one row
// per provider that declares its capabilities (ABI 1.5), indented.
void print_provider_matrix(const std::vector<Row>& listed, std::ostream& out) {
  using Cells = std::array<std::string, 6>;
  std::vector<Cells> rows;
  rows.push_back({"  PROVIDER", "ASSET CLASSES", "LIVE", "HISTORY", "MAX HISTORY DAYS",
                  "ENTITLEMENT"});
  for (const auto& e : listed) {
    if (!e.provider) continue;
    const sh_provider_capabilities& c = *e.provider;
    const bool history = (c.flags & SH_PROVIDER_HISTORY) != 0;
    rows.push_back({"  " + fit(one_line(e.name), 24), asset_classes_text(c.asset_classes),
                    (c.flags & SH_PROVIDER_LIVE) ? "yes" : "no", history ? "yes" : "no",
                    history ? std::to_string(c.max_history_days) : "-",
                    (c.flags & SH_PROVIDER_REQUIRES_ENTITLEMENT) ? "required" : "no"});
  }
  if (rows.size() == 1) return;
  out << "\nProvider capabilities (runbook 001):\n";
  print_aligned(rows, out);
}

void print_verbose(const std::vector<Row>& listed, std::ostream& out) {
  using Cells = std::array<std::string, 10>;
  std::vector<Cells> rows;
  rows.push_back({"NAME", "KIND", "VERSION", "ABI", "PATH", "SHA256", "CAPABILITIES", "CONFIG",
                  "DESCRIPTION", "STATUS"});
  for (const auto& e : listed) {
    rows.push_back({one_line(e.name), one_line(e.kind), one_line(e.version), one_line(e.abi),
                    one_line(e.path), one_line(e.sha256), one_line(join(e.capabilities, ",")),
                    one_line(join(e.config_keys, ",")), one_line(e.description), one_line(e.status)});
  }
  print_aligned(rows, out);
}

}  // namespace

void print_plugin_list(const PluginCatalog& catalog, const RuleCatalog& rules,
                       const ListOptions& options, std::ostream& out) {
  const std::vector<Row> rows = rows_of(catalog, rules);
  if (options.json) {
    print_json(rows, out);
    return;
  }
  if (options.verbose) {
    print_verbose(rows, out);
  } else {
    print_table(rows, out);
  }
  print_provider_matrix(rows, out);
  if (rows.empty()) {
    std::string dirs;
    for (const auto& d : catalog.dirs()) dirs += (dirs.empty() ? "" : ", ") + d.string();
    out << "(no plugin files in " << (dirs.empty() ? "any plugin dir" : dirs) << ")\n";
  }
}

}  // namespace sh::host
