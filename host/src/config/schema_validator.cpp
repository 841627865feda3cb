#include "config/schema_validator.h"

#include "config/config_paths.h"

#include <cctype>
#include <exception>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace sh::host {

using nlohmann::json;

struct SchemaValidator::Compiled {
  valijson::Schema schema;
};

namespace {

std::string type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    default:
      return "value";
  }
}

std::string dump_value(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Follows a local "$ref": "#/..." (remote refs are not resolved).
const json* deref(const json& root, const json* node) {
  for (int hops = 0; node && node->is_object() && node->contains("$ref") && hops < 16; ++hops) {
    const json& ref = (*node)["$ref"];
    if (!ref.is_string()) return node;
    const std::string r = ref.get<std::string>();
    if (r.rfind("#", 0) != 0) return node;
    try {
      node = &root.at(json::json_pointer(r.substr(1)));
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  return node;
}

// The subschema that governs `elem` inside the value governed by `node`.
const json* child_schema(const json& root, const json* node, const JsonPathElem& elem) {
  node = deref(root, node);
  if (node == nullptr || !node->is_object()) return nullptr;
  if (elem.index < 0) {
    auto props = node->find("properties");
    if (props != node->end() && props->is_object() && props->contains(elem.key)) {
      return deref(root, &(*props)[elem.key]);
    }
    auto extra = node->find("additionalProperties");
    if (extra != node->end() && extra->is_object()) return deref(root, &*extra);
    return nullptr;
  }
  auto items = node->find("items");
  if (items == node->end()) return nullptr;
  if (items->is_object()) return deref(root, &*items);
  if (items->is_array() && static_cast<size_t>(elem.index) < items->size()) {
    return deref(root, &(*items)[static_cast<size_t>(elem.index)]);
  }
  auto extra = node->find("additionalItems");
  if (extra != node->end() && extra->is_object()) return deref(root, &*extra);
  return nullptr;
}

std::string expected_types(const json& schema_node) {
  auto t = schema_node.find("type");
  if (t == schema_node.end()) return "";
  if (t->is_string()) return t->get<std::string>();
  std::string out;
  if (t->is_array()) {
    for (const auto& e : *t) {
      if (!e.is_string()) continue;
      if (!out.empty()) out += " or ";
      out += e.get<std::string>();
    }
  }
  return out;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string plain_description(std::string d) {
  while (!d.empty() && (d.back() == '.' || d.back() == ' ')) d.pop_back();
  if (!d.empty()) d[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(d[0])));
  return d;
}

// Rewrites valijson's generic descriptions into ones that say what was
// expected, using the governing subschema and the offending value.
std::string reason_for(const std::string& description, const json* schema_node, const json* value,
                       std::vector<JsonPathElem>* path) {
  if (schema_node && value) {
    if (starts_with(description, "Value type not permitted")) {
      const std::string expected = expected_types(*schema_node);
      if (!expected.empty()) return "expected " + expected + ", got " + type_name(*value);
    }
    if (value->is_number()) {
      const bool lower = starts_with(description, "Expected number greater than");
      const bool upper = starts_with(description, "Expected number less than");
      if (lower || upper) {
        // draft 4: {minimum, exclusiveMinimum: true}; draft 7: {exclusiveMinimum: N}.
        const bool inclusive = description.find("or equal") != std::string::npos;
        const char* bound_key = lower ? "minimum" : "maximum";
        const char* exclusive_key = lower ? "exclusiveMinimum" : "exclusiveMaximum";
        json bound = schema_node->value(bound_key, json());
        if (!inclusive && schema_node->contains(exclusive_key) &&
            (*schema_node)[exclusive_key].is_number()) {
          bound = (*schema_node)[exclusive_key];
        }
        if (!bound.is_null()) {
          const char* op = lower ? (inclusive ? ">= " : "> ") : (inclusive ? "<= " : "< ");
          return "must be " + std::string(op) + dump_value(bound) + ", got " + dump_value(*value);
        }
      }
    }
    if (starts_with(description, "Failed to match against any enum values") &&
        schema_node->contains("enum")) {
      return "must be one of " + dump_value((*schema_node)["enum"]) + ", got " + dump_value(*value);
    }
  }
  static const char kUnknown[] =
      "could not be validated using 'properties' or 'additionalProperties' constraints: '";
  const auto pos = description.find(kUnknown);
  if (pos != std::string::npos) {
    std::string key = description.substr(pos + sizeof(kUnknown) - 1);
    const auto end = key.rfind('\'');
    if (end != std::string::npos) key.resize(end);
    path->push_back({key, -1});
    std::string allowed;
    if (schema_node && schema_node->contains("properties") &&
        (*schema_node)["properties"].is_object()) {
      for (const auto& item : (*schema_node)["properties"].items()) {
        allowed += allowed.empty() ? "" : ", ";
        allowed += item.key();
      }
    }
    return allowed.empty() ? "unknown property" : "unknown property (allowed: " + allowed + ")";
  }
  const std::string missing = "Missing required property '";
  if (starts_with(description, missing.c_str())) {
    return "missing required property '" +
           description.substr(missing.size(), description.rfind('\'') - missing.size()) + "'";
  }
  return plain_description(description);
}

}  // namespace

std::string format_json_path(const std::string& root, const std::vector<JsonPathElem>& path) {
  std::string out = root;
  for (const auto& e : path) {
    if (e.index >= 0) {
      out += "[" + std::to_string(e.index) + "]";
    } else {
      if (!out.empty()) out += ".";
      out += e.key;
    }
  }
  return out;
}

std::string SchemaError::to_string(const std::string& root) const {
  return format_json_path(root, path) + ": " + reason;
}

SchemaValidator::SchemaValidator(json schema, std::unique_ptr<Compiled> compiled)
    : schema_(std::move(schema)), compiled_(std::move(compiled)) {}

SchemaValidator::~SchemaValidator() = default;

std::unique_ptr<SchemaValidator> SchemaValidator::compile(const json& schema, std::string* error) {
  if (!schema.is_object()) {
    *error = "schema is not a JSON object";
    return nullptr;
  }
  auto compiled = std::make_unique<Compiled>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    // "format": "path" is the host's annotation (config_paths.h), not a
    // format valijson should check.
    const json plain = strip_path_formats(schema);
    valijson::adapters::NlohmannJsonAdapter adapter(plain);
    parser.populateSchema(adapter, compiled->schema);
  } catch (const std::exception& e) {
    *error = std::string("invalid JSON Schema: ") + e.what();
    return nullptr;
  }
  return std::unique_ptr<SchemaValidator>(new SchemaValidator(schema, std::move(compiled)));
}

std::optional<SchemaError> SchemaValidator::validate(const json& value) const {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(value);
  try {
    if (validator.validate(compiled_->schema, target, &results)) return std::nullopt;
  } catch (const std::exception& e) {
    return SchemaError{{}, std::string("schema validation failed: ") + e.what()};
  }

  // valijson reports a failing leaf and then each enclosing level; the
  // deepest context is the most specific (the first one on ties).
  const valijson::ValidationResults::Error* best = nullptr;
  for (const auto& e : results) {
    if (best == nullptr || e.context.size() > best->context.size()) best = &e;
  }
  if (best == nullptr) return SchemaError{{}, "does not match the schema"};

  // Context is "<root>", then "[key]" or "[index]" per level; the value at
  // each level tells whether a segment is a key or an index.
  SchemaError err;
  const json* v = &value;
  const json* s = &schema_;
  for (size_t i = 1; i < best->context.size(); ++i) {
    std::string seg = best->context[i];
    if (seg.size() >= 2 && seg.front() == '[' && seg.back() == ']')
      seg = seg.substr(1, seg.size() - 2);
    JsonPathElem elem{seg, -1};
    if (v && v->is_array()) {
      try {
        elem.index = std::stol(seg);
      } catch (const std::exception&) {
        elem.index = -1;
      }
    }
    err.path.push_back(elem);
    s = s ? child_schema(schema_, s, elem) : nullptr;
    if (v == nullptr) continue;
    if (elem.index >= 0 && v->is_array() && static_cast<size_t>(elem.index) < v->size()) {
      v = &(*v)[static_cast<size_t>(elem.index)];
    } else if (elem.index < 0 && v->is_object() && v->contains(elem.key)) {
      v = &(*v)[elem.key];
    } else {
      v = nullptr;
    }
  }
  err.reason = reason_for(best->description, s ? deref(schema_, s) : nullptr, v, &err.path);
  return err;
}

}  // namespace sh::host
