#include "config/pipeline_config.h"

#include "config/config_keys.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_source.h"
#include "config/features_config.h"
#include "decision/trading_mode.h"
#include "services/host_services.h"
#include "config/yaml_json.h"

namespace sh::host {
namespace {

// Reads an optional scalar of type T; a present but unparsable value is an
// error at that node.
template <typename T>
T get_or(const HostConfig& cfg, const YAML::Node& section, const char* key, T fallback) {
  const YAML::Node n = section[key];
  if (!n) return fallback;
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(cfg.message_at(n, std::string("'") + key + "' has the wrong type"));
  }
}

// A key or list item that must be a plain string (a name, a symbol, a class):
// a map or list there is an error at that node, never a YAML exception.
std::string scalar_string(const HostConfig& cfg, const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) throw ConfigError(cfg.message_at(n, what + ": expected a name, not a map or list"));
  return n.Scalar();
}

void check_keys(const HostConfig& cfg, const YAML::Node& section, const char* name,
                const std::vector<std::string>& allowed) {
  if (!section) return;
  if (!section.IsMap()) throw ConfigError(cfg.message_at(section, std::string(name) + ": expected a map"));
  check_known_keys(section, cfg.source(), std::string(name) + ":", allowed);
}

// A *_ms key as nanoseconds, refused (naming the key as written) where the
// product would not fit.
int64_t ms_as_ns(const HostConfig& cfg, const YAML::Node& s, const char* key, int64_t fallback_ns) {
  const int64_t ms = get_or<int64_t>(cfg, s, key, fallback_ns / 1000000);
  if (ms > INT64_MAX / 1000000 || ms < INT64_MIN / 1000000) {
    throw ConfigError(cfg.message_at(s[key], std::string("conveyor.") + key + " is out of range"));
  }
  return ms * 1000000;
}

std::set<std::string> string_set(const HostConfig& cfg, const YAML::Node& n) {
  std::set<std::string> out;
  if (!n) return out;
  if (!n.IsSequence()) throw ConfigError(cfg.message_at(n, "expected a list"));
  for (const auto& item : n) out.insert(scalar_string(cfg, item, "list item"));
  return out;
}

void parse_conveyor(const HostConfig& cfg, const YAML::Node& s, PipelineConfig& out,
                    HostRuntime& runtime) {
  check_keys(cfg, s, "conveyor",
             {"bar_interval_ms", "lateness_ms", "benchmark", "baseline_warmup", "baseline_window",
              "stale_book_ms", "l2_levels", "late_policy", "poll_max_events", "close_on",
              "max_clock_skew_ms", "shards"});
  ConveyorConfig& c = out.conveyor;
  // Live modes close minutes on the receive clock as well (conveyor.h,
  // "Receive clock"); replay on event time alone.
  const std::string close_on =
      get_or<std::string>(cfg, s, "close_on", out.mode == RunMode::kReplay ? "event_time" : "receive_clock");
  if (close_on != "receive_clock" && close_on != "event_time") {
    throw ConfigError(cfg.message_at(s["close_on"], "close_on must be receive_clock or event_time, not '" + close_on + "'"));
  }
  c.receive_clock = close_on == "receive_clock";
  c.max_clock_skew_ns = ms_as_ns(cfg, s, "max_clock_skew_ms", c.max_clock_skew_ns);
  c.bar_interval_ns = ms_as_ns(cfg, s, "bar_interval_ms", c.bar_interval_ns);
  c.lateness_ns = ms_as_ns(cfg, s, "lateness_ms", c.lateness_ns);
  c.baseline_warmup = get_or<uint32_t>(cfg, s, "baseline_warmup", c.baseline_warmup);
  c.baseline_window = get_or<uint32_t>(cfg, s, "baseline_window", c.baseline_window);
  c.stale_book_ns = ms_as_ns(cfg, s, "stale_book_ms", c.stale_book_ns);
  c.l2_levels = get_or<uint32_t>(cfg, s, "l2_levels", c.l2_levels);
  c.shards = get_or<uint32_t>(cfg, s, "shards", c.shards);
  out.poll_max_events = get_or<uint32_t>(cfg, s, "poll_max_events", out.poll_max_events);
  if (out.poll_max_events == 0) throw ConfigError(cfg.message_at(s["poll_max_events"], "poll_max_events must be > 0"));
  const std::string late = get_or<std::string>(cfg, s, "late_policy", "fold");
  if (late == "fold") {
    c.late_policy = ConveyorConfig::LatePolicy::Fold;
  } else if (late == "report") {
    c.late_policy = ConveyorConfig::LatePolicy::Report;
  } else {
    throw ConfigError(cfg.message_at(s["late_policy"], "late_policy must be fold or report, not '" + late + "'"));
  }
  out.benchmark_symbol = get_or<std::string>(cfg, s, "benchmark", "");
  if (!out.benchmark_symbol.empty()) c.benchmark = runtime.symbols.intern(out.benchmark_symbol);
  std::string problem = Conveyor::validate(c);
  if (!problem.empty()) {
    // validate() speaks of the conveyor's fields; say it with the keys the
    // user wrote, at the key when it is in the file.
    YAML::Node at = s;
    for (const char* key : {"bar_interval", "lateness", "stale_book"}) {
      const std::string ns = std::string(key) + "_ns", ms = std::string(key) + "_ms";
      if (problem.compare(0, ns.size(), ns) != 0) continue;
      problem.replace(0, ns.size(), ms);
      if (s[ms]) at = s[ms];
    }
    for (const char* key : {"baseline_window", "baseline_warmup", "l2_levels", "shards"}) {
      if (problem.compare(0, std::string(key).size(), key) == 0 && s[key]) at = s[key];
    }
    throw ConfigError(s ? cfg.message_at(at, "conveyor." + problem) : cfg.source_name() + ": conveyor." + problem);
  }
}

void parse_events(const HostConfig& cfg, const YAML::Node& s, PipelineConfig& out) {
  if (!s.IsMap()) throw ConfigError(cfg.message_at(s, "events: expected a map"));
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kv : s) {
    const std::string key = scalar_string(cfg, kv.first, "events key");
    if (key == "canary") {
      check_keys(cfg, kv.second, "events.canary", {"symbols", "classes"});
      out.canary.symbols = string_set(cfg, kv.second["symbols"]);
      out.canary.classes = string_set(cfg, kv.second["classes"]);
      continue;
    }
    j[key] = yaml_to_json(kv.second, cfg.source());
  }
  Status st = EventGateConfig::from_json(j, &out.gate);
  if (st.ok()) st = out.gate.validate();
  if (!st.ok()) throw ConfigError(cfg.message_at(s, "events: " + st.message()));
}

void parse_sinks(const HostConfig& cfg, const YAML::Node& s, PipelineConfig& out) {
  check_keys(cfg, s, "sinks", {"jsonl", "shadow_jsonl", "candidates_jsonl", "redis_stream", "redis_maxlen"});
  SinkSettings& k = out.sinks;
  k.jsonl = get_or<std::string>(cfg, s, "jsonl", k.jsonl);
  k.shadow_jsonl = get_or<std::string>(cfg, s, "shadow_jsonl", k.shadow_jsonl);
  k.candidates_jsonl = get_or<std::string>(cfg, s, "candidates_jsonl", k.candidates_jsonl);
  k.redis_stream = get_or<std::string>(cfg, s, "redis_stream", k.redis_stream);
  k.redis_maxlen = get_or<uint64_t>(cfg, s, "redis_maxlen", k.redis_maxlen);
}

void parse_redis(const HostConfig& cfg, const YAML::Node& s, PipelineConfig& out) {
  check_keys(cfg, s, "redis", {"host", "port", "timeout_ms"});
  if (s.IsNull()) return;
  out.redis.enabled = true;
  out.redis.host = get_or<std::string>(cfg, s, "host", out.redis.host);
  out.redis.port = get_or<int>(cfg, s, "port", out.redis.port);
  out.redis.timeout_ms = get_or<int>(cfg, s, "timeout_ms", out.redis.timeout_ms);
  if (out.redis.port <= 0 || out.redis.port > 65535) {
    throw ConfigError(cfg.message_at(s["port"], "redis.port must be 1..65535"));
  }
}

// execution.emergency_reduce: {enabled, var_pct, target_var_pct}.
void parse_emergency_reduce(const HostConfig& cfg, const YAML::Node& n, EmergencyReduceConfig* r) {
  if (!n) return;
  if (!n.IsMap()) {
    throw ConfigError(cfg.message_at(n, "execution.emergency_reduce: expected a map of enabled, var_pct, target_var_pct"));
  }
  check_keys(cfg, n, "execution.emergency_reduce", {"enabled", "var_pct", "target_var_pct"});
  r->enabled = get_or<bool>(cfg, n, "enabled", r->enabled);
  r->var_pct = get_or<double>(cfg, n, "var_pct", r->var_pct);
  r->target_var_pct = get_or<double>(cfg, n, "target_var_pct", r->target_var_pct);
  if (!(r->var_pct > 0 && r->var_pct <= 100)) {
    throw ConfigError(cfg.message_at(n["var_pct"] ? n["var_pct"] : n, "execution.emergency_reduce.var_pct must be in (0, 100]"));
  }
  if (!(r->target_var_pct > 0 && r->target_var_pct < r->var_pct)) {
    throw ConfigError(cfg.message_at(n["target_var_pct"] ? n["target_var_pct"] : n,
                                     "execution.emergency_reduce.target_var_pct must be > 0 and below var_pct"));
  }
}

void parse_decision(const HostConfig& cfg, const YAML::Node& cons, const YAML::Node& exec,
                    PipelineConfig& out) {
  DecisionSettings& d = out.decision;
  std::vector<std::string> experts;
  for (const ComponentConfig& c : cfg.experts()) {
    if (!c.is_lua) experts.push_back(c.name);
  }
  d.enabled = !experts.empty();
  check_keys(cfg, cons, "consensus", {"weights", "threshold", "min_confidence", "router"});
  check_keys(cfg, exec, "execution",
             {"mode", "order_notional_usd", "slippage_bps", "fill", "initial_cash_usd", "safe_mode_errors",
              "emergency_reduce", "venue", "ack_timeout_ms", "canary", "reconcile",
              "stop_wait_ms"});
  parse_emergency_reduce(cfg, exec["emergency_reduce"], &d.emergency_reduce);
  if (const YAML::Node list = exec["safe_mode_errors"]) {
    if (!list.IsSequence()) {
      throw ConfigError(cfg.message_at(list, "execution.safe_mode_errors: expected a list of expert, detector, router, provider, gap"));
    }
    d.safe_mode_errors = 0;
    for (const auto& item : list) {
      const std::string v = scalar_string(cfg, item, "execution.safe_mode_errors item");
      if (v == "expert") d.safe_mode_errors |= DecisionSettings::kErrExpert;
      else if (v == "detector") d.safe_mode_errors |= DecisionSettings::kErrDetector;
      else if (v == "router") d.safe_mode_errors |= DecisionSettings::kErrRouter;
      else if (v == "provider") d.safe_mode_errors |= DecisionSettings::kErrProvider;
      else if (v == "gap") d.safe_mode_errors |= DecisionSettings::kErrGap;
      else if (v != "risk")
        throw ConfigError(cfg.message_at(item, "execution.safe_mode_errors: unknown source '" + v +
                                                   "' (expected risk, expert, detector, router, provider, gap)"));
    }
  }
  ConsensusConfig& c = d.consensus;
  const YAML::Node w = cons["weights"];
  if (w) {
    if (!w.IsMap()) throw ConfigError(cfg.message_at(w, "consensus.weights: expected a map"));
    for (const auto& kv : w) {
      const std::string name = scalar_string(cfg, kv.first, "consensus.weights key");
      double v = 0;
      try {
        v = kv.second.as<double>();
      } catch (const YAML::Exception&) {
        throw ConfigError(cfg.message_at(kv.second, "consensus.weights." + name + ": expected a number"));
      }
      if (d.enabled && std::find(experts.begin(), experts.end(), name) == experts.end()) {
        throw ConfigError(cfg.message_at(kv.first, "consensus.weights." + name +
                                                       ": no expert component named '" + name + "'"));
      }
      c.weights[name] = v;
    }
  } else {
    for (const std::string& e : experts) c.weights[e] = 1.0;  // equal weights
  }
  c.threshold = get_or<double>(cfg, cons, "threshold", c.threshold);
  c.min_confidence = get_or<double>(cfg, cons, "min_confidence", c.min_confidence);
  if (d.enabled) {
    for (const std::string& e : experts) {
      if (c.weights.find(e) == c.weights.end()) {
        throw ConfigError(cfg.message_at(w, "consensus.weights: expert '" + e + "' has no weight"));
      }
    }
    const Status st = validate_consensus_config(c);
    if (!st.ok()) throw ConfigError(cfg.message_at(cons, st.message()));
  }
  const YAML::Node r = cons["router"];
  if (r) {
    check_keys(cfg, r, "consensus.router", {"candidates", "min_confidence", "hysteresis", "confirm_minutes"});
    ModelRouterConfig& rc = d.router;
    const YAML::Node cands = r["candidates"];
    if (cands) {
      if (!cands.IsSequence()) throw ConfigError(cfg.message_at(cands, "consensus.router.candidates: expected a list"));
      for (const auto& item : cands) {
        const std::string name = scalar_string(cfg, item, "consensus.router.candidates item");
        if (d.enabled && std::find(experts.begin(), experts.end(), name) == experts.end()) {
          throw ConfigError(cfg.message_at(item, "consensus.router.candidates: no expert component named '" + name + "'"));
        }
        rc.candidates.push_back(name);
      }
    } else {
      rc.candidates = experts;
    }
    rc.min_confidence = get_or<double>(cfg, r, "min_confidence", rc.min_confidence);
    rc.hysteresis = get_or<double>(cfg, r, "hysteresis", rc.hysteresis);
    rc.confirm_minutes = get_or<uint32_t>(cfg, r, "confirm_minutes", rc.confirm_minutes);
    if (d.enabled) {
      const Status st = validate_model_router_config(rc);
      if (!st.ok()) throw ConfigError(cfg.message_at(r, "consensus.router: " + st.message()));
      d.router_enabled = true;
    }
  }

  const std::string mode = get_or<std::string>(cfg, exec, "mode", "paper");
  if (mode != "paper" && mode != "live") {
    throw ConfigError(cfg.message_at(exec["mode"], "execution.mode must be paper or live, not '" + mode + "'"));
  }
  if (mode == "live" && d.enabled) {
    if (!cfg.venue_explicit()) {
      throw ConfigError(cfg.message_at(
          exec["mode"], std::string(kLiveNeedsBrokerMessage) +
                            ": name one in execution.venue (e.g. {plugin: binance_venue, config: {...}})"));
    }
    if (out.mode == RunMode::kReplay) {
      throw ConfigError(cfg.message_at(exec["mode"],
                                       "execution.mode: live does not run in host mode replay (a "
                                       "replay would send its orders to a real market); use "
                                       "dry-run, shadow, canary or production"));
    }
  }
  d.broker.mode = mode == "live" ? TradingMode::kLive : TradingMode::kPaper;
  const int64_t ack_ms = get_or<int64_t>(cfg, exec, "ack_timeout_ms", 30000);
  if (ack_ms < 0) {
    throw ConfigError(cfg.message_at(exec["ack_timeout_ms"], "execution.ack_timeout_ms must be >= 0 (0 = never)"));
  }
  d.broker.ack_timeout_ns = ack_ms * 1000000;
  const int64_t stop_wait_ms = get_or<int64_t>(cfg, exec, "stop_wait_ms", d.stop_wait_ms);
  if (stop_wait_ms < 0 || stop_wait_ms > 600000) {
    throw ConfigError(cfg.message_at(exec["stop_wait_ms"], "execution.stop_wait_ms must be 0..600000"));
  }
  d.stop_wait_ms = stop_wait_ms;
  if (const YAML::Node rec = exec["reconcile"]) {
    check_keys(cfg, rec, "execution.reconcile", {"interval_minutes", "on_mismatch", "start_wait_ms"});
    d.reconcile_interval_minutes = get_or<uint32_t>(cfg, rec, "interval_minutes", 0);
    const int64_t wait_ms = get_or<int64_t>(cfg, rec, "start_wait_ms", d.reconcile_start_wait_ms);
    if (wait_ms < 0 || wait_ms > 600000) {
      throw ConfigError(cfg.message_at(rec["start_wait_ms"], "execution.reconcile.start_wait_ms must be 0..600000"));
    }
    d.reconcile_start_wait_ms = wait_ms;
    const std::string on = get_or<std::string>(cfg, rec, "on_mismatch", "log");
    if (on == "log") {
      d.reconcile_on_mismatch = DecisionSettings::OnMismatch::kLog;
    } else if (on == "halt") {
      d.reconcile_on_mismatch = DecisionSettings::OnMismatch::kHalt;
    } else if (on == "adopt") {
      d.reconcile_on_mismatch = DecisionSettings::OnMismatch::kAdopt;
    } else {
      throw ConfigError(cfg.message_at(rec["on_mismatch"], "execution.reconcile.on_mismatch must be log, halt or adopt, not '" + on + "'"));
    }
  }
  if (const YAML::Node canary = exec["canary"]) {
    check_keys(cfg, canary, "execution.canary", {"symbols", "max_notional_usd"});
    d.canary_symbols = string_set(cfg, canary["symbols"]);
    d.canary_max_notional_usd = get_or<double>(cfg, canary, "max_notional_usd", 0.0);
    if (d.canary_symbols.empty()) {
      throw ConfigError(cfg.message_at(canary, "execution.canary.symbols: list at least one symbol"));
    }
    if (!(d.canary_max_notional_usd > 0) || !std::isfinite(d.canary_max_notional_usd)) {
      throw ConfigError(cfg.message_at(canary["max_notional_usd"] ? canary["max_notional_usd"] : canary,
                                       "execution.canary.max_notional_usd must be > 0"));
    }
  }
  if (d.enabled && mode == "live" && out.mode == RunMode::kCanary && d.canary_symbols.empty()) {
    throw ConfigError(cfg.message_at(exec, "host mode canary with a live venue needs execution.canary: "
                                           "{symbols: [...], max_notional_usd: N}"));
  }
  d.order_notional_usd = get_or<double>(cfg, exec, "order_notional_usd", d.order_notional_usd);
  if (!(d.order_notional_usd > 0) || !std::isfinite(d.order_notional_usd)) {
    throw ConfigError(cfg.message_at(exec["order_notional_usd"], "execution.order_notional_usd must be > 0"));
  }
  // fill and slippage_bps configure the default paper venue (HostConfig::
  // parse_venue hands them to it); checked here so that errors name the line.
  const double slippage = get_or<double>(cfg, exec, "slippage_bps", 1.0);
  if (!(slippage >= 0 && slippage <= 10000)) {
    throw ConfigError(cfg.message_at(exec["slippage_bps"], "execution.slippage_bps must be 0..10000"));
  }
  d.broker.initial_cash_usd = get_or<double>(cfg, exec, "initial_cash_usd", 100000.0);
  if (!(d.broker.initial_cash_usd > 0) || !std::isfinite(d.broker.initial_cash_usd)) {
    throw ConfigError(cfg.message_at(exec["initial_cash_usd"], "execution.initial_cash_usd must be > 0"));
  }
  const std::string fill = get_or<std::string>(cfg, exec, "fill", "next_open");
  if (fill != "next_open" && fill != "mid" && fill != "book") {
    throw ConfigError(cfg.message_at(exec["fill"], "execution.fill must be next_open, mid or book, not '" + fill + "'"));
  }
}

// The section, or an empty map when absent (a missing key on a const node is
// an invalid node that throws when indexed).
void parse_limits(const HostConfig& cfg, const YAML::Node& s, const std::string& name, MarketDataLimits* l) {
  l->min_price = get_or<double>(cfg, s, "min_price", l->min_price);
  l->max_price = get_or<double>(cfg, s, "max_price", l->max_price);
  l->max_size = get_or<double>(cfg, s, "max_size", l->max_size);
  l->max_jump_bps = get_or<double>(cfg, s, "max_jump_bps", l->max_jump_bps);
  (void)name;
}

void parse_market_data(const HostConfig& cfg, const YAML::Node& s, PipelineConfig& out) {
  static const std::vector<std::string> kLimitKeys = {"min_price", "max_price", "max_size", "max_jump_bps"};
  std::vector<std::string> keys = kLimitKeys;
  keys.insert(keys.end(), {"enabled", "dedupe_window", "log_limit_per_reason", "rejects_file", "symbols"});
  check_keys(cfg, s, "market_data", keys);
  MarketDataGuardConfig& m = out.market_data;
  m.enabled = get_or<bool>(cfg, s, "enabled", m.enabled);
  m.dedupe_window = get_or<uint32_t>(cfg, s, "dedupe_window", m.dedupe_window);
  m.log_limit_per_reason = get_or<uint32_t>(cfg, s, "log_limit_per_reason", m.log_limit_per_reason);
  m.rejects_file = get_or<std::string>(cfg, s, "rejects_file", m.rejects_file);
  parse_limits(cfg, s, "market_data", &m.defaults);
  if (const YAML::Node sym = s["symbols"]) {
    if (!sym.IsMap()) throw ConfigError(cfg.message_at(sym, "market_data.symbols: expected a map of symbol -> limits"));
    for (const auto& kv : sym) {
      const std::string name = scalar_string(cfg, kv.first, "market_data.symbols key");
      check_keys(cfg, kv.second, ("market_data.symbols." + name).c_str(), kLimitKeys);
      MarketDataLimits l = m.defaults;  // a symbol overrides what it names
      parse_limits(cfg, kv.second, name, &l);
      m.by_symbol[name] = l;
    }
  }
  const std::string problem = m.validate();
  if (!problem.empty()) throw ConfigError(s ? cfg.message_at(s, problem) : cfg.source_name() + ": " + problem);
}

YAML::Node section(const YAML::Node& root, const char* key) {
  if (root.IsMap() && root[key]) return root[key];
  return YAML::Node(YAML::NodeType::Map);
}

}  // namespace

PipelineConfig parse_pipeline_config(const HostConfig& config, HostRuntime& runtime) {
  PipelineConfig out;
  out.mode = config.mode();
  const YAML::Node& root = config.root();
  parse_conveyor(config, section(root, "conveyor"), out, runtime);
  out.conveyor.features = parse_features(config, root);
  runtime.feature_columns.clear();
  for (const FeatureSpec& f : out.conveyor.features->specs()) runtime.feature_columns.push_back(f.name);
  parse_events(config, section(root, "events"), out);
  parse_sinks(config, section(root, "sinks"), out);
  if (root.IsMap() && root["redis"]) parse_redis(config, root["redis"], out);
  const YAML::Node state = section(root, "state");
  check_keys(config, state, "state",
             {"map_size_mb", "max_map_size_mb", "durability", "retention_days", "retention_export",
              "commit_thread"});
  out.state_commit_thread = get_or<bool>(config, state, "commit_thread", true);
  out.state_sync_commits = !(out.mode == RunMode::kReplay || out.mode == RunMode::kDryRun);
  if (state["durability"]) {
    const std::string d = get_or<std::string>(config, state, "durability", "");
    if (d != "sync" && d != "process") {
      throw ConfigError(config.message_at(state["durability"], "state.durability must be sync or process, not '" + d + "'"));
    }
    out.state_sync_commits = d == "sync";
  }
  out.state_map_size_bytes = get_or<uint64_t>(config, state, "map_size_mb", out.state_map_size_bytes >> 20) << 20;
  out.state_max_map_size_bytes = get_or<uint64_t>(config, state, "max_map_size_mb", 0) << 20;
  if (out.state_map_size_bytes == 0) {
    throw ConfigError(config.message_at(state["map_size_mb"], "state.map_size_mb must be at least 1"));
  }
  if (out.state_max_map_size_bytes != 0 && out.state_max_map_size_bytes < out.state_map_size_bytes) {
    throw ConfigError(config.message_at(state["max_map_size_mb"],
                                        "state.max_map_size_mb must be 0 (no limit) or at least "
                                        "state.map_size_mb"));
  }
  out.state_retention_days = get_or<double>(config, state, "retention_days", 0.0);
  if (!(out.state_retention_days >= 0) || out.state_retention_days > 36500) {
    throw ConfigError(config.message_at(state["retention_days"],
                                        "state.retention_days must be 0 (keep everything) or a "
                                        "number of days up to 36500"));
  }
  out.state_retention_export = get_or<bool>(config, state, "retention_export", false);
  parse_decision(config, section(root, "consensus"), section(root, "execution"), out);
  parse_market_data(config, section(root, "market_data"), out);
  out.alerts = parse_alert_config(config);
  out.daily_report = parse_daily_report_config(config);
  if (!out.sinks.redis_stream.empty() && !out.redis.enabled) {
    throw ConfigError(config.message_at(section(root, "sinks")["redis_stream"],
                                        "sinks.redis_stream needs a redis: section"));
  }
  return out;
}

}  // namespace sh::host
