"""``spikesim bench microcircuit``: the PD14 microcircuit in spikesim and NEST, side by side.

Each simulator runs in its own child process (:func:`spikesim.bench.runner._run_child`),
one after the other, with the same number of threads (spikesim ``Network(threads=N)``,
NEST ``local_num_threads=N``), the same derived parameters (:mod:`.params`) and the same
protocol: build; a first step of ``dt`` (spikesim: JIT or cache load; NEST: ``Prepare``);
a warm-up; then the timed loop of ``duration_ms``. Reported per simulator: build, JIT, loop,
real-time factor (loop wall time / biological time), peak memory (the child's VmHWM), and
per population the mean rate, ISI CV and spike-count correlation over the loop
(:mod:`.stats`), and the KS distances between the two simulators' distributions.

This module runs inside the child processes: it imports neither spikesim nor NEST at
module level, and loads :mod:`.params` and :mod:`.stats` by file path so that the NEST
child holds no spikesim and no Numba.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import traceback

SIMULATORS = ("spikesim", "nest")
_HERE = os.path.dirname(os.path.abspath(__file__))


def _sibling(name: str):
    key = f"_spikesim_microcircuit_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, os.path.join(_HERE, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[key] = mod
    spec.loader.exec_module(mod)
    return mod


def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2 ** 10
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 10


def _stats(per_pop: dict, sizes: dict, t0: float, t1: float) -> dict:
    S = _sibling("stats")
    return {name: S.population_stats(times, senders, sizes[name], t0, t1)
            for name, (times, senders) in per_pop.items()}


def _result(sim, cfg, *, build_s, jit_s, warmup_s, loop_s, synapses, neurons, stats, version,
            threads, precision, **extra) -> dict:
    dur = cfg["duration_ms"]
    pops = {name: {k: v for k, v in s.items() if k not in ("rates", "cvs", "ccs")}
            for name, s in stats.items()}
    dists = {name: {k: [float(x) for x in s[k]] for k in ("rates", "cvs", "ccs")}
             for name, s in stats.items()}
    return dict(simulator=sim, status="ok", version=version, threads=threads,
                precision=precision, scale=cfg["scale"], k_scale=cfg["k_scale"],
                drive=cfg["drive"], neurons=neurons, synapses=synapses, build_s=build_s,
                compile_s=jit_s, warmup_s=warmup_s, loop_s=loop_s,
                real_time_factor=loop_s / (dur * 1e-3), duration_ms=dur,
                warmup_ms=cfg["warmup_ms"], populations=pops, distributions=dists, **extra)


def run_spikesim(cfg: dict) -> dict:
    """Build and run the microcircuit in spikesim."""
    t0 = time.perf_counter()
    import numpy as np

    import spikesim as ss
    from spikesim.arrival_runtime import storage_bytes
    from spikesim.bench.cuba import _numba_init
    from spikesim.models.microcircuit import microcircuit
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    _numba_init()
    init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net, info = microcircuit(cfg["scale"], cfg["k_scale"], cfg["drive"], seed=cfg["seed"],
                             dtype=cfg["precision"], threads=cfg["threads"],
                             fuse_receptors=cfg.get("fuse_receptors", True))
    build_s = time.perf_counter() - t0
    build_rss = _peak_rss_mb()
    dt = net.dt
    t0 = time.perf_counter()
    net.run(dt, progress=False)
    jit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run(cfg["warmup_ms"] - dt, progress=False)
    warmup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run(cfg["duration_ms"], progress=False)
    loop_s = time.perf_counter() - t0
    t_a, t_b = cfg["warmup_ms"], cfg["warmup_ms"] + cfg["duration_ms"]
    per_pop = {name: (r.get("spikes").times, r.get("spikes").senders)
               for name, r in info["recorders"].items()}
    sizes = {name: p.size for name, p in info["populations"].items()}
    syn = sum(p.n_synapses for p in net.projections)
    conn = sum(p.nbytes for p in net.projections)
    # the blocks of delivery at arrival (spikesim.arrival_runtime; the projections that lent
    # their synapses to them hold only their row starts, counted in conn)
    blocks = storage_bytes(net._runtime.at_arrival)
    return _result("spikesim", cfg, build_s=build_s, jit_s=init_s + jit_s, warmup_s=warmup_s,
                   loop_s=loop_s, synapses=syn, neurons=net.n_neurons,
                   stats=_stats(per_pop, sizes, t_a, t_b), version=ss.__version__,
                   threads=net._runtime.n_parts, precision=str(np.dtype(net.dtype)),
                   import_s=import_s, build_peak_rss_mb=build_rss,
                   connectivity_bytes=conn + blocks, projection_bytes=conn,
                   arrival_block_bytes=blocks,
                   bytes_per_synapse=(conn + blocks) / syn if syn else None,
                   ring_buffer_bytes=int(net._runtime.buf.nbytes),
                   fused_populations=len(net._runtime.fused))


def run_nest(cfg: dict) -> dict:
    """Build and run the microcircuit in NEST as INM-6/microcircuit-PD14-model does."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    t0 = time.perf_counter()
    import nest
    import numpy as np
    import_s = time.perf_counter() - t0
    P = _sibling("params").derive(cfg["scale"], cfg["k_scale"], cfg["drive"])
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.local_num_threads = int(cfg["threads"])
    nest.resolution = P["dt"]
    nest.rng_seed = int(cfg["seed"]) + 1
    nest.print_time = False
    nrn = P["neuron"]
    t0 = time.perf_counter()
    pops, recs = [], []
    for i, name in enumerate(P["populations"]):
        pop = nest.Create("iaf_psc_exp", int(P["num_neurons"][i]))
        pop.set(tau_syn_ex=nrn["tau_syn"], tau_syn_in=nrn["tau_syn"], E_L=nrn["E_L"],
                V_th=nrn["V_th"], V_reset=nrn["V_reset"], t_ref=nrn["t_ref"], C_m=nrn["C_m"],
                tau_m=nrn["tau_m"], I_e=float(P["dc_amp"][i]))
        pop.set(V_m=nest.random.normal(float(P["v0_mean"][i]), float(P["v0_std"][i])))
        pops.append(pop)
        rec = nest.Create("spike_recorder")
        nest.Connect(pop, rec)
        recs.append(rec)
    if P["drive"] == "poisson":
        gens = nest.Create("poisson_generator", 8)
        gens.rate = list(P["poisson_rate"])
        for i, pop in enumerate(pops):
            nest.Connect(gens[i], pop, {"rule": "all_to_all"},
                         {"synapse_model": "static_synapse", "weight": P["weight_ext"],
                          "delay": P["delay_poisson"]})
    models = _nest_synapse_models(nest, P, int(nest.total_num_virtual_procs))
    for i, tgt in enumerate(pops):
        for j, src in enumerate(pops):
            n = int(P["num_synapses"][i, j])
            if n <= 0:
                continue
            w = float(P["weight_mean"][i, j])
            lo, hi = (-np.inf, 0.0) if w < 0 else (0.0, np.inf)
            d = float(P["delay_mean"][i, j])
            nest.Connect(src, tgt, {"rule": "fixed_total_number", "N": n}, {
                "synapse_model": models[w < 0],
                "weight": nest.math.redraw(nest.random.normal(mean=w, std=abs(w) * P["weight_rel_std"]),
                                           min=lo, max=hi),
                "delay": nest.math.redraw(nest.random.normal(mean=d, std=d * P["delay_rel_std"]),
                                          min=nest.resolution - 0.5 * nest.resolution, max=np.inf)})
    connect_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nest.Prepare()
    prepare_s = time.perf_counter() - t0
    build_s = connect_s + prepare_s  # INM-6 counts Prepare in the connection time
    build_rss = _peak_rss_mb()
    t0 = time.perf_counter()
    nest.Run(cfg["warmup_ms"])
    warmup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nest.Run(cfg["duration_ms"])
    loop_s = time.perf_counter() - t0
    nest.Cleanup()
    # num_connections counts the devices' connections too: one per neuron to its spike
    # recorder, and one from its Poisson generator with Poisson drive
    n_dev = sum(len(p) for p in pops) * (2 if P["drive"] == "poisson" else 1)
    syn = int(nest.GetKernelStatus("num_connections")) - n_dev
    per_pop, sizes = {}, {}
    for name, pop, rec in zip(P["populations"], pops, recs):
        ev = rec.get("events")
        per_pop[name] = (np.asarray(ev["times"]) , np.asarray(ev["senders"]) - pop[0].global_id)
        sizes[name] = len(pop)
    t_a, t_b = cfg["warmup_ms"], cfg["warmup_ms"] + cfg["duration_ms"]
    return _result("nest", cfg, build_s=build_s, jit_s=None, warmup_s=warmup_s, loop_s=loop_s,
                   synapses=syn, neurons=int(sum(sizes.values())),
                   stats=_stats(per_pop, sizes, t_a, t_b), version=nest.__version__,
                   threads=int(nest.local_num_threads), precision="float64", import_s=import_s,
                   build_peak_rss_mb=build_rss,
                   detail=dict(connect_s=connect_s, prepare_s=prepare_s, rng_seed=int(cfg["seed"]) + 1,
                               synapses_include_poisson_generators=P["drive"] == "poisson",
                               synapse_models=sorted(set(models))))


# NEST 3 stores at most this many connections per virtual process and synapse model
# (KernelException "Too many connections"; 2**27 - 2)
NEST_MAX_CONNECTIONS_PER_VP_AND_MODEL = 134_217_726


def _nest_synapse_models(nest, P: dict, vps: int) -> tuple[str, str]:
    """Synapse model names for (excitatory, inhibitory) recurrent connections.

    One ``static_synapse`` for both, unless the network's synapses spread over ``vps``
    virtual processes would pass NEST's limit per process and model (the full-scale model
    on 2 threads holds ~149 M per process). Then the inhibitory ones go to a copy,
    ``static_synapse_inh``, with identical dynamics: each model stays under the limit
    (~109 M excitatory per process at full scale on 2 threads).
    """
    n = P["num_synapses"]
    per_vp = float(n.sum() + 2 * sum(P["num_neurons"])) / vps
    if per_vp <= 0.95 * NEST_MAX_CONNECTIONS_PER_VP_AND_MODEL:
        return ("static_synapse", "static_synapse")
    nest.CopyModel("static_synapse", "static_synapse_inh")
    return ("static_synapse", "static_synapse_inh")


RUNNERS = {"spikesim": run_spikesim, "nest": run_nest}
_MODULES = {"spikesim": ("spikesim", "numba"), "nest": ("nest",)}


def child_main(argv: list[str]) -> int:
    """Entry point of a child: ``argv = [simulator, config JSON, result path]``."""
    sim, cfg, out_path = argv[0], json.loads(argv[1]), argv[2]
    t_start = time.perf_counter()
    try:
        run = RUNNERS.get(sim)
        res = dict(simulator=sim, status="unknown", error=f"unknown simulator {sim!r}") \
            if run is None else run(cfg)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        st = "not installed" if missing.split(".")[0] in _MODULES.get(sim, ()) else "error"
        res = dict(simulator=sim, status=st, error=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc())
    except Exception as exc:  # noqa: BLE001 -- reported to the parent
        res = dict(simulator=sim, status="error", error=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc())
    res["peak_rss_mb"] = _peak_rss_mb()
    res["child_wall_s"] = time.perf_counter() - t_start
    with open(out_path, "w") as f:
        json.dump(res, f, default=str)
    return 0


# ----------------------------------------------------------------- the parent
def run_microcircuit_bench(scale: float = 0.1, duration_ms: float = 1000.0,
                           against: list[str] | str = ("nest",), json_path: str | None = None,
                           seed: int = 55, threads: int = 2, k_scale: float | None = None,
                           drive: str = "poisson", warmup_ms: float = 100.0,
                           precision: str = "float32", timeout_s: float | None = None,
                           realisations: int = 1, verbose: bool = True,
                           fuse_receptors: bool = True) -> dict:
    """Run the microcircuit in spikesim and each simulator of ``against``; print, write JSON.

    Parameters
    ----------
    scale, k_scale, drive
        As :func:`spikesim.models.microcircuit.microcircuit`.
    duration_ms : float, ms
        Biological time of the timed loop (after ``warmup_ms``).
    against : list of str
        ``"nest"`` or nothing.
    threads : int
        Threads of every simulator (spikesim ``Network(threads=N)``; NEST
        ``local_num_threads``).
    precision : {"float32", "float64"}
        spikesim's; NEST always computes in float64.
    seed : int
        spikesim's network seed; NEST gets ``seed + 1`` (as ``spikesim bench cuba``).
    timeout_s : float, optional
        Per simulator; a child that takes longer is killed and reported.
    realisations : int
        Network realisations of each reference simulator: ``nest`` with ``seed``, ``nest#2``
        with ``seed + 1000`` ...; the KS distances between them (``ks_between_realisations``)
        are the spread that spikesim's distances to the reference are judged against.
    fuse_receptors : bool
        spikesim's ``Network(fuse_receptors=...)`` (:mod:`spikesim.fusion`; the same dynamics).

    Returns
    -------
    dict, as written to ``json_path``: ``config``, ``machine``, ``results`` (per simulator),
    ``ks`` (per population and measure, spikesim vs each reference) and ``table``.
    """
    import tempfile

    import numpy as np

    from spikesim import _validate as V
    from spikesim.bench import runner as R

    P = _sibling("params")
    P.derive(scale, k_scale, drive)  # validates scale, k_scale, drive
    threads = V.count("threads", threads, 1)
    V.time_to_steps("duration_ms", duration_ms, P.DT, minimum=1)
    V.time_to_steps("warmup_ms", warmup_ms, P.DT, minimum=1)
    if precision not in ("float32", "float64"):
        raise ValueError(f"precision must be 'float32' or 'float64', got {precision!r}")
    if isinstance(against, str):
        against = against.split(",")
    names = [s.strip().lower() for s in against if s.strip() and s.strip().lower() != "spikesim"]
    for s in names:
        if s not in SIMULATORS:
            raise ValueError(f"against: unknown simulator {s!r} for the microcircuit (known: nest)")
    config = dict(benchmark="microcircuit", scale=float(scale), k_scale=k_scale, drive=drive,
                  duration_ms=float(duration_ms), warmup_ms=float(warmup_ms), seed=int(seed),
                  threads=threads, precision=precision, dt_ms=P.DT)
    if not isinstance(fuse_receptors, bool):
        raise ValueError(f"fuse_receptors must be True or False, got {fuse_receptors!r}")
    config["fuse_receptors"] = fuse_receptors
    realisations = V.count("realisations", realisations, 1)
    config["realisations"] = realisations
    runs = [("spikesim", "spikesim", config)]
    for sim in names:
        for k in range(realisations):
            runs.append((sim if k == 0 else f"{sim}#{k + 1}", sim,
                         dict(config, seed=int(seed) + 1000 * k)))
    results = {}
    with tempfile.TemporaryDirectory(prefix="spikesim-bench-") as tmp:
        for key, sim, cfg in runs:
            R._say(verbose, f"running {key} (microcircuit scale {scale:g}, {duration_ms:g} ms, "
                            f"{threads} threads, seed {cfg['seed']}) ...")
            results[key] = R._run_child(sim, cfg, tmp, False, timeout_s, module=__file__)
            r = results[key]
            r["seed"] = cfg["seed"]
            sim = key
            R._say(verbose, f"{sim}: " + (f"build {r['build_s']:.1f} s, loop {r['loop_s']:.1f} s"
                                          if r.get("status") == "ok" else str(r.get("error"))))
    S = _sibling("stats")
    ks = {}
    base = results["spikesim"]
    for sim in names:
        ref = results[sim]
        if base.get("status") == "ok" and ref.get("status") == "ok":
            ks[sim] = {pop: {k: S.ks_distance(base["distributions"][pop][k],
                                              ref["distributions"][pop][k])
                             for k in ("rates", "cvs", "ccs")}
                       for pop in base["distributions"]}
    between = {}
    for key, r in results.items():
        base_key = key.split("#")[0]
        if "#" in key and r.get("status") == "ok" and results[base_key].get("status") == "ok":
            between[f"{base_key} vs {key}"] = {
                pop: {k: S.ks_distance(results[base_key]["distributions"][pop][k],
                                       r["distributions"][pop][k]) for k in ("rates", "cvs", "ccs")}
                for pop in r["distributions"]}
    for r in results.values():  # the distributions made the KS distances; not stored
        r.pop("distributions", None)
    published = dict(zip(P.POPULATIONS, [float(x) for x in P.PUBLISHED_RATES]))
    out = dict(benchmark="microcircuit", config=config, machine=R._machine(), results=results,
               ks=ks, ks_between_realisations=between, published_rates_hz=published,
               command=" ".join(["spikesim"] + sys.argv[1:]) if sys.argv and
               os.path.basename(sys.argv[0]) == "spikesim" else None)
    out["table"] = format_table(out)
    if verbose:
        print(out["table"], flush=True)
    if json_path:
        R._write_json(json_path, out)
        R._say(verbose, f"wrote {json_path}")
    _ = np
    return out


def format_table(out: dict) -> str:
    """The side-by-side table: timings, memory, and per population rate / CV / CC (and KS)."""
    res = out["results"]
    sims = [s for s in res if res[s].get("status") == "ok"]
    lines = []
    cfg = out["config"]
    lines.append(f"microcircuit scale {cfg['scale']:g} (k_scale {cfg['k_scale'] or cfg['scale']:g}),"
                 f" {cfg['drive']} drive, {cfg['duration_ms']:g} ms after {cfg['warmup_ms']:g} ms"
                 " warm-up")
    head = f"{'':24s}" + "".join(
        f"{s + ' (' + str(res[s].get('threads')) + ' thr, ' + str(res[s].get('precision')) + ')':>30s}"
        for s in sims)
    lines.append(head)

    def row(label, key, fmt="{:.2f}"):
        cells = []
        for s in sims:
            v = res[s].get(key)
            cells.append(f"{'-' if v is None else fmt.format(v):>30s}")
        lines.append(f"{label:24s}" + "".join(cells))

    row("neurons", "neurons", "{:d}")
    row("synapses", "synapses", "{:d}")
    row("build (s)", "build_s")
    row("JIT (s)", "compile_s")
    row("warm-up (s)", "warmup_s")
    row("loop (s)", "loop_s")
    row("real-time factor", "real_time_factor")
    row("peak memory (MB)", "peak_rss_mb", "{:.0f}")
    row("bytes per synapse", "bytes_per_synapse")
    for s in sims:
        if s != "spikesim" and res["spikesim"].get("status") == "ok":
            a, b = res["spikesim"]["loop_s"], res[s]["loop_s"]
            lines.append(f"loop {s} / spikesim: {b / a:.2f}x")
    lines.append("")
    lines.append(f"{'population':10s}{'published':>10s}" + "".join(
        f"{s + ' rate':>16s}{'CV':>7s}{'CC':>8s}" for s in sims) +
        "".join(f"{'KS ' + s + ' r/cv/cc':>22s}" for s in out.get("ks", {})) +
        "".join(f"{'KS ' + s.replace(' vs ', '/'):>22s}" for s in out.get("ks_between_realisations", {})))
    for pop, pub in out.get("published_rates_hz", {}).items():
        cells = f"{pop:10s}{pub:10.3f}"
        for s in sims:
            p = res[s]["populations"].get(pop, {})
            cv, cc = p.get("cv_mean"), p.get("cc_mean")
            cells += (f"{p.get('rate_mean', float('nan')):16.3f}"
                      f"{'-' if cv is None else format(cv, '.3f'):>7s}"
                      f"{'-' if cc is None else format(cc, '.4f'):>8s}")
        for s, k in list(out.get("ks", {}).items()) + list(out.get("ks_between_realisations",
                                                                   {}).items()):
            d = k.get(pop, {})
            cells += f"{'/'.join('-' if d.get(m) is None else format(d[m], '.2f') for m in ('rates', 'cvs', 'ccs')):>22s}"
        lines.append(cells)
    return "\n".join(lines)
