// strategy_host/config.hpp: typed config reads driven by the plugin's own
// JSON Schema, so that the schema is the one source of truth for a plugin's
// keys, types, ranges and defaults.
//
//   Config parse_config(const sh::Json& j) {
//     const sh::config::Reader r(j, kConfigSchema);   // checks every key now
//     Config c;
//     c.threshold = r.number("threshold");            // the schema's default when absent
//     c.field = r.choice<Field>("field", {{"z_ret", Field::kZRet}, {"z_volume", Field::kZVolume}});
//     if (r.has("release")) ...                       // a key without a default
//     return c;                                       // cross-field rules: explicit code here
//   }
//
// The constructor refuses, with sh::ConfigError, a config that is not a JSON
// object, a key the schema does not list (when additionalProperties is false;
// with a did-you-mean), a missing required key, and any value that breaks its
// property schema: type (number, integer, boolean, string, array, object,
// null), minimum / maximum / exclusiveMinimum / exclusiveMaximum, minLength /
// maxLength, enum, minItems / maxItems / uniqueItems / items, and, for
// objects, properties / additionalProperties / required, recursively. The
// messages name the key as the user wrote it: "threshold must be > 0, got 0",
// "class must be a non-empty string", "field must be one of z_ret, z_volume,
// z_spread; got 'z_price'", "per_symbol.BTC must be > 0, got 0",
// "unknown config key 'thresold' (did you mean 'threshold'? expected one of:
// class, field, require_dq_ok, threshold)".
//
// The typed reads then cannot fail on the user's input: they return the value
// or the schema's "default". Reading a key the schema does not describe with
// that type, or an absent key without a default, is the plugin's own bug and
// throws std::logic_error. A schema is parsed once per process (cached by its
// text, thread-safe). JSON Schema keywords beyond the ones above (patterns,
// $ref, oneOf, ...) are not checked here; the host checks them before create().
#ifndef STRATEGY_HOST_CONFIG_HPP
#define STRATEGY_HOST_CONFIG_HPP

#include <strategy_host/plugin.hpp>  // sh::Json, sh::ConfigError

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sh {
namespace config {

namespace detail {

// The parsed schema of `text`, parsed on first use and kept for the life of
// the library. A bad schema is the plugin's bug: std::logic_error.
inline const Json& schema_of(std::string_view text) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<const Json>, std::less<>> cache;
  const std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(text);
  if (it != cache.end()) return *it->second;
  std::unique_ptr<const Json> parsed;
  try {
    parsed = std::make_unique<const Json>(Json::parse(text));
  } catch (const Json::exception& e) {
    throw std::logic_error(std::string("config schema is not valid JSON: ") + e.what());
  }
  if (!parsed->is_object()) throw std::logic_error("config schema is not a JSON object");
  return *cache.emplace(std::string(text), std::move(parsed)).first->second;
}

inline const Json* member(const Json& schema, const char* key) {
  if (!schema.is_object()) return nullptr;
  auto it = schema.find(key);
  return it == schema.end() ? nullptr : &*it;
}

// A number of the schema or the config as text: 0, 2.5, 1000000.
inline std::string number_text(const Json& v) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15)
      return std::to_string(static_cast<long long>(d));
  }
  return v.dump();
}

// A value as a user would recognise it in a message: 'text' for a string.
inline std::string value_text(const Json& v) {
  if (v.is_string()) return "'" + v.get<std::string>() + "'";
  if (v.is_number()) return number_text(v);
  return v.dump();
}

// Exact comparison of two JSON numbers (integers of any sign and size, or
// doubles): <0, 0, >0.
inline int compare_numbers(const Json& a, const Json& b) {
  auto integral = [](const Json& v, bool* neg, uint64_t* mag) {
    if (v.is_number_unsigned()) {
      *neg = false;
      *mag = v.get<uint64_t>();
      return true;
    }
    if (v.is_number_integer()) {
      const int64_t x = v.get<int64_t>();
      *neg = x < 0;
      *mag = x < 0 ? uint64_t(0) - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
      return true;
    }
    return false;
  };
  bool an = false, bn = false;
  uint64_t am = 0, bm = 0;
  if (integral(a, &an, &am) && integral(b, &bn, &bm)) {
    if (an != bn) return an ? -1 : 1;
    if (am == bm) return 0;
    return (am < bm) != an ? -1 : 1;
  }
  const double x = a.get<double>(), y = b.get<double>();
  return x < y ? -1 : (x > y ? 1 : 0);
}

inline bool is_type(const Json& v, const std::string& type) {
  if (type == "number") return v.is_number();
  if (type == "integer") return v.is_number_integer();
  if (type == "boolean") return v.is_boolean();
  if (type == "string") return v.is_string();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  if (type == "null") return v.is_null();
  return true;  // a type this reader does not know: the host checks it
}

inline std::string type_phrase(const std::string& type) {
  if (type == "number") return "a number";
  if (type == "integer") return "an integer";
  if (type == "boolean") return "a boolean";
  if (type == "string") return "a string";
  if (type == "array") return "an array";
  if (type == "object") return "an object";
  if (type == "null") return "null";
  return type;
}

inline std::vector<std::string> types_of(const Json& schema) {
  std::vector<std::string> out;
  const Json* t = member(schema, "type");
  if (t == nullptr) return out;
  if (t->is_string()) out.push_back(t->get<std::string>());
  if (t->is_array())
    for (const Json& x : *t)
      if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

inline std::string join_enum(const Json& values) {
  std::string out;
  for (const Json& x : values) {
    if (!out.empty()) out += ", ";
    out += x.is_string() ? x.get<std::string>() : x.dump();
  }
  return out;
}

// Levenshtein distance, for the did-you-mean of an unknown key.
inline size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// "unknown config key 'k' (did you mean 'x'? expected one of: a, b)".
inline std::string unknown_key_message(const std::string& path, const std::string& key,
                                       const Json* properties) {
  std::string allowed, guess;
  size_t best = std::max<size_t>(2, key.size() / 3) + 1;
  if (properties != nullptr && properties->is_object()) {
    for (const auto& p : properties->items()) {
      allowed += (allowed.empty() ? "" : ", ") + p.key();
      size_t d = edit_distance(key, p.key());
      const std::string_view a = key.size() < p.key().size() ? key : p.key();
      const std::string_view b = key.size() < p.key().size() ? p.key() : key;
      if (a.size() >= 3 && b.substr(0, a.size()) == a) d = std::min<size_t>(d, 1);  // max ~ max_ms
      if (d < best && d < key.size()) {
        best = d;
        guess = p.key();
      }
    }
  }
  std::string msg = "unknown config key '" + path + "'";
  if (allowed.empty()) return msg;
  msg += " (";
  if (!guess.empty()) msg += "did you mean '" + guess + "'? ";
  return msg + "expected one of: " + allowed + ")";
}

inline std::string child_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// The range a number must lie in, as the message says it: "> 0", ">= 1",
// "<= 100", "within 0..1" (both ends included) or "within (0, 100]".
inline std::string range_phrase(const Json& schema) {
  const Json* lo = member(schema, "exclusiveMinimum");
  bool lo_open = lo != nullptr && lo->is_number();
  if (!lo_open) lo = member(schema, "minimum");
  if (lo != nullptr && !lo->is_number()) lo = nullptr;
  const Json* hi = member(schema, "exclusiveMaximum");
  bool hi_open = hi != nullptr && hi->is_number();
  if (!hi_open) hi = member(schema, "maximum");
  if (hi != nullptr && !hi->is_number()) hi = nullptr;
  if (lo != nullptr && hi != nullptr) {
    if (!lo_open && !hi_open) return "within " + number_text(*lo) + ".." + number_text(*hi);
    return std::string("within ") + (lo_open ? "(" : "[") + number_text(*lo) + ", " +
           number_text(*hi) + (hi_open ? ")" : "]");
  }
  if (lo != nullptr) return (lo_open ? "> " : ">= ") + number_text(*lo);
  if (hi != nullptr) return (hi_open ? "< " : "<= ") + number_text(*hi);
  return "finite";
}

inline bool in_range(const Json& v, const Json& schema) {
  if (v.is_number_float() && !std::isfinite(v.get<double>())) return false;
  const Json* b = nullptr;
  if ((b = member(schema, "minimum")) && b->is_number() && compare_numbers(v, *b) < 0) return false;
  if ((b = member(schema, "exclusiveMinimum")) && b->is_number() && compare_numbers(v, *b) <= 0)
    return false;
  if ((b = member(schema, "maximum")) && b->is_number() && compare_numbers(v, *b) > 0) return false;
  if ((b = member(schema, "exclusiveMaximum")) && b->is_number() && compare_numbers(v, *b) >= 0)
    return false;
  return true;
}

inline size_t size_of(const Json* schema, const char* key, size_t fallback) {
  const Json* v = schema ? member(*schema, key) : nullptr;
  return v != nullptr && v->is_number_unsigned() ? static_cast<size_t>(v->get<uint64_t>())
                                                   : fallback;
}

[[noreturn]] inline void fail(const std::string& prefix, const std::string& msg) {
  throw ConfigError(prefix + msg);
}

inline void check_value(const Json& v, const Json& schema, const std::string& path,
                        const std::string& prefix);

// The keys of an object against properties / additionalProperties / required.
inline void check_object(const Json& obj, const Json& schema, const std::string& path,
                         const std::string& prefix) {
  const Json* props = member(schema, "properties");
  const Json* extra = member(schema, "additionalProperties");
  for (const auto& kv : obj.items()) {
    const std::string p = child_path(path, kv.key());
    const Json* sub = nullptr;
    if (props != nullptr && props->is_object()) {
      auto it = props->find(kv.key());
      if (it != props->end()) sub = &*it;
    }
    if (sub == nullptr && extra != nullptr) {
      if (extra->is_boolean() && !extra->get<bool>())
        fail(prefix, unknown_key_message(p, kv.key(), props));
      if (extra->is_object()) sub = extra;
    }
    if (sub != nullptr) check_value(kv.value(), *sub, p, prefix);
  }
  if (const Json* req = member(schema, "required"); req != nullptr && req->is_array()) {
    for (const Json& k : *req)
      if (k.is_string() && !obj.contains(k.get<std::string>()))
        fail(prefix, child_path(path, k.get<std::string>()) + " is required");
  }
}

inline void check_value(const Json& v, const Json& schema, const std::string& path,
                        const std::string& prefix) {
  const std::vector<std::string> types = types_of(schema);
  const Json* en = member(schema, "enum");
  const bool has_enum = en != nullptr && en->is_array();
  const size_t min_len = size_of(&schema, "minLength", 0);
  const size_t min_items = size_of(&schema, "minItems", 0);
  if (!types.empty() &&
      std::none_of(types.begin(), types.end(), [&](const std::string& t) { return is_type(v, t); })) {
    std::string want;
    for (const std::string& t : types) {
      if (!want.empty()) want += " or ";
      if (t == "string" && has_enum) {
        fail(prefix, path + " must be one of " + join_enum(*en) + "; got " + value_text(v));
      } else if (t == "string" && min_len == 1 && types.size() == 1) {
        want += "a non-empty string";
      } else if (t == "array" && min_items == 1 && types.size() == 1) {
        want += "a non-empty array";
      } else {
        want += type_phrase(t);
      }
    }
    fail(prefix, path + " must be " + want);
  }
  if (has_enum && std::find(en->begin(), en->end(), v) == en->end())
    fail(prefix, path + " must be one of " + join_enum(*en) + "; got " + value_text(v));
  if (v.is_number() && !in_range(v, schema))
    fail(prefix, path + " must be " + range_phrase(schema) + ", got " + value_text(v));
  if (v.is_string()) {
    const size_t n = v.get_ref<const std::string&>().size();  // bytes, close enough for a limit
    if (n < min_len)
      fail(prefix, path + (min_len == 1 ? " must be a non-empty string"
                                        : " must be at least " + std::to_string(min_len) +
                                              " characters long"));
    if (n > size_of(&schema, "maxLength", std::numeric_limits<size_t>::max()))
      fail(prefix, path + " must be at most " +
                       std::to_string(size_of(&schema, "maxLength", 0)) + " characters long");
  }
  if (v.is_array()) {
    if (v.size() < min_items)
      fail(prefix, path + (min_items == 1 ? " must be a non-empty array"
                                          : " must have at least " + std::to_string(min_items) +
                                                " items"));
    if (v.size() > size_of(&schema, "maxItems", std::numeric_limits<size_t>::max()))
      fail(prefix, path + " must have at most " + std::to_string(size_of(&schema, "maxItems", 0)) +
                       " items");
    const Json* items = member(schema, "items");
    for (size_t i = 0; i < v.size(); ++i) {
      if (items != nullptr && items->is_object())
        check_value(v[i], *items, path + "[" + std::to_string(i) + "]", prefix);
      if (const Json* u = member(schema, "uniqueItems"); u != nullptr && u->is_boolean() &&
                                                         u->get<bool>()) {
        for (size_t k = 0; k < i; ++k)
          if (v[k] == v[i]) fail(prefix, path + ": " + value_text(v[i]) + " listed twice");
      }
    }
  }
  if (v.is_object()) check_object(v, schema, path, prefix);
}

}  // namespace detail

// A checked view of one config object through its schema. Holds references:
// the config and the schema text must outlive the Reader (a plugin's
// kConfigSchema and the config argument do).
class Reader {
 public:
  // Checks the whole config against the schema; throws sh::ConfigError with
  // the message the user sees (prefix first, e.g. "replay: ").
  Reader(const Json& config, const char* schema_text, std::string prefix = std::string())
      : Reader(config, detail::schema_of(schema_text ? schema_text : "{}"), std::string(),
               std::move(prefix), true) {}

  // True when the config sets `key` (a default does not count).
  bool has(const std::string& key) const { return config_->contains(key); }

  // The value of `key`, or the schema's default when the config leaves it out.
  double number(const std::string& key) const {
    return value(key, "number", [](const Json& v) { return v.is_number(); }).get<double>();
  }
  int64_t integer(const std::string& key) const {
    const Json& v = value(key, "integer", [](const Json& x) { return x.is_number_integer(); });
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      throw std::logic_error("config key '" + path(key) + "': read with unsigned_integer()");
    return v.get<int64_t>();
  }
  // For an integer the schema keeps >= 0 (a seed up to 2^64 - 1).
  uint64_t unsigned_integer(const std::string& key) const {
    const Json& v = value(key, "integer", [](const Json& x) {
      return x.is_number_unsigned() || (x.is_number_integer() && x.get<int64_t>() >= 0);
    });
    return v.get<uint64_t>();
  }
  bool boolean(const std::string& key) const {
    return value(key, "boolean", [](const Json& v) { return v.is_boolean(); }).get<bool>();
  }
  std::string string(const std::string& key) const {
    return value(key, "string", [](const Json& v) { return v.is_string(); }).get<std::string>();
  }
  // A string of the schema's enum, mapped to the plugin's own value:
  //   r.choice<Mode>("mode", {{"follow", Mode::kFollow}, {"fade", Mode::kFade}})
  template <typename T>
  T choice(const std::string& key, std::initializer_list<std::pair<std::string_view, T>> map) const {
    return pick(key, string(key), map);
  }
  std::vector<std::string> string_list(const std::string& key) const {
    std::vector<std::string> out;
    for (const Json& x : list(key, "strings", [](const Json& v) { return v.is_string(); }))
      out.push_back(x.get<std::string>());
    return out;
  }
  std::vector<double> number_list(const std::string& key) const {
    std::vector<double> out;
    for (const Json& x : list(key, "numbers", [](const Json& v) { return v.is_number(); }))
      out.push_back(x.get<double>());
    return out;
  }
  template <typename T>
  std::vector<T> choice_list(const std::string& key,
                             std::initializer_list<std::pair<std::string_view, T>> map) const {
    std::vector<T> out;
    for (const std::string& s : string_list(key)) out.push_back(pick(key, s, map));
    return out;
  }
  // An object of numbers keyed by free names ({"BTC": 20000}), in key order;
  // the values are checked against the schema's additionalProperties.
  std::vector<std::pair<std::string, double>> number_map(const std::string& key) const {
    const Json& v = value(key, "object", [](const Json& x) { return x.is_object(); });
    std::vector<std::pair<std::string, double>> out;
    for (const auto& kv : v.items()) {
      if (!kv.value().is_number())
        throw std::logic_error("config key '" + path(key) + "': values are not numbers");
      out.emplace_back(kv.key(), kv.value().get<double>());
    }
    return out;
  }
  // A nested object read through its own property schema (its default, or
  // {} when the schema has none and the config leaves it out).
  Reader object(const std::string& key) const {
    const Json& sub = property(key);
    const Json* v = find(key, sub);
    static const Json kEmpty = Json::object();
    if (v == nullptr) v = &kEmpty;
    if (!v->is_object()) throw std::logic_error("config key '" + path(key) + "' is not an object");
    return Reader(*v, sub, path(key), prefix_, false);
  }
  // An array of objects, each read through the schema's "items" (paths
  // "files[0]", "files[1]", ...); empty when absent without a default.
  std::vector<Reader> object_list(const std::string& key) const {
    const Json& sub = property(key);
    const Json* v = find(key, sub);
    std::vector<Reader> out;
    if (v == nullptr) return out;
    const Json* items = detail::member(sub, "items");
    static const Json kAny = Json::object();
    if (!v->is_array()) throw std::logic_error("config key '" + path(key) + "' is not an array");
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_object())
        throw std::logic_error("config key '" + path(key) + "' is not a list of objects");
      out.push_back(Reader((*v)[i], items != nullptr ? *items : kAny,
                           path(key) + "[" + std::to_string(i) + "]", prefix_, false));
    }
    return out;
  }
  // The value as it is (checked against its schema), or its default.
  const Json& raw(const std::string& key) const {
    return value(key, "value", [](const Json&) { return true; });
  }

 private:
  Reader(const Json& config, const Json& schema, std::string path, std::string prefix, bool check)
      : config_(&config), schema_(&schema), path_(std::move(path)), prefix_(std::move(prefix)) {
    if (!check) return;
    if (!config.is_object()) detail::fail(prefix_, "config must be a JSON object");
    detail::check_object(config, schema, path_, prefix_);
  }

  std::string path(const std::string& key) const { return detail::child_path(path_, key); }

  // The property schema of `key`; a key the schema does not list is a bug.
  const Json& property(const std::string& key) const {
    const Json* props = detail::member(*schema_, "properties");
    if (props != nullptr && props->is_object()) {
      auto it = props->find(key);
      if (it != props->end()) return *it;
    }
    throw std::logic_error("config key '" + path(key) + "' is not in the plugin's schema");
  }

  const Json* find(const std::string& key, const Json& sub) const {
    auto it = config_->find(key);
    if (it != config_->end()) return &*it;
    return detail::member(sub, "default");
  }

  template <typename Pred>
  const Json& value(const std::string& key, const char* what, Pred ok) const {
    const Json* v = find(key, property(key));
    if (v == nullptr)
      throw std::logic_error("config key '" + path(key) +
                             "' is absent and the schema gives no default (check has() first)");
    if (!ok(*v))
      throw std::logic_error("config key '" + path(key) + "' read as " + what +
                             " but the schema or its default says otherwise");
    return *v;
  }

  template <typename Pred>
  const Json& list(const std::string& key, const char* what, Pred ok) const {
    const Json& v = value(key, "array", [](const Json& x) { return x.is_array(); });
    for (const Json& x : v)
      if (!ok(x))
        throw std::logic_error("config key '" + path(key) + "' is not a list of " + what);
    return v;
  }

  template <typename T>
  T pick(const std::string& key, const std::string& s,
         std::initializer_list<std::pair<std::string_view, T>> map) const {
    for (const auto& m : map)
      if (m.first == s) return m.second;
    throw std::logic_error("config key '" + path(key) + "': the plugin has no value for '" + s +
                           "' of its schema");
  }

  const Json* config_;
  const Json* schema_;
  std::string path_;    // "" at the top, "reconnect" in a nested reader
  std::string prefix_;  // put before every message
};

}  // namespace config
}  // namespace sh

#endif  // STRATEGY_HOST_CONFIG_HPP
