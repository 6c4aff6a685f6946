"""Spike sources as cell types, named and parameterised as PyNN's: arrays, Poisson, gamma
and dead-time Poisson processes (their events are drawn in :mod:`spikesim.sources`).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import _validate as V
from .celltype import CellType
from .random import RandomDistribution


class SpikeSourceArray(CellType):
    """Neurons that fire at given times (PyNN ``SpikeSourceArray``).

    Parameters
    ----------
    spike_times : array or list of arrays, ms
        One array for all neurons, or one per neuron. Times are rounded to the
        nearest step; a spike at time ``T`` is emitted in the step that ends
        at ``T`` (as NEST's ``spike_generator``), so ``T >= dt`` is required.
    same_step : {"refuse", "all"}
        Two times of one neuron in the same step: refused (default), or all
        emitted, each delivered to the targets as sPyNNaker's spike source
        array sends one packet per listed time. A source with such repeats
        cannot drive plastic synapses.
    """

    default_parameters = dict(spike_times=())

    def __init__(self, spike_times=(), same_step: str = "refuse") -> None:
        if same_step not in ("refuse", "all"):
            raise ValueError(f"SpikeSourceArray.same_step must be 'refuse' or 'all', got "
                             f"{same_step!r}")
        self.parameters = {"spike_times": spike_times}
        self.same_step = same_step
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
            if same.size and self.same_step == "refuse":
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

    In each step a neuron fires with probability ``p = rate * dt / 1000``; where ``p``
    exceeds 1 (rates above one spike per step, ``1000 / dt`` Hz) it emits a
    Poisson(``p``) number of spikes in the step instead, each delivered to every
    target (NEST's ``poisson_generator`` and sPyNNaker's ``SpikeSourcePoisson`` take
    such rates). Such a source cannot drive plastic synapses. For Poisson
    *background* input at high rates, :meth:`spikesim.Network.add_poisson_input`
    adds the per-step counts into the targets without any spike event.

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


class RenewalSource(CellType):
    """Base of the renewal-process spike sources (:class:`SpikeSourceGamma`,
    :class:`SpikeSourcePoissonRefractory`).

    Every neuron runs its own renewal process in continuous time, drawn from the
    population's generator in blocks aligned to absolute time (see
    :mod:`spikesim.sources`). A spike of the process at time ``t`` (ms) is emitted
    in the step ``k = floor(t / dt)`` and so stamped ``(k + 1) dt``, the end of that
    step (a delay below one step). A source neuron fires at most once per step: two
    or more spikes of the process in one step are emitted as one spike (the process
    itself is unchanged; the next interval counts from the later spike). Each
    process starts in its stationary state at ``max(start, now)`` -- the first
    spike comes after a forward-recurrence time, not after a whole interval, as
    NEST's ``*_sup_generator`` devices start -- and stops at ``start + duration``.
    ``set()`` and ``reset()`` restart every neuron's process in that way from the
    current step (so the interval spanning the change is not one of the process's).
    """

    non_negative_parameters = ("start",)
    _RATE = ""  # name of the parameter whose zero silences the source

    def __init__(self, **parameters) -> None:
        super().__init__(**parameters)
        fixed = {k: np.asarray(self._check(k, v, None)) for k, v in self.parameters.items()
                 if not isinstance(v, RandomDistribution)}
        if len(fixed) == len(self.parameters):
            self._check_relations(fixed)

    def _check(self, name: str, value, n: int | None) -> np.ndarray:
        label = f"{type(self).__name__}.{name}"
        if name == "duration":  # may be infinite
            if isinstance(value, (str, bytes)) or value is None:
                raise TypeError(f"{label} must be a number of ms, got {value!r}")
            a = np.asarray(value, dtype=np.float64)
            V.non_negative(label, np.where(a == np.inf, 0.0, a), n)
            return a
        return super()._check(name, value, n)

    def mean_rate(self, p: dict) -> np.ndarray:
        """Mean rate (Hz) of each neuron's process while it is on."""
        raise NotImplementedError

    def check_grid(self, p: dict, dt: float) -> None:
        """Refuse mean rates above one spike per step (``1000 / dt`` Hz)."""
        r = float(np.max(self.mean_rate(p), initial=0.0))
        if r * dt * 1e-3 > 1.0:
            raise ValueError(f"{type(self).__name__} mean rate {r!r} Hz exceeds one spike per step "
                             f"(1000/dt = {1000.0 / dt:g} Hz)")


class SpikeSourceGamma(RenewalSource):
    r"""Gamma-process spike trains (PyNN ``SpikeSourceGamma``; NEST ``gamma_sup_generator``).

    Inter-spike intervals are independent and gamma distributed with shape
    ``alpha`` and rate ``beta``:

    .. math:: p(\tau) = \frac{\beta^\alpha \tau^{\alpha - 1} e^{-\beta \tau}}{\Gamma(\alpha)},
              \qquad \langle \tau \rangle = \alpha / \beta, \qquad
              \mathrm{CV} = 1 / \sqrt{\alpha}

    so the mean rate is ``beta / alpha`` (PyNN's definition, "the mean inter-spike
    interval is given by alpha/beta"; pyNN.nest passes ``gamma_shape = alpha``,
    ``rate = beta / alpha`` to NEST). ``alpha = 1`` is a Poisson process.

    Parameters
    ----------
    alpha : float or array, dimensionless
        Shape (order) of the gamma distribution, ``>= 1``. Any real value here;
        NEST (and so the NEST backend and PyNN-script export) takes whole numbers.
    beta : float or array, Hz
        Rate parameter of the gamma distribution, ``>= 0`` (0: silent).
    start : float or array, ms
        The process runs from ``start`` ...
    duration : float or array, ms
        ... until ``start + duration`` (``inf``: to the end).

    Notes
    -----
    Grid, merging of spikes in one step and the stationary start: see
    :class:`RenewalSource`. A spike is merged away with the probability that an
    interval is shorter than ``dt``, below ``(beta dt)^alpha / Gamma(alpha + 1)``
    (0.5 % of spikes for ``alpha = 2``, ``beta = 1000`` Hz, ``dt = 0.1`` ms).
    The stationary start puts the first spike a forward-recurrence time after
    the start: ``U X`` with ``U`` uniform on (0, 1) and ``X`` the length-biased
    interval, gamma with shape ``alpha + 1``.
    """

    default_parameters = dict(alpha=2.0, beta=1.0, start=0.0, duration=np.inf)
    non_negative_parameters = ("beta", "start")

    def _check(self, name: str, value, n: int | None) -> np.ndarray:
        if name == "alpha":
            a = V.finite_array("SpikeSourceGamma.alpha", value, n)
            if (a < 1).any():
                raise ValueError(f"SpikeSourceGamma.alpha must be >= 1, got "
                                 f"{float(a.flat[int(np.flatnonzero((a < 1).ravel())[0])])!r}")
            return a
        return super()._check(name, value, n)

    def mean_rate(self, p: dict) -> np.ndarray:
        return np.asarray(p["beta"], np.float64) / np.asarray(p["alpha"], np.float64)

    def intervals(self, p: dict, idx: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """One inter-spike interval (ms) for each neuron ``idx`` of ``n`` (all with ``beta > 0``)."""
        alpha, beta = (np.broadcast_to(np.asarray(p[k], np.float64), (n,))[idx]
                       for k in ("alpha", "beta"))
        return rng.standard_gamma(alpha) * (1000.0 / beta)

    def first_intervals(self, p: dict, n: int, rng: np.random.Generator) -> np.ndarray:
        """Stationary forward-recurrence time (ms) of each of ``n`` neurons (inf: silent)."""
        alpha, beta = (np.broadcast_to(np.asarray(p[k], np.float64), (n,)) for k in ("alpha", "beta"))
        u, g = rng.random(n), rng.standard_gamma(alpha + 1.0)
        with np.errstate(divide="ignore"):
            return np.where(beta > 0, u * g * (1000.0 / beta), np.inf)


class SpikeSourcePoissonRefractory(RenewalSource):
    r"""Poisson spike trains with dead time (PyNN ``SpikeSourcePoissonRefractory``;
    NEST ``ppd_sup_generator``).

    Every interval is the dead time ``tau_refrac`` plus an exponential interval
    whose rate is chosen so that the mean rate stays ``rate`` (NEST's
    ``ppd_sup_generator``, Deger et al. 2012, J Comput Neurosci 33:547; PyNN's
    scenario tests the same shifted exponential):

    .. math:: \tau = \tau_\mathrm{refrac} + E, \quad
              E \sim \mathrm{Exp}\!\left(\frac{1}{1000/\mathrm{rate} - \tau_\mathrm{refrac}}\right),
              \quad \langle \tau \rangle = 1000 / \mathrm{rate}\ \mathrm{ms}, \quad
              \mathrm{CV} = 1 - \mathrm{rate}\,\tau_\mathrm{refrac} / 1000

    Parameters
    ----------
    rate : float or array, Hz
        Mean rate, ``>= 0`` (0: silent).
    tau_refrac : float or array, ms
        Dead time after each spike, ``>= 0`` with ``rate * tau_refrac < 1000``
        (the mean interval must be longer than the dead time).
    start : float or array, ms
        The process runs from ``start`` ...
    duration : float or array, ms
        ... until ``start + duration`` (``inf``: to the end).

    Notes
    -----
    Grid, merging of spikes in one step and the stationary start: see
    :class:`RenewalSource`. With ``tau_refrac >= dt`` no two spikes fall in one
    step, so none are merged; on the grid no interval is shorter than
    ``floor(tau_refrac / dt)`` steps (``tau_refrac`` itself when it is a multiple of dt). The stationary start: with probability
    ``rate tau_refrac / 1000`` the first spike is uniform in ``[0, tau_refrac)``,
    otherwise ``tau_refrac`` plus an exponential interval (the forward-recurrence
    density ``(1 - F(t)) / <tau>``).
    """

    default_parameters = dict(rate=1.0, tau_refrac=0.0, start=0.0, duration=np.inf)
    non_negative_parameters = ("rate", "tau_refrac", "start")

    def _check_relations(self, p: dict) -> None:
        r, d = np.broadcast_arrays(np.asarray(p["rate"], np.float64),
                                   np.asarray(p["tau_refrac"], np.float64))
        bad = r * d >= 1000.0
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            raise ValueError(f"SpikeSourcePoissonRefractory: rate * tau_refrac must be < 1 (a mean "
                             f"interval 1000/rate ms longer than the dead time), got rate="
                             f"{float(r.flat[i])!r} Hz, tau_refrac={float(d.flat[i])!r} ms")

    def mean_rate(self, p: dict) -> np.ndarray:
        return np.asarray(p["rate"], np.float64)

    def _scales(self, p: dict, n: int):
        r, d = (np.broadcast_to(np.asarray(p[k], np.float64), (n,)) for k in ("rate", "tau_refrac"))
        with np.errstate(divide="ignore"):
            return r, d, np.where(r > 0, 1000.0 / np.where(r > 0, r, 1.0) - d, np.inf)

    def intervals(self, p: dict, idx: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """One inter-spike interval (ms) for each neuron ``idx`` of ``n`` (all with ``rate > 0``)."""
        _, d, mean_exp = self._scales(p, n)
        return d[idx] + rng.standard_exponential(idx.shape[0]) * mean_exp[idx]

    def first_intervals(self, p: dict, n: int, rng: np.random.Generator) -> np.ndarray:
        """Stationary forward-recurrence time (ms) of each of ``n`` neurons (inf: silent)."""
        r, d, mean_exp = self._scales(p, n)
        u, e = rng.random(n), rng.standard_exponential(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(u < r * d * 1e-3, u * 1000.0 / r, d + e * mean_exp)
        return np.where(r > 0, t, np.inf)


def check_poisson_rate(p: dict, dt: float, plastic: bool = False) -> None:
    """Refuse rates above one spike per step (``1000 / dt`` Hz) on a source that drives
    plastic synapses (they take at most one spike per source and step); any rate >= 0 is
    accepted otherwise (the source then emits a Poisson number of spikes per step)."""
    if not plastic:
        return
    ch = p["rate_changes"]
    maxrate = max(float(np.max(p["rate"], initial=0.0)),
                  0.0 if ch is None else float(np.max(ch[1], initial=0.0)))
    if maxrate * dt * 1e-3 > 1.0:
        raise ValueError(f"SpikeSourcePoisson rate {maxrate!r} Hz exceeds one spike per step "
                         f"(1000/dt = {1000.0 / dt:g} Hz) on a source that drives plastic "
                         "synapses, which take at most one spike per step")


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
