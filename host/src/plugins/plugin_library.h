// PluginLibrary: one loaded plugin shared library and its validated descriptor.
//
// open() never throws and never trusts the library beyond what it has checked:
// it reads the descriptor's frozen prefix (struct_size, abi_major, abi_minor)
// first, refuses an incompatible ABI, then validates every field the host
// relies on. Instances hold a shared_ptr to their library, so the code stays
// mapped while anything created from it can still run.
#pragma once

#include <strategy_host/abi.h>

#include <boost/dll/shared_library.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/schema_validator.h"

namespace sh::host {

// "provider", "detector", "expert", "risk", or "" for an unknown kind.
const char* kind_name(sh_plugin_kind kind);

// What list-plugins shows for a file. Fields that could not be read safely are
// "" (abi is filled whenever the entry point returned a descriptor).
struct PluginIdentity {
  std::string name;
  std::string kind;
  std::string version;
  std::string abi;  // "M.m"
  std::string description;
  std::vector<std::string> config_keys;  // top-level "properties" of the schema, schema order
  std::string config_schema;             // the descriptor's schema text ("" when unread)
};

class PluginLibrary {
 public:
  struct Opened {
    std::shared_ptr<const PluginLibrary> library;  // set iff status == "ok"
    // "ok", "incompatible: plugin ABI M.m, host ABI 1.0", "no entry point",
    // "load error: <dlerror>", or "invalid descriptor: <what>".
    std::string status;
    PluginIdentity identity;

    bool ok() const { return library != nullptr; }
    // "<path>: <status>", for logs and error lines.
    std::string error_line(const std::filesystem::path& path) const;
  };

  // Loads with rtld_now | rtld_local. keep_mapped adds RTLD_NODELETE: the code
  // stays mapped after the last reference is released, which is safe even if
  // the plugin left a thread or an atexit handler behind.
  static Opened open(const std::filesystem::path& path, bool keep_mapped = true);

  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The host's copy of the descriptor, zero-extended when the plugin's is shorter.
  const sh_plugin_descriptor& descriptor() const { return desc_; }
  sh_plugin_kind kind() const { return desc_.kind; }
  const std::string& name() const { return identity_.name; }
  const std::string& version() const { return identity_.version; }
  const PluginIdentity& identity() const { return identity_; }
  const SchemaValidator& schema() const { return *schema_; }
  bool supports_set_config() const { return desc_.set_config != nullptr; }
  // ABI 1.1 durable state (NULL in a 1.0 plugin's zero-extended descriptor).
  bool supports_state() const { return desc_.save_state != nullptr; }
  // ABI 1.5: a provider's declared capabilities (zero-extended when the
  // plugin's struct is shorter); nullopt for other kinds, plugins older than
  // 1.5 and providers that declare none.
  std::optional<sh_provider_capabilities> provider_capabilities() const;
  // SHA-256 of the file as loaded (64 hex digits), "" if it could not be read.
  const std::string& content_sha256() const { return sha256_; }

 private:
  PluginLibrary() = default;

  // Declared first so it is destroyed last: everything below may point into it.
  boost::dll::shared_library lib_;
  std::filesystem::path path_;
  sh_plugin_descriptor desc_{};
  PluginIdentity identity_;
  std::unique_ptr<SchemaValidator> schema_;
  std::string sha256_;
};

}  // namespace sh::host
