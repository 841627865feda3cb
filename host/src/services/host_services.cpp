#include "services/host_services.h"

#include <spdlog/spdlog.h>
#include "services/text_util.h"

namespace sh::host {

namespace {

InstanceServices& self(void* ctx) { return *static_cast<InstanceServices*>(ctx); }

}  // namespace

InstanceServices::InstanceServices(std::string component, HostRuntime& runtime)
    : component_(std::move(component)), runtime_(runtime), table_{} {
  table_.struct_size = sizeof(sh_host_services);
  table_.abi_major = SH_ABI_MAJOR;
  table_.abi_minor = SH_ABI_MINOR;
  table_.host_ctx = this;
  table_.log = &InstanceServices::log;
  table_.now_ns = &InstanceServices::now_ns;
  table_.intern_symbol = &InstanceServices::intern_symbol;
  table_.symbol_name = &InstanceServices::symbol_name;
  table_.counter_register = &InstanceServices::counter_register;
  table_.counter_add = &InstanceServices::counter_add;
}

// The callbacks are called from C code: nothing may throw out of them.

void InstanceServices::log(void* ctx, sh_log_level level, const char* msg) {
  try {
    spdlog::log(to_spdlog(level), "[{}] {}", self(ctx).component_, msg ? msg : "");
  } catch (...) {
  }
}

int64_t InstanceServices::now_ns(void* ctx) { return self(ctx).runtime_.clock.now_ns(); }

sh_symbol_id InstanceServices::intern_symbol(void* ctx, const char* name) {
  if (name == nullptr) return SH_INVALID_SYMBOL;
  try {
    return self(ctx).runtime_.symbols.intern(name);
  } catch (...) {
    return SH_INVALID_SYMBOL;
  }
}

const char* InstanceServices::symbol_name(void* ctx, sh_symbol_id id) {
  return self(ctx).runtime_.symbols.name(id);
}

uint32_t InstanceServices::counter_register(void* ctx, const char* name) {
  if (name == nullptr || *name == '\0') return 0;
  try {
    InstanceServices& s = self(ctx);
    return s.runtime_.counters.register_counter(s.component_ + "." + name);
  } catch (...) {
    return 0;
  }
}

void InstanceServices::counter_add(void* ctx, uint32_t counter_id, int64_t delta) {
  self(ctx).runtime_.counters.add(counter_id, delta);
}

}  // namespace sh::host
