// DurableState: the decision layer's state that must survive a restart
// besides the paper book: each expert and risk plugin's own state (ABI 1.1
// save_state / load_state: a circuit breaker that is OPEN stays OPEN) and
// the risk chain's consecutive-error count. Stored in the meta database,
// "component_state/<component>" = "<plugin name>\n<bytes>", in the minute's
// transaction, and only when it changed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decision/risk_chain.h"
#include "plugins/plugin_instance.h"
#include "store/state_store.h"

namespace sh::host {

// The stored form of a plugin's durable state, one meta record per
// component (DurableState's, and the broker's for its venue):
// key "component_state/<component>", value "<plugin name>\n<bytes>".
std::string component_state_key(const std::string& component);
std::string component_state_value(const PluginInstance& inst, const std::string& bytes);
// The bytes of `value` when inst's plugin wrote it; otherwise false, with
// *writer the plugin that did ("" when the value is not a state record).
bool component_state_bytes(const std::string& value, const PluginInstance& inst,
                           std::string* writer, std::string_view* bytes);

class DurableState {
 public:
  struct Component {
    const std::string* name;
    PluginInstance* instance;  // null (a Lua rule): nothing stored
  };
  // open(): hands the stored bytes back to each plugin and the chain.
  Status restore(StateStore& store, const std::vector<Component>& components, RiskChain* chain);
  // Before the minute's commit: what changed since the last commit.
  void collect(const std::vector<Component>& components);
  // In the minute's transaction.
  Status persist(StateTxn& txn, const RiskChain& chain) const;
  // After it (ok: the commit's status).
  void on_commit(bool ok, const RiskChain& chain);
  // component -> stored value ("<plugin>\n<bytes>") as last committed.
  const std::map<std::string, std::string>& committed() const { return saved_; }

 private:
  std::map<std::string, std::string> saved_;  // component -> value last committed
  std::vector<std::pair<std::string, std::string>> writes_;  // this minute's changes
  uint64_t errors_ = 0;
  uint32_t saved_chain_errors_ = 0;
};

}  // namespace sh::host
