#!/usr/bin/python3
"""End to end: the real host binary (the default config: conveyor, LMDB,
three detectors, the decision layer, paper broker, sinks, digest) against
the pandas peer pipeline (bench/pandas_pipeline.py) on the same CSV files,
in the same invocation, runs alternating (issue 17, points 1 and 6).

  bench/bench_vs_pandas.py --symbols 1000 --minutes 240 [--runs 3]
  bench/bench_vs_pandas.py --symbols 100 --minutes 1440
  bench/bench_vs_pandas.py --data DIR   (a set made by tools/gen_bench_data.py)

Host time is the wall time of the whole process (start, plugin loading,
replay, shutdown, digest), as a user waits for it; pandas time is
pandas_pipeline.run() in this process (reading the CSVs included, the
interpreter's start not). Prints the medians, events/s and the ratio, then
checks the pandas bars against the host's (`host snapshot`) for --check
symbols: every open, high, low, close, volume, vwap and trade_count within
1e-12 relative. The last line is the result as JSON (bench/run_all reads it).
Exit status 1 if the bars differ or the host fails, or if the same input
gave two different digests.

Needs Debian python3-pandas; run with /usr/bin/python3.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pandas_pipeline  # noqa: E402


def host_config(data_dir, work, parse_thread=True, name="host.yaml", plugin_dir=None):
    """config/default.yaml with the replay files, state and output in `work`."""
    text = open(os.path.join(ROOT, "config", "default.yaml")).read()
    cfg = os.path.join(ROOT, "config")
    for a, b in (("../data/sample/trades.csv", os.path.join(data_dir, "trades.csv")),
                 ("../data/sample/quotes.csv", os.path.join(data_dir, "quotes.csv")),
                 ("../data/sample/l2.csv", os.path.join(data_dir, "l2.csv")),
                 ("../state/default", os.path.join(work, "state")),
                 ("../state/KILL_SWITCH", os.path.join(work, "KILL_SWITCH")),
                 ("../out", os.path.join(work, "out")),
                 ("[../scripts/lua]", "[%s]" % os.path.join(ROOT, "scripts", "lua")),
                 ("models/logistic_example.json", os.path.join(cfg, "models", "logistic_example.json")),
                 ("log: {level: info, format: text}", "log: {level: warn, format: text}")):
        assert a in text, a
        text = text.replace(a, b)
    if plugin_dir:
        text = text.replace("  rule_dirs:", "  plugin_dirs: [%s]\n  rule_dirs:" % os.path.abspath(plugin_dir), 1)
    if not parse_thread:
        a = "    plugin: replay\n    config:\n"
        assert a in text
        text = text.replace(a, a + "      parse_thread: false\n")
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run_host(host, cfg, work):
    for d in ("state", "out"):
        shutil.rmtree(os.path.join(work, d), ignore_errors=True)
    t0 = time.perf_counter()
    p = subprocess.run([host, "--config", cfg], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit("host failed with status %d" % p.returncode)
    digest = re.search(r"sha256:[0-9a-f]{64}", p.stdout)
    summary = json.load(open(os.path.join(work, "out", "run_summary.json")))
    return seconds, summary, digest.group(0) if digest else None


def check_bars(host, cfg, bars, symbols):
    worst = 0.0
    cols = ["open", "high", "low", "close", "volume", "vwap", "trade_count"]
    names = sorted(bars.index.get_level_values(0).unique())
    picked = [names[int(i * (len(names) - 1) / max(1, symbols - 1))] for i in range(min(symbols, len(names)))]
    rows = 0
    for sym in picked:
        p = subprocess.run([host, "snapshot", "--config", cfg, "--symbol", sym, "--format", "csv"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
        h = pd.read_csv(pd.io.common.StringIO(p.stdout))
        mine = bars.loc[sym]
        if len(h) != len(mine):
            raise SystemExit("bars of %s: host %d rows, pandas %d" % (sym, len(h), len(mine)))
        if not np.array_equal(h["minute_ts_ns"].to_numpy() // 60_000_000_000, mine.index.to_numpy()):
            raise SystemExit("bars of %s: minutes differ" % sym)
        for c in cols:
            a, b = h[c].to_numpy(dtype=float), mine[c].to_numpy(dtype=float)
            rel = np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300))
            worst = max(worst, float(rel))
        rows += len(h)
    return worst, len(picked), rows


def data_set_args(doc, runs=3):
    """The options every full-scale benchmark takes (host, data set, runs)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default=os.path.join(ROOT, "build-rel", "bin", "host"))
    ap.add_argument("--data", help="a data set directory (default: generated under /tmp from --symbols/--minutes)")
    ap.add_argument("--symbols", type=int, default=1000)
    ap.add_argument("--minutes", type=int, default=240)
    ap.add_argument("--runs", type=int, default=runs)
    return ap


def data_set(a):
    """The data set's directory, generated (tools/gen_bench_data.py) if missing."""
    data = a.data or os.path.join(tempfile.gettempdir(), "sh_bench_data_%d_%d" % (a.symbols, a.minutes))
    if not os.path.exists(os.path.join(data, "l2.csv")):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_bench_data.py"), data,
                        "--symbols", str(a.symbols), "--minutes", str(a.minutes)], check=True)
    return data


def main():
    ap = data_set_args(__doc__)
    ap.add_argument("--plugin-dir", help="searched for plugins before the host's own (host.plugin_dirs)")
    ap.add_argument("--no-inline", action="store_true", help="skip the parse_thread: false runs")
    ap.add_argument("--check", type=int, default=10, help="symbols whose bars are compared")
    a = ap.parse_args()
    data = data_set(a)
    work = tempfile.mkdtemp(prefix="sh_bench_vs_pandas_")
    try:
        cfg = host_config(os.path.abspath(data), work, plugin_dir=a.plugin_dir)
        cfg_inline = host_config(os.path.abspath(data), work, parse_thread=False, name="host-inline.yaml",
                                 plugin_dir=a.plugin_dir)
        host_s, inline_s, pandas_s, digests = [], [], [], set()
        summary, bars, events = None, None, 0
        for i in range(a.runs):
            if not a.no_inline:
                s, _, digest = run_host(a.host, cfg_inline, work)
                inline_s.append(s)
                digests.add(digest)
            s, summary, digest = run_host(a.host, cfg, work)
            host_s.append(s)
            digests.add(digest)
            t0 = time.perf_counter()
            bars, hits, events = pandas_pipeline.run(data)
            pandas_s.append(time.perf_counter() - t0)
            print("run %d: host %.3f s (pipeline %.3f s, %s)%s, pandas %.3f s" %
                  (i + 1, s, summary["wall_seconds"], digest,
                   ", host parse_thread: false %.3f s" % inline_s[-1] if inline_s else "", pandas_s[-1]), flush=True)
        worst, nsym, nrows = check_bars(a.host, cfg, bars, a.check)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    hm, pm = statistics.median(host_s), statistics.median(pandas_s)
    ev = summary["events_in"]
    print("data: %s, %d events in the files, %d events into the host, %d minutes closed"
          % (data, events, ev, summary.get("minutes_closed", 0)))
    print("host (%s, default config), whole process: median %.3f s = %.2f M events/s"
          % (os.path.relpath(a.host), hm, ev / hm / 1e6))
    im = statistics.median(inline_s) if inline_s else float("nan")
    if inline_s:
        print("same host, replay parse_thread: false (parsing on the pipeline thread): median %.3f s = %.2f M events/s"
              % (im, ev / im / 1e6))
    print("pandas peer pipeline (pandas %s):                       median %.3f s = %.2f M events/s"
          % (pd.__version__, pm, events / pm / 1e6))
    print("ratio pandas / host: %.2fx   (median of %d runs each, alternating)" % (pm / hm, a.runs))
    print("bars checked: %d symbols, %d rows, worst relative difference %.3g (limit 1e-12)" % (nsym, nrows, worst))
    print("digests: %s" % ("same in every run" if len(digests) == 1 else "DIFFER: %s" % sorted(digests)))
    ok = worst <= 1e-12 and len(digests) == 1
    print(json.dumps({"data": data, "events": ev, "host_s": hm, "host_meps": ev / hm / 1e6, "pandas_s": pm, "inline_s": im, "inline_meps": ev / im / 1e6,
                      "pandas_meps": events / pm / 1e6, "ratio": pm / hm, "bars_worst_rel": worst,
                      "same_digest": len(digests) == 1, "runs": a.runs,
                      "loadavg": open("/proc/loadavg").read().split()[:3]}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
