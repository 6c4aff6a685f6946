"""IF_curr_dual_exp: leaky integrate-and-fire neuron with two excitatory and one inhibitory
exponential current synapse.

sPyNNaker ``IF_curr_dual_exp`` (an extra model of sPyNNaker, not a PyNN standard
cell; no NEST counterpart). Receptors ``excitatory``, ``excitatory2`` and
``inhibitory`` (sPyNNaker's synapse types 0, 1, 2), each an exponentially
decaying current with its own time constant (``tau_syn_E``, ``tau_syn_E2``,
``tau_syn_I``):

.. math::

    c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + I_e + I_{e2} + I_i + i_{offset},
    \\qquad \\frac{dI_x}{dt} = -\\frac{I_x}{\\tau_{syn,x}}

A spike adds its weight (nA; negative for inhibitory) to ``I_x``. Integrated
exactly (Rotter & Diesmann 1999, Biol. Cybern. 81:381), step order and
threshold, reset and refractoriness as :mod:`.if_curr_exp`:

.. math::

    v_{t+1} = P_{22} v_t + \\sum_x P_{21,x} I_{x,t} + v_{const},
    \\qquad I_{x,t+1} = e^{-h/\\tau_{syn,x}} I_{x,t} + \\text{input}_{x,t+1}

so a single weight ``w`` arriving at ``t = 0`` gives the closed-form PSP
``v - v_rest = w tau_s tau_m / (c_m (tau_m - tau_s)) (e^{-t/tau_m} - e^{-t/tau_s})``
at every step. (sPyNNaker itself scales the input of each step by its
fixed-point ``init`` factor ``tau/h (1 - e^{-h/tau})``; spikesim follows the
exact, NEST-style convention of :mod:`.if_curr_exp`.)

Parameters (defaults as sPyNNaker's ``IFCurrDualExpBase``): ``tau_m`` 20 ms,
``cm`` 1 nF, ``v_rest`` -65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV,
``tau_syn_E`` 5 ms, ``tau_syn_E2`` 5 ms, ``tau_syn_I`` 5 ms, ``tau_refrac``
0.1 ms, ``i_offset`` 0 nA; ``integrate_refractory`` and ``reset="subtract"``
as :mod:`.if_curr_exp`. State (sPyNNaker's names): ``v``, ``isyn_exc``,
``isyn_exc2``, ``isyn_inh``.
"""
import numpy as np

from .._config import jit
from .propagators import check_reset_below_threshold, p21, stack
from .threshold import refractory_and_spike

NAME = "IF_curr_dual_exp"
STATE = ("v", "isyn_exc", "isyn_exc2", "isyn_inh")
RECEPTORS = ("excitatory", "excitatory2", "inhibitory")
COLUMNS = ("p22", "p21e", "p21e2", "p21i", "p11e", "p11e2", "p11i", "v_const", "v_thresh",
           "v_reset", "n_ref", "integrate_refractory", "reset_subtract")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ("integrate_refractory",)

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_refrac=0.1, tau_syn_E=5.0, tau_syn_E2=5.0, tau_syn_I=5.0, i_offset=0.0,
                  integrate_refractory=0.0, reset_subtract=0.0)
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", v_reset="mV", v_thresh="mV", tau_refrac="ms",
             tau_syn_E="ms", tau_syn_E2="ms", tau_syn_I="ms", i_offset="nA",
             integrate_refractory="", reset_subtract="", v="mV", isyn_exc="nA", isyn_exc2="nA",
             isyn_inh="nA")
POSITIVE = ("tau_m", "cm", "tau_syn_E", "tau_syn_E2", "tau_syn_I")
NON_NEGATIVE = ("tau_refrac",)
FLAGS = ("integrate_refractory", "reset_subtract")
INITIAL = dict(v="v_rest", isyn_exc=0.0, isyn_exc2=0.0, isyn_inh=0.0)
EXTENSIONS = ("integrate_refractory", "reset_subtract")

TRANSLATIONS = {
    "pynn": None,    # not a PyNN standard cell: the PyNN exporter and the NEST backend refuse it
    "nest": None,
    "nest_state": {},
    "nest_receptors": {},
    "nir": None,
    "spinnaker": "IF_curr_dual_exp",
}


@jit
def step(v, ie, ie2, ii, r, in_e, in_e2, in_i, p22, p21e, p21e2, p21i, p11e, p11e2, p11i, vc, vth,
         vreset, nref, integ, subtract):
    vn = p22 * v + p21e * ie + p21e2 * ie2 + p21i * ii + vc
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, integ, subtract)
    ie = p11e * ie + in_e
    ie2 = p11e2 * ie2 + in_e2
    ii = p11i * ii + in_i
    return vn, ie, ie2, ii, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    taus = [np.asarray(p[k]) for k in ("tau_syn_E", "tau_syn_E2", "tau_syn_I")]
    p22 = np.exp(-dt / tau_m)
    p20 = -tau_m / cm * np.expm1(-dt / tau_m)
    return stack([p22] + [p21(tau_m, t, cm, dt) for t in taus] + [np.exp(-dt / t) for t in taus]
                 + [-np.expm1(-dt / tau_m) * p["v_rest"] + p20 * (p["i_offset"] + i_inj),
                    p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                    p["integrate_refractory"], p["reset_subtract"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
