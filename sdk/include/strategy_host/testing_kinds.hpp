// strategy_host/testing_kinds.hpp: the part of strategy_host/testing.hpp a
// plugin test uses: feature rows, the plugin under test per kind, the checks
// on hits, evidence, verdicts and events, and the SH_TEST runner. Include
// <strategy_host/testing.hpp>, not this file.
#ifndef STRATEGY_HOST_TESTING_KINDS_HPP
#define STRATEGY_HOST_TESTING_KINDS_HPP

#include <strategy_host/testing.hpp>

namespace sh::testing {

// ---------------------------------------------------------------- rows ---

struct FeatureField {
  const char* name;
  double sh_feature_row::*member;
};
// Every double of sh_feature_row by name, in ABI order.
inline const std::vector<FeatureField>& feature_fields() {
  static const std::vector<FeatureField> fields = {
      {"open", &sh_feature_row::open}, {"high", &sh_feature_row::high},
      {"low", &sh_feature_row::low}, {"close", &sh_feature_row::close},
      {"volume", &sh_feature_row::volume}, {"vwap", &sh_feature_row::vwap},
      {"trade_count", &sh_feature_row::trade_count}, {"log_ret", &sh_feature_row::log_ret},
      {"mom_20", &sh_feature_row::mom_20}, {"rv_5", &sh_feature_row::rv_5},
      {"rsi_14", &sh_feature_row::rsi_14}, {"atr_14", &sh_feature_row::atr_14},
      {"ema_20", &sh_feature_row::ema_20}, {"spread_bps", &sh_feature_row::spread_bps},
      {"l2_imbalance", &sh_feature_row::l2_imbalance},
      {"book_staleness_ms", &sh_feature_row::book_staleness_ms},
      {"ingest_lag_ms", &sh_feature_row::ingest_lag_ms}, {"z_ret", &sh_feature_row::z_ret},
      {"z_volume", &sh_feature_row::z_volume}, {"z_spread", &sh_feature_row::z_spread},
      {"q_ret", &sh_feature_row::q_ret}, {"q_volume", &sh_feature_row::q_volume},
      {"q_spread", &sh_feature_row::q_spread}, {"rs_benchmark", &sh_feature_row::rs_benchmark}};
  return fields;
}

inline const char* const* dq_names() {
  static const char* const names[] = {"ok", "stale_book", "no_trades", "gap", "late", "clock_skew",
                                      nullptr};
  return names;
}

// Feature rows of one or more minutes and symbols. Every double starts null
// (NaN, "not warm"); set what the plugin reads.
class Rows {
 public:
  struct Entry {
    std::string symbol;
    sh_feature_row row;
    std::vector<double> columns;  // one value per columns() name, NaN = null
  };
  class Row {
   public:
    Row(Rows* rows, size_t i) : rows_(rows), i_(i) {}
    // Sets a field by its ABI name ("z_ret", "close", ...).
    Row& set(const std::string& field, double value) {
      for (const auto& f : feature_fields())
        if (field == f.name) {
          rows_->entries_[i_].row.*f.member = value;
          return *this;
        }
      std::string known;
      for (const auto& f : feature_fields()) known += std::string(known.empty() ? "" : ", ") + f.name;
      throw Failure("unknown feature field '" + field + "'; the fields are: " + known);
    }
    // Sets a configured feature column (config `features:`, e.g. "sma_50"),
    // which the plugin reads by name (sh::FeatureRows::column / value). The
    // first use of a name adds the column (null in every other row).
    Row& column(const std::string& name, double value) {
      rows_->entries_[i_].columns[rows_->column_index(name)] = value;
      return *this;
    }
    Row& dq(sh_dq_status status) {
      rows_->entries_[i_].row.dq = status;
      return *this;
    }
    sh_feature_row& raw() { return rows_->entries_[i_].row; }

   private:
    Rows* rows_;
    size_t i_;
  };

  // A row of `symbol` at minute n (a number) or at a time ("2024-01-02T04:10Z").
  Row add(const std::string& symbol, When when) {
    sh_feature_row r{};
    r.struct_size = sizeof(sh_feature_row);
    r.minute_ts_ns = when.ts_ns;
    r.dq = SH_DQ_OK;
    for (const auto& f : feature_fields()) r.*f.member = std::nan("");
    entries_.push_back({symbol, r, std::vector<double>(columns_.size(), std::nan(""))});
    return Row(this, entries_.size() - 1);
  }
  // The configured feature columns set so far, in the order they were added.
  const std::vector<std::string>& columns() const { return columns_; }
  size_t column_index(const std::string& name) {
    for (size_t j = 0; j < columns_.size(); ++j)
      if (columns_[j] == name) return j;
    for (const auto& f : feature_fields())
      if (name == f.name)
        throw Failure("'" + name + "' is a field of sh_feature_row: set it with set(), not column()");
    if (name.empty()) throw Failure("a feature column needs a name");
    columns_.push_back(name);
    for (Entry& e : entries_) e.columns.push_back(std::nan(""));
    return columns_.size() - 1;
  }

  // Rows from a CSV file with a header: `symbol`, the time as `minute_ts_ns`
  // (ns) or `minute` (a time or a minute number), optionally `dq` (ok,
  // stale_book, ...) and `late_events`, and any feature fields by name; an
  // empty cell is null. `host snapshot --format csv` writes exactly this.
  static Rows from_csv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Failure("cannot open the CSV fixture " + path);
    Rows rows;
    std::string line;
    std::vector<std::string> header;
    for (int line_no = 1; std::getline(in, line); ++line_no) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      const std::vector<std::string> cells = split_csv(line);
      if (header.empty()) {
        header = cells;
        for (const char* need : {"symbol"})
          if (std::find(header.begin(), header.end(), need) == header.end())
            throw Failure(path + ": the header has no '" + need + "' column");
        continue;
      }
      const std::string where = path + ":" + std::to_string(line_no) + ": ";
      if (cells.size() != header.size())
        throw Failure(where + std::to_string(cells.size()) + " cells, the header has " +
                      std::to_string(header.size()));
      rows.add_csv_row(header, cells, where);
    }
    if (header.empty()) throw Failure(path + ": empty CSV fixture");
    return rows;
  }

  size_t size() const { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }
  // The distinct minutes, in order.
  std::vector<int64_t> minutes() const {
    std::vector<int64_t> out;
    for (const auto& e : entries_) out.push_back(e.row.minute_ts_ns);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  static std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        out.emplace_back();
      } else {
        out.back() += c;
      }
    }
    return out;
  }

  void add_csv_row(const std::vector<std::string>& header, const std::vector<std::string>& cells,
                   const std::string& where) {
    std::string symbol;
    int64_t ts = 0;
    bool have_ts = false, have_minute = false;
    for (size_t c = 0; c < header.size(); ++c) {
      if (header[c] == "symbol") symbol = cells[c];
      if (header[c] == "minute_ts_ns" && !cells[c].empty()) {
        ts = std::stoll(cells[c]);
        have_ts = true;
      }
    }
    for (size_t c = 0; c < header.size() && !have_ts; ++c)
      if (header[c] == "minute") {
        try {
          ts = parse_time(cells[c]);
        } catch (const Failure& e) {
          throw Failure(where + e.what());
        }
        have_minute = true;
      }
    if (!have_ts && !have_minute) throw Failure(where + "no minute_ts_ns or minute");
    if (symbol.empty()) throw Failure(where + "empty symbol");
    Row row = add(symbol, When(0));
    row.raw().minute_ts_ns = ts;
    for (size_t c = 0; c < header.size(); ++c) {
      const std::string& h = header[c];
      const std::string& v = cells[c];
      if (h == "symbol" || h == "minute" || h == "minute_ts_ns") continue;
      if (h == "late_events") {
        row.raw().late_events = v.empty() ? 0u : static_cast<uint32_t>(std::stoul(v));
      } else if (h == "dq") {
        sh_dq_status dq = -1;
        for (int i = 0; dq_names()[i] != nullptr; ++i)
          if (v == dq_names()[i]) dq = i;
        if (v.empty()) dq = SH_DQ_OK;
        if (dq < 0) throw Failure(where + "unknown dq '" + v + "'");
        row.dq(dq);
      } else {
        char* end = nullptr;
        const double d = v.empty() ? std::nan("") : std::strtod(v.c_str(), &end);
        if (!v.empty() && (end == nullptr || *end != '\0'))
          throw Failure(where + "column " + h + ": '" + v + "' is not a number");
        // A field of sh_feature_row by its name; any other header is a
        // configured feature column (a snapshot of a host with `features:`).
        bool field = false;
        for (const auto& f : feature_fields()) field = field || h == f.name;
        try {
          if (field) row.set(h, d);
          else row.column(h, d);
        } catch (const Failure& e) {
          throw Failure(where + e.what());
        }
      }
    }
  }

  std::vector<Entry> entries_;
  std::vector<std::string> columns_;
};

// -------------------------------------------------------- the plugin ---

inline std::string plugin_under_test() {
  if (const char* env = std::getenv("SH_TEST_PLUGIN")) return env;
#ifdef SH_TEST_PLUGIN
  return SH_TEST_PLUGIN;
#else
  throw Failure("no plugin under test: build with sh_add_plugin_test() or set SH_TEST_PLUGIN");
#endif
}
// A file next to the test's CMakeLists.txt (its CSV fixtures).
inline std::string fixture(const std::string& name) {
#ifdef SH_TEST_SOURCE_DIR
  return std::string(SH_TEST_SOURCE_DIR) + "/" + name;
#else
  return name;
#endif
}

class Plugin;
// Declared here so that Plugin's members name these, not sh::Detector & co.
// when a test includes plugin.hpp too.
class Detector;
class Expert;
class Risk;
class Provider;
class Venue;

// Base of the per-kind handles: one live instance of the plugin under test.
class Instance {
 public:
  Instance(Plugin& plugin, const Json& config);
  const std::string& name() const { return name_; }
  HarnessHost& host() const { return *host_; }
  PluginInstance& raw() const { return *inst_; }
  // Applies a new config live (set_config); throws Failure when refused.
  void set_config(const Json& config);
  // Durable state (ABI 1.1): the bytes save_state() gives; Failure when the
  // plugin keeps none or the call fails.
  std::string save_state() const {
    const sh_plugin_descriptor& d = inst_->descriptor();
    expect(d.save_state != nullptr, name_ + " keeps no durable state (save_state is NULL)");
    const char* data = nullptr;
    size_t size = 0;
    check(d.save_state(inst_->raw(), &data, &size), "save_state");
    return size == 0 ? std::string() : std::string(data, size);
  }
  // load_state's status (SH_OK, or a refusal with last_error()).
  sh_status try_load_state(const std::string& bytes) {
    const sh_plugin_descriptor& d = inst_->descriptor();
    expect(d.load_state != nullptr, name_ + " keeps no durable state (load_state is NULL)");
    return d.load_state(inst_->raw(), bytes.data(), bytes.size());
  }
  // Loads bytes a save_state() gave; Failure when refused.
  void load_state(const std::string& bytes) { check(try_load_state(bytes), "load_state"); }
  std::string last_error() const { return inst_->last_error(); }

 protected:
  void check(sh_status st, const char* call) const {
    if (st != SH_OK)
      throw Failure(name_ + "." + call + "() returned " + status_name(st) + ": " +
                    inst_->last_error());
  }
  // Rows of one minute with symbol ids, and the market context over them;
  // *columns (optional): their configured feature columns.
  std::vector<sh_feature_row> rows_of(const Rows& rows, int64_t ts, sh_market_context* ctx,
                                      FeatureColumns* columns = nullptr) const {
    std::vector<sh_feature_row> out;
    if (columns != nullptr) {
      columns->names = rows.columns();
      columns->values.clear();
      for (const auto& e : rows.entries())
        if (e.row.minute_ts_ns == ts) columns->values.insert(columns->values.end(), e.columns.begin(), e.columns.end());
    }
    *ctx = sh_market_context{};
    ctx->struct_size = sizeof(sh_market_context);
    ctx->minute_ts_ns = ts;
    ctx->benchmark_ret = std::nan("");
    ctx->leader_ret = std::nan("");
    uint32_t up = 0, known = 0;
    for (const auto& e : rows.entries()) {
      if (e.row.minute_ts_ns != ts) continue;
      out.push_back(e.row);
      out.back().symbol = host_->intern(e.symbol);
      const double r = e.row.log_ret;
      if (std::isnan(r)) continue;
      ++known;
      up += r > 0 ? 1 : 0;
      if (std::isnan(ctx->leader_ret) || std::fabs(r) > std::fabs(ctx->leader_ret)) {
        ctx->leader_ret = r;
        ctx->leader = out.back().symbol;
      }
      if (!benchmark.empty() && e.symbol == benchmark) ctx->benchmark_ret = r;
    }
    ctx->symbol_count = static_cast<uint32_t>(out.size());
    ctx->breadth = known > 0 ? static_cast<double>(up) / known : std::nan("");
    if (!benchmark.empty()) ctx->benchmark = host_->intern(benchmark);
    return out;
  }
 public:
  std::string benchmark;  // the market context's benchmark symbol, if any

 protected:
  std::string name_;
  HarnessHost* host_;
  Plugin* plugin_;
  std::unique_ptr<PluginInstance> inst_;
};

// The plugin under test: its library, a harness host, its identity.
class Plugin {
 public:
  explicit Plugin(const std::string& path = plugin_under_test())
      : host_(std::make_unique<HarnessHost>()), lib_(std::make_unique<PluginLibrary>(path)) {}
  const sh_plugin_descriptor& descriptor() const { return lib_->descriptor(); }
  std::string name() const { return descriptor().name; }
  std::string kind() const { return kind_name(descriptor().kind); }
  const Json& config_schema() const { return lib_->config_schema(); }
  HarnessHost& host() { return *host_; }
  const PluginLibrary& library() const { return *lib_; }

  class Detector detector(const Json& config = Json::object());
  class Expert expert(const Json& config = Json::object());
  class Risk risk(const Json& config = Json::object());
  class Provider provider(const Json& config = Json::object());
  class Venue venue(const Json& config = Json::object());

  // Checks that create() refuses the config with SH_ERR_CONFIG; returns its
  // last_error() (non-empty).
  std::string expect_config_refused(const Json& config) {
    PluginInstance inst(*lib_, *host_, wire_config(config_schema(), config, config_dir));
    expect(inst.status() == SH_ERR_CONFIG,
           "expected " + name() + " to refuse the config " + config.dump() +
               " with SH_ERR_CONFIG, got " + status_name(inst.status()) +
               (inst.last_error().empty() ? "" : " (" + inst.last_error() + ")"));
    expect(!inst.last_error().empty(), name() + " refused " + config.dump() +
                                           " without a message in last_error()");
    return inst.last_error();
  }

  // Relative "format": "path" values in a config resolve against this, as
  // the host resolves them against the config file's directory: the test's
  // source directory (sh_add_plugin_test), else the working directory.
  std::filesystem::path config_dir =
#ifdef SH_TEST_SOURCE_DIR
      SH_TEST_SOURCE_DIR;
#else
      std::filesystem::current_path();
#endif

  void expect_kind(sh_plugin_kind kind) const {
    expect(descriptor().kind == kind, "plugin " + name() + " is a " + this->kind() + ", not a " +
                                          kind_name(kind) + " (" + lib_->path() + ")");
  }

 private:
  std::unique_ptr<HarnessHost> host_;
  std::unique_ptr<PluginLibrary> lib_;
};

inline Instance::Instance(Plugin& plugin, const Json& config)
    : name_(plugin.name()), host_(&plugin.host()), plugin_(&plugin) {
  const Json full = wire_config(plugin.config_schema(), config, plugin.config_dir);
  inst_ = std::make_unique<PluginInstance>(plugin.library(), plugin.host(), full);
  if (!inst_->ok())
    throw Failure(name_ + " refused the config " + full.dump() + ": " +
                  status_name(inst_->status()) + ": " + inst_->last_error());
}

inline void Instance::set_config(const Json& config) {
  const sh_status st =
      inst_->set_config(wire_config(plugin_->config_schema(), config, plugin_->config_dir));
  check(st, "set_config");
}

// ----------------------------------------------------------- detector ---

struct Hit {
  std::string symbol;
  int64_t minute_ts_ns;
  double score, value, threshold;
  std::string hit_class;
  std::string describe() const {
    std::ostringstream s;
    s << symbol << " " << format_minute(minute_ts_ns) << " " << hit_class << " score " << score
      << " value " << value << " threshold " << threshold;
    return s.str();
  }
};

class Hits {
 public:
  explicit Hits(std::vector<Hit> hits) : hits_(std::move(hits)) {}
  size_t size() const { return hits_.size(); }
  const Hit& operator[](size_t i) const { return hits_.at(i); }
  const std::vector<Hit>& all() const { return hits_; }
  std::string describe() const {
    if (hits_.empty()) return "none";
    std::string s = std::to_string(hits_.size()) + ":";
    for (const auto& h : hits_) s += "\n  " + h.describe();
    return s;
  }
  // The hit on symbol at that minute (of hit_class, unless ""); Failure if none.
  const Hit& expect_hit(const std::string& symbol, When when, const std::string& hit_class = "") const {
    for (const auto& h : hits_)
      if (h.symbol == symbol && h.minute_ts_ns == when.ts_ns &&
          (hit_class.empty() || h.hit_class == hit_class))
        return h;
    throw Failure("expected a " + (hit_class.empty() ? std::string() : hit_class + " ") +
                  "hit on " + symbol + " at " + format_minute(when.ts_ns) + ", got none; hits were: " +
                  describe());
  }
  void expect_no_hit(const std::string& symbol) const {
    for (const auto& h : hits_)
      expect(h.symbol != symbol, "expected no hit on " + symbol + ", got " + describe());
  }
  void expect_no_hit(const std::string& symbol, When when) const {
    for (const auto& h : hits_)
      expect(h.symbol != symbol || h.minute_ts_ns != when.ts_ns,
             "expected no hit on " + symbol + " at " + format_minute(when.ts_ns) + ", got " +
                 describe());
  }
  void expect_count(size_t n) const {
    expect(hits_.size() == n, "expected " + std::to_string(n) + " hits, got " + describe());
  }

 private:
  std::vector<Hit> hits_;
};

class Detector : public Instance {
 public:
  using Instance::Instance;
  // One detect() per minute, in time order, each with all that minute's rows.
  Hits run(const Rows& rows) {
    std::vector<Hit> out;
    for (const int64_t ts : rows.minutes()) {
      sh_market_context ctx;
      FeatureColumns columns;
      const auto batch = rows_of(rows, ts, &ctx, &columns);
      std::vector<CollectedHit> hits;
      check(inst_->detect(batch, ctx, hits, ts, &columns), "detect");
      for (const auto& h : hits) {
        expect(h.hit.struct_size >= sizeof(sh_detector_hit),
               name_ + " emitted a hit with struct_size " + std::to_string(h.hit.struct_size));
        out.push_back({host_->symbol_name(h.hit.symbol), h.hit.minute_ts_ns, h.hit.score,
                       h.hit.value, h.hit.threshold, h.hit_class});
        expect(!out.back().symbol.empty(),
               name_ + " emitted a hit on symbol id " + std::to_string(h.hit.symbol) +
                   ", which no row had");
        expect(out.back().score >= 0 && out.back().score <= 100,
               name_ + " emitted a score outside 0..100: " + out.back().describe());
      }
    }
    return Hits(std::move(out));
  }
};

// ------------------------------------------------------------- expert ---

class Evidence {
 public:
  struct Record {
    std::string symbol;
    int64_t minute_ts_ns;
    sh_evidence e;
    bool abstains() const { return (e.flags & SH_EVIDENCE_FLAG_ABSTAIN) != 0; }
    std::string describe() const {
      std::ostringstream s;
      s << symbol << " " << format_minute(minute_ts_ns);
      if (abstains()) return s.str() + " abstain";
      s << " long " << e.prob_long << " short " << e.prob_short << " confidence " << e.confidence;
      return s.str();
    }
  };
  explicit Evidence(std::vector<Record> r) : records_(std::move(r)) {}
  const std::vector<Record>& all() const { return records_; }
  const Record& at(const std::string& symbol, When when) const {
    for (const auto& r : records_)
      if (r.symbol == symbol && r.minute_ts_ns == when.ts_ns) return r;
    throw Failure("no evidence for " + symbol + " at " + format_minute(when.ts_ns) +
                  ": no row had that symbol and minute");
  }
  const Record& expect_long(const std::string& symbol, When when) const {
    return expect_side(symbol, when, true);
  }
  const Record& expect_short(const std::string& symbol, When when) const {
    return expect_side(symbol, when, false);
  }
  void expect_abstain(const std::string& symbol, When when) const {
    const Record& r = at(symbol, when);
    expect(r.abstains(), "expected an abstention on " + symbol + " at " +
                             format_minute(when.ts_ns) + ", got " + r.describe());
  }

 private:
  const Record& expect_side(const std::string& symbol, When when, bool long_side) const {
    const Record& r = at(symbol, when);
    const char* side = long_side ? "long" : "short";
    const std::string head = std::string("expected a ") + side + " lean on " + symbol + " at " +
                             format_minute(when.ts_ns) + ", got ";
    expect(!r.abstains(), head + "an abstention");
    const bool ok = long_side ? r.e.prob_long > r.e.prob_short : r.e.prob_short > r.e.prob_long;
    expect(ok, head + r.describe());
    expect(r.e.prob_long >= 0 && r.e.prob_short >= 0 && r.e.prob_long + r.e.prob_short <= 1 + 1e-9,
           "probabilities out of range: " + r.describe());
    return r;
  }
  std::vector<Record> records_;
};

class Expert : public Instance {
 public:
  using Instance::Instance;
  Evidence run(const Rows& rows) {
    std::vector<Evidence::Record> out;
    for (const int64_t ts : rows.minutes()) {
      sh_market_context ctx;
      FeatureColumns columns;
      const auto batch = rows_of(rows, ts, &ctx, &columns);
      std::vector<sh_evidence> ev;
      check(inst_->evaluate(batch, ctx, ev, ts, &columns), "evaluate");
      for (size_t i = 0; i < ev.size(); ++i)
        out.push_back({host_->symbol_name(batch[i].symbol), ts, ev[i]});
    }
    return Evidence(std::move(out));
  }
};

// --------------------------------------------------------------- risk ---

inline std::string reason_name(sh_risk_reason r) {
  static const char* const names[] = {"NONE", "KILL_SWITCH", "LOW_CONFIDENCE", "NOTIONAL_CAP",
                                      "RISK_LOCKED", "DAILY_LOSS", "VAR_LIMIT", "CIRCUIT_OPEN",
                                      "SAFE_MODE", "RATE_LIMITED", "VOL_TARGET",
                                      "CONFIDENCE_SCALE", "POLICY_ERROR"};
  return r >= 0 && r <= 12 ? names[r] : "reason " + std::to_string(r);
}

// An order intent by symbol name: Intent("BTC", SH_SIDE_BUY, 0.1, 40000).confidence(0.7)
struct Intent {
  std::string symbol;
  sh_order_intent raw{};
  Intent(std::string sym, sh_side side, double qty, double price) : symbol(std::move(sym)) {
    raw.struct_size = sizeof(sh_order_intent);
    raw.side = side;
    raw.qty = qty;
    raw.price = price;
    raw.notional_usd = qty * price;
    raw.confidence = 1.0;
    raw.prob_long = side == SH_SIDE_BUY ? 1.0 : 0.0;
    raw.prob_short = 1.0 - raw.prob_long;
  }
  Intent& confidence(double c) {
    raw.confidence = c;
    return *this;
  }
};

class Verdicts {
 public:
  explicit Verdicts(std::vector<sh_risk_verdict> v, std::vector<std::string> what)
      : v_(std::move(v)), what_(std::move(what)) {}
  const sh_risk_verdict& operator[](size_t i) const { return v_.at(i); }
  size_t size() const { return v_.size(); }
  std::string describe(size_t i) const {
    const sh_risk_verdict& v = v_.at(i);
    static const char* const actions[] = {"ALLOW", "SCALE", "DENY"};
    std::ostringstream s;
    s << (v.action >= 0 && v.action <= 2 ? actions[v.action] : "action?") << " "
      << reason_name(v.reason);
    if (v.action == SH_RISK_SCALE) s << " x" << v.scale;
    if (v.detail[0] != '\0') s << " (" << std::string(v.detail, strnlen(v.detail, sizeof v.detail)) << ")";
    return s.str();
  }
  void expect_allow(size_t i) const { expect_action(i, SH_RISK_ALLOW, SH_REASON_NONE, false); }
  void expect_deny(size_t i, sh_risk_reason reason) const {
    expect_action(i, SH_RISK_DENY, reason, true);
  }
  void expect_scale(size_t i, double scale, double tolerance = 1e-9) const {
    expect_action(i, SH_RISK_SCALE, SH_REASON_NONE, false);
    expect(std::fabs(v_[i].scale - scale) <= tolerance,
           "expected intent " + what_[i] + " scaled by " + std::to_string(scale) + ", got " +
               describe(i));
  }

 private:
  void expect_action(size_t i, sh_risk_action action, sh_risk_reason reason, bool check_reason) const {
    expect(i < v_.size(), "no verdict " + std::to_string(i) + ": " + std::to_string(v_.size()) +
                              " intents");
    static const char* const actions[] = {"ALLOW", "SCALE", "DENY"};
    const bool ok = v_[i].action == action && (!check_reason || v_[i].reason == reason);
    expect(ok, std::string("expected ") + actions[action] +
                   (check_reason ? " " + reason_name(reason) : std::string()) + " for intent " +
                   what_[i] + ", got " + describe(i));
  }
  std::vector<sh_risk_verdict> v_;
  std::vector<std::string> what_;
};

class Risk : public Instance {
 public:
  using Instance::Instance;
  // The portfolio passed with every batch (equity 100000 USD, no positions).
  sh_portfolio_state portfolio = [] {
    sh_portfolio_state p{};
    p.struct_size = sizeof(p);
    p.position_size = sizeof(sh_position);
    p.equity_usd = p.cash_usd = p.peak_equity_usd = 100000;
    return p;
  }();
  Verdicts run(const std::vector<Intent>& intents) {
    std::vector<sh_order_intent> raw;
    std::vector<std::string> what;
    for (size_t i = 0; i < intents.size(); ++i) {
      raw.push_back(intents[i].raw);
      raw.back().symbol = host_->intern(intents[i].symbol);
      raw.back().intent_id = i + 1;
      std::ostringstream s;
      s << i << " (" << (intents[i].raw.side == SH_SIDE_SELL ? "sell " : "buy ") << intents[i].raw.qty
        << " " << intents[i].symbol << " @ " << intents[i].raw.price << ", confidence "
        << intents[i].raw.confidence << ")";
      what.push_back(s.str());
    }
    std::vector<sh_risk_verdict> out;
    check(inst_->evaluate_risk(raw, portfolio, out), "evaluate");
    return Verdicts(std::move(out), std::move(what));
  }
};

// ----------------------------------------------------------- provider ---

struct Event {
  std::string symbol;
  sh_market_event raw;
};

class Events {
 public:
  Events(std::vector<Event> e, sh_status end) : events_(std::move(e)), end_(end) {}
  const std::vector<Event>& all() const { return events_; }
  size_t size() const { return events_.size(); }
  sh_status final_status() const { return end_; }
  size_t count(const std::string& symbol, sh_event_type type) const {
    return static_cast<size_t>(std::count_if(events_.begin(), events_.end(), [&](const Event& e) {
      return e.symbol == symbol && e.raw.type == type;
    }));
  }
  void expect_count(size_t n) const {
    expect(events_.size() == n, "expected " + std::to_string(n) + " events, got " +
                                    std::to_string(events_.size()));
  }
  // Event times never go back for a symbol (the ABI's rule for providers).
  void expect_ordered() const {
    std::map<std::string, int64_t> last;
    for (size_t i = 0; i < events_.size(); ++i) {
      const auto& e = events_[i];
      auto it = last.find(e.symbol);
      expect(it == last.end() || e.raw.ts_ns >= it->second,
             "event " + std::to_string(i) + " on " + e.symbol + " goes back in time: " +
                 std::to_string(e.raw.ts_ns) + " after " + std::to_string(it->second));
      last[e.symbol] = e.raw.ts_ns;
    }
  }

 private:
  std::vector<Event> events_;
  sh_status end_;
};

class Provider : public Instance {
 public:
  using Instance::Instance;
  // Polls until SH_END_OF_DATA (at most max_polls polls); Failure on an error.
  Events drain(size_t max_polls = 100000, uint32_t max_events_per_poll = 1000) {
    sh_status st = SH_OK;
    const auto raw = inst_->drain_events(max_events_per_poll, &st, max_polls);
    expect(st == SH_END_OF_DATA || st == SH_OK || st == SH_WOULD_BLOCK,
           name_ + ".poll() returned " + status_name(st) + ": " + inst_->last_error());
    std::vector<Event> out;
    for (const auto& e : raw) out.push_back({host_->symbol_name(e.symbol), e});
    return Events(std::move(out), st);
  }
};

// -------------------------------------------------------------- venue ---

inline std::string order_state_name(sh_order_state s) {
  static const char* const names[] = {"NEW", "ACKNOWLEDGED", "PARTIALLY_FILLED", "FILLED",
                                      "CANCELED", "REJECTED", "EXPIRED"};
  return s >= 0 && s <= 6 ? names[s] : "state " + std::to_string(s);
}
inline std::string venue_reason_name(sh_venue_reason r) {
  static const char* const names[] = {"NONE", "INVALID_ORDER", "UNKNOWN_SYMBOL",
                                      "INSUFFICIENT_FUNDS", "UNSUPPORTED", "DUPLICATE",
                                      "RATE_LIMITED", "UNAUTHORIZED", "UNAVAILABLE",
                                      "CLOCK_SKEW", "NO_LIQUIDITY", "REDUCE_ONLY"};
  return r >= 0 && r <= 11 ? names[r] : "reason " + std::to_string(r);
}

// An order by symbol name, decided at ts (the host passes the time it
// decides: in replay the closing minute's end):
//   VenueOrder("o1", "BTC", SH_SIDE_BUY, 0.5).at_close(3)           // market, GTC
//   VenueOrder("o2", "BTC", SH_SIDE_SELL, 1).limit(101).tif(SH_TIF_IOC).at(ts)
struct VenueOrder {
  std::string id, symbol;
  sh_venue_order raw{};
  VenueOrder(std::string client_order_id, std::string sym, sh_side side, double qty)
      : id(std::move(client_order_id)), symbol(std::move(sym)) {
    raw.struct_size = sizeof(sh_venue_order);
    raw.side = side;
    raw.type = SH_ORDER_MARKET;
    raw.tif = SH_TIF_GTC;
    raw.qty = qty;
    raw.limit_price = std::nan("");
    raw.ref_price = std::nan("");
  }
  VenueOrder& limit(double price) {
    raw.type = SH_ORDER_LIMIT;
    raw.limit_price = price;
    return *this;
  }
  VenueOrder& type(sh_order_type t) {
    raw.type = t;
    return *this;
  }
  VenueOrder& tif(sh_time_in_force t) {
    raw.tif = t;
    return *this;
  }
  VenueOrder& at(int64_t ts_ns) {
    raw.ts_ns = ts_ns;
    return *this;
  }
  // Decided at the close of minute n: ts = the minute's end.
  VenueOrder& at_close(When when) { return at(when.ts_ns + kMinuteNs); }
  VenueOrder& ref(double price) {
    raw.ref_price = price;
    return *this;
  }
  VenueOrder& reduce_only() {
    raw.flags |= SH_ORDER_FLAG_REDUCE_ONLY;
    return *this;
  }
};

// A report with its strings copied (the plugin's pointers are borrowed).
struct VenueReport {
  std::string id, venue_id, symbol, detail;
  sh_venue_report raw{};  // its pointers are NULL: use the strings above
  sh_order_state state() const { return raw.state; }
  bool is_fill() const { return raw.last_qty > 0.0; }
  std::string describe() const {
    std::ostringstream s;
    s << id << " " << order_state_name(raw.state) << " " << symbol << " "
      << (raw.side == SH_SIDE_BUY ? "buy" : raw.side == SH_SIDE_SELL ? "sell" : "side?");
    if (is_fill()) {
      s << " fill " << raw.last_qty << " @ " << raw.last_price << " (ref " << raw.ref_price
        << ", fee " << raw.fee_usd << ", "
        << (raw.liquidity == SH_LIQUIDITY_MAKER   ? "maker"
            : raw.liquidity == SH_LIQUIDITY_TAKER ? "taker"
                                                  : "liquidity?")
        << ")";
    }
    s << " cum " << raw.cum_qty << " leaves " << raw.leaves_qty << " ts " << format_minute(raw.ts_ns);
    if (raw.reason != SH_VENUE_REASON_NONE) s << " " << venue_reason_name(raw.reason);
    if (!detail.empty()) s << " (" << detail << ")";
    return s.str();
  }
};

class VenueReports {
 public:
  explicit VenueReports(std::vector<VenueReport> r) : r_(std::move(r)) {}
  size_t size() const { return r_.size(); }
  bool empty() const { return r_.empty(); }
  const VenueReport& operator[](size_t i) const {
    expect(i < r_.size(), "no report " + std::to_string(i) + "; reports were: " + describe());
    return r_[i];
  }
  const std::vector<VenueReport>& all() const { return r_; }
  std::string describe() const {
    if (r_.empty()) return "none";
    std::string s = std::to_string(r_.size()) + ":";
    for (const auto& r : r_) s += "\n  " + r.describe();
    return s;
  }
  // The fills (last_qty > 0), in report order.
  std::vector<VenueReport> fills() const {
    std::vector<VenueReport> out;
    for (const auto& r : r_)
      if (r.is_fill()) out.push_back(r);
    return out;
  }
  std::vector<VenueReport> of(const std::string& id) const {
    std::vector<VenueReport> out;
    for (const auto& r : r_)
      if (r.id == id) out.push_back(r);
    return out;
  }
  // The last report of an order; Failure if it has none.
  const VenueReport& last(const std::string& id) const {
    for (auto it = r_.rbegin(); it != r_.rend(); ++it)
      if (it->id == id) return *it;
    throw Failure("expected a report for order " + id + ", got none; reports were: " + describe());
  }
  // Filled quantity and fees of an order over these reports.
  double filled(const std::string& id) const {
    double q = 0;
    for (const auto& r : r_)
      if (r.id == id) q += r.raw.last_qty;
    return q;
  }
  double fees(const std::string& id) const {
    double f = 0;
    for (const auto& r : r_)
      if (r.id == id && r.is_fill()) f += r.raw.fee_usd;
    return f;
  }
  void expect_count(size_t n) const {
    expect(r_.size() == n, "expected " + std::to_string(n) + " reports, got " + describe());
  }
  void expect_no_fill() const {
    expect(fills().empty(), "expected no fill, got " + describe());
  }
  // The order's last report is in `state` (and `reason` unless NONE is asked).
  const VenueReport& expect_state(const std::string& id, sh_order_state state,
                                  sh_venue_reason reason = SH_VENUE_REASON_NONE) const {
    const VenueReport& r = last(id);
    expect(r.raw.state == state && (reason == SH_VENUE_REASON_NONE || r.raw.reason == reason),
           "expected order " + id + " " + order_state_name(state) +
               (reason != SH_VENUE_REASON_NONE ? " " + venue_reason_name(reason) : std::string()) +
               ", got " + r.describe() + "; reports were: " + describe());
    return r;
  }
  // The i-th fill of these reports: qty at price (relative tolerance 1e-9).
  VenueReport expect_fill(size_t i, const std::string& id, double qty, double price) const {
    const auto f = fills();
    expect(i < f.size(), "expected fill " + std::to_string(i) + " (" + id + "), got " + describe());
    const VenueReport& r = f[i];
    const auto near = [](double a, double b) {
      return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b));
    };
    expect(r.id == id && near(r.raw.last_qty, qty) && near(r.raw.last_price, price),
           "expected fill " + std::to_string(i) + " to be " + id + " " + std::to_string(qty) +
               " @ " + std::to_string(price) + ", got " + r.describe() + "; reports were: " +
               describe());
    return r;
  }

 private:
  std::vector<VenueReport> r_;
};

// One symbol's minute bar for Venue::bars(); mid NaN = no BBO mid.
struct VenueBar {
  std::string symbol;
  double open, high, low, close;
  double mid = std::nan("");
  double volume = 1.0;
  VenueBar(std::string sym, double o, double h, double l, double c, double m = std::nan(""))
      : symbol(std::move(sym)), open(o), high(h), low(l), close(c), mid(m) {}
};

// Market events for Venue::events() (and any plugin test): a BBO, one L2
// level (size 0 removes it; snapshot: the book is replaced from here), a trade.
inline Event quote_event(const std::string& symbol, int64_t ts_ns, double bid, double bid_size,
                         double ask, double ask_size) {
  Event e{symbol, sh_market_event{}};
  e.raw.struct_size = sizeof(sh_market_event);
  e.raw.type = SH_EVENT_QUOTE;
  e.raw.ts_ns = ts_ns;
  e.raw.data.quote = sh_quote{bid, bid_size, ask, ask_size};
  return e;
}
inline Event l2_event(const std::string& symbol, int64_t ts_ns, sh_side side, double price,
                      double size, bool snapshot = false) {
  Event e{symbol, sh_market_event{}};
  e.raw.struct_size = sizeof(sh_market_event);
  e.raw.type = SH_EVENT_L2;
  e.raw.flags = snapshot ? SH_EVENT_FLAG_SNAPSHOT : 0u;
  e.raw.ts_ns = ts_ns;
  e.raw.data.l2.price = price;
  e.raw.data.l2.size = size;
  e.raw.data.l2.side = side;
  return e;
}
inline Event trade_event(const std::string& symbol, int64_t ts_ns, double price, double size,
                         sh_side aggressor = SH_SIDE_UNKNOWN) {
  Event e{symbol, sh_market_event{}};
  e.raw.struct_size = sizeof(sh_market_event);
  e.raw.type = SH_EVENT_TRADE;
  e.raw.ts_ns = ts_ns;
  e.raw.data.trade.price = price;
  e.raw.data.trade.size = size;
  e.raw.data.trade.side = aggressor;
  return e;
}

struct VenuePosition {
  std::string symbol;
  sh_position raw;
};

// An execution venue (ABI 1.4): every call returns the reports it emitted.
class Venue : public Instance {
 public:
  using Instance::Instance;
  sh_venue_capabilities capabilities() {
    sh_venue_capabilities c{};
    c.struct_size = sizeof c;
    check(api().capabilities(inst_->raw(), &c), "capabilities");
    return c;
  }
  // Submit; Failure unless SH_OK.
  VenueReports submit(const VenueOrder& order) {
    sh_venue_order o = order.raw;
    o.symbol = order.symbol.empty() ? SH_INVALID_SYMBOL : host_->intern(order.symbol);
    o.client_order_id = order.id.c_str();
    Collector c{host_, {}, {}};
    check(api().submit(inst_->raw(), &o, &c.sink), "submit");
    return c.take(name_);
  }
  // Cancel; Failure unless SH_OK.
  VenueReports cancel(const std::string& id) {
    VenueReports out({});
    check(try_cancel(id, &out), "cancel");
    return out;
  }
  // cancel's status (the plugin's last_error() says why when not SH_OK).
  sh_status try_cancel(const std::string& id, VenueReports* out = nullptr) {
    Collector c{host_, {}, {}};
    const sh_status st = api().cancel(inst_->raw(), id.c_str(), &c.sink);
    VenueReports r = c.take(name_);
    if (out != nullptr) *out = std::move(r);
    return st;
  }
  // One minute's bars (minute_ts_ns = the minute's start).
  VenueReports bars(When minute_ts, const std::vector<VenueBar>& bars) {
    std::vector<sh_venue_bar> raw;
    for (const auto& b : bars) {
      sh_venue_bar x{};
      x.struct_size = sizeof x;
      x.symbol = host_->intern(b.symbol);
      x.minute_ts_ns = minute_ts.ts_ns;
      x.open = b.open;
      x.high = b.high;
      x.low = b.low;
      x.close = b.close;
      x.volume = b.volume;
      x.mid = b.mid;
      raw.push_back(x);
    }
    const sh_venue_bar_batch batch{sizeof(sh_venue_bar_batch), sizeof(sh_venue_bar),
                                   static_cast<uint32_t>(raw.size()), 0, minute_ts.ts_ns,
                                   raw.data()};
    Collector c{host_, {}, {}};
    check(api().on_bars(inst_->raw(), &batch, &c.sink), "on_bars");
    return c.take(name_);
  }
  // One batch of market events.
  VenueReports events(const std::vector<Event>& events) {
    std::vector<sh_market_event> raw;
    for (const auto& e : events) {
      raw.push_back(e.raw);
      raw.back().symbol = host_->intern(e.symbol);
    }
    Collector c{host_, {}, {}};
    check(api().on_events(inst_->raw(), raw.data(), static_cast<uint32_t>(raw.size()),
                          sizeof(sh_market_event), &c.sink),
          "on_events");
    return c.take(name_);
  }
  VenueReports poll() {
    Collector c{host_, {}, {}};
    if (api().poll != nullptr) check(api().poll(inst_->raw(), &c.sink), "poll");
    return c.take(name_);
  }
  VenueReports query_orders() {
    Collector c{host_, {}, {}};
    check(api().query_orders(inst_->raw(), &c.sink), "query_orders");
    return c.take(name_);
  }
  std::vector<VenuePosition> query_positions() {
    struct Ctx {
      HarnessHost* host;
      std::vector<VenuePosition> out;
    } ctx{host_, {}};
    sh_position_sink sink{sizeof(sh_position_sink), &ctx,
                          [](void* p, const sh_position* pos, uint32_t count, uint32_t item_size) -> sh_status {
                            auto* x = static_cast<Ctx*>(p);
                            const auto* base = reinterpret_cast<const unsigned char*>(pos);
                            for (uint32_t i = 0; i < count; ++i) {
                              sh_position sp{};
                              std::memcpy(&sp, base + static_cast<size_t>(i) * item_size,
                                          std::min<size_t>(item_size, sizeof sp));
                              x->out.push_back({x->host->symbol_name(sp.symbol), sp});
                            }
                            return SH_OK;
                          }};
    check(api().query_positions(inst_->raw(), &sink), "query_positions");
    return std::move(ctx.out);
  }
  // The position in symbol; Failure when the venue reports none.
  sh_position position(const std::string& symbol) {
    const auto all = query_positions();
    for (const auto& p : all)
      if (p.symbol == symbol) return p.raw;
    throw Failure("expected a position in " + symbol + ", the venue reports " +
                  std::to_string(all.size()) + " position(s)");
  }

 private:
  const sh_venue_api& api() const {
    const sh_plugin_descriptor& d = inst_->descriptor();
    expect(d.venue != nullptr, name_ + " has no venue API");
    return *d.venue;
  }
  // Collects reports, copying their strings; a malformed report is a
  // Failure after the call (never thrown through the plugin).
  struct Collector {
    HarnessHost* host;
    std::vector<VenueReport> out;
    std::string problem;
    sh_venue_sink sink{sizeof(sh_venue_sink), this, &Collector::report};
    static sh_status report(void* p, const sh_venue_report* reports, uint32_t count,
                            uint32_t item_size) {
      auto* c = static_cast<Collector*>(p);
      const auto* base = reinterpret_cast<const unsigned char*>(reports);
      for (uint32_t i = 0; i < count; ++i) {
        VenueReport r;
        std::memcpy(&r.raw, base + static_cast<size_t>(i) * item_size,
                    std::min<size_t>(item_size, sizeof r.raw));
        if (r.raw.client_order_id == nullptr && c->problem.empty())
          c->problem = "a report without a client_order_id";
        r.id = r.raw.client_order_id ? r.raw.client_order_id : "";
        r.venue_id = r.raw.venue_order_id ? r.raw.venue_order_id : "";
        r.detail = r.raw.detail ? r.raw.detail : "";
        r.symbol = c->host->symbol_name(r.raw.symbol);
        r.raw.client_order_id = r.raw.venue_order_id = r.raw.detail = nullptr;
        if (!(r.raw.cum_qty >= 0.0 && r.raw.leaves_qty >= 0.0 && r.raw.last_qty >= 0.0) &&
            c->problem.empty())
          c->problem = "a report with a negative or NaN quantity: " + r.describe();
        c->out.push_back(std::move(r));
      }
      return SH_OK;
    }
    VenueReports take(const std::string& name) {
      expect(problem.empty(), name + " reported " + problem);
      return VenueReports(std::move(out));
    }
  };
};

inline Detector Plugin::detector(const Json& config) {
  expect_kind(SH_KIND_DETECTOR);
  return Detector(*this, config);
}
inline Expert Plugin::expert(const Json& config) {
  expect_kind(SH_KIND_EXPERT);
  return Expert(*this, config);
}
inline Risk Plugin::risk(const Json& config) {
  expect_kind(SH_KIND_RISK);
  return Risk(*this, config);
}
inline Provider Plugin::provider(const Json& config) {
  expect_kind(SH_KIND_PROVIDER);
  return Provider(*this, config);
}
inline Venue Plugin::venue(const Json& config) {
  expect_kind(SH_KIND_VENUE);
  return Venue(*this, config);
}

// -------------------------------------------------------------- runner ---

struct TestCase {
  const char* name;
  void (*fn)();
};
inline std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}
struct Register {
  Register(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

// Runs every SH_TEST (or those whose name contains argv[1]); prints one line
// per test and the failure's message; exit status 1 if any failed or none ran.
inline int run_tests(int argc, char** argv) {
  const std::string filter = argc > 1 ? argv[1] : "";
  int run = 0, failed = 0;
  for (const TestCase& t : registry()) {
    if (!filter.empty() && std::string(t.name).find(filter) == std::string::npos) continue;
    ++run;
    try {
      t.fn();
      std::cout << "ok     " << t.name << "\n";
    } catch (const std::exception& e) {
      ++failed;
      std::cout << "FAILED " << t.name << "\n  " << e.what() << "\n";
    }
  }
  std::cout << run - failed << " of " << run << " tests passed\n";
  if (run == 0) std::cout << "no test matched\n";
  return failed == 0 && run > 0 ? 0 : 1;
}

}  // namespace sh::testing

#define SH_TESTING_CAT2(a, b) a##b
#define SH_TESTING_CAT(a, b) SH_TESTING_CAT2(a, b)
// SH_TEST("what the plugin does") { ...checks... }
#define SH_TEST(name)                                                                        \
  static void SH_TESTING_CAT(sh_test_fn_, __LINE__)();                                       \
  static const ::sh::testing::Register SH_TESTING_CAT(sh_test_reg_, __LINE__)(               \
      name, &SH_TESTING_CAT(sh_test_fn_, __LINE__));                                         \
  static void SH_TESTING_CAT(sh_test_fn_, __LINE__)()

// sh_add_plugin_test() compiles its first source with SH_TESTING_MAIN defined.
#ifdef SH_TESTING_MAIN
int main(int argc, char** argv) { return ::sh::testing::run_tests(argc, argv); }
#endif

#endif  // STRATEGY_HOST_TESTING_KINDS_HPP
