#!/usr/bin/python3
"""The pandas peer of the host's conveyor (issue 17, point 6): what a user
would write instead, vectorised, no loop over rows. From the same CSV files
(trades.csv, quotes.csv, l2.csv of tools/gen_bench_data.py) it computes, per
symbol-minute:

  bars      open, high, low, close (first / max / min / last trade price),
            volume, vwap, trade_count
  features  log_ret, mom_20, rv_5 (sample std of the last 5 log returns),
            spread_bps (the last quote at or before the minute's end),
            l2_imbalance (the minute's last book depth, bid vs ask)
  baselines the mean and sample std of the last `window` values before the
            row (NaN until `warmup` values), per symbol, of log_ret, volume
            and spread_bps, and the z-scores against them (the host's
            RollingBaseline, conveyor defaults window 500, warm-up 200)
  detector  the three default thresholds: |z_ret| >= 4 and |log_ret| >=
            10 bps; z_volume >= 4; z_spread >= 4

  pandas_pipeline.py DATA_DIR [--bars-out FILE.csv]   prints rows, hits and seconds

Needs Debian python3-pandas (run it with /usr/bin/python3).
"""
import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

MIN_NS = 60 * 10**9


def rolling_by_symbol(s, window, min_periods, fn):
    """fn ('mean' or 'std') over the last `window` rows of each symbol."""
    r = getattr(s.groupby(level=0, sort=False).rolling(window, min_periods=min_periods), fn)()
    return r.droplevel(0)


def run(data_dir, window=500, warmup=200):
    trades = pd.read_csv(os.path.join(data_dir, "trades.csv"), usecols=["ts", "symbol", "price", "size"],
                         dtype={"ts": np.int64, "symbol": "category", "price": np.float64, "size": np.float64})
    quotes = pd.read_csv(os.path.join(data_dir, "quotes.csv"), usecols=["ts", "symbol", "bid", "ask"],
                         dtype={"ts": np.int64, "symbol": "category", "bid": np.float64, "ask": np.float64})
    l2 = pd.read_csv(os.path.join(data_dir, "l2.csv"), usecols=["ts", "symbol", "side", "size"],
                     dtype={"ts": np.int64, "symbol": "category", "side": "category", "size": np.float64})

    # Bars.
    trades["minute"] = trades["ts"].to_numpy() // MIN_NS
    trades["notional"] = trades["price"].to_numpy() * trades["size"].to_numpy()
    g = trades.groupby(["symbol", "minute"], sort=True, observed=True)
    bars = g.agg(open=("price", "first"), high=("price", "max"), low=("price", "min"),
                 close=("price", "last"), volume=("size", "sum"), notional=("notional", "sum"),
                 trade_count=("price", "size"))
    bars["vwap"] = bars["notional"] / bars["volume"]

    # Book at the minute's end: the last quote of the minute, carried forward.
    quotes["minute"] = quotes["ts"].to_numpy() // MIN_NS
    book = quotes.groupby(["symbol", "minute"], sort=True, observed=True)[["bid", "ask"]].last()
    book = book.reindex(bars.index)
    book = book.groupby(level=0, sort=False).ffill()
    bars["spread_bps"] = (book["ask"] - book["bid"]) / (0.5 * (book["ask"] + book["bid"])) * 1e4
    l2["minute"] = l2["ts"].to_numpy() // MIN_NS
    depth = l2.groupby(["symbol", "minute", "side"], sort=True, observed=True)["size"].sum().unstack("side")
    depth = depth.reindex(bars.index).groupby(level=0, sort=False).ffill()
    bars["l2_imbalance"] = (depth["bid"] - depth["ask"]) / (depth["bid"] + depth["ask"])

    # Features.
    by_sym = bars["close"].groupby(level=0, sort=False)
    bars["log_ret"] = np.log(bars["close"] / by_sym.shift(1))
    bars["mom_20"] = bars["close"] / by_sym.shift(20) - 1.0
    bars["rv_5"] = rolling_by_symbol(bars["log_ret"], 5, 5, "std")

    # Rolling baselines (history before the row) and z-scores.
    for col, z in (("log_ret", "z_ret"), ("volume", "z_volume"), ("spread_bps", "z_spread")):
        prev = bars[col].groupby(level=0, sort=False).shift(1)
        mean = rolling_by_symbol(prev, window, warmup, "mean")
        std = rolling_by_symbol(prev, window, warmup, "std")
        bars[z] = (bars[col] - mean) / std.where(std > 0)

    # Threshold detector.
    hits = ((bars["z_ret"].abs() >= 4.0) & (bars["log_ret"].abs() * 1e4 >= 10.0)).sum() + \
           (bars["z_volume"] >= 4.0).sum() + (bars["z_spread"] >= 4.0).sum()
    events = len(trades) + len(quotes) + len(l2)
    return bars, int(hits), events


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("--bars-out", help="write symbol,minute_ts_ns,open,high,low,close,volume,vwap,trade_count")
    a = ap.parse_args()
    t0 = time.perf_counter()
    bars, hits, events = run(a.data_dir)
    seconds = time.perf_counter() - t0
    if a.bars_out:
        out = bars[["open", "high", "low", "close", "volume", "vwap", "trade_count"]].reset_index()
        out["minute"] = out["minute"] * MIN_NS
        out.rename(columns={"minute": "minute_ts_ns"}).to_csv(a.bars_out, index=False, float_format="%.17g")
    print("pandas: %d events, %d bars, %d hits, %.3f s" % (events, len(bars), hits, seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
