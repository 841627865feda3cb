#include "plugins/plugin_library.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>

#include "isolation/elf_check.h"
#include "plugins/content_address.h"

namespace sh::host {
namespace fs = std::filesystem;

namespace {

// Size of the descriptor as defined by ABI 1.0: every field up to `risk`.
constexpr size_t kDescriptorSize_1_0 =
    offsetof(sh_plugin_descriptor, risk) + sizeof(sh_plugin_descriptor::risk);
constexpr size_t kPrefixSize = offsetof(sh_plugin_descriptor, abi_minor) + sizeof(uint16_t);

bool valid_name(const char* s) {
  if (s == nullptr || *s == '\0') return false;
  for (; *s; ++s) {
    const char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string abi_string(unsigned major, unsigned minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Checks the kind's function table; "" when valid. `fn` is the offset of the
// table's one function pointer.
template <typename Api>
std::string check_table(const Api* api, const char* kind, const char* fn_name, size_t fn_offset,
                        bool fn_set) {
  if (api == nullptr) return std::string("missing ") + kind + " table";
  if (api->struct_size < fn_offset + sizeof(void*)) {
    return std::string(kind) + " table too small (struct_size " + std::to_string(api->struct_size) +
           ")";
  }
  if (!fn_set) return std::string("missing ") + kind + "." + fn_name;
  return "";
}

// Validates the descriptor fields of ABI 1.x; "" when valid.
std::string check_descriptor(const sh_plugin_descriptor& d) {
  if (d.struct_size < kDescriptorSize_1_0) {
    return "struct_size " + std::to_string(d.struct_size) + " is smaller than ABI 1.0's " +
           std::to_string(kDescriptorSize_1_0);
  }
  if (d.name == nullptr) return "missing name";
  if (!valid_name(d.name)) return "name '" + std::string(d.name) + "' is not [a-z0-9_]+";
  if (d.version == nullptr || *d.version == '\0') return "missing version";
  if (d.description == nullptr) return "missing description";
  if (d.config_schema == nullptr) return "missing config_schema";
  if (d.create == nullptr) return "missing create";
  if (d.destroy == nullptr) return "missing destroy";
  if (d.last_error == nullptr) return "missing last_error";

  if ((d.save_state == nullptr) != (d.load_state == nullptr)) {
    return d.save_state ? "save_state without load_state" : "load_state without save_state";
  }

  const char* kind = kind_name(d.kind);
  if (*kind == '\0') return "unknown kind " + std::to_string(d.kind);
  // d is the host's copy: fields past the plugin's struct_size read as NULL.
  const int tables = (d.provider != nullptr) + (d.detector != nullptr) + (d.expert != nullptr) +
                     (d.risk != nullptr) + (d.venue != nullptr);
  if (tables > 1) return std::string("kind ") + kind + " but more than one function table is set";
  switch (d.kind) {
    case SH_KIND_PROVIDER:
      return check_table(d.provider, kind, "poll", offsetof(sh_provider_api, poll),
                         d.provider && d.provider->poll);
    case SH_KIND_DETECTOR:
      return check_table(d.detector, kind, "detect", offsetof(sh_detector_api, detect),
                         d.detector && d.detector->detect);
    case SH_KIND_EXPERT:
      return check_table(d.expert, kind, "evaluate", offsetof(sh_expert_api, evaluate),
                         d.expert && d.expert->evaluate);
    case SH_KIND_VENUE: {
      if (d.abi_minor < 4) return "kind venue needs ABI 1.4 or later";
      const sh_venue_api* v = d.venue;
      const std::string bad = check_table(v, kind, "query_positions",
                                          offsetof(sh_venue_api, query_positions), v != nullptr);
      if (!bad.empty()) return bad;
      if (!v->capabilities) return "missing venue.capabilities";
      if (!v->submit) return "missing venue.submit";
      if (!v->cancel) return "missing venue.cancel";
      if (!v->query_orders) return "missing venue.query_orders";
      if (!v->query_positions) return "missing venue.query_positions";
      return "";
    }
    default:
      return check_table(d.risk, kind, "evaluate", offsetof(sh_risk_api, evaluate),
                         d.risk && d.risk->evaluate);
  }
}

}  // namespace

std::optional<sh_provider_capabilities> PluginLibrary::provider_capabilities() const {
  const sh_provider_api* api = desc_.kind == SH_KIND_PROVIDER ? desc_.provider : nullptr;
  if (api == nullptr ||
      api->struct_size < offsetof(sh_provider_api, capabilities) + sizeof(void*) ||
      api->capabilities == nullptr) {
    return std::nullopt;
  }
  sh_provider_capabilities caps{};
  const uint32_t size = api->capabilities->struct_size;
  std::memcpy(&caps, api->capabilities, std::min<size_t>(size, sizeof caps));
  caps.struct_size = sizeof caps;
  return caps;
}

const char* kind_name(sh_plugin_kind kind) {
  switch (kind) {
    case SH_KIND_PROVIDER:
      return "provider";
    case SH_KIND_DETECTOR:
      return "detector";
    case SH_KIND_EXPERT:
      return "expert";
    case SH_KIND_RISK:
      return "risk";
    case SH_KIND_VENUE:
      return "venue";
    default:
      return "";
  }
}

std::string PluginLibrary::Opened::error_line(const fs::path& path) const {
  return path.string() + ": " + status;
}

PluginLibrary::Opened PluginLibrary::open(const fs::path& path, bool keep_mapped) {
  Opened out;
  std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->path_ = path;

  // dlopen on a directory or a non-ELF file fails cleanly with a dlerror text.
  auto mode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local;
  if (keep_mapped) mode = mode | static_cast<boost::dll::load_mode::type>(RTLD_NODELETE);
  boost::dll::fs::error_code ec;
  std::error_code fs_ec;
  if (fs::is_directory(path, fs_ec)) {
    out.status = "load error: " + path.string() + ": is a directory";
    return out;
  }
  // A truncated library would be mapped anyway and fault (SIGBUS) on first touch.
  if (const std::string bad = check_elf_file(path); !bad.empty()) {
    out.status = "load error: truncated or corrupt ELF: " + path.string() + ": " + bad;
    return out;
  }
  lib->lib_.load(path, mode, ec);
  if (ec || !lib->lib_.is_loaded()) {
    const char* why = ::dlerror();
    out.status = "load error: " + (why ? std::string(why) : path.string() + ": " + ec.message());
    return out;
  }
  if (!lib->lib_.has(SH_PLUGIN_ENTRY_SYMBOL)) {
    out.status = "no entry point";
    return out;
  }

  const sh_plugin_descriptor* raw = nullptr;
  try {
    auto entry = lib->lib_.get<const sh_plugin_descriptor*()>(SH_PLUGIN_ENTRY_SYMBOL);
    raw = entry();
  } catch (...) {
    out.status = "invalid descriptor: " SH_PLUGIN_ENTRY_SYMBOL "() threw an exception";
    return out;
  }
  if (raw == nullptr) {
    out.status = "invalid descriptor: " SH_PLUGIN_ENTRY_SYMBOL "() returned NULL";
    return out;
  }

  // The frozen prefix: trusted before anything else is read.
  if (raw->struct_size < kPrefixSize) {
    out.status = "invalid descriptor: struct_size " + std::to_string(raw->struct_size);
    return out;
  }
  const unsigned major = raw->abi_major;
  const unsigned minor = raw->abi_minor;
  out.identity.abi = abi_string(major, minor);
  if (major != SH_ABI_MAJOR || minor > SH_ABI_MINOR) {
    out.status = "incompatible: plugin ABI " + out.identity.abi + ", host ABI " +
                 abi_string(SH_ABI_MAJOR, SH_ABI_MINOR);
    return out;
  }

  // Copy only what the plugin says it has; later fields stay zero (NULL).
  std::memcpy(&lib->desc_, raw, std::min<size_t>(raw->struct_size, sizeof(sh_plugin_descriptor)));
  const sh_plugin_descriptor& d = lib->desc_;
  const std::string problem = check_descriptor(d);
  if (d.struct_size >= kDescriptorSize_1_0) {
    // Strings are only read once the pointers are known to exist.
    if (valid_name(d.name)) out.identity.name = d.name;
    out.identity.kind = kind_name(d.kind);
    if (d.version) out.identity.version = d.version;
    if (d.description) out.identity.description = d.description;
  }
  if (!problem.empty()) {
    out.status = "invalid descriptor: " + problem;
    return out;
  }

  nlohmann::json schema;
  try {
    schema = nlohmann::json::parse(d.config_schema);
  } catch (const std::exception& e) {
    out.status = std::string("invalid descriptor: config_schema is not valid JSON: ") + e.what();
    return out;
  }
  std::string schema_error;
  lib->schema_ = SchemaValidator::compile(schema, &schema_error);
  if (!lib->schema_) {
    out.status = "invalid descriptor: config_schema: " + schema_error;
    return out;
  }
  // Keys in the author's order (nlohmann::json itself sorts object keys).
  const auto ordered = nlohmann::ordered_json::parse(d.config_schema);
  auto props = ordered.find("properties");
  if (props != ordered.end() && props->is_object()) {
    for (const auto& item : props->items()) out.identity.config_keys.push_back(item.key());
  }

  out.identity.config_schema = d.config_schema;

  std::string hash_error;
  lib->sha256_ = sha256_file(path, &hash_error).value_or("");
  lib->identity_ = out.identity;
  out.status = "ok";
  out.library = std::move(lib);
  return out;
}

}  // namespace sh::host
