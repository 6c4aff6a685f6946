"""Runs the CUBA benchmarks (static, or with STDP) in one child process per simulator and compares them.

Each simulator runs in its own ``sys.executable -c`` child, one after the
other (never at the same time: they would compete for the cores). So peak
memory is per simulator, a crash (even a segfault) in one leaves the others
standing, and a simulator that is not installed is reported, not raised.
"""
from __future__ import annotations

import datetime
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time

from ..threads import environment_for_others
from . import cuba, stdp

REFERENCE_SIMULATORS = ("brian2", "nest")
BENCHMARKS = {"cuba": cuba, "stdp": stdp}  # benchmark -> the module its children run

# The child loads cuba.py (stdp.py) by file path, so the Brian2 and NEST children never
# import spikesim (and Numba): their peak memory is theirs alone.
_CHILD = ("import importlib.util as u, os, sys; "
          "s = u.spec_from_file_location('_spikesim_bench_' + os.path.basename(sys.argv[1])[:-3], "
          "sys.argv[1]); m = u.module_from_spec(s); sys.modules[s.name] = m; "
          "s.loader.exec_module(m); sys.exit(m.child_main(sys.argv[2:]))")

# figures given as a ratio to spikesim's in every reference result (``vs_spikesim``)
RATIO_KEYS = ("build_s", "compile_s", "loop_s", "events_per_s", "peak_rss_mb", "rate_hz",
              "spikes")
STDP_RATIO_KEYS = RATIO_KEYS + ("plastic_weight_mean",)


def run_cuba_bench(neurons: int, duration_ms: float, against: list[str], json_path: str | None,
                   seed: int = 1, threads="auto", *, fresh_numba_cache: bool = False,
                   timeout_s: float | None = None, verbose: bool = True,
                   precision: str | None = None, repeat: int = 1) -> dict:
    """Run CUBA in spikesim and in each simulator of ``against``, print a table, optionally write JSON.

    The network (Vogels & Abbott 2005, as in Brian2's CUBA example) has
    ``neurons`` LIF neurons, 80 % excitatory, connected with probability
    ``p = 80 / neurons`` (80 synapses per neuron at every size); see
    :mod:`spikesim.bench.cuba` for every parameter and how it maps to each
    simulator. Simulators run one after the other, each in its own child
    process.

    Parameters
    ----------
    neurons : int
        Network size (>= 2).
    duration_ms : float
        Biological time of the timed loop (ms), a positive multiple of 0.1.
    against : list of str
        Reference simulators: ``"brian2"`` (cpp_standalone) and/or
        ``"nest"``. A comma-separated string is accepted too. Names that are
        unknown or simulators that are not installed are reported in the
        table and the result (``status``), never raised.
    json_path : str or None
        Write the returned dict there as JSON (``NaN`` written as ``null``).
    seed : int
        Seed for connectivity and initial values (each simulator draws its
        own network from it; NEST gets ``seed + 1`` since it needs >= 1).
    threads : int or "auto"
        A number: the threads of every simulator (spikesim's ``threads``, Brian2's
        ``prefs.devices.cpp_standalone.openmp_threads``, NEST's ``local_num_threads``),
        so that ratios are at equal threads. "auto": spikesim chooses, Brian2 and NEST
        run one thread (not an equal-thread comparison).
    precision : "float32", "float64" or None
        Floating-point precision of spikesim and Brian2 (``prefs.core.default_float_dtype``);
        NEST computes in float64 whatever is asked. None: spikesim float32, Brian2 float64.
        Every result states its ``threads`` and ``precision``.
    repeat : int
        Rounds (>= 1): every simulator runs once per round, in the same order, so each
        round is a side-by-side measurement. Each simulator's result is its round with the
        median loop time (the lower of the two middle ones for an even number), and the
        loops of all rounds are kept (``loop_s_rounds``, and per reference simulator the
        loop ratio of every round, ``loop_ratio_rounds``): on a shared machine one run
        varies by 15-30 %.
    fresh_numba_cache : bool
        Point ``NUMBA_CACHE_DIR`` of the spikesim child at an empty temporary
        folder, so ``compile_s`` is the first-call JIT cost with an empty
        cache. By default Numba's on-disk cache is used as it is, and
        ``jit_cache`` tells whether it was warm.
    timeout_s : float, optional
        Kill a child that runs longer (its result is then ``status="timeout"``).
    verbose : bool
        Print progress lines (stderr) and the table (stdout).

    Returns
    -------
    dict
        ``benchmark``
            ``"cuba"``.
        ``config``
            ``neurons, n_exc, n_inh, p_connect, synapses_per_neuron,
            duration_ms, dt_ms, seed, threads, fresh_numba_cache``.
        ``machine``
            ``python, platform, processor, cpu_count, date``.
        ``results``
            One dict per simulator, keyed ``"spikesim"``, then the names of
            ``against`` in order. Every entry has ``simulator`` and
            ``status`` (``"ok"``, ``"not installed"``, ``"unknown"``,
            ``"error"``, ``"crashed"`` or ``"timeout"``) and, unless ok,
            ``error`` (a one-line message; ``traceback`` / ``stderr_tail``
            where there is one). An ok entry has:

            - ``version``, ``threads``, ``precision`` (float32/float64)
            - ``neurons, n_exc, n_inh, p_connect``; ``synapses`` (as drawn
              by that simulator), ``mean_out_degree`` (synapses / neurons)
            - ``import_s``: importing the simulator
            - ``build_s``: creating neurons and synapses (Brian2: Python
              objects + synapse creation inside the binary; NEST: Create +
              Connect; spikesim: ``add_population``/``connect``/``record``)
            - ``compile_s``: spikesim: first ``run(0.1 ms)`` (JIT or cache
              load, plus assembling the kernel arrays); Brian2: code
              generation + ``make``; NEST: ``None``
            - ``loop_s``: wall time of simulating ``duration_ms``
              (spikesim ``run(duration_ms)`` after the 0.1 ms warm-up;
              Brian2 the network loop inside the binary, wall clock; NEST
              Prepare + Run + Cleanup, i.e. ``Simulate``)
            - ``simulated_ms``: total biological time (spikesim: duration + 0.1)
            - ``spikes`` (over ``simulated_ms``), ``rate_hz``,
              ``rate_exc_hz``, ``rate_inh_hz``
            - ``events_per_s``: spikes in the loop x ``mean_out_degree`` / ``loop_s``
            - ``peak_rss_mb``: peak resident memory (MiB) of the child
              (Brian2: the larger of the Python child and the compiled
              binary); ``child_peak_rss_mb``, ``import_rss_mb`` (after
              import only), Brian2 ``binary_peak_rss_mb``
            - ``child_wall_s``: the child's whole run
            - spikesim only: ``connectivity_bytes``, ``bytes_per_synapse``,
              ``jit_cache`` (``"warm"``: every kernel loaded from Numba's
              disk cache; ``"cold"``: all compiled; ``"partial"``)
            - ``detail``: simulator-specific break-downs (e.g. Brian2's
              ``make_s``, ``cpp_setup_s``, ``loop_brian2_reported_s``;
              NEST's ``prepare_s``; spikesim's Numba cache hits/misses)
            - ``vs_spikesim`` (reference simulators only): ``{key: figure /
              spikesim's figure}`` for ``build_s, compile_s, loop_s,
              events_per_s, peak_rss_mb, rate_hz, spikes``; ``None`` where
              either figure is missing. ``loop_s`` 3.0 means spikesim's
              loop was 3x faster.
            - ``round`` (which round this result is, from 0), ``loop_s_rounds`` (the loop
              of every round, None where it failed); reference simulators also
              ``loop_ratio_rounds`` (their loop / spikesim's, round by round) and
              ``loop_ratio_median``
        ``table``
            The printed table, as text.
    """
    return _run_bench("cuba", neurons, duration_ms, against, json_path, seed, threads,
                      fresh_numba_cache, timeout_s, verbose, precision, repeat)


def run_stdp_bench(neurons: int, duration_ms: float, against: list[str], json_path: str | None,
                   seed: int = 1, threads="auto", *, fresh_numba_cache: bool = False,
                   timeout_s: float | None = None, verbose: bool = True,
                   precision: str | None = None, repeat: int = 1) -> dict:
    """Run CUBA with STDP on its excitatory-to-excitatory synapses, as :func:`run_cuba_bench` does CUBA.

    The plastic synapses learn by additive pair STDP (``tau_plus =
    tau_minus = 20 ms``, ``A_plus = 0.01``, ``A_minus = 1.05 A_plus``, times
    ``w_max = 2 w_exc``; Brian2's STDP example with event-driven traces,
    NEST's ``stdp_synapse``); see :mod:`spikesim.bench.stdp`. Parameters and
    the result are those of :func:`run_cuba_bench` (``benchmark`` is
    ``"stdp"``; spikesim's plastic projection runs on one thread whatever
    ``threads`` says), plus:

    - ``config["stdp"]``: the rule's parameters
    - in every ok result: ``plastic_synapses``; the final E->E weights as
      ``plastic_weight_mean`` (mean / initial weight), ``plastic_weight_mean_mV``
      (as a jump of ``v``), ``plastic_weight_sd`` (/ initial weight),
      ``plastic_weight_at_zero`` and ``plastic_weight_at_max`` (fractions at
      the bounds); ``vs_spikesim`` also has ``plastic_weight_mean``
    - spikesim only: ``plastic_bytes_per_synapse`` (targets, weights and the
      post-ordered column indices of the plastic projection, per synapse)
      and ``static_bytes_per_synapse`` (the static projections' ``nbytes``
      per static synapse)
    """
    return _run_bench("stdp", neurons, duration_ms, against, json_path, seed, threads,
                      fresh_numba_cache, timeout_s, verbose, precision, repeat)


def _run_bench(benchmark, neurons, duration_ms, against, json_path, seed, threads,
               fresh_numba_cache, timeout_s, verbose, precision=None, repeat=1) -> dict:
    from .._validate import count, time_to_steps

    mod = BENCHMARKS[benchmark]

    neurons = count("neurons", neurons, 2)
    time_to_steps("duration_ms", duration_ms, cuba.DT_MS, minimum=1)
    duration_ms = float(duration_ms)
    if threads != "auto":
        threads = count("threads", threads, 1)
    repeat = count("repeat", repeat, 1)
    if precision not in (None, "float32", "float64"):
        raise ValueError(f"precision must be 'float32' or 'float64', got {precision!r}")
    if isinstance(against, str):
        against = against.split(",")
    names = []
    for name in against or []:
        name = str(name).strip().lower()
        if name and name != "spikesim" and name not in names:
            names.append(name)

    n_exc, n_inh, p = cuba.sizes(neurons)
    config = dict(benchmark=benchmark, neurons=neurons, n_exc=n_exc, n_inh=n_inh, p_connect=p,
                  synapses_per_neuron=cuba.SYNAPSES_PER_NEURON, duration_ms=duration_ms,
                  dt_ms=cuba.DT_MS, seed=int(seed), threads=threads,
                  reference_threads=1 if threads == "auto" else threads, precision=precision,
                  equal_threads=threads != "auto",
                  fresh_numba_cache=bool(fresh_numba_cache), repeat=repeat)
    if benchmark == "stdp":
        config["stdp"] = dict(stdp.RULE)
    results, rounds = {}, {}
    for sim in ["spikesim"] + names:
        if sim not in mod.SIMULATORS:
            known = ", ".join(REFERENCE_SIMULATORS)
            results[sim] = dict(simulator=sim, status="unknown",
                                error=f"unknown simulator {sim!r} (known: {known})")
            _say(verbose, f"{sim}: unknown simulator, skipped (known: {known})")
        else:
            rounds[sim] = []
    with tempfile.TemporaryDirectory(prefix="spikesim-bench-") as tmp:
        for k in range(repeat):
            for sim in rounds:
                of = f", round {k + 1} of {repeat}" if repeat > 1 else ""
                _say(verbose, f"running {sim} ({neurons} neurons, {duration_ms:g} ms{of}) ...")
                r = _run_child(sim, config, tmp, fresh_numba_cache, timeout_s)
                rounds[sim].append(r)
                _say(verbose, f"{sim}: " + (f"loop {r['loop_s']:.3f} s, {r['spikes']} spikes"
                                            if r["status"] == "ok" else r["error"]))
    for sim, runs in rounds.items():
        results[sim] = _median_round(runs)
    results = {sim: results[sim] for sim in ["spikesim"] + names}  # the order asked for
    base = results["spikesim"]
    keys = STDP_RATIO_KEYS if benchmark == "stdp" else RATIO_KEYS
    for sim in names:
        if results[sim].get("status") == "ok":
            results[sim]["vs_spikesim"] = {k: _ratio(results[sim].get(k), base.get(k))
                                           for k in keys}
            per = [_ratio(a, b) for a, b in zip(results[sim]["loop_s_rounds"],
                                                base.get("loop_s_rounds", []))]
            results[sim]["loop_ratio_rounds"] = per
            ok = sorted(x for x in per if _finite(x))
            results[sim]["loop_ratio_median"] = ok[(len(ok) - 1) // 2] if ok else None
    out = dict(benchmark=benchmark, config=config, machine=_machine(), results=results)
    out["table"] = format_table(out)
    if verbose:
        print(out["table"], flush=True)
    if json_path:
        _write_json(json_path, out)
        _say(verbose, f"wrote {json_path}")
    return out


def _median_round(runs: list[dict]) -> dict:
    """The run with the median loop time among the ok ones (the lower middle one for an even
    number), marked with its ``round`` and every round's loop (``loop_s_rounds``, None where
    a run failed); the first run when none is ok."""
    loops = [r["loop_s"] if r.get("status") == "ok" else None for r in runs]
    ok = sorted((x, k) for k, x in enumerate(loops) if x is not None)
    k = ok[(len(ok) - 1) // 2][1] if ok else 0
    return dict(runs[k], round=k, loop_s_rounds=loops)


def _say(verbose: bool, text: str) -> None:
    if verbose:
        print(f"spikesim bench: {text}", file=sys.stderr, flush=True)


def _run_child(sim: str, config: dict, tmp: str, fresh_numba_cache: bool,
               timeout_s: float | None, module: str | None = None) -> dict:
    """Run one simulator in a child process; always returns a result dict.

    ``module`` is the file whose ``child_main`` the child runs (default: the module of
    ``config["benchmark"]`` in :data:`BENCHMARKS`).
    """
    work = tempfile.mkdtemp(prefix=f"{sim}-", dir=tmp)
    out_path = os.path.join(work, "result.json")
    cfg = dict(config, workdir=os.path.join(work, "brian2_project"))
    # the other simulators run with OpenMP's defaults, not with the wait settings spikesim
    # made for its own threads at import (spikesim.threads)
    env = dict(os.environ) if sim == "spikesim" else environment_for_others(os.environ)
    if sim == "spikesim" and fresh_numba_cache:
        env["NUMBA_CACHE_DIR"] = os.path.join(work, "numba_cache")
    if sim == "nest":
        env.setdefault("PYNEST_QUIET", "1")
    if module is None:
        module = BENCHMARKS[config.get("benchmark", "cuba")].__file__
    cmd = [sys.executable, "-c", _CHILD, module, sim, json.dumps(cfg), out_path]
    t0 = time.perf_counter()
    # own process group, so a timeout or Ctrl-C also ends what the child started (make, main)
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        _, stderr = proc.communicate()
        return dict(simulator=sim, status="timeout", wall_s=time.perf_counter() - t0,
                    error=f"{sim} did not finish within {timeout_s:g} s (killed)",
                    stderr_tail=_tail(stderr))
    except BaseException:
        _kill_group(proc)
        raise
    wall = time.perf_counter() - t0
    res = None
    if os.path.exists(out_path):
        try:
            with open(out_path) as f:
                res = json.load(f)
        except (OSError, ValueError):
            res = None
    if res is None:
        code = proc.returncode
        how = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        return dict(simulator=sim, status="crashed", returncode=code, wall_s=wall,
                    error=f"{sim} child process {how} before reporting a result",
                    stderr_tail=_tail(stderr))
    res["wall_s"] = wall
    if res.get("status") != "ok" and stderr:
        res["stderr_tail"] = _tail(stderr)
    return res


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the child's process group (the child and everything it started)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        proc.kill()
    proc.wait()


def _tail(text, lines: int = 20) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join((text or "").splitlines()[-lines:])


def _ratio(a, b):
    if a is None or b is None or not _finite(a) or not _finite(b) or b == 0:
        return None
    return a / b


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _machine() -> dict:
    return dict(python=platform.python_version(), platform=platform.platform(),
                processor=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
                date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"))


def _clean(obj):
    """NaN and infinities -> None, so the JSON is strict."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _write_json(path: str, data: dict) -> None:
    path = os.fspath(path)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(_clean(data), f, indent=2, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)


# ----------------------------------------------------------------- the table
def _num(x, digits: int = 3) -> str:
    if x is None or not _finite(x):
        return "-"
    if isinstance(x, int) or (abs(x) >= 1e5 and float(x).is_integer()):
        return f"{int(x):,}"
    if abs(x) >= 1e6:
        return f"{x:.3g}".replace("e+0", "e").replace("e+", "e")
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def _fixed(x, digits: int = 4) -> str:
    return f"{x:.{digits}f}" if _finite(x) else "-"


def _rows(results: dict, benchmark: str = "cuba") -> list[tuple[str, dict]]:
    """(label, {simulator: cell text}) for every row of the table."""
    def cell(r, key, fmt=_num, ratio=True, digits=3):
        if r.get("status") != "ok":
            return ""
        text = fmt(r.get(key), digits)
        q = r.get("vs_spikesim", {}).get(key) if ratio else None
        return f"{text} ({_num(q, 2)}x)" if q is not None else text

    def jit(r):
        text = cell(r, "compile_s")
        if r.get("simulator") == "spikesim" and r.get("jit_cache"):
            text += f" [cache {r['jit_cache']}]"
        return text

    def rates(r):
        return (f"{_num(r.get('rate_hz'))} ({_num(r.get('rate_exc_hz'))} / "
                f"{_num(r.get('rate_inh_hz'))})") if r.get("status") == "ok" else ""

    def syn(r):
        return (f"{r['synapses']:,} ({r['mean_out_degree']:.1f}/neuron)"
                if r.get("status") == "ok" else "")

    specs = [
        ("status", lambda r: r.get("status", "")),
        ("version", lambda r: str(r.get("version", ""))),
        ("threads / precision", lambda r: f"{r.get('threads')} / {r.get('precision')}"
         if r.get("status") == "ok" else ""),
        ("synapses", syn),
        ("build [s]", lambda r: cell(r, "build_s")),
        ("compile / JIT [s]", jit),
        ("loop [s]", lambda r: cell(r, "loop_s")),
        ("spikes", lambda r: cell(r, "spikes", ratio=False)),
        ("rate [Hz] (exc / inh)", rates),
        ("synaptic events / s", lambda r: cell(r, "events_per_s")),
        ("peak memory [MiB]", lambda r: cell(r, "peak_rss_mb")),
        ("  of it after imports [MiB]", lambda r: cell(r, "import_rss_mb", ratio=False)),
        ("connectivity [B/synapse]", lambda r: cell(r, "bytes_per_synapse", ratio=False)),
    ]
    if benchmark == "stdp":
        specs[4:4] = [("plastic synapses (E->E)", lambda r: cell(r, "plastic_synapses"))]
        specs += [
            ("  plastic [B/synapse]", lambda r: cell(r, "plastic_bytes_per_synapse", ratio=False)),
            ("  static [B/synapse]", lambda r: cell(r, "static_bytes_per_synapse", ratio=False)),
            ("final E->E weight / initial", lambda r: cell(r, "plastic_weight_mean", fmt=_fixed,
                                                            ratio=False, digits=4)),
            ("  s.d. / at 0 / at w_max", lambda r: (
                f"{_num(r.get('plastic_weight_sd'))} / {_num(r.get('plastic_weight_at_zero'))}"
                f" / {_num(r.get('plastic_weight_at_max'))}") if r.get("status") == "ok" else ""),
        ]
    return [(label, {sim: fn(r) for sim, r in results.items()}) for label, fn in specs]


def format_table(out: dict) -> str:
    """The result of :func:`run_cuba_bench` or :func:`run_stdp_bench` as a text table."""
    c, results = out["config"], out["results"]
    sims = list(results)
    benchmark = out.get("benchmark", "cuba")
    rows = _rows(results, benchmark)
    w0 = max(len(label) for label, _ in rows)
    widths = {s: max([len(s)] + [len(cells[s]) for _, cells in rows]) for s in sims}
    line = lambda label, cells: "  ".join([label.ljust(w0)] + [cells[s].ljust(widths[s])
                                                                for s in sims]).rstrip()
    name = "CUBA + STDP (E->E) benchmark" if benchmark == "stdp" else "CUBA benchmark"
    head = (f"{name}: {c['neurons']:,} neurons ({c['n_exc']:,} exc, {c['n_inh']:,} inh), "
            f"p = {c['p_connect']:.4g} ({c['synapses_per_neuron']:g} synapses/neuron), "
            f"dt = {c['dt_ms']} ms, {c['duration_ms']:g} ms, seed {c['seed']}")
    if benchmark == "stdp":
        r = c["stdp"]
        head += (f"\nE->E synapses: {r['rule']}, tau+ = {r['tau_plus_ms']:g} ms, "
                 f"tau- = {r['tau_minus_ms']:g} ms, A+ = {r['A_plus']:g}, A- = {r['A_minus']:g} "
                 f"(x w_max = {r['w_max_over_w_exc']:g} w_exc)")
    text = [head, "", line("", {s: s for s in sims}),
            line("", {s: "-" * widths[s] for s in sims})]
    text += [line(label, cells) for label, cells in rows]
    text.append("")
    text.append("(Nx) = that simulator's figure / spikesim's. Times and memory: N > 1 means "
                "spikesim is faster / smaller; events/s: N < 1 means spikesim is faster.")
    if c.get("repeat", 1) > 1:
        text.append(f"{c['repeat']} rounds, each simulator once per round; every column is its "
                    "round with the median loop.")
        for sim, r in results.items():
            if r.get("loop_ratio_rounds"):
                per = ", ".join(f"{x:.2f}x" if _finite(x) else "-" for x in r["loop_ratio_rounds"])
                text.append(f"{sim} loop / spikesim's, round by round: {per} (median "
                            f"{_num(r['loop_ratio_median'])}x)")
    for sim, r in results.items():
        if r.get("status") != "ok":
            text.append(f"{sim}: {r.get('error', r.get('status'))}")
        elif r.get("binary_peak_rss_mb"):
            text.append(f"{sim}: the compiled simulation binary peaked at "
                        f"{_num(r['binary_peak_rss_mb'])} MiB, its Python process at "
                        f"{_num(r['child_peak_rss_mb'])} MiB.")
    ss_res = results.get("spikesim", {})
    built = ss_res.get("detail", {}).get("numba_cache_build", {}).get("misses", 0)
    if built:
        text.append(f"spikesim's build time includes compiling {built} connectivity kernel(s) "
                    "(not in Numba's cache).")
    if ss_res.get("jit_cache") == "warm":
        text.append("spikesim's JIT time is a load from Numba's on-disk cache; "
                    "fresh_numba_cache=True (--fresh-numba-cache) measures compiling from scratch.")
    return "\n".join(text)
