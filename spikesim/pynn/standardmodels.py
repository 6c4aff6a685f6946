"""PyNN standard models of the spikesim backend.

Every translation is the identity: spikesim uses PyNN's parameter names and
units (ms, mV, nA, nF, uS, Hz), so the "native" parameters of a model are its
PyNN parameters. Cell types carry the spikesim class they build; synapse types
build a :class:`spikesim.STDP` when plastic.

Available: every neuron model of :mod:`spikesim.kernels.neurons` that PyNN
names (``STANDARD_CELL_TYPES``), ``SpikeSourceArray``, ``SpikeSourcePoisson``,
``SpikeSourceGamma``, ``SpikeSourcePoissonRefractory``, ``DCSource``, ``StepCurrentSource``, ``StaticSynapse``,
``STDPMechanism`` with ``SpikePairRule`` and ``AdditiveWeightDependence`` or
``MultiplicativeWeightDependence``, and the composed ``PointNeuron`` of ``LIF`` with up to four
``CurrExpPostSynapticResponse`` or of ``AdExp`` with up to four ``AlphaPSR``
(``CondAlphaPostSynapticResponse``), on :class:`spikesim.LIFMultisynExp` /
:class:`spikesim.AdExpMultisynAlpha`. Every other PyNN standard model raises
``NotImplementedError`` naming it when instantiated.
"""
from __future__ import annotations


import numpy as np
from pyNN import errors
from pyNN.parameters import Sequence
from pyNN.standardmodels import ModelNotAvailable, build_translations, cells, check_weights, synapses

import spikesim as ss

from .simulator import state


from .model_base import _CellType, _identity  # noqa: E402  (shared with electrodes, composed)


def _neuron_class(ss_class):
    """The PyNN cell type for a spikesim neuron type, from the model's ``pynn`` translation row.

    The parameters are PyNN's own (the translation is the identity); spikesim-only
    parameters such as ``integrate_refractory`` are not offered through PyNN.
    """
    base = getattr(cells, ss_class.model.TRANSLATIONS.get("pynn") or "", None)
    if base is None:
        return None
    return type(base.__name__, (_CellType, base),
                {"__doc__": ss_class.__doc__, "__module__": __name__,
                 "translations": _identity(base), "_ss_class": ss_class,
                 "recordable": ["spikes"] + list(ss_class.model.STATE)})


def spynnaker_cell_type(ss_class, name: str | None = None):
    """A PyNN cell type for a spikesim model that PyNN does not define (sPyNNaker's own models).

    Built on PyNN's ``StandardCellType`` from the model module: parameters (without
    spikesim-only options), defaults, initial values, units and recordables; the
    translation is the identity.
    """
    m = ss_class.model
    params = {k: v for k, v in m.PARAMETERS.items() if k not in getattr(m, "EXTENSIONS", ())}
    initial = {}
    for var in m.STATE:
        v = m.INITIAL.get(var, 0.0)
        initial[var] = float(m.PARAMETERS[v] if isinstance(v, str) else v)
    attrs = {"__doc__": ss_class.__doc__, "__module__": __name__,
             "default_parameters": params, "default_initial_values": initial,
             "units": {k: u for k, u in getattr(m, "UNITS", {}).items()},
             "recordable": ["spikes"] + list(m.STATE),
             "receptor_types": tuple(m.RECEPTORS),
             "conductance_based": bool(getattr(m, "CONDUCTANCE", False)),
             "injectable": True, "_ss_class": ss_class}
    cls = type(name or ss_class.__name__, (_CellType, cells.StandardCellType), attrs)
    cls.translations = _identity(cls)
    return cls


_NEURONS = [c for c in (_neuron_class(t) for t in ss.cells.CELL_TYPES
                        if issubclass(t, ss.cells.NeuronType)) if c is not None]
globals().update({c.__name__: c for c in _NEURONS})


class SpikeSourcePoisson(_CellType, cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = _identity(cells.SpikeSourcePoisson)
    _ss_class = ss.SpikeSourcePoisson

    @staticmethod
    def to_spikesim_parameters(native: dict) -> dict:
        return poisson_parameters(native["rate"], native["start"], native["duration"],
                                  native["_size"])


MAX_SCHEDULE = 10_000_000  # entries of a per-neuron rate schedule


def poisson_parameters(rate, start, duration, n: int) -> dict:
    """spikesim SpikeSourcePoisson parameters from PyNN's per-neuron rate, start, duration.

    One start and duration for the whole population map directly; per-neuron values
    become a per-neuron piecewise-constant rate schedule (``rate_changes``).
    """
    rate, start, duration = (np.broadcast_to(np.asarray(v, np.float64), (n,))
                             for v in (rate, start, duration))
    if (start == start[0]).all() and (duration == duration[0]).all():
        return dict(rate=rate.copy(), start=float(start[0]), duration=float(duration[0]),
                    rate_changes=None)
    stop = start + duration
    times = np.unique(np.concatenate([[0.0], start, stop[np.isfinite(stop)]]))
    if times.shape[0] * rate.shape[0] > MAX_SCHEDULE:
        raise NotImplementedError("SpikeSourcePoisson with this many different start/duration "
                                  "values per population is not available in spikesim")
    on = (times[:, None] >= start[None, :]) & (times[:, None] < stop[None, :])
    return dict(rate=rate.copy(), start=0.0, duration=float("inf"),
                rate_changes=(times, np.where(on, rate[None, :], 0.0)))


class SpikeSourceGamma(_CellType, cells.SpikeSourceGamma):
    __doc__ = ss.SpikeSourceGamma.__doc__
    translations = _identity(cells.SpikeSourceGamma)
    _ss_class = ss.SpikeSourceGamma


class SpikeSourcePoissonRefractory(_CellType, cells.SpikeSourcePoissonRefractory):
    __doc__ = ss.SpikeSourcePoissonRefractory.__doc__
    translations = _identity(cells.SpikeSourcePoissonRefractory)
    _ss_class = ss.SpikeSourcePoissonRefractory


class SpikeSourceArray(_CellType, cells.SpikeSourceArray):
    """Spike source generating spikes at the times given in the spike_times array.

    spikesim (like NEST) emits a spike at time ``T`` in the step that ends at ``T``.
    A time in ``[0, dt)`` -- sPyNNaker's "spike at t = 0" idiom, which NEST drops --
    is emitted in the first step and so stamped ``dt``. Two times of one neuron that
    fall in the same step are refused (``InvalidParameterValueError``).

    Under sPyNNaker's conventions (``spikesim.pynn.spynnaker``) the source behaves as
    sPyNNaker's: times may come in any order, every repeated time is a spike of its own
    (sPyNNaker sends one packet per listed time), and a time ``T`` is sent in tick
    ``ceil(floor(1000 T) / dt_us)`` (``spike_source_array_vertex._as_numpy_ticks``) and
    recorded at the start of that tick, as every spike is under those conventions
    (:func:`spinnaker_ticks`).
    """

    translations = _identity(cells.SpikeSourceArray)
    _ss_class = ss.SpikeSourceArray

    @staticmethod
    def to_spikesim_parameters(native: dict) -> dict:
        if state.spynnaker_sources:
            return {"spike_times": spike_time_lists(native["spike_times"], ordered=False,
                                                    spinnaker=True),
                    "same_step": "all"}
        return {"spike_times": spike_time_lists(native["spike_times"])}


def spike_time_lists(value, n: int | None = None, ordered: bool = True,
                     spinnaker: bool = False, clip: bool = True) -> list:
    """Per-neuron arrays of spike times (ms) from evaluated PyNN values, t in [0, dt) -> dt.

    ``ordered``: refuse times out of order (PyNN); otherwise sort them (sPyNNaker).
    ``spinnaker``: the times spikesim's source needs to send each spike in sPyNNaker's
    tick (:func:`spinnaker_ticks`): the end of that tick, ``(tick + 1) dt``.
    ``clip=False``: the checked times as given (no step of the first spike moved)."""
    dt = state.dt
    if isinstance(value, Sequence):
        lists = [value.value]
    elif isinstance(value, np.ndarray) and value.dtype == object:
        lists = [v.value if isinstance(v, Sequence) else v for v in value.ravel()]
    else:
        lists = [value]
    out = []
    for i, t in enumerate(lists):
        t = np.asarray(t, dtype=np.float64).ravel()
        if t.size and (not np.isfinite(t).all() or t.min() < 0):
            bad = t[~np.isfinite(t) | (t < 0)][0]
            raise errors.InvalidParameterValueError(
                f"SpikeSourceArray.spike_times must be finite and >= 0 ms, got {bad!r} "
                f"(neuron {i})")
        if not ordered:
            t = np.sort(t)
        if t.size > 1 and (np.diff(t) < 0).any():
            raise errors.InvalidParameterValueError(
                f"SpikeSourceArray.spike_times must be in increasing order, got {t.tolist()!r} "
                f"(neuron {i})")
        if spinnaker:
            t = (spinnaker_ticks(t, dt) + 1) * dt
        elif clip:
            early = t < dt
            if early.any():
                t = np.where(early, dt, t)
        out.append(t)
    if n is not None and len(out) == 1 and n != 1:
        out = out * n
    return out


def spinnaker_ticks(times, dt: float) -> np.ndarray:
    """sPyNNaker's tick of each spike time (ms): ``ceil(floor(1000 t) / dt_us)``.

    Source: ``spynnaker/pyNN/models/spike_source/spike_source_array_vertex.py``
    (``_as_numpy_ticks``): times are cut to whole microseconds, then rounded up to a tick.
    """
    dt_us = round(dt * 1000.0)
    return np.ceil(np.floor(np.asarray(times, np.float64) * 1000.0) / dt_us)


# ---------------------------------------------------------------------------- synapses
def _check_weights(weights, projection):
    """PyNN's sign rules, or none under sPyNNaker's convention (the magnitude is used)."""
    if state.inhibitory_weights == "spynnaker":
        return
    try:
        check_weights(weights, projection)
    except errors.ConnectionError as exc:
        raise errors.ConnectionError(
            f"{exc} (weight; for sPyNNaker's convention, where the receptor type gives the sign, "
            "use setup(..., inhibitory_weights='spynnaker') or spikesim.pynn.spynnaker)") from None


def _minimum_delay():
    return state.default_delay()


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))
    parameter_checks = {"weight": _check_weights}

    def _get_minimum_delay(self):
        return _minimum_delay()

    def to_spikesim(self, params: dict, receptor_type: str, post_celltype):
        return None


class _DynamicSynapse:
    """Mixin: a PyNN synapse type backed by a spikesim synapse dynamic (``_ss_dynamic``).

    Its parameters other than weight and delay may differ per connection; they are
    validated by spikesim (``InvalidParameterValueError`` naming the parameter).
    """

    _ss_dynamic = None
    parameter_checks = {"weight": _check_weights}

    def _get_minimum_delay(self):
        return _minimum_delay()

    @classmethod
    def dynamic_parameters(cls) -> tuple:
        return tuple(k for k in cls.default_parameters if k not in ("weight", "delay"))


class TsodyksMarkramSynapse(_DynamicSynapse, synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__ + """
    spikesim: :class:`spikesim.TsodyksMarkram` (NEST ``tsodyks_synapse``, as pyNN.nest),
    with ``tau_psc`` from the target's ``tau_syn_E`` / ``tau_syn_I``.
    """
    translations = _identity(synapses.TsodyksMarkramSynapse)
    _ss_dynamic = ss.TsodyksMarkram


class SimpleStochasticSynapse(_DynamicSynapse, synapses.SimpleStochasticSynapse):
    __doc__ = synapses.SimpleStochasticSynapse.__doc__
    translations = _identity(synapses.SimpleStochasticSynapse)
    _ss_dynamic = ss.SimpleStochastic


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = _identity(synapses.SpikePairRule)
    possible_models = {"spikesim_stdp"}
    weight_dependences = ("AdditiveWeightDependence", "MultiplicativeWeightDependence")

    def spikesim_rules(self, p: dict, weight_dependence) -> tuple:
        """The spikesim timing rule and weight dependence for native parameters ``p``."""
        return (ss.SpikePairRule(tau_plus=p["tau_plus"], tau_minus=p["tau_minus"],
                                 A_plus=p["A_plus"], A_minus=p["A_minus"]),
                weight_dependence.to_spikesim(p))


class Vogels2011Rule(synapses.Vogels2011Rule):
    __doc__ = synapses.Vogels2011Rule.__doc__ + """
    spikesim: :class:`spikesim.Vogels2011Rule` (NEST ``vogels_sprekeler_synapse``, with
    ``alpha = 2 rho tau / 1000``); ``eta`` is a weight change (uS or nA) per unit of trace,
    never multiplied by ``w_max``. Only with ``AdditiveWeightDependence``, on synapses with
    weights >= 0 (inhibitory conductance synapses such as ``IF_cond_exp``).
    """
    translations = _identity(synapses.Vogels2011Rule)
    possible_models = {"spikesim_stdp"}
    weight_dependences = ("AdditiveWeightDependence",)
    symmetric = True

    def spikesim_rules(self, p: dict, weight_dependence) -> tuple:
        return (ss.Vogels2011Rule(tau=p["tau"], eta=p["eta"], rho=p["rho"]),
                weight_dependence.to_spikesim(p))


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__ + """
    Amplitudes: with ``setup(stdp_amplitudes="pynn")`` (the default, as ``pyNN.nest``)
    a weight change is ``A_plus`` / ``A_minus`` times ``w_max``; with
    ``stdp_amplitudes="spynnaker"`` (sPyNNaker's convention) it is ``A_plus`` /
    ``A_minus`` itself, in nA or uS.
    """
    translations = _identity(synapses.AdditiveWeightDependence)
    possible_models = {"spikesim_stdp"}

    def to_spikesim(self, p):
        return ss.AdditiveWeightDependence(w_min=p["w_min"], w_max=p["w_max"],
                                           absolute=state.stdp_amplitudes == "spynnaker")


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = _identity(synapses.MultiplicativeWeightDependence)
    possible_models = {"spikesim_stdp"}

    def to_spikesim(self, p):
        return ss.MultiplicativeWeightDependence(w_min=p["w_min"], w_max=p["w_max"])


class STDPMechanism(synapses.STDPMechanism):
    """STDP (PyNN ``STDPMechanism``) mapped onto :class:`spikesim.STDP`.

    Timing dependences: ``SpikePairRule``, ``Vogels2011Rule`` and, through
    :mod:`spikesim.pynn.spynnaker`, sPyNNaker's ``SpikeNearestPairRule``,
    ``PfisterSpikeTriplet`` and its ``Vogels2011Rule``; each names the weight
    dependences it goes with (``weight_dependences``).

    Under sPyNNaker's weight convention (``setup(inhibitory_weights="spynnaker")``,
    the default of :mod:`spikesim.pynn.spynnaker`), a plastic projection onto the
    inhibitory receptor of a current-based cell learns on the weight's magnitude
    with bounds ``[w_min, w_max]`` as given, as on SpiNNaker: it becomes
    ``spikesim.STDP(..., sign=-1)`` over the stored negative weights.

    ``dendritic_delay_fraction``: 1 (PyNN's default; NEST, sPyNNaker) pairs spikes at
    ``t_post + d - t_pre`` and reports weights as NEST does, changed at presynaptic
    spikes only (``spikesim.STDP(delay_model="dendritic")``). 0 pairs at ``t_post - (t_pre + d)``
    (axonal, as Brian2). Fractions strictly between 0 and 1 are refused.
    """

    base_translations = build_translations(("weight", "weight"), ("delay", "delay"),
                                           ("dendritic_delay_fraction", "dendritic_delay_fraction"))

    def __init__(self, timing_dependence=None, weight_dependence=None, voltage_dependence=None,
                 dendritic_delay_fraction=1.0, weight=0.0, delay=None):
        if voltage_dependence is not None:
            raise NotImplementedError("STDPMechanism(voltage_dependence=...) is not available in "
                                      "spikesim")
        if not hasattr(timing_dependence, "spikesim_rules"):
            raise NotImplementedError(f"STDP timing dependence {type(timing_dependence).__name__} "
                                      "is not available in spikesim (SpikePairRule, "
                                      "Vogels2011Rule are; sPyNNaker's SpikeNearestPairRule, "
                                      "PfisterSpikeTriplet, Vogels2011Rule through "
                                      "spikesim.pynn.spynnaker.extra_models)")
        allowed = timing_dependence.weight_dependences
        if type(weight_dependence).__name__ not in allowed:
            raise NotImplementedError(
                f"{type(timing_dependence).__name__} with {type(weight_dependence).__name__}: "
                f"spikesim has it with {' or '.join(allowed)} only")
        if dendritic_delay_fraction not in (0, 1):
            raise NotImplementedError(
                f"dendritic_delay_fraction={dendritic_delay_fraction!r}: spikesim supports 0 "
                "(axonal delay) and 1 (dendritic delay)")
        super().__init__(timing_dependence, weight_dependence, None, dendritic_delay_fraction,
                         weight, delay)

    def _get_minimum_delay(self):
        return _minimum_delay()

    @property
    def delay_model(self) -> str:
        """spikesim's ``STDP.delay_model`` for ``dendritic_delay_fraction``."""
        return "dendritic" if self.dendritic_delay_fraction == 1 else "axonal"

    parameter_checks = {"weight": _check_weights}

    def rule_defaults(self) -> dict:
        """The timing and weight dependences' parameters (for a projection with no connections)."""
        out = {}
        for part in (self.timing_dependence, self.weight_dependence):
            ps = part.native_parameters
            ps.shape = (1,)
            ps.evaluate(simplify=True)
            out.update({k: float(np.ravel(v)[0]) for k, v in ps.as_dict().items()})
        return out

    def to_spikesim(self, params: dict, receptor_type: str, post_celltype):
        """A :class:`spikesim.STDP` from homogeneous native parameters ``params``."""
        inhibitory_current = receptor_type == "inhibitory" and not post_celltype.conductance_based
        sign = -1 if inhibitory_current and state.inhibitory_weights == "spynnaker" else 1
        if getattr(self.timing_dependence, "symmetric", False) and inhibitory_current and sign == 1:
            raise ValueError("Vogels2011Rule on inhibitory current synapses: their weights are "
                             "negative (PyNN's convention), where the rule's potentiation would "
                             "weaken inhibition; use a conductance-based cell (IF_cond_exp), or "
                             "sPyNNaker's convention (spikesim.pynn.spynnaker)")
        p = {**self.rule_defaults(), **params}
        try:
            timing, weight = self.timing_dependence.spikesim_rules(p, self.weight_dependence)
            return ss.STDP(timing, weight, sign=sign, delay_model=self.delay_model)
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(str(exc)) from None


# the composed cell types and the current sources live in their own modules
from .composed import (AdExp, AlphaPSR, CondAlphaPostSynapticResponse,  # noqa: E402, F401
                       CondExpPostSynapticResponse, CurrExpPostSynapticResponse, LIF, PointNeuron)
from .electrodes import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource  # noqa: E402, F401


# ---------------------------------------------------------------------------- not available
def _unavailable(name):
    return type(name, (ModelNotAvailable,), {"__doc__": f"{name}: not available in spikesim."})


for _name in ("PointNeuron", "LIF", "AdExp", "CondExpPostSynapticResponse",
              "CurrExpPostSynapticResponse", "CondAlphaPostSynapticResponse",
              "CondBetaPostSynapticResponse", "IF_curr_alpha", "IF_cond_alpha", "IF_curr_delta", "HH_cond_exp",
              "EIF_cond_alpha_isfa_ista", "EIF_cond_exp_isfa_ista", "IF_cond_exp_gsfa_grr",
              "IF_facets_hardware1", "Izhikevich", "GIF_cond_exp", "SpikeSourceInhGamma"):
    if _name not in globals():
        globals()[_name] = _unavailable(_name)
for _name in ("ElectricalSynapse",
              "StochasticTsodyksMarkramSynapse", "MultiQuantalSynapse",
              "GutigWeightDependence", "AdditivePotentiationMultiplicativeDepression"):
    globals()[_name] = _unavailable(_name)

STANDARD_CELL_TYPES = tuple(c.__name__ for c in _NEURONS) + (
    "SpikeSourceArray", "SpikeSourcePoisson", "SpikeSourceGamma", "SpikeSourcePoissonRefractory")
