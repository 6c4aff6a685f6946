"""IFCondExpSpiNNaker: sPyNNaker's ``IF_cond_exp``, computed as a SpiNNaker board computes it.

The model is PyNN's ``IF_cond_exp`` (:mod:`.if_cond_exp`),

.. math::

    c_m \\frac{dv}{dt} = \\frac{c_m}{\\tau_m}(v_{rest} - v) + g_e (E_e - v)
        + g_i (E_i - v) + i_{offset}, \\qquad
    \\frac{dg_x}{dt} = -\\frac{g_x}{\\tau_{syn,x}},

discretised as sPyNNaker's C code does: the tick of :mod:`.spinnaker_lif`
(input added with the factor ``tau_x/h (1 - e^{-h/tau_x})`` before the membrane
step, exponential Euler with the input current held over the tick, reset and
``ceil(tau_refrac / h)`` refractory ticks, decay by a tick), with the conductances turned
into a current at the membrane potential of the start of the tick
(``input_types/input_type_conductance.h``):

.. math::

    I = g_e (E_e - v_t) + g_i (E_i - v_t).

Weights are conductances (uS, >= 0). The conductances in the state are those of
the last tick, as in :mod:`.if_curr_exp_spinnaker` (``TICK_VALUES``). ``spikesim.pynn.spynnaker`` uses this model for
sPyNNaker's ``IF_cond_exp``. Differences from the board, on purpose: floating point
instead of s16.15 fixed point. Parameters: those of ``IF_cond_exp`` (PyNN's defaults,
``e_rev_E`` 0 mV, ``e_rev_I`` -70 mV).
"""
import numpy as np

from .._config import jit
from . import if_cond_exp as _base
from . import if_curr_exp_spinnaker as _curr
from .propagators import check_reset_below_threshold, stack
from .spinnaker_lif import lif_tick

NAME = "IFCondExpSpiNNaker"
STATE = ("v", "gsyn_exc", "gsyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = _curr.COLUMNS + ("e_rev_E", "e_rev_I")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

PARAMETERS = {k: v for k, v in _base.PARAMETERS.items() if k not in _base.EXTENSIONS}
UNITS = {k: v for k, v in _base.UNITS.items() if k not in _base.EXTENSIONS}
POSITIVE = _base.POSITIVE
NON_NEGATIVE = _base.NON_NEGATIVE
FLAGS = ()
EXTENSIONS = ()
TICK_VALUES = STATE[1:]
INITIAL = dict(v="v_rest", gsyn_exc=0.0, gsyn_inh=0.0)
CONDUCTANCE = True

TRANSLATIONS = {"pynn": None, "nest": None, "nir": None, "spinnaker": "IF_cond_exp"}


@jit
def step(v, ge, gi, r, in_e, in_i, init_e, init_i, decay_e, decay_i, r_m, exp_tc, alpha_rest,
         vth, vreset, nref, e_e, e_i):
    ge = decay_e * ge + init_e * in_e
    gi = decay_i * gi + init_i * in_i
    current = ge * (e_e - v) + gi * (e_i - v)
    v, r, spike = lif_tick(v, r, current, alpha_rest, r_m, exp_tc, vth, vreset, nref)
    return v, ge, gi, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    return stack([*_curr.columns(p, dt, i_inj), p["e_rev_E"], p["e_rev_I"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
