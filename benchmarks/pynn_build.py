"""The cost of building a network through PyNN: spikesim.pynn and pyNN.nest against their native APIs.

    python benchmarks/pynn_build.py                                  # 4,000 neurons, 1 s
    python benchmarks/pynn_build.py --neurons 4000 --duration-ms 1000 --json benchmarks/results/pynn_build.json
    python benchmarks/pynn_build.py --only spikesim,spikesim.pynn    # without NEST

The network is the CUBA benchmark of PyNN's ``examples/VAbenchmarks.py``
(Vogels & Abbott 2005) at N neurons: separate excitatory (80 %) and inhibitory
populations of ``IF_curr_exp`` (cm 0.2 nF, tau_m 20 ms, v_rest -49 mV, threshold
-50 mV, reset -60 mV, refractory 5 ms, tau_syn 5 / 10 ms), initial v uniform in
[-60, -50] mV, four projections e2e, e2i, i2e, i2i with
``FixedProbabilityConnector(80 / N, rng=NumpyRNG(seed))``, weights 0.0162 / -0.09 nA,
spikes recorded from both populations. One change from VAbenchmarks: the delay is
one time step (0.1 ms, VAbenchmarks has 0.2), so that it is exactly the network of
``spikesim.examples.cuba`` (cm 1 nF with five times the weights: the same PSPs).

Five runs, each in its own child process, one after the other (every child
``--repeat`` times, interleaved; the table shows medians):

- ``spikesim``: the native API, ``spikesim.examples.cuba(N, dtype="float64", threads=1)``;
- ``spikesim.pynn``: the PyNN script above with ``import spikesim.pynn as sim``;
- ``nest``: native PyNEST (``spikesim.bench.cuba.run_nest``, as in ``spikesim bench cuba``:
  ``Create``, ``Connect(pairwise_bernoulli)``, ``spike_recorder``);
- ``pyNN.nest``: the same PyNN script with ``import pyNN.nest as sim`` (its
  ``FixedProbabilityConnector`` with a ``NumpyRNG`` draws the connections in Python,
  as PyNN does for every backend);
- ``pyNN.nest+NativeRNG``: the same script, but the connector gets pyNN.nest's
  ``NativeRNG``, so that PyNN hands the connections to NEST's ``pairwise_bernoulli``
  (the way to build fast on pyNN.nest; not portable to other backends).

Figures per run: import (the simulator's modules), build (setup + populations +
initial values + projections + record), first step (``run(dt)``: spikesim's JIT --
Numba start-up and kernels loaded from Numba's disk cache or compiled -- and
assembling the kernel arrays; NEST's preparation), run (the following
``run(duration_ms)``), synapses, rate and peak resident memory (``VmHWM``).
Everything runs on one thread, in float64.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
RUNS = ("spikesim", "spikesim.pynn", "nest", "pyNN.nest", "pyNN.nest+NativeRNG")
DT = 0.1
SYNAPSES_PER_NEURON = 80.0


# ------------------------------------------------------------------ children
def _peak_rss_mb() -> float:
    from spikesim.bench.cuba import _peak_rss_mb as peak

    return peak()


def child_spikesim(n: int, duration_ms: float, seed: int) -> dict:
    t0 = time.perf_counter()
    import spikesim
    from spikesim.bench.cuba import _numba_init
    from spikesim.examples import cuba
    import_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    _numba_init()  # Numba's compiler start-up: counted in the first step, as for spikesim.pynn
    numba_init_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    net, recs = cuba(n, synapses_per_neuron=SYNAPSES_PER_NEURON, seed=seed, dtype="float64",
                     threads=1)
    build_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    net.run(DT, progress=False)
    first_s = time.perf_counter() - t0 + numba_init_s

    t0 = time.perf_counter()
    net.run(duration_ms, progress=False)
    run_s = time.perf_counter() - t0
    counts = [len(r.spikes) for r in recs]
    return dict(version=spikesim.__version__, import_s=import_s, build_s=build_s,
                first_step_s=first_s, run_s=run_s,
                synapses=int(sum(p.n_synapses for p in net.projections)),
                spikes_exc=counts[0], spikes_inh=counts[1], simulated_ms=net.t)


def child_pynn(module: str, n: int, duration_ms: float, seed: int, native_rng: bool = False) -> dict:
    """The VAbenchmarks CUBA network as a PyNN script on ``module``."""
    t0 = time.perf_counter()
    import importlib

    sim = importlib.import_module(module)
    from pyNN.random import NumpyRNG, RandomDistribution
    import_s = time.perf_counter() - t0

    numba_init_s = 0.0
    extra = {}
    if module.startswith("spikesim"):
        from spikesim.bench.cuba import _numba_init

        t0 = time.perf_counter()
        _numba_init()
        numba_init_s = time.perf_counter() - t0
        extra = dict(threads=1, dtype="float64")
    else:
        extra = dict(threads=1, spike_precision="on_grid")  # iaf_psc_exp on the grid, as spikesim

    n_exc = int(round(0.8 * n))
    n_inh = n - n_exc
    p = min(1.0, SYNAPSES_PER_NEURON / n)
    cm = 0.2  # nF: 1 uF/cm2 x 20,000 um2 (VAbenchmarks)
    w_exc = 1e-3 * 0.27 * (0.0 - -60.0)    # nA
    w_inh = 1e-3 * 4.5 * (-80.0 - -60.0)   # nA
    delay = DT

    t0 = time.perf_counter()
    sim.setup(timestep=DT, min_delay=delay, max_delay=1.0, **extra)
    rng = NumpyRNG(seed=seed, parallel_safe=True)
    cell = sim.IF_curr_exp(tau_m=20.0, tau_syn_E=5.0, tau_syn_I=10.0, v_rest=-49.0, v_reset=-60.0,
                           v_thresh=-50.0, cm=cm, tau_refrac=5.0)
    exc = sim.Population(n_exc, cell, label="Excitatory_Cells")
    inh = sim.Population(n_inh, cell, label="Inhibitory_Cells")
    uniform = RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng)
    exc.initialize(v=uniform)
    inh.initialize(v=uniform)
    if native_rng:
        from pyNN.nest.random import NativeRNG

        connector = sim.FixedProbabilityConnector(p, rng=NativeRNG(seed=seed))
    else:
        connector = sim.FixedProbabilityConnector(p, rng=rng)
    exc_syn = sim.StaticSynapse(weight=w_exc, delay=delay)
    inh_syn = sim.StaticSynapse(weight=w_inh, delay=delay)
    prjs = [sim.Projection(exc, exc, connector, exc_syn, receptor_type="excitatory"),
            sim.Projection(exc, inh, connector, exc_syn, receptor_type="excitatory"),
            sim.Projection(inh, exc, connector, inh_syn, receptor_type="inhibitory"),
            sim.Projection(inh, inh, connector, inh_syn, receptor_type="inhibitory")]
    exc.record("spikes")
    inh.record("spikes")
    build_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    sim.run(DT)
    first_s = time.perf_counter() - t0 + numba_init_s
    t0 = time.perf_counter()
    sim.run(duration_ms)
    run_s = time.perf_counter() - t0
    simulated = sim.get_current_time()

    # from the neo data: pyNN.nest's get_spike_counts() also counts a few spikes of the last
    # step that its get_data() (and spikesim.pynn) leave out
    spikes = [sum(len(st) for st in pop.get_data("spikes").segments[0].spiketrains)
              for pop in (exc, inh)]
    synapses = int(sum(prj.size() for prj in prjs))
    if module.startswith("spikesim"):
        import spikesim

        version = spikesim.__version__
    else:
        import nest

        version = nest.__version__
    sim.end()
    return dict(version=version, import_s=import_s, build_s=build_s, first_step_s=first_s,
                run_s=run_s, synapses=synapses, spikes_exc=spikes[0], spikes_inh=spikes[1],
                simulated_ms=simulated)


def child_nest(n: int, duration_ms: float, seed: int) -> dict:
    from spikesim.bench.cuba import run_nest

    r = run_nest(n, duration_ms, seed)
    d = r["detail"]
    return dict(version=r["version"], import_s=r["import_s"], build_s=r["build_s"],
                first_step_s=None, run_s=r["loop_s"], synapses=r["synapses"],
                spikes_exc=round(r["rate_exc_hz"] * r["n_exc"] * duration_ms / 1000.0),
                spikes_inh=round(r["rate_inh_hz"] * r["n_inh"] * duration_ms / 1000.0),
                simulated_ms=duration_ms, prepare_s=d["prepare_s"])


def child_main(name: str, n: int, duration_ms: float, seed: int, out: str) -> None:
    if name == "spikesim":
        res = child_spikesim(n, duration_ms, seed)
    elif name == "spikesim.pynn":
        res = child_pynn("spikesim.pynn", n, duration_ms, seed)
    elif name == "nest":
        res = child_nest(n, duration_ms, seed)
    elif name == "pyNN.nest":
        res = child_pynn("pyNN.nest", n, duration_ms, seed)
    elif name == "pyNN.nest+NativeRNG":
        res = child_pynn("pyNN.nest", n, duration_ms, seed, native_rng=True)
    else:
        raise SystemExit(f"unknown run {name!r}")
    res["peak_rss_mb"] = _peak_rss_mb()
    with open(out, "w") as f:
        json.dump(res, f)


# ------------------------------------------------------------------ parent
def run_child(name: str, a, tmp: str) -> dict:
    out = os.path.join(tmp, name.replace("+", "_") + ".json")
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--neurons", str(a.neurons),
           "--duration-ms", str(a.duration_ms), "--seed", str(a.seed), "--out", out]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYNEST_QUIET": "1"}
    print(f"  {name} ...", end="", flush=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, timeout=a.timeout_s)
    except subprocess.TimeoutExpired:
        print(" timeout")
        return {"status": "timeout"}
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not os.path.exists(out):
        err = (proc.stderr or proc.stdout).strip().splitlines()
        missing = any("ModuleNotFoundError" in line or "ImportError" in line for line in err)
        status = "not installed" if missing else f"crashed (exit {proc.returncode})"
        print(f" {status}")
        return {"status": status, "stderr_tail": err[-5:]}
    with open(out) as f:
        res = json.load(f)
    res.update(status="ok", wall_s=wall)
    res["total_s"] = sum(res.get(k) or 0.0 for k in ("import_s", "build_s", "first_step_s", "run_s"))
    sec = res["simulated_ms"] / 1000.0
    n_exc = int(round(0.8 * a.neurons))
    res["rate_exc_hz"] = res["spikes_exc"] / n_exc / sec
    res["rate_inh_hz"] = res["spikes_inh"] / (a.neurons - n_exc) / sec
    res["rate_hz"] = (res["spikes_exc"] + res["spikes_inh"]) / a.neurons / sec
    print(f" {wall:.1f} s")
    return res


TIMES = ("import_s", "build_s", "first_step_s", "run_s", "total_s", "wall_s", "peak_rss_mb")


def _median_of(reps: list) -> dict:
    """The first successful repeat, its times replaced by the median over all successful ones."""
    ok = [r for r in reps if r["status"] == "ok"]
    if not ok:
        return reps[-1]
    out = dict(ok[0])
    out["repeats"] = len(ok)
    for key in TIMES:
        vals = [r[key] for r in ok if r.get(key) is not None]
        if vals:
            out[key] = float(sorted(vals)[len(vals) // 2]) if len(vals) % 2 else \
                float(sum(sorted(vals)[len(vals) // 2 - 1:len(vals) // 2 + 1]) / 2)
            out[f"{key}_all"] = vals
    return out


def _fmt(x, digits=3):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def table(results: dict, a) -> str:
    names = [k for k in results]
    rows = [("status", lambda r: r["status"]),
            ("version", lambda r: r.get("version")),
            ("import [s]", lambda r: _fmt(r.get("import_s"))),
            ("build [s]", lambda r: _fmt(r.get("build_s"))),
            ("first step [s]", lambda r: _fmt(r.get("first_step_s"))),
            (f"run {a.duration_ms:g} ms [s]", lambda r: _fmt(r.get("run_s"))),
            ("total [s]", lambda r: _fmt(r.get("total_s"))),
            ("synapses", lambda r: _fmt(r.get("synapses"))),
            ("rate [Hz] (exc / inh)",
             lambda r: (f"{r['rate_hz']:.2f} ({r['rate_exc_hz']:.2f} / {r['rate_inh_hz']:.2f})"
                        if "rate_hz" in r else "-")),
            ("peak memory [MiB]", lambda r: _fmt(r.get("peak_rss_mb"))),
            ("build / native build", lambda r: _fmt(r.get("build_over_native"), 2) + "x"
             if r.get("build_over_native") else "-")]
    width = max(22, *(len(n) + 2 for n in names))
    lines = ["".ljust(24) + "".join(n.ljust(width) for n in names),
             "".ljust(24) + "".join(("-" * (width - 2)).ljust(width) for n in names)]
    for label, f in rows:
        cells = []
        for n in names:
            r = results[n]
            try:
                cells.append(str(f(r)) if (r["status"] == "ok" or label == "status") else "")
            except (KeyError, TypeError):
                cells.append("-")
        lines.append(label.ljust(24) + "".join(c.ljust(width) for c in cells))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=4000)
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=98765, help="NumpyRNG seed (VAbenchmarks' rngseed)")
    ap.add_argument("--only", default=",".join(RUNS), help=f"comma-separated subset of {RUNS}")
    ap.add_argument("--json", default=os.path.join(RESULTS, "pynn_build.json"))
    ap.add_argument("--timeout-s", type=float, default=900.0, help="per run")
    ap.add_argument("--repeat", type=int, default=3,
                    help="run every child this many times (interleaved); the table shows medians")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child_main(a.child, a.neurons, a.duration_ms, a.seed, a.out)
        return 0
    runs = [r for r in a.only.split(",") if r]
    unknown = [r for r in runs if r not in RUNS]
    if unknown:
        print(f"error: unknown run(s) {unknown}; choose from {RUNS}", file=sys.stderr)
        return 2

    n_exc = int(round(0.8 * a.neurons))
    print(f"VAbenchmarks CUBA: {a.neurons:,} neurons ({n_exc:,} exc, {a.neurons - n_exc:,} inh), "
          f"p = {min(1.0, SYNAPSES_PER_NEURON / a.neurons):g}, dt = delay = {DT} ms, "
          f"{a.duration_ms:g} ms, one thread, float64; median of {a.repeat} run(s) each")
    results = {}
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="spikesim-pynn-build-") as tmp:
        for rep in range(a.repeat):
            if a.repeat > 1:
                print(f"round {rep + 1} of {a.repeat}")
            for name in runs:
                results.setdefault(name, []).append(run_child(name, a, tmp))
    results = {name: _median_of(reps) for name, reps in results.items()}
    for name, native in (("spikesim.pynn", "spikesim"), ("pyNN.nest", "nest"),
                         ("pyNN.nest+NativeRNG", "nest")):
        r, b = results.get(name), results.get(native)
        if r and b and r["status"] == b["status"] == "ok":
            r["build_over_native"] = r["build_s"] / b["build_s"]
            r["pynn_build_overhead_s"] = r["build_s"] - b["build_s"]
    summary = {}
    ok = {k: v for k, v in results.items() if v["status"] == "ok"}
    if "spikesim.pynn" in ok:
        s = ok["spikesim.pynn"]
        if "spikesim" in ok:
            summary["spikesim_pynn_layer_overhead_s"] = s["pynn_build_overhead_s"]
        for ref in ("pyNN.nest", "pyNN.nest+NativeRNG"):
            if ref in ok:
                summary[f"{ref}_build_over_spikesim_pynn_build"] = ok[ref]["build_s"] / s["build_s"]
                summary[f"{ref}_run_over_spikesim_pynn_run"] = ok[ref]["run_s"] / s["run_s"]

    print()
    print(table(results, a))
    print()
    print("build / native build: the PyNN script's build over the same network built with that "
          "simulator's own API (spikesim.examples.cuba; PyNEST).")
    for k, v in summary.items():
        print(f"{k}: {v:.3g}")

    payload = {
        "benchmark": "pynn_build",
        "network": "PyNN examples/VAbenchmarks.py CUBA (separate populations, 4 FixedProbability "
                   "projections, NumpyRNG), delay = dt = 0.1 ms",
        "config": {"neurons": a.neurons, "n_exc": n_exc, "n_inh": a.neurons - n_exc,
                   "p_connect": min(1.0, SYNAPSES_PER_NEURON / a.neurons),
                   "duration_ms": a.duration_ms, "dt_ms": DT, "seed": a.seed, "threads": 1,
                   "precision": "float64", "repeat": a.repeat,
                   "statistic": "median over repeats (each figure separately); *_all: every value"},
        "command": "python benchmarks/pynn_build.py" + (
            f" --neurons {a.neurons}" if a.neurons != 4000 else "") + (
            f" --duration-ms {a.duration_ms:g}" if a.duration_ms != 1000.0 else "") + (
            f" --only {a.only}" if a.only != ",".join(RUNS) else "") + (
            f" --repeat {a.repeat}" if a.repeat != 3 else ""),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "load_average_1min_start": load_start,
                    "load_average_1min_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
        "figures": {"import_s": "importing the simulator module(s)",
                    "build_s": "setup + populations + initial values + projections + record",
                    "first_step_s": "run(dt): spikesim's Numba start-up + kernel load/JIT + "
                                    "assembling kernel arrays; NEST's preparation (native nest: "
                                    "in run_s, Prepare+Run+Cleanup)",
                    "run_s": "run(duration_ms) after the first step",
                    "total_s": "import + build + first step + run",
                    "build_over_native": "build_s / build_s of the same simulator's native API",
                    "peak_rss_mb": "VmHWM of the child process"},
        "results": results,
        "summary": summary,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(payload, f, indent=1)
        f.write("\n")
    print("wrote", a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
