"""Two versions of the kernels, alternated on one network in one process (an A/B for changes
of a few per cent, which separate processes on this noisy host cannot resolve).

The ``kernels/`` folder of each git revision is copied out as a package of its own
(``kernels_<rev>``; relative imports keep working) and the network's generated engine
(``spikesim.kernels.codegen``) is loaded twice, once importing each copy, each with cycle-
counter reads around the phases of its one-thread plastic driver (as
``benchmarks/profile_stdp.py``). The network (``spikesim bench stdp``'s CUBA+STDP, float32,
one thread) is built once by the working tree's runtime; the two engines then take turns,
``--duration-ms`` each, A then B in even rounds and B then A in odd ones. Only the kernels
differ: the runtime, and the engine's source as generated today, are the working tree's, so
this suits changes inside ``kernels/`` that keep the kernels' arguments.

Usage::

    python benchmarks/kernel_ab.py REV_A REV_B [--neurons 80000] [--rounds 10]
        [--duration-ms 500] [--json F]

Prints each version's median loop and phase times (s per run).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import subprocess
import sys
import tarfile
import time
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from profile_stdp import (PHASES, _cache_dir, phase_seconds, plastic_network,  # noqa: E402
                          ticks_per_second, timed_engine, with_timed_driver)

REPO = pathlib.Path(__file__).resolve().parent.parent


def kernels_package(rev: str) -> str:
    """Copy ``kernels/`` of git revision ``rev`` to a package ``kernels_<sha>`` in the cache
    folder (once) and return its name. ``rev`` must be an ancestor of the working tree's
    commit (or that commit): the working tree's runtime builds the kernels' arrays, and it
    keeps what older kernels read (e.g. decay table rows only grew), not what newer ones do."""
    git = ["git", "-C", str(REPO)]
    sha = subprocess.run(git + ["rev-parse", "--short=12", rev], check=True,
                         capture_output=True, text=True).stdout.strip()
    if subprocess.run(git + ["merge-base", "--is-ancestor", sha, "HEAD"]).returncode != 0:
        raise SystemExit(f"rev={rev!r}: not HEAD or an ancestor of it; the working tree's "
                         "runtime may not build the arrays its kernels read")
    out = _cache_dir("kernel_ab")
    name = f"kernels_{sha}"
    dest = out / name
    if not dest.exists():
        tar = subprocess.run(git + ["archive", sha, "kernels"], check=True,
                             capture_output=True).stdout
        tmp = out / (name + ".tmp")
        with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
            if hasattr(tarfile, "data_filter"):  # Python 3.10.12+ / 3.11.4+
                tf.extractall(tmp, filter="data")
            else:
                tf.extractall(tmp)  # our own repository's files
        (tmp / "kernels").rename(dest)
        tmp.rmdir()
    return name


def engine_for(engine: types.ModuleType, package: str) -> types.ModuleType:
    """``engine``'s generated source importing ``package`` instead of ``spikesim.kernels``,
    with the phase counters of :func:`profile_stdp.timed_engine`."""
    src = pathlib.Path(engine.__file__).read_text().replace("spikesim.kernels.", package + ".")
    return timed_engine(src, f"{pathlib.Path(engine.__file__).stem}_{package}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("rev_a")
    ap.add_argument("rev_b")
    ap.add_argument("--neurons", type=int, default=80000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--duration-ms", type=float, default=500.0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    os.environ["NUMBA_NUM_THREADS"] = "1"
    sys.path.insert(0, str(_cache_dir("kernel_ab")))
    net, _ = plastic_network(args.neurons)
    rt = net._runtime
    tim = np.zeros(5, np.int64)
    base = rt.engine
    proxies, timed = {}, None
    for label, rev in (("A", args.rev_a), ("B", args.rev_b)):
        timed = engine_for(base, kernels_package(rev))
        proxies[label] = with_timed_driver(rt, timed, tim)
    for p in proxies.values():  # compile or load both, warm up
        rt.engine = p
        net.run(20.0, progress=False)
    per_s = ticks_per_second(timed)
    runs = {"A": [], "B": []}
    for r in range(args.rounds):
        for label in ("A", "B") if r % 2 == 0 else ("B", "A"):
            rt.engine = proxies[label]
            tim[:] = 0
            t0 = time.perf_counter()
            net.run(args.duration_ms, progress=False)
            wall = time.perf_counter() - t0
            runs[label].append(dict(wall_s=wall, **phase_seconds(tim, per_s, wall)))
    rt.engine = base
    res = dict(benchmark="kernel_ab", rev_a=args.rev_a, rev_b=args.rev_b,
               neurons=args.neurons, duration_ms=args.duration_ms, rounds=args.rounds,
               runs=runs, median={k: {p: float(np.median([x[p] for x in v]))
                                      for p in ("wall_s",) + PHASES + ("other", "outside")}
                       for k, v in runs.items()})
    for k, rev in (("A", args.rev_a), ("B", args.rev_b)):
        m = res["median"][k]
        print(f"{k} {rev}: median wall {m['wall_s']:.3f} s, " + ", ".join(
            f"{p} {m[p]:.3f}" for p in PHASES))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
