"""LIFMultisynExp: leaky integrate-and-fire neuron with up to four exponential current receptors.

PyNN ``PointNeuron(LIF(...), name=CurrExpPostSynapticResponse(tau_syn=...), ...)`` / NEST
``iaf_psc_exp_multisynapse``. The membrane is PyNN's ``LIF`` (as ``IF_curr_exp``), with
``K_MAX = 4`` synaptic currents, each with its own time constant:

.. math::

    c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + \\sum_{k=0}^{3} I_k + i_{offset},
    \\qquad \\frac{dI_k}{dt} = -\\frac{I_k}{\\tau_{syn,k}}

A spike onto receptor ``r<k>`` adds its weight (nA, either sign: a receptor is not
excitatory or inhibitory by name) to ``I_k``. Receptors a network does not use receive
nothing and stay at 0. Threshold, reset and refractoriness as ``IF_curr_exp``.
Integration is exact (Rotter & Diesmann 1999, Biol. Cybern. 81:381), in NEST's order
(``iaf_psc_exp_multisynapse::update``): the membrane moves with the currents of the
previous step, then the currents decay and receive this step's input.

.. math::

    v_{t+1} = P_{22} v_t + \\sum_k P_{21,k} I_{k,t} + v_{const},
    \\qquad I_{k,t+1} = P_{11,k} I_{k,t} + \\text{input}_{k,t+1}

Parameters: PyNN's ``LIF`` (``tau_m`` 20 ms, ``cm`` 1 nF, ``v_rest`` -65 mV, ``v_reset``
-65 mV, ``v_thresh`` -50 mV, ``tau_refrac`` 0.1 ms, ``i_offset`` 0 nA) and
``tau_syn_0`` .. ``tau_syn_3`` (5 ms, PyNN's ``CurrExpPostSynapticResponse`` default).
State: ``v`` (mV), ``isyn_0`` .. ``isyn_3`` (nA).
"""
import numpy as np

from .._config import jit
from .propagators import check_reset_below_threshold, p21, stack
from .threshold import refractory_and_spike

K_MAX = 4
NAME = "LIFMultisynExp"
STATE = ("v",) + tuple(f"isyn_{k}" for k in range(K_MAX))
RECEPTORS = tuple(f"r{k}" for k in range(K_MAX))
COLUMNS = (("p22",) + tuple(f"p21_{k}" for k in range(K_MAX)) + tuple(f"p11_{k}" for k in range(K_MAX))
           + ("v_const", "v_thresh", "v_reset", "n_ref"))
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_refrac=0.1, i_offset=0.0, **{f"tau_syn_{k}": 5.0 for k in range(K_MAX)})
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", v_reset="mV", v_thresh="mV", tau_refrac="ms",
             i_offset="nA", v="mV", **{f"tau_syn_{k}": "ms" for k in range(K_MAX)},
             **{f"isyn_{k}": "nA" for k in range(K_MAX)})
POSITIVE = ("tau_m", "cm") + tuple(f"tau_syn_{k}" for k in range(K_MAX))
NON_NEGATIVE = ("tau_refrac",)
FLAGS = ()
INITIAL = dict(v="v_rest", **{f"isyn_{k}": 0.0 for k in range(K_MAX)})
EXTENSIONS = ()
#: weights may have either sign on every receptor (NEST's multisynapse models)
SIGNED_WEIGHTS = True

TRANSLATIONS = {
    # PyNN reaches this model through PointNeuron (spikesim.pynn.standardmodels.PointNeuron)
    "pynn": None,
    # NEST's iaf_psc_exp_multisynapse takes tau_syn as one vector; the NEST backend sets
    # scalars per parameter, so it does not build this model (tests compare with PyNEST)
    "nest": None,
    "nir": None,
    "spinnaker": None,
}


@jit
def step(v, i0, i1, i2, i3, r, in0, in1, in2, in3, p22, p21_0, p21_1, p21_2, p21_3,
         p11_0, p11_1, p11_2, p11_3, vc, vth, vreset, nref):
    vn = p22 * v + p21_0 * i0 + p21_1 * i1 + p21_2 * i2 + p21_3 * i3 + vc
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, False, 0.0)
    return (vn, p11_0 * i0 + in0, p11_1 * i1 + in1, p11_2 * i2 + in2, p11_3 * i3 + in3,
            r, spike)


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    taus = [np.asarray(p[f"tau_syn_{k}"]) for k in range(K_MAX)]
    p22 = np.exp(-dt / tau_m)
    p20 = -tau_m / cm * np.expm1(-dt / tau_m)
    return stack([p22] + [p21(tau_m, t, cm, dt) for t in taus] + [np.exp(-dt / t) for t in taus]
                 + [(1.0 - p22) * p["v_rest"] + p20 * (p["i_offset"] + i_inj),
                    p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt)])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
