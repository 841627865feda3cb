// frame_decoder.h: raw frames -> sh_market_event, on the thread that calls
// poll() (or a capture replay, or the benchmark). Owns everything whose
// result must be the same live and in replay: the connection's sequence_num
// check, trade de-duplication, the local books and event times. Counts and
// logs through the host services (only ever from the calling thread).
#ifndef SH_COINBASE_PROVIDER_FRAME_DECODER_H
#define SH_COINBASE_PROVIDER_FRAME_DECODER_H

#include <strategy_host/plugin.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/coinbase_config.h"
#include "common/frame_parser.h"
#include "exchange/capture_file.h"
#include "exchange/decode_support.h"
#include "exchange/order_book.h"

namespace coinbase {

using exchange::FrameKind;
using exchange::make_frame;
using exchange::OrderBook;
using exchange::RawFrame;

class FrameDecoder {
 public:
  // request_resync() asks the feed to resubscribe level2 (Coinbase sends a
  // new snapshot on subscription); its answer comes back as frames. Empty
  // in capture replay (the capture holds the new snapshot where it arrived).
  FrameDecoder(const CoinbaseConfig& config, const sh::Host& host, std::function<void()> request_resync);

  // Appends the frame's events to out.
  void on_frame(const RawFrame& frame, std::vector<sh_market_event>& out);

  uint64_t text_frames() const { return text_frames_; }

 private:
  struct ProductState {
    sh_symbol_id id = SH_INVALID_SYMBOL;
    uint64_t last_trade_id = 0;
    bool has_trade = false;
    int64_t last_ts_ns = INT64_MIN;
    bool book_synced = false;   // a snapshot arrived since the last (re)subscription
    bool gap_pending = false;   // the next book (or event, without level2) is flagged GAP
    OrderBook book;
    exchange::BookView view;  // the top levels last emitted
  };
  struct Counters {
    uint32_t frames, malformed, unknown, unknown_products, server_errors, heartbeats, subscriptions;
    uint32_t trades, trades_duplicate, quotes, quotes_without_bbo, l2_events, snapshots_applied;
    uint32_t l2_updates_unsynced, sequence_gaps, sequence_stale, resyncs, ts_clamped, queue_gaps, sessions;
  };

  void on_text(const RawFrame& f, std::vector<sh_market_event>& out);
  bool check_sequence(const ParsedMessage& m);
  void lost_data(const std::string& why);
  void on_trades(const ParsedMessage& m, int64_t recv_ts_ns, std::vector<sh_market_event>& out);
  void on_quotes(const ParsedMessage& m, int64_t recv_ts_ns, std::vector<sh_market_event>& out);
  void on_books(const ParsedMessage& m, std::vector<sh_market_event>& out);
  void emit_book(ProductState& s, int64_t ts_ns, bool full, std::vector<sh_market_event>& out);
  int64_t clamp_ts(ProductState& s, int64_t ts_ns);
  sh_market_event base_event(ProductState& s, sh_event_type type, int64_t ts_ns, int64_t recv_ts_ns);

  const CoinbaseConfig& config_;
  sh::Host host_;
  std::function<void()> request_resync_;
  FrameParser parser_;
  std::vector<ProductState> products_;
  Counters c_{};
  exchange::LimitedLog log_;
  uint64_t text_frames_ = 0;
  uint64_t sessions_ = 0;
  bool have_sequence_ = false;  // a sequence_num was seen in this session
  uint64_t last_sequence_ = 0;
  bool resync_pending_ = false;  // a level2 resubscription was asked for
  std::vector<TradeItem> trades_;
};

}  // namespace coinbase

#endif
