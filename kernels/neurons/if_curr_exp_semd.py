"""IF_curr_exp_sEMD: LIF neuron of the spiking elementary motion detector (sEMD).

sPyNNaker ``IF_curr_exp_sEMD`` (``spynnaker.pyNN.extra_models``, class
``IFCurrExpSEMDBase``; C: ``synapse_types_semd_impl.h`` with
``neuron_model_lif_impl.h``), the sEMD of Milde et al. 2018, *Spiking
elementary motion detector in neuromorphic systems*, Neural Computation
30:2384 (https://www.cit-ec.de/en/nbs/spiking-insect-vision).

Two excitatory receptors: ``excitatory`` (the facilitating input, current
``I_1``) never drives the membrane itself; ``excitatory2`` (the trigger,
``I_2``) drives it multiplied by the value ``I_1`` had when the trigger
arrived. Per step, before the membrane update (sPyNNaker's order):

.. math::

    \\mu \\leftarrow \\begin{cases} I_1 & I_2 \\ge 0.001,\\ \\mu = 0,\\ I_2^{old} = 0
        \\ \\text{(trigger onset)}\\\\
        0 & I_2 < 0.001 \\\\ \\mu & \\text{otherwise} \\end{cases}, \\qquad
    I_2^{old} \\leftarrow I_2

    c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + s \\mu I_2 + I_i + i_{offset},
    \\qquad \\frac{dI_x}{dt} = -\\frac{I_x}{\\tau_{syn,x}}

with ``s`` = ``scaling_factor``. So the response is direction selective: a
facilitating spike (weight ``w_1``) at ``t_1`` followed by a trigger spike
(``w_2``) at ``t_2 > t_1`` gives the current ``s w_1 e^{-(t_2 - t_1)/tau_E}
w_2 e^{-(t - t_2)/tau_E2}`` and the membrane response

.. math::

    v(t) - v_{rest} = s\\, w_1 e^{-(t_2 - t_1)/\\tau_{syn,E}}\\, w_2\\,
        \\frac{\\tau_{syn,E2} \\tau_m}{c_m (\\tau_m - \\tau_{syn,E2})}
        \\left(e^{-(t - t_2)/\\tau_m} - e^{-(t - t_2)/\\tau_{syn,E2}}\\right),

while the reverse order (trigger first) gives ``mu = 0`` and no response until
``I_2`` has decayed below 0.001 nA and a new trigger arrives. ``mu`` is
constant within a step, so the membrane is integrated exactly as
:mod:`.if_curr_exp` (Rotter & Diesmann 1999) with ``s mu I_2`` an
exponential current of time constant ``tau_syn_E2``; threshold, reset and
refractoriness as :mod:`.if_curr_exp`. Inhibitory weights are negative
currents, as in spikesim's ``IF_curr_exp``. Differences from SpiNNaker: its
fixed-point LIF holds each step's current constant over the step and scales
each input by ``tau/h (1 - e^{-h/tau})``; here a weight is the current's jump
(as spikesim's ``IF_curr_exp`` and NEST).

Parameters (sPyNNaker's names and defaults): ``tau_m`` 20 ms, ``cm`` 1 nF,
``v_rest`` -65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV, ``tau_syn_E``
5 ms, ``tau_syn_E2`` 5 ms, ``tau_syn_I`` 5 ms, ``tau_refrac`` 0.1 ms,
``i_offset`` 0 nA, ``scaling_factor`` 1 (1/nA). State: ``v``, ``isyn_exc``,
``isyn_exc2``, ``isyn_inh`` (nA), ``multiplicator`` (nA; a parameter and an
initial value in sPyNNaker, here state with initial value 0) and ``exc2_old``
(nA, initial 0).
"""
import numpy as np

from .._config import jit
from .propagators import check_reset_below_threshold, p21, stack
from .threshold import refractory_and_spike

NAME = "IF_curr_exp_sEMD"
STATE = ("v", "isyn_exc", "isyn_exc2", "isyn_inh", "multiplicator", "exc2_old")
RECEPTORS = ("excitatory", "excitatory2", "inhibitory")
COLUMNS = ("p22", "p21e2", "p21i", "p11e", "p11e2", "p11i", "v_const", "v_thresh", "v_reset",
           "n_ref", "scaling_factor")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_syn_E=5.0, tau_syn_E2=5.0, tau_syn_I=5.0, tau_refrac=0.1, i_offset=0.0,
                  scaling_factor=1.0)
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", v_reset="mV", v_thresh="mV", tau_syn_E="ms",
             tau_syn_E2="ms", tau_syn_I="ms", tau_refrac="ms", i_offset="nA",
             scaling_factor="1/nA", v="mV", isyn_exc="nA", isyn_exc2="nA", isyn_inh="nA",
             multiplicator="nA", exc2_old="nA")
POSITIVE = ("tau_m", "cm", "tau_syn_E", "tau_syn_E2", "tau_syn_I")
NON_NEGATIVE = ("tau_refrac",)
FLAGS = ()
EXTENSIONS = ()
INITIAL = dict(v="v_rest", isyn_exc=0.0, isyn_exc2=0.0, isyn_inh=0.0, multiplicator=0.0,
               exc2_old=0.0)

#: trigger current (nA) above which the trigger counts as on (sPyNNaker's constant)
TRIGGER_ON = 0.001

TRANSLATIONS = {"pynn": None, "nest": None, "nir": None, "spinnaker": "IF_curr_exp_sEMD"}


@jit
def step(v, e1, e2, ii, mult, e2old, r, in_e1, in_e2, in_i, p22, p21e2, p21i, p11e, p11e2, p11i,
         vc, vth, vreset, nref, sf):
    if e2 >= TRIGGER_ON and mult == 0.0 and e2old == 0.0:
        mult = e1
    elif e2 < TRIGGER_ON:
        mult = 0.0
    e2old = e2
    vn = p22 * v + p21e2 * (sf * mult * e2) + p21i * ii + vc
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, False, 0.0)
    return (vn, p11e * e1 + in_e1, p11e2 * e2 + in_e2, p11i * ii + in_i, mult, e2old, r, spike)


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    te, te2, ti = (np.asarray(p[k]) for k in ("tau_syn_E", "tau_syn_E2", "tau_syn_I"))
    p22 = np.exp(-dt / tau_m)
    p20 = -tau_m / cm * np.expm1(-dt / tau_m)
    return stack([p22, p21(tau_m, te2, cm, dt), p21(tau_m, ti, cm, dt), np.exp(-dt / te),
                  np.exp(-dt / te2), np.exp(-dt / ti),
                  (1.0 - p22) * p["v_rest"] + p20 * (p["i_offset"] + i_inj),
                  p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                  p["scaling_factor"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
