"""sPyNNaker's extra STDP rules as PyNN synapse components (``sim.extra_models.<name>``).

Each takes sPyNNaker's parameter names and defaults (from ``spynnaker.pyNN.models.
neuron.plasticity.stdp``) and goes into ``sim.STDPMechanism`` as in a sPyNNaker
script; the projection then runs the equivalent spikesim rule:

===================================  ==============================================  ==========================
sPyNNaker                            spikesim rule                                   weight change
===================================  ==============================================  ==========================
``SpikeNearestPairRule``             ``SpikePairRule(interaction="nearest_first")``  ``A_plus``, ``A_minus``
                                                                                     as the weight dependence
                                                                                     scales them
``PfisterSpikeTriplet`` with         ``TripletRule`` (all-to-all) with               every amplitude times
``WeightDependenceAdditiveTriplet``  ``AdditiveWeightDependence(absolute=False)``    ``w_max``
``Vogels2011Rule``                   ``Vogels2011Rule(tau, eta=A_plus,               ``A_plus`` itself
                                     rho=1000 alpha / (2 tau))``
===================================  ==============================================  ==========================

The scalings are sPyNNaker's (its ``write_parameters``: the additive weight dependence
writes ``A_plus``, the triplet one ``A_plus * w_max`` and ``A3_plus * w_max``).
sPyNNaker's Vogels 2011 rule (its ``timing_vogels_2011_impl.h``; Vogels, Sprekeler,
Zenke, Clopath & Gerstner 2011, Science 334:1569) changes the weight by
``A_plus (o1 - alpha)`` at a presynaptic spike and by ``A_plus r1`` at a postsynaptic
one, with traces that jump by 1 and decay with ``tau``: NEST's
``vogels_sprekeler_synapse`` with ``eta = A_plus`` and ``alpha = 2 rho tau / 1000``.
Where sPyNNaker clips ``w + A_plus (o1 - alpha)`` once, spikesim (as NEST) clips after
each of its two terms; the results differ only when the weight reaches a bound in between.
``A_minus`` is accepted and unused, as in sPyNNaker.
"""
from __future__ import annotations

from pyNN.standardmodels.synapses import STDPTimingDependence, STDPWeightDependence

import spikesim as ss
from spikesim.pynn.model_base import _identity


class SpikeNearestPairRule(STDPTimingDependence):
    """sPyNNaker's ``SpikeNearestPairRule``: pair STDP where each spike pairs with the
    nearest earlier spike of the other neuron only (Morrison, Diesmann & Gerstner 2008,
    Biol. Cybern. 98:459), and a postsynaptic spike potentiates only if it is the first
    since the presynaptic one (sPyNNaker's ``timing_nearest_pair_impl.h``). Parameters:
    ``tau_plus``, ``tau_minus`` (ms), ``A_plus``, ``A_minus``."""

    default_parameters = {"tau_plus": 20.0, "tau_minus": 20.0, "A_plus": 0.01, "A_minus": 0.01}
    possible_models = {"spikesim_stdp"}
    weight_dependences = ("AdditiveWeightDependence", "MultiplicativeWeightDependence")

    def __init__(self, tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.01):
        super().__init__(tau_plus=tau_plus, tau_minus=tau_minus, A_plus=A_plus, A_minus=A_minus)

    def spikesim_rules(self, p: dict, weight_dependence) -> tuple:
        return (ss.SpikePairRule(tau_plus=p["tau_plus"], tau_minus=p["tau_minus"],
                                 A_plus=p["A_plus"], A_minus=p["A_minus"],
                                 interaction="nearest_first"),
                weight_dependence.to_spikesim(p))


class PfisterSpikeTriplet(STDPTimingDependence):
    """sPyNNaker's ``PfisterSpikeTriplet``: the all-to-all triplet rule of Pfister &
    Gerstner 2006 (J. Neurosci. 26:9673), pair amplitudes here, triplet amplitudes in
    :class:`WeightDependenceAdditiveTriplet`. Parameters (all required, as in sPyNNaker):
    ``tau_plus``, ``tau_minus``, ``tau_x``, ``tau_y`` (ms), ``A_plus``, ``A_minus``."""

    default_parameters = {"tau_plus": 16.8, "tau_minus": 33.7, "tau_x": 101.0, "tau_y": 125.0,
                          "A_plus": 0.01, "A_minus": 0.01}
    possible_models = {"spikesim_stdp"}
    weight_dependences = ("WeightDependenceAdditiveTriplet",)

    def __init__(self, tau_plus, tau_minus, tau_x, tau_y, A_plus, A_minus):
        super().__init__(tau_plus=tau_plus, tau_minus=tau_minus, tau_x=tau_x, tau_y=tau_y,
                         A_plus=A_plus, A_minus=A_minus)

    def spikesim_rules(self, p: dict, weight_dependence) -> tuple:
        timing = ss.TripletRule(tau_plus=p["tau_plus"], tau_minus=p["tau_minus"], tau_x=p["tau_x"],
                                tau_y=p["tau_y"], A2_plus=p["A_plus"], A3_plus=p["A3_plus"],
                                A2_minus=p["A_minus"], A3_minus=p["A3_minus"],
                                interaction="all_to_all")
        return timing, ss.AdditiveWeightDependence(w_min=p["w_min"], w_max=p["w_max"],
                                                   absolute=False)


class WeightDependenceAdditiveTriplet(STDPWeightDependence):
    """sPyNNaker's ``WeightDependenceAdditiveTriplet``: hard bounds ``w_min``, ``w_max``
    and the triplet amplitudes ``A3_plus``, ``A3_minus`` of :class:`PfisterSpikeTriplet`;
    every amplitude is multiplied by ``w_max``."""

    default_parameters = {"w_min": 0.0, "w_max": 1.0, "A3_plus": 0.01, "A3_minus": 0.01}
    possible_models = {"spikesim_stdp"}

    def __init__(self, w_min=0.0, w_max=1.0, A3_plus=0.01, A3_minus=0.01):
        super().__init__(w_min=w_min, w_max=w_max, A3_plus=A3_plus, A3_minus=A3_minus)


class Vogels2011Rule(STDPTimingDependence):
    """sPyNNaker's ``Vogels2011Rule`` (Vogels et al. 2011): ``alpha`` (depression per
    presynaptic spike, in units of the trace), ``tau`` (ms), ``A_plus`` (the learning
    rate, a weight change in nA or uS), ``A_minus`` (unused, as in sPyNNaker). With
    ``AdditiveWeightDependence`` only."""

    default_parameters = {"alpha": 0.12, "tau": 20.0, "A_plus": 0.01, "A_minus": 0.01}
    possible_models = {"spikesim_stdp"}
    weight_dependences = ("AdditiveWeightDependence",)
    symmetric = True

    def __init__(self, alpha, tau=20.0, A_plus=0.01, A_minus=0.01):
        super().__init__(alpha=alpha, tau=tau, A_plus=A_plus, A_minus=A_minus)

    def spikesim_rules(self, p: dict, weight_dependence) -> tuple:
        if not p["tau"] > 0:
            raise ValueError(f"Vogels2011Rule.tau must be > 0 ms, got {p['tau']!r}")
        rule = ss.Vogels2011Rule(tau=p["tau"], eta=p["A_plus"],
                                 rho=1000.0 * p["alpha"] / (2.0 * p["tau"]))
        return rule, ss.AdditiveWeightDependence(w_min=p["w_min"], w_max=p["w_max"])


class RecurrentRule(STDPTimingDependence):
    """sPyNNaker's ``RecurrentRule`` (``TimingDependenceRecurrent``): coincidences counted in
    random windows, :class:`spikesim.RecurrentRule` (equations in
    :mod:`spikesim.kernels.recurrent`). Parameters: ``accumulator_depression`` (int <= -1),
    ``accumulator_potentiation`` (int >= 1), ``mean_pre_window``, ``mean_post_window`` (ms),
    ``dual_fsm`` (bool), ``A_plus``, ``A_minus`` (as the weight dependence scales them)."""

    default_parameters = {"accumulator_depression": -6, "accumulator_potentiation": 6,
                          "mean_pre_window": 35.0, "mean_post_window": 35.0, "dual_fsm": True,
                          "A_plus": 0.01, "A_minus": 0.01}
    possible_models = {"spikesim_stdp"}
    weight_dependences = ("AdditiveWeightDependence", "MultiplicativeWeightDependence")

    def __init__(self, accumulator_depression=-6, accumulator_potentiation=6,
                 mean_pre_window=35.0, mean_post_window=35.0, dual_fsm=True, A_plus=0.01,
                 A_minus=0.01):
        super().__init__(accumulator_depression=accumulator_depression,
                         accumulator_potentiation=accumulator_potentiation,
                         mean_pre_window=mean_pre_window, mean_post_window=mean_post_window,
                         dual_fsm=dual_fsm, A_plus=A_plus, A_minus=A_minus)

    def spikesim_rules(self, p: dict, weight_dependence) -> tuple:
        acc = {}
        for name in ("accumulator_depression", "accumulator_potentiation"):
            v = float(p[name])
            acc[name] = int(v) if v.is_integer() else v  # a fraction is refused by name
        rule = ss.RecurrentRule(**acc, mean_pre_window=p["mean_pre_window"],
                                mean_post_window=p["mean_post_window"],
                                dual_fsm=bool(p["dual_fsm"]), A_plus=p["A_plus"],
                                A_minus=p["A_minus"])
        return rule, weight_dependence.to_spikesim(p)


for _cls in (SpikeNearestPairRule, PfisterSpikeTriplet, WeightDependenceAdditiveTriplet,
             Vogels2011Rule, RecurrentRule):
    _cls.translations = _identity(_cls)  # PyNN's names are the native ones
