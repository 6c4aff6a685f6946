"""Where the time of the CUBA+STDP loop goes, phase by phase, and how far its plastic work is
from the machine's random-access limit (issue 17).

The network is ``spikesim bench stdp``'s (CUBA, additive pair STDP on the excitatory-to-
excitatory synapses, float32, one thread). The one-thread plastic driver of its generated
engine (``spikesim.kernels.codegen``) is copied with cycle-counter reads
(``llvm.readcyclecounter``) around each phase of a step; the copy computes what the engine
does (the same calls in the same order), so its spikes are the engine's:

- **depression**: the plastic arrivals of the step, depressed and added into the state;
- **update**: the neuron update, then the static synapses' spikes added into the state;
- **potentiation**: the excitatory spikes' columns of incoming plastic synapses;
- **traces**: the presynaptic trace records of the step's spikes (``push_emissions``);
- **other**: the rest of the driver's loop (spike record, lazy rules, recorders);
- **outside**: the run's wall time outside the driver (the runtime's Python between chunks).

The counter's rate is measured against ``time.perf_counter``. Per phase: seconds per run of
``--duration-ms``, and its unit cost: ns per neuron and step for the
update, ns per synapse visited for depression and potentiation (an excitatory spike visits its
row's plastic synapses at arrival and its column's at emission).

**Random-access limit**: the same numbers of visits replayed as bare random accesses, each a
read of a 32-byte trace record in an array the size of the network's and a read-modify-write
of a float32 weight in an array the size of the plastic weights, 16 ahead prefetched as in the
kernels. This is what one core's memory system allows for two scattered lines per visit.

Usage::

    python benchmarks/profile_stdp.py --neurons 80000 --duration-ms 1000 --rounds 3 \
        --json benchmarks/results/profile_stdp_80000_t1.json
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import re
import sys
import time
import types

import numpy as np

PHASES = ("depression", "update", "potentiation", "traces", "loop")
_RDTSC = '''
from llvmlite import ir as _ir
from numba.core import types as _nt
from numba.extending import intrinsic as _intrinsic


@_intrinsic
def _rdtsc(typingctx):
    def codegen(context, builder, sig, args):
        fn = builder.module.declare_intrinsic("llvm.readcyclecounter",
                                              fnty=_ir.FunctionType(_ir.IntType(64), []))
        return builder.call(fn, [])
    return _nt.int64(), codegen
'''


#: statements of the plastic driver that open each phase (index into :data:`PHASES`); the
#: dendritic projections' depression at emission and delayed potentiation count there too
MARKS = (("process_arrivals(", 0), ("ns = update_part(", 1), ("potentiate(", 2),
         ("potentiate_delayed(", 2), ("push_emissions(", 3))


def _cache_dir(sub: str) -> pathlib.Path:
    """A fixed folder for generated copies (``$SPIKESIM_CACHE`` or ``~/.cache/spikesim``), so
    that Numba's cache of a copy is reused from run to run."""
    base = os.environ.get("SPIKESIM_CACHE") or os.path.expanduser("~/.cache/spikesim")
    out = pathlib.Path(base) / sub
    out.mkdir(parents=True, exist_ok=True)
    return out


def _timed_driver(body: str) -> str:
    """``run_chunk_plastic``'s source with counter reads around every statement that starts
    a phase, and around the whole loop (both of its returns)."""
    lines = body.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        ind = line[:len(line) - len(stripped)]
        k = next((k for start, k in MARKS if stripped.startswith(start)), None)
        if k is None:
            if stripped.startswith("return ") and "n_spk, ev_pos" in stripped:
                out.append(f"{ind}tim[4] += _rdtsc() - _c9")
            elif stripped.startswith("for k in range(n_steps):"):
                out.append(f"{ind}_c9 = _rdtsc()")
            out.append(line)
            i += 1
            continue
        j = i + 1  # the statement's continuation lines are indented further
        while j < len(lines) and (lines[j].startswith(ind + " ") or
                                  lines[j].startswith(ind + ")")):
            j += 1
        out += [f"{ind}_c0 = _rdtsc()", *lines[i:j], f"{ind}tim[{k}] += _rdtsc() - _c0"]
        i = j
    text = "\n".join(out)
    if "_c9 = _rdtsc()" not in text or text.count("tim[4]") < 1 or "tim[2]" not in text:
        raise RuntimeError("the plastic driver's loop has changed; update profile_stdp.py")
    return text


def timed_engine(src: str, name: str) -> types.ModuleType:
    """Module ``<name>_timed``: generated engine source ``src`` whose ``run_chunk_plastic``
    takes one more argument, ``tim`` (int64, at least 5), to which counter ticks of each of
    :data:`PHASES` are added."""
    head = re.search(r"^from [\w.]+\._config import jit$", src, re.M)
    if head is None or "def run_chunk_plastic(" not in src:
        raise RuntimeError(f"{name}: not a generated engine with a plastic driver")
    src = src[:head.end()] + "\n" + _RDTSC + src[head.end():]
    a = src.index("def run_chunk_plastic(")
    b = src.index("\n@jit", a)
    body = src[a:b].replace("rw=None, lazy=None, direct=None):", "rw, lazy, direct, tim):", 1)
    src = src[:a] + _timed_driver(body) + src[b:]
    path = _cache_dir("profile") / (name + "_timed.py")
    if not path.exists() or path.read_text() != src:
        path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = mod  # Numba's cache finds the module by name when it loads
    spec.loader.exec_module(mod)
    return mod


def ticks_per_second(mod: types.ModuleType, seconds: float = 0.2) -> float:
    """The cycle counter's rate, against ``time.perf_counter`` over ``seconds``."""
    from numba import njit

    read = njit(lambda: mod._rdtsc())
    read()
    c0, t0 = read(), time.perf_counter()
    time.sleep(seconds)
    c1, t1 = read(), time.perf_counter()
    return (c1 - c0) / (t1 - t0)


def plastic_network(neurons: int):
    """``spikesim bench stdp``'s CUBA+STDP network (float32, one thread), run for one step:
    ``(net, recorders)``."""
    from spikesim.bench.cuba import SYNAPSES_PER_NEURON
    from spikesim.examples import cuba

    net, recs = cuba(neurons, synapses_per_neuron=SYNAPSES_PER_NEURON, seed=1, threads=1,
                     stdp=True, dtype="float32", record=True)
    net.run(0.1, progress=False)
    return net, recs


def with_timed_driver(rt, timed: types.ModuleType, tim: np.ndarray) -> types.SimpleNamespace:
    """A stand-in for runtime ``rt``'s engine whose plastic driver is ``timed``'s, counting
    into ``tim``."""
    proxy = types.SimpleNamespace(**vars(rt.engine))
    proxy.run_chunk_plastic = lambda *a: timed.run_chunk_plastic(*a, tim)
    return proxy


def phase_seconds(tim: np.ndarray, per_s: float, wall: float) -> dict:
    """Seconds of each of :data:`PHASES` from counter ticks ``tim``; ``other``: the rest of the
    driver's loop; ``outside``: the run's wall time outside the driver (Python, recorders)."""
    if tim[4] <= 0:
        raise RuntimeError("the timed driver did not run (a threaded engine was used?)")
    sec = {p: float(tim[k] / per_s) for k, p in enumerate(PHASES)}
    sec["other"] = sec["loop"] - sum(sec[p] for p in PHASES[:4])
    sec["outside"] = wall - sec["loop"]
    return sec


def random_limit(n_visits: int, n_records: int, n_weights: int, seed: int = 1) -> float:
    """ns per visit of ``n_visits`` bare random visits (record read + weight read-modify-write,
    16 ahead prefetched)."""
    from numba import njit

    from spikesim.kernels.prefetch import AHEAD, prefetch, prefetch_read

    @njit(cache=False)
    def visits(rec, w, ri, wi):
        n = ri.shape[0]
        for e in range(n):
            if e + AHEAD < n:
                prefetch_read(rec, ri[e + AHEAD])
                prefetch(w, wi[e + AHEAD])
            x = rec[ri[e], 1]
            if rec[ri[e], 0] >= 0.0:
                w[wi[e]] = min(w[wi[e]] + 0.01 * x, 1.0)

    rng = np.random.default_rng(seed)
    rec = np.zeros((n_records, 4))
    w = np.zeros(n_weights, np.float32)
    ri = rng.integers(0, n_records, n_visits).astype(np.int32)
    wi = rng.integers(0, n_weights, n_visits).astype(np.int32)
    visits(rec, w, ri[:1000], wi[:1000])
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        visits(rec, w, ri, wi)
        best = min(best, time.perf_counter() - t0)
    return 1e9 * best / n_visits


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neurons", type=int, default=80000)
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    os.environ["NUMBA_NUM_THREADS"] = "1"
    net, recs = plastic_network(args.neurons)
    rt = net._runtime
    timed = timed_engine(pathlib.Path(rt.engine.__file__).read_text(),
                         pathlib.Path(rt.engine.__file__).stem)
    tim = np.zeros(5, np.int64)
    rt.engine = with_timed_driver(rt, timed, tim)
    net.run(20.0, progress=False)  # compiles the copy (or loads it), warms up
    per_s = ticks_per_second(timed)
    proj = next(p for p in net.projections if p.plastic)
    if proj.pre is not proj.post_population or proj.pre is not recs[0].population:
        raise RuntimeError("expected one plastic projection, excitatory to excitatory")
    row_len = np.diff(proj.indptr)  # an excitatory spike's plastic row and column
    col_len = np.bincount(proj.post, minlength=proj.post_population.size)
    steps = int(round(args.duration_ms / net.dt))
    rounds = []
    for _ in range(args.rounds):
        s0 = len(recs[0].spikes)
        tim[:] = 0
        t0 = time.perf_counter()
        net.run(args.duration_ms, progress=False)
        wall = time.perf_counter() - t0
        ids = np.asarray(recs[0].get("spikes").senders)[s0:]
        rounds.append(dict(wall_s=wall, seconds=phase_seconds(tim, per_s, wall),
                           exc_spikes=int(ids.shape[0]),
                           depression_visits=int(row_len[ids].sum()),
                           potentiation_visits=int(col_len[ids].sum())))
    r = sorted(rounds, key=lambda x: x["wall_s"])[(len(rounds) - 1) // 2]
    sec = r["seconds"]
    n_upd = args.neurons * steps
    unit = dict(update_ns_per_neuron_step=1e9 * sec["update"] / n_upd,
                depression_ns_per_visit=1e9 * sec["depression"] / max(r["depression_visits"], 1),
                potentiation_ns_per_visit=1e9 * sec["potentiation"]
                / max(r["potentiation_visits"], 1))
    limit = random_limit(r["potentiation_visits"], args.neurons, proj.n_synapses)
    res = dict(benchmark="profile_stdp", neurons=args.neurons, threads=1, precision="float32",
               duration_ms=args.duration_ms, rounds=rounds, median_round=r, **unit,
               random_limit_ns_per_visit=limit)
    print(f"CUBA+STDP {args.neurons} neurons, one thread, float32, {args.duration_ms:g} ms "
          f"(median of {args.rounds} rounds, wall {r['wall_s']:.3f} s):")
    for p in ("update", "depression", "potentiation", "traces", "other", "loop", "outside"):
        print(f"  {p:13s} {sec[p]:7.3f} s  {100 * sec[p] / r['wall_s']:5.1f} %")
    print(f"  update {unit['update_ns_per_neuron_step']:.2f} ns per neuron and step; "
          f"depression {unit['depression_ns_per_visit']:.1f} ns per visit "
          f"({r['depression_visits']:,}); potentiation {unit['potentiation_ns_per_visit']:.1f} "
          f"ns per visit ({r['potentiation_visits']:,})")
    print(f"  random-access limit (a trace record read + a weight read-modify-write, both "
          f"scattered): {limit:.1f} ns per visit")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
