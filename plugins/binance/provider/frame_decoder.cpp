// frame_decoder.cpp: FrameDecoder. The depth synchronisation follows
// web-socket-streams.md, "How to manage a local order book correctly":
// buffer diffs, fetch a snapshot, drop diffs with u <= lastUpdateId, the
// first applied diff straddles lastUpdateId + 1, then each U <= book id + 1;
// U > book id + 1 is a gap: count it, log it, resynchronise, and flag the
// next book SH_EVENT_FLAG_GAP | SH_EVENT_FLAG_SNAPSHOT.
#include "provider/frame_decoder.h"

#include <algorithm>

namespace binance {

namespace {
constexpr int64_t kNsPerMs = 1000000;
}

FrameDecoder::FrameDecoder(const BinanceConfig& config, const sh::Host& host,
                           std::function<void(uint32_t)> request_snapshot)
    : config_(config), host_(host), request_snapshot_(std::move(request_snapshot)),
      parser_(config.symbols), log_(host, config.feed.log_limit_per_reason) {
  symbols_.resize(config.symbols.size());
  for (size_t i = 0; i < symbols_.size(); ++i) symbols_[i].id = host_.intern(config.symbols[i]);
  c_.frames = host_.counter("frames_decoded");
  c_.malformed = host_.counter("malformed_frames");
  c_.unknown = host_.counter("unknown_messages");
  c_.server_errors = host_.counter("server_errors");
  c_.results = host_.counter("request_results");
  c_.shutdown_notices = host_.counter("server_shutdown_notices");
  c_.trades = host_.counter("trades_emitted");
  c_.trades_duplicate = host_.counter("trades_duplicate");
  c_.quotes = host_.counter("quotes_emitted");
  c_.quotes_stale = host_.counter("quotes_stale");
  c_.l2_events = host_.counter("l2_events_emitted");
  c_.depth_gaps = host_.counter("depth_gaps");
  c_.depth_stale_diffs = host_.counter("depth_stale_diffs");
  c_.depth_resyncs = host_.counter("depth_resyncs");
  c_.snapshots_applied = host_.counter("snapshots_applied");
  c_.snapshot_too_old = host_.counter("snapshot_too_old");
  c_.snapshot_bad = host_.counter("snapshot_bad");
  c_.snapshot_unused = host_.counter("snapshot_unused");
  c_.diff_buffer_overflow = host_.counter("diff_buffer_overflow");
  c_.ts_clamped = host_.counter("ts_clamped");
  c_.queue_gaps = host_.counter("queue_gaps");
  c_.sessions = host_.counter("sessions_decoded");
}

sh_market_event FrameDecoder::base_event(const SymbolState& s, sh_event_type type, int64_t ts_ns,
                                         int64_t recv_ts_ns) const {
  return exchange::make_event(s.id, type, ts_ns, recv_ts_ns);
}

void FrameDecoder::observe_lag(SymbolState& s, int64_t recv_ts_ns, int64_t exchange_ts_ns) {
  const int64_t lag = std::max<int64_t>(0, recv_ts_ns - exchange_ts_ns);
  s.lag_ns = s.lag_ns < 0 ? lag : s.lag_ns + (lag - s.lag_ns) / 8;
}

int64_t FrameDecoder::clamp_ts(SymbolState& s, int64_t ts_ns) {
  bool clamped = false;
  ts_ns = exchange::non_decreasing(&s.last_ts_ns, ts_ns, &clamped);
  if (clamped) host_.add(c_.ts_clamped);
  return ts_ns;
}

void FrameDecoder::on_frame(const RawFrame& f, std::vector<sh_market_event>& out) {
  switch (f.kind) {
    case FrameKind::kText:
      on_text(f, out);
      break;
    case FrameKind::kSnapshot:
      on_snapshot(f, out);
      break;
    case FrameKind::kConnected:
      // A new session is a new diff stream: every book resynchronises.
      // After the first one, the time between sessions was lost: a gap.
      host_.add(c_.sessions);
      for (uint32_t i = 0; i < symbols_.size(); ++i) restart_sync(symbols_[i], i, sessions_ > 0);
      ++sessions_;
      break;
    case FrameKind::kOverflow:
      host_.add(c_.queue_gaps);
      log_.log(SH_LOG_WARN, "queue_gap",
                  "frames were dropped (queue full: " + f.payload + "); books resynchronise");
      for (uint32_t i = 0; i < symbols_.size(); ++i) {
        restart_sync(symbols_[i], i, true);
      }
      break;
    case FrameKind::kDisconnected:
    case FrameKind::kEnd:
    case FrameKind::kClock:  // the provider keeps the clock; nothing to decode
      break;
  }
}

void FrameDecoder::on_text(const RawFrame& f, std::vector<sh_market_event>& out) {
  ++text_frames_;
  host_.add(c_.frames);
  const ParsedFrame& p = parser_.parse(f.payload.data(), f.payload.size(), f.payload.capacity());
  switch (p.type) {
    case MsgType::kTrade: {
      SymbolState& s = symbols_[p.symbol_index];
      const int64_t ts = p.event_ms * kNsPerMs;
      observe_lag(s, f.recv_ts_ns, ts);
      if (s.has_trade && p.trade_id <= s.last_trade_id) {
        host_.add(c_.trades_duplicate);  // e.g. replayed across a reconnect
        return;
      }
      s.has_trade = true;
      s.last_trade_id = p.trade_id;
      sh_market_event ev = base_event(s, SH_EVENT_TRADE, clamp_ts(s, ts), f.recv_ts_ns);
      ev.data.trade.price = p.price;
      ev.data.trade.size = p.qty;
      // "m": the buyer is the maker, so the seller was the aggressor.
      ev.data.trade.side = p.buyer_maker ? SH_SIDE_SELL : SH_SIDE_BUY;
      ev.data.trade.trade_id = p.trade_id;
      out.push_back(ev);
      host_.add(c_.trades);
      return;
    }
    case MsgType::kBookTicker: {
      SymbolState& s = symbols_[p.symbol_index];
      if (p.final_update_id < s.last_bbo_update_id) {
        host_.add(c_.quotes_stale);
        return;
      }
      s.last_bbo_update_id = p.final_update_id;
      // bookTicker carries no event time: the receive time less the symbol's
      // smoothed lag from trades and diffs estimates it.
      int64_t ts = p.event_ms >= 0 ? p.event_ms * kNsPerMs
                                   : f.recv_ts_ns - std::max<int64_t>(0, s.lag_ns);
      // An estimated time carries no receive time: its lag would be the
      // estimate itself (and would pull the host's receive clock).
      sh_market_event ev =
          base_event(s, SH_EVENT_QUOTE, clamp_ts(s, ts), p.event_ms >= 0 ? f.recv_ts_ns : 0);
      ev.data.quote.bid = p.bid;
      ev.data.quote.bid_size = p.bid_qty;
      ev.data.quote.ask = p.ask;
      ev.data.quote.ask_size = p.ask_qty;
      out.push_back(ev);
      host_.add(c_.quotes);
      return;
    }
    case MsgType::kDepth: {
      if (!config_.depth) return;
      SymbolState& s = symbols_[p.symbol_index];
      const int64_t ts = p.event_ms * kNsPerMs;
      observe_lag(s, f.recv_ts_ns, ts);
      on_diff(s, p.symbol_index, p, ts, out);
      return;
    }
    case MsgType::kServerShutdown:
      host_.add(c_.shutdown_notices);
      host_.log(SH_LOG_INFO, "server announced a shutdown; the connection will be re-established");
      return;
    case MsgType::kResult:
      host_.add(c_.results);
      return;
    case MsgType::kError:
      host_.add(c_.server_errors);
      log_.log(SH_LOG_ERROR, "server_error", "server refused a request: " + p.detail);
      return;
    case MsgType::kUnknown:
      host_.add(c_.unknown);
      log_.log(SH_LOG_WARN, "unknown_message",
                  "unknown message skipped (" + p.detail + "): " + f.payload.substr(0, 160));
      return;
    case MsgType::kMalformed:
      host_.add(c_.malformed);
      log_.log(SH_LOG_WARN, "malformed_frame",
                  "malformed frame skipped (" + p.detail + "): " + f.payload.substr(0, 160));
      return;
  }
}

void FrameDecoder::restart_sync(SymbolState& s, uint32_t index, bool gap) {
  (void)index;
  s.depth = DepthState::kWaitingDiff;
  s.buffer.clear();
  s.book.clear();
  s.gap_pending = s.gap_pending || gap;
}

void FrameDecoder::on_diff(SymbolState& s, uint32_t index, const ParsedFrame& p, int64_t ts_ns,
                           std::vector<sh_market_event>& out) {
  if (s.depth != DepthState::kSynced) {
    if (s.buffer.size() >= config_.max_buffered_diffs) {
      // The snapshot is too slow to come: start over from this diff.
      host_.add(c_.diff_buffer_overflow);
      log_.log(SH_LOG_WARN, "diff_buffer_overflow",
                  config_.symbols[index] + ": diff buffer full while waiting for a snapshot; restarting the sync");
      s.buffer.clear();
      s.depth = DepthState::kWaitingDiff;
    }
    s.buffer.push_back({p.first_update_id, p.final_update_id, ts_ns, p.bids, p.asks});
    if (s.depth == DepthState::kWaitingDiff) {
      s.depth = DepthState::kWaitingSnapshot;
      if (request_snapshot_) request_snapshot_(index);
    }
    return;
  }
  const uint64_t id = s.book.update_id();
  if (p.final_update_id <= id) {
    // Older than the book (out of order, or already in the snapshot).
    host_.add(c_.depth_stale_diffs);
    log_.log(SH_LOG_WARN, "depth_stale_diff",
                config_.symbols[index] + ": depth diff u=" + std::to_string(p.final_update_id) +
                    " is not newer than the book (" + std::to_string(id) + "); ignored");
    return;
  }
  if (p.first_update_id > id + 1) {
    host_.add(c_.depth_gaps);
    host_.add(c_.depth_resyncs);
    log_.log(SH_LOG_WARN, "depth_gap",
                config_.symbols[index] + ": depth update-id gap (book at " + std::to_string(id) +
                    ", next diff starts at U=" + std::to_string(p.first_update_id) +
                    "); resynchronising from a new snapshot");
    restart_sync(s, index, true);
    s.buffer.push_back({p.first_update_id, p.final_update_id, ts_ns, p.bids, p.asks});
    s.depth = DepthState::kWaitingSnapshot;
    if (request_snapshot_) request_snapshot_(index);
    return;
  }
  s.book.apply(p.bids, p.asks, p.final_update_id);
  emit_book(s, ts_ns, false, out);
}

void FrameDecoder::on_snapshot(const RawFrame& f, std::vector<sh_market_event>& out) {
  const auto it = std::find(config_.symbols.begin(), config_.symbols.end(), f.symbol);
  if (it == config_.symbols.end()) {
    host_.add(c_.snapshot_unused);
    return;
  }
  const uint32_t index = static_cast<uint32_t>(it - config_.symbols.begin());
  SymbolState& s = symbols_[index];
  if (s.depth != DepthState::kWaitingSnapshot) {
    host_.add(c_.snapshot_unused);
    return;
  }
  const ParsedSnapshot& snap = parser_.parse_snapshot(f.payload.data(), f.payload.size(), f.payload.capacity());
  if (!snap.ok) {
    host_.add(c_.snapshot_bad);
    log_.log(SH_LOG_ERROR, "snapshot_bad",
                f.symbol + ": depth snapshot refused (" + snap.detail + "); asking again");
    if (request_snapshot_) request_snapshot_(index);
    return;
  }
  const uint64_t last = snap.last_update_id;
  auto& buf = s.buffer;
  buf.erase(std::remove_if(buf.begin(), buf.end(),
                           [last](const BufferedDiff& d) { return d.final_id <= last; }),
            buf.end());
  if (!buf.empty() && buf.front().first_id > last + 1) {
    // Diffs between the snapshot and the first buffered one are missing.
    host_.add(c_.snapshot_too_old);
    log_.log(SH_LOG_INFO, "snapshot_too_old",
                f.symbol + ": snapshot lastUpdateId " + std::to_string(last) +
                    " is older than the first buffered diff (U=" + std::to_string(buf.front().first_id) +
                    "); asking again");
    if (request_snapshot_) request_snapshot_(index);
    return;
  }
  s.book.reset(snap.bids, snap.asks, last);
  int64_t ts = f.recv_ts_ns - std::max<int64_t>(0, s.lag_ns);
  for (size_t i = 0; i < buf.size(); ++i) {
    const BufferedDiff& d = buf[i];
    if (d.first_id > s.book.update_id() + 1) {
      // A gap among the buffered diffs: start over from the diff after it.
      host_.add(c_.depth_gaps);
      host_.add(c_.depth_resyncs);
      log_.log(SH_LOG_WARN, "depth_gap",
                  f.symbol + ": depth update-id gap among buffered diffs (book at " +
                      std::to_string(s.book.update_id()) + ", next U=" + std::to_string(d.first_id) +
                      "); resynchronising from a new snapshot");
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(i));
      s.book.clear();
      s.gap_pending = true;
      if (request_snapshot_) request_snapshot_(index);
      return;
    }
    if (d.final_id <= s.book.update_id()) continue;
    s.book.apply(d.bids, d.asks, d.final_id);
    ts = d.ts_ns;
  }
  buf.clear();
  s.depth = DepthState::kSynced;
  host_.add(c_.snapshots_applied);
  emit_book(s, ts, true, out);
}

// full: a whole book (first level flagged SNAPSHOT, and GAP after a loss);
// otherwise only the top levels that changed since the last emission.
void FrameDecoder::emit_book(SymbolState& s, int64_t ts_ns, bool full, std::vector<sh_market_event>& out) {
  const sh_market_event proto = base_event(s, SH_EVENT_L2, clamp_ts(s, ts_ns), 0);
  const size_t n = s.view.emit(s.book, config_.feed.depth_levels, proto, full, s.gap_pending, out);
  if (full) s.gap_pending = false;
  host_.add(c_.l2_events, static_cast<int64_t>(n));
}

}  // namespace binance
