"""IFCurrExpCa2Adaptive: LIF with exponential current synapses and a calcium-activated adaptation current.

sPyNNaker ``IFCurrExpCa2Adaptive`` (``spynnaker.pyNN.extra_models``; C:
``neuron_model_lif_impl.h`` + ``additional_input_ca2_adaptive_impl.h``), after
Liu & Wang 2001, *Spike-frequency adaptation of a generalized leaky
integrate-and-fire model neuron*, J. Comput. Neurosci. 10:25. The Ca2+
current ``i_ca2`` (nA) decays with ``tau_ca2``, grows by ``i_alpha`` at each
spike and is subtracted from the membrane current (sPyNNaker's additional
input returns ``-i_ca2``):

.. math::

    c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + I_e + I_i - i_{Ca2}
        + i_{offset}, \\qquad
    \\frac{dI_x}{dt} = -\\frac{I_x}{\\tau_{syn,x}}, \\qquad
    \\frac{di_{Ca2}}{dt} = -\\frac{i_{Ca2}}{\\tau_{ca2}} + i_\\alpha \\sum_k \\delta(t - t_k)

so that after spikes at ``t_1 .. t_k`` (and ``i_ca2 = 0`` before)
``i_ca2(t) = i_alpha sum_j exp(-(t - t_j)/tau_ca2)``. Integration is exact,
as :mod:`.if_curr_exp` (Rotter & Diesmann 1999): ``i_ca2`` is one more
exponentially decaying current, with propagator ``P21(tau_m, tau_ca2)``:

.. math::

    v_{t+1} = P_{22} v_t + P_{21e} I_{e,t} + P_{21i} I_{i,t} - P_{21,Ca} i_{Ca2,t} + v_{const},
    \\qquad i_{Ca2,t+1} = e^{-h/\\tau_{ca2}} i_{Ca2,t} + i_\\alpha [\\text{spike}]

Threshold, reset and refractoriness as :mod:`.if_curr_exp` (NEST's clamp; the
Ca2+ current keeps decaying while refractory). Differences from SpiNNaker:
sPyNNaker's fixed-point LIF holds each step's input current constant over the
step (and decays ``i_ca2`` before using it); here currents decay exactly
within the step, as spikesim's ``IF_curr_exp`` does.

Parameters (sPyNNaker's names and defaults): ``tau_m`` 20 ms, ``cm`` 1 nF,
``v_rest`` -65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV, ``tau_syn_E``
5 ms, ``tau_syn_I`` 5 ms, ``tau_refrac`` 0.1 ms, ``i_offset`` 0 nA,
``tau_ca2`` 50 ms, ``i_alpha`` 0.1 nA (Ca2+ current added per spike, >= 0).
State: ``v``, ``isyn_exc``, ``isyn_inh``, ``i_ca2`` (nA, initial 0, an
initial value in sPyNNaker too).
"""
import numpy as np

from .._config import jit
from .propagators import check_reset_below_threshold, p21, stack
from .threshold import refractory_and_spike

NAME = "IFCurrExpCa2Adaptive"
STATE = ("v", "isyn_exc", "isyn_inh", "i_ca2")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("p22", "p21e", "p21i", "p21ca", "p11e", "p11i", "p11ca", "v_const", "v_thresh",
           "v_reset", "n_ref", "i_alpha")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_syn_E=5.0, tau_syn_I=5.0, tau_refrac=0.1, i_offset=0.0, tau_ca2=50.0,
                  i_alpha=0.1)
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", v_reset="mV", v_thresh="mV", tau_syn_E="ms",
             tau_syn_I="ms", tau_refrac="ms", i_offset="nA", tau_ca2="ms", i_alpha="nA",
             v="mV", isyn_exc="nA", isyn_inh="nA", i_ca2="nA")
POSITIVE = ("tau_m", "cm", "tau_syn_E", "tau_syn_I", "tau_ca2")
NON_NEGATIVE = ("tau_refrac", "i_alpha")
FLAGS = ()
EXTENSIONS = ()
INITIAL = dict(v="v_rest", isyn_exc=0.0, isyn_inh=0.0, i_ca2=0.0)

TRANSLATIONS = {"pynn": None, "nest": None, "nir": None, "spinnaker": "IFCurrExpCa2Adaptive"}


@jit
def step(v, ie, ii, ica, r, in_e, in_i, p22, p21e, p21i, p21ca, p11e, p11i, p11ca, vc, vth,
         vreset, nref, i_alpha):
    vn = p22 * v + p21e * ie + p21i * ii - p21ca * ica + vc
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, False, 0.0)
    ica = p11ca * ica
    if spike:
        ica = ica + i_alpha
    return vn, p11e * ie + in_e, p11i * ii + in_i, ica, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    te, ti, tca = (np.asarray(p[k]) for k in ("tau_syn_E", "tau_syn_I", "tau_ca2"))
    p22 = np.exp(-dt / tau_m)
    p20 = -tau_m / cm * np.expm1(-dt / tau_m)
    return stack([p22, p21(tau_m, te, cm, dt), p21(tau_m, ti, cm, dt), p21(tau_m, tca, cm, dt),
                  np.exp(-dt / te), np.exp(-dt / ti), np.exp(-dt / tca),
                  (1.0 - p22) * p["v_rest"] + p20 * (p["i_offset"] + i_inj),
                  p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                  p["i_alpha"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
