#include "history/universe.h"

#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace sh::host {

namespace {

std::string universe_fingerprint(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::string text;
  for (const auto& n : names) text += n + "\n";
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

Status read_entry(const std::string& file, size_t index, const nlohmann::json& e,
                  UniverseSymbol* out) {
  const std::string where = file + ": entry " + std::to_string(index + 1);
  std::string declared;
  if (e.is_string()) {
    out->symbol = e.get<std::string>();
  } else if (e.is_object()) {
    for (auto it = e.begin(); it != e.end(); ++it) {
      if (it.key() != "symbol" && it.key() != "class") {
        return Status::InvalidArgument(where + ": unknown field '" + it.key() +
                                       "' (expected symbol, class)");
      }
    }
    if (!e.contains("symbol") || !e["symbol"].is_string()) {
      return Status::InvalidArgument(where + ": \"symbol\" must be a string");
    }
    out->symbol = e["symbol"].get<std::string>();
    if (e.contains("class")) {
      if (!e["class"].is_string()) {
        return Status::InvalidArgument(where + " (\"" + out->symbol + "\"): \"class\" must be a string");
      }
      declared = e["class"].get<std::string>();
    }
  } else {
    return Status::InvalidArgument(where + ": expected a symbol string or {\"symbol\", \"class\"}, got " +
                                   std::string(e.type_name()));
  }
  if (out->symbol.empty() || out->symbol.size() > 64 ||
      out->symbol.find_first_of(" \t\r\n/\\\"") != std::string::npos) {
    return Status::InvalidArgument(where + ": symbol \"" + out->symbol +
                                   "\" is empty, longer than 64 bytes, or holds a space, slash or quote");
  }
  out->asset_class = classify_symbol(out->symbol);
  if (!declared.empty()) {
    AssetClass c;
    if (!parse_asset_class(declared, &c)) {
      return Status::InvalidArgument(where + " (\"" + out->symbol + "\"): unknown class '" + declared +
                                     "' (expected stocks, fx, crypto or commodities)");
    }
    if (c != out->asset_class) {
      return Status::InvalidArgument(where + " (\"" + out->symbol + "\"): class '" + declared +
                                     "' disagrees with classify_symbol, which says '" +
                                     asset_class_name(out->asset_class) + "'");
    }
  }
  return Status::Ok();
}

}  // namespace

Status load_universe(const std::filesystem::path& path, Universe* out) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(file + ": cannot read the universe file");
  std::stringstream buf;
  buf << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(buf.str(), nullptr, false);
  if (doc.is_discarded()) {
    // Parse again for the position of the error.
    try {
      const nlohmann::json again = nlohmann::json::parse(buf.str());
      (void)again;
    } catch (const nlohmann::json::exception& e) {
      return Status::InvalidArgument(file + ": not valid JSON: " + e.what());
    }
    return Status::InvalidArgument(file + ": not valid JSON");
  }
  if (doc.is_object()) {
    if (!doc.contains("symbols")) {
      return Status::InvalidArgument(file + ": expected an array of symbols or {\"symbols\": [...]}");
    }
    doc = doc["symbols"];
  }
  if (!doc.is_array()) {
    return Status::InvalidArgument(file + ": \"symbols\" must be an array");
  }
  if (doc.empty()) return Status::InvalidArgument(file + ": the universe lists no symbol");
  Universe u;
  u.path = path;
  std::set<std::string> seen;
  std::vector<std::string> names;
  for (size_t i = 0; i < doc.size(); ++i) {
    UniverseSymbol s;
    Status st = read_entry(file, i, doc[i], &s);
    if (!st.ok()) return st;
    if (!seen.insert(s.symbol).second) {
      return Status::InvalidArgument(file + ": entry " + std::to_string(i + 1) + " (\"" + s.symbol +
                                     "\"): listed twice");
    }
    names.push_back(s.symbol);
    u.symbols.push_back(std::move(s));
  }
  u.fingerprint = universe_fingerprint(std::move(names));
  *out = std::move(u);
  return Status::Ok();
}

}  // namespace sh::host
