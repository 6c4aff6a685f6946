"""Standard cell types, named and parameterised as PyNN's standard cells.

Units (PyNN): ms, mV, nA, nF, uS, Hz. Every parameter may be a scalar, a
per-neuron array, or a :class:`~spikesim.random.RandomDistribution`.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import _validate as V
from .kernels import neurons as K
from .random import RandomDistribution


class CellType:
    """Base class: a neuron model with named parameters and defaults."""

    kind: int = K.KIND_SOURCE
    default_parameters: dict = {}
    recordables: tuple = ("spikes",)
    positive_parameters: tuple = ()
    non_negative_parameters: tuple = ()
    flag_parameters: tuple = ()

    def __init__(self, **parameters) -> None:
        unknown = set(parameters) - set(self.default_parameters)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}; "
                            f"valid: {sorted(self.default_parameters)}")
        self.parameters = {**self.default_parameters, **parameters}
        for name, value in self.parameters.items():
            if not isinstance(value, RandomDistribution):
                self._check(name, value, None)

    def _check(self, name: str, value, n: int | None) -> np.ndarray:
        label = f"{type(self).__name__}.{name}"
        if name in self.flag_parameters:
            a = np.asarray(value)
            if a.dtype == object or a.ndim > 1 or not np.isin(a, (0, 1)).all():
                raise ValueError(f"{label} must be 0 or 1 (False or True), got {value!r}")
            if n is not None and a.ndim and a.shape != (n,):
                raise ValueError(f"{label} has {a.shape[0]} values for {n} neurons")
            return (np.broadcast_to(a, (n,)) if n is not None and a.ndim else a).astype(np.float64)
        if name in self.positive_parameters:
            return V.positive(label, value, n)
        if name in self.non_negative_parameters:
            return V.non_negative(label, value, n)
        return V.finite_array(label, value, n)

    def resolve(self, n: int, rng: np.random.Generator) -> dict:
        """Per-population parameter values: float for homogeneous, array(n) otherwise."""
        out = {}
        for name, value in self.parameters.items():
            if isinstance(value, RandomDistribution):
                value = value.draw(rng, n)
            a = self._check(name, value, n)
            out[name] = float(a) if a.ndim == 0 else a.astype(np.float64)
        self._check_relations(out)
        return out

    def _check_relations(self, p: dict) -> None:
        pass

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items()
                         if not isinstance(v, np.ndarray))
        return f"{type(self).__name__}({args})"


class _LIF(CellType):
    positive_parameters = ("tau_m", "cm", "tau_syn_E", "tau_syn_I")
    non_negative_parameters = ("tau_refrac",)
    flag_parameters = ("integrate_refractory",)

    def _check_relations(self, p: dict) -> None:
        vr, vt = np.broadcast_arrays(np.atleast_1d(p["v_reset"]), np.atleast_1d(p["v_thresh"]))
        bad = np.flatnonzero(vr >= vt)
        if bad.size:
            vr, vt = float(vr[bad[0]]), float(vt[bad[0]])
            raise ValueError(f"{type(self).__name__}.v_reset must be below v_thresh, got "
                             f"v_reset={vr!r} mV, v_thresh={vt!r} mV")

    def columns(self, p: dict, dt: float, i_inj=0.0) -> np.ndarray:
        """Kernel parameter columns (see :mod:`spikesim.kernels.neurons`), float64.

        Returns shape ``(NPAR,)`` if every input is a scalar, else ``(NPAR, n)``.
        ``i_inj`` (nA) is injected current added to ``i_offset``.
        """
        raise NotImplementedError


def _p21(tau_m, tau_s, cm, h):
    """Exact propagator from synaptic current to membrane (NEST iaf_psc_exp).

    ``tau_s tau_m / (cm (tau_m - tau_s)) (e^{-h/tau_m} - e^{-h/tau_s})``.
    For ``|h (1/tau_s - 1/tau_m)| < 1`` it is written with ``expm1`` so that
    ``tau_s -> tau_m`` tends to ``h/cm e^{-h/tau_m}`` without cancellation.
    """
    a = 1.0 / tau_s - 1.0 / tau_m
    ha = h * a
    safe_a = np.where(a == 0, 1.0, a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        near = np.where(np.abs(ha) < 1e-12, h, -np.expm1(-ha) / safe_a) * np.exp(-h / tau_m) / cm
        far = (np.exp(-h / tau_m) - np.exp(-h / tau_s)) / (safe_a * cm)
    return np.where(np.abs(ha) < 1.0, near, far)


def _mean_decay(tau, h):
    """Mean of ``exp(-s/tau)`` over ``s`` in ``[0, h]``: ``tau/h (1 - exp(-h/tau))`` (-> 1 as h/tau -> 0)."""
    x = h / np.asarray(tau, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x < 1e-12, 1.0, -np.expm1(-x) / np.where(x == 0, 1.0, x))


MAX_REFRACTORY_STEPS = int(np.iinfo(np.int16).max)  # the refractory countdown is int16

_COLUMN_PARAMETERS = {
    1: ["tau_m", "cm", "tau_syn_E", "tau_syn_I", "tau_refrac", "v_rest", "i_offset", "v_thresh",
        "v_reset"],
    2: ["tau_m", "cm", "tau_syn_E", "tau_syn_I", "tau_refrac", "v_rest", "i_offset", "v_thresh",
        "v_reset", "e_rev_E", "e_rev_I"],
}


def check_columns(celltype, cols: np.ndarray, dtype) -> None:
    """Refuse parameters whose propagators are not finite in the network's dtype."""
    name = type(celltype).__name__
    if np.max(cols[K.NREF], initial=0) > MAX_REFRACTORY_STEPS:
        raise ValueError(f"{name}.tau_refrac is {float(np.max(cols[K.NREF]))!r} steps; at most "
                         f"{MAX_REFRACTORY_STEPS} steps are supported")
    with np.errstate(over="ignore", invalid="ignore"):
        stored = cols.astype(dtype)
    if not np.isfinite(stored).all():
        bad = sorted({int(k) for k in np.nonzero(~np.isfinite(stored))[0]})
        raise ValueError(f"{name}: parameters {_COLUMN_PARAMETERS.get(celltype.kind)} give "
                         f"non-finite update coefficients (columns {bad}) in {np.dtype(dtype)} "
                         "at this dt; check for extreme values")


class IF_curr_exp(_LIF):
    """Leaky integrate-and-fire neuron with exponentially decaying current synapses.

    PyNN ``IF_curr_exp`` / NEST ``iaf_psc_exp``:

    .. math::

        c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + I_e + I_i + i_{offset},
        \\qquad \\frac{dI_x}{dt} = -\\frac{I_x}{\\tau_{syn,x}}

    A spike adds its weight (nA; negative for inhibitory) to ``I_x``. When
    ``v >= v_thresh`` the neuron spikes, ``v`` is set to ``v_reset`` and held
    there for ``tau_refrac`` (rounded to whole steps). Integration is exact
    (Rotter & Diesmann 1999, Biol. Cybern. 81:381).

    Parameters (defaults as PyNN): ``tau_m`` 20 ms, ``cm`` 1 nF, ``v_rest``
    -65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV, ``tau_refrac`` 0.1 ms,
    ``tau_syn_E`` 5 ms, ``tau_syn_I`` 5 ms, ``i_offset`` 0 nA.
    ``integrate_refractory`` (0 or 1, default 0; not a PyNN parameter): 1
    keeps integrating ``v`` during ``tau_refrac`` instead of holding it; the
    neuron still cannot fire then (Brian2's LIF without ``(unless
    refractory)``; the neuron of Ivanov & Michmizos 2021, NALSM). Networks
    using it do not export to PyNN, NEST, NIR or SpiNNaker.
    """

    kind = K.KIND_CURR
    default_parameters = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                              tau_refrac=0.1, tau_syn_E=5.0, tau_syn_I=5.0, i_offset=0.0,
                              integrate_refractory=0.0)
    recordables = ("spikes", "v", "isyn_exc", "isyn_inh")

    def columns(self, p: dict, dt: float, i_inj=0.0) -> np.ndarray:
        tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
        p22 = np.exp(-dt / tau_m)
        p20 = -tau_m / cm * np.expm1(-dt / tau_m)
        cols = [p22,
                _p21(tau_m, np.asarray(p["tau_syn_E"]), cm, dt),
                _p21(tau_m, np.asarray(p["tau_syn_I"]), cm, dt),
                np.exp(-dt / np.asarray(p["tau_syn_E"])),
                np.exp(-dt / np.asarray(p["tau_syn_I"])),
                (1.0 - p22) * p["v_rest"] + p20 * (p["i_offset"] + i_inj),
                0.0, 0.0, 0.0,
                p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                p["integrate_refractory"]]
        return _stack(cols)


class IF_cond_exp(_LIF):
    """Leaky integrate-and-fire neuron with exponentially decaying conductances.

    PyNN ``IF_cond_exp`` / NEST ``iaf_cond_exp``:

    .. math::

        c_m \\frac{dv}{dt} = \\frac{c_m}{\\tau_m}(v_{rest} - v) + g_e (E_e - v)
            + g_i (E_i - v) + i_{offset}, \\qquad
        \\frac{dg_x}{dt} = -\\frac{g_x}{\\tau_{syn,x}}

    A spike adds its weight (uS, >= 0) to ``g_x``. The conductances decay
    exactly; ``v`` is integrated exponentially with the step-mean
    conductance (see :mod:`spikesim.kernels.neurons`).

    Parameters: those of :class:`IF_curr_exp` plus ``e_rev_E`` 0 mV and
    ``e_rev_I`` -70 mV.
    """

    kind = K.KIND_COND
    default_parameters = dict(IF_curr_exp.default_parameters, e_rev_E=0.0, e_rev_I=-70.0)
    recordables = ("spikes", "v", "gsyn_exc", "gsyn_inh")

    def columns(self, p: dict, dt: float, i_inj=0.0) -> np.ndarray:
        tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
        te, ti = np.asarray(p["tau_syn_E"]), np.asarray(p["tau_syn_I"])
        gl = cm / tau_m
        cols = [gl, dt / cm, _mean_decay(te, dt),
                np.exp(-dt / te), np.exp(-dt / ti),
                gl * p["v_rest"] + p["i_offset"] + i_inj,
                _mean_decay(ti, dt), p["e_rev_E"], p["e_rev_I"],
                p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                p["integrate_refractory"]]
        return _stack(cols)


def _stack(cols) -> np.ndarray:
    arrs = [np.asarray(c, dtype=np.float64) for c in cols]
    n = max((a.shape[0] for a in arrs if a.ndim == 1), default=None)
    if n is None:
        return np.array(arrs, dtype=np.float64)
    return np.stack([np.broadcast_to(a, (n,)) for a in arrs])


class SpikeSourceArray(CellType):
    """Neurons that fire at given times (PyNN ``SpikeSourceArray``).

    Parameters
    ----------
    spike_times : array or list of arrays, ms
        One array for all neurons, or one per neuron. Times are rounded to the
        nearest step; a spike at time ``T`` is emitted in the step that ends
        at ``T`` (as NEST's ``spike_generator``), so ``T >= dt`` is required,
        and two times of one neuron may not fall in the same step.
    """

    default_parameters = dict(spike_times=())

    def __init__(self, spike_times=()) -> None:
        self.parameters = {"spike_times": spike_times}
        self._per_neuron = _spike_time_lists(spike_times)

    def resolve(self, n: int, rng) -> dict:
        lists = self._per_neuron
        if len(lists) == 1 and n != 1:
            lists = lists * n
        if len(lists) != n:
            raise ValueError(f"SpikeSourceArray.spike_times has {len(lists)} lists, expected 1 or {n}")
        return {"spike_times": lists}

    def events(self, p: dict, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """Sorted ``(step, local index)`` arrays of all spikes."""
        steps, ids = [], []
        for i, t in enumerate(p["spike_times"]):
            if t.size and (t.min() < 0.5 * dt or t.max() / dt > 2.0 ** 62):
                bad = t.min() if t.min() < 0.5 * dt else t.max()
                raise ValueError(f"SpikeSourceArray.spike_times must be >= dt ({dt} ms) and below "
                                 f"2**62 steps, got {float(bad)!r} ms for neuron {i}")
            s = np.round(t / dt).astype(np.int64) - 1
            if s.size and s.min() < 0:
                raise ValueError(f"SpikeSourceArray.spike_times must be >= dt ({dt} ms), got "
                                 f"{float(t[s < 0][0])!r} ms for neuron {i}")
            same = np.flatnonzero(np.diff(s) == 0)
            if same.size:
                k = same[0]
                raise ValueError(f"SpikeSourceArray.spike_times of neuron {i} has {float(t[k])!r} and "
                                 f"{float(t[k + 1])!r} ms in the same {dt} ms step; a source neuron fires "
                                 "at most once per step")
            steps.append(s)
            ids.append(np.full(s.shape, i, np.int64))
        steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
        ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        order = np.lexsort((ids, steps))
        return steps[order], ids[order]


def _spike_time_lists(spike_times) -> list:
    if isinstance(spike_times, (str, bytes)):
        raise TypeError(f"spike_times must be an array of times in ms, got {spike_times!r}")
    try:
        a = np.asarray(spike_times, dtype=np.float64)
        lists = [a] if a.ndim <= 1 else None
    except (ValueError, TypeError):
        lists = None
    if lists is None:
        lists = [np.asarray(x, dtype=np.float64) for x in spike_times]
    out = []
    for i, t in enumerate(lists):
        t = np.atleast_1d(t)
        if t.ndim != 1:
            raise ValueError(f"spike_times[{i}] must be 1-D, got shape {t.shape}")
        if not np.isfinite(t).all():
            raise ValueError(f"spike_times[{i}] must be finite, got {t[~np.isfinite(t)][0]!r}")
        out.append(np.sort(t))
    return out


class SpikeSourcePoisson(CellType):
    """Independent Poisson spike trains (PyNN ``SpikeSourcePoisson``).

    In each step a neuron fires with probability ``rate * dt / 1000``.

    Parameters
    ----------
    rate : float or array, Hz
        Rate per neuron (before the first change in ``rate_changes``).
    start, duration : float, ms
        The source is silent before ``start`` and from ``start + duration``.
    rate_changes : (times, rates), optional
        Piecewise-constant schedule: from ``times[j]`` (ms) the rate becomes
        ``rates[j]`` (Hz; shape ``(k,)`` for all neurons or ``(k, n)`` per
        neuron).

    Spikes are drawn in blocks aligned to absolute time from the source's
    own generator (spawned from the network seed), so ``run(a); run(b)``
    draws exactly what ``run(a + b)`` draws.
    """

    default_parameters = dict(rate=1.0, start=0.0, duration=np.inf, rate_changes=None)

    def __init__(self, rate=1.0, start: float = 0.0, duration: float = np.inf,
                 rate_changes=None) -> None:
        self.parameters = dict(rate=rate, start=start, duration=duration, rate_changes=rate_changes)
        if not isinstance(rate, RandomDistribution):
            V.non_negative("SpikeSourcePoisson.rate", rate)
        V.non_negative("SpikeSourcePoisson.start", start)
        if isinstance(duration, (bool, np.bool_)) or not isinstance(duration, numbers.Real) or \
                not (duration >= 0 and not math.isnan(duration)):
            raise ValueError(f"SpikeSourcePoisson.duration must be >= 0 ms, got {duration!r}")
        if rate_changes is not None:
            try:
                times, rates = rate_changes
                times = np.asarray(times, dtype=np.float64)
                rates = np.asarray(rates, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError("SpikeSourcePoisson.rate_changes must be (times, rates): arrays of "
                                f"numbers, got {rate_changes!r}") from exc
            times = V.non_negative("SpikeSourcePoisson.rate_changes times", times)
            if times.ndim != 1 or rates.ndim not in (1, 2) or rates.shape[0] != times.shape[0]:
                raise ValueError(f"SpikeSourcePoisson.rate_changes needs times shape (k,) and rates "
                                 f"shape (k,) or (k, n); got {times.shape} and {rates.shape}")
            if not np.isfinite(rates).all() or (rates < 0).any():
                raise ValueError("SpikeSourcePoisson.rate_changes rates must be finite and >= 0 Hz, "
                                 f"got {rates[~(np.isfinite(rates) & (rates >= 0))][0]!r}")
            if (np.diff(times) < 0).any():
                raise ValueError("SpikeSourcePoisson.rate_changes times must be non-decreasing")
            self.parameters["rate_changes"] = (times, rates)

    def resolve(self, n: int, rng) -> dict:
        rate = self.parameters["rate"]
        if isinstance(rate, RandomDistribution):
            rate = rate.draw(rng, n)
        rate = V.non_negative("SpikeSourcePoisson.rate", rate, n)
        ch = self.parameters["rate_changes"]
        if ch is not None and ch[1].ndim == 2 and ch[1].shape[1] != n:
            raise ValueError(f"SpikeSourcePoisson.rate_changes rates have {ch[1].shape[1]} columns, "
                             f"expected {n}")
        return dict(rate=np.broadcast_to(rate, (n,)).astype(np.float64),
                    start=float(self.parameters["start"]),
                    duration=float(self.parameters["duration"]), rate_changes=ch)


def check_poisson_rate(p: dict, dt: float) -> None:
    """Refuse rates above one spike per step (``1000 / dt`` Hz)."""
    ch = p["rate_changes"]
    maxrate = max(float(np.max(p["rate"], initial=0.0)),
                  0.0 if ch is None else float(np.max(ch[1], initial=0.0)))
    if maxrate * dt * 1e-3 > 1.0:
        raise ValueError(f"SpikeSourcePoisson rate {maxrate!r} Hz exceeds one spike per step "
                         f"(1000/dt = {1000.0 / dt:g} Hz)")


def rate_at_steps(p: dict, steps: np.ndarray, dt: float) -> np.ndarray:
    """Rate (Hz) of every neuron at each step of ``steps``: shape (len(steps), n)."""
    t = steps * dt  # the step covers (t, t + dt]
    rate = np.broadcast_to(p["rate"], (steps.shape[0], p["rate"].shape[0])).copy()
    ch = p["rate_changes"]
    if ch is not None:
        times, rates = ch
        j = np.searchsorted(times, t + 0.5 * dt, side="right") - 1
        has = j >= 0
        r = rates[j[has]]
        rate[has] = r if r.ndim == 2 else r[:, None]
    stop = p["start"] + p["duration"]
    off = (t + 0.5 * dt < p["start"]) | (t + 0.5 * dt >= stop)
    rate[off] = 0.0
    return rate
