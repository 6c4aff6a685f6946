"""sPyNNaker's ``extra_models`` on spikesim's kernel: ``sim.extra_models.<name>``.

Neuron models under sPyNNaker's names, with its parameter names, defaults and units
(each is a spikesim model module; its docstring names the equations):

==========================  ==============================================
sPyNNaker                   spikesim
==========================  ==============================================
``IFCurDelta``              :class:`spikesim.IF_curr_delta` (PyNN's)
``IF_curr_dual_exp``        :class:`spikesim.IF_curr_dual_exp`
``IFCurrExpCa2Adaptive``    :class:`spikesim.IFCurrExpCa2Adaptive`
``IFCondExpStoc``           :class:`spikesim.IFCondExpStoc`
``IF_curr_exp_sEMD``        :class:`spikesim.IF_curr_exp_sEMD`
``Izhikevich_cond``         :class:`spikesim.Izhikevich_cond`
==========================  ==============================================

Any other name sPyNNaker's ``extra_models`` offers raises ``NotImplementedError``
naming it.
"""
import spikesim as _ss
from spikesim.pynn.standardmodels import IF_curr_delta as IFCurDelta
from spikesim.pynn.standardmodels import spynnaker_cell_type as _cell_type

IF_curr_dual_exp = _cell_type(_ss.IF_curr_dual_exp, "IF_curr_dual_exp")
IFCurrExpCa2Adaptive = _cell_type(_ss.IFCurrExpCa2Adaptive, "IFCurrExpCa2Adaptive")
IFCondExpStoc = _cell_type(_ss.IFCondExpStoc, "IFCondExpStoc")
IF_curr_exp_sEMD = _cell_type(_ss.IF_curr_exp_sEMD, "IF_curr_exp_sEMD")
Izhikevich_cond = _cell_type(_ss.Izhikevich_cond, "Izhikevich_cond")

# sPyNNaker's other extra models, not (yet) in spikesim
_MISSING = ("IF_curr_delta_ca2_adaptive", "IFCurrDeltaCa2Adaptive", "IF_curr_exp_ca2_adaptive",
            "IzhikevichNeuromodulation", "IF_curr_alpha_dual_exp", "SpikeSourcePoissonVariable",
            "Neuromodulation", "RecurrentRule", "PfisterSpikeTriplet",
            "WeightDependenceAdditiveTriplet", "Vogels2011Rule", "SpikeNearestPairRule",
            "AllButMeConnector", "SpikeSourceFromFile")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(f"sim.extra_models.{name} is not available in spikesim"
                              + (" yet" if name in _MISSING else ""))
