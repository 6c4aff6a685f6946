"""The CUBA benchmark network built three times: in spikesim, Brian2 (cpp_standalone) and NEST.

CUBA (Vogels & Abbott 2005, J. Neurosci. 25:10786; Brian2's ``CUBA.py``
example): ``N`` LIF neurons, 80 % excitatory and 20 % inhibitory, with
exponential current synapses, connected at random with probability
``p = 80 / N`` (80 synapses per neuron at every size; 0.02 at 4,000 neurons).

========================  ===================================================
membrane                  ``taum = 20 ms``, ``El = -49 mV``, ``Vt = -50 mV``,
                          ``Vr = -60 mV``, refractory 5 ms
synapses                  ``taue = 5 ms``, ``taui = 10 ms``, delay 0.1 ms
jumps (Brian2, mV)        ``we = 60*0.27/10 = 1.62``, ``wi = -20*4.5/10 = -9``
as currents (PyNN, nA)    ``w = we * cm / taum`` with ``cm = 1 nF``: 0.081, -0.45
as currents (NEST, pA)    ``w = we * C_m / tau_m`` with ``C_m = 250 pF``:
                          20.25, -112.5
initial ``v``             uniform in ``[Vr, Vt]``
``dt``                    0.1 ms
========================  ===================================================

All three describe the same equations, ``dv/dt = (El - v)/taum + I/C`` with
``I`` jumping by ``w`` and decaying exponentially. Two timing conventions
are matched to spikesim's (see ``tests/brian2_models.py``): Brian2's
threshold is ``v >= Vt`` and its refractory period is ``5 ms + dt``
(Brian2 clamps one step fewer than spikesim and NEST do for the same
number); the 0.1 ms delay means the same step in all three.

This module runs *inside the child process* of one simulator (see
:func:`child_main`). It must not import spikesim (nor anything heavy) at
module level: the Brian2 and NEST children load it by file path, so that
their peak memory contains neither spikesim nor Numba.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback

# ----------------------------------------------------------------- the network
EXC_FRACTION = 0.8
SYNAPSES_PER_NEURON = 80.0
DT_MS = 0.1
TAU_M, TAU_E, TAU_I = 20.0, 5.0, 10.0          # ms
V_T, V_R, E_L = -50.0, -60.0, -49.0            # mV
T_REF = 5.0                                    # ms
DELAY = 0.1                                    # ms
WE_MV, WI_MV = 60 * 0.27 / 10, -20 * 4.5 / 10  # PSC jump of v-equivalent, mV
CM_NF = 1.0                                    # spikesim cm (nF)
CM_PF_NEST = 250.0                             # NEST C_m (pF)

SIMULATORS = ("spikesim", "brian2", "nest")


def sizes(neurons: int) -> tuple[int, int, float]:
    """``(n_exc, n_inh, p)`` for a network of ``neurons`` neurons."""
    n_exc = int(round(EXC_FRACTION * neurons))
    return n_exc, neurons - n_exc, min(1.0, SYNAPSES_PER_NEURON / neurons)


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB.

    Linux: ``VmHWM`` of ``/proc/self/status``. Not ``ru_maxrss``: Linux
    carries the high-water mark of the pre-``exec`` image over into it, so a
    child started by a parent of 500 MB reports at least 500 MB however
    small it is. Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except OSError:
        pass
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 2**20 if sys.platform == "darwin" else kb / 2**10


def _result(name, neurons, duration_ms, *, synapses, spikes, spikes_exc, simulated_ms,
            spikes_loop, loop_s, **rest) -> dict:
    """The common result fields (derived figures computed in one place for all three)."""
    n_exc, n_inh, p = sizes(neurons)
    out_deg = synapses / neurons
    sec = simulated_ms / 1000.0
    return dict(
        simulator=name, status="ok", neurons=neurons, n_exc=n_exc, n_inh=n_inh, p_connect=p,
        duration_ms=duration_ms, simulated_ms=simulated_ms, synapses=int(synapses),
        mean_out_degree=out_deg, loop_s=loop_s, spikes=int(spikes),
        rate_hz=spikes / neurons / sec,
        rate_exc_hz=spikes_exc / n_exc / sec,
        rate_inh_hz=(spikes - spikes_exc) / n_inh / sec if n_inh else float("nan"),
        events_per_s=spikes_loop * out_deg / loop_s if loop_s > 0 else float("nan"),
        **rest)


# ----------------------------------------------------------------- spikesim
def _numba_cache_counts() -> tuple[int, int]:
    """(cache hits, cache misses) summed over every Numba dispatcher of spikesim's kernels."""
    from numba.core.dispatcher import Dispatcher

    hits = misses = 0
    for name, mod in list(sys.modules.items()):
        if not name.startswith("spikesim.kernels") or mod is None:
            continue
        for obj in vars(mod).values():
            if isinstance(obj, Dispatcher):
                hits += sum(obj.stats.cache_hits.values())
                misses += sum(obj.stats.cache_misses.values())
    return hits, misses


def _cache_state(hits: int, misses: int) -> str:
    if misses and not hits:
        return "cold"
    if hits and not misses:
        return "warm"
    return "partial" if hits else "none"


def _numba_init() -> None:
    """Initialise Numba's CPU target (typing and lowering registries) if not done yet."""
    try:
        from numba.core.registry import cpu_target

        cpu_target.target_context.refresh()
        cpu_target.typing_context.refresh()
    except Exception:  # noqa: BLE001 -- an internal API: without it the cost lands in build_s
        pass


def run_spikesim(neurons: int, duration_ms: float, seed: int, threads, *, stdp: bool = False,
                 extra=None, precision: str | None = None) -> dict:
    """Build and run CUBA in spikesim; JIT = Numba start-up + a first ``run(dt)``, loop = ``run(duration_ms)``.

    ``stdp`` is passed to :func:`spikesim.examples.cuba`; ``extra(net)``, if
    given, returns more result fields, taken after the run.
    """
    t0 = time.perf_counter()
    import numba
    import numpy as np

    import spikesim as ss
    from spikesim.examples import cuba
    import_s = time.perf_counter() - t0
    import_rss = _peak_rss_mb()

    # Numba sets up its compiler (hundreds of lazy imports) at the first compile or cache
    # load in a process: a JIT cost, so it is timed here and counted in compile_s, not in
    # whichever kernel happens to be called first during the build.
    t0 = time.perf_counter()
    _numba_init()
    numba_init_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    # the same network as ``spikesim demo`` (parameters as in this module's docstring)
    net, recs = cuba(neurons, synapses_per_neuron=SYNAPSES_PER_NEURON, seed=seed, threads=threads,
                     stdp=stdp, dtype=precision or "float32")
    build_s = time.perf_counter() - t0
    build_cache = _numba_cache_counts()

    t0 = time.perf_counter()
    net.run(DT_MS, progress=False)       # compiles the kernels, or loads them from Numba's cache
    jit_s = time.perf_counter() - t0
    hits, misses = _numba_cache_counts()
    jit_hits, jit_misses = hits - build_cache[0], misses - build_cache[1]
    t_warm = net.t

    t0 = time.perf_counter()
    net.run(duration_ms, progress=False)
    loop_s = time.perf_counter() - t0

    synapses = sum(pr.n_synapses for pr in net.projections)
    conn_bytes = sum(pr.nbytes for pr in net.projections)
    times = [r.spikes.times for r in recs]
    spikes = sum(len(t) for t in times)
    spikes_loop = sum(int(np.count_nonzero(t > t_warm + 1e-9)) for t in times)
    runtime = getattr(net, "_runtime", None)
    return _result(
        "spikesim", neurons, duration_ms, synapses=synapses, spikes=spikes,
        spikes_exc=len(times[0]), spikes_loop=spikes_loop, simulated_ms=net.t,
        loop_s=loop_s, import_s=import_s, build_s=build_s, compile_s=numba_init_s + jit_s,
        version=ss.__version__, threads=getattr(runtime, "n_parts", None),
        precision=str(np.dtype(net.dtype)),
        connectivity_bytes=conn_bytes,
        bytes_per_synapse=conn_bytes / synapses if synapses else float("nan"),
        import_rss_mb=import_rss,
        jit_cache=_cache_state(jit_hits, jit_misses), **(extra(net) if extra else {}),
        detail=dict(
            compile_kind="Numba start-up + first run of dt (JIT or cache load of the kernels, "
                         "assembling the kernel arrays)",
            numba_init_s=numba_init_s, first_run_s=jit_s, warmup_ms=t_warm,
            numba_cache_dir=numba.config.CACHE_DIR or "(next to the sources, __pycache__)",
            numba_cache_first_run={"hits": jit_hits, "misses": jit_misses},
            numba_cache_build={"hits": build_cache[0], "misses": build_cache[1]},
            numba_threading_layer_threads=numba.config.NUMBA_NUM_THREADS,
            threads_requested=threads,
        ))


# ----------------------------------------------------------------- Brian2
_BRIAN2_TIMERS = {
    "before_start": "struct timespec _bench_t[4]; clock_gettime(CLOCK_MONOTONIC, &_bench_t[0]);",
    "before_network_run": "clock_gettime(CLOCK_MONOTONIC, &_bench_t[1]);",
    "after_network_run": "clock_gettime(CLOCK_MONOTONIC, &_bench_t[2]);",
    # Peak memory of the binary: VmHWM (KiB) of its own address space (see _peak_rss_mb
    # for why not getrusage's ru_maxrss).
    "after_end": (
        "clock_gettime(CLOCK_MONOTONIC, &_bench_t[3]);\n"
        "{ long _bench_kb = -1; std::string _bench_line;\n"
        "  std::ifstream _bench_st(\"/proc/self/status\");\n"
        "  while (std::getline(_bench_st, _bench_line))\n"
        "    if (_bench_line.compare(0, 6, \"VmHWM:\") == 0) _bench_kb = std::stol(_bench_line.substr(6));\n"
        "  std::ofstream _bench_f(brian::results_dir + \"spikesim_bench.txt\");\n"
        "  _bench_f.precision(9);\n"
        "  for (int _k = 1; _k < 4; _k++)\n"
        "    _bench_f << (_bench_t[_k].tv_sec - _bench_t[_k-1].tv_sec)\n"
        "                + 1e-9 * (_bench_t[_k].tv_nsec - _bench_t[_k-1].tv_nsec) << \" \";\n"
        "  _bench_f << _bench_kb << std::endl; }"),
}


def run_brian2(neurons: int, duration_ms: float, seed: int, workdir: str, connect=None,
               threads: int = 1, precision: str | None = None) -> dict:
    """Build, compile and run CUBA in Brian2's cpp_standalone mode in a fresh project folder.

    ``connect(b2, P, n_exc, p, ns)``, if given, creates and connects every
    ``Synapses`` group instead of the static ones here and returns ``(groups,
    extra)``; ``extra()`` returns more result fields, taken after the run.

    Wall-clock timers are inserted into the generated ``main.cpp``: set-up
    (synapse creation and initial values, inside the binary), the network
    loop, and writing the results. Brian2's own ``device._last_run_time``
    (processor time of the loop, ``std::clock``) is reported next to them.
    """
    t0 = time.perf_counter()
    import brian2 as b2
    import numpy as np
    import_s = time.perf_counter() - t0
    import_rss = _peak_rss_mb()

    n_exc, n_inh, p = sizes(neurons)
    b2.BrianLogger.log_level_error()
    b2.set_device("cpp_standalone", build_on_run=False)
    # threads: OpenMP in the generated code (0 = none, one thread); precision: Brian2's float
    b2.prefs.devices.cpp_standalone.openmp_threads = int(threads) if int(threads) > 1 else 0
    b2.prefs.core.default_float_dtype = np.float32 if precision == "float32" else np.float64
    for slot, code in _BRIAN2_TIMERS.items():
        b2.device.insert_code(slot, code)
    ms, mV = b2.ms, b2.mV

    t0 = time.perf_counter()
    b2.defaultclock.dt = DT_MS * ms
    b2.seed(seed)
    ns = dict(taum=TAU_M * ms, taue=TAU_E * ms, taui=TAU_I * ms, Vt=V_T * mV, Vr=V_R * mV,
              El=E_L * mV, we=WE_MV * mV, wi=WI_MV * mV)
    eqs = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    P = b2.NeuronGroup(neurons, eqs, threshold="v >= Vt", reset="v = Vr",
                       refractory=(T_REF + DT_MS) * ms, method="exact", namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge, P.gi = 0 * mV, 0 * mV
    if connect is None:
        groups, extra = [b2.Synapses(P[:n_exc], P, on_pre="ge += we", delay=DELAY * ms,
                                     namespace=ns)], None
        if n_inh:
            groups.append(b2.Synapses(P[n_exc:], P, on_pre="gi += wi", delay=DELAY * ms,
                                      namespace=ns))
        for S in groups:
            S.connect(p=p)
    else:
        groups, extra = connect(b2, P, n_exc, p, ns)
    mon = b2.SpikeMonitor(P)
    net = b2.Network(P, *groups, mon)
    net.run(duration_ms * ms)
    py_build_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    b2.device.build(directory=workdir, compile=True, run=False, with_output=False)
    codegen_make_s = time.perf_counter() - t0
    make_s = b2.device.timers["compile"]["make"] or 0.0

    t0 = time.perf_counter()
    b2.device.run(directory=workdir, results_directory="results", with_output=False)
    binary_s = time.perf_counter() - t0
    own_loop = float(b2.device._last_run_time)
    timer_file = os.path.join(workdir, "results", "spikesim_bench.txt")
    setup_s = loop_wall = write_s = None
    binary_rss = None
    if os.path.exists(timer_file):
        with open(timer_file) as f:
            fields = f.read().split()
        setup_s, loop_wall, write_s = (float(x) for x in fields[:3])
        binary_rss = float(fields[3]) / 2**10 if float(fields[3]) > 0 else None
    loop_s = loop_wall if loop_wall is not None else own_loop
    synapses = sum(len(S) for S in groups)
    i = np.asarray(mon.i[:])
    spikes = int(i.shape[0])
    t = np.asarray(mon.t[:] / ms)
    return _result(
        "brian2", neurons, duration_ms, synapses=synapses, spikes=spikes,
        spikes_exc=int(np.count_nonzero(i < n_exc)), spikes_loop=int(np.count_nonzero(t >= 0)),
        simulated_ms=duration_ms, loop_s=loop_s, import_s=import_s,
        build_s=py_build_s + (setup_s if setup_s is not None else 0.0),
        compile_s=codegen_make_s, version=b2.__version__,
        threads=max(1, int(b2.prefs.devices.cpp_standalone.openmp_threads)),
        precision=np.dtype(b2.prefs.core.default_float_dtype).name,
        import_rss_mb=import_rss, binary_peak_rss_mb=binary_rss, **(extra() if extra else {}),
        detail=dict(
            compile_kind="code generation + C++ compilation (make)",
            python_build_s=py_build_s, cpp_setup_s=setup_s, codegen_s=codegen_make_s - make_s,
            make_s=make_s, loop_wall_s=loop_wall, loop_brian2_reported_s=own_loop,
            write_results_s=write_s, binary_wall_s=binary_s,
            compiler_flags=" ".join(b2.prefs.codegen.cpp.extra_compile_args_gcc),
            project_dir=workdir,
        ))


# ----------------------------------------------------------------- NEST
def run_nest(neurons: int, duration_ms: float, seed: int, connect=None, threads: int = 1) -> dict:
    """Build and run CUBA in NEST (``iaf_psc_exp``, ``threads`` threads, float64: NEST has no
    other precision); loop = Prepare + Run + Cleanup.

    ``connect(nest, pop, n_exc, conn, scale)``, if given, makes every
    connection instead of the static ones here and returns ``extra``;
    ``extra()`` returns more result fields, taken after the run.
    """
    os.environ.setdefault("PYNEST_QUIET", "1")
    t0 = time.perf_counter()
    import nest
    import numpy as np
    import_s = time.perf_counter() - t0
    import_rss = _peak_rss_mb()

    n_exc, n_inh, p = sizes(neurons)
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT_MS, "local_num_threads": int(threads), "rng_seed": seed + 1,
                          "print_time": False})
    t0 = time.perf_counter()
    params = dict(C_m=CM_PF_NEST, tau_m=TAU_M, tau_syn_ex=TAU_E, tau_syn_in=TAU_I, t_ref=T_REF,
                  E_L=E_L, V_reset=V_R, V_th=V_T, I_e=0.0)
    pop = nest.Create("iaf_psc_exp", neurons, params=params)
    pop.V_m = nest.random.uniform(min=V_R, max=V_T)
    scale = CM_PF_NEST / TAU_M  # mV -> pA: the same PSP as Brian2's jump of we mV
    conn = {"rule": "pairwise_bernoulli", "p": p}
    extra = None
    if connect is None:
        nest.Connect(pop[:n_exc], pop, conn,
                     {"synapse_model": "static_synapse", "weight": WE_MV * scale, "delay": DELAY})
    else:
        extra = connect(nest, pop, n_exc, conn, scale)
    if n_inh:
        nest.Connect(pop[n_exc:], pop, conn,
                     {"synapse_model": "static_synapse", "weight": WI_MV * scale, "delay": DELAY})
    synapses = int(nest.GetKernelStatus("num_connections"))
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    build_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    nest.Prepare()
    t1 = time.perf_counter()
    nest.Run(duration_ms)
    t2 = time.perf_counter()
    nest.Cleanup()
    loop_s = time.perf_counter() - t0
    ev = rec.get("events")
    senders = np.asarray(ev["senders"])
    spikes = int(senders.shape[0])
    spikes_exc = int(np.count_nonzero(senders - pop[0].global_id < n_exc))
    return _result(
        "nest", neurons, duration_ms, synapses=synapses, spikes=spikes, spikes_exc=spikes_exc,
        spikes_loop=spikes, simulated_ms=duration_ms, loop_s=loop_s, import_s=import_s,
        build_s=build_s, compile_s=None, version=nest.__version__,
        threads=int(nest.GetKernelStatus("local_num_threads")), precision="float64",
        import_rss_mb=import_rss, **(extra() if extra else {}),
        detail=dict(compile_kind="none (precompiled C++)", prepare_s=t1 - t0, run_s=t2 - t1,
                    cleanup_s=loop_s - (t2 - t0), weights_pA=[WE_MV * scale, WI_MV * scale],
                    C_m_pF=CM_PF_NEST, rng_seed=seed + 1))


# ----------------------------------------------------------------- the child process
_MODULES = {"spikesim": ("spikesim", "numba"), "brian2": ("brian2",), "nest": ("nest",)}
RUNNERS = {  # simulator -> run(config)
    "spikesim": lambda c: run_spikesim(c["neurons"], c["duration_ms"], c["seed"], c["threads"],
                                       precision=c.get("precision")),
    "brian2": lambda c: run_brian2(c["neurons"], c["duration_ms"], c["seed"], c["workdir"],
                                   threads=c.get("reference_threads", 1),
                                   precision=c.get("precision")),
    "nest": lambda c: run_nest(c["neurons"], c["duration_ms"], c["seed"],
                               threads=c.get("reference_threads", 1)),
}


def child_main(argv: list[str], runners: dict | None = None) -> int:
    """Entry point of a child: ``argv = [simulator, config JSON, result path]``.

    ``runners`` maps simulator names to ``run(config) -> result`` (default
    :data:`RUNNERS`; :mod:`spikesim.bench.stdp` passes its own).

    Writes one JSON object to the result path. A missing simulator gives
    ``status = "not installed"``; any other exception gives ``status =
    "error"`` with the traceback. Peak memory is the child's own high-water
    mark (and, for Brian2, the larger of it and the compiled binary's,
    measured inside the binary).
    """
    sim, cfg, out_path = argv[0], json.loads(argv[1]), argv[2]
    t_start = time.perf_counter()
    try:
        run = (RUNNERS if runners is None else runners).get(sim)
        if run is None:
            res = dict(simulator=sim, status="unknown", error=f"unknown simulator {sim!r}")
        else:
            res = run(cfg)
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        if missing is None or missing.split(".")[0] in _MODULES.get(sim, ()):
            res = dict(simulator=sim, status="not installed",
                       error=f"{sim} not installed ({type(exc).__name__}: {exc})")
        else:  # the simulator is there but one of its own imports is broken
            res = dict(simulator=sim, status="error", error=f"{type(exc).__name__}: {exc}",
                       traceback=traceback.format_exc())
    except Exception as exc:  # noqa: BLE001 -- reported to the parent, never swallowed silently
        res = dict(simulator=sim, status="error", error=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc())
    peak = _peak_rss_mb()
    res["child_peak_rss_mb"] = peak
    res["peak_rss_mb"] = max(peak, res.get("binary_peak_rss_mb") or 0.0)
    res["child_wall_s"] = time.perf_counter() - t_start
    with open(out_path, "w") as f:
        json.dump(res, f, default=str)
    return 0
