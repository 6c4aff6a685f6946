"""sPyNNaker's synaptic rewiring (structural plasticity) under its own names.

``sim.StructuralMechanismStatic`` and ``sim.StructuralMechanismSTDP`` are synapse types
of ``sim.Projection``; their rules are ``sim.RandomSelection``,
``sim.LastNeuronSelection``, ``sim.DistanceDependentFormation`` and
``sim.RandomByWeightElimination``, with sPyNNaker's parameters and defaults
(``spynnaker/pyNN/models/neuron/structural_plasticity/`` and
``synapse_dynamics_structural_*.py``; Bogdan, Rowley, Rhodes & Furber 2018, Front.
Neurosci. 12:434). They run on :mod:`spikesim.rewiring` (the semantics, and where
spikesim differs from the machine, are documented there and in
:mod:`spikesim.kernels.rewiring`). After a run, ``proj.get(["weight", "delay"],
"list")`` and friends report the connections that exist then.

Under sPyNNaker's weight convention ``initial_weight`` and the elimination
``threshold`` are magnitudes (the receptor gives the sign), as on the machine.
The structural projections onto one population must share their structural
parameters (sPyNNaker raises ``SynapticConfigurationException`` otherwise; here
``InvalidParameterValueError``). sPyNNaker 4's keyword API
(``StructuralMechanismSTDP(stdp_model=..., grid=..., random_partner=...,
lateral_inhibition=...)``) is refused by name. Not available: structural projections
from or onto a ``PopulationView`` or an ``Assembly``, ``pop.record("rewiring")``,
changing delays of a structural projection.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from pyNN import errors
from pyNN.space import Space

import spikesim.rewiring as _rw
from spikesim.pynn import projections as _projections
from spikesim.pynn.populations import Population as _Population
from spikesim.pynn.simulator import state
from spikesim.pynn.standardmodels import StaticSynapse, STDPMechanism

_LEGACY = ("stdp_model", "sigma_form_forward", "sigma_form_lateral", "p_form_forward",
           "p_form_lateral", "p_elim_dep", "p_elim_pot", "grid", "lateral_inhibition",
           "random_partner", "is_distance_dependent", "inh_weight")


def _checked(cls, *args, **kwargs):
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise errors.InvalidParameterValueError(str(exc)) from None


class RandomSelection(_rw.RandomSelection):
    """sPyNNaker's ``RandomSelection``: a presynaptic partner uniformly at random."""


class LastNeuronSelection(_rw.LastNeuronSelection):
    """sPyNNaker's ``LastNeuronSelection(spike_buffer_size=64)``: a partner among the
    neurons that spiked in the last step (see :class:`spikesim.LastNeuronSelection`)."""

    def __init__(self, spike_buffer_size=64):
        try:
            super().__init__(spike_buffer_size)
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(str(exc)) from None


class DistanceDependentFormation(_rw.DistanceDependentFormation):
    """sPyNNaker's ``DistanceDependentFormation(grid=(16, 16), p_form_forward=0.16,
    sigma_form_forward=2.5, p_form_lateral=1.0, sigma_form_lateral=1.0)``:
    ``p exp(-d^2 / (2 sigma^2))`` (see :class:`spikesim.DistanceDependentFormation`)."""

    def __init__(self, grid=(16, 16), p_form_forward=0.16, sigma_form_forward=2.5,
                 p_form_lateral=1.0, sigma_form_lateral=1.0):
        try:
            super().__init__(grid, p_form_forward, sigma_form_forward, p_form_lateral,
                             sigma_form_lateral)
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(str(exc)) from None


class RandomByWeightElimination(_rw.RandomByWeightElimination):
    """sPyNNaker's ``RandomByWeightElimination(threshold, prob_elim_depressed=0.0245,
    prob_elim_potentiated=1.36e-4)`` (see :class:`spikesim.RandomByWeightElimination`)."""

    def __init__(self, threshold, prob_elim_depressed=0.0245, prob_elim_potentiated=1.36e-4):
        try:
            super().__init__(threshold, prob_elim_depressed, prob_elim_potentiated)
        except (TypeError, ValueError) as exc:
            raise errors.InvalidParameterValueError(str(exc)) from None


def _rule(kind, partner_selection, formation, elimination, f_rew, initial_weight, initial_delay,
          s_max, with_replacement, seed, legacy):
    bad = sorted(set(legacy) & set(_LEGACY))
    if bad:
        raise NotImplementedError(f"{kind}({', '.join(bad)}=...): sPyNNaker 4's keyword API of "
                                  "structural plasticity is not available; pass partner_selection, "
                                  "formation and elimination rules (sPyNNaker 5 and later)")
    if legacy:
        raise TypeError(f"{kind}() got unexpected keyword arguments {sorted(legacy)}")
    if isinstance(initial_delay, list):
        initial_delay = tuple(initial_delay)
    return _checked(_rw.StructuralPlasticity, partner_selection, formation, elimination, f_rew,
                    initial_weight, initial_delay, s_max, with_replacement, seed)


class StructuralMechanismStatic(StaticSynapse):
    """sPyNNaker's ``StructuralMechanismStatic``: rewiring of static synapses.

    Parameters (sPyNNaker's names and defaults): ``partner_selection``, ``formation``,
    ``elimination``, ``f_rew=10000.0`` (Hz), ``initial_weight=0.0``,
    ``initial_delay=1.0`` (ms, or a pair ``(lo, hi)``), ``s_max=32``,
    ``with_replacement=True``, ``seed=None``, and the connector's ``weight`` and
    ``delay``.
    """

    def __init__(self, partner_selection, formation, elimination, f_rew=_rw.DEFAULT_F_REW,
                 initial_weight=0.0, initial_delay=1.0, s_max=_rw.DEFAULT_S_MAX,
                 with_replacement=True, seed=None, weight=0.0, delay=None, **legacy):
        self.rewiring_rule = _rule("StructuralMechanismStatic", partner_selection, formation,
                                   elimination, f_rew, initial_weight, initial_delay, s_max,
                                   with_replacement, seed, legacy)
        super().__init__(weight=weight, delay=delay)


class StructuralMechanismSTDP(STDPMechanism):
    """sPyNNaker's ``StructuralMechanismSTDP``: rewiring of STDP synapses.

    Parameters: ``partner_selection``, ``formation``, ``elimination``,
    ``timing_dependence``, ``weight_dependence`` (as :class:`STDPMechanism`),
    ``voltage_dependence=None`` (anything else refused, as in sPyNNaker),
    ``dendritic_delay_fraction=1.0``, ``f_rew``, ``initial_weight``,
    ``initial_delay``, ``s_max``, ``with_replacement``, ``seed``, ``weight``,
    ``delay``, ``backprop_delay=True`` (False is refused).
    """

    def __init__(self, partner_selection, formation, elimination, timing_dependence=None,
                 weight_dependence=None, voltage_dependence=None, dendritic_delay_fraction=1.0,
                 f_rew=_rw.DEFAULT_F_REW, initial_weight=0.0, initial_delay=1.0,
                 s_max=_rw.DEFAULT_S_MAX, with_replacement=True, seed=None, weight=0.0,
                 delay=None, backprop_delay=True, **legacy):
        self.rewiring_rule = _rule("StructuralMechanismSTDP", partner_selection, formation,
                                   elimination, f_rew, initial_weight, initial_delay, s_max,
                                   with_replacement, seed, legacy)
        if backprop_delay is not True:
            raise NotImplementedError(f"StructuralMechanismSTDP(backprop_delay={backprop_delay!r}) "
                                      "is not available in spikesim (True only)")
        super().__init__(timing_dependence, weight_dependence, voltage_dependence,
                         dendritic_delay_fraction, weight, delay)


class Projection(_projections.Projection):
    """``sim.Projection``: PyNN's projection, plus sPyNNaker's structural synapse types.

    With ``StructuralMechanismStatic`` / ``StructuralMechanismSTDP`` the connector gives
    the initial connections (possibly none, e.g. ``FromListConnector([])``); rewiring
    then changes them while the network runs, and every access (``len``, ``get``,
    ``save``, ``proj[i]``) reports the connections that exist at that moment.
    """

    __doc__ = __doc__ + "\n" + (_projections.Projection.__doc__ or "")

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(), label=None):
        self._rewiring_rule = getattr(synapse_type, "rewiring_rule", None)
        if self._rewiring_rule is not None:
            for name, p in (("presynaptic", presynaptic_population),
                            ("postsynaptic", postsynaptic_population)):
                if not isinstance(p, _Population):
                    raise NotImplementedError(f"structural plasticity with a {name} "
                                              f"{type(p).__name__}: spikesim supports whole "
                                              "Populations only")
        super().__init__(presynaptic_population, postsynaptic_population, connector, synapse_type,
                         source, receptor_type, space, label)

    def _build(self):
        super()._build()
        rule = self._rewiring_rule
        if rule is None:
            return
        receptor = getattr(self.post.celltype, "ss_receptor", str)(self.receptor_type)
        if not self._parts:  # no initial connections: an empty spikesim projection
            synapse = None
            if isinstance(self.synapse_type, STDPMechanism):
                synapse = self.synapse_type.to_spikesim({}, self.receptor_type, self.post.celltype)
            try:
                ss = state.net._restore_projection(
                    self.pre._ss, self.post._ss, receptor, str(self.label),
                    np.zeros(self.pre.size + 1, np.int64), np.zeros(0, np.int32),
                    np.zeros(1), np.ones(1, np.uint16), synapse)
            except ValueError as exc:
                raise errors.ConnectionError(str(exc)) from None
            self._parts.append(ss)
        w0 = self._native_weights(np.array([rule.initial_weight]))[0]
        try:
            _rw.add_rewiring(self._parts[0], dataclasses.replace(rule, initial_weight=float(w0)))
        except ValueError as exc:
            raise errors.InvalidParameterValueError(str(exc)) from None
        self._refresh()

    def _refresh(self):
        """Connection lists from the structural projection as it is now."""
        if self._rewiring_rule is None:
            return
        pre, post = self._parts[0].connections()
        self._pre_idx, self._post_idx = pre.astype(np.int64), post.astype(np.int64)
        self._part = np.zeros(pre.shape[0], np.int64)
        self._pos = np.arange(pre.shape[0], dtype=np.int64)

    def __len__(self):
        self._refresh()
        return super().__len__()

    def _values(self, name):
        self._refresh()
        return super()._values(name)

    def _get_attributes_as_list(self, names):
        self._refresh()
        return super()._get_attributes_as_list(names)

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        self._refresh()
        return super()._get_attributes_as_arrays(names, multiple_synapses)

    def _set_attributes(self, parameter_space):
        self._refresh()
        if self._rewiring_rule is not None and "delay" in parameter_space.keys():
            raise NotImplementedError("setting the delays of a structural projection is not "
                                      "available in spikesim")
        return super()._set_attributes(parameter_space)
