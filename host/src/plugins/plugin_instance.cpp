#include "plugins/plugin_instance.h"

#include <cstddef>
#include <exception>

#include "config/config_paths.h"
#include "isolation/isolated_plugin.h"

namespace sh::host {

namespace {

const char kEscaped[] = "an exception escaped the plugin (it must return a status instead)";

std::string prefix(const std::string& component, const PluginLibrary& lib) {
  return "component '" + component + "' (plugin " + lib.name() + "): ";
}

void destroy_quietly(const sh_plugin_descriptor& d, void* instance) {
  if (instance == nullptr) return;
  try {
    d.destroy(instance);
  } catch (...) {
    // Nothing can be done about a throwing destroy(); the memory is lost.
  }
}

}  // namespace

std::string abi_status_name(sh_status status) {
  switch (status) {
    case SH_OK:
      return "SH_OK";
    case SH_ERR_INVALID_ARGUMENT:
      return "SH_ERR_INVALID_ARGUMENT";
    case SH_ERR_CONFIG:
      return "SH_ERR_CONFIG";
    case SH_ERR_INTERNAL:
      return "SH_ERR_INTERNAL";
    case SH_ERR_UNSUPPORTED:
      return "SH_ERR_UNSUPPORTED";
    case SH_END_OF_DATA:
      return "SH_END_OF_DATA";
    case SH_WOULD_BLOCK:
      return "SH_WOULD_BLOCK";
    case SH_ERR_EXCEPTION:
      return "SH_ERR_EXCEPTION";
    case SH_ERR_HOST:
      return "SH_ERR_HOST";
    case SH_ERR_NOT_ENTITLED:
      return "SH_ERR_NOT_ENTITLED";
    default:
      return "status " + std::to_string(status);
  }
}

PluginInstance::PluginInstance(std::shared_ptr<const PluginLibrary> library,
                               std::unique_ptr<InstanceServices> services)
    : library_(std::move(library)), services_(std::move(services)), desc_(&library_->descriptor()) {
  const sh_plugin_descriptor& d = library_->descriptor();
  // The library validated that the table of its kind and its function exist.
  switch (d.kind) {
    case SH_KIND_PROVIDER:
      poll_ = d.provider->poll;
      if (d.provider->struct_size >= offsetof(sh_provider_api, clock_ns) + sizeof(void*)) {
        clock_ns_ = d.provider->clock_ns;
      }
      if (d.provider->struct_size >= offsetof(sh_provider_api, fetch_daily) + sizeof(void*)) {
        entitled_ = d.provider->entitled;
        fetch_daily_ = d.provider->fetch_daily;
      }
      break;
    case SH_KIND_DETECTOR:
      detect_ = d.detector->detect;
      break;
    case SH_KIND_EXPERT:
      expert_ = d.expert->evaluate;
      break;
    case SH_KIND_RISK:
      risk_ = d.risk->evaluate;
      break;
    case SH_KIND_VENUE:
      venue_ = d.venue;
      break;
    default:
      break;
  }
}

PluginInstance::~PluginInstance() {
  const PluginCallScope scope(component(), library_->name(), "destroy");
  destroy_quietly(*desc_, instance_);
}

PluginInstance::Created PluginInstance::create(const std::string& component,
                                               std::shared_ptr<const PluginLibrary> library,
                                               const nlohmann::json& config, HostRuntime& runtime,
                                               const IsolationOptions& isolation) {
  Created out;
  if (!library) {
    out.error = "component '" + component + "': no plugin library";
    return out;
  }
  if (auto err = library->schema().validate(config)) {
    out.error = prefix(component, *library) + err->to_string("config");
    return out;
  }
  std::string config_json;
  try {
    // What the plugin sees: path fields resolved against the config's dir.
    config_json = resolve_config_paths(library->schema().schema(), config, runtime.config_dir)
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const std::exception& e) {
    out.error = prefix(component, *library) + "config is not serializable: " + e.what();
    return out;
  }

  std::unique_ptr<PluginInstance> inst(
      new PluginInstance(library, std::make_unique<InstanceServices>(component, runtime)));
  if (isolation.process && library->kind() == SH_KIND_VENUE) {
    // The child-process proxy speaks the four 1.0 kinds; a venue's reports
    // come back through a sink during the call, which the proxy does not carry.
    out.error = prefix(component, *library) +
                "isolation: process is not supported for an execution venue (run it in-process)";
    return out;
  }
  if (isolation.process) inst->use_proxy();
  const sh_plugin_descriptor& d = *inst->desc_;
  sh_status rc = SH_ERR_INTERNAL;
  void* raw = nullptr;
  try {
    const PluginCallScope scope(component, library->name(), "create");
    if (isolation.process) {
      raw = create_isolated_instance(*library, component, isolation, inst->services_->table(),
                                     config_json.c_str(), &rc);
    } else {
      raw = d.create(inst->services_->table(), config_json.c_str(), &rc);
    }
  } catch (const std::exception& e) {
    // The instance pointer (if any) was lost with the exception.
    out.error = prefix(component, *library) + "create failed: " + kEscaped + ": " + e.what();
    return out;
  } catch (...) {
    out.error = prefix(component, *library) + "create failed: " + kEscaped;
    return out;
  }
  if (rc != SH_OK || raw == nullptr) {
    std::string why;
    if (raw != nullptr) {
      try {
        const char* e = d.last_error(raw);
        if (e != nullptr) why = e;
      } catch (...) {
        why = kEscaped;
      }
    }
    if (why.empty()) why = rc == SH_OK ? "create() returned NULL" : abi_status_name(rc);
    destroy_quietly(d, raw);
    out.error = prefix(component, *library) + "create failed: " + why;
    return out;
  }
  inst->instance_ = raw;
  inst->config_ = config;
  out.instance = std::move(inst);
  return out;
}

std::string PluginInstance::set_config(const nlohmann::json& config) {
  std::string err = send(config, true);
  if (err.empty()) {
    config_ = config;
    if (isolated()) {
      set_isolated_restart_config(instance_, wire_config(config, true).dump(
                                                 -1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace));
    }
  }
  return err;
}

template <typename Call>
std::string PluginInstance::guarded_call(const char* what, Call&& call) {
  sh_status rc = SH_ERR_INTERNAL;
  try {
    const PluginCallScope scope(component(), library_->name(), what);
    rc = call();
  } catch (...) {
    escaped();
    return std::string(what) + " failed: " + kEscaped;
  }
  if (rc != SH_OK) {
    const char* e = last_error();
    return std::string(what) + " failed: " + (*e ? std::string(e) : abi_status_name(rc));
  }
  return "";
}

nlohmann::json PluginInstance::wire_config(const nlohmann::json& config,
                                           bool fill_defaults) const {
  return resolve_config_paths(library_->schema().schema(), config,
                              services_->runtime().config_dir, fill_defaults);
}

std::string PluginInstance::send_command(const nlohmann::json& command) {
  return send(command, false);  // a command is not a config: no defaults added
}

std::string PluginInstance::send(const nlohmann::json& config, bool fill_defaults) {
  if (auto err = library_->schema().validate(config)) return err->to_string("config");
  const sh_plugin_descriptor& d = *desc_;
  if (d.set_config == nullptr) {
    return "plugin '" + library_->name() + "' does not support set_config";
  }
  const std::string text =
      wire_config(config, fill_defaults)
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return guarded_call("set_config", [&] { return d.set_config(instance_, text.c_str()); });
}

std::string PluginInstance::save_state(std::string* out) {
  out->clear();
  const sh_plugin_descriptor& d = *desc_;
  if (d.save_state == nullptr) return "plugin '" + library_->name() + "' keeps no durable state";
  const char* data = nullptr;
  size_t size = 0;
  std::string err = guarded_call("save_state", [&] { return d.save_state(instance_, &data, &size); });
  if (err.empty() && data != nullptr && size > 0) out->assign(data, size);
  return err;
}

std::string PluginInstance::load_state(const std::string& bytes) {
  const sh_plugin_descriptor& d = *desc_;
  if (d.load_state == nullptr) return "plugin '" + library_->name() + "' keeps no durable state";
  return guarded_call("load_state", [&] { return d.load_state(instance_, bytes.data(), bytes.size()); });
}

const char* PluginInstance::last_error() const {
  if (faulted_) return kEscaped;
  try {
    const char* e = desc_->last_error(instance_);
    return e ? e : "";
  } catch (...) {
    return kEscaped;
  }
}

void PluginInstance::use_proxy() {
  proxy_desc_ = make_isolated_descriptor(*library_);
  desc_ = &proxy_desc_;
  poll_ = proxy_desc_.provider ? proxy_desc_.provider->poll : nullptr;
  clock_ns_ = nullptr;  // the child's clock is not proxied: not a clock source
  // Nor are history and entitlement (a batch command, not the pipeline).
  entitled_ = nullptr;
  fetch_daily_ = nullptr;
  detect_ = proxy_desc_.detector ? proxy_desc_.detector->detect : nullptr;
  expert_ = proxy_desc_.expert ? proxy_desc_.expert->evaluate : nullptr;
  risk_ = proxy_desc_.risk ? proxy_desc_.risk->evaluate : nullptr;
}

sh_status PluginInstance::escaped() noexcept {
  faulted_ = true;
  return SH_ERR_EXCEPTION;
}

}  // namespace sh::host
