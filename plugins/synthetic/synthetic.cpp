// synthetic: a seeded, deterministic market-data provider for replays,
// benchmarks and tests. Many symbols; trades, BBO quotes and top-N L2
// snapshots; volatility regimes that switch at random minutes; and occasional
// volume spikes, return jumps and spread blow-outs.
//
// Determinism: every draw comes from one xoshiro256** stream seeded from
// `seed` through splitmix64, in one fixed order; nothing reads the wall clock.
// The same config gives the same event bytes on the same build.
//
// Event-time model: draws arrive with uniformly jittered gaps whose mean makes
// the emitted event rate (an L2 snapshot is 2 * l2_levels events at one ts_ns)
// equal events_per_second. Each draw picks a symbol uniformly and moves its
// mid by a Gaussian step sized so that the per-minute return std in regime r is
// volatility_bps * regime_vol_mults[r]. At every event-time minute boundary
// each symbol may switch regime, and may start a volume-spike minute (trade
// sizes x volume_spike_mult), a return jump (mid moved by +/- return_jump_bps
// at the boundary), or a spread blow-out minute (spreads x spread_blowout_mult).
#include <strategy_host/plugin.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr int64_t kNsPerMinute = 60'000'000'000LL;
constexpr uint64_t kDefaultEvents = 1'000'000;
constexpr uint32_t kMaxBatch = 4096;  // events per sink call: a 384 KiB buffer stays in L2
constexpr double kL2StepFrac = 1e-4;      // 1 bp between adjacent L2 levels

// Resets every byte of a reused buffer slot (the header has no padding; the
// union's unused bytes are zeroed) so equal configs give equal bytes. Spelled
// out because a whole-struct `= {}` compiles to a slow `rep stos` here.
inline void blank(sh_market_event& e) {
  e.struct_size = sizeof(sh_market_event);
  e.type = 0;
  e.symbol = 0;
  e.flags = 0;
  e.ts_ns = 0;
  e.recv_ts_ns = 0;
  std::memset(&e.data, 0, sizeof e.data);
}

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman & Vigna): fast, 256-bit state, seeded by splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& w : s_) w = splitmix64(seed);
  }
  uint64_t next() {
    const uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  // Uniform in [0, 1) with 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n) (Lemire's multiply-shift; bias < n / 2^32).
  uint32_t below(uint32_t n) {
    return static_cast<uint32_t>(((next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Standard normal quantiles at (i + 0.5) / 4096: a table draw costs one index
// and reproduces the distribution out to about 3.5 sigma; the heavy tails come
// from the configured jumps instead.
class NormalTable {
 public:
  static constexpr int kBits = 12;
  NormalTable() {
    for (int i = 0; i < (1 << kBits); ++i) {
      const double p = (i + 0.5) / (1 << kBits);
      double lo = -10.0, hi = 10.0;  // bisect Phi(x) = p
      for (int it = 0; it < 80; ++it) {
        const double mid = 0.5 * (lo + hi);
        (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
      }
      v_[i] = 0.5 * (lo + hi);
    }
  }
  double operator()(uint64_t r) const { return v_[r >> (64 - kBits)]; }

 private:
  double v_[1 << kBits];
};

// Defaults and ranges: kConfigSchema.
struct Config {
  std::vector<std::string> symbols;
  uint64_t seed{};
  int64_t start_ts_ns{};
  uint64_t events = UINT64_MAX;  // total events; UINT64_MAX = unlimited (duration_s bounds it)
  double duration_s = 0;         // event-time span; 0 = unlimited (then events bounds it)
  double events_per_second{};
  double trade_share{}, quote_share{}, l2_share{};
  uint32_t l2_levels{};
  double volatility_bps{};  // per-minute return std in a regime of multiplier 1
  double spread_bps{};      // typical quoted spread in a regime of multiplier 1
  std::vector<double> regime_vol_mults;
  double regime_switch_prob{};  // per symbol per minute
  double volume_spike_prob{}, volume_spike_mult{};
  double return_jump_prob{}, return_jump_bps{};
  double spread_blowout_prob{}, spread_blowout_mult{};
  double recv_lag_us{};  // mean receive lag; each event's lag is uniform in [0.5, 1.5] x this
  bool receive_clock{};  // report a receive clock (ABI 1.3) as a live feed would
  double speed = 0;      // event-time seconds per wall second; 0 = as fast as the host reads
};

Config parse_config(const sh::Json& j, const char* schema) {
  const sh::config::Reader r(j, schema);
  Config c;
  const bool have_events = r.has("events");
  if (r.has("symbols")) {
    if (r.has("symbol_count")) throw sh::ConfigError("give either symbols or symbol_count, not both");
    c.symbols = r.string_list("symbols");
  } else {
    const int64_t symbol_count = r.integer("symbol_count");
    for (int64_t i = 1; i <= symbol_count; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "SYM%04u", static_cast<unsigned>(i));
      c.symbols.emplace_back(name);
    }
  }
  c.seed = r.unsigned_integer("seed");
  c.start_ts_ns = r.integer("start_ts_ns");
  if (have_events) c.events = r.unsigned_integer("events");
  if (r.has("duration_s")) c.duration_s = r.number("duration_s");
  c.events_per_second = r.number("events_per_second");
  c.trade_share = r.number("trade_share");
  c.quote_share = r.number("quote_share");
  c.l2_share = r.number("l2_share");
  c.l2_levels = static_cast<uint32_t>(r.integer("l2_levels"));
  c.volatility_bps = r.number("volatility_bps");
  c.spread_bps = r.number("spread_bps");
  c.regime_vol_mults = r.number_list("regime_vol_mults");
  c.regime_switch_prob = r.number("regime_switch_prob");
  c.volume_spike_prob = r.number("volume_spike_prob");
  c.volume_spike_mult = r.number("volume_spike_mult");
  c.return_jump_prob = r.number("return_jump_prob");
  c.return_jump_bps = r.number("return_jump_bps");
  c.spread_blowout_prob = r.number("spread_blowout_prob");
  c.spread_blowout_mult = r.number("spread_blowout_mult");
  c.recv_lag_us = r.number("recv_lag_us");
  c.receive_clock = r.boolean("receive_clock");
  c.speed = r.number("speed");
  if (!(c.trade_share + c.quote_share + c.l2_share > 0))
    throw sh::ConfigError("event shares must not all be 0");
  if (!have_events && c.duration_s == 0) c.events = kDefaultEvents;
  return c;
}

struct SymbolState {
  sh_symbol_id id;
  double mid;
  double base_size;         // base units of a typical trade (about 5000 USD at the start)
  double step_sigma;        // std of one draw's relative mid move in the current regime
  double half_spread_frac;  // half spread / mid in the current regime and minute
  double size_mult;         // volume_spike_mult in a volume-spike minute, else 1
  uint32_t regime;
};

class Synthetic final : public sh::Provider {
 public:
  static constexpr const char* kName = "synthetic";
  // Generated data for any symbol: neither live nor daily history.
  static constexpr uint32_t kAssetClasses = SH_ASSET_STOCKS | SH_ASSET_FX | SH_ASSET_CRYPTO | SH_ASSET_COMMODITIES;
  static constexpr uint32_t kProviderFlags = 0;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "Seeded deterministic multi-symbol trades/quotes/L2 with vol regimes and spikes";
  static constexpr const char* kConfigSchema = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "synthetic",
  "type": "object",
  "properties": {
    "symbols": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                "uniqueItems": true, "description": "symbol names; exclusive with symbol_count"},
    "symbol_count": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 8,
                     "description": "generate names SYM0001..; used when symbols is absent"},
    "seed": {"type": "integer", "minimum": 0, "default": 1},
    "start_ts_ns": {"type": "integer", "minimum": 0, "maximum": 4611686018427387903,
                    "default": 1704153600000000000,
                    "description": "first event time, ns since epoch (2024-01-02T00:00:00Z)"},
    "events": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807,
               "description": "total events; default 1000000 when duration_s is absent too"},
    "duration_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000000,
                   "description": "event-time span; with events, whichever ends first"},
    "events_per_second": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000000000000,
                          "default": 10000,
                          "description": "event-time rate over all symbols"},
    "trade_share": {"type": "number", "minimum": 0, "default": 0.5},
    "quote_share": {"type": "number", "minimum": 0, "default": 0.35},
    "l2_share": {"type": "number", "minimum": 0, "default": 0.15,
                 "description": "shares of emitted events by type, normalised to their sum"},
    "l2_levels": {"type": "integer", "minimum": 1, "maximum": 64, "default": 5,
                  "description": "levels per side in each L2 snapshot"},
    "volatility_bps": {"type": "number", "minimum": 0, "maximum": 5000, "default": 10,
                       "description": "per-minute return std at regime multiplier 1"},
    "spread_bps": {"type": "number", "exclusiveMinimum": 0, "maximum": 5000, "default": 2},
    "regime_vol_mults": {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                         "minItems": 1, "default": [1, 3],
                         "description": "volatility multiplier of each regime"},
    "regime_switch_prob": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.02,
                           "description": "per symbol per minute"},
    "volume_spike_prob": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.002},
    "volume_spike_mult": {"type": "number", "minimum": 1, "maximum": 1000000, "default": 10},
    "return_jump_prob": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.002},
    "return_jump_bps": {"type": "number", "exclusiveMinimum": 0, "maximum": 5000, "default": 150},
    "spread_blowout_prob": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.002},
    "spread_blowout_mult": {"type": "number", "minimum": 1, "maximum": 10000, "default": 15},
    "recv_lag_us": {"type": "number", "minimum": 0, "maximum": 1000000000, "default": 200,
                    "description": "mean recv_ts_ns - ts_ns; uniform in [0.5, 1.5] x this"},
    "receive_clock": {"type": "boolean", "default": false,
                      "description": "act as a live feed: report the receive clock (the latest receive time emitted, less the lag jitter), so live modes close minutes on it"},
    "speed": {"type": "number", "minimum": 0, "maximum": 1000000000, "default": 0,
              "description": "pace the events as a live feed delivers them: event-time seconds per wall second from the first poll (60: a minute a second); 0 emits as fast as the host reads"}
  },
  "additionalProperties": false
})json";

  Synthetic(const sh::Host& host, const sh::Json& config)
      : sh::Provider(host), cfg_(parse_config(config, kConfigSchema)), rng_(cfg_.seed) {
    const double shares = cfg_.trade_share + cfg_.quote_share + cfg_.l2_share;
    const double st = cfg_.trade_share / shares, sq = cfg_.quote_share / shares;
    const double sl = cfg_.l2_share / shares;
    const double l2_events = 2.0 * cfg_.l2_levels;
    // Draw probabilities that make the *event* shares match the config.
    const double w = st + sq + sl / l2_events;
    p_trade_ = st / w;
    p_trade_or_quote_ = (st + sq) / w;
    mean_draw_gap_ns_ = 1e9 / (cfg_.events_per_second * w);
    const double draws_per_symbol_minute =
        60.0 * cfg_.events_per_second * w / static_cast<double>(cfg_.symbols.size());
    step_sigma_per_mult_ = cfg_.volatility_bps * 1e-4 / std::sqrt(draws_per_symbol_minute);
    end_ts_ns_ = cfg_.duration_s > 0
                     ? cfg_.start_ts_ns + static_cast<int64_t>(cfg_.duration_s * 1e9)
                     : std::numeric_limits<int64_t>::max();
    lag_mean_ns_ = cfg_.recv_lag_us * 1e3;

    symbols_.reserve(cfg_.symbols.size());
    for (const std::string& name : cfg_.symbols) {
      SymbolState s{};
      s.id = host.intern(name);
      if (s.id == SH_INVALID_SYMBOL) throw sh::ConfigError("host refused to intern symbol '" + name + "'");
      s.mid = std::pow(10.0, 1.0 + 3.0 * rng_.uniform());  // 10 .. 10000
      s.base_size = 5000.0 / s.mid;
      s.regime = 0;
      s.size_mult = 1.0;
      symbols_.push_back(s);
    }
    for (SymbolState& s : symbols_) apply_regime(s, false);
    counter_regime_ = host.counter("regime_switches");
    counter_volume_ = host.counter("volume_spikes");
    counter_jump_ = host.counter("return_jumps");
    counter_spread_ = host.counter("spread_blowouts");
    next_minute_ts_ns_ = (cfg_.start_ts_ns / kNsPerMinute + 1) * kNsPerMinute;
  }

  // receive_clock: every event received before the latest emitted receive
  // time less the largest lag jitter (1 x the mean) has been emitted.
  int64_t clock_ns() override {
    if (!cfg_.receive_clock) return -1;
    const int64_t clock = last_recv_ns_ - static_cast<int64_t>(lag_mean_ns_) - 1;
    return clock > 0 ? clock : 0;
  }

  // Emits up to min(max_events, 4096) events in one sink call. Returns
  // SH_END_OF_DATA once everything is emitted: on the call that emits the last
  // event when `events` bounds the run, on the first call past the span when
  // duration_s does; else SH_OK. If the sink refuses a batch, the same events
  // are offered again on the next poll and SH_WOULD_BLOCK is returned; with
  // speed, SH_WOULD_BLOCK also says nothing is due yet (a live feed's quiet).
  sh_status poll(const sh::EventSink& sink, uint32_t max_events) override {
    if (pending_begin_ == pending_end_) {
      pending_begin_ = pending_end_ = 0;
      const uint32_t want = max_events < kMaxBatch ? max_events : kMaxBatch;
      if (buf_.size() < want) buf_.resize(want);
      pending_end_ = generate(buf_.data(), want);
    }
    uint32_t count = pending_end_ - pending_begin_;
    if (count > max_events) count = max_events;
    if (cfg_.speed > 0) {
      count = paced(count);
      if (count == 0 && pending_begin_ < pending_end_) return SH_WOULD_BLOCK;  // nothing due yet
    }
    if (count > 0) {
      if (sink.emit(buf_.data() + pending_begin_, count) != SH_OK) return SH_WOULD_BLOCK;
      pending_begin_ += count;
      const int64_t recv = buf_[pending_begin_ - 1].recv_ts_ns;
      if (recv > last_recv_ns_) last_recv_ns_ = recv;
    }
    return (done_ && pending_begin_ == pending_end_) ? SH_END_OF_DATA : SH_OK;
  }

 private:
  // speed > 0: how many of the next `count` pending events are due by now
  // (event time since start_ts_ns <= wall time since the first poll x speed).
  uint32_t paced(uint32_t count) {
    const auto now = std::chrono::steady_clock::now();
    if (!paced_started_) {
      paced_started_ = true;
      paced_wall0_ = now;
    }
    const double wall_ns = static_cast<double>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - paced_wall0_).count());
    const double due = static_cast<double>(cfg_.start_ts_ns) + wall_ns * cfg_.speed;
    uint32_t n = 0;
    while (n < count && static_cast<double>(buf_[pending_begin_ + n].ts_ns) <= due) ++n;
    return n;
  }

  void apply_regime(SymbolState& s, bool blowout) {
    const double mult = cfg_.regime_vol_mults[s.regime];
    s.step_sigma = step_sigma_per_mult_ * mult;
    // Spreads widen with the square root of the volatility multiplier.
    s.half_spread_frac = 0.5e-4 * cfg_.spread_bps * std::sqrt(mult) *
                         (blowout ? cfg_.spread_blowout_mult : 1.0);
  }

  // Regime switches and spikes for the minute that starts at minute_ts_ns.
  void on_minute() {
    int64_t switches = 0, vol_spikes = 0, jumps = 0, blowouts = 0;
    const uint32_t regimes = static_cast<uint32_t>(cfg_.regime_vol_mults.size());
    for (SymbolState& s : symbols_) {
      if (regimes > 1 && rng_.uniform() < cfg_.regime_switch_prob) {
        s.regime = (s.regime + 1 + rng_.below(regimes - 1)) % regimes;  // any other regime
        ++switches;
      }
      const bool vol_spike = rng_.uniform() < cfg_.volume_spike_prob;
      s.size_mult = vol_spike ? cfg_.volume_spike_mult : 1.0;
      vol_spikes += vol_spike;
      if (rng_.uniform() < cfg_.return_jump_prob) {
        const double sign = (rng_.next() >> 63) ? 1.0 : -1.0;
        s.mid *= std::exp(sign * cfg_.return_jump_bps * 1e-4 * (1.0 + 0.5 * rng_.uniform()));
        ++jumps;
      }
      const bool blowout = rng_.uniform() < cfg_.spread_blowout_prob;
      blowouts += blowout;
      apply_regime(s, blowout);
    }
    if (switches) host().add(counter_regime_, switches);
    if (vol_spikes) host().add(counter_volume_, vol_spikes);
    if (jumps) host().add(counter_jump_, jumps);
    if (blowouts) host().add(counter_spread_, blowouts);
  }

  // Writes up to `want` events into out; returns how many. Sets done_ once the
  // configured total or span is reached. The hot state lives in locals for
  // the loop: stores into the event buffer could alias members, which would
  // otherwise force a reload of the generator state after every store.
  uint32_t generate(sh_market_event* out, uint32_t want) {
    Rng rng = rng_;
    double gap_acc_ns = gap_acc_ns_;
    uint64_t emitted = emitted_;
    uint64_t trade_id = trade_id_;
    const uint64_t events = cfg_.events;
    const int64_t start_ts_ns = cfg_.start_ts_ns, end_ts_ns = end_ts_ns_;
    const double mean_gap_ns = mean_draw_gap_ns_, lag_mean_ns = lag_mean_ns_;
    const double p_trade = p_trade_, p_trade_or_quote = p_trade_or_quote_;
    const uint32_t l2_events = 2 * cfg_.l2_levels;
    SymbolState* const symbols = symbols_.data();
    const uint64_t symbol_count = symbols_.size();

    uint32_t n = 0;
    for (; n < want && !done_; ++n) {
      if (emitted >= events) {
        done_ = true;
        break;
      }
      sh_market_event& e = out[n];
      blank(e);
      if (l2_pending_ > 0) {
        write_l2_level(e);
        ++emitted;
        continue;
      }

      // Bits: r0 = gap (32..63), side (0), sizes (1..31); r1 = symbol (32..63),
      // spread jitter (0..31); r2 = normal (52..63), lag (16..31), type (0..15).
      const uint64_t r0 = rng.next();
      gap_acc_ns += mean_gap_ns * (0.5 + u32(r0 >> 32));
      const int64_t ts_ns = start_ts_ns + static_cast<int64_t>(gap_acc_ns);
      if (ts_ns >= end_ts_ns) {
        done_ = true;
        break;
      }
      if (ts_ns >= next_minute_ts_ns_) {
        rng_ = rng;  // on_minute draws from the member generator
        while (ts_ns >= next_minute_ts_ns_) {
          on_minute();
          next_minute_ts_ns_ += kNsPerMinute;
        }
        rng = rng_;
      }

      const uint64_t r1 = rng.next();
      const uint64_t r2 = rng.next();
      SymbolState& s = symbols[((r1 >> 32) * symbol_count) >> 32];
      double step = s.step_sigma * normal_(r2);
      if (step < -0.5) step = -0.5;  // keeps the mid positive under extreme configs
      const double mid = s.mid * (1.0 + step);
      s.mid = mid;
      double half = mid * s.half_spread_frac * (0.75 + 0.5 * u32(r1));
      if (half > 0.25 * mid) half = 0.25 * mid;
      const double bid = mid - half, ask = mid + half;

      e.symbol = s.id;
      e.ts_ns = ts_ns;
      e.recv_ts_ns = ts_ns + static_cast<int64_t>(lag_mean_ns * (0.5 + u16(r2 >> 16)));
      const double u_type = u16(r2);
      if (u_type < p_trade) {
        e.type = SH_EVENT_TRADE;
        const bool buy = (r0 & 1u) != 0;
        e.data.trade.side = buy ? SH_SIDE_BUY : SH_SIDE_SELL;
        e.data.trade.price = buy ? ask : bid;
        e.data.trade.size = s.base_size * s.size_mult * (0.2 + 1.6 * u16(r0 >> 1));
        e.data.trade.trade_id = ++trade_id;
      } else if (u_type < p_trade_or_quote || events - emitted < l2_events) {
        e.type = SH_EVENT_QUOTE;
        e.data.quote.bid = bid;
        e.data.quote.ask = ask;
        e.data.quote.bid_size = s.base_size * (0.5 + 2.0 * u16(r0 >> 1));
        e.data.quote.ask_size = s.base_size * (0.5 + 2.0 * u16(r0 >> 17));
      } else {
        // A full top-N snapshot: bids 0..N-1 then asks 0..N-1 at one ts_ns.
        l2_.symbol = s.id;
        l2_.ts_ns = ts_ns;
        l2_.recv_ts_ns = e.recv_ts_ns;
        l2_.bid = bid;
        l2_.ask = ask;
        l2_.base_size = s.base_size;
        l2_.size_bits = r0;
        l2_next_ = 0;
        l2_pending_ = l2_events;
        write_l2_level(e);
      }
      ++emitted;
    }
    rng_ = rng;
    gap_acc_ns_ = gap_acc_ns;
    emitted_ = emitted;
    trade_id_ = trade_id;
    if (emitted_ >= events) done_ = true;
    return n;
  }

  void write_l2_level(sh_market_event& e) {
    const uint32_t n = cfg_.l2_levels;
    const uint32_t i = l2_next_++;
    const bool bid_side = i < n;
    const uint32_t level = bid_side ? i : i - n;
    e.type = SH_EVENT_L2;
    e.symbol = l2_.symbol;
    e.ts_ns = l2_.ts_ns;
    e.recv_ts_ns = l2_.recv_ts_ns;
    e.flags = i == 0 ? SH_EVENT_FLAG_SNAPSHOT : 0u;
    e.data.l2.side = bid_side ? SH_SIDE_BUY : SH_SIDE_SELL;
    e.data.l2.level = level;
    e.data.l2.price = bid_side ? l2_.bid * (1.0 - kL2StepFrac * level)
                               : l2_.ask * (1.0 + kL2StepFrac * level);
    // Depth grows away from the top; a cheap per-level hash keeps sizes varied.
    const uint64_t h = (l2_.size_bits ^ (0x9E3779B97F4A7C15ULL * (i + 1))) >> 48;
    e.data.l2.size = l2_.base_size * (1.0 + level) * (0.5 + static_cast<double>(h) * 0x1.0p-16);
    --l2_pending_;
  }

  static double u16(uint64_t r) { return static_cast<double>(r & 0xFFFF) * 0x1.0p-16; }
  static double u32(uint64_t r) { return static_cast<double>(r & 0xFFFFFFFFu) * 0x1.0p-32; }

  struct L2Snapshot {
    sh_symbol_id symbol = 0;
    int64_t ts_ns = 0, recv_ts_ns = 0;
    double bid = 0, ask = 0, base_size = 0;
    uint64_t size_bits = 0;
  };

  Config cfg_;
  Rng rng_;
  NormalTable normal_;
  std::vector<SymbolState> symbols_;
  double p_trade_ = 0, p_trade_or_quote_ = 0;  // cumulative draw probabilities
  double mean_draw_gap_ns_ = 0;
  double step_sigma_per_mult_ = 0;
  double lag_mean_ns_ = 0;
  bool paced_started_ = false;
  std::chrono::steady_clock::time_point paced_wall0_;
  double gap_acc_ns_ = 0;  // event time since start_ts_ns, fractional ns kept
  int64_t end_ts_ns_ = 0;
  int64_t next_minute_ts_ns_ = 0;
  uint64_t emitted_ = 0;
  int64_t last_recv_ns_ = 0;
  uint64_t trade_id_ = 0;
  bool done_ = false;
  L2Snapshot l2_;
  uint32_t l2_next_ = 0, l2_pending_ = 0;
  std::vector<sh_market_event> buf_;  // reused between polls
  uint32_t pending_begin_ = 0, pending_end_ = 0;
  uint32_t counter_regime_ = 0, counter_volume_ = 0, counter_jump_ = 0, counter_spread_ = 0;
};

}  // namespace

SH_EXPORT_PLUGIN(Synthetic)
