"""Izhikevich_cond: sPyNNaker's Izhikevich neuron with exponentially decaying conductances.

sPyNNaker ``extra_models.Izhikevich_cond``
(``spynnaker/pyNN/models/neuron/builds/izk_cond_exp_base.py``): the neuron and
scheme of :mod:`.izk_curr_exp` (``neuron_model_izh_impl.h``: midpoint step
with ``M = 0.040008544921875``, 1.85 h after a spike, threshold 30 mV) with
the exponential synapse of ``exp_synapse_utils.h`` holding conductances
(uS) and ``input_types/input_type_conductance.h`` turning them into currents
at the membrane potential ``v_t`` of the start of the step:

.. math::

    g_x \\leftarrow g_x + \\frac{\\tau_x}{h} (1 - e^{-h/\\tau_x}) \\, w_x, \\qquad
    I = g_e (E_{rev,e} - v_t) + g_i (E_{rev,i} - v_t) + i_{offset} + i_{inj},

    \\text{midpoint update of } (v, u) \\text{ with } I \\text{ (see } \\texttt{izk\\_curr\\_exp}),
    \\qquad g_x \\leftarrow e^{-h/\\tau_x} g_x

(the C code's inhibitory current is ``-g_i (E_i - v)``, which the neuron
model subtracts). Weights are conductances (uS, >= 0 on both receptors);
``g (E - v)`` in uS x mV = nA is added to ``dv/dt`` as mV/ms, as every
current of this model (no capacitance). The host-side weight scale of
sPyNNaker's conductance input type and the C shift that undoes it cancel, so
a weight of 1 uS is a conductance of 1 uS.

Each receptor's current and the total are saturated at ``+-2^16`` (the
s16.15 range; see :mod:`.izk_curr_exp`), so no finite conductance gives inf
or NaN.

Parameters (sPyNNaker's names and defaults): ``a`` 0.02 /ms, ``b`` 0.2 /ms,
``c`` -65 mV, ``d`` 2 mV/ms, ``i_offset`` 0 nA, ``tau_syn_E`` 5 ms,
``tau_syn_I`` 5 ms, ``e_rev_E`` 0 mV, ``e_rev_I`` -70 mV. State: ``v``
(initial -70 mV), ``u`` (-14 mV/ms), ``gsyn_exc``, ``gsyn_inh`` (uS, 0;
sPyNNaker's constructor calls their initial values ``isyn_exc``, ``isyn_inh``).
"""
import numpy as np

from .._config import jit
from . import izk_curr_exp as _curr
from .izk_curr_exp import midpoint_spike, sat, synapse_columns
from .propagators import stack

NAME = "Izhikevich_cond"
STATE = ("v", "u", "gsyn_exc", "gsyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = _curr.COLUMNS + ("e_rev_E", "e_rev_I")
INT_COLUMNS = ()
SWITCH_COLUMNS = ()

PARAMETERS = dict(_curr.PARAMETERS, e_rev_E=0.0, e_rev_I=-70.0)
UNITS = dict({k: v for k, v in _curr.UNITS.items() if not k.startswith("isyn")},
             e_rev_E="mV", e_rev_I="mV", gsyn_exc="uS", gsyn_inh="uS")
POSITIVE = _curr.POSITIVE
NON_NEGATIVE = ()
FLAGS = ()
EXTENSIONS = ()
INITIAL = dict(v=-70.0, u=-14.0, gsyn_exc=0.0, gsyn_inh=0.0)
CONDUCTANCE = True  # weights are conductances (uS, >= 0 on every receptor)
FIXED_POINT = _curr.FIXED_POINT + ("e_rev_E", "e_rev_I")

TRANSLATIONS = {"pynn": None, "nest": None, "nir": None, "spinnaker": "Izhikevich_cond"}


@jit
def step(v, u, ge, gi, r, in_e, in_i, h, h_spiked, a, b, c, d, i_const, init_e, init_i,
         dec_e, dec_i, ee, ei):
    """One step of one neuron: input into the conductances, their currents at ``v``, midpoint
    update, threshold, decay."""
    ge = ge + init_e * in_e
    gi = gi + init_i * in_i
    current = sat(ge * (ee - v)) + sat(gi * (ei - v)) + i_const
    vn, un, r, spike = midpoint_spike(v, u, r, current, h, h_spiked, a, b, c, d)
    return vn, un, dec_e * ge, dec_i * gi, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    """Kernel columns from sPyNNaker parameters ``p``, step ``dt`` (ms), injected current ``i_inj`` (nA)."""
    return stack([dt, _curr.TQ_OFFSET * dt, p["a"], p["b"], p["c"], p["d"],
                  np.asarray(p["i_offset"]) + i_inj] + synapse_columns(p, dt)
                 + [p["e_rev_E"], p["e_rev_I"]])


def check(p: dict) -> None:
    """Refuse ``c >= 30`` mV and values beyond sPyNNaker's s16.15 range."""
    _curr.check_fixed_point(NAME, p, FIXED_POINT)
