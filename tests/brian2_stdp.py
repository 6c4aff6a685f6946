"""Brian2 reference harness for STDP weight trajectories (helper module, not a test file).

:func:`brian2_stdp_trajectory` drives one Brian2 ``Synapses`` object between
two ``SpikeGeneratorGroup`` s (fixed pre- and postsynaptic spike trains) and
records the weight of every synapse, so that spikesim's plasticity can be
compared with an independent simulator. Runtime target ``numpy`` (no
compiler), float64, a fresh scope and ``Network`` per call.

Time conventions (all pinned down by ``tests/test_brian2_stdp_harness.py``)
--------------------------------------------------------------------------
Everything is in Brian2's clock: step ``n`` is the step whose clock time is
``t = n dt`` (it "starts" at ``n dt``). No spikesim shift is applied here.

* A presynaptic spike time ``T`` (a multiple of ``dt``) is emitted by the
  ``SpikeGeneratorGroup`` in step ``n = T/dt``; the synapse's ``on_pre`` runs
  in step ``n + d/dt`` (``d`` = that synapse's delay), with ``t = T + d``.
  Delay 0 means the same step.
* A postsynaptic spike time ``T`` runs ``on_post`` in step ``T/dt`` (no delay
  on the post pathway), with ``t = T``.
* Within one step the pre pathway runs before the post pathway (Brian2 gives
  ``Synapses`` pathways ``order=-1`` for ``pre`` and ``+1`` for ``post``, both
  in the ``synapses`` slot, after the generators' ``thresholds`` slot).
* ``on_pre``: decay every trace exactly to ``t`` (``x *= exp(-(t - tlast)/tau)``,
  one ``tlast`` per synapse), apply the depression-signed change with the
  post trace (which does not yet contain a post spike of the same step),
  clip, then update the pre trace(s).
* ``on_post``: decay, apply the potentiation-signed change with the pre trace
  (which already contains pre arrivals of the same step), clip, then update
  the post trace(s). So ``post time - arrival time = 0`` potentiates.
* The ``StateMonitor`` (``when='end'``, ``dt = sample_every * dt``) records at
  steps ``0, k, 2k, ...`` (``k = sample_every``); sample ``m`` is stamped
  ``times_ms[m] = m k dt`` and holds the weights *after* every event of step
  ``m k``. The run has ``duration/dt`` steps (``0 .. duration/dt - 1``), so
  an event in a step after the last recorded one is not seen, and spikes at
  or after ``duration`` (or arriving then) never act.
* Traces are per synapse: the pre trace of a synapse counts *arrivals* at
  that synapse (presynaptic spikes shifted by its delay).

Rule dictionary
---------------
Common keys: ``kind`` ("pair" | "triplet"), ``w_min``, ``w_max`` (required);
``interaction`` ("all_to_all": trace += 1 per spike, default; "nearest":
trace = 1), ``weight_dependence`` ("additive", default | "multiplicative"),
``scale`` (amplitude multiplier of the additive rule, default 1), ``window``
("hebbian", default | "anti_hebbian" | "symmetric").

* pair: ``tau_plus, tau_minus`` (ms), ``A_plus, A_minus`` (>= 0). Pre trace
  ``x_pre`` (tau_plus), post trace ``x_post`` (tau_minus). Post event amount
  ``A_plus x_pre``, pre event amount ``A_minus x_post``.
* triplet (Pfister & Gerstner 2006): ``tau_plus, tau_minus, tau_x, tau_y``
  (ms), ``A2_plus, A3_plus, A2_minus, A3_minus`` (>= 0). Pre traces ``r1``
  (tau_plus), ``r2`` (tau_x); post traces ``o1`` (tau_minus), ``o2`` (tau_y).
  Pre event amount ``o1 (A2_minus + A3_minus r2)`` with ``r2`` before its own
  update; post event amount ``r1 (A2_plus + A3_plus o2)`` with ``o2`` before
  its own update.

Signs: hebbian -- post event potentiates (``a = +amount``), pre event
depresses (``a = -amount``); anti_hebbian -- both flipped; symmetric -- both
potentiate. Weight dependence, applied per event, then ``w = clip(w, w_min,
w_max)``: additive ``w += a scale``; multiplicative ``w += a (w_max - w)`` if
``a >= 0`` else ``w += a (w - w_min)`` (``scale`` unused).
"""
from __future__ import annotations

import numbers

import numpy as np

_COMMON = {"kind", "w_min", "w_max", "interaction", "weight_dependence", "scale", "window"}
_PARAMS = {
    "pair": {"taus": ("tau_plus", "tau_minus"), "amps": ("A_plus", "A_minus")},
    "triplet": {"taus": ("tau_plus", "tau_minus", "tau_x", "tau_y"),
                "amps": ("A2_plus", "A3_plus", "A2_minus", "A3_minus")},
}
# sign of the change at (pre event, post event)
_WINDOWS = {"hebbian": (-1, +1), "anti_hebbian": (+1, -1), "symmetric": (+1, +1)}
_GRID_TOL = 1e-6  # in steps


def _brian2():
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.prefs.core.default_float_dtype = np.float64
    b2.BrianLogger.log_level_error()
    return b2


def _real(name: str, value, *, positive=False, non_negative=False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if non_negative and v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return v


def _on_grid(name: str, ms: np.ndarray, dt: float) -> np.ndarray:
    """Times in ms -> whole steps of dt; refuse values off the grid."""
    ms = np.asarray(ms, np.float64)
    if not np.isfinite(ms).all():
        raise ValueError(f"{name} must be finite")
    s = ms / dt
    k = np.rint(s)
    off = np.abs(s - k) > _GRID_TOL * np.maximum(1.0, np.abs(s))
    if off.any():
        bad = float(ms[off][0])
        raise ValueError(f"{name} must be multiples of dt={dt!r} ms, got {bad!r} ms")
    return k.astype(np.int64)


def _trains(name: str, trains, dt: float) -> tuple[np.ndarray, np.ndarray, int]:
    if isinstance(trains, np.ndarray) and trains.ndim != 1 and trains.dtype != object:
        raise ValueError(f"{name} must be a list with one 1-D array of times per neuron")
    idx, steps = [], []
    for n, tr in enumerate(trains):
        a = np.atleast_1d(np.asarray(tr, np.float64))
        if a.ndim != 1:
            raise ValueError(f"{name}[{n}] must be a 1-D array of spike times (ms)")
        k = _on_grid(f"{name}[{n}]", a, dt)
        if (k < 0).any():
            raise ValueError(f"{name}[{n}] must be >= 0 ms, got {float(a[k < 0][0])!r}")
        k = np.sort(k)
        if (np.diff(k) == 0).any():
            raise ValueError(f"{name}[{n}] has two spikes in one step of dt={dt} ms")
        idx.append(np.full(k.shape[0], n, np.int64))
        steps.append(k)
    n = len(idx)
    if n == 0:
        raise ValueError(f"{name} must list at least one neuron")
    return np.concatenate(idx), np.concatenate(steps), n


def _rule(rule) -> dict:
    if not isinstance(rule, dict):
        raise TypeError(f"rule must be a dict, got {rule!r}")
    kind = rule.get("kind")
    if kind not in _PARAMS:
        raise ValueError(f"rule['kind'] must be 'pair' or 'triplet', got {kind!r}")
    spec = _PARAMS[kind]
    allowed = _COMMON | set(spec["taus"]) | set(spec["amps"])
    unknown = set(rule) - allowed
    if unknown:
        raise ValueError(f"unknown {kind} rule keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    r = {"kind": kind}
    for key in spec["taus"] + spec["amps"] + ("w_min", "w_max"):
        if key not in rule:
            raise ValueError(f"{kind} rule needs rule[{key!r}]")
    for key in spec["taus"]:
        r[key] = _real(f"rule[{key!r}]", rule[key], positive=True)
    for key in spec["amps"]:
        r[key] = _real(f"rule[{key!r}]", rule[key], non_negative=True)
    r["w_min"] = _real("rule['w_min']", rule["w_min"])
    r["w_max"] = _real("rule['w_max']", rule["w_max"])
    if r["w_min"] > r["w_max"]:
        raise ValueError(f"rule needs w_min <= w_max, got {r['w_min']!r} > {r['w_max']!r}")
    r["scale"] = _real("rule['scale']", rule.get("scale", 1.0))
    for key, choices, default in (("interaction", ("all_to_all", "nearest"), "all_to_all"),
                                  ("weight_dependence", ("additive", "multiplicative"), "additive"),
                                  ("window", tuple(_WINDOWS), "hebbian")):
        val = rule.get(key, default)
        if val not in choices:
            raise ValueError(f"rule[{key!r}] must be one of {choices}, got {val!r}")
        r[key] = val
    return r


def _change(amount: str, sign: int, r: dict) -> str:
    """Brian2 statement applying a change of sign ``sign`` and size ``amount`` (>= 0) to w."""
    if r["weight_dependence"] == "additive":
        op = "+" if sign > 0 else "-"
        new = f"w {op} ({amount}) * scale"
    elif sign > 0:
        new = f"w + ({amount}) * (w_max - w)"
    else:
        new = f"w - ({amount}) * (w - w_min)"
    return f"w = clip({new}, w_min, w_max)"


def _code(r: dict) -> tuple[str, str, str]:
    """(model, on_pre, on_post) for the rule."""
    if r["kind"] == "pair":
        traces = {"xpre": "tau_plus", "xpost": "tau_minus"}
        pre_amount, post_amount = "A_minus * xpost", "A_plus * xpre"
        pre_traces, post_traces = ("xpre",), ("xpost",)
    else:
        traces = {"r1": "tau_plus", "r2": "tau_x", "o1": "tau_minus", "o2": "tau_y"}
        pre_amount = "o1 * (A2_minus + A3_minus * r2)"
        post_amount = "r1 * (A2_plus + A3_plus * o2)"
        pre_traces, post_traces = ("r1", "r2"), ("o1", "o2")
    model = "w : 1\ntlast : second\n" + "".join(f"{x} : 1\n" for x in traces)
    decay = "".join(f"{x} = {x} * exp(-(t - tlast) / {tau})\n" for x, tau in traces.items())
    decay += "tlast = t\n"
    bump = "= 1" if r["interaction"] == "nearest" else "= {x} + 1"
    s_pre, s_post = _WINDOWS[r["window"]]
    on_pre = (decay + _change(pre_amount, s_pre, r) + "\n"
              + "".join(f"{x} {bump.format(x=x)}\n" for x in pre_traces))
    on_post = (decay + _change(post_amount, s_post, r) + "\n"
               + "".join(f"{x} {bump.format(x=x)}\n" for x in post_traces))
    return model, on_pre, on_post


def brian2_stdp_trajectory(pre_times, post_times, syn_pre, syn_post, delays_ms, w0, rule, dt,
                           duration, sample_every=1):
    """Weights of STDP synapses driven by fixed spike trains, simulated in Brian2.

    Parameters
    ----------
    pre_times : list of 1-D arrays
        One array of spike times (ms) per presynaptic neuron; times must be
        multiples of ``dt`` (refused otherwise), >= 0, at most one per step.
        Brian2 emits a spike at time ``T`` in the step that starts at ``T``.
    post_times : list of 1-D arrays
        Likewise for the postsynaptic neurons.
    syn_pre, syn_post : int arrays, shape (n_syn,)
        Presynaptic and postsynaptic neuron of every synapse (several
        synapses per pair allowed). Synapse order is kept in the output.
    delays_ms : float or array, shape (n_syn,)
        Delay of the *pre* pathway (ms, >= 0, multiple of ``dt``): a
        presynaptic spike at ``T`` reaches the synapse at ``T + delay``;
        postsynaptic spikes reach it at once.
    w0 : float or array, shape (n_syn,)
        Initial weights (not clipped until the synapse's first event).
    rule : dict
        The plasticity rule; keys and semantics in the module docstring.
    dt : float
        Time step (ms).
    duration : float
        Simulated time (ms, a multiple of ``dt``): steps ``0 .. duration/dt - 1``.
    sample_every : int
        Record every ``sample_every``-th step, starting with step 0.

    Returns
    -------
    times_ms : float64 array, shape (n_samples,)
        ``m * sample_every * dt``: the clock time of the recorded step.
    W : float64 array, shape (n_samples, n_syn)
        Weights at the end of the recorded step (``StateMonitor(when='end')``),
        i.e. after every pre and post event of that step.
    """
    dt = _real("dt", dt, positive=True)
    duration = _real("duration", duration, positive=True)
    n_steps = int(_on_grid("duration", np.array([duration]), dt)[0])
    if isinstance(sample_every, (bool, np.bool_)) or not isinstance(sample_every, numbers.Integral) \
            or sample_every < 1:
        raise ValueError(f"sample_every must be an integer >= 1, got {sample_every!r}")
    r = _rule(rule)
    pre_idx, pre_steps, n_pre = _trains("pre_times", pre_times, dt)
    post_idx, post_steps, n_post = _trains("post_times", post_times, dt)

    syn_pre = np.asarray(syn_pre)
    syn_post = np.asarray(syn_post)
    for name, a, n in (("syn_pre", syn_pre, n_pre), ("syn_post", syn_post, n_post)):
        if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
            raise ValueError(f"{name} must be a 1-D integer array")
        if a.size and (a.min() < 0 or a.max() >= n):
            raise ValueError(f"{name} must index the {n} neurons of "
                             f"{'pre' if name == 'syn_pre' else 'post'}_times, got {a.min()}..{a.max()}")
    n_syn = syn_pre.shape[0]
    if n_syn == 0 or syn_post.shape[0] != n_syn:
        raise ValueError(f"syn_pre and syn_post must have the same length >= 1, got "
                         f"{syn_pre.shape[0]} and {syn_post.shape[0]}")
    delays = np.broadcast_to(np.asarray(delays_ms, np.float64), (n_syn,))
    d_steps = _on_grid("delays_ms", delays, dt)
    if (d_steps < 0).any():
        raise ValueError(f"delays_ms must be >= 0, got {float(delays[d_steps < 0][0])!r}")
    w_init = np.broadcast_to(np.asarray(w0, np.float64), (n_syn,)).copy()
    if not np.isfinite(w_init).all():
        raise ValueError("w0 must be finite")

    b2 = _brian2()
    b2.start_scope()
    b2.defaultclock.dt = dt * b2.ms
    ms = b2.ms
    g_pre = b2.SpikeGeneratorGroup(n_pre, pre_idx, pre_steps * dt * ms, name="stdp_pre")
    g_post = b2.SpikeGeneratorGroup(n_post, post_idx, post_steps * dt * ms, name="stdp_post")
    model, on_pre, on_post = _code(r)
    ns = {k: (v * ms if k.startswith("tau") else v) for k, v in r.items()
          if k not in ("kind", "interaction", "weight_dependence", "window")}
    syn = b2.Synapses(g_pre, g_post, model=model, on_pre=on_pre, on_post=on_post,
                      namespace=ns, name="stdp_syn")
    syn.connect(i=syn_pre, j=syn_post)
    if not (np.array_equal(syn.i[:], syn_pre) and np.array_equal(syn.j[:], syn_post)):
        raise RuntimeError("Brian2 reordered the synapses; the harness relies on creation order")
    syn.pre.delay = d_steps * dt * ms
    syn.w = w_init
    mon = b2.StateMonitor(syn, "w", record=True, when="end", dt=sample_every * dt * ms,
                          name="stdp_w")
    net = b2.Network(g_pre, g_post, syn, mon)
    net.run(n_steps * dt * ms, namespace={})
    W = np.asarray(mon.w, np.float64).T.copy()
    # exact stamps m * sample_every * dt (Brian2's own t carries rounding noise)
    times_ms = np.arange(W.shape[0]) * (sample_every * dt)
    if not np.allclose(times_ms, np.asarray(mon.t / ms), rtol=0, atol=1e-6 * dt):
        raise RuntimeError("StateMonitor times are not m * sample_every * dt")
    return times_ms, W
