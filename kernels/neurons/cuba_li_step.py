"""CubaLIStep: non-spiking readout, a leaky integrator behind an exponential synaptic current.

The readout neuron of spiking classifiers (NIR's ``LI``, ``CubaLI`` and ``I``
nodes; snnTorch's and Norse's leaky-integrator readouts): the membrane
potential is the output and the neuron never spikes. Stepped as
:mod:`.cuba_lif_step` (exponential Euler with the end-of-step current: the
synaptic current takes this step's input first, the membrane moves with it):

.. math::

    I_{x,t} = P_{11x} I_{x,t-1} + (1 - P_{11x})\\, i_{bias,x} + \\text{input}_{x,t},
    \\qquad
    v_t = P_{22} v_{t-1} + (1 - P_{22}) \\Big(v_{rest}
          + \\frac{\\tau_m}{c_m} (I_{e,t} + I_{i,t} + i_{offset})\\Big)

``P22 = exp(-dt/tau_m)``, ``P11x = exp(-dt/tau_syn_x)``. With ``tau_syn`` far
below ``dt`` (``P11 = 0``) the current is this step's input alone and ``v``
is a leaky integrator of its input (NIR ``LI``); with a very long ``tau_m``
(``P22 = 1``, ``(1 - P22) tau_m = dt``) it is a pure integrator (NIR ``I``).
Weights are nA (negative for inhibitory). Record ``v`` to read it out;
the spike recorder stays empty. Defaults as PyNN's ``IF_curr_exp`` where
the names match. spikesim only: no PyNN, NEST or SpiNNaker counterpart.
"""
import numpy as np

from .._config import jit
from .propagators import stack

NAME = "CubaLIStep"
STATE = ("v", "isyn_exc", "isyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("p22", "p11e", "p11i", "k", "v_const", "ib_e", "ib_i")
INT_COLUMNS = ()
SWITCH_COLUMNS = ()

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, tau_syn_E=5.0, tau_syn_I=5.0,
                  i_offset=0.0, i_bias_E=0.0, i_bias_I=0.0)
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", tau_syn_E="ms", tau_syn_I="ms", i_offset="nA",
             i_bias_E="nA", i_bias_I="nA", v="mV", isyn_exc="nA", isyn_inh="nA")
POSITIVE = ("tau_m", "cm", "tau_syn_E", "tau_syn_I")
NON_NEGATIVE = ()
FLAGS = ()
INITIAL = dict(v="v_rest", isyn_exc=0.0, isyn_inh=0.0)
EXTENSIONS = ()

TRANSLATIONS = {"pynn": None, "nest": None, "nir": None, "spinnaker": None}


@jit
def step(v, ie, ii, r, in_e, in_i, p22, p11e, p11i, k, vc, ibe, ibi):
    ie = p11e * ie + ibe + in_e
    ii = p11i * ii + ibi + in_i
    vn = p22 * v + k * (ie + ii) + vc
    return vn, ie, ii, r, False


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    p11e, p11i = np.exp(-dt / np.asarray(p["tau_syn_E"])), np.exp(-dt / np.asarray(p["tau_syn_I"]))
    k = -np.expm1(-dt / tau_m) * tau_m / cm
    return stack([np.exp(-dt / tau_m), p11e, p11i, k,
                  -np.expm1(-dt / tau_m) * p["v_rest"] + k * (p["i_offset"] + i_inj),
                  (1.0 - p11e) * p["i_bias_E"], (1.0 - p11i) * p["i_bias_I"]])


def check(p: dict) -> None:
    """No relations between the parameters to check (there is no threshold)."""
