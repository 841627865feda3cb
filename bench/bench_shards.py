#!/usr/bin/python3
"""conveyor.shards (issue 17, point 4): the real host binary with the default
config on the same CSV set, one shard against N, runs alternating, in the
same invocation. Prints each run, the medians, events/s, the ratio, and
whether every run gave the same output digest (it must: the digest does not
depend on the shard count).

  bench/bench_shards.py --symbols 1000 --minutes 240 [--shards 2] [--runs 3]
  bench/bench_shards.py --data DIR   (a set made by tools/gen_bench_data.py)

Time is the whole process's wall time, as in bench_vs_pandas.py (whose
config and run helpers this uses). The last line is the result as JSON.
Exit status 1 if the digests differ or the host fails.
"""
import json
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_vs_pandas import data_set, data_set_args, host_config, run_host  # noqa: E402


def with_shards(cfg, shards, work):
    text = open(cfg).read()
    a = "conveyor:\n"
    assert a in text
    path = os.path.join(work, "host-shards-%d.yaml" % shards)
    with open(path, "w") as f:
        f.write(text.replace(a, a + "  shards: %d\n" % shards, 1))
    return path


def main():
    ap = data_set_args(__doc__)
    ap.add_argument("--shards", type=int, default=2)
    a = ap.parse_args()
    data = data_set(a)
    work = tempfile.mkdtemp(prefix="sh_bench_shards_")
    try:
        base = host_config(os.path.abspath(data), work)
        cfgs = {1: with_shards(base, 1, work), a.shards: with_shards(base, a.shards, work)}
        secs = {1: [], a.shards: []}
        digests = set()
        events = 0
        for r in range(a.runs):
            for n in (1, a.shards):
                s, summary, digest = run_host(a.host, cfgs[n], work)
                secs[n].append(s)
                digests.add(digest)
                events = summary["events_in"]
                print("run %d, shards %d: %.3f s (%s)" % (r + 1, n, s, digest[:15] if digest else "no digest"),
                      flush=True)
        one, many = statistics.median(secs[1]), statistics.median(secs[a.shards])
        load = open("/proc/loadavg").read().split()[0]
        print("data: %s, %d events into the host" % (data, events))
        print("shards 1: median %.3f s = %.2f M events/s" % (one, events / one / 1e6))
        print("shards %d: median %.3f s = %.2f M events/s" % (a.shards, many, events / many / 1e6))
        print("ratio shards %d / shards 1: %.2fx (median of %d runs each, alternating; load %s)"
              % (a.shards, one / many, a.runs, load))
        same = len(digests) == 1 and None not in digests
        print("digests: %s" % ("all equal, " + next(iter(digests)) if same else "DIFFER: %s" % sorted(map(str, digests))))
        print(json.dumps({"data": data, "events": events, "shards": a.shards, "one_s": one, "many_s": many,
                          "one_meps": events / one / 1e6, "many_meps": events / many / 1e6,
                          "ratio": one / many, "digests_equal": same, "runs": a.runs, "load": float(load)}))
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
