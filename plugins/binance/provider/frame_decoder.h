// frame_decoder.h: raw frames -> sh_market_event, on the thread that calls
// poll() (or a capture replay, or the benchmark). Owns everything whose
// result must be the same live and in replay: trade de-duplication, the local
// books and their update-id synchronisation, event times. Counts and logs
// through the host services (only ever from the calling thread).
#ifndef SH_BINANCE_PROVIDER_FRAME_DECODER_H
#define SH_BINANCE_PROVIDER_FRAME_DECODER_H

#include <strategy_host/plugin.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/binance_config.h"
#include "common/frame_parser.h"
#include "exchange/capture_file.h"
#include "exchange/decode_support.h"
#include "exchange/order_book.h"

namespace binance {

using exchange::FrameKind;
using exchange::make_frame;
using exchange::OrderBook;
using exchange::RawFrame;

class FrameDecoder {
 public:
  // request_snapshot(symbol_index) asks for a REST depth snapshot; its reply
  // comes back later as a kSnapshot frame. Empty in capture replay (the
  // capture holds the replies where they arrived).
  FrameDecoder(const BinanceConfig& config, const sh::Host& host,
               std::function<void(uint32_t)> request_snapshot);

  // Appends the frame's events to out.
  void on_frame(const RawFrame& frame, std::vector<sh_market_event>& out);

  uint64_t text_frames() const { return text_frames_; }

 private:
  struct BufferedDiff {
    uint64_t first_id, final_id;
    int64_t ts_ns;
    std::vector<PriceLevel> bids, asks;
  };
  enum class DepthState { kWaitingDiff, kWaitingSnapshot, kSynced };
  struct SymbolState {
    sh_symbol_id id = SH_INVALID_SYMBOL;
    uint64_t last_trade_id = 0;
    bool has_trade = false;
    uint64_t last_bbo_update_id = 0;
    int64_t last_ts_ns = INT64_MIN;
    int64_t lag_ns = -1;  // smoothed receive minus exchange time; -1 = unknown
    DepthState depth = DepthState::kWaitingDiff;
    bool gap_pending = false;  // the next book goes out flagged SH_EVENT_FLAG_GAP
    std::vector<BufferedDiff> buffer;
    OrderBook book;
    exchange::BookView view;  // the top levels last emitted
  };
  struct Counters {
    uint32_t frames, malformed, unknown, server_errors, results, shutdown_notices;
    uint32_t trades, trades_duplicate, quotes, quotes_stale, l2_events;
    uint32_t depth_gaps, depth_stale_diffs, depth_resyncs, snapshots_applied, snapshot_too_old;
    uint32_t snapshot_bad, snapshot_unused, diff_buffer_overflow, ts_clamped, queue_gaps, sessions;
  };

  void on_text(const RawFrame& f, std::vector<sh_market_event>& out);
  void on_snapshot(const RawFrame& f, std::vector<sh_market_event>& out);
  void on_diff(SymbolState& s, uint32_t index, const ParsedFrame& p, int64_t ts_ns,
               std::vector<sh_market_event>& out);
  void restart_sync(SymbolState& s, uint32_t index, bool gap);
  void emit_book(SymbolState& s, int64_t ts_ns, bool full, std::vector<sh_market_event>& out);
  void observe_lag(SymbolState& s, int64_t recv_ts_ns, int64_t exchange_ts_ns);
  int64_t clamp_ts(SymbolState& s, int64_t ts_ns);
  sh_market_event base_event(const SymbolState& s, sh_event_type type, int64_t ts_ns,
                             int64_t recv_ts_ns) const;

  const BinanceConfig& config_;
  sh::Host host_;
  std::function<void(uint32_t)> request_snapshot_;
  FrameParser parser_;
  std::vector<SymbolState> symbols_;
  Counters c_{};
  exchange::LimitedLog log_;
  uint64_t text_frames_ = 0;
  uint64_t sessions_ = 0;
};

}  // namespace binance

#endif
