#!/usr/bin/python3
"""Generates the realistic replay data sets of the speed benchmarks (issue 17):
per symbol-minute 20 trades, 6 BBO quotes and 6 L2 rows (3 levels a side, one
book snapshot a minute), in the three CSV layouts of data/sample/ (trades.csv,
quotes.csv, l2.csv, each in event-time order).

  tools/gen_bench_data.py OUT_DIR --symbols 1000 --minutes 240   # the 1,000-symbol set (7.68 M events)
  tools/gen_bench_data.py OUT_DIR --symbols 100 --minutes 1440   # the 100-symbol day (4.61 M events)

Deterministic: the same arguments (and --seed) give the same bytes; no wall
clock is read. Needs numpy (Debian python3-numpy, pulled in by
python3-pandas). Prices follow a per-symbol geometric random walk (prices
0.05 to 5,000, 2 to 8 decimals like real tick sizes); a few return spikes,
volume bursts and spread blow-outs are planted after minute 200 (the default
baseline warm-up) so that the detectors and the decision layer have work.
"""
import argparse
import os

import numpy as np

START_NS = 1704153600 * 10**9  # 2024-01-02T00:00:00Z
MIN_NS = 60 * 10**9
TRADES, QUOTES, LEVELS = 20, 6, 3


def symbol_names(n):
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for i in range(n):
        # Three to five letters, distinct, like exchange tickers.
        k, name = i, ""
        for _ in range(3 + i % 3):
            name += letters[k % 26]
            k = k // 26 + 7 * len(name)
        out.append(name + ("" if i < 26**3 else str(i)))
    assert len(set(out)) == n
    return out


def fmt_prices(values, decimals):
    """Fixed-point text with trailing zeros stripped (as real feeds print)."""
    out = np.empty(values.shape, dtype=object)
    for d in np.unique(decimals):
        sel = decimals == d
        txt = np.char.mod("%%.%df" % d, values[sel])
        txt = np.char.rstrip(np.char.rstrip(txt, "0"), ".")
        out[sel] = txt
    return out


def write_csv(path, header, columns, order):
    cols = [np.asarray(c)[order].astype(str) for c in columns]
    with open(path, "w") as f:
        f.write(header + "\n")
        step = 500000
        for s in range(0, len(order), step):
            parts = [c[s:s + step] for c in cols]
            rows = parts[0]
            for p in parts[1:]:
                rows = np.char.add(np.char.add(rows, ","), p)
            f.write("\n".join(rows.tolist()))
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--symbols", type=int, default=1000)
    ap.add_argument("--minutes", type=int, default=240)
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    S, M = a.symbols, a.minutes
    os.makedirs(a.out, exist_ok=True)
    names = np.array(symbol_names(S), dtype=object)
    base_px = np.exp(rng.uniform(np.log(0.05), np.log(5000.0), S))
    decimals = np.clip(np.round(5 - np.log10(base_px)), 2, 8).astype(int)
    vol = rng.uniform(0.0005, 0.002, S)          # per-minute log-return std
    spread_bps = rng.uniform(1.0, 8.0, S)

    # Planted anomalies after the warm-up: ~1 per symbol per 2,000 minutes each.
    ret_spike = np.zeros((M, S))
    vol_mult = np.ones((M, S))
    spr_mult = np.ones((M, S))
    if M > 200:
        late = rng.random((M, S)) < 0.0005
        late[:200] = False
        kinds = rng.integers(0, 3, (M, S))
        ret_spike[late & (kinds == 0)] = 25 * np.sign(rng.random(int((late & (kinds == 0)).sum())) - 0.5)
        vol_mult[late & (kinds == 1)] = 8.0
        spr_mult[late & (kinds == 2)] = 40.0

    # Trades: (M, S, TRADES).
    steps = rng.normal(0, 1, (M, S, TRADES)) * (vol / np.sqrt(TRADES))[None, :, None]
    steps[:, :, 0] += ret_spike * vol[None, :]
    logp = np.log(base_px)[None, :, None] + np.cumsum(steps.transpose(1, 0, 2).reshape(S, -1), axis=1).reshape(S, M, TRADES).transpose(1, 0, 2)
    price = np.exp(logp)
    frac = np.sort(rng.random((M, S, TRADES)), axis=2)
    t_ts = START_NS + np.arange(M)[:, None, None] * MIN_NS + (frac * (MIN_NS - 1)).astype(np.int64)
    notional = rng.exponential(1.0, (M, S, TRADES)) * 1000.0 * vol_mult[:, :, None]
    size = np.round(notional / price + 1e-4, 6)
    side = np.where(rng.random((M, S, TRADES)) < 0.5, "buy", "sell")
    t_recv = t_ts + rng.integers(5, 80, (M, S, TRADES)) * 10**6
    t_sym = np.broadcast_to(np.arange(S)[None, :, None], (M, S, TRADES))
    t_dec = np.broadcast_to(decimals[None, :, None], (M, S, TRADES))
    flat = lambda x: np.ascontiguousarray(x).reshape(-1)
    t_ts, t_sym, t_dec = flat(t_ts), flat(t_sym), flat(t_dec)
    order = np.lexsort((t_sym, t_ts))
    tid = np.empty(len(order), dtype=np.int64)
    tid[order] = np.arange(1, len(order) + 1)
    write_csv(os.path.join(a.out, "trades.csv"), "ts,symbol,price,size,side,trade_id,recv_ts",
              [t_ts, names[t_sym], fmt_prices(flat(price), t_dec), fmt_prices(flat(size), np.full(len(t_ts), 6)),
               flat(side), tid, flat(t_recv)], order)

    # Quotes: (M, S, QUOTES), mid = the minute's last trade price; the last
    # quote within 2 s of the close so the book is fresh at close.
    mid = price[:, :, -1]
    q_off = np.empty((M, S, QUOTES), dtype=np.int64)
    q_off[:, :, :5] = np.arange(5)[None, None, :] * 10 * 10**9 + rng.integers(0, 9 * 10**9, (M, S, 5))
    q_off[:, :, 5] = 58 * 10**9 + rng.integers(0, 1900 * 10**6, (M, S))
    q_ts = START_NS + np.arange(M)[:, None, None] * MIN_NS + q_off
    half = mid[:, :, None] * (spread_bps[None, :] * spr_mult)[:, :, None] * rng.uniform(0.8, 1.2, (M, S, QUOTES)) / 2e4
    bid, ask = mid[:, :, None] - half, mid[:, :, None] + half
    q_sym = flat(np.broadcast_to(np.arange(S)[None, :, None], (M, S, QUOTES)))
    q_dec = flat(np.broadcast_to(decimals[None, :, None], (M, S, QUOTES)))
    q_ts = flat(q_ts)
    order = np.lexsort((q_sym, q_ts))
    write_csv(os.path.join(a.out, "quotes.csv"), "ts,symbol,bid,bid_size,ask,ask_size,recv_ts",
              [q_ts, names[q_sym], fmt_prices(flat(bid), q_dec),
               fmt_prices(rng.uniform(1, 5, len(q_ts)), np.full(len(q_ts), 4)), fmt_prices(flat(ask), q_dec),
               fmt_prices(rng.uniform(1, 5, len(q_ts)), np.full(len(q_ts), 4)),
               q_ts + rng.integers(5, 60, len(q_ts)) * 10**6], order)

    # L2: one snapshot of 3 levels a side per symbol-minute, at 30-31 s.
    l_ts = START_NS + np.arange(M)[:, None] * MIN_NS + 30 * 10**9 + rng.integers(0, 10**9, (M, S))
    hs = price[:, :, TRADES // 2] * spread_bps[None, :] / 2e4
    tick = price[:, :, TRADES // 2] * 1e-4
    lv = np.arange(LEVELS)
    l_px = np.concatenate([price[:, :, TRADES // 2, None] - hs[:, :, None] - lv * tick[:, :, None],
                           price[:, :, TRADES // 2, None] + hs[:, :, None] + lv * tick[:, :, None]], axis=2)
    l_side = np.broadcast_to(np.array(["bid"] * LEVELS + ["ask"] * LEVELS)[None, None, :], (M, S, 2 * LEVELS))
    l_lvl = np.broadcast_to(np.concatenate([lv, lv])[None, None, :], (M, S, 2 * LEVELS))
    l_ts = flat(np.broadcast_to(l_ts[:, :, None], (M, S, 2 * LEVELS)))
    l_sym = flat(np.broadcast_to(np.arange(S)[None, :, None], (M, S, 2 * LEVELS)))
    l_dec = flat(np.broadcast_to(decimals[None, :, None], (M, S, 2 * LEVELS)))
    order = np.lexsort((l_sym, l_ts))  # stable: a symbol's levels stay in bid 0..2, ask 0..2 order
    write_csv(os.path.join(a.out, "l2.csv"), "ts,symbol,side,level,price,size",
              [l_ts, names[l_sym], flat(l_side), flat(l_lvl), fmt_prices(flat(l_px), l_dec),
               fmt_prices(rng.uniform(1, 10, len(l_ts)), np.full(len(l_ts), 4))], order)
    print("%s: %d symbols x %d minutes = %d events (%d trades, %d quotes, %d L2 rows)"
          % (a.out, S, M, S * M * (TRADES + QUOTES + 2 * LEVELS), S * M * TRADES, S * M * QUOTES,
             S * M * 2 * LEVELS))


if __name__ == "__main__":
    main()
