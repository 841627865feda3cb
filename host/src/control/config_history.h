// Config history: the `config_versions` and `swap_journal` records.
//
// Every configuration a component has served is one ConfigVersion: entry 1 is
// its startup config, each applied swap adds the next number (per component,
// never reused). The same JSON value is stored twice, in ONE transaction:
//
//   config_versions  key: component '\0' big-endian u64 version  (history, rollback)
//   swap_journal     key: big-endian u64 effective_seq, big-endian u64 sequence
//                    (swaps only, in the order they took effect; replay input)
//
// The value carries everything needed to rebuild the candidate without the
// files the request named: the config JSON, the content-addressed plugin
// path and hash, the full Lua source. Component names are [a-z0-9_]+, so the
// '\0' separator keeps "ab" out of "a"'s key range.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "store/state_store.h"
#include "store/status.h"

namespace sh::host {

// How a version was put in service.
enum class SwapKind {
  kStartup,     // the config the run started with (not a swap, not journalled)
  kInstance,    // a new plugin instance (new binary, or params without set_config)
  kSetConfig,   // set_config on the live plugin instance
  kLuaRule,     // a new Lua rule version (source and/or params)
};
// "startup", "instance", "set_config", "lua_rule".
const char* swap_kind_name(SwapKind kind);
bool parse_swap_kind(std::string_view name, SwapKind* kind);

struct ConfigVersion {
  std::string component;
  uint64_t version = 0;        // 1 = startup config of the first run on this store
  std::string label;           // operator label, or the first 12 hex digits of content_hash
  std::string content_hash;    // config_content_hash(config, plugin_sha256 or rule_sha256)
  SwapKind swap = SwapKind::kStartup;
  bool lua = false;
  nlohmann::json config = nlohmann::json::object();  // plugin config, or the rule's params
  std::string plugin_path;     // plugins: content-addressed copy (<state>/plugin_cache/...)
  std::string plugin_sha256;   // of that file
  std::string library_version; // the plugin's descriptor version
  std::string rule_file;       // Lua: the file the source was read from
  std::string rule_source;     // Lua: the full text (replay and rollback rebuild from it)
  std::string rule_hash;       // Lua: FNV-1a 64 of rule_source (the stage's "lua:<hash>")
  uint64_t effective_seq = 0;  // input events consumed before it took effect
  uint64_t session = 0;        // swap_journal only: which run of the store (1, 2, ...)
  uint64_t sequence = 0;       // swap_journal only: order among swaps of all components
  std::string origin;          // "startup", "redis", "reconcile", "cli", "journal", "test"
  int64_t wall_ns = 0;         // when it took effect (not part of any digest)
  // Shadow trials: "" (a plain swap), "start" / "discard" (journal only: no
  // config_versions entry, version 0; the candidate's config, binary or rule
  // as above), "promote" (a plain swap that also ends the trial).
  std::string shadow;
};

nlohmann::json config_version_to_json(const ConfigVersion& v);
// False and *error on a malformed record.
bool config_version_from_json(const std::string& text, ConfigVersion* v, std::string* error);

// SHA-256 (hex) of the canonical config JSON (sorted keys, no spaces), a
// newline and the binary's or rule source's hash.
std::string config_content_hash(const nlohmann::json& config, const std::string& code_hash);

std::string config_version_key(const std::string& component, uint64_t version);
std::string swap_journal_key(uint64_t effective_seq, uint64_t sequence);

// The newest entry of `component`; Status::NotFound when it has none.
Status latest_config_version(const StateTxn& txn, const std::string& component, ConfigVersion* v);
// Entry `version` of `component`; Status::NotFound when absent.
Status read_config_version(const StateTxn& txn, const std::string& component, uint64_t version,
                           ConfigVersion* v);
// Every entry (of `component`, or of all when ""), by component then version.
Status list_config_versions(const StateTxn& txn, const std::string& component,
                            std::vector<ConfigVersion>* out);
// The newest startup entry of `component` (the YAML config a run started
// with); Status::NotFound when it has none.
Status latest_startup_version(const StateTxn& txn, const std::string& component, ConfigVersion* v);
// Every swap_journal entry in key order (effective_seq, sequence).
Status list_swap_journal(const StateTxn& txn, std::vector<ConfigVersion>* out);

// Writes v into config_versions, and into swap_journal unless it is a
// startup entry; a shadow "start" or "discard" goes into swap_journal only.
// Write transaction only.
Status put_config_version(StateTxn& txn, const ConfigVersion& v);

}  // namespace sh::host
