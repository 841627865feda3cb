// Fuzzes a `param.reload` message as the control thread receives it: the
// signature envelope (with a secret) and then the message parser with path
// checks, as reload_listener does. Refusals are values; a crash, a sanitizer
// report or an exception escaping is a finding. An accepted message must
// re-serialise and parse to the same request.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "control/reload_message.h"
#include "control/reload_signing.h"

using namespace sh::host;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ReloadPathPolicy policy = [] {
    ReloadPathPolicy p;
    p.base_dir = "/srv/host";
    p.plugin_dirs = {"/srv/host/plugins"};
    p.rule_dirs = {"/srv/host/rules"};
    p.config_dirs = {"/srv/host"};
    p.components = {"risk", "spike", "momentum", "rule"};
    p.lua_components = {"rule"};
    p.require_existing_files = false;
    return p;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool signing : {false, true}) {
    std::string body;
    MessageCheck chk = unwrap_reload_message(text, "fuzz-secret", signing, &body);
    if (!chk.ok()) continue;
    ReloadRequest req;
    chk = parse_reload_message(body, policy, &req);
    if (!chk.ok()) {
      if (chk.category.empty() || chk.reason.empty()) std::abort();
      continue;
    }
    ReloadRequest again;
    if (!parse_reload_message(reload_message_json(req), policy, &again).ok()) std::abort();
    if (again.component != req.component || again.config_path != req.config_path ||
        again.plugin_path != req.plugin_path || again.rule_path != req.rule_path ||
        again.version != req.version || again.rollback_to != req.rollback_to ||
        again.dry_run != req.dry_run || again.nonce != req.nonce || again.signed_ts_ms != req.signed_ts_ms) {
      std::abort();
    }
  }
  return 0;
}
