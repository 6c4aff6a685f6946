"""Threads under load: 1 vs 2 threads, alone and next to one CPU-bound process (issue 17).

Runs the CUBA network (80,000 neurons, float32, spikesim's defaults) for ``--duration-ms``
of biological time after a warm-up, once per configuration, each in a fresh process:

- ``threads=1`` and ``threads=2`` with the machine as it is;
- the same with one competing CPU-bound process (a Python busy loop) started first.

Each row reports the loop wall time and the ratio 2-thread / 1-thread. The target: with
one competing process, 2 threads are never slower than 1.5x one thread. The spike counts
of all rows must be equal (the engines are bit-identical whatever the thread count).

Usage::

    python benchmarks/threads_under_load.py --json benchmarks/results/threads_under_load.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
from spikesim.examples import cuba
n, threads, dur = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
net, recs = cuba(n, threads=threads, record=True)
net.run(20.0, progress=False)  # compile / load from cache, warm up
t0 = time.perf_counter()
net.run(dur, progress=False)
loop = time.perf_counter() - t0
gov = net._runtime.governor
print(json.dumps({"loop_s": loop, "spikes": int(len(recs[0].spikes)), "parts": net._runtime.n_parts,
                  "threaded_windows": gov.calls[True], "one_thread_windows": gov.calls[False]}))
"""


def run_child(n: int, threads: int, dur: float, env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(threads), str(dur)],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neurons", type=int, default=80000)
    ap.add_argument("--duration-ms", type=float, default=2000.0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    rows = []
    for load in (False, True):
        hog = None
        if load:
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            time.sleep(1.0)
        try:
            res = {t: run_child(args.neurons, t, args.duration_ms) for t in (1, 2)}
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
        row = {"competing_process": load, "loadavg_1min": os.getloadavg()[0],
               "one_thread": res[1], "two_threads": res[2],
               "ratio_2_over_1": res[2]["loop_s"] / res[1]["loop_s"]}
        rows.append(row)
        print(f"competing process: {load!s:5}  1 thread {res[1]['loop_s']:.3f} s  "
              f"2 threads {res[2]['loop_s']:.3f} s  ratio {row['ratio_2_over_1']:.2f}  "
              f"(threaded windows {res[2]['threaded_windows']}, one-thread "
              f"{res[2]['one_thread_windows']}; spikes {res[1]['spikes']} / {res[2]['spikes']})")
    result = {"benchmark": "threads_under_load", "neurons": args.neurons,
              "duration_ms": args.duration_ms, "precision": "float32",
              "openmp_wait": {k: os.environ.get(k, "(unset)") for k in
                              ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")},
              "rows": rows}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
