"""CubaLIFStep: current-based LIF whose membrane takes the synaptic current of the same step.

The discrete-time current-based LIF of snnTorch's ``Synaptic`` and Norse's
NIR ``CubaLIF`` (Norse ``norse.torch.utils.import_nir``: a leaky-integrator
synapse followed by a ``LIFBox`` membrane; snnTorch ``_neurons/synaptic.py``):
the synaptic current is updated first, with this step's input, and the
membrane integrates that new current in the same step. A spike therefore
reaches ``v`` in the step it arrives, and a recurrent loop through the
neuron takes one step, as in those simulators (spikesim's
:mod:`.if_curr_exp` follows NEST's order, in which ``v`` moves with the
previous step's current, one step later).

.. math::

    \\tau_{syn,x} \\frac{dI_x}{dt} = -I_x + i_{bias,x}, \\qquad
    c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + I_e + I_i + i_{offset}

stepped with the exponential-Euler scheme (exponential integrator with the
synaptic current held at its end-of-step value over the step):

.. math::

    I_{x,t} = P_{11x} I_{x,t-1} + (1 - P_{11x})\\, i_{bias,x} + \\text{input}_{x,t},
    \\qquad
    v_t = P_{22} v_{t-1} + (1 - P_{22}) \\Big(v_{rest}
          + \\frac{\\tau_m}{c_m} (I_{e,t} + I_{i,t} + i_{offset})\\Big)

with ``P22 = exp(-dt/tau_m)``, ``P11x = exp(-dt/tau_syn_x)``. Norse's and
snnTorch's forward Euler, ``v += h/tau (v_leak - v + r I)``, is this recursion
with ``tau_m' = -dt / ln(1 - h/tau)`` (and the same for ``tau_syn``) and
``c_m = tau_m' / r``: :mod:`spikesim.export.nir_nodes` maps NIR ``CubaLIF``
nodes so with ``scheme="euler"``.

A spike adds its weight (nA; negative for inhibitory) to ``I_x``.
``i_bias`` (nA, per receptor ``i_bias_E`` and ``i_bias_I``, default 0) is a
constant input to the synaptic current (NIR's ``Affine`` bias in front of a
``CubaLIF``): it rises with ``tau_syn`` from the start. ``i_offset`` is
PyNN's constant membrane current. Threshold (``v >= v_thresh``), reset
(``v_reset``, or by subtraction with ``reset="subtract"``), refractoriness
and ``integrate_refractory`` as :mod:`.if_curr_exp`. Defaults as PyNN's
``IF_curr_exp``. spikesim only: no PyNN, NEST or SpiNNaker counterpart.
"""
import numpy as np

from .._config import jit
from .propagators import check_reset_below_threshold, stack
from .threshold import refractory_and_spike

NAME = "CubaLIFStep"
STATE = ("v", "isyn_exc", "isyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("p22", "p11e", "p11i", "k", "v_const", "ib_e", "ib_i", "v_thresh", "v_reset",
           "n_ref", "integrate_refractory", "reset_subtract")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ("integrate_refractory",)

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_refrac=0.1, tau_syn_E=5.0, tau_syn_I=5.0, i_offset=0.0, i_bias_E=0.0,
                  i_bias_I=0.0, integrate_refractory=0.0, reset_subtract=0.0)
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", v_reset="mV", v_thresh="mV", tau_refrac="ms",
             tau_syn_E="ms", tau_syn_I="ms", i_offset="nA", i_bias_E="nA", i_bias_I="nA",
             integrate_refractory="", reset_subtract="", v="mV", isyn_exc="nA", isyn_inh="nA")
POSITIVE = ("tau_m", "cm", "tau_syn_E", "tau_syn_I")
NON_NEGATIVE = ("tau_refrac",)
FLAGS = ("integrate_refractory", "reset_subtract")
INITIAL = dict(v="v_rest", isyn_exc=0.0, isyn_inh=0.0)
EXTENSIONS = ("integrate_refractory", "reset_subtract")

TRANSLATIONS = {"pynn": None, "nest": None, "nir": None, "spinnaker": None}


@jit
def step(v, ie, ii, r, in_e, in_i, p22, p11e, p11i, k, vc, ibe, ibi, vth, vreset, nref, integ,
         subtract):
    ie = p11e * ie + ibe + in_e
    ii = p11i * ii + ibi + in_i
    vn = p22 * v + k * (ie + ii) + vc
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, integ, subtract)
    return vn, ie, ii, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    p22 = np.exp(-dt / tau_m)
    p11e, p11i = np.exp(-dt / np.asarray(p["tau_syn_E"])), np.exp(-dt / np.asarray(p["tau_syn_I"]))
    k = -np.expm1(-dt / tau_m) * tau_m / cm
    return stack([p22, p11e, p11i, k,
                  -np.expm1(-dt / tau_m) * p["v_rest"] + k * (p["i_offset"] + i_inj),
                  (1.0 - p11e) * p["i_bias_E"], (1.0 - p11i) * p["i_bias_I"],
                  p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                  p["integrate_refractory"], p["reset_subtract"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
