// lua_rule.cpp: versions, validation before use (compile + dry run), the
// on_error policy and the ABI-facing batch calls of a Lua rule.
#include "lua/lua_rule.h"

#include "lua/rule_prelude.h"
#include "lua/rule_vm.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

namespace sh::host {

const char* rule_kind_name(RuleKind kind) {
  switch (kind) {
    case RuleKind::Router: return "router";
    case RuleKind::Risk: return "risk";
    case RuleKind::Detector: break;
  }
  return "detector";
}

const char* risk_reason_name(sh_risk_reason reason) {
  for (size_t i = 0; i < kRiskReasonCount; ++i) {
    if (kRiskReasonNames[i].code == reason) return kRiskReasonNames[i].name;
  }
  return nullptr;
}

std::string content_hash_fnv1a64(const std::string& data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// One compiled, validated version of a rule: its own lua_State.
class LuaRuleCandidate {
 public:
  std::unique_ptr<RuleVm> vm;
  std::string path;
  std::string hash;
  std::string default_class;  // hit class of hits that name none
  uint64_t version = 0;       // assigned by commit()
};

void LuaRuleCandidateDeleter::operator()(LuaRuleCandidate* c) const { delete c; }

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool read_file(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open rule file: " + std::strerror(errno);
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = path + ": cannot read rule file";
    return false;
  }
  return true;
}

std::string file_stem(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.rfind('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

// Full-size records with every double null: the base onto which a shorter
// (older producer's) record is copied, so rules always see every field.
sh_feature_row null_row() {
  sh_feature_row r;
  std::memset(&r, 0, sizeof r);
  double* first = &r.open;
  double* last = &r.rs_benchmark;
  std::fill(first, last + 1, kNaN);
  r.struct_size = sizeof r;
  return r;
}

sh_market_context null_context() {
  sh_market_context c;
  std::memset(&c, 0, sizeof c);
  c.struct_size = sizeof c;
  c.breadth = c.leader_ret = c.benchmark_ret = kNaN;
  return c;
}

sh_evidence null_evidence() {
  sh_evidence e;
  std::memset(&e, 0, sizeof e);
  e.struct_size = sizeof e;
  e.flags = SH_EVIDENCE_FLAG_ABSTAIN;
  e.prob_long = e.prob_short = e.confidence = kNaN;
  return e;
}

sh_order_intent null_intent() {
  sh_order_intent o;
  std::memset(&o, 0, sizeof o);
  o.struct_size = sizeof o;
  o.qty = o.price = o.notional_usd = o.confidence = o.prob_long = o.prob_short = kNaN;
  return o;
}

sh_position null_position() {
  sh_position p;
  std::memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.qty = p.avg_price = p.mark_price = p.notional_usd = p.unrealized_pnl_usd = kNaN;
  return p;
}

// Copies a record of a possibly older/shorter layout over `base`: only the
// bytes both the stride and the record's own struct_size vouch for.
template <class T>
T normalized(const unsigned char* src, uint32_t stride, const T& base) {
  uint32_t declared;
  std::memcpy(&declared, src, sizeof declared);
  size_t n = std::min<size_t>({stride, declared, sizeof(T)});
  T out = base;
  std::memcpy(&out, src, n);
  return out;
}

// Returns a pointer to `count` records readable with stride `*stride` at full
// size: the caller's array when it already is, else a normalised copy in
// `scratch` (older producers, short strides). A batch has one producer, so
// the first record's struct_size speaks for all (checking every row would
// touch every row's cache line once more); a stride >= sizeof(T) keeps reads
// in bounds whatever the later records claim.
template <class T>
const void* full_records(const void* items, uint32_t count, uint32_t* stride, const T& base,
                         std::vector<T>* scratch) {
  const auto* bytes = static_cast<const unsigned char*>(items);
  bool full = *stride >= sizeof(T);
  if (full && count > 0) {
    uint32_t declared;
    std::memcpy(&declared, bytes, sizeof declared);
    full = declared >= sizeof(T);
  }
  if (full) return items;
  scratch->resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    (*scratch)[i] = normalized(bytes + static_cast<size_t>(i) * *stride, *stride, base);
  }
  *stride = sizeof(T);
  return scratch->data();
}

// ---- dry run: a few synthetic records, including nulls and odd values ----

struct SampleRows {
  std::vector<sh_feature_row> rows;
  sh_market_context ctx;
};

SampleRows sample_rows() {
  SampleRows s;
  sh_feature_row quiet = null_row();
  quiet.symbol = 1;
  quiet.minute_ts_ns = 1'700'000'000'000'000'000;
  quiet.dq = SH_DQ_OK;
  quiet.open = 100; quiet.high = 100.2; quiet.low = 99.9; quiet.close = 100.1;
  quiet.volume = 12.5; quiet.vwap = 100.05; quiet.trade_count = 40;
  quiet.log_ret = 0.0004; quiet.mom_20 = 0.002; quiet.rv_5 = 0.0005; quiet.rsi_14 = 55;
  quiet.atr_14 = 0.3; quiet.ema_20 = 100; quiet.spread_bps = 1.5; quiet.l2_imbalance = 0.1;
  quiet.book_staleness_ms = 20; quiet.ingest_lag_ms = 3;
  quiet.z_ret = 0.4; quiet.z_volume = -0.2; quiet.z_spread = 0.1;
  quiet.q_ret = 0.5; quiet.q_volume = 0.4; quiet.q_spread = 0.5; quiet.rs_benchmark = 0.0001;
  sh_feature_row spike = quiet;
  spike.symbol = 2;
  spike.log_ret = -0.02; spike.z_ret = -7.5; spike.z_volume = 9; spike.q_volume = 0.999;
  spike.z_spread = 6; spike.spread_bps = 80; spike.q_ret = 1; spike.q_spread = 1;
  sh_feature_row cold = null_row();  // baselines not warm: every double null
  cold.symbol = 3;
  cold.minute_ts_ns = quiet.minute_ts_ns;
  cold.dq = SH_DQ_GAP;
  sh_feature_row zeros = quiet;
  zeros.symbol = 4;
  zeros.dq = SH_DQ_NO_TRADES;
  zeros.volume = 0; zeros.trade_count = 0; zeros.log_ret = 0; zeros.z_ret = 0;
  zeros.z_volume = 0; zeros.spread_bps = 0; zeros.rsi_14 = 100;
  s.rows = {quiet, spike, cold, zeros};
  s.ctx = null_context();
  s.ctx.symbol_count = 4;
  s.ctx.minute_ts_ns = quiet.minute_ts_ns;
  s.ctx.breadth = 0.5;
  s.ctx.leader = 2;
  s.ctx.leader_ret = -0.02;
  return s;
}

std::vector<sh_evidence> sample_evidence() {
  sh_evidence a = null_evidence();
  a.symbol = 1; a.flags = 0; a.prob_long = 0.7; a.prob_short = 0.2; a.confidence = 0.8;
  sh_evidence b = a;
  b.symbol = 2; b.prob_long = 0.1; b.prob_short = 0.85; b.confidence = 0.3;
  sh_evidence c = null_evidence();  // abstained: all null
  c.symbol = 3;
  return {a, b, c};
}

struct SampleRisk {
  std::vector<sh_order_intent> intents;
  LuaPortfolio pf;
  std::vector<sh_position> positions;
};

SampleRisk sample_risk() {
  SampleRisk s;
  sh_order_intent a = null_intent();
  a.symbol = 1; a.intent_id = 42; a.ts_ns = 1'700'000'000'000'000'000; a.side = SH_SIDE_BUY;
  a.qty = 0.5; a.price = 100; a.notional_usd = 50; a.confidence = 0.9; a.prob_long = 0.8;
  a.prob_short = 0.1;
  sh_order_intent b = a;
  b.symbol = 2; b.side = SH_SIDE_SELL; b.confidence = 0.2; b.notional_usd = 5000;
  sh_order_intent c = null_intent();
  c.symbol = 3; c.side = SH_SIDE_BUY;
  s.intents = {a, b, c};
  std::memset(&s.pf, 0, sizeof s.pf);
  s.pf.struct_size = sizeof(sh_portfolio_state);
  s.pf.position_size = sizeof(sh_position);
  s.pf.position_count = 1;
  s.pf.ts_ns = a.ts_ns;
  s.pf.equity_usd = 10000; s.pf.cash_usd = 9000; s.pf.gross_exposure_usd = 1000;
  s.pf.net_exposure_usd = 1000; s.pf.daily_pnl_usd = -20; s.pf.peak_equity_usd = 10100;
  s.pf.drawdown_pct = 0.99; s.pf.var_pct = 1.2; s.pf.decision_latency_ms = 4;
  sh_position p = null_position();
  p.symbol = 1; p.qty = 10; p.avg_price = 99; p.mark_price = 100; p.notional_usd = 1000;
  p.unrealized_pnl_usd = 10;
  s.positions = {p};
  return s;
}

VmCall dry_run(RuleVm& vm, RuleKind kind) {
  switch (kind) {
    case RuleKind::Detector: {
      SampleRows s = sample_rows();
      std::vector<LuaHitOut> hits;
      uint32_t n_hits = 0;
      return vm.run_detect(s.rows.data(), static_cast<uint32_t>(s.rows.size()),
                           sizeof(sh_feature_row), s.ctx, &hits, &n_hits);
    }
    case RuleKind::Router: {
      std::vector<sh_evidence> ev = sample_evidence();
      sh_market_context ctx = sample_rows().ctx;
      std::vector<LuaRouteOut> out;
      return vm.run_route(ev.data(), static_cast<uint32_t>(ev.size()), sizeof(sh_evidence), ctx,
                          &out);
    }
    case RuleKind::Risk: {
      SampleRisk s = sample_risk();
      std::vector<sh_risk_verdict> out;
      return vm.run_check(s.intents.data(), static_cast<uint32_t>(s.intents.size()),
                          sizeof(sh_order_intent), s.pf, s.positions.data(),
                          static_cast<uint32_t>(s.positions.size()), &out);
    }
  }
  return VmCall{};
}

LuaPortfolio portfolio_view(const sh_portfolio_state& in) {
  // Read only the fields the producer's struct_size vouches for.
  sh_portfolio_state full;
  std::memset(&full, 0, sizeof full);
  full.equity_usd = full.cash_usd = full.gross_exposure_usd = full.net_exposure_usd = kNaN;
  full.daily_pnl_usd = full.peak_equity_usd = full.drawdown_pct = full.var_pct = kNaN;
  full.decision_latency_ms = kNaN;
  std::memcpy(&full, &in, std::min<size_t>(in.struct_size, sizeof full));
  LuaPortfolio v;
  v.struct_size = full.struct_size;
  v.position_size = full.position_size;
  v.position_count = full.position_count;
  v.consecutive_errors = full.consecutive_errors;
  v.ts_ns = full.ts_ns;
  v.equity_usd = full.equity_usd;
  v.cash_usd = full.cash_usd;
  v.gross_exposure_usd = full.gross_exposure_usd;
  v.net_exposure_usd = full.net_exposure_usd;
  v.daily_pnl_usd = full.daily_pnl_usd;
  v.peak_equity_usd = full.peak_equity_usd;
  v.drawdown_pct = full.drawdown_pct;
  v.var_pct = full.var_pct;
  v.decision_latency_ms = full.decision_latency_ms;
  return v;
}

// Per-thread scratch for normalised inputs and outputs, reused across calls
// so that a steady-state batch allocates nothing.
struct Scratch {
  std::vector<sh_feature_row> rows;
  std::vector<sh_evidence> evidence;
  std::vector<sh_order_intent> intents;
  std::vector<sh_position> positions;
  std::vector<LuaHitOut> hits;
  std::vector<sh_detector_hit> abi_hits;
  std::vector<LuaRouteOut> routes;
  std::vector<sh_risk_verdict> verdicts;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

// ------------------------------------------------------------------ loading

LuaRule::LuaRule(const LuaRuleConfig& config) : config_(config) {}
LuaRule::~LuaRule() = default;

LuaRuleCandidatePtr LuaRule::prepare(const LuaRuleConfig& config, const std::string& path_in,
                                     std::string* error) {
  const std::string path = path_in.empty() ? config.path : path_in;
  std::string source;
  if (!read_file(path, &source, error)) return nullptr;

  RuleVmOptions o;
  o.label = path;
  o.kind = config.kind;
  o.instruction_budget = config.instruction_budget;
  o.time_budget_ns = config.time_budget_ns;
  o.memory_limit_bytes = config.memory_limit_bytes;
  o.jit = config.jit;
  o.log = config.log;
  o.symbol_name = config.symbol_name;
  LuaRuleCandidatePtr c(new LuaRuleCandidate);
  c->vm = RuleVm::create(o, error);
  if (!c->vm) return nullptr;
  if (!config.feature_columns.empty()) c->vm->set_column_names(config.feature_columns);
  VmCall r = c->vm->install(source, config.params_json);
  if (!r.ok) {
    *error = r.error;
    return nullptr;
  }
  r = dry_run(*c->vm, config.kind);
  if (!r.ok) {
    *error = r.error + " (in the dry run on sample rows)";
    return nullptr;
  }
  c->path = path;
  c->hash = content_hash_fnv1a64(source);
  c->default_class = config.hit_class.empty() ? file_stem(path) : config.hit_class;
  return c;
}

std::unique_ptr<LuaRule> LuaRule::load(const LuaRuleConfig& config, std::string* error) {
  auto c = prepare(config, config.path, error);
  if (!c) return nullptr;
  std::unique_ptr<LuaRule> rule(new LuaRule(config));
  rule->commit(std::move(c));
  rule->stats_.reloads_ok = 0;  // the initial load is not a reload
  return rule;
}

void LuaRule::commit(LuaRuleCandidatePtr candidate) {
  if (!candidate) return;
  candidate->version = next_version_++;
  version_ = candidate->version;
  path_ = candidate->path;
  content_hash_ = candidate->hash;
  if (current_) previous_ = std::move(current_);
  current_ = std::move(candidate);
  ++stats_.reloads_ok;
}

std::string LuaRule::reload(const std::string& path_or_empty) {
  std::string error;
  auto c = prepare(config_, path_or_empty.empty() ? path_ : path_or_empty, &error);
  if (!c) {
    ++stats_.reloads_failed;
    report(SH_LOG_WARN, "reload refused, " +
                            std::string(current_ ? "the current version keeps serving: "
                                                 : "the rule stays disabled: ") +
                            error);
    return error;
  }
  commit(std::move(c));
  report(SH_LOG_INFO, "reloaded version " + std::to_string(version_) + " (" + content_hash_ + ")");
  return "";
}

bool LuaRule::enabled() const { return current_ != nullptr; }

const LuaRuleStats& LuaRule::stats() const {
  stats_.memory_bytes = current_ ? current_->vm->memory_bytes() : 0;
  return stats_;
}

void LuaRule::report(sh_log_level level, const std::string& msg) const {
  const std::string line = "lua rule '" + config_.name + "': " + msg;
  try {
    if (config_.log) {
      config_.log(level, line);
      return;
    }
  } catch (...) {
    return;
  }
  std::fprintf(stderr, "[lua] %s\n", line.c_str());
}

// ------------------------------------------------------------------ policy

template <class Attempt>
sh_status LuaRule::run_with_policy(Attempt attempt) {
  if (!current_) return SH_ERR_UNSUPPORTED;
  ++stats_.batches;
  VmCall r = attempt(*current_);
  if (r.ok) return SH_OK;
  while (true) {
    last_error_ = r.error;
    ++stats_.runtime_errors;
    if (r.trip != kTripNone) ++stats_.budget_exceeded;
    const uint64_t failed_version = current_->version;
    current_.reset();  // a version that failed is never served again
    if (config_.on_error == LuaRuleConfig::OnError::KeepLastGood && previous_) {
      current_ = std::move(previous_);
      path_ = current_->path;
      content_hash_ = current_->hash;
      version_ = current_->version;
      ++stats_.rollbacks;
      report(SH_LOG_ERROR, "version " + std::to_string(failed_version) + " failed: " + r.error +
                               "; rolled back to version " + std::to_string(current_->version));
      r = attempt(*current_);
      if (r.ok) return SH_OK;
      continue;
    }
    ++stats_.disables;
    report(SH_LOG_ERROR, "version " + std::to_string(failed_version) + " failed: " + r.error +
                             "; rule disabled until a successful reload");
    return SH_ERR_INTERNAL;
  }
}

// ------------------------------------------------------------------ batches

sh_status LuaRule::detect(const sh_feature_batch& batch, const sh_market_context& context,
                          const sh_hit_sink& sink) {
  if (config_.kind != RuleKind::Detector) return SH_ERR_UNSUPPORTED;
  if (sink.emit == nullptr || (batch.count > 0 && (batch.rows == nullptr || batch.row_size < 8))) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  Scratch& s = scratch();
  uint32_t stride = batch.row_size;
  const void* rows = full_records(batch.rows, batch.count, &stride, null_row(), &s.rows);
  sh_market_context ctx = normalized(reinterpret_cast<const unsigned char*>(&context),
                                     sizeof(sh_market_context), null_context());
  const auto* row_bytes = static_cast<const unsigned char*>(rows);
  // ABI 1.6: the configured feature columns (row.<name> in the rule).
  const bool has_columns = batch.struct_size >= sizeof(sh_feature_batch) && batch.column_count > 0 &&
                           batch.column_names != nullptr && batch.columns != nullptr;
  const double* columns = has_columns ? batch.columns : nullptr;
  LuaRuleCandidate* served = nullptr;
  uint32_t n_hits = 0;
  sh_status st = run_with_policy([&](LuaRuleCandidate& c) {
    served = &c;
    if (columns != nullptr) c.vm->set_columns(batch.column_names, batch.column_count);
    return c.vm->run_detect(rows, batch.count, stride, ctx, &s.hits, &n_hits, columns,
                            batch.column_count);
  });
  if (st != SH_OK) return st;  // no hits from a failed batch
  stats_.rows += batch.count;
  stats_.outputs += n_hits;
  if (n_hits == 0) return SH_OK;
  if (s.abi_hits.size() < n_hits) s.abi_hits.resize(n_hits);
  for (size_t k = 0; k < n_hits; ++k) {
    const LuaHitOut& h = s.hits[k];
    const auto* row = reinterpret_cast<const sh_feature_row*>(row_bytes + static_cast<size_t>(h.row) * stride);
    sh_detector_hit& o = s.abi_hits[k];
    o.struct_size = sizeof(sh_detector_hit);
    o.symbol = row->symbol;
    o.minute_ts_ns = row->minute_ts_ns;
    o.score = h.score;
    const std::string& cls = served->vm->class_name(h.class_index);
    o.hit_class = h.class_index == 0 || cls.empty() ? served->default_class.c_str() : cls.c_str();
    o.value = h.value;
    o.threshold = h.threshold;
  }
  return sink.emit(sink.sink_ctx, s.abi_hits.data(), n_hits, sizeof(sh_detector_hit));
}

sh_status LuaRule::route(const sh_evidence_batch& evidence, const sh_market_context& context,
                         RouteDecision* out) {
  if (evidence.count > 0 && (out == nullptr || evidence.items == nullptr || evidence.item_size < 8)) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  Scratch& s = scratch();
  uint32_t stride = evidence.item_size;
  const void* items = full_records(evidence.items, evidence.count, &stride, null_evidence(), &s.evidence);
  const auto* bytes = static_cast<const unsigned char*>(items);
  for (uint32_t i = 0; i < evidence.count; ++i) {  // fail-safe default: flat
    out[i].symbol = reinterpret_cast<const sh_evidence*>(bytes + static_cast<size_t>(i) * stride)->symbol;
    out[i].direction = RouteDirection::Flat;
    out[i].confidence = 0.0;
  }
  if (config_.kind != RuleKind::Router) return SH_ERR_UNSUPPORTED;
  sh_market_context ctx = normalized(reinterpret_cast<const unsigned char*>(&context),
                                     sizeof(sh_market_context), null_context());
  sh_status st = run_with_policy([&](LuaRuleCandidate& c) {
    return c.vm->run_route(items, evidence.count, stride, ctx, &s.routes);
  });
  if (st != SH_OK) return st;
  stats_.rows += evidence.count;
  for (uint32_t i = 0; i < evidence.count; ++i) {
    out[i].direction = static_cast<RouteDirection>(s.routes[i].direction);
    out[i].confidence = s.routes[i].confidence;
    if (out[i].direction != RouteDirection::Flat) ++stats_.outputs;
  }
  return SH_OK;
}

sh_status LuaRule::check(const sh_order_intent_batch& intents, const sh_portfolio_state& portfolio,
                         sh_risk_verdict_batch* out) {
  if (out == nullptr || out->count != intents.count ||
      (intents.count > 0 && (intents.items == nullptr || intents.item_size < 8 ||
                             out->items == nullptr || out->item_size < 8))) {
    return SH_ERR_INVALID_ARGUMENT;
  }
  auto* out_bytes = reinterpret_cast<unsigned char*>(out->items);
  const size_t out_n = std::min<size_t>(out->item_size, sizeof(sh_risk_verdict));
  auto write_all = [&](const sh_risk_verdict* v, bool per_item) {
    for (uint32_t i = 0; i < out->count; ++i) {
      std::memcpy(out_bytes + static_cast<size_t>(i) * out->item_size, per_item ? &v[i] : v, out_n);
    }
  };
  // Fail closed: until the rule has spoken, every intent is denied.
  sh_risk_verdict deny{};
  deny.struct_size = static_cast<uint32_t>(out_n);
  deny.action = SH_RISK_DENY;
  deny.reason = SH_REASON_POLICY_ERROR;
  deny.scale = 0.0;
  std::snprintf(deny.detail, sizeof deny.detail, "lua rule '%s' %s", config_.name.c_str(),
                current_ ? "failed" : "is disabled");
  write_all(&deny, false);
  if (config_.kind != RuleKind::Risk) return SH_ERR_UNSUPPORTED;

  Scratch& s = scratch();
  uint32_t stride = intents.item_size;
  const void* items = full_records(intents.items, intents.count, &stride, null_intent(), &s.intents);
  const LuaPortfolio pf = portfolio_view(portfolio);
  s.positions.clear();
  if (portfolio.struct_size >= offsetof(sh_portfolio_state, positions) + sizeof(void*) &&
      portfolio.positions != nullptr && portfolio.position_size >= 8) {
    const auto* pb = reinterpret_cast<const unsigned char*>(portfolio.positions);
    for (uint32_t i = 0; i < portfolio.position_count; ++i) {
      s.positions.push_back(normalized(pb + static_cast<size_t>(i) * portfolio.position_size,
                                       portfolio.position_size, null_position()));
    }
  }
  sh_status st = run_with_policy([&](LuaRuleCandidate& c) {
    return c.vm->run_check(items, intents.count, stride, pf, s.positions.data(),
                           static_cast<uint32_t>(s.positions.size()), &s.verdicts);
  });
  if (st != SH_OK) {
    if (st == SH_ERR_INTERNAL) {  // refresh the detail now that we know it failed
      std::snprintf(deny.detail, sizeof deny.detail, "lua rule '%s' failed", config_.name.c_str());
      write_all(&deny, false);
    }
    return st;
  }
  stats_.rows += intents.count;
  for (const sh_risk_verdict& v : s.verdicts) stats_.outputs += v.action != SH_RISK_ALLOW;
  for (sh_risk_verdict& v : s.verdicts) v.struct_size = static_cast<uint32_t>(out_n);
  write_all(s.verdicts.data(), true);
  return SH_OK;
}

}  // namespace sh::host
