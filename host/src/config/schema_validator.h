// SchemaValidator: validates a plugin's config object against the plugin's
// JSON Schema (draft 4/7, via valijson) and reports the most specific problem
// as one line naming the field: "config.threshold: expected number, got string".
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sh::host {

// One step of a path into a JSON value: an object key, or an array index when
// index >= 0.
struct JsonPathElem {
  std::string key;
  long index = -1;
};

struct SchemaError {
  std::vector<JsonPathElem> path;  // to the offending value (or unknown key)
  std::string reason;              // "expected number, got string"

  // "<root>.a.b[2]: reason" (just "<root>: reason" at the top).
  std::string to_string(const std::string& root = "config") const;
};

// Renders a path as "root.a.b[2]".
std::string format_json_path(const std::string& root, const std::vector<JsonPathElem>& path);

class SchemaValidator {
 public:
  // Compiles a schema; nullptr and *error set when it is not a valid schema.
  static std::unique_ptr<SchemaValidator> compile(const nlohmann::json& schema, std::string* error);
  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  // nullopt when value conforms. Thread-safe (the compiled schema is immutable).
  std::optional<SchemaError> validate(const nlohmann::json& value) const;
  const nlohmann::json& schema() const { return schema_; }

 private:
  struct Compiled;
  SchemaValidator(nlohmann::json schema, std::unique_ptr<Compiled> compiled);

  nlohmann::json schema_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace sh::host
