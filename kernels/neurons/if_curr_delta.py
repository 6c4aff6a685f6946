"""IF_curr_delta: leaky integrate-and-fire neuron whose synaptic input jumps the membrane.

PyNN ``IF_curr_delta`` / NEST ``iaf_psc_delta`` / sPyNNaker ``IF_curr_delta``:

.. math::

    c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + i_{offset}
        + c_m \\sum_k w_k \\, \\delta(t - t_k)

A spike of weight ``w`` moves ``v`` by ``w`` **mV** at once (PyNN's and NEST's
unit for this model's weights: pyNN.nest passes them to NEST unscaled;
negative for inhibitory). Integration is exact (Rotter & Diesmann 1999,
Biol. Cybern. 81:381), in NEST's order for one step: the membrane decays and
receives this step's input, then the threshold is checked.

.. math::

    v_{t+1} = P_{33} v_t + (1 - P_{33}) v_{rest}
        + \\frac{\\tau_m}{c_m} (1 - P_{33}) i_{offset} + \\text{input}_{e,t+1}
        + \\text{input}_{i,t+1}, \\qquad P_{33} = e^{-h/\\tau_m}

Threshold, reset and refractoriness as :mod:`.if_curr_exp`. While refractory
``v`` is held at ``v_reset`` and **input arriving then is lost**, as in NEST's
``iaf_psc_delta`` with its default ``refractory_input=False``; with
``integrate_refractory=1`` the input is added (the membrane integrates, the
neuron cannot fire). Parameters (defaults as PyNN): ``tau_m`` 20 ms, ``cm``
1 nF, ``v_rest`` -65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV,
``tau_refrac`` 0.1 ms, ``i_offset`` 0 nA; ``integrate_refractory`` and
``reset="subtract"`` as :mod:`.if_curr_exp` (spikesim only, not exported).
"""
import numpy as np

from .._config import jit
from .propagators import check_reset_below_threshold, stack
from .threshold import refractory_and_spike

NAME = "IF_curr_delta"
STATE = ("v",)
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("p33", "v_const", "v_thresh", "v_reset", "n_ref", "integrate_refractory",
           "reset_subtract")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ("integrate_refractory",)

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_refrac=0.1, i_offset=0.0, integrate_refractory=0.0, reset_subtract=0.0)
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", v_reset="mV", v_thresh="mV", tau_refrac="ms",
             i_offset="nA", integrate_refractory="", reset_subtract="", v="mV")
POSITIVE = ("tau_m", "cm")
NON_NEGATIVE = ("tau_refrac",)
FLAGS = ("integrate_refractory", "reset_subtract")
INITIAL = dict(v="v_rest")
EXTENSIONS = ("integrate_refractory", "reset_subtract")

TRANSLATIONS = {
    "pynn": "IF_curr_delta",
    "nest": ("iaf_psc_delta", {"tau_m": ("tau_m", 1.0), "cm": ("C_m", 1000.0),
                               "v_rest": ("E_L", 1.0), "v_reset": ("V_reset", 1.0),
                               "v_thresh": ("V_th", 1.0), "tau_refrac": ("t_ref", 1.0),
                               "i_offset": ("I_e", 1000.0)}),
    "nest_state": {"v": ("V_m", 1.0)},
    # weights are mV in spikesim, PyNN and NEST: undo the backend's nA -> pA factor of 1000
    "nest_receptors": {"excitatory": (0, 1e-3), "inhibitory": (0, 1e-3)},
    # NIR's LIF, tau dv/dt = (v_leak - v) + r I, with r = tau (numerically, in the graph's time
    # unit) so that a unit spike through weight w makes v jump by w mV, as spikesim's delta synapse
    "nir": ("LIF", {
        "tau": lambda p, f: p["tau_m"] * f,
        "r": lambda p, f: p["tau_m"] * f,
        "v_leak": lambda p, f: p["v_rest"] + p["tau_m"] / p["cm"] * p["i_offset"],
        "v_threshold": lambda p, f: p["v_thresh"],
        "v_reset": lambda p, f: p["v_reset"],
    }, ("v_rest", "i_offset", "cm", "tau_refrac")),
    "spinnaker": "IF_curr_delta",
}


@jit
def step(v, r, in_e, in_i, p33, vc, vth, vreset, nref, integ, subtract):
    vn = p33 * v + vc + in_e + in_i
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, integ, subtract)
    return vn, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    p30 = -tau_m / cm * np.expm1(-dt / tau_m)
    return stack([np.exp(-dt / tau_m),
                  -np.expm1(-dt / tau_m) * p["v_rest"] + p30 * (p["i_offset"] + i_inj),
                  p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                  p["integrate_refractory"], p["reset_subtract"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
