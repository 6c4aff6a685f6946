"""IFCurrDeltaSpiNNaker: sPyNNaker's ``IF_curr_delta``, computed as a SpiNNaker board computes it.

sPyNNaker's ``IF_curr_delta`` (``builds/if_curr_delta.py``: LIF membrane, ``SynapseTypeDelta``,
``InputTypeDelta``) is not PyNN's (:mod:`.if_curr_delta`, where a weight is a jump of
``v`` in mV). On the board (``neuron_impl_standard.h``, ``input_types/input_type_delta.h``,
``models/neuron_model_lif_impl.h``) the summed weights of a tick, ``w_e + w_i`` (nA in
sPyNNaker's naming; a charge, nA ms), become a current ``(w_e + w_i) / h`` held over that tick, and the membrane takes the
exponential-Euler step of :mod:`.spinnaker_lif`:

.. math::

    \\alpha = R \\left(\\frac{w_e + w_i}{h} + i_{offset}\\right) + v_{rest}, \\qquad
    v \\leftarrow \\alpha - e^{-h/\\tau_m} (\\alpha - v), \\qquad R = \\tau_m / c_m,

so one weight ``w`` moves ``v`` by ``(w / c_m) (\\tau_m / h)(1 - e^{-h/\\tau_m})`` mV, a little
less than ``w / c_m``; the input of a tick acts in that tick, and input that arrives while
the neuron is refractory is lost. Threshold, reset and ``ceil(tau_refrac / h)`` refractory
ticks as :mod:`.spinnaker_lif`. Floating point instead of s16.15; inhibitory weights are
negative (PyNN's sign).

State: ``v`` and ``isyn_exc`` / ``isyn_inh``, the summed weights of the last tick (what the
board records as ``gsyn_exc`` / ``gsyn_inh``; ``TICK_VALUES`` as in
:mod:`.if_curr_exp_spinnaker`). Parameters: sPyNNaker's ``IF_curr_delta`` (``tau_m`` 20 ms,
``cm`` 1 nF, ``v_rest`` -65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV, ``tau_refrac``
0.1 ms, ``i_offset`` 0 nA).
"""
import numpy as np

from .._config import jit
from . import if_curr_delta as _base
from .propagators import check_reset_below_threshold, stack
from .spinnaker_lif import lif_tick, membrane_columns

NAME = "IFCurrDeltaSpiNNaker"
STATE = ("v", "isyn_exc", "isyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("inv_h", "r_m", "exp_tc", "alpha_rest", "v_thresh", "v_reset", "n_ref")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

PARAMETERS = {k: v for k, v in _base.PARAMETERS.items() if k not in _base.EXTENSIONS}
UNITS = {**{k: v for k, v in _base.UNITS.items() if k not in _base.EXTENSIONS},
         "isyn_exc": "nA", "isyn_inh": "nA"}  # summed weights of a tick, as sPyNNaker names them
POSITIVE = _base.POSITIVE
NON_NEGATIVE = _base.NON_NEGATIVE
FLAGS = ()
EXTENSIONS = ()
TICK_VALUES = STATE[1:]
INITIAL = dict(v="v_rest", isyn_exc=0.0, isyn_inh=0.0)

TRANSLATIONS = {"pynn": None, "nest": None, "nir": None, "spinnaker": "IF_curr_delta"}


@jit
def step(v, ie, ii, r, in_e, in_i, inv_h, r_m, exp_tc, alpha_rest, vth, vreset, nref):
    v, r, spike = lif_tick(v, r, (in_e + in_i) * inv_h, alpha_rest, r_m, exp_tc, vth, vreset,
                           nref)
    return v, in_e, in_i, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    mem = membrane_columns(p, dt, i_inj)
    return stack([np.full_like(mem[0], 1.0 / dt), *mem])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
