#!/usr/bin/env python3
"""Writes the coinbase provider's fixture frames (tests/data/coinbase/*.jsonl)
in Coinbase Advanced Trade's documented WebSocket format: an envelope
{"channel", "client_id", "timestamp", "sequence_num", "events"} per message,
channels subscriptions, heartbeats, market_trades, ticker, l2_data; errors
{"type": "error", "message", "reason"}. Each file is one session's frames
with sequence_num counting from 0 (or from --start where a file continues
another). Run from this directory: python3 make_fixtures.py"""
import json
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
PRODUCTS = {"BTC-USD": 87000.0, "ETH-USD": 2950.0}


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % t.microsecond


class Session:
    def __init__(self, seq=0):
        self.seq = seq
        self.lines = []

    def msg(self, channel, t, events):
        self.lines.append(json.dumps({"channel": channel, "client_id": "", "timestamp": iso(t),
                                      "sequence_num": self.seq, "events": events},
                                     separators=(",", ":")))
        self.seq += 1

    def raw(self, line):
        self.lines.append(line)

    def subscriptions(self, t, channels=("heartbeats", "market_trades", "ticker", "level2"),
                      products=tuple(PRODUCTS)):
        subs = {}
        for c in channels:
            subs[c] = [] if c == "heartbeats" else list(products)
            self.msg("subscriptions", t, [{"subscriptions": dict(subs)}])

    def heartbeat(self, t, counter):
        self.msg("heartbeats", t, [{"current_time": t.strftime("%Y-%m-%d %H:%M:%S.%f") + " +0000 UTC",
                                    "heartbeat_counter": counter}])

    def trades(self, t, typ, items):
        self.msg("market_trades", t, [{"type": typ, "trades": [
            {"trade_id": str(i), "product_id": p, "price": "%.2f" % px, "size": "%.8f" % sz,
             "side": side, "time": iso(tt)} for (i, p, px, sz, side, tt) in items]}])

    def ticker(self, t, typ, product, bid, ask, bq, aq, last):
        self.msg("ticker", t, [{"type": typ, "tickers": [
            {"type": "ticker", "product_id": product, "price": "%.2f" % last,
             "volume_24_h": "1234.5", "low_24_h": "%.2f" % (last * 0.98), "high_24_h": "%.2f" % (last * 1.02),
             "low_52_w": "%.2f" % (last * 0.5), "high_52_w": "%.2f" % (last * 1.3),
             "price_percent_chg_24_h": "0.42", "best_bid": "%.2f" % bid, "best_bid_quantity": "%.8f" % bq,
             "best_ask": "%.2f" % ask, "best_ask_quantity": "%.8f" % aq}]}])

    def l2(self, t, typ, product, bids, asks):
        ups = [{"side": "bid", "event_time": iso(t), "price_level": "%.2f" % p, "new_quantity": "%.8f" % q}
               for p, q in bids]
        ups += [{"side": "offer", "event_time": iso(t), "price_level": "%.2f" % p, "new_quantity": "%.8f" % q}
                for p, q in asks]
        self.msg("l2_data", t, [{"type": typ, "product_id": product, "updates": ups}])

    def snapshot(self, t, product, mid):
        self.l2(t, "snapshot", product, [(mid - 0.01 * (i + 1), 1.0 + i) for i in range(15)],
                [(mid + 0.01 * (i + 1), 1.5 + i) for i in range(15)])

    def write(self, name):
        with open(name, "w") as f:
            f.write("\n".join(self.lines) + "\n")


def stream():
    """Three minutes and a bit of both products: per product every 5 s a
    trade, a ticker and a book update; a heartbeat every 10 s. The
    market_trades snapshot lists two trades newest first."""
    s = Session()
    s.subscriptions(T0)
    for p, mid in PRODUCTS.items():
        s.snapshot(T0 + timedelta(milliseconds=5), p, mid)
    ids = {"BTC-USD": 700000, "ETH-USD": 300000}
    snap = []
    for p, mid in PRODUCTS.items():
        for k in (2, 1):
            snap.append((ids[p] + k, p, mid, 0.01 * k, "SELL", T0 + timedelta(milliseconds=10 * k)))
    s.trades(T0 + timedelta(milliseconds=30), "snapshot", snap)
    for p in ids:
        ids[p] += 2
    hb = 1
    for step in range(37):
        t = T0 + timedelta(seconds=5 * step, milliseconds=100)
        if step % 2 == 0:
            s.heartbeat(t, hb)
            hb += 1
        for n, (p, mid) in enumerate(PRODUCTS.items()):
            px = mid * (1 + 0.0002 * ((step % 7) - 3))
            ids[p] += 1
            tt = t + timedelta(milliseconds=n)
            s.trades(tt, "update", [(ids[p], p, px, 0.01 + 0.001 * (step % 5), "BUY" if step % 3 else "SELL", tt)])
            s.ticker(tt, "update", p, px - 0.01, px + 0.01, 1.0 + step % 4, 0.5 + step % 3, px)
            s.l2(tt, "update", p, [(mid - 0.01, 2.0 + step % 5)], [(mid + 0.02, 0.0 if step % 4 == 0 else 3.0)])
    s.write("stream.jsonl")


def reconnect():
    """Session a: snapshot of trades 101-103 (newest first), updates 104,
    105. Session b: a snapshot 103-105 again (duplicates), updates 106, 107."""
    a = Session()
    a.subscriptions(T0, channels=("heartbeats", "market_trades"), products=("BTC-USD",))
    t = lambda ms: T0 + timedelta(milliseconds=ms)
    a.trades(t(50), "snapshot", [(i, "BTC-USD", 87000 + i, 0.01, "BUY", t(i)) for i in (103, 102, 101)])
    for i in (104, 105):
        a.trades(t(i * 10), "update", [(i, "BTC-USD", 87000 + i, 0.01, "SELL", t(i * 10))])
    a.write("reconnect_a.jsonl")
    b = Session()
    b.subscriptions(t(2000), channels=("heartbeats", "market_trades"), products=("BTC-USD",))
    b.trades(t(2050), "snapshot", [(i, "BTC-USD", 87000 + i, 0.01, "BUY", t(i * 10)) for i in (105, 104, 103)])
    for i in (106, 107):
        b.trades(t(2000 + i), "update", [(i, "BTC-USD", 87000 + i, 0.01, "BUY", t(2000 + i))])
    b.write("reconnect_b.jsonl")


def gap():
    """BTC-USD book: a snapshot, two updates, then sequence_num jumps by 3
    (three messages lost). gap_resync.jsonl continues the session after the
    client resubscribed level2: the new subscription's snapshot, an update."""
    s = Session()
    s.subscriptions(T0, channels=("heartbeats", "level2"), products=("BTC-USD",))
    t = lambda ms: T0 + timedelta(milliseconds=ms)
    s.snapshot(t(10), "BTC-USD", 87000.0)
    s.l2(t(100), "update", "BTC-USD", [(86999.99, 7.0)], [])
    s.l2(t(200), "update", "BTC-USD", [], [(87000.01, 0.0)])
    s.seq += 3
    s.l2(t(300), "update", "BTC-USD", [(86999.98, 9.0)], [])
    s.write("gap.jsonl")
    r = Session(s.seq)
    r.subscriptions(t(400), channels=("level2",), products=("BTC-USD",))
    r.snapshot(t(410), "BTC-USD", 87000.5)
    r.l2(t(500), "update", "BTC-USD", [(87000.49, 4.0)], [])
    r.write("gap_resync.jsonl")


def bad():
    """Bad input, then good trades; sequence_num continues over the
    well-formed messages."""
    s = Session()
    t = lambda ms: T0 + timedelta(milliseconds=ms)
    s.raw("this is not json")
    s.raw("[1,2,3]")
    s.raw('{"channel":"market_trades","client_id":"","timestamp":"2026-01-01T00:00:00.000000Z","events":[]}')
    s.raw('{"channel":"market_trades","client_id":"","timestamp":"2026-01-01T00:00:00.000000Z","sequence_num":0,"events":[{"type":"update","trades":[{"trade_id":"1","product_id":"BTC-USD","price":"-5","size":"1","side":"BUY","time":"2026-01-01T00:00:00.000000Z"}]}]}')
    s.seq = 1
    s.raw('{"channel":"market_trades","client_id":"","timestamp":"2026-01-01T00:00:00.000000Z","sequence_num":1,"events":[{"type":"update","trades":[{"trade_id":"2","product_id":"BTC-USD","price":"5","size":"1","side":"HOLD","time":"2026-01-01T00:00:00.000000Z"}]}]}')
    s.raw('{"channel":"l2_data","client_id":"","timestamp":"yesterday","sequence_num":2,"events":[]}')
    s.seq = 3
    s.msg("candles", t(1), [{"type": "update", "candles": []}])
    s.raw('{"foo":"bar"}')
    s.trades(t(5), "update", [(9, "DOGE-USD", 0.1, 10, "BUY", t(5))])
    s.trades(t(10), "update", [(10 + i, "BTC-USD", 87000 + i, 0.01, "BUY", t(10 + i)) for i in range(5)])
    s.write("bad_frames.jsonl")


def refused():
    with open("subscribe_error.jsonl", "w") as f:
        f.write('{"type":"error","message":"failure to subscribe","reason":"invalid product_id BTC-XYZ"}\n')


stream()
reconnect()
gap()
bad()
refused()
