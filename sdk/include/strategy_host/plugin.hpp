// strategy_host/plugin.hpp: header-only C++17 layer over strategy_host/abi.h.
//
// A plugin author derives from one of sh::Provider, sh::Detector, sh::Expert,
// sh::RiskPolicy or sh::Venue, and writes SH_EXPORT_PLUGIN(ClassName) once in one .cpp
// file. The class supplies its identity as static members:
//
//   static constexpr const char* kName = "zscore_spike";
//   static constexpr const char* kVersion = "1.0.0";
//   static constexpr const char* kDescription = "one line";
//   static constexpr const char* kConfigSchema = R"({...JSON Schema...})";
//   static constexpr bool kLiveConfig = true;   // optional: supports set_config
//   static constexpr bool kDurableState = true; // optional: save_state/load_state
//
// and a constructor taking (const sh::Host&, const nlohmann::json& config).
// Every exception thrown by the constructor or a kind method is caught at the
// boundary and turned into a status code plus last_error(); none crosses it.
#ifndef STRATEGY_HOST_PLUGIN_HPP
#define STRATEGY_HOST_PLUGIN_HPP

#include <strategy_host/abi.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sh {

using Json = nlohmann::json;

constexpr double kNull = std::numeric_limits<double>::quiet_NaN();
inline bool is_null(double v) { return std::isnan(v); }

// Thrown by a plugin to report a bad config; becomes SH_ERR_CONFIG.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by a plugin call to refuse its arguments (a venue's cancel of an
// order id it does not hold); becomes SH_ERR_INVALID_ARGUMENT, the message
// last_error().
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Thrown by a venue's query_orders / query_positions while its view is not
// ready yet (a restarted network venue still asking the exchange about the
// orders it restored); becomes SH_WOULD_BLOCK, the message last_error(). The
// host polls the venue and asks again.
class NotReady : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A read-only view of a strided array of ABI records. T must be an ABI struct;
// records are read at the stride the producer reports, never at sizeof(T).
template <typename T>
class StridedView {
 public:
  StridedView(const T* base, uint32_t count, uint32_t stride)
      : base_(reinterpret_cast<const unsigned char*>(base)), count_(count), stride_(stride) {}
  uint32_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const T& operator[](uint32_t i) const {
    return *reinterpret_cast<const T*>(base_ + static_cast<size_t>(i) * stride_);
  }
  class iterator {
   public:
    iterator(const unsigned char* p, uint32_t stride) : p_(p), stride_(stride) {}
    const T& operator*() const { return *reinterpret_cast<const T*>(p_); }
    const T* operator->() const { return reinterpret_cast<const T*>(p_); }
    iterator& operator++() { p_ += stride_; return *this; }
    bool operator!=(const iterator& o) const { return p_ != o.p_; }
    bool operator==(const iterator& o) const { return p_ == o.p_; }
   private:
    const unsigned char* p_;
    uint32_t stride_;
  };
  iterator begin() const { return iterator(base_, stride_); }
  iterator end() const { return iterator(base_ + static_cast<size_t>(count_) * stride_, stride_); }

 private:
  const unsigned char* base_;
  uint32_t count_;
  uint32_t stride_;
};

// A writable view of a host-allocated strided array (expert evidence, risk
// verdicts). Only fields this plugin knows of are written; the host has
// pre-filled every record with defaults.
template <typename T>
class StridedSpan {
 public:
  StridedSpan(T* base, uint32_t count, uint32_t stride)
      : base_(reinterpret_cast<unsigned char*>(base)), count_(count), stride_(stride) {}
  uint32_t size() const { return count_; }
  T& operator[](uint32_t i) const {
    return *reinterpret_cast<T*>(base_ + static_cast<size_t>(i) * stride_);
  }

 private:
  unsigned char* base_;
  uint32_t count_;
  uint32_t stride_;
};

// The host services table, with C++ conveniences. Valid for the instance's life.
class Host {
 public:
  explicit Host(const sh_host_services* s) : s_(s) {}
  void log(sh_log_level level, const std::string& msg) const {
    if (s_ && s_->log) s_->log(s_->host_ctx, level, msg.c_str());
  }
  void info(const std::string& msg) const { log(SH_LOG_INFO, msg); }
  void warn(const std::string& msg) const { log(SH_LOG_WARN, msg); }
  void error(const std::string& msg) const { log(SH_LOG_ERROR, msg); }
  int64_t now_ns() const { return (s_ && s_->now_ns) ? s_->now_ns(s_->host_ctx) : 0; }
  sh_symbol_id intern(const std::string& name) const {
    return (s_ && s_->intern_symbol) ? s_->intern_symbol(s_->host_ctx, name.c_str())
                                     : SH_INVALID_SYMBOL;
  }
  const char* symbol_name(sh_symbol_id id) const {
    const char* n = (s_ && s_->symbol_name) ? s_->symbol_name(s_->host_ctx, id) : nullptr;
    return n ? n : "";
  }
  uint32_t counter(const std::string& name) const {
    return (s_ && s_->counter_register) ? s_->counter_register(s_->host_ctx, name.c_str()) : 0;
  }
  void add(uint32_t counter_id, int64_t delta = 1) const {
    if (s_ && s_->counter_add) s_->counter_add(s_->host_ctx, counter_id, delta);
  }
  const sh_host_services* raw() const { return s_; }

 private:
  const sh_host_services* s_;
};

// Common base: identity comes from the derived class's static members.
class PluginBase {
 public:
  explicit PluginBase(const Host& host) : host_(host) {}
  virtual ~PluginBase() = default;
  PluginBase(const PluginBase&) = delete;
  PluginBase& operator=(const PluginBase&) = delete;

  // Live parameter change, all-or-nothing. Only called when the class sets
  // kLiveConfig = true. Throw ConfigError to refuse; keep the old config then.
  virtual void set_config(const Json& /*config*/) {
    throw std::logic_error("set_config not supported");
  }

  static constexpr bool kLiveConfig = false;

  // Durable state (ABI 1.1). Only called when the class sets kDurableState =
  // true. save_state: the bytes to keep ("" = nothing), after each minute's
  // batch; load_state: bytes an instance of this plugin saved (maybe an older
  // version) before the first batch after a restart or an instance swap.
  // Throw to refuse unreadable bytes: the instance then starts clear.
  virtual std::string save_state() const { return std::string(); }
  virtual void load_state(const std::string& /*bytes*/) {}

  static constexpr bool kDurableState = false;

 protected:
  const Host& host() const { return host_; }

 private:
  Host host_;
};

// Writes provider events through the host's sink.
class EventSink {
 public:
  explicit EventSink(const sh_event_sink* s) : s_(s) {}
  sh_status emit(const sh_market_event* events, uint32_t count) const {
    return s_->emit(s_->sink_ctx, events, count, sizeof(sh_market_event));
  }
  sh_status emit(const sh_market_event& ev) const { return emit(&ev, 1); }

 private:
  const sh_event_sink* s_;
};

class HitSink {
 public:
  explicit HitSink(const sh_hit_sink* s) : s_(s) {}
  sh_status emit(const sh_detector_hit* hits, uint32_t count) const {
    return s_->emit(s_->sink_ctx, hits, count, sizeof(sh_detector_hit));
  }
  // Convenience for one hit; hit_class must outlive the call (a literal is fine).
  sh_status emit(sh_symbol_id symbol, int64_t minute_ts_ns, double score, const char* hit_class,
                 double value, double threshold) const {
    sh_detector_hit h{};
    h.struct_size = sizeof(h);
    h.symbol = symbol;
    h.minute_ts_ns = minute_ts_ns;
    h.score = score;
    h.hit_class = hit_class;
    h.value = value;
    h.threshold = threshold;
    return emit(&h, 1);
  }

 private:
  const sh_hit_sink* s_;
};

// The rows of a detector's or expert's batch, with their schema (ABI 1.6):
// the configured feature columns (config `features:`) by name.
//   const int j = rows.column("sma_50");        // -1: not configured
//   double v = rows.value(i, j);                 // NaN = null (or j == -1)
//   for (const char* name : rows.columns()) ...  // every column's name
class FeatureRows : public StridedView<sh_feature_row> {
 public:
  FeatureRows(const sh_feature_row* base, uint32_t count, uint32_t stride)
      : StridedView<sh_feature_row>(base, count, stride) {}
  // From the host's batch: a host older than 1.6 (a shorter struct) has no
  // columns.
  explicit FeatureRows(const sh_feature_batch& b)
      : StridedView<sh_feature_row>(b.rows, b.count, b.row_size) {
    if (b.struct_size >= offsetof(sh_feature_batch, columns) + sizeof(b.columns) &&
        b.column_count > 0 && b.column_names != nullptr && b.columns != nullptr) {
      names_ = b.column_names;
      values_ = b.columns;
      column_count_ = b.column_count;
    }
  }
  // The column names, in column order.
  std::vector<const char*> columns() const {
    return std::vector<const char*>(names_, names_ + column_count_);
  }
  uint32_t column_count() const { return column_count_; }
  // Index of a column by name, -1 if the host's rows have no such column.
  // Look it up once (create() or the first batch), not per row.
  int column(const char* name) const {
    for (uint32_t j = 0; j < column_count_; ++j) {
      if (std::strcmp(names_[j], name) == 0) return static_cast<int>(j);
    }
    return -1;
  }
  // Row i's value of column j; null (NaN) when j is -1 or out of range.
  double value(uint32_t i, int j) const {
    if (j < 0 || static_cast<uint32_t>(j) >= column_count_ || i >= size()) return kNull;
    return values_[static_cast<size_t>(i) * column_count_ + static_cast<uint32_t>(j)];
  }
  double value(uint32_t i, const char* name) const { return value(i, column(name)); }

 private:
  const char* const* names_ = nullptr;
  const double* values_ = nullptr;
  uint32_t column_count_ = 0;
};
using OrderIntents = StridedView<sh_order_intent>;
using Positions = StridedView<sh_position>;
using EvidenceOut = StridedSpan<sh_evidence>;
using VerdictsOut = StridedSpan<sh_risk_verdict>;

// Reads a field of a row only if the producer's record is long enough to hold
// it (append-only structs); otherwise null.
#define SH_ROW_FIELD(row, field)                                                     \
  ((row).struct_size >= offsetof(sh_feature_row, field) + sizeof((row).field) ? (row).field \
                                                                               : ::sh::kNull)

// Thrown by a provider's entitled() or fetch_daily() when its keys or
// subscription do not cover the data (HTTP 400/401/403); becomes
// SH_ERR_NOT_ENTITLED (ABI 1.5), which the host never retries.
class NotEntitled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes daily history bars through the host's sink (ABI 1.5).
class DailyBarSink {
 public:
  explicit DailyBarSink(const sh_daily_bar_sink* s) : s_(s) {}
  sh_status emit(const sh_daily_bar* bars, uint32_t count) const {
    return s_->emit(s_->sink_ctx, bars, count, sizeof(sh_daily_bar));
  }

 private:
  const sh_daily_bar_sink* s_;
};

class Provider : public PluginBase {
 public:
  static constexpr sh_plugin_kind kKind = SH_KIND_PROVIDER;
  // ABI 1.5 capabilities (abi.h, sh_provider_capabilities), as static
  // members a provider overrides: asset classes served (SH_ASSET_* bits),
  // SH_PROVIDER_* flags and how many calendar days of daily history it
  // reaches. The defaults declare nothing (the host lists "-").
  static constexpr uint32_t kAssetClasses = 0;
  static constexpr uint32_t kProviderFlags = 0;
  static constexpr uint32_t kMaxHistoryDays = 0;
  using PluginBase::PluginBase;
  // Emit up to max_events; return SH_OK, SH_WOULD_BLOCK or SH_END_OF_DATA.
  virtual sh_status poll(const EventSink& sink, uint32_t max_events) = 0;
  // ABI 1.3: the receive clock (abi.h, sh_provider_api.clock_ns). The
  // default, -1, says "not a clock source" (file replay, generators).
  virtual int64_t clock_ns() { return -1; }
  // ABI 1.5, called only when kProviderFlags has
  // SH_PROVIDER_REQUIRES_ENTITLEMENT: throw NotEntitled to say why not.
  virtual void entitled() {}
  // ABI 1.5, called only when kProviderFlags has SH_PROVIDER_HISTORY:
  // emit the daily bars of `symbol` in [from_day_ts_ns, to_day_ts_ns]. Throw
  // NotEntitled (401/403), InvalidArgument (unknown symbol) or anything else.
  virtual void fetch_daily(const std::string& symbol, int64_t from_day_ts_ns,
                           int64_t to_day_ts_ns, const DailyBarSink& sink) {
    (void)symbol, (void)from_day_ts_ns, (void)to_day_ts_ns, (void)sink;
    throw std::runtime_error("fetch_daily: this provider serves no history");
  }
};

class Detector : public PluginBase {
 public:
  static constexpr sh_plugin_kind kKind = SH_KIND_DETECTOR;
  using PluginBase::PluginBase;
  virtual void detect(const FeatureRows& rows, const sh_market_context& context,
                      const HitSink& out) = 0;
};

class Expert : public PluginBase {
 public:
  static constexpr sh_plugin_kind kKind = SH_KIND_EXPERT;
  using PluginBase::PluginBase;
  // out[i] belongs to rows[i]; leave a record untouched to abstain.
  virtual void evaluate(const FeatureRows& rows, const sh_market_context& context,
                        const EvidenceOut& out) = 0;
};

class RiskPolicy : public PluginBase {
 public:
  static constexpr sh_plugin_kind kKind = SH_KIND_RISK;
  using PluginBase::PluginBase;
  // out[i] belongs to intents[i]; it is pre-filled with ALLOW.
  virtual void evaluate(const OrderIntents& intents, const sh_portfolio_state& portfolio,
                        const VerdictsOut& out) = 0;
};

// Venue reports (ABI 1.4) through the host's sink.
class VenueSink {
 public:
  explicit VenueSink(const sh_venue_sink* s) : s_(s) {}
  sh_status report(const sh_venue_report& r) const {
    return s_ != nullptr ? s_->report(s_->sink_ctx, &r, 1, sizeof(sh_venue_report)) : SH_ERR_HOST;
  }

 private:
  const sh_venue_sink* s_;
};

class PositionSink {
 public:
  explicit PositionSink(const sh_position_sink* s) : s_(s) {}
  sh_status emit(const sh_position& p) const {
    return s_ != nullptr ? s_->emit(s_->sink_ctx, &p, 1, sizeof(sh_position)) : SH_ERR_HOST;
  }

 private:
  const sh_position_sink* s_;
};

using VenueBars = StridedView<sh_venue_bar>;
using MarketEvents = StridedView<sh_market_event>;

// Reads a field of an order only if the host's record holds it (append-only).
#define SH_ORDER_FIELD(order, field, fallback)                                            \
  ((order).struct_size >= offsetof(sh_venue_order, field) + sizeof((order).field) ? (order).field \
                                                                                 : (fallback))

// An execution venue (ABI 1.4; abi.h, "Execution venues"). submit, cancel
// and the query calls report through the sink; on_bars / on_events are
// called only when capabilities() sets SH_VENUE_WANTS_BARS / _EVENTS.
class Venue : public PluginBase {
 public:
  static constexpr sh_plugin_kind kKind = SH_KIND_VENUE;
  using PluginBase::PluginBase;
  virtual sh_venue_capabilities capabilities() const = 0;
  // Return SH_OK once the venue has the order; report what happens to it.
  virtual sh_status submit(const sh_venue_order& order, const VenueSink& sink) = 0;
  virtual sh_status cancel(std::string_view client_order_id, const VenueSink& sink) = 0;
  virtual void on_bars(const VenueBars& bars, int64_t minute_ts_ns, const VenueSink& sink) {
    (void)bars;
    (void)minute_ts_ns;
    (void)sink;
  }
  virtual void on_events(const MarketEvents& events, const VenueSink& sink) {
    (void)events;
    (void)sink;
  }
  virtual void poll(const VenueSink& sink) { (void)sink; }
  // One report per working order (last_qty 0), and every non-zero position.
  // Throw NotReady (SH_WOULD_BLOCK) while the view is not complete yet.
  virtual void query_orders(const VenueSink& sink) = 0;
  virtual void query_positions(const PositionSink& sink) = 0;
};

// Room for a verdict detail formatted into a char buffer: any symbol name the
// host accepts (at most 255 bytes) plus a policy's numbers. set_verdict keeps
// the whole text (detail_ext), so nothing an operator reads is cut.
constexpr size_t kDetailCapacity = 512;

namespace detail {
// The long verdict details of the risk call in progress on this thread (the
// instance's store, set by the evaluate trampoline); null outside one.
inline thread_local std::deque<std::string>* t_verdict_details = nullptr;
}  // namespace detail

// Sets a verdict. A detail longer than the fixed field is never cut: the
// whole text goes to detail_ext (kept by the instance until its next call)
// and the field holds its first 95 bytes. (A string_view, so that a detail
// formatted into a char buffer is not copied into a std::string.)
inline void set_verdict(sh_risk_verdict& v, sh_risk_action action, sh_risk_reason reason,
                        double scale, std::string_view detail) {
  v.action = action;
  v.reason = reason;
  v.scale = scale;
  const size_t n = detail.size() < sizeof(v.detail) - 1 ? detail.size() : sizeof(v.detail) - 1;
  std::memcpy(v.detail, detail.data(), n);
  v.detail[n] = '\0';
  if (v.struct_size < offsetof(sh_risk_verdict, detail_ext) + sizeof(v.detail_ext)) return;
  v.detail_ext = nullptr;
  if (n < detail.size() && sh::detail::t_verdict_details != nullptr) {
    sh::detail::t_verdict_details->emplace_back(detail);
    v.detail_ext = sh::detail::t_verdict_details->back().c_str();
  }
}

// Risk-policy helpers over the portfolio and intent records.

// Signed USD notional of the current position in `symbol`, 0 if none
// (qty * mark when the position's notional is null).
inline double position_notional_usd(const sh_portfolio_state& pf, sh_symbol_id symbol) {
  if (pf.positions == nullptr || pf.position_size == 0) return 0.0;
  const Positions positions(pf.positions, pf.position_count, pf.position_size);
  for (const sh_position& pos : positions) {
    if (pos.symbol != symbol) continue;
    if (std::isfinite(pos.notional_usd)) return pos.notional_usd;
    const double n = pos.qty * pos.mark_price;
    return std::isfinite(n) ? n : 0.0;
  }
  return 0.0;
}

// The portfolio's positions indexed by symbol, for a policy that looks up
// the position of every intent of a batch: build it once per evaluate call
// (O(positions), no sort when the host's array is already in symbol order)
// and each lookup is a binary search instead of a scan of every position.
// position_notional_usd(pf, symbol) gives the same answers one at a time.
class PositionIndex {
 public:
  explicit PositionIndex(const sh_portfolio_state& pf) {
    if (pf.positions == nullptr || pf.position_size == 0) return;
    positions_ = Positions(pf.positions, pf.position_count, pf.position_size);
    // The host's array is normally in strictly ascending symbol order: then
    // it is searched in place. Otherwise (or with repeated symbols) a sorted
    // copy of (symbol, notional) is searched; the first entry of a symbol
    // wins, as in the scan.
    for (uint32_t i = 1; i < positions_.size(); ++i) {
      if (positions_[i].symbol <= positions_[i - 1].symbol) {
        sorted_ = false;
        break;
      }
    }
    if (sorted_) return;
    by_symbol_.reserve(positions_.size());
    for (const sh_position& pos : positions_) by_symbol_.emplace_back(pos.symbol, notional_of(pos));
    std::stable_sort(by_symbol_.begin(), by_symbol_.end(),
                     [](const Entry& a, const Entry& b) { return a.first < b.first; });
  }
  // Signed USD notional of the position in `symbol`, 0 if none.
  double notional_usd(sh_symbol_id symbol) const {
    if (sorted_) {
      uint32_t lo = 0, hi = positions_.size();
      while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (positions_[mid].symbol < symbol) lo = mid + 1;
        else hi = mid;
      }
      return lo < positions_.size() && positions_[lo].symbol == symbol ? notional_of(positions_[lo])
                                                                         : 0.0;
    }
    auto it = std::lower_bound(by_symbol_.begin(), by_symbol_.end(), symbol,
                               [](const Entry& e, sh_symbol_id s) { return e.first < s; });
    return it != by_symbol_.end() && it->first == symbol ? it->second : 0.0;
  }

 private:
  using Entry = std::pair<sh_symbol_id, double>;
  static double notional_of(const sh_position& pos) {
    if (std::isfinite(pos.notional_usd)) return pos.notional_usd;
    const double n = pos.qty * pos.mark_price;
    return std::isfinite(n) ? n : 0.0;
  }
  Positions positions_{nullptr, 0, sizeof(sh_position)};
  bool sorted_ = true;
  std::vector<Entry> by_symbol_;
};

// Unsigned USD notional of the intent (qty * price when notional_usd is not
// usable), or null when it has none.
inline double intent_notional_usd(const sh_order_intent& in) {
  double usd = in.notional_usd;
  if (!std::isfinite(usd) || usd <= 0.0) usd = in.qty * in.price;
  return std::isfinite(usd) && usd > 0.0 ? usd : kNull;
}

// True unless the intent only shrinks |position|. An intent without a valid
// side or notional counts as increasing (fail closed).
inline bool increases_exposure_at(const sh_order_intent& in, double position_usd) {
  const double usd = intent_notional_usd(in);
  if (is_null(usd)) return true;
  if (in.side != SH_SIDE_BUY && in.side != SH_SIDE_SELL) return true;
  const double post = position_usd + (in.side == SH_SIDE_BUY ? usd : -usd);
  return std::fabs(post) > std::fabs(position_usd);
}
inline bool increases_exposure(const sh_order_intent& in, const sh_portfolio_state& pf) {
  if (is_null(intent_notional_usd(in)) || (in.side != SH_SIDE_BUY && in.side != SH_SIDE_SELL))
    return true;
  return increases_exposure_at(in, position_notional_usd(pf, in.symbol));
}
// The same with the positions indexed once per batch.
inline bool increases_exposure(const sh_order_intent& in, const PositionIndex& positions) {
  if (is_null(intent_notional_usd(in)) || (in.side != SH_SIDE_BUY && in.side != SH_SIDE_SELL))
    return true;
  return increases_exposure_at(in, positions.notional_usd(in.symbol));
}

namespace detail {

// What create() returns: the object, plus the error string of the instance.
// It exists even when construction failed so the host can read the error.
template <typename T>
struct Instance {
  std::unique_ptr<T> obj;
  std::string last_error;
  std::string saved_state;  // save_state's bytes, valid until the next call
  std::deque<std::string> verdict_details;  // detail_ext texts, valid until the next call
};

template <typename T, typename F>
sh_status guarded(Instance<T>* inst, F&& f) {
  if (inst == nullptr || !inst->obj) return SH_ERR_INVALID_ARGUMENT;
  try {
    inst->last_error.clear();
    return f(*inst->obj);
  } catch (const ConfigError& e) {
    inst->last_error = e.what();
    return SH_ERR_CONFIG;
  } catch (const InvalidArgument& e) {
    inst->last_error = e.what();
    return SH_ERR_INVALID_ARGUMENT;
  } catch (const NotReady& e) {
    inst->last_error = e.what();
    return SH_WOULD_BLOCK;
  } catch (const NotEntitled& e) {
    inst->last_error = e.what();
    return SH_ERR_NOT_ENTITLED;
  } catch (const std::exception& e) {
    inst->last_error = e.what();
    return SH_ERR_EXCEPTION;
  } catch (...) {
    inst->last_error = "unknown exception";
    return SH_ERR_EXCEPTION;
  }
}

template <typename T>
struct Trampolines {
  static void* create(const sh_host_services* host, const char* config_json, sh_status* rc) {
    Instance<T>* inst = nullptr;
    try {
      inst = new Instance<T>();
      const Json cfg = Json::parse(config_json ? config_json : "{}");
      inst->obj = std::make_unique<T>(Host(host), cfg);
      *rc = SH_OK;
    } catch (const ConfigError& e) {
      if (inst) inst->last_error = e.what();
      *rc = SH_ERR_CONFIG;
    } catch (const Json::exception& e) {
      if (inst) inst->last_error = std::string("config: ") + e.what();
      *rc = SH_ERR_CONFIG;
    } catch (const std::exception& e) {
      if (inst) inst->last_error = e.what();
      *rc = SH_ERR_EXCEPTION;
    } catch (...) {
      if (inst) inst->last_error = "unknown exception";
      *rc = SH_ERR_EXCEPTION;
    }
    return inst;
  }
  static void destroy(void* p) {
    try {
      delete static_cast<Instance<T>*>(p);
    } catch (...) {
      // A throwing destructor must not cross the boundary.
    }
  }
  static const char* last_error(void* p) {
    return p ? static_cast<Instance<T>*>(p)->last_error.c_str() : "";
  }
  static sh_status set_config(void* p, const char* config_json) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      // As in create(): malformed JSON or a mistyped value is a config error.
      try {
        o.set_config(Json::parse(config_json ? config_json : "{}"));
      } catch (const Json::exception& e) {
        throw ConfigError(std::string("config: ") + e.what());
      }
      return SH_OK;
    });
  }
  static sh_status save_state(void* p, const char** data, size_t* size) {
    auto* inst = static_cast<Instance<T>*>(p);
    return guarded(inst, [&](T& o) {
      inst->saved_state = o.save_state();
      *data = inst->saved_state.data();
      *size = inst->saved_state.size();
      return SH_OK;
    });
  }
  static sh_status load_state(void* p, const char* data, size_t size) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      o.load_state(std::string(data ? data : "", data ? size : 0));
      return SH_OK;
    });
  }
  static int64_t clock_ns(void* p) {
    auto* inst = static_cast<Instance<T>*>(p);
    if (inst == nullptr || !inst->obj) return -1;
    try {
      return inst->obj->clock_ns();
    } catch (...) {
      return -1;
    }
  }
  static sh_status entitled(void* p) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      o.entitled();
      return SH_OK;
    });
  }
  static sh_status fetch_daily(void* p, const char* symbol, int64_t from_ns, int64_t to_ns,
                               const sh_daily_bar_sink* sink) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) -> sh_status {
      if (symbol == nullptr || sink == nullptr) return SH_ERR_INVALID_ARGUMENT;
      o.fetch_daily(symbol, from_ns, to_ns, DailyBarSink(sink));
      return SH_OK;
    });
  }
  static sh_status poll(void* p, const sh_event_sink* sink, uint32_t max_events) {
    return guarded(static_cast<Instance<T>*>(p),
                   [&](T& o) { return o.poll(EventSink(sink), max_events); });
  }
  static sh_status detect(void* p, const sh_feature_batch* rows, const sh_market_context* ctx,
                          const sh_hit_sink* sink) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      o.detect(FeatureRows(*rows), *ctx, HitSink(sink));
      return SH_OK;
    });
  }
  static sh_status evaluate_expert(void* p, const sh_feature_batch* rows,
                                   const sh_market_context* ctx, sh_evidence_batch* out) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      o.evaluate(FeatureRows(*rows), *ctx,
                 EvidenceOut(out->items, out->count, out->item_size));
      return SH_OK;
    });
  }
  static sh_status evaluate_risk(void* p, const sh_order_intent_batch* intents,
                                 const sh_portfolio_state* pf, sh_risk_verdict_batch* out) {
    auto* inst = static_cast<Instance<T>*>(p);
    return guarded(inst, [&](T& o) {
      inst->verdict_details.clear();
      struct Scope {  // the store set_verdict appends to, for this call only
        explicit Scope(std::deque<std::string>* d) { t_verdict_details = d; }
        ~Scope() { t_verdict_details = nullptr; }
      } scope(&inst->verdict_details);
      o.evaluate(OrderIntents(intents->items, intents->count, intents->item_size), *pf,
                 VerdictsOut(out->items, out->count, out->item_size));
      return SH_OK;
    });
  }
  static sh_status venue_capabilities(void* p, sh_venue_capabilities* out) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) -> sh_status {
      if (out == nullptr) return SH_ERR_INVALID_ARGUMENT;
      const uint32_t size = out->struct_size;
      sh_venue_capabilities c = o.capabilities();
      c.struct_size = sizeof c;
      std::memcpy(out, &c, std::min<size_t>(size, sizeof c));
      out->struct_size = static_cast<uint32_t>(std::min<size_t>(size, sizeof c));
      return SH_OK;
    });
  }
  static sh_status venue_submit(void* p, const sh_venue_order* order, const sh_venue_sink* sink) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) -> sh_status {
      if (order == nullptr || order->client_order_id == nullptr) return SH_ERR_INVALID_ARGUMENT;
      return o.submit(*order, VenueSink(sink));
    });
  }
  static sh_status venue_cancel(void* p, const char* id, const sh_venue_sink* sink) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) -> sh_status {
      if (id == nullptr) return SH_ERR_INVALID_ARGUMENT;
      return o.cancel(id, VenueSink(sink));
    });
  }
  static sh_status venue_on_bars(void* p, const sh_venue_bar_batch* bars, const sh_venue_sink* sink) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      o.on_bars(VenueBars(bars->items, bars->count, bars->item_size), bars->minute_ts_ns,
                VenueSink(sink));
      return SH_OK;
    });
  }
  static sh_status venue_on_events(void* p, const sh_market_event* events, uint32_t count,
                                   uint32_t item_size, const sh_venue_sink* sink) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      o.on_events(MarketEvents(events, count, item_size), VenueSink(sink));
      return SH_OK;
    });
  }
  static sh_status venue_poll(void* p, const sh_venue_sink* sink) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      o.poll(VenueSink(sink));
      return SH_OK;
    });
  }
  static sh_status venue_query_orders(void* p, const sh_venue_sink* sink) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      o.query_orders(VenueSink(sink));
      return SH_OK;
    });
  }
  static sh_status venue_query_positions(void* p, const sh_position_sink* sink) {
    return guarded(static_cast<Instance<T>*>(p), [&](T& o) {
      o.query_positions(PositionSink(sink));
      return SH_OK;
    });
  }
};

template <typename T>
const sh_plugin_descriptor* make_descriptor() {
  static const sh_plugin_descriptor d = [] {
    sh_plugin_descriptor x{};
    x.struct_size = sizeof(sh_plugin_descriptor);
    x.abi_major = SH_ABI_MAJOR;
    x.abi_minor = SH_ABI_MINOR;
    x.kind = T::kKind;
    x.name = T::kName;
    x.version = T::kVersion;
    x.description = T::kDescription;
    x.config_schema = T::kConfigSchema;
    x.create = &Trampolines<T>::create;
    x.destroy = &Trampolines<T>::destroy;
    x.last_error = &Trampolines<T>::last_error;
    if constexpr (T::kLiveConfig) x.set_config = &Trampolines<T>::set_config;
    if constexpr (T::kDurableState) {
      x.save_state = &Trampolines<T>::save_state;
      x.load_state = &Trampolines<T>::load_state;
    }
    // Only the trampoline of T's own kind is instantiated.
    if constexpr (T::kKind == SH_KIND_PROVIDER) {
      static_assert(std::is_base_of<Provider, T>::value, "kKind says provider");
      static const sh_provider_capabilities caps = {sizeof(sh_provider_capabilities),
                                                    T::kAssetClasses, T::kProviderFlags,
                                                    T::kMaxHistoryDays};
      static const sh_provider_api api = {
          sizeof(sh_provider_api), &Trampolines<T>::poll, &Trampolines<T>::clock_ns,
          (T::kAssetClasses | T::kProviderFlags) != 0 ? &caps : nullptr,
          (T::kProviderFlags & SH_PROVIDER_REQUIRES_ENTITLEMENT) != 0 ? &Trampolines<T>::entitled
                                                                      : nullptr,
          (T::kProviderFlags & SH_PROVIDER_HISTORY) != 0 ? &Trampolines<T>::fetch_daily : nullptr};
      x.provider = &api;
    } else if constexpr (T::kKind == SH_KIND_DETECTOR) {
      static_assert(std::is_base_of<Detector, T>::value, "kKind says detector");
      static const sh_detector_api api = {sizeof(sh_detector_api), &Trampolines<T>::detect};
      x.detector = &api;
    } else if constexpr (T::kKind == SH_KIND_EXPERT) {
      static_assert(std::is_base_of<Expert, T>::value, "kKind says expert");
      static const sh_expert_api api = {sizeof(sh_expert_api), &Trampolines<T>::evaluate_expert};
      x.expert = &api;
    } else if constexpr (T::kKind == SH_KIND_VENUE) {
      static_assert(std::is_base_of<Venue, T>::value, "kKind says venue");
      static const sh_venue_api api = {sizeof(sh_venue_api),
                                       &Trampolines<T>::venue_capabilities,
                                       &Trampolines<T>::venue_submit,
                                       &Trampolines<T>::venue_cancel,
                                       &Trampolines<T>::venue_on_bars,
                                       &Trampolines<T>::venue_on_events,
                                       &Trampolines<T>::venue_poll,
                                       &Trampolines<T>::venue_query_orders,
                                       &Trampolines<T>::venue_query_positions};
      x.venue = &api;
    } else {
      static_assert(std::is_base_of<RiskPolicy, T>::value, "kKind says risk policy");
      static const sh_risk_api api = {sizeof(sh_risk_api), &Trampolines<T>::evaluate_risk};
      x.risk = &api;
    }
    return x;
  }();
  return &d;
}

}  // namespace detail
}  // namespace sh

// Exports the plugin's entry symbol. Use once per library, in one .cpp file.
#define SH_EXPORT_PLUGIN(PluginClass)                                              \
  extern "C" SH_PLUGIN_EXPORT const sh_plugin_descriptor* sh_plugin_entry(void) { \
    return ::sh::detail::make_descriptor<PluginClass>();                           \
  }

#include <strategy_host/config.hpp>  // sh::config::Reader: config reads from the schema

#endif  // STRATEGY_HOST_PLUGIN_HPP
