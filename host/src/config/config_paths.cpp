#include "config/config_paths.h"

namespace sh::host {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

template <typename J>
const J* deref(const J& root, const J* node) {
  for (int hops = 0; node && node->is_object() && node->contains("$ref") && hops < 16; ++hops) {
    const J& ref = (*node)["$ref"];
    if (!ref.is_string()) return node;
    const std::string r = ref.template get<std::string>();
    if (r.rfind("#", 0) != 0) return node;
    try {
      node = &root.at(typename J::json_pointer(r.substr(1)));
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  return node;
}

bool is_path_schema(const json* s) {
  if (s == nullptr || !s->is_object()) return false;
  auto f = s->find("format");
  return f != s->end() && f->is_string() && f->get<std::string>() == "path";
}

std::string resolved(const std::string& value, const fs::path& base_dir) {
  if (value.empty()) return value;
  const fs::path p(value);
  if (p.is_absolute()) return value;
  return (base_dir / p).lexically_normal().string();
}

void walk(const json& root, const json* schema, json& value, const fs::path& base_dir,
          bool fill, int depth) {
  schema = deref(root, schema);
  if (schema == nullptr || !schema->is_object() || depth > 64) return;
  if (value.is_string()) {
    if (is_path_schema(schema)) value = resolved(value.get<std::string>(), base_dir);
    return;
  }
  if (value.is_array()) {
    auto items = schema->find("items");
    if (items == schema->end() || !items->is_object()) return;
    for (json& item : value) walk(root, &*items, item, base_dir, fill, depth + 1);
    return;
  }
  if (!value.is_object()) return;
  auto props = schema->find("properties");
  const json* additional = nullptr;
  if (auto a = schema->find("additionalProperties"); a != schema->end() && a->is_object()) {
    additional = &*a;
  }
  if (fill && props != schema->end() && props->is_object()) {
    for (auto pit = props->begin(); pit != props->end(); ++pit) {
      const std::string& key = pit.key();
      if (value.contains(key)) continue;
      const json* s = deref(root, &pit.value());
      if (!is_path_schema(s)) continue;
      auto d = s->find("default");
      if (d != s->end() && d->is_string()) value[key] = resolved(d->get<std::string>(), base_dir);
    }
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const json* sub = additional;
    if (props != schema->end() && props->is_object()) {
      auto p = props->find(it.key());
      if (p != props->end()) sub = &*p;
    }
    if (sub != nullptr) walk(root, sub, it.value(), base_dir, fill, depth + 1);
  }
}

template <typename J>
void strip(J& node) {
  if (node.is_object()) {
    auto f = node.find("format");
    if (f != node.end() && f->is_string() && f->template get<std::string>() == "path") {
      node.erase(f);
    }
    for (auto it = node.begin(); it != node.end(); ++it) strip(it.value());
  } else if (node.is_array()) {
    for (auto& v : node) strip(v);
  }
}

nlohmann::ordered_json defaults_of(const nlohmann::ordered_json& root,
                                   const nlohmann::ordered_json* schema, int depth) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  schema = deref(root, schema);
  if (schema == nullptr || !schema->is_object() || depth > 64) return out;
  auto props = schema->find("properties");
  if (props == schema->end() || !props->is_object()) return out;
  for (auto pit = props->begin(); pit != props->end(); ++pit) {
    const std::string& key = pit.key();
    const nlohmann::ordered_json* s = deref(root, &pit.value());
    if (s == nullptr || !s->is_object()) continue;
    auto d = s->find("default");
    if (d != s->end()) {
      out[key] = *d;
      continue;
    }
    nlohmann::ordered_json inner = defaults_of(root, s, depth + 1);
    if (!inner.empty()) out[key] = std::move(inner);
  }
  return out;
}

}  // namespace

json resolve_config_paths(const json& schema, const json& config, const fs::path& base_dir,
                          bool fill_defaults) {
  json out = config;
  if (base_dir.empty()) return out;
  walk(schema, &schema, out, base_dir, fill_defaults, 0);
  return out;
}

json strip_path_formats(const json& schema) {
  json out = schema;
  strip(out);
  return out;
}

nlohmann::ordered_json schema_defaults(const nlohmann::ordered_json& schema) {
  return defaults_of(schema, &schema, 0);
}

}  // namespace sh::host
