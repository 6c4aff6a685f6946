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
import importlib.util
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
from profile_stdp import PHASES, timed_engine  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(os.path.expanduser("~/.cache/spikesim/kernel_ab"))


def kernels_package(rev: str) -> str:
    """Copy ``kernels/`` of git revision ``rev`` to a package ``kernels_<sha>`` under
    :data:`OUT` (once) and return its name."""
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12", rev],
                         check=True, capture_output=True, text=True).stdout.strip()
    name = f"kernels_{sha}"
    dest = OUT / name
    if not dest.exists():
        tar = subprocess.run(["git", "-C", str(REPO), "archive", sha, "kernels"], check=True,
                             capture_output=True).stdout
        tmp = OUT / (name + ".tmp")
        with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
            tf.extractall(tmp, filter="data")
        (tmp / "kernels").rename(dest)
        tmp.rmdir()
    return name


def engine_for(engine: types.ModuleType, package: str) -> types.ModuleType:
    """``engine``'s generated source importing ``package`` instead of ``spikesim.kernels``,
    with the phase counters of :func:`profile_stdp.timed_engine`."""
    src = pathlib.Path(engine.__file__).read_text().replace("spikesim.kernels.", package + ".")
    path = OUT / f"{pathlib.Path(engine.__file__).stem}_{package}.py"
    if not path.exists() or path.read_text() != src:
        path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    mod.__file__ = str(path)
    return timed_engine(mod)


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
    OUT.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(OUT))
    from spikesim.bench.cuba import SYNAPSES_PER_NEURON
    from spikesim.examples import cuba

    net, _ = cuba(args.neurons, synapses_per_neuron=SYNAPSES_PER_NEURON, seed=1, threads=1,
                  stdp=True, dtype="float32")
    rt = net._runtime
    net.run(0.1, progress=False)
    tim = np.zeros(5, np.int64)
    proxies = {}
    for label, rev in (("A", args.rev_a), ("B", args.rev_b)):
        eng = engine_for(rt.engine, kernels_package(rev))
        proxy = types.SimpleNamespace(**vars(rt.engine))
        proxy.run_chunk_plastic = lambda *a, eng=eng: eng.run_chunk_plastic(*a, tim)
        proxies[label] = proxy
    base = rt.engine
    for p in proxies.values():  # compile or load both, warm up
        rt.engine = p
        net.run(20.0, progress=False)
    runs = {"A": [], "B": []}
    for r in range(args.rounds):
        for label in ("A", "B") if r % 2 == 0 else ("B", "A"):
            rt.engine = proxies[label]
            tim[:] = 0
            t0 = time.perf_counter()
            net.run(args.duration_ms, progress=False)
            wall = time.perf_counter() - t0
            per_s = tim[4] / wall
            runs[label].append(dict(wall_s=wall, **{p: float(tim[k] / per_s)
                                                    for k, p in enumerate(PHASES)}))
    rt.engine = base
    res = dict(benchmark="kernel_ab", rev_a=args.rev_a, rev_b=args.rev_b,
               neurons=args.neurons, duration_ms=args.duration_ms, rounds=args.rounds,
               runs=runs, median={k: {p: float(np.median([x[p] for x in v]))
                                      for p in ("wall_s",) + PHASES} for k, v in runs.items()})
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
