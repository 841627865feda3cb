// MarketDataGuard: the plausibility check every market event passes before
// the conveyor sees it, whatever provider it came from (a file, an exchange
// feed, a quant's own plugin). One bad print must never poison a symbol's
// indicators for the rest of the session, and the same trade delivered twice
// (a replayed file, a reconnect) must count once.
//
// An event is quarantined, with a reason, when:
//   non_finite     a price, size or bar field is NaN or infinite
//   price_bounds   a price outside [min_price, max_price]
//   size_bounds    a size (trade, quote, L2, bar volume) above max_size
//   price_jump     a trade price more than max_jump_bps away from the
//                  symbol's reference price (the last accepted trade). Real
//                  moves are not held back for long: when the next trade
//                  confirms the new level (within max_jump_bps of the
//                  quarantined price, and still a jump from the reference),
//                  the reference moves there and that trade is accepted.
//   duplicate_trade  a trade whose (symbol, trade_id) was accepted before
//                  (trade_id 0 = unknown, never a duplicate). Per symbol, the
//                  ids in (highest - dedupe_window, highest] are remembered in
//                  a bitmap of 64-id blocks, each word tagged with its block
//                  (a word holding an older block reads as empty, so gaps
//                  between venue-wide ids need no clearing): an id costs one
//                  word, in or out of order; ids older than the window are
//                  not checked.
// Limits come from `market_data:` with per-symbol overrides; everything is a
// pure function of the event sequence (deterministic in replay).
#pragma once

#include <strategy_host/abi.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "conveyor/zero_pages.h"

namespace sh::host {

struct MarketDataLimits {
  double min_price = 1e-12;
  double max_price = 1e12;
  double max_size = 1e15;
  double max_jump_bps = 5000;  // 50 % against the last accepted trade; 0 = off
};

struct MarketDataGuardConfig {
  bool enabled = true;
  MarketDataLimits defaults;
  std::map<std::string, MarketDataLimits> by_symbol;  // symbol name -> limits
  uint32_t dedupe_window = 65536;                      // trade ids remembered per symbol; 0 = no dedupe
  uint32_t log_limit_per_reason = 20;                  // WARN lines per reason per run
  std::string rejects_file = "rejects.jsonl";          // in output_dir; "" = none

  // "" when valid, else what is wrong ("market_data.max_jump_bps must be >= 0").
  std::string validate() const;
};

enum class Quarantine : uint8_t {
  kNone = 0,
  kNonFinite,
  kPriceBounds,
  kSizeBounds,
  kPriceJump,
  kDuplicateTrade,
  kCount
};
const char* quarantine_name(Quarantine q);

class MarketDataGuard {
 public:
  // name_of resolves symbol ids for the per-symbol limits (called once per
  // symbol, the first time it is seen).
  using NameFn = const char* (*)(void* ctx, sh_symbol_id id);
  MarketDataGuard(MarketDataGuardConfig config, NameFn name_of, void* name_ctx);

  // The verdict for one event; an accepted trade updates the symbol's
  // reference price and remembers its id.
  Quarantine check(const sh_market_event& ev);
  // Start loading what check(ev) will read: its symbol's state (far = true,
  // some events ahead) or, once that is in, a trade's id bitmap word
  // (far = false, a few events ahead). Changes nothing.
  void prefetch(const sh_market_event& ev, bool far) const;

  const MarketDataGuardConfig& config() const { return config_; }
  uint64_t quarantined(Quarantine q) const { return counts_[static_cast<size_t>(q)]; }
  uint64_t quarantined_total() const;
  // A line for the log: reason, symbol, what was wrong ("price 1e+300 above
  // max_price 1e+12"), for event `ev` just refused with `q`.
  std::string describe(const sh_market_event& ev, Quarantine q) const;

 private:
  // All-zero is "no block yet", so the bitmaps come from ZeroPages, as huge
  // pages where the kernel gives them (value-initialised vectors wrote each
  // symbol's 16 KB at its first trade: 1,000 symbols' 4,000 page faults
  // stalled the first minute; ids spread over the window touch every page).
  struct IdWord {
    uint64_t tag;   // the 64-id block whose bits these are, plus one; 0 = none yet
    uint64_t bits;
  };
  struct SymbolState {
    bool resolved = false;
    MarketDataLimits limits;
    double reference = 0;   // last accepted trade price, 0 = none yet
    double pending = 0;     // a quarantined jump awaiting confirmation, 0 = none
    uint64_t max_id = 0;              // highest trade id accepted, 0 = none
    // Ids seen in (max_id - window, max_id]: block b = id / 64 in word
    // b % size (ceil(window / 64) + 1 words: the window's blocks never share one).
    IdWord* seen = nullptr;  // words_ words in id_pages_, from the first id
  };
  SymbolState& state(sh_symbol_id id);
  Quarantine check_price(const MarketDataLimits& l, double price) const;
  bool jumps(double from, double to, double max_bps) const;
  // Records an accepted trade id; false when it was seen (a duplicate).
  bool remember_id(SymbolState& s, uint64_t id);
  // The word of id's block in a symbol's bitmap (words_ words): a 32-bit
  // remainder by multiplication (Lemire's fastmod) where the block fits,
  // which is every venue's ids today.
  size_t word_of(uint64_t id) const {
    const uint64_t b = id >> 6;
    if (b > UINT32_MAX) return b % words_;
    const uint64_t low = words_m_ * b;
    return static_cast<size_t>((static_cast<unsigned __int128>(low) * words_) >> 64);
  }

  MarketDataGuardConfig config_;
  uint32_t words_ = 1;    // a symbol's bitmap size: ceil(dedupe_window / 64) + 1
  uint64_t words_m_ = 0;  // UINT64_MAX / words_ + 1 (word_of)
  NameFn name_of_;
  void* name_ctx_;
  ZeroPages id_pages_{size_t{4} << 20, true};  // the symbols' id bitmaps
  std::vector<SymbolState> symbols_;     // by symbol id
  uint64_t counts_[static_cast<size_t>(Quarantine::kCount)] = {};
};

}  // namespace sh::host
