#include "config/config_keys.h"

#include <algorithm>
#include <set>
#include "services/text_util.h"

namespace sh::host {

namespace {

// Optimal string alignment distance (Levenshtein plus adjacent swaps).
// Optimal string alignment distance, three rolling rows (keys are short;
// closest_key only calls this when the lengths are close).
size_t edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[m];
}

// Flow collections ('[', '{') nest without indentation, so a short line can
// nest deeper than yaml-cpp's recursive parser survives; block nesting is
// bounded by the document size. Counts flow depth outside quotes and
// comments, the way the YAML scanner sees it.
void check_flow_depth(const std::string& text, const ConfigSource& source) {
  size_t depth = 0, line = 1, col = 0;
  char quote = 0;
  bool comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++col;
    if (c == '\n') {
      ++line;
      col = 0;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote != 0) {
      if (quote == '"' && c == '\\') {
        ++i;
        ++col;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n')) {
      comment = true;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxYamlDepth) {
        throw ConfigError(source.name() + ":" + std::to_string(line) + ":" + std::to_string(col) +
                          ": nesting deeper than " + std::to_string(kMaxYamlDepth) +
                          " levels (the limit of a config document)");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

// Visits every node as a consumer would, aliases expanded, refusing
// duplicate keys; throws once the visits pass kMaxYamlNodes.
void walk(const YAML::Node& node, const ConfigSource& source, size_t depth, size_t* visits) {
  if (++*visits > kMaxYamlNodes) {
    throw ConfigError(source.message_at(
        node, "the document expands to more than " + std::to_string(kMaxYamlNodes) +
                  " nodes (aliases expanded; a YAML alias bomb?)"));
  }
  if (depth > kMaxYamlDepth) {
    throw ConfigError(source.message_at(node, "nesting deeper than " + std::to_string(kMaxYamlDepth) +
                                                  " levels (the limit of a config document)"));
  }
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (kv.first.IsScalar() && !seen.insert(kv.first.Scalar()).second) {
        source.fail(kv.first, "duplicate key '" + kv.first.Scalar() + "'");
      }
      walk(kv.first, source, depth + 1, visits);
      walk(kv.second, source, depth + 1, visits);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) walk(item, source, depth + 1, visits);
  }
}

}  // namespace

const std::vector<std::string>& known_config_sections() {
  static const std::vector<std::string> kSections = {
      "host",      "providers", "detectors", "experts", "risk",    "consensus", "execution",
      "conveyor",  "events",    "sinks",     "redis",   "control", "state",     "backup",
      "market_data", "alerts",    "daily_report", "history", "features"};
  return kSections;
}

std::string closest_key(const std::string& key, const std::vector<std::string>& options) {
  std::string best;
  size_t best_d = std::string::npos;
  const size_t limit = std::max<size_t>(1, key.size() / 3);
  for (const std::string& o : options) {
    const bool prefix = key.size() >= 3 && o.size() >= 3 &&
                        (o.compare(0, key.size(), key) == 0 || key.compare(0, o.size(), o) == 0);
    // The distance is at least the length difference: skip the quadratic
    // walk when that alone is over the limit (a hostile 1 MB key costs a scan).
    const size_t gap = key.size() > o.size() ? key.size() - o.size() : o.size() - key.size();
    if (gap > limit && !prefix) continue;
    size_t d = gap <= limit ? edit_distance(key, o) : limit;
    if (d > limit && !prefix) continue;
    if (prefix) d = std::min(d, limit);
    if (d < best_d) {
      best_d = d;
      best = o;
    }
  }
  return best;
}

std::string unknown_key_message(const std::string& key, const std::string& where,
                                const std::vector<std::string>& allowed) {
  const std::string guess = closest_key(key, allowed);
  return "unknown key '" + key + "' in " + where + " (" +
         (guess.empty() ? "" : "did you mean '" + guess + "'? ") + "expected one of: " + join(allowed) +
         ")";
}

void check_known_keys(const YAML::Node& map, const ConfigSource& source, const std::string& where,
                      const std::vector<std::string>& allowed) {
  if (!map.IsMap()) return;
  for (const auto& kv : map) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("?");
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      source.fail(kv.first, unknown_key_message(key, where, allowed));
    }
  }
}

YAML::Node load_yaml_bounded(const std::string& text, const ConfigSource& source) {
  if (text.size() > kMaxYamlBytes) {
    throw ConfigError(source.name() + ": " + std::to_string(text.size()) + " bytes, over the " +
                      std::to_string(kMaxYamlBytes >> 20) + " MiB limit of a config document");
  }
  check_flow_depth(text, source);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source.where(e.mark) + ": " + e.msg);
  }
  size_t visits = 0;
  walk(root, source, 0, &visits);
  return root;
}

}  // namespace sh::host
