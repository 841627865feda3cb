#include "decision/durable_state.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "services/log_throttle.h"

namespace sh::host {

std::string component_state_key(const std::string& component) {
  return std::string(kMetaComponentStatePrefix) + component;
}

std::string component_state_value(const PluginInstance& inst, const std::string& bytes) {
  return inst.library().name() + '\n' + bytes;
}

bool component_state_bytes(const std::string& value, const PluginInstance& inst,
                           std::string* writer, std::string_view* bytes) {
  const size_t nl = value.find('\n');
  *writer = value.substr(0, nl);
  if (nl == std::string::npos || *writer != inst.library().name()) return false;
  *bytes = std::string_view(value).substr(nl + 1);
  return true;
}

void DurableState::collect(const std::vector<Component>& components) {
  writes_.clear();
  for (const Component& c : components) {
    PluginInstance* inst = c.instance;
    const std::string& name = *c.name;
    if (inst == nullptr || inst->faulted() || !inst->library().supports_state()) continue;
    std::string bytes;
    const std::string err = inst->save_state(&bytes);
    if (!err.empty()) {
      if (should_log(++errors_)) {
        spdlog::warn("component '{}': {}; its last stored state stays [{} so far]", name, err,
                     errors_);
      }
      continue;
    }
    std::string value = component_state_value(*inst, bytes);
    const auto it = saved_.find(name);
    if (it != saved_.end() && it->second == value) continue;
    writes_.emplace_back(name, std::move(value));
  }
}

Status DurableState::persist(StateTxn& txn, const RiskChain& chain) const {
  Status st = Status::Ok();
  for (const auto& [component, value] : writes_) {
    st = txn.put(StateDb::kMeta, component_state_key(component), value);
    if (!st.ok()) return st;
  }
  if (chain.consecutive_errors() != saved_chain_errors_) {
    st = txn.put(StateDb::kMeta, kMetaChainErrors, std::to_string(chain.consecutive_errors()));
  }
  return st;
}

void DurableState::on_commit(bool ok, const RiskChain& chain) {
  if (ok) {
    for (auto& [component, value] : writes_) saved_[component] = std::move(value);
    saved_chain_errors_ = chain.consecutive_errors();
  }
  writes_.clear();
}

Status DurableState::restore(StateStore& store, const std::vector<Component>& components,
                             RiskChain* chain) {
  StateTxn txn;
  Status st = store.begin_read(&txn);
  if (!st.ok()) return st;
  std::string errors;
  st = txn.get(StateDb::kMeta, kMetaChainErrors, &errors);
  if (st.ok()) {
    char* end = nullptr;
    const unsigned long n = std::strtoul(errors.c_str(), &end, 10);
    if (end != errors.c_str() && *end == '\0') {
      saved_chain_errors_ = static_cast<uint32_t>(n);
      chain->set_consecutive_errors(saved_chain_errors_);
    }
  } else if (!st.is_not_found()) {
    return st;
  }
  for (const Component& c : components) {
    PluginInstance* inst = c.instance;
    const std::string& name = *c.name;
    if (inst == nullptr || !inst->library().supports_state()) continue;
    std::string value;
    Status gs = txn.get(StateDb::kMeta, component_state_key(name), &value);
    if (gs.is_not_found()) continue;
    if (!gs.ok()) return gs;
    std::string plugin;
    std::string_view bytes;
    if (!component_state_bytes(value, *inst, &plugin, &bytes)) {
      spdlog::warn("component '{}': stored state is from plugin '{}', not '{}'; it starts clear",
                   name, plugin, inst->library().name());
      continue;
    }
    const std::string err = inst->load_state(std::string(bytes));
    if (!err.empty()) {
      spdlog::warn("component '{}': stored state refused ({}); it starts clear", name, err);
      continue;
    }
    spdlog::info("component '{}': state restored from the store ({} bytes)", name, bytes.size());
    saved_[name] = std::move(value);
  }
  return Status::Ok();
}

}  // namespace sh::host
