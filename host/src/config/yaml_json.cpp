#include "config/yaml_json.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <set>

namespace sh::host {

using nlohmann::json;

namespace {

bool all_of(const std::string& s, size_t from, bool (*pred)(char)) {
  if (from >= s.size()) return false;
  for (size_t i = from; i < s.size(); ++i) {
    if (!pred(s[i])) return false;
  }
  return true;
}
bool is_dec(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_oct(char c) { return c >= '0' && c <= '7'; }

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_float_text(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && is_dec(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_dec(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && is_dec(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

json parse_integer(const std::string& s, int base, size_t digits_from, bool negative) {
  errno = 0;
  const std::string digits = s.substr(digits_from);
  const unsigned long long u = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE) return json(std::strtod(s.c_str(), nullptr));
  if (!negative) {
    if (u <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max())) {
      return json(static_cast<int64_t>(u));
    }
    return json(static_cast<uint64_t>(u));
  }
  if (u <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()) + 1ull) {
    return json(static_cast<int64_t>(0 - u));
  }
  return json(-static_cast<double>(u));
}

}  // namespace

json plain_scalar_to_json(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return json(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return json(true);
  if (s == "false" || s == "False" || s == "FALSE") return json(false);

  const bool negative = s[0] == '-';
  const size_t sign = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (all_of(s, sign, is_dec)) return parse_integer(s, 10, sign, negative);
  if (s.size() > sign + 2 && s[sign] == '0' && s[sign + 1] == 'x' && all_of(s, sign + 2, is_hex)) {
    return parse_integer(s, 16, sign + 2, negative);
  }
  if (s.size() > sign + 2 && s[sign] == '0' && s[sign + 1] == 'o' && all_of(s, sign + 2, is_oct)) {
    return parse_integer(s, 8, sign + 2, negative);
  }
  if (is_float_text(s)) return json(std::strtod(s.c_str(), nullptr));
  const std::string rest = s.substr(sign);
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") {
    return json(negative ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity());
  }
  if (sign == 0 && (s == ".nan" || s == ".NaN" || s == ".NAN")) {
    return json(std::numeric_limits<double>::quiet_NaN());
  }
  return json(s);
}

void require_unique_keys(const YAML::Node& map, const ConfigSource& source) {
  if (!map.IsMap()) return;
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && !seen.insert(kv.first.Scalar()).second) {
      source.fail(kv.first, "duplicate key '" + kv.first.Scalar() + "'");
    }
  }
}

json yaml_to_json(const YAML::Node& node, const ConfigSource& source) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      // "?" marks a plain scalar; "!" a quoted one; core tags type explicitly.
      if (tag == "?" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
          tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
        return plain_scalar_to_json(node.Scalar());
      }
      return json(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item, source));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      std::set<std::string> seen;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) source.fail(kv.first, "a mapping key must be a scalar");
        const std::string key = kv.first.Scalar();
        if (!seen.insert(key).second) source.fail(kv.first, "duplicate key '" + key + "'");
        out[key] = yaml_to_json(kv.second, source);
      }
      return out;
    }
  }
  return json(nullptr);
}

}  // namespace sh::host
