"""Spike-timing-dependent plasticity rules, named as PyNN names them.

A plastic projection is made with ``net.connect(..., synapse=STDP(timing, weight))``.
Every rule is event-driven (traces advance only at spikes, with exact
exponential decay; see :mod:`spikesim.kernels.plasticity` for the equations,
the event order and the sources).

Delay convention
----------------
The whole delay is *axonal*: a presynaptic spike emitted at ``t_pre`` reaches
the synapse (and its target) at ``t_pre + delay``; the postsynaptic spike
reaches the synapse at ``t_post``. The STDP interval is therefore
``dt = t_post - (t_pre + delay)`` (Brian2 with a delayed ``pre`` pathway).
NEST treats the delay as dendritic instead (the postsynaptic spike is seen
at the synapse at ``t_post + delay``, so ``dt = t_post + delay - t_pre``):
the same spike trains give pairing intervals that differ by ``2 * delay``
between the two conventions.

Amplitudes
----------
``A_plus`` / ``A_minus`` (and the triplet ``A2``/``A3``) are dimensionless in
:class:`AdditiveWeightDependence` by default and multiplied by ``w_max``
(PyNN's convention, as in ``pyNN.nest``); pass ``absolute=True`` for
sPyNNaker's convention, where they are weight changes in nA or uS.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import _validate as V

WINDOWS = ("hebbian", "anti_hebbian", "symmetric")
INTERACTIONS = ("all_to_all", "nearest")
# (sign at a postsynaptic spike, sign at a presynaptic arrival)
WINDOW_SIGNS = {"hebbian": (1.0, -1.0), "anti_hebbian": (-1.0, 1.0), "symmetric": (1.0, 1.0)}


@dataclass(frozen=True)
class SpikePairRule:
    """Pair-based STDP window (Song, Miller & Abbott 2000; PyNN ``SpikePairRule``).

    .. math:: \\Delta w = A_+ e^{-\\Delta t/\\tau_+} \\;(\\Delta t \\ge 0), \\qquad
              \\Delta w = -A_- e^{\\Delta t/\\tau_-} \\;(\\Delta t < 0)

    Parameters
    ----------
    tau_plus, tau_minus : float
        Trace time constants, ms (> 0).
    A_plus, A_minus : float
        Amplitudes; see the module notes on their scale. A negative amplitude turns its
        side of the window around (sPyNNaker and NEST accept it); additive weight dependence
        only.
    interaction : {"all_to_all", "nearest", "nearest_first"}
        All spike pairs interact (traces add), or only nearest neighbours
        (traces are reset to 1 at each spike: each spike pairs with the other
        neuron's latest one). "nearest_first" is sPyNNaker's ``SpikeNearestPairRule``
        (its ``timing_nearest_pair_impl.h``): as "nearest", except that a postsynaptic
        spike potentiates only if it is the first since the presynaptic spike reached
        the synapse.
    """

    tau_plus: float = 20.0
    tau_minus: float = 20.0
    A_plus: float = 0.01
    A_minus: float = 0.01
    interaction: str = "all_to_all"

    def __post_init__(self) -> None:
        for name in ("tau_plus", "tau_minus"):
            V.positive_scalar(f"SpikePairRule.{name}", getattr(self, name))
        for name in ("A_plus", "A_minus"):
            V.finite_scalar(f"SpikePairRule.{name}", getattr(self, name))
        V.choice("SpikePairRule.interaction", self.interaction, INTERACTIONS + ("nearest_first",))

    def kernel_params(self) -> dict:
        return dict(A2_plus=self.A_plus, A3_plus=0.0, A2_minus=self.A_minus, A3_minus=0.0,
                    taus=(self.tau_plus, self.tau_plus, self.tau_minus, self.tau_minus),
                    triplet=False)


@dataclass(frozen=True)
class TripletRule:
    """Triplet STDP (Pfister & Gerstner 2006, J. Neurosci. 26:9673), the paper's names.

    Presynaptic traces ``r1`` (``tau_plus``) and ``r2`` (``tau_x``),
    postsynaptic ``o1`` (``tau_minus``) and ``o2`` (``tau_y``). At a
    presynaptic spike ``w -= o1 (A2_minus + A3_minus r2)``; at a postsynaptic
    spike ``w += r1 (A2_plus + A3_plus o2)`` (``r2``/``o2`` taken just before
    their own jump). ``interaction`` selects the paper's all-to-all or
    nearest-spike model; :meth:`minimal` gives the minimal model
    (``A2_plus = A3_minus = 0``).

    Parameters
    ----------
    tau_plus, tau_minus, tau_x, tau_y : float
        ms (> 0). Defaults: the paper's all-to-all visual-cortex fit
        (16.8, 33.7, 101, 125 ms).
    A2_plus, A3_plus, A2_minus, A3_minus : float
        >= 0. Defaults: the paper's minimal all-to-all visual-cortex fit.
    """

    tau_plus: float = 16.8
    tau_minus: float = 33.7
    tau_x: float = 101.0
    tau_y: float = 125.0
    A2_plus: float = 5e-10
    A3_plus: float = 6.2e-3
    A2_minus: float = 7e-3
    A3_minus: float = 2.3e-4
    interaction: str = "all_to_all"

    def __post_init__(self) -> None:
        for name in ("tau_plus", "tau_minus", "tau_x", "tau_y"):
            V.positive_scalar(f"TripletRule.{name}", getattr(self, name))
        for name in ("A2_plus", "A3_plus", "A2_minus", "A3_minus"):
            V.non_negative_scalar(f"TripletRule.{name}", getattr(self, name))
        V.choice("TripletRule.interaction", self.interaction, INTERACTIONS)

    @classmethod
    def minimal(cls, **kwargs) -> "TripletRule":
        """The minimal triplet model: ``A2_plus = A3_minus = 0``."""
        return cls(**{**kwargs, "A2_plus": 0.0, "A3_minus": 0.0})

    def kernel_params(self) -> dict:
        return dict(A2_plus=self.A2_plus, A3_plus=self.A3_plus, A2_minus=self.A2_minus,
                    A3_minus=self.A3_minus, taus=(self.tau_plus, self.tau_x, self.tau_minus, self.tau_y),
                    triplet=True)


@dataclass(frozen=True)
class Vogels2011Rule:
    """Inhibitory STDP (Vogels, Sprekeler, Zenke, Clopath & Gerstner 2011, Science 334:1569;
    PyNN ``Vogels2011Rule``, NEST ``vogels_sprekeler_synapse``).

    Symmetric in the order of the spikes, with a constant depression at every
    presynaptic arrival. Presynaptic trace ``x_pre`` and postsynaptic trace ``x_post``
    both decay with ``tau`` and jump by 1 at each spike (all-to-all):

    .. math:: \\text{presynaptic arrival:}\\; w \\leftarrow w + \\eta (x_{post} - \\alpha),
              \\qquad \\text{postsynaptic spike:}\\; w \\leftarrow w + \\eta\\, x_{pre},
              \\qquad \\alpha = 2 \\rho \\tau / 1000

    (``rho`` in Hz, ``tau`` in ms: the paper's target rate term ``2 rho tau``). At an arrival the
    trace term is applied and bounded first, then the constant depression (NEST's order;
    the two differ from one bounded step only when ``w`` reaches ``w_max`` in between).

    Use with :class:`AdditiveWeightDependence` (hard bounds ``[w_min, w_max]``, ``w_min >= 0``).
    ``eta`` is a weight change (uS or nA) per unit of trace, as in NEST and pyNN.neuron:
    it is never multiplied by ``w_max`` (``AdditiveWeightDependence.absolute`` does not
    apply). Weights are magnitudes of inhibition, so the rule is for inhibitory
    conductance synapses (``IF_cond_exp``, positive weights); PyNN's inhibitory current
    synapses carry negative weights, which the rule refuses.

    Parameters
    ----------
    tau : float
        Trace time constant, ms (> 0). PyNN default 20.
    eta : float
        Learning rate (finite). PyNN default 1e-10.
    rho : float
        Target postsynaptic rate, Hz (>= 0). PyNN default 3.
    """

    tau: float = 20.0
    eta: float = 1e-10
    rho: float = 3.0

    def __post_init__(self) -> None:
        V.positive_scalar("Vogels2011Rule.tau", self.tau)
        V.finite_scalar("Vogels2011Rule.eta", self.eta)
        V.non_negative_scalar("Vogels2011Rule.rho", self.rho)

    @property
    def alpha(self) -> float:
        """NEST's ``alpha``: ``2 rho tau / 1000`` (dimensionless)."""
        return 2.0 * self.rho * self.tau / 1000.0

    def kernel_params(self) -> dict:
        eta = float(self.eta)
        return dict(A2_plus=eta, A3_plus=0.0, A2_minus=eta, A3_minus=0.0, A0_minus=eta * self.alpha,
                    taus=(self.tau,) * 4, triplet=False, signs=(1.0, 1.0), scale=1.0)


@dataclass(frozen=True)
class RecurrentRule:
    """sPyNNaker's ``RecurrentRule``: STDP by coincidences counted in random windows.

    Each spike opens a window of random length (exponential, mean ``mean_pre_window`` or
    ``mean_post_window``); a postsynaptic spike inside a presynaptic window counts one up,
    a presynaptic spike inside a postsynaptic window one down, and when the count reaches
    ``accumulator_potentiation`` (``accumulator_depression``) the weight is potentiated by
    ``A_plus`` (depressed by ``A_minus``), as the weight dependence scales them, and the count
    restarts. Equations and the two variants in :mod:`spikesim.kernels.recurrent`. Runs
    lazily with a dendritic delay, on one thread, like sPyNNaker; not saved or exported.

    Parameters (sPyNNaker's defaults)
    ---------------------------------
    accumulator_depression : int
        <= -1 (default -6).
    accumulator_potentiation : int
        >= 1 (default 6).
    mean_pre_window, mean_post_window : float
        ms, > 0 (default 35).
    dual_fsm : bool
        True (default): windows per spike (``timing_recurrent_dual_fsm_impl.h``); False: one
        state machine per synapse (``timing_recurrent_pre_stochastic_impl.h``).
    A_plus, A_minus : float
        Amplitudes, >= 0 (default 0.01).
    """

    accumulator_depression: int = -6
    accumulator_potentiation: int = 6
    mean_pre_window: float = 35.0
    mean_post_window: float = 35.0
    dual_fsm: bool = True
    A_plus: float = 0.01
    A_minus: float = 0.01

    def __post_init__(self) -> None:
        for name, ok in (("accumulator_depression", lambda v: v <= -1),
                         ("accumulator_potentiation", lambda v: v >= 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not float(v).is_integer() or not ok(v):
                raise ValueError(f"RecurrentRule.{name} must be an integer "
                                 f"{'<= -1' if 'depr' in name else '>= 1'}, got {v!r}")
        for name in ("mean_pre_window", "mean_post_window"):
            V.positive_scalar(f"RecurrentRule.{name}", getattr(self, name))
        for name in ("A_plus", "A_minus"):
            V.non_negative_scalar(f"RecurrentRule.{name}", getattr(self, name))
        if not isinstance(self.dual_fsm, bool):
            raise TypeError(f"RecurrentRule.dual_fsm must be True or False, got {self.dual_fsm!r}")


@dataclass(frozen=True)
class _Bounds:
    w_min: float = 0.0
    w_max: float = 1.0

    def __post_init__(self) -> None:
        name = type(self).__name__
        lo = V.finite_scalar(f"{name}.w_min", self.w_min)
        hi = V.finite_scalar(f"{name}.w_max", self.w_max)
        if lo > hi:
            raise ValueError(f"{name}.w_min ({lo!r}) must be <= w_max ({hi!r})")


@dataclass(frozen=True)
class AdditiveWeightDependence(_Bounds):
    """Weight changes independent of ``w``, clipped to ``[w_min, w_max]`` (PyNN).

    Parameters
    ----------
    w_min, w_max : float
        Bounds (nA or uS; negative for inhibitory current synapses).
    absolute : bool
        False (default, PyNN): a change is the amplitude times ``w_max``.
        True (sPyNNaker): the amplitudes are weight changes themselves.
    """

    absolute: bool = False

    # Vogels2011Rule's eta is always a weight change (NEST, pyNN.neuron): absolute does not apply

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.absolute, bool):
            raise TypeError(f"AdditiveWeightDependence.absolute must be True or False, "
                            f"got {self.absolute!r}")

    @property
    def scale(self) -> float:
        return 1.0 if self.absolute else float(self.w_max)


@dataclass(frozen=True)
class MultiplicativeWeightDependence(_Bounds):
    """Potentiation scales with ``w_max - w``, depression with ``w - w_min`` (PyNN)."""

    scale = 1.0


@dataclass(frozen=True)
class STDP:
    """A plastic synapse type: a timing rule, a weight dependence and a window shape.

    Parameters
    ----------
    timing : SpikePairRule, TripletRule or Vogels2011Rule
        Or one of sPyNNaker's names (:mod:`spikesim.spynnaker_rules`): STDP then holds the
        equivalent spikesim rule and weight dependence.
    weight : AdditiveWeightDependence or MultiplicativeWeightDependence
        (Vogels2011Rule: AdditiveWeightDependence with ``w_min >= 0``.)
    window : {"hebbian", "anti_hebbian", "symmetric"}
        "hebbian": pre-before-post potentiates, post-before-pre depresses.
        "anti_hebbian": both signs swapped (NALSM uses this for inhibitory
        presynaptic neurons). "symmetric": both orders potentiate.
        Vogels2011Rule is symmetric by definition: "hebbian" (the default) or
        "symmetric" both mean the rule as published.
    sign : {1, -1}
        1 (default): the rule acts on the stored weight ``w``. -1: it acts on the
        magnitude ``-w`` of synapses whose weights are stored negative (inhibitory
        current synapses, whose weights PyNN gives as negative currents): ``w_min``,
        ``w_max`` and the amplitudes are for the magnitude, as sPyNNaker defines
        them for its positive inhibitory weights. In the kernel the window signs,
        the constant term and the bounds are mirrored (``[-w_max, -w_min]``).
    delay_model : {"axonal", "dendritic"}
        Where the synaptic delay ``d`` sits when spikes are paired. "axonal" (default,
        Brian2 with a delayed ``pre`` pathway): a pair is timed ``t_post - (t_pre + d)``.
        "dendritic" (NEST's ``stdp_synapse``, sPyNNaker, PyNN's default
        ``dendritic_delay_fraction=1``): ``t_post + d - t_pre``, a pair with ``t_post + d =
        t_pre`` changes nothing, and the weights a projection reports change only when a
        presynaptic spike reaches the synapse (NEST and sPyNNaker update weights lazily,
        at presynaptic spikes; the rule's running weights are kept apart and saved with
        the network). Runs on one thread; costs a postsynaptic trace record per target
        neuron and distinct delay, and a second weight per synapse.
    same_step_pairs : bool
        True (default): with the axonal delay model a presynaptic spike emitted in step
        ``t`` (arriving in ``t + d``) pairs as post-before-pre with a postsynaptic spike
        of step ``t`` itself. False: spikes emitted in the same step do not pair, as in
        per-step simulators whose both STDP terms read the traces from before the step
        (the NALSM authors' code, combra-lab/NALSM ``NALSM_STDP.py``); each pair is then
        timed ``t_post - t_pre`` by emission steps. Needs ``delay_model="axonal"`` and a
        delay of exactly one step on every synapse of the projection. Not exportable.
    """

    timing: object = None
    weight: object = None
    window: str = "hebbian"
    sign: int = 1
    delay_model: str = "axonal"
    same_step_pairs: bool = True

    def __post_init__(self) -> None:
        for part, other in ((self.timing, self.weight), (self.weight, self.timing)):
            convert = getattr(part, "_spikesim_pair", None)  # sPyNNaker's names
            if convert is not None:
                timing, weight = convert(other)
                object.__setattr__(self, "timing", timing)
                object.__setattr__(self, "weight", weight)
                break
        if not isinstance(self.timing, (SpikePairRule, TripletRule, Vogels2011Rule,
                                        RecurrentRule)):
            raise TypeError("STDP.timing must be a SpikePairRule, TripletRule, Vogels2011Rule or "
                            f"RecurrentRule, got {self.timing!r}")
        if not isinstance(self.weight, (AdditiveWeightDependence, MultiplicativeWeightDependence)):
            raise TypeError("STDP.weight must be an AdditiveWeightDependence or "
                            f"MultiplicativeWeightDependence, got {self.weight!r}")
        V.choice("STDP.window", self.window, WINDOWS)
        if isinstance(self.weight, MultiplicativeWeightDependence) and min(
                getattr(self.timing, "A_plus", 0.0), getattr(self.timing, "A_minus", 0.0)) < 0:
            raise ValueError(f"STDP: negative amplitudes ({self.timing!r}) need an "
                             "AdditiveWeightDependence (a multiplicative change scales with the "
                             "distance to the bound its sign moves towards)")
        V.choice("STDP.delay_model", self.delay_model, ("axonal", "dendritic"))
        if not isinstance(self.same_step_pairs, bool):
            raise TypeError(f"STDP.same_step_pairs must be True or False, "
                            f"got {self.same_step_pairs!r}")
        if not self.same_step_pairs and self.delay_model != "axonal":
            raise ValueError("STDP.same_step_pairs=False needs delay_model='axonal', got "
                             f"delay_model={self.delay_model!r}")
        if isinstance(self.sign, bool) or self.sign not in (1, -1):
            raise ValueError(f"STDP.sign must be 1 or -1, got {self.sign!r}")
        if isinstance(self.timing, Vogels2011Rule):
            if not isinstance(self.weight, AdditiveWeightDependence):
                raise TypeError("Vogels2011Rule needs an AdditiveWeightDependence (hard bounds, as "
                                f"NEST's vogels_sprekeler_synapse), got {self.weight!r}")
            if self.window == "anti_hebbian":
                raise ValueError("STDP.window='anti_hebbian' with Vogels2011Rule: the rule is "
                                 "symmetric by definition (use the default window)")
            if self.weight.w_min < 0.0:
                raise ValueError(
                    f"Vogels2011Rule with w_min={self.weight.w_min!r}: the rule works on weights "
                    ">= 0 (magnitudes of inhibition: inhibitory conductance synapses such as "
                    "IF_cond_exp); PyNN's inhibitory current synapses carry negative weights, on "
                    "which its potentiation would weaken inhibition (give sign=-1 and bounds for "
                    "the magnitude instead)")
