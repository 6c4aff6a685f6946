"""sPyNNaker's ``extra_models`` on spikesim's kernel: ``sim.extra_models.<name>``.

Neuron models under sPyNNaker's names, with its parameter names, defaults and units
(each is a spikesim model module; its docstring names the equations):

==========================  ==============================================
sPyNNaker                   spikesim
==========================  ==============================================
``IFCurDelta``              :class:`spikesim.IFCurrDeltaSpiNNaker` (as ``sim.IF_curr_delta``)
``IF_curr_dual_exp``        :class:`spikesim.IF_curr_dual_exp`
``IFCurrExpCa2Adaptive``    :class:`spikesim.IFCurrExpCa2Adaptive`
``IFCondExpStoc``           :class:`spikesim.IFCondExpStoc`
``IF_curr_exp_sEMD``        :class:`spikesim.IF_curr_exp_sEMD`
``Izhikevich_cond``         :class:`spikesim.Izhikevich_cond`
==========================  ==============================================

STDP rules under sPyNNaker's names and parameters (:mod:`.plasticity`):
``SpikeNearestPairRule``, ``PfisterSpikeTriplet`` with ``WeightDependenceAdditiveTriplet``,
``Vogels2011Rule``, ``RecurrentRule``; ``Neuromodulation`` (dopamine-modulated STDP, :class:`Neuromodulation`);
``AllButMeConnector`` (every pair but equal indices) and
``OneToOneOffsetConnector`` (:class:`spikesim.pynn.connectors.OneToOneOffsetConnector`).

Any other name sPyNNaker's ``extra_models`` offers raises ``NotImplementedError``
naming it.
"""
import numpy as _np
from pyNN.connectors import IndexBasedExpression as _Expression
from pyNN.connectors import IndexBasedProbabilityConnector as _IndexBased
from pyNN.random import NumpyRNG as _NumpyRNG

import spikesim as _ss
from pyNN.errors import InvalidParameterValueError as _InvalidParameterValueError
from ..standardmodels import StaticSynapse as _StaticSynapse
from .lif_cells import IF_curr_delta as IFCurDelta
from spikesim.pynn.standardmodels import spynnaker_cell_type as _cell_type

from spikesim.pynn.connectors import OneToOneOffsetConnector  # noqa: F401
from .sources import SpikeSourcePoissonVariable  # noqa: F401
from .plasticity import (PfisterSpikeTriplet, RecurrentRule, SpikeNearestPairRule,  # noqa: F401
                         Vogels2011Rule, WeightDependenceAdditiveTriplet)

IF_curr_dual_exp = _cell_type(_ss.IF_curr_dual_exp, "IF_curr_dual_exp")
IFCurrExpCa2Adaptive = _cell_type(_ss.IFCurrExpCa2Adaptive, "IFCurrExpCa2Adaptive")
IFCondExpStoc = _cell_type(_ss.IFCondExpStoc, "IFCondExpStoc")
IF_curr_exp_sEMD = _cell_type(_ss.IF_curr_exp_sEMD, "IF_curr_exp_sEMD")
Izhikevich_cond = _cell_type(_ss.Izhikevich_cond, "Izhikevich_cond")

class _NotSame(_Expression):
    """PyNN index expression: probability 1 where the pre and post indices differ."""

    def __call__(self, i, j):
        return (_np.asarray(i) != _np.asarray(j)).astype(float)


class AllButMeConnector(_IndexBased):
    """sPyNNaker's ``AllButMeConnector``: every pre neuron to every post neuron except the one
    with its own index (also between two populations).

    ``n_neurons_per_group`` (groups that connect only within themselves) and a ``weights``
    matrix are not available here and raise ``NotImplementedError``; give weights through
    the synapse type, as in PyNN.
    """

    def __init__(self, n_neurons_per_group=None, weights=None, safe=True, callback=None,
                 verbose=False):
        if n_neurons_per_group is not None:
            raise NotImplementedError("AllButMeConnector(n_neurons_per_group=...) is not "
                                      "available in spikesim")
        if weights is not None:
            raise NotImplementedError("AllButMeConnector(weights=...) is not available in "
                                      "spikesim; set the weight on the synapse type")
        super().__init__(_NotSame(), allow_self_connections=True, rng=_NumpyRNG(0), safe=safe,
                         callback=callback)


# sPyNNaker's other extra models, not (yet) in spikesim
_MISSING = ("IF_curr_delta_ca2_adaptive", "IFCurrDeltaCa2Adaptive", "IF_curr_exp_ca2_adaptive",
            "IzhikevichNeuromodulation", "IF_curr_alpha_dual_exp", "SpikeSourceFromFile")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(f"sim.extra_models.{name} is not available in spikesim"
                              + (" yet" if name in _MISSING else ""))


class Neuromodulation(_StaticSynapse):
    """sPyNNaker's ``Neuromodulation`` (``SynapseDynamicsNeuromodulation``): the synapse type of a
    projection onto receptor ``"reward"`` or ``"punishment"``, whose weight is a dopamine
    concentration. It turns the STDP projections onto its target population into
    dopamine-modulated ones (Izhikevich 2007): :class:`spikesim.Neuromodulation`, equations in
    :mod:`spikesim.kernels.neuromodulation`.

    Parameters (sPyNNaker's defaults): ``weight=0.0`` (concentration), ``tau_c=1000.0`` and
    ``tau_d=200.0`` (ms, > 0), ``w_min=0.0`` and ``w_max=1.0`` (bounds of the modulated
    weights, >= 0). The delay is one time step, as in sPyNNaker.
    """

    def __init__(self, weight=0.0, tau_c=1000.0, tau_d=200.0, w_min=0.0, w_max=1.0):
        try:
            self._spec = _ss.Neuromodulation(tau_c=tau_c, tau_d=tau_d, w_min=w_min, w_max=w_max)
        except (TypeError, ValueError) as exc:
            raise _InvalidParameterValueError(str(exc)) from None
        super().__init__(weight=weight)

    def spikesim_neuromodulation(self):
        """The :class:`spikesim.Neuromodulation` this stands for."""
        return self._spec
