// ComponentRegistry: every swappable component of one pipeline (providers,
// detectors, experts, risk policies; plugins and Lua rules), in registration
// order. The stage that calls a component registers it; the swap stage
// (control/swap_stage.h) applies swaps to the slots and tells the owner
// through the slot's rebind callback, so no stage calls another.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "control/config_history.h"
#include "lua/lua_rule.h"
#include "plugins/plugin_instance.h"
#include "plugins/plugin_library.h"

namespace sh::host {

// A shadow trial's candidate (README "Shadow trials"): a second version of
// a detector that sees the same rows as the serving one; its hits go to
// out/shadow/<component>.jsonl and the ShadowBoard, never to the sinks.
// Owned by its slot; called on the pipeline thread only.
struct ShadowCandidate {
  ConfigVersion record;  // its journal entry (shadow "start"): what a promote applies
  std::string version;   // what its outputs name: "<plugin version|lua:hash>+shadow:<label>"
  std::unique_ptr<PluginInstance> instance;  // plugins
  std::unique_ptr<LuaRule> rule;             // Lua rules
};

struct SwapSlot {
  std::string component;
  sh_plugin_kind kind = 0;
  bool provider = false;
  PluginInstance* instance = nullptr;  // plugins: the serving instance
  LuaRule* rule = nullptr;             // Lua rules (any kind): swapped in place
  // Pipeline thread, after a swap replaced `instance`: the owner calls the
  // new one from the next batch on. Null for Lua rules.
  std::function<void(PluginInstance&)> rebind;
  // Written on the pipeline thread under ComponentRegistry::mu() (the
  // control thread reads them); the pipeline thread reads them unlocked.
  std::shared_ptr<const PluginLibrary> library;  // of `instance`
  ConfigVersion current;
  uint64_t last_version = 0;
  // Set and cleared on the pipeline thread under ComponentRegistry::mu()
  // (the control thread reads its record through target()).
  std::unique_ptr<ShadowCandidate> shadow;
};

// What the control side may know about a swappable component (a copy).
struct SwapTargetInfo {
  std::string component;
  bool lua = false;
  bool provider = false;  // else a detector stage, an expert or a risk policy
  sh_plugin_kind kind = 0;
  std::shared_ptr<const PluginLibrary> library;  // plugins: the serving one
  ConfigVersion current;  // the serving version's record
  uint64_t last_version = 0;  // highest version number written for it
  std::optional<ConfigVersion> shadow;  // the running shadow trial's candidate, if any
};

class ComponentRegistry {
 public:
  // Before Pipeline::open(). The slot's address is stable.
  SwapSlot& add(SwapSlot slot) {
    slots_.push_back(std::move(slot));
    return slots_.back();
  }
  SwapSlot* find(const std::string& component) {
    for (SwapSlot& s : slots_) {
      if (s.component == component) return &s;
    }
    return nullptr;
  }
  // Thread-safe: a copy of what a swap of `component` starts from.
  bool target(const std::string& component, SwapTargetInfo* info) const {
    for (const SwapSlot& s : slots_) {
      if (s.component != component) continue;
      std::lock_guard<std::mutex> lock(mu_);
      info->component = s.component;
      info->lua = s.rule != nullptr;
      info->provider = s.provider;
      info->kind = s.kind;
      info->library = s.library;
      info->current = s.current;
      info->last_version = s.last_version;
      info->shadow.reset();
      if (s.shadow) info->shadow = s.shadow->record;
      return true;
    }
    return false;
  }
  std::deque<SwapSlot>& slots() { return slots_; }
  const std::deque<SwapSlot>& slots() const { return slots_; }
  bool has_rules() const {
    for (const SwapSlot& s : slots_) {
      if (s.rule != nullptr) return true;
    }
    return false;
  }
  std::mutex& mu() const { return mu_; }

 private:
  std::deque<SwapSlot> slots_;  // never shrinks; appended before open()
  mutable std::mutex mu_;       // guards SwapSlot::library / current / last_version
};

// The serving version's label ("1.0.0", "1.0.0+cfg3", "lua:<hash>"), as
// decision lines and /api/status name it. Pipeline thread (reads the slot
// unlocked).
inline void serving_version_label(const SwapSlot& slot, std::string* out) {
  if (slot.instance != nullptr) {
    out->assign(slot.instance->library().version());
  } else {
    out->assign("lua:");
    out->append(slot.rule->content_hash());
  }
  if (slot.current.version > 1) {
    out->append("+cfg");
    out->append(std::to_string(slot.current.version));
  }
}

// "+cfgN" for a component serving config version N > 1, else "".
inline std::string config_version_suffix(const SwapSlot& slot) {
  return slot.current.version > 1 ? "+cfg" + std::to_string(slot.current.version) : std::string();
}

}  // namespace sh::host
