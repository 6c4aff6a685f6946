"""IFCurrExpSpiNNaker: sPyNNaker's ``IF_curr_exp``, computed as a SpiNNaker board computes it.

The model is PyNN's ``IF_curr_exp`` (:mod:`.if_curr_exp`),

.. math::

    c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + I_e + I_i + i_{offset},
    \\qquad \\frac{dI_x}{dt} = -\\frac{I_x}{\\tau_{syn,x}},

discretised as sPyNNaker's C code does (:mod:`.spinnaker_lif` gives the source
files and the tick): the input of a tick is added, scaled by
``tau_x/h (1 - e^{-h/tau_x})``, *before* the membrane step; the membrane takes an
exponential-Euler step with the current held constant over the tick; a spike
resets ``v`` and holds it for ``ceil(tau_refrac / h)`` ticks; the currents decay
by one tick. A spike delivered for tick ``t`` therefore moves ``v`` in tick ``t`` (one step
sooner than NEST's ``iaf_psc_exp``, which :mod:`.if_curr_exp` follows). The held
currents of one input of weight ``w`` (nA) sum to a charge ``h \\sum_k init\\, w\\,
decay^k = w \\tau_x`` (nA ms), the charge of NEST's exponential current.

``spikesim.pynn.spynnaker`` uses this model for sPyNNaker's ``IF_curr_exp`` so that
scripts written for SpiNNaker see SpiNNaker's spike times. Differences from the
board, on purpose: floating point instead of s16.15 fixed point. Inhibitory weights
are negative currents (PyNN's sign), where sPyNNaker subtracts a positive input.

State: ``v`` and the currents ``isyn_exc`` / ``isyn_inh`` (nA) *as used in the last
tick* (input added, not yet decayed): the step decays them first, then adds the new
input, which is the same sequence of values as the board's. So a sample after tick
``t`` holds ``v`` at the start of tick ``t + 1`` and the currents of tick ``t``, the
values SpiNNaker records at ticks ``t + 1`` and ``t`` (``TICK_VALUES`` names the
variables recorded one tick back; the sPyNNaker front end lines them up).

Parameters: PyNN's ``IF_curr_exp`` (``tau_m`` 20 ms, ``cm`` 1 nF, ``v_rest``
-65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV, ``tau_refrac`` 0.1 ms,
``tau_syn_E`` / ``tau_syn_I`` 5 ms, ``i_offset`` 0 nA).
"""
import numpy as np

from .._config import jit
from . import if_curr_exp as _base
from .propagators import check_reset_below_threshold, stack
from .spinnaker_lif import lif_tick, membrane_columns, synapse_factors

NAME = "IFCurrExpSpiNNaker"
STATE = ("v", "isyn_exc", "isyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("init_e", "init_i", "decay_e", "decay_i", "r_m", "exp_tc", "alpha_rest",
           "v_thresh", "v_reset", "n_ref")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

PARAMETERS = {k: v for k, v in _base.PARAMETERS.items() if k not in _base.EXTENSIONS}
UNITS = {k: v for k, v in _base.UNITS.items() if k not in _base.EXTENSIONS}
POSITIVE = _base.POSITIVE
NON_NEGATIVE = _base.NON_NEGATIVE
FLAGS = ()
EXTENSIONS = ()
TICK_VALUES = STATE[1:]
INITIAL = dict(v="v_rest", isyn_exc=0.0, isyn_inh=0.0)

TRANSLATIONS = {"pynn": None, "nest": None, "nir": None, "spinnaker": "IF_curr_exp"}


@jit
def step(v, ie, ii, r, in_e, in_i, init_e, init_i, decay_e, decay_i, r_m, exp_tc, alpha_rest,
         vth, vreset, nref):
    ie = decay_e * ie + init_e * in_e
    ii = decay_i * ii + init_i * in_i
    v, r, spike = lif_tick(v, r, ie + ii, alpha_rest, r_m, exp_tc, vth, vreset, nref)
    return v, ie, ii, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    init_e, decay_e = synapse_factors(p["tau_syn_E"], dt)
    init_i, decay_i = synapse_factors(p["tau_syn_I"], dt)
    return stack([init_e, init_i, decay_e, decay_i, *membrane_columns(p, dt, i_inj)])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
