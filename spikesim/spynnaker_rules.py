"""sPyNNaker's names for STDP rules spikesim already has (for ``spikesim.pynn.spynnaker``).

Each class takes sPyNNaker's parameter names and defaults and stands for an
existing spikesim rule: :class:`spikesim.STDP` replaces it by that rule (and
weight dependence) when it is built, so ``STDP(...).timing`` is the spikesim
rule and the kernel, files and exporters see nothing new.

============================================  ==============================================
sPyNNaker (``spynnaker.pyNN.extra_models``)   spikesim
============================================  ==============================================
``SpikeNearestPairRule``                      ``SpikePairRule(interaction="nearest_first")``
``PfisterSpikeTriplet`` +                     ``TripletRule`` (all-to-all) +
``WeightDependenceAdditiveTriplet``           ``AdditiveWeightDependence(absolute=False)``
============================================  ==============================================

As in sPyNNaker, ``PfisterSpikeTriplet`` (two weight terms) goes with
``WeightDependenceAdditiveTriplet`` only, and that weight dependence with it only.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import _validate as V
from .plasticity import AdditiveWeightDependence, SpikePairRule, TripletRule

__all__ = ["SpikeNearestPairRule", "PfisterSpikeTriplet", "WeightDependenceAdditiveTriplet"]


@dataclass(frozen=True)
class SpikeNearestPairRule:
    """sPyNNaker's ``SpikeNearestPairRule`` (``TimingDependenceSpikeNearestPair``).

    Pair STDP where each spike pairs with the nearest earlier spike of the other
    neuron only (Song, Miller & Abbott 2000 window; nearest-spike interaction as
    in Morrison, Diesmann & Gerstner 2008, Biol. Cybern. 98:459), and a postsynaptic
    spike potentiates only if it is the first since the presynaptic one (sPyNNaker's
    ``timing_nearest_pair_impl.h``). Maps one to one
    onto ``SpikePairRule(tau_plus, tau_minus, A_plus, A_minus, interaction="nearest_first")``;
    the amplitudes are scaled by the weight dependence it is used with, as for
    :class:`spikesim.SpikePairRule`.

    Parameters (sPyNNaker's defaults): ``tau_plus=20.0``, ``tau_minus=20.0`` (ms, > 0),
    ``A_plus=0.01``, ``A_minus=0.01`` (finite; negative turns that side of the window around).
    """

    tau_plus: float = 20.0
    tau_minus: float = 20.0
    A_plus: float = 0.01
    A_minus: float = 0.01

    def __post_init__(self) -> None:
        self.rule()  # validates every parameter by name

    def rule(self) -> SpikePairRule:
        """The equivalent :class:`spikesim.SpikePairRule`."""
        try:
            return SpikePairRule(tau_plus=self.tau_plus, tau_minus=self.tau_minus,
                                 A_plus=self.A_plus, A_minus=self.A_minus,
                                 interaction="nearest_first")
        except ValueError as exc:
            raise ValueError(str(exc).replace("SpikePairRule.", "SpikeNearestPairRule.")) from None

    def _spikesim_pair(self, weight):
        if isinstance(weight, WeightDependenceAdditiveTriplet):
            raise TypeError("SpikeNearestPairRule has one weight term; "
                            "WeightDependenceAdditiveTriplet goes with PfisterSpikeTriplet only "
                            "(as in sPyNNaker)")
        return self.rule(), weight


@dataclass(frozen=True)
class PfisterSpikeTriplet:
    """sPyNNaker's ``PfisterSpikeTriplet`` (``TimingDependencePfisterSpikeTriplet``).

    The all-to-all triplet rule of Pfister & Gerstner 2006 (J. Neurosci. 26:9673):
    at a presynaptic spike ``w -= o1 (A_minus + A3_minus r2)``, at a postsynaptic
    spike ``w += r1 (A_plus + A3_plus o2)``, every amplitude times ``w_max``. The
    pair amplitudes are here, the triplet ones in :class:`WeightDependenceAdditiveTriplet`
    (sPyNNaker's split). Together they are ``TripletRule(tau_plus, tau_minus, tau_x,
    tau_y, A2_plus=A_plus, A3_plus=A3_plus, A2_minus=A_minus, A3_minus=A3_minus)`` with
    ``AdditiveWeightDependence(w_min, w_max)`` (amplitudes times ``w_max``).

    Parameters
    ----------
    tau_plus, tau_minus, tau_x, tau_y : float
        ms (> 0): traces r1, o1, r2, o2. Required, as in sPyNNaker.
    A_plus, A_minus : float
        Pair amplitudes A2+ and A2- (>= 0); default 0.01 (sPyNNaker's PyNN-level default).
    """

    tau_plus: float
    tau_minus: float
    tau_x: float
    tau_y: float
    A_plus: float = 0.01
    A_minus: float = 0.01

    def __post_init__(self) -> None:
        for name in ("tau_plus", "tau_minus", "tau_x", "tau_y"):
            V.positive_scalar(f"PfisterSpikeTriplet.{name}", getattr(self, name))
        for name in ("A_plus", "A_minus"):
            V.non_negative_scalar(f"PfisterSpikeTriplet.{name}", getattr(self, name))

    def _spikesim_pair(self, weight):
        if not isinstance(weight, WeightDependenceAdditiveTriplet):
            raise TypeError("PfisterSpikeTriplet needs WeightDependenceAdditiveTriplet (two weight "
                            f"terms, as in sPyNNaker), got {weight!r}")
        timing = TripletRule(tau_plus=self.tau_plus, tau_minus=self.tau_minus, tau_x=self.tau_x,
                             tau_y=self.tau_y, A2_plus=self.A_plus, A3_plus=weight.A3_plus,
                             A2_minus=self.A_minus, A3_minus=weight.A3_minus,
                             interaction="all_to_all")
        return timing, AdditiveWeightDependence(w_min=weight.w_min, w_max=weight.w_max)


@dataclass(frozen=True)
class WeightDependenceAdditiveTriplet:
    """sPyNNaker's ``WeightDependenceAdditiveTriplet``: additive, hard bounds, two weight terms.

    Holds the bounds and the triplet amplitudes of :class:`PfisterSpikeTriplet`
    (Pfister & Gerstner 2006): ``w_min``, ``w_max`` -> ``AdditiveWeightDependence``'s;
    ``A3_plus``, ``A3_minus`` -> ``TripletRule.A3_plus``, ``A3_minus``. sPyNNaker
    multiplies every amplitude by ``w_max``, as ``AdditiveWeightDependence(absolute=False)``.

    Parameters (sPyNNaker's defaults): ``w_min=0.0``, ``w_max=1.0`` (finite,
    ``w_min <= w_max``), ``A3_plus=0.01``, ``A3_minus=0.01`` (>= 0).
    """

    w_min: float = 0.0
    w_max: float = 1.0
    A3_plus: float = 0.01
    A3_minus: float = 0.01

    def __post_init__(self) -> None:
        try:
            AdditiveWeightDependence(self.w_min, self.w_max)
        except ValueError as exc:
            raise ValueError(str(exc).replace("AdditiveWeightDependence.",
                                              "WeightDependenceAdditiveTriplet.")) from None
        for name in ("A3_plus", "A3_minus"):
            V.non_negative_scalar(f"WeightDependenceAdditiveTriplet.{name}", getattr(self, name))

    def _spikesim_pair(self, timing):
        if isinstance(timing, PfisterSpikeTriplet):
            return timing._spikesim_pair(self)
        raise TypeError("WeightDependenceAdditiveTriplet goes with PfisterSpikeTriplet only (two "
                        f"weight terms, as in sPyNNaker), got timing {timing!r}")
