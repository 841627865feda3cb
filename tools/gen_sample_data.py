#!/usr/bin/env python3
"""Generates data/sample/: a small, seeded, synthetic session of trades, BBO
quotes and L2 levels for four symbols over six hours, in the layouts the
`replay` provider reads. The files are committed; this script documents how
they were made and regenerates them byte for byte (fixed seed, no wall clock).

Spikes are planted after the 200-minute baseline warm-up so that the default
detectors have something to find: a return jump on SOL, a volume burst on ETH,
a spread blow-out on DOGE, and a second return jump on BTC.
"""
import math
import os
import random

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "sample")
START_NS = 1704153600 * 10**9  # 2024-01-02T00:00:00Z
MINUTES = 360
SYMBOLS = {"BTC": 42000.0, "ETH": 2300.0, "SOL": 100.0, "DOGE": 0.09}
VOL = {"BTC": 0.0009, "ETH": 0.0011, "SOL": 0.0016, "DOGE": 0.0014}
SPREAD_BPS = {"BTC": 1.0, "ETH": 1.5, "SOL": 3.0, "DOGE": 5.0}
SPIKES = {("SOL", 250): "return", ("ETH", 270): "volume", ("DOGE", 300): "spread",
          ("BTC", 320): "return"}


def fmt(x):
    return ("%.8f" % x).rstrip("0").rstrip(".")


def main():
    rng = random.Random(20240102)
    os.makedirs(OUT, exist_ok=True)
    trades, quotes, l2 = [], [], []
    price = dict(SYMBOLS)
    trade_id = 1
    for m in range(MINUTES):
        base = START_NS + m * 60 * 10**9
        for sym in SYMBOLS:
            kind = SPIKES.get((sym, m))
            vol = VOL[sym]
            n_trades = rng.randint(4, 12) * (8 if kind == "volume" else 1)
            spread_bps = SPREAD_BPS[sym] * (40.0 if kind == "spread" else 1.0)
            drift = vol * rng.gauss(0, 1) / math.sqrt(n_trades)
            if kind == "return":
                price[sym] *= math.exp(25 * VOL[sym] * (1 if rng.random() < 0.5 else -1))
            for i in range(n_trades):
                ts = base + int((i + rng.random()) * 60 * 10**9 / n_trades)
                price[sym] *= math.exp(drift + vol * 0.3 * rng.gauss(0, 1) / math.sqrt(n_trades))
                size = round(rng.expovariate(1.0) * (1000.0 / SYMBOLS[sym]) + 1e-4, 6)
                side = "buy" if rng.random() < 0.5 else "sell"
                recv = ts + rng.randint(5, 80) * 10**6
                trades.append((ts, sym, fmt(price[sym]), fmt(size), side, trade_id, recv))
                trade_id += 1
            # Six quotes a minute; the last within 2 s of the close, so the book
            # is fresh at close (the runbook's DQ >= 95% ok on majors).
            for q in range(6):
                half = price[sym] * spread_bps * rng.uniform(0.8, 1.2) / 2e4
                if q < 5:
                    ts = base + q * 10 * 10**9 + rng.randint(0, 9 * 10**9)
                else:
                    ts = base + 58 * 10**9 + rng.randint(0, 10**9 + 900 * 10**6)
                bid, ask = price[sym] - half, price[sym] + half
                quotes.append((ts, sym, fmt(bid), fmt(rng.uniform(1, 5)), fmt(ask),
                               fmt(rng.uniform(1, 5)), ts + rng.randint(5, 60) * 10**6))
            ts = base + 30 * 10**9 + rng.randint(0, 10**9)
            half = price[sym] * spread_bps / 2e4
            tick = price[sym] * 1e-4
            for lvl in range(3):
                l2.append((ts, sym, "bid", lvl, fmt(price[sym] - half - lvl * tick),
                           fmt(rng.uniform(1, 10))))
                l2.append((ts, sym, "ask", lvl, fmt(price[sym] + half + lvl * tick),
                           fmt(rng.uniform(1, 10))))
    trades.sort(key=lambda r: (r[0], r[1]))
    quotes.sort(key=lambda r: (r[0], r[1]))
    l2.sort(key=lambda r: (r[0], r[1]))
    with open(os.path.join(OUT, "trades.csv"), "w") as f:
        f.write("ts,symbol,price,size,side,trade_id,recv_ts\n")
        for r in trades:
            f.write("%d,%s,%s,%s,%s,%d,%d\n" % r)
    with open(os.path.join(OUT, "quotes.csv"), "w") as f:
        f.write("ts,symbol,bid,bid_size,ask,ask_size,recv_ts\n")
        for r in quotes:
            f.write("%d,%s,%s,%s,%s,%s,%d\n" % r)
    with open(os.path.join(OUT, "l2.csv"), "w") as f:
        f.write("ts,symbol,side,level,price,size\n")
        for r in l2:
            f.write("%d,%s,%s,%d,%s,%s\n" % r)


if __name__ == "__main__":
    main()
