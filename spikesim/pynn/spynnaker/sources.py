"""sPyNNaker's Poisson sources with per-neuron, time-varying rates.

sPyNNaker's ``SpikeSourcePoisson`` takes either PyNN's ``rate`` / ``start`` /
``duration`` (a value, or one per neuron) or lists of rates with their ``starts`` and
``durations`` (``rates=[[...], ...]``, one list per neuron, or one list for all);
``extra_models.SpikeSourcePoissonVariable(rates, starts, durations)`` is the same
variable-rate source. The semantics are sPyNNaker's
(``spynnaker/pyNN/models/spike_source/spike_source_poisson_vertex.py``): rate ``j``
of a neuron applies from ``starts[j]`` for ``durations[j]`` ms (forever when no
durations are given); several rates need a start each; the neuron is silent where
no rate applies. Here each neuron's segments become spikesim's piecewise-constant
``SpikeSourcePoisson(rate_changes=(times, rates))`` schedule, so the spikes are
drawn by the same kernel as every Poisson source (a rate change at time ``T``
applies from the step that ends after ``T``).
"""
from __future__ import annotations

import numbers

import numpy as np
from pyNN import errors
from pyNN.parameters import Sequence
from pyNN.standardmodels import cells

import spikesim as ss
from spikesim.pynn.model_base import _CellType, _identity
from spikesim.pynn.spynnaker.models.spike_source.spike_source_poisson_vertex import (
    DURATION_FOREVER)
from spikesim.pynn.standardmodels import MAX_SCHEDULE
from spikesim.pynn.standardmodels import SpikeSourcePoisson as _PyNNPoisson


def _is_list_of_lists(value) -> bool:
    return (isinstance(value, (list, tuple, np.ndarray)) and len(value) > 0
            and isinstance(value[0], (list, tuple, np.ndarray, Sequence)))


def _per_neuron(name: str, value, n: int) -> list | None:
    """``value`` as n per-neuron float arrays (None stays None)."""
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.dtype == object:
        value = list(value.ravel())
    if _is_list_of_lists(value):
        lists = [np.asarray(v.value if isinstance(v, Sequence) else v, np.float64).ravel()
                 for v in value]
        if len(lists) != n:
            raise errors.InvalidParameterValueError(
                f"SpikeSourcePoisson.{name}: {len(lists)} lists for {n} neurons")
        return lists
    if isinstance(value, Sequence):
        value = value.value
    arr = np.asarray(value, np.float64).ravel()
    return [arr] * n


def _check(name: str, lists: list, finite: bool = True) -> None:
    for i, v in enumerate(lists):
        bad = (v < 0) | np.isnan(v) | (np.isinf(v) if finite else False)
        if bad.any():
            raise errors.InvalidParameterValueError(
                f"SpikeSourcePoisson.{name} must be {'finite and ' if finite else ''}>= 0, got "
                f"{float(v[bad][0])!r} (neuron {i})")


def variable_rate_schedule(rates, starts, durations, n: int) -> dict:
    """spikesim ``SpikeSourcePoisson`` parameters for sPyNNaker's rates/starts/durations.

    Parameters
    ----------
    rates : list of float or list of lists of float, Hz
        One list for all neurons, or one list per neuron.
    starts : same shape as ``rates`` or None, ms
        When each rate applies from; None only with one rate per neuron (from 0).
    durations : same shape as ``rates`` or None, ms
        How long each rate applies; None: until the next start or forever.
    n : int
        Neurons in the population.

    Returns
    -------
    dict
        ``rate`` (zeros), ``start`` 0, ``duration`` inf and ``rate_changes``
        ``(times (k,), rates (k, n))``.
    """
    r = _per_neuron("rates", rates, n)
    s = _per_neuron("starts", starts, n)
    d = _per_neuron("durations", durations, n)
    _check("rates", r)
    if s is None:
        if any(v.size > 1 for v in r):
            raise errors.InvalidParameterValueError(
                "SpikeSourcePoisson: several rates per neuron need starts (one start per rate)")
        s = [np.zeros(v.size) for v in r]
    if d is None:
        d = [np.full(v.size, np.inf) for v in r]
    _check("starts", s)
    _check("durations", d, finite=False)
    for i in range(n):
        if not (r[i].size == s[i].size == d[i].size):
            raise errors.InvalidParameterValueError(
                f"SpikeSourcePoisson: neuron {i} has {r[i].size} rates, {s[i].size} starts and "
                f"{d[i].size} durations; each rate needs its own start and duration")
    times = np.unique(np.concatenate([[0.0], *s, *[(a + b)[np.isfinite(a + b)]
                                                   for a, b in zip(s, d)]]))
    if times.size * n > MAX_SCHEDULE:
        raise NotImplementedError(f"SpikeSourcePoisson with {times.size} rate changes for {n} "
                                  f"neurons exceeds spikesim's schedule limit ({MAX_SCHEDULE} "
                                  "entries)")
    table = np.zeros((times.size, n))
    for i in range(n):
        for rate, t0, dur in zip(r[i], s[i], d[i]):  # later segments override earlier ones
            on = (times >= t0) & (times < t0 + dur)
            table[on, i] = rate
    return dict(rate=np.zeros(n), start=0.0, duration=float("inf"), rate_changes=(times, table))


class SpikeSourcePoissonVariable(_CellType, cells.StandardCellType):
    """sPyNNaker's variable-rate Poisson source: ``rates``, ``starts``, ``durations``
    (Hz, ms, ms), each one list for all neurons or one list per neuron (see the module
    docstring for the semantics)."""

    # the lists are kept on the instance, not in PyNN's per-neuron parameter space (a
    # neuron's lists differ in length); population.get/set of them is not available
    default_parameters = {}
    default_initial_values = {}
    recordable = ["spikes"]
    injectable = False
    receptor_types = ()
    units = {"rates": "Hz", "starts": "ms", "durations": "ms"}
    _ss_class = ss.SpikeSourcePoisson

    def __init__(self, rates, starts=None, durations=None):
        n_ref = max([len(v) for v in (rates, starts, durations) if _is_list_of_lists(v)],
                    default=1)
        probe = variable_rate_schedule(rates, starts, durations, n_ref)  # validates early
        del probe
        self._lists = (rates, starts, durations)
        super().__init__()

    list_parameter_names = ("rates", "starts", "durations")

    def to_spikesim_parameters(self, native: dict) -> dict:
        return variable_rate_schedule(*self._lists, native["_size"])

    def list_parameter(self, name: str, n: int) -> list:
        """``rates``, ``starts`` or ``durations`` of each of ``n`` neurons, as sPyNNaker
        reports them (a rate given no duration lasts ``DURATION_FOREVER``)."""
        rates, starts, durations = self._lists
        r = _per_neuron("rates", rates, n)
        if name == "rates":
            return r
        if name == "starts":
            s = _per_neuron("starts", starts, n)
            return s if s is not None else [np.zeros(v.size) for v in r]
        d = _per_neuron("durations", durations, n)
        if d is None:
            return [np.full(v.size, float(DURATION_FOREVER)) for v in r]
        return [np.where(np.isinf(v), float(DURATION_FOREVER), v) for v in d]


SpikeSourcePoissonVariable.translations = _identity(SpikeSourcePoissonVariable)


class SpikeSourcePoisson(_PyNNPoisson):
    """sPyNNaker's ``SpikeSourcePoisson``: PyNN's ``rate``/``start``/``duration``, or
    ``rates``/``starts``/``durations`` lists (then a :class:`SpikeSourcePoissonVariable`)."""

    def __new__(cls, rate=None, start=None, duration=None, rates=None, starts=None,
                durations=None):
        if rates is None and starts is None and durations is None:
            return super().__new__(cls)
        for a, b in (("rate", "rates"), ("start", "starts"), ("duration", "durations")):
            if locals()[a] is not None and locals()[b] is not None:
                raise errors.InvalidParameterValueError(
                    f"SpikeSourcePoisson: give {a} or {b}, not both")
        if rates is None:
            rate = 1.0 if rate is None else rate  # PyNN's default
            rates = [rate] if isinstance(rate, numbers.Real) else [[x] for x in rate]
        if starts is None and start is not None:
            starts = [start] if isinstance(start, numbers.Real) else [[x] for x in start]
        if durations is None and duration is not None:
            durations = [duration] if isinstance(duration, numbers.Real) else \
                [[x] for x in duration]
        return SpikeSourcePoissonVariable(rates, starts, durations)

    def __init__(self, rate=None, start=None, duration=None, rates=None, starts=None,
                 durations=None):
        kw = {k: v for k, v in (("rate", rate), ("start", start), ("duration", duration))
              if v is not None}
        super().__init__(**kw)

    @staticmethod
    def spynnaker_reported(name: str, values: list) -> list:
        """Values as sPyNNaker's ``get`` reports them: an endless ``duration`` (PyNN's
        default, 1e10 ms) is sPyNNaker's ``DURATION_FOREVER``."""
        if name == "duration":
            return [float(DURATION_FOREVER) if v >= 1e10 else v for v in values]
        return values
