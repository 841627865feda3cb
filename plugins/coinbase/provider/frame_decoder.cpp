// frame_decoder.cpp: FrameDecoder. Every message carries the connection's
// sequence_num (one counter across channels, from 0 per connection); a
// number skipped means a message was lost: counted (sequence_gaps), logged,
// every book dropped and level2 resubscribed (Coinbase answers a
// subscription with a fresh snapshot), and the first level of each new book
// flagged SH_EVENT_FLAG_SNAPSHOT | SH_EVENT_FLAG_GAP so the host marks the
// minute `dq: gap`. A new session (reconnect) and a queue overflow lose
// data the same way and are flagged the same.
#include "provider/frame_decoder.h"

#include <algorithm>

namespace coinbase {

FrameDecoder::FrameDecoder(const CoinbaseConfig& config, const sh::Host& host,
                           std::function<void()> request_resync)
    : config_(config), host_(host), request_resync_(std::move(request_resync)), parser_(config.products),
      log_(host, config.feed.log_limit_per_reason) {
  products_.resize(config.products.size());
  for (size_t i = 0; i < products_.size(); ++i) products_[i].id = host_.intern(config.products[i]);
  c_.frames = host_.counter("frames_decoded");
  c_.malformed = host_.counter("malformed_frames");
  c_.unknown = host_.counter("unknown_messages");
  c_.unknown_products = host_.counter("unknown_products");
  c_.server_errors = host_.counter("server_errors");
  c_.heartbeats = host_.counter("heartbeats");
  c_.subscriptions = host_.counter("subscription_acks");
  c_.trades = host_.counter("trades_emitted");
  c_.trades_duplicate = host_.counter("trades_duplicate");
  c_.quotes = host_.counter("quotes_emitted");
  c_.quotes_without_bbo = host_.counter("quotes_without_bbo");
  c_.l2_events = host_.counter("l2_events_emitted");
  c_.snapshots_applied = host_.counter("snapshots_applied");
  c_.l2_updates_unsynced = host_.counter("l2_updates_unsynced");
  c_.sequence_gaps = host_.counter("sequence_gaps");
  c_.sequence_stale = host_.counter("sequence_stale");
  c_.resyncs = host_.counter("book_resyncs");
  c_.ts_clamped = host_.counter("ts_clamped");
  c_.queue_gaps = host_.counter("queue_gaps");
  c_.sessions = host_.counter("sessions_decoded");
}

// Without level2 there is no book to carry a lost-data flag: the next event
// of each product carries it instead.
sh_market_event FrameDecoder::base_event(ProductState& s, sh_event_type type, int64_t ts_ns,
                                         int64_t recv_ts_ns) {
  sh_market_event ev = exchange::make_event(s.id, type, ts_ns, recv_ts_ns);
  if (!config_.level2 && s.gap_pending) {
    ev.flags |= SH_EVENT_FLAG_GAP;
    s.gap_pending = false;
  }
  return ev;
}

int64_t FrameDecoder::clamp_ts(ProductState& s, int64_t ts_ns) {
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
    case FrameKind::kConnected:
      // A new connection: sequence_num starts again, and Coinbase sends new
      // level2 snapshots for the new subscriptions. After the first one,
      // what happened between the sessions was lost: a gap.
      host_.add(c_.sessions);
      have_sequence_ = false;
      resync_pending_ = false;
      for (ProductState& s : products_) {
        s.book_synced = false;
        s.book.clear();
        s.gap_pending = s.gap_pending || sessions_ > 0;
      }
      ++sessions_;
      break;
    case FrameKind::kOverflow:
      host_.add(c_.queue_gaps);
      lost_data("frames were dropped (queue full: " + f.payload + ")");
      break;
    case FrameKind::kSnapshot:
    case FrameKind::kDisconnected:
    case FrameKind::kEnd:
    case FrameKind::kClock:  // the pump keeps the clock; nothing to decode
      break;
  }
}

// Data was lost: every book starts over from a new snapshot.
void FrameDecoder::lost_data(const std::string& why) {
  for (ProductState& s : products_) {
    s.gap_pending = true;
    if (!config_.level2) continue;
    s.book_synced = false;
    s.book.clear();
  }
  log_.log(SH_LOG_WARN, "lost_data",
              why + (config_.level2 ? "; resubscribing level2 to resynchronise the books" : ""));
  if (config_.level2 && !resync_pending_) {
    resync_pending_ = true;
    host_.add(c_.resyncs);
    if (request_resync_) request_resync_();
  }
}

// False when the message is older than one already decoded (skip it).
bool FrameDecoder::check_sequence(const ParsedMessage& m) {
  if (!m.has_sequence) return true;
  if (have_sequence_ && m.sequence_num <= last_sequence_) {
    host_.add(c_.sequence_stale);
    log_.log(SH_LOG_WARN, "sequence_stale",
                "sequence_num " + std::to_string(m.sequence_num) + " is not after " +
                    std::to_string(last_sequence_) + "; message ignored");
    return false;
  }
  const bool gap = have_sequence_ && m.sequence_num > last_sequence_ + 1;
  const uint64_t expected = last_sequence_ + 1;
  have_sequence_ = true;
  last_sequence_ = m.sequence_num;
  if (gap) {
    host_.add(c_.sequence_gaps);
    lost_data("sequence gap: expected sequence_num " + std::to_string(expected) + ", got " +
              std::to_string(m.sequence_num) + " (" + std::to_string(m.sequence_num - expected) +
              " messages lost)");
  }
  return true;
}

void FrameDecoder::on_text(const RawFrame& f, std::vector<sh_market_event>& out) {
  ++text_frames_;
  host_.add(c_.frames);
  const ParsedMessage& m = parser_.parse(f.payload.data(), f.payload.size(), f.payload.capacity());
  if (m.channel == Channel::kMalformed) {
    host_.add(c_.malformed);
    log_.log(SH_LOG_WARN, "malformed_frame",
                "malformed frame skipped (" + m.detail + "): " + f.payload.substr(0, 160));
    return;
  }
  if (!check_sequence(m)) return;
  if (m.unknown_products > 0) host_.add(c_.unknown_products, m.unknown_products);
  if (m.quotes_without_bbo > 0) host_.add(c_.quotes_without_bbo, m.quotes_without_bbo);
  switch (m.channel) {
    case Channel::kMarketTrades: on_trades(m, f.recv_ts_ns, out); return;
    case Channel::kTicker: on_quotes(m, f.recv_ts_ns, out); return;
    case Channel::kLevel2: on_books(m, out); return;
    case Channel::kHeartbeats: host_.add(c_.heartbeats); return;
    case Channel::kSubscriptions:
      host_.add(c_.subscriptions);
      log_.log(SH_LOG_INFO, "subscriptions", "subscribed: " + m.detail);
      return;
    case Channel::kError:
      host_.add(c_.server_errors);
      log_.log(SH_LOG_ERROR, "server_error", "server error: " + m.detail);
      return;
    case Channel::kUnknown:
      host_.add(c_.unknown);
      log_.log(SH_LOG_WARN, "unknown_message",
                  "unknown message skipped (" + m.detail + "): " + f.payload.substr(0, 160));
      return;
    case Channel::kMalformed: return;
  }
}

// A market_trades message may list trades newest first (its snapshot does):
// each product's trades go out in trade_id order, and an id not above the
// last one emitted (a snapshot replayed after a reconnect) is a duplicate.
void FrameDecoder::on_trades(const ParsedMessage& m, int64_t recv_ts_ns, std::vector<sh_market_event>& out) {
  trades_.assign(m.trades.begin(), m.trades.end());
  std::stable_sort(trades_.begin(), trades_.end(), [](const TradeItem& a, const TradeItem& b) {
    return a.product != b.product ? a.product < b.product : a.trade_id < b.trade_id;
  });
  for (const TradeItem& t : trades_) {
    ProductState& s = products_[t.product];
    if (s.has_trade && t.trade_id <= s.last_trade_id) {
      host_.add(c_.trades_duplicate);
      continue;
    }
    s.has_trade = true;
    s.last_trade_id = t.trade_id;
    sh_market_event ev = base_event(s, SH_EVENT_TRADE, clamp_ts(s, t.ts_ns), recv_ts_ns);
    ev.data.trade.price = t.price;
    ev.data.trade.size = t.size;
    // The maker's side: the aggressor took the other one.
    const bool aggressor_buy = config_.trade_side_is_maker ? !t.side_buy : t.side_buy;
    ev.data.trade.side = aggressor_buy ? SH_SIDE_BUY : SH_SIDE_SELL;
    ev.data.trade.trade_id = t.trade_id;
    out.push_back(ev);
    host_.add(c_.trades);
  }
}

// ticker items carry no time of their own: the envelope's timestamp.
void FrameDecoder::on_quotes(const ParsedMessage& m, int64_t recv_ts_ns, std::vector<sh_market_event>& out) {
  for (const QuoteItem& q : m.quotes) {
    ProductState& s = products_[q.product];
    sh_market_event ev = base_event(s, SH_EVENT_QUOTE, clamp_ts(s, m.ts_ns), recv_ts_ns);
    ev.data.quote.bid = q.bid;
    ev.data.quote.bid_size = q.bid_qty;
    ev.data.quote.ask = q.ask;
    ev.data.quote.ask_size = q.ask_qty;
    out.push_back(ev);
    host_.add(c_.quotes);
  }
}

void FrameDecoder::on_books(const ParsedMessage& m, std::vector<sh_market_event>& out) {
  if (!config_.level2) return;
  for (const BookItem& b : m.books) {
    ProductState& s = products_[b.product];
    if (b.snapshot) {
      s.book.clear();
      s.book_synced = true;
      resync_pending_ = false;
      host_.add(c_.snapshots_applied);
    } else if (!s.book_synced) {
      host_.add(c_.l2_updates_unsynced);  // waiting for the snapshot of a (re)subscription
      continue;
    }
    s.book.apply_side(m.bids.data() + b.bid_begin, b.bid_end - b.bid_begin, true);
    s.book.apply_side(m.asks.data() + b.ask_begin, b.ask_end - b.ask_begin, false);
    s.book.set_update_id(m.sequence_num);
    emit_book(s, m.ts_ns, b.snapshot, out);
  }
}

// full: a whole book (first level flagged SNAPSHOT, and GAP after a loss);
// otherwise only the top levels that changed since the last emission.
void FrameDecoder::emit_book(ProductState& s, int64_t ts_ns, bool full, std::vector<sh_market_event>& out) {
  const sh_market_event proto = base_event(s, SH_EVENT_L2, clamp_ts(s, ts_ns), 0);
  const size_t n = s.view.emit(s.book, config_.feed.depth_levels, proto, full, s.gap_pending, out);
  if (full) s.gap_pending = false;
  host_.add(c_.l2_events, static_cast<int64_t>(n));
}

}  // namespace coinbase
