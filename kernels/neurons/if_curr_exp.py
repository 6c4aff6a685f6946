"""IF_curr_exp: leaky integrate-and-fire neuron with exponentially decaying current synapses.

PyNN ``IF_curr_exp`` / NEST ``iaf_psc_exp`` / sPyNNaker ``IF_curr_exp``:

.. math::

    c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + I_e + I_i + i_{offset},
    \\qquad \\frac{dI_x}{dt} = -\\frac{I_x}{\\tau_{syn,x}}

A spike adds its weight (nA; negative for inhibitory) to ``I_x``. When
``v >= v_thresh`` the neuron spikes, ``v`` is set to ``v_reset`` and held
there for ``tau_refrac`` (rounded to whole steps). Integration is exact
(Rotter & Diesmann 1999, Biol. Cybern. 81:381), in NEST's order for one step:
the membrane moves with the synaptic currents of the previous step, then the
currents decay and receive this step's input, then the threshold is checked.

.. math::

    v_{t+1} = P_{22} v_t + P_{21e} I_{e,t} + P_{21i} I_{i,t} + v_{const},
    \\qquad I_{x,t+1} = P_{11x} I_{x,t} + \\text{input}_{x,t+1}

Parameters (defaults as PyNN): ``tau_m`` 20 ms, ``cm`` 1 nF, ``v_rest``
-65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV, ``tau_refrac`` 0.1 ms,
``tau_syn_E`` 5 ms, ``tau_syn_I`` 5 ms, ``i_offset`` 0 nA.
``integrate_refractory`` (0 or 1, default 0; not a PyNN parameter): 1 keeps
integrating ``v`` during ``tau_refrac`` instead of holding it; the neuron
still cannot fire then (Brian2's LIF without ``(unless refractory)``; the
neuron of Ivanov & Michmizos 2021, NALSM). ``reset="subtract"`` (constructor
keyword) resets by ``v -= v_thresh - v_reset`` instead of ``v = v_reset``.
Networks using either do not export to PyNN, NEST or SpiNNaker.
"""
import numpy as np

from .._config import jit
from .propagators import check_reset_below_threshold, p21, stack
from .threshold import refractory_and_spike

NAME = "IF_curr_exp"
STATE = ("v", "isyn_exc", "isyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("p22", "p21e", "p21i", "p11e", "p11i", "v_const", "v_thresh", "v_reset", "n_ref",
           "integrate_refractory", "reset_subtract")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ("integrate_refractory",)

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_refrac=0.1, tau_syn_E=5.0, tau_syn_I=5.0, i_offset=0.0,
                  integrate_refractory=0.0, reset_subtract=0.0)
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", v_reset="mV", v_thresh="mV", tau_refrac="ms",
             tau_syn_E="ms", tau_syn_I="ms", i_offset="nA", integrate_refractory="",
             reset_subtract="", v="mV", isyn_exc="nA", isyn_inh="nA")
POSITIVE = ("tau_m", "cm", "tau_syn_E", "tau_syn_I")
NON_NEGATIVE = ("tau_refrac",)
FLAGS = ("integrate_refractory", "reset_subtract")
INITIAL = dict(v="v_rest", isyn_exc=0.0, isyn_inh=0.0)
# non-standard flags: a target that cannot hold them refuses the network (rule in the exporter)
EXTENSIONS = ("integrate_refractory", "reset_subtract")
# each receptor's input is added to this state variable as the step's last operation (``step``
# below), so it can be added after the update instead (kernels.direct: no ring buffer)
INPUT_STATE = ("isyn_exc", "isyn_inh")
# Network(fuse_receptors=True): where tau_syn_E == tau_syn_I the two currents obey the same
# linear equation, so their sum does too: the inhibitory input then shares the excitatory
# ring plane and the summed current lives in isyn_exc (kernels.codegen, spikesim.fusion)
FUSE = dict(receptor="inhibitory", into="excitatory", equal=("tau_syn_E", "tau_syn_I"),
            state=("isyn_inh", "isyn_exc"))

TRANSLATIONS = {
    "pynn": "IF_curr_exp",
    "nest": ("iaf_psc_exp", {"tau_m": ("tau_m", 1.0), "cm": ("C_m", 1000.0),
                             "v_rest": ("E_L", 1.0), "v_reset": ("V_reset", 1.0),
                             "v_thresh": ("V_th", 1.0), "tau_refrac": ("t_ref", 1.0),
                             "tau_syn_E": ("tau_syn_ex", 1.0), "tau_syn_I": ("tau_syn_in", 1.0),
                             "i_offset": ("I_e", 1000.0)}),
    # state variables (spikesim name: NEST name, factor NEST -> spikesim) and receptors
    # (NEST receptor port, weight factor spikesim -> NEST, besides x1000 for nA -> pA)
    "nest_state": {"v": ("V_m", 1.0), "isyn_exc": ("I_syn_ex", 1e-3),
                   "isyn_inh": ("I_syn_in", 1e-3)},
    "nest_receptors": {"excitatory": (0, 1.0), "inhibitory": (0, 1.0)},
    # NIR node and its fields from the per-neuron parameters p (ms, mV, nA, nF) and the factor
    # f from ms to the graph's time unit (spikesim.export.nir explains the mapping); the
    # parameters NIR cannot hold go to the node's metadata
    "nir": ("CubaLIF", {
        "tau_mem": lambda p, f: p["tau_m"] * f,
        "tau_syn": lambda p, f: p["tau_syn_E"] * f,
        "r": lambda p, f: p["tau_m"] / p["cm"],
        "v_leak": lambda p, f: p["v_rest"] + p["tau_m"] / p["cm"] * p["i_offset"],
        "v_threshold": lambda p, f: p["v_thresh"],
        "v_reset": lambda p, f: p["v_reset"],
        "w_in": lambda p, f: p["tau_syn_E"] * f,
    }, ("v_rest", "i_offset", "tau_syn_I", "tau_refrac")),
    "spinnaker": "IF_curr_exp",
}


@jit
def step(v, ie, ii, r, in_e, in_i, p22, p21e, p21i, p11e, p11i, vc, vth, vreset, nref, integ,
         subtract):
    vn = p22 * v + p21e * ie + p21i * ii + vc
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, integ, subtract)
    ie = p11e * ie + in_e
    ii = p11i * ii + in_i
    return vn, ie, ii, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    te, ti = np.asarray(p["tau_syn_E"]), np.asarray(p["tau_syn_I"])
    p22 = np.exp(-dt / tau_m)
    p20 = -tau_m / cm * np.expm1(-dt / tau_m)
    return stack([p22, p21(tau_m, te, cm, dt), p21(tau_m, ti, cm, dt),
                  np.exp(-dt / te), np.exp(-dt / ti),
                  (1.0 - p22) * p["v_rest"] + p20 * (p["i_offset"] + i_inj),
                  p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                  p["integrate_refractory"], p["reset_subtract"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
