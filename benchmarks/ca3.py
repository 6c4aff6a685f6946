"""CA3 content-addressable memory: capacity, operation spacing and robustness sweeps.

    python benchmarks/ca3.py capacity   [--sizes 8,16,...] [--json benchmarks/results/ca3_capacity.json]
    python benchmarks/ca3.py spacing    [--json benchmarks/results/ca3_spacing.json]
    python benchmarks/ca3.py robustness [--json benchmarks/results/ca3_robustness.json]
    python benchmarks/ca3.py all        (all three, default JSON paths)

The experiments themselves are in ``spikesim.models.ca3.experiments`` (see its
docstring for what each robustness curve perturbs); benchmarks/README.md shows
the reference results.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

import numba
import numpy as np

import spikesim
from spikesim.models.ca3 import experiments as E

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
CAPACITY_SIZES = "8x8,16x16,32x32,64x64,128x128,256x256,512x512,1024x1024,256x16,16x256,1024x64"
SPACINGS = (7, 8, 9, 10, 12, 14, 16, 20)
FRACTIONS = {"learn_missing": (0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5),
             "learn_spurious": (0, 0.005, 0.01, 0.02, 0.05, 0.1),
             "cue_spurious": (0, 0.005, 0.01, 0.02, 0.05, 0.1),
             "content_missing": (0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9),
             "content_spurious": (0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)}


def machine() -> dict:
    return {"spikesim": spikesim.__version__, "numba": numba.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d")}


def write(path: str, payload: dict) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(payload, f, indent=1)
    print(f"wrote {path}")


def run_capacity(args) -> dict:
    rows = []
    print(f"{'C x K':>11} {'bits':>4} {'neurons':>7} {'synapses':>10} {'by cue':>7} {'by bit':>7} "
          f"{'random':>7} {'learn ms':>8} {'recall ms':>9} {'random ms':>9} {'online ms':>9} "
          f"{'build s':>7}")
    for size in args.sizes.split(","):
        C, K = (int(x) for x in size.lower().split("x"))
        t0 = time.perf_counter()
        r = E.capacity(C, K, seed=args.seed, n_random=None if C <= 1024 else C)
        r["wall_s"] = time.perf_counter() - t0
        r["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append(r)
        print(f"{C:>5} x {K:<5}{r['content_bits']:>4} {r['neurons']:>7} {r['synapses']:>10} "
              f"{r['recall_by_cue_correct']:>7.3f} {r['recall_by_content_correct']:>7.3f} "
              f"{r['random_correct']:>7.3f} {1e3 * r['learn_s_per_op']:>8.3f} "
              f"{1e3 * r['recall_by_cue_s_per_op']:>9.3f} {1e3 * r['random_s_per_op']:>9.3f} "
              f"{1e3 * r['online_recall_s_per_op']:>9.3f} {r['build_s']:>7.2f}", flush=True)
    return {"benchmark": "ca3_capacity", "machine": machine(), "spacing_ms": E.DEFAULT_SPACING,
            "rows": rows}


def run_spacing(args) -> dict:
    rows = E.spacing_sweep(args.cues, args.bits, SPACINGS, seeds=tuple(range(args.seeds)))
    print(f"C = {args.cues}, K = {args.bits}: exact recalls against spacing (mean of {args.seeds} seeds)")
    print(f"{'spacing ms':>10} {'structured':>10} {'random 1-bit':>12} {'random 1-2 bits':>15}")
    for r in rows:
        print(f"{r['spacing_ms']:>10g} {r['structured']:>10.3f} {r['random_1bit']:>12.3f} "
              f"{r['random_1to2bit']:>15.3f}")
    return {"benchmark": "ca3_spacing", "machine": machine(), "rows": rows}


def run_robustness(args) -> dict:
    curves = {}
    seeds = tuple(range(args.seeds))
    for kind, fr in FRACTIONS.items():
        curves[kind] = E.robustness(kind, fr, cues=args.cues, bits=args.bits, seeds=seeds)
        pts = ", ".join(f"{r['fraction']:g}: {r['exact']:.3f}" +
                        (f" ({r['target']:.3f})" if "target" in r else "") for r in curves[kind])
        print(f"{kind:>17}: {pts}", flush=True)
    return {"benchmark": "ca3_robustness", "machine": machine(), "cues": args.cues,
            "bits": args.bits, "seeds": list(seeds), "spacing_ms": E.DEFAULT_SPACING,
            "curves": curves}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["capacity", "spacing", "robustness", "all"])
    ap.add_argument("--sizes", default=CAPACITY_SIZES, help="capacity: CxK,CxK,...")
    ap.add_argument("--cues", type=int, default=None, help="spacing/robustness: C (default 64 / 32)")
    ap.add_argument("--bits", type=int, default=None, help="spacing/robustness: K (default 64 / 32)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0, help="capacity: seed")
    ap.add_argument("--json", default=None, help="output file (default benchmarks/results/ca3_<what>.json)")
    args = ap.parse_args(argv)
    todo = ["capacity", "spacing", "robustness"] if args.what == "all" else [args.what]
    for what in todo:
        a = argparse.Namespace(**vars(args))
        default = 64 if what == "spacing" else 32
        a.cues, a.bits = args.cues or default, args.bits or default
        t0 = time.perf_counter()
        payload = {"capacity": run_capacity, "spacing": run_spacing, "robustness": run_robustness}[what](a)
        payload["total_s"] = time.perf_counter() - t0
        write(args.json if args.json and args.what != "all" else
              os.path.join(RESULTS, f"ca3_{what}.json"), payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
