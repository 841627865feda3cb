// Paths inside a plugin's config: a plugin marks a string field as a file or
// directory path with "format": "path" in its config schema, and the host
// resolves a relative value against the config file's directory before the
// config crosses the C ABI (create() and set_config()), as it does for the
// host's own paths. The schema is the one source of truth: the plugin needs
// no idea where the config came from.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace sh::host {

// A copy of `config` where every string the schema marks "format": "path"
// (through "properties", "additionalProperties", "items" and local "$ref")
// that is relative is replaced by (base_dir / value).lexically_normal(). A
// path property that is absent from an object the config has, and whose
// schema has a string "default", is added with its default resolved the same
// way when fill_defaults (so a default such as "state/KILL_SWITCH" means the
// config's directory too; not for one-shot commands such as {"reset": true}).
// An empty base_dir returns config unchanged.
nlohmann::json resolve_config_paths(const nlohmann::json& schema, const nlohmann::json& config,
                                    const std::filesystem::path& base_dir,
                                    bool fill_defaults = true);

// The schema without its "format": "path" annotations (valijson would
// otherwise read the format of a non-string value as a string and throw).
nlohmann::json strip_path_formats(const nlohmann::json& schema);

// The "default" of every property, nested as the config would be: an object
// property without a default of its own but with defaults inside gives an
// object of them. {} when the schema has none.
nlohmann::ordered_json schema_defaults(const nlohmann::ordered_json& schema);

}  // namespace sh::host
