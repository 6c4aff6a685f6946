"""IF_cond_exp: leaky integrate-and-fire neuron with exponentially decaying conductances.

PyNN ``IF_cond_exp`` / NEST ``iaf_cond_exp`` / sPyNNaker ``IF_cond_exp``:

.. math::

    c_m \\frac{dv}{dt} = \\frac{c_m}{\\tau_m}(v_{rest} - v) + g_e (E_e - v)
        + g_i (E_i - v) + i_{offset}, \\qquad
    \\frac{dg_x}{dt} = -\\frac{g_x}{\\tau_{syn,x}}

A spike adds its weight (uS, >= 0) to ``g_x``. The conductances decay
exactly; the membrane is integrated exponentially with the conductances
replaced by their exact mean over the step (an exponential integrator,
second order in ``h``):

.. math::

    \\bar g_x = f_x g_{x,t}, \\quad G = g_L + \\bar g_e + \\bar g_i, \\quad
    v_\\infty = (\\text{drive} + \\bar g_e E_e + \\bar g_i E_i) / G, \\quad
    v_{t+1} = v_\\infty + (v_t - v_\\infty) e^{-G h / c_m}

with ``g_L = c_m / tau_m``, ``f_x = tau_x/h (1 - e^{-h/tau_x})`` and
``drive = g_L v_rest + i_offset``. Threshold, reset and refractoriness as
:mod:`.if_curr_exp`. Parameters: those of ``IF_curr_exp`` plus ``e_rev_E``
0 mV and ``e_rev_I`` -70 mV.
"""
import numpy as np

from .._config import jit
from . import if_curr_exp as _curr
from .propagators import check_reset_below_threshold, mean_decay, stack
from .threshold import refractory_and_spike

NAME = "IF_cond_exp"
STATE = ("v", "gsyn_exc", "gsyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("g_l", "h_over_cm", "f_e", "f_i", "p11e", "p11i", "e_rev_E", "e_rev_I", "drive",
           "v_thresh", "v_reset", "n_ref", "integrate_refractory", "reset_subtract")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ("integrate_refractory",)

PARAMETERS = dict(_curr.PARAMETERS, e_rev_E=0.0, e_rev_I=-70.0)
UNITS = dict(_curr.UNITS, e_rev_E="mV", e_rev_I="mV", gsyn_exc="uS", gsyn_inh="uS")
POSITIVE = _curr.POSITIVE
NON_NEGATIVE = _curr.NON_NEGATIVE
FLAGS = _curr.FLAGS
INITIAL = dict(v="v_rest", gsyn_exc=0.0, gsyn_inh=0.0)
EXTENSIONS = _curr.EXTENSIONS
CONDUCTANCE = True  # weights are conductances (uS, >= 0 on every receptor)

TRANSLATIONS = {
    "pynn": "IF_cond_exp",
    "nest": ("iaf_cond_exp", {**{k: v for k, v in _curr.TRANSLATIONS["nest"][1].items()
                                 if k != "tau_m"},
                              "e_rev_E": ("E_ex", 1.0), "e_rev_I": ("E_in", 1.0)}),
    "nest_derived": lambda p: {"g_L": p["cm"] / p["tau_m"] * 1000.0},  # nS
    "nest_state": {"v": ("V_m", 1.0), "gsyn_exc": ("g_ex", 1e-3), "gsyn_inh": ("g_in", 1e-3)},
    # NEST tells inhibitory conductance input by its negative sign
    "nest_receptors": {"excitatory": (0, 1.0), "inhibitory": (0, -1.0)},
    "nir": None,
    "spinnaker": "IF_cond_exp",
}


@jit
def step(v, ge, gi, r, in_e, in_i, gl, hcm, fe, fi, p11e, p11i, ee, ei, drive, vth, vreset, nref,
         integ, subtract):
    gem = fe * ge
    gim = fi * gi
    gt = gl + gem + gim
    vinf = (drive + gem * ee + gim * ei) / gt
    vn = vinf + (v - vinf) * np.exp(-gt * hcm)
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, integ, subtract)
    ge = p11e * ge + in_e
    gi = p11i * gi + in_i
    return vn, ge, gi, r, spike


def membrane_columns(p: dict, dt: float, i_inj=0.0) -> list:
    """The columns ``g_l`` .. ``n_ref`` (the conductance LIF without its flags), as a list.

    Shared with :mod:`.if_cond_exp_stoc`, whose membrane is this one.
    """
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    te, ti = np.asarray(p["tau_syn_E"]), np.asarray(p["tau_syn_I"])
    gl = cm / tau_m
    return [gl, dt / cm, mean_decay(te, dt), mean_decay(ti, dt),
            np.exp(-dt / te), np.exp(-dt / ti), p["e_rev_E"], p["e_rev_I"],
            gl * p["v_rest"] + p["i_offset"] + i_inj,
            p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt)]


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    return stack(membrane_columns(p, dt, i_inj) + [p["integrate_refractory"],
                                                   p["reset_subtract"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
