// lua/: sandboxed, bounded LuaJIT rules (detector, router and risk rules):
// the VM, the trusted FFI prelude, source instrumentation, parameters and the
// file watcher. A library on the SDK and LuaJIT alone.
//
// lua_rule.h: operator-written Lua rules (detectors, routers, risk checks)
// run on LuaJIT, sandboxed and bounded, behind the same batch interface as a
// plugin of their kind.
//
// A rule is one .lua file defining one per-row function:
//   detector: function detect(row, ctx)   -> nil | score [, class [, value [, threshold]]]
//   router:   function route(ev, ctx)     -> "long"|"short"|"flat" [, confidence]
//   risk:     function check(intent, pf)  -> "allow" | "scale", factor [, REASON [, detail]]
//                                                   | "deny", REASON [, detail]
// The host calls the rule once per batch; a trusted prelude loops over the
// rows (FFI structs, read with the ABI stride) and calls the rule per row.
//
// Threading: a LuaRule is used from one thread (the pipeline thread). A
// candidate from prepare() may be built on another thread and then handed to
// commit() on the pipeline thread: it shares nothing with the live rule.
#ifndef SH_HOST_LUA_LUA_RULE_H
#define SH_HOST_LUA_LUA_RULE_H

#include <strategy_host/abi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sh::host {

enum class RuleKind { Detector, Router, Risk };

// "detector" | "router" | "risk".
const char* rule_kind_name(RuleKind kind);

struct LuaRuleConfig {
  std::string name;         // rule name, used in log lines and as the default hit class
  std::string path;         // .lua file; errors name it exactly as written here
  RuleKind kind = RuleKind::Detector;
  std::string params_json;  // JSON object -> the rule's global `params`; "" = {}
  std::string hit_class;    // detector: class of hits that name none; "" = file stem
  // Per batch call. A tick is one loop iteration or one function entry.
  uint64_t instruction_budget = 10'000'000;
  int64_t time_budget_ns = 50'000'000;
  size_t memory_limit_bytes = 64u << 20;  // per rule (each version has its own lua_State)
  enum class OnError { Disable, KeepLastGood } on_error = OnError::KeepLastGood;
  // Appended fields (defaults keep the lead's original contract).
  bool jit = true;  // false: interpreter only (diagnostics, benchmarks)
  // Receives the rule's log()/print() lines and the host's reports about the
  // rule (errors, rollbacks). Unset: lines go to stderr.
  std::function<void(sh_log_level, const std::string&)> log;
  // Resolves row.symbol_name and symbol_name(id). Unset: nil in the rule.
  std::function<const char*(sh_symbol_id)> symbol_name;
  // The configured feature columns rows carry (row.<name>); empty: not known
  // until the first batch (the dry run then refuses any other name).
  std::vector<std::string> feature_columns;
};

// Router output: one per evidence record, in input order.
enum class RouteDirection : int32_t { Flat = 0, Long = 1, Short = -1 };
struct RouteDecision {
  sh_symbol_id symbol = SH_INVALID_SYMBOL;
  RouteDirection direction = RouteDirection::Flat;
  double confidence = 0.0;  // 0..1
};

struct LuaRuleStats {
  uint64_t batches = 0;         // batch calls that ran the rule (not counting dry runs)
  uint64_t rows = 0;            // rows/records handed to the rule
  uint64_t outputs = 0;         // detector hits, non-flat routes, non-allow verdicts
  uint64_t runtime_errors = 0;  // batches that failed (any reason below included)
  uint64_t budget_exceeded = 0; // of which: instruction, time or memory budget
  uint64_t rollbacks = 0;       // on_error: keep_last_good fell back to the previous version
  uint64_t disables = 0;        // the rule was switched off after a failure
  uint64_t reloads_ok = 0;
  uint64_t reloads_failed = 0;
  size_t memory_bytes = 0;      // bytes held by the serving version's lua_State
};

class LuaRuleCandidate;  // a compiled, dry-run version waiting for commit()
struct LuaRuleCandidateDeleter {
  void operator()(LuaRuleCandidate* c) const;
};
// Owns a candidate; opaque outside lua_rule.cpp.
using LuaRuleCandidatePtr = std::unique_ptr<LuaRuleCandidate, LuaRuleCandidateDeleter>;

class LuaRule {
 public:
  // Reads, instruments, compiles, runs and dry-runs the rule. Returns null
  // with *error set ("file:line: message" where a line is known) on failure.
  static std::unique_ptr<LuaRule> load(const LuaRuleConfig& config, std::string* error);

  // Builds a new version from `path` ("" = the configured path) without
  // touching this rule: safe off the pipeline thread. Null + *error on failure.
  static LuaRuleCandidatePtr prepare(const LuaRuleConfig& config, const std::string& path,
                                     std::string* error);
  // Swaps a candidate in (pipeline thread, between batches). The version it
  // replaces is kept for keep_last_good rollback. Re-enables a disabled rule.
  void commit(LuaRuleCandidatePtr candidate);

  // prepare + commit. "" on success, else the error; on failure the old
  // version keeps serving (or the rule stays disabled).
  std::string reload(const std::string& path_or_empty);

  // Batch calls. SH_OK: outputs written. SH_ERR_INTERNAL: the rule failed on
  // this batch (last_error() says why) and the fail-safe outputs were
  // written: no hits / flat / DENY with SH_REASON_POLICY_ERROR. With
  // keep_last_good and a previous version, that version is restored and the
  // same batch re-run on it (its result is returned). SH_ERR_UNSUPPORTED: the
  // rule is disabled or of another kind (fail-safe outputs). Never throws.
  sh_status detect(const sh_feature_batch& rows, const sh_market_context& context,
                   const sh_hit_sink& sink);
  // out must hold evidence.count decisions.
  sh_status route(const sh_evidence_batch& evidence, const sh_market_context& context,
                  RouteDecision* out);
  // out->count must equal intents.count; items written with out->item_size.
  sh_status check(const sh_order_intent_batch& intents, const sh_portfolio_state& portfolio,
                  sh_risk_verdict_batch* out);

  bool enabled() const;
  const std::string& last_error() const { return last_error_; }
  const std::string& content_hash() const { return content_hash_; }  // FNV-1a 64, 16 hex digits
  const std::string& path() const { return path_; }
  RuleKind kind() const { return config_.kind; }
  const std::string& name() const { return config_.name; }
  uint64_t version() const { return version_; }  // 1 after load, +1 per successful reload
  const LuaRuleStats& stats() const;

  ~LuaRule();
  LuaRule(const LuaRule&) = delete;
  LuaRule& operator=(const LuaRule&) = delete;

 private:
  explicit LuaRule(const LuaRuleConfig& config);
  // Runs `attempt` on the serving version; on failure applies on_error.
  template <class Attempt>
  sh_status run_with_policy(Attempt attempt);
  void report(sh_log_level level, const std::string& msg) const;

  LuaRuleConfig config_;
  LuaRuleCandidatePtr current_;   // null while disabled
  LuaRuleCandidatePtr previous_;  // rollback target (keep_last_good)
  std::string last_error_;
  std::string content_hash_;
  std::string path_;
  uint64_t version_ = 0;       // of the serving (or last served) version
  uint64_t next_version_ = 1;  // handed to the next commit
  mutable LuaRuleStats stats_;
};

// Name of a risk reason code as rules spell it ("LOW_CONFIDENCE"), or null.
const char* risk_reason_name(sh_risk_reason reason);

// FNV-1a 64 of `data` as 16 lowercase hex digits (change detection, listing;
// not a security hash).
std::string content_hash_fnv1a64(const std::string& data);

}  // namespace sh::host

#endif  // SH_HOST_LUA_LUA_RULE_H
