"""IzkCurrExp: sPyNNaker's Izhikevich neuron with exponentially decaying current synapses.

sPyNNaker ``Izhikevich`` (``spynnaker/pyNN/models/neuron/builds/izk_curr_exp_base.py``;
C: ``neural_modelling/src/neuron/models/neuron_model_izh_impl.h`` with
``synapse_types/exp_synapse_utils.h``, ``input_types/input_type_current.h``,
``threshold_types/threshold_type_static.h`` and the step order of
``implementations/neuron_impl_standard.h``). It is not PyNN's / NEST's
``Izhikevich`` (:mod:`.izhikevich`): the synapses are exponential currents,
the scheme is an explicit midpoint step, the step after a spike is longer,
and ``i_offset`` enters without PyNN's factor 1000.

Model (Izhikevich 2003, IEEE Trans. Neural Netw. 14:1569), as ``neuron_model_izh_impl.h``:

.. math::

    \\frac{dv}{dt} = M v^2 + 5 v + 140 - u + I, \\qquad
    \\frac{du}{dt} = a (b v - u), \\qquad
    v \\ge 30\\,\\text{mV}: \\; v \\leftarrow c, \\; u \\leftarrow u + d

with ``M = 0.040008544921875`` (``MAGIC_MULTIPLIER``: 0.04 rounded up to the
next s16.15 value, 1311 / 32768) and ``I = I_e + I_i + i_offset + i_inj``.
There is no capacitance: a current of 1 nA (sPyNNaker's label for
``i_offset``, weights and current sources) is added to ``dv/dt`` as 1 mV/ms.
sPyNNaker's ``i_offset = 10`` is therefore PyNN/NEST's ``Izhikevich(i_offset=0.01)``
(pyNN.nest passes ``I_e = 10`` pA, which NEST adds as 10 mV/ms).

Scheme (``rk2_kernel_midpoint``), with the step ``h_k`` of this step and
``I`` held over it:

.. math::

    \\alpha = 140 + I - u_t + (5 + M v_t) v_t, \\qquad
    \\eta = v_t + \\tfrac12 h_k \\alpha, \\qquad
    \\beta = \\tfrac12 h_k a (b v_t - u_t),

    v_{t+1} = v_t + h_k \\left(140 + I - u_t - \\beta + (5 + M\\eta)\\eta\\right), \\qquad
    u_{t+1} = u_t + a h_k (-u_t - \\beta + b \\eta)

``h_k = h`` (the network's ``dt``), except in the step right after a spike,
where ``h_k = 1.85 h`` (``neuron_model_has_spiked``: ``SIMPLE_TQ_OFFSET``, "a
simple threshold correction", only the next step). spikesim keeps that one
bit of state in the neuron's int16 refractory counter ``r`` (1: the last step
spiked; the model has no refractory period); reset_state() clears it, as
sPyNNaker's reset restores ``next_h = dt``.

Synapses (``exp_synapse_utils.h``; order of ``neuron_impl_standard.h``, the
ring buffer being transferred before the neuron update): this step's input
``w`` (nA; negative on ``inhibitory``, PyNN's convention, where sPyNNaker
subtracts a positive inhibitory input) is scaled by the initial factor and
added, the neuron is updated with the sum, then the currents decay:

.. math::

    I_x \\leftarrow I_x + \\frac{\\tau_x}{h} (1 - e^{-h/\\tau_x}) \\, w_x, \\quad
    \\text{update } (v, u) \\text{ with } I_x, \\quad
    I_x \\leftarrow e^{-h/\\tau_x} I_x

Threshold ``v >= 30`` mV after the update (``ThresholdTypeStatic(30)``).

Differences from SpiNNaker, on purpose: the arithmetic is floating point
(sPyNNaker's is s16.15 fixed point; 1.85 is used as written in the C source,
its s16.15 value being 1.8500061). sPyNNaker's values cannot leave the
s16.15 range ``[-2^16, 2^16)``; spikesim saturates ``v``, ``u``, the
midpoint ``eta`` and the total input ``I`` at ``+-2^16`` so that huge but
finite input never gives inf or NaN (the quadratic term would overflow), and
:func:`check` refuses parameters outside that range, which sPyNNaker cannot
represent either. Far below rest the explicit scheme is unstable (as
sPyNNaker's): a huge negative input ends in a spike, not in a silent neuron.
Recorded values are the state after each step (decayed currents); sPyNNaker
records ``v`` and the synaptic inputs at the start of its step, after that
step's input has arrived, i.e. one step earlier and before the decay.

Parameters (sPyNNaker's names and defaults): ``a`` 0.02 /ms, ``b`` 0.2 /ms,
``c`` -65 mV, ``d`` 2 mV/ms, ``i_offset`` 0 nA, ``tau_syn_E`` 5 ms,
``tau_syn_I`` 5 ms. State: ``v`` (initial -70 mV), ``u`` (-14 mV/ms),
``isyn_exc``, ``isyn_inh`` (nA, 0): sPyNNaker's constructor takes the
initial values as ``v``, ``u``, ``isyn_exc``, ``isyn_inh`` (older versions
``v_init``, ``u_init``); in spikesim they are set with
``Population.initialize``. ``spikesim.pynn.spynnaker`` is to map sPyNNaker's
``Izhikevich`` name onto this model (``spikesim.IzkCurrExp``).
"""
import numpy as np

from .._config import jit
from .propagators import stack

NAME = "IzkCurrExp"
STATE = ("v", "u", "isyn_exc", "isyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("h", "h_spiked", "a", "b", "c", "d", "i_const", "init_e", "init_i", "decay_e",
           "decay_i")
INT_COLUMNS = ()
SWITCH_COLUMNS = ()

V_PEAK = 30.0                   # mV, ThresholdTypeStatic(_IZK_THRESHOLD)
MAGIC = 0.040008544921875       # MAGIC_MULTIPLIER of neuron_model_izh_impl.h
TQ_OFFSET = 1.85                # SIMPLE_TQ_OFFSET: the step after a spike is 1.85 h
LIMIT = 65536.0                 # 2**16, the range of sPyNNaker's s16.15 REAL

PARAMETERS = dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=0.0, tau_syn_E=5.0, tau_syn_I=5.0)
UNITS = dict(a="1/ms", b="1/ms", c="mV", d="mV/ms", i_offset="nA", tau_syn_E="ms",
             tau_syn_I="ms", v="mV", u="mV/ms", isyn_exc="nA", isyn_inh="nA")
POSITIVE = ("tau_syn_E", "tau_syn_I")
NON_NEGATIVE = ()
FLAGS = ()
EXTENSIONS = ()
INITIAL = dict(v=-70.0, u=-14.0, isyn_exc=0.0, isyn_inh=0.0)
#: parameters sPyNNaker stores as s16.15 values (|x| < 2**16), checked by :func:`check`
FIXED_POINT = ("a", "b", "c", "d", "i_offset")

TRANSLATIONS = {
    "pynn": None,    # not PyNN's Izhikevich: PyNN scripts get the NEST-style one (.izhikevich)
    "nest": None,
    "nir": None,
    "spinnaker": "Izhikevich",
}


@jit
def sat(x):
    """``x`` saturated at the s16.15 range ``+-2**16`` (NaN-free for finite or infinite ``x``)."""
    return min(max(x, -LIMIT), LIMIT)


@jit
def midpoint_spike(v, u, r, current, h, h_spiked, a, b, c, d):
    """sPyNNaker's midpoint step of ``(v, u)`` with input ``current`` (mV/ms), then threshold/reset.

    ``r`` != 0 makes this step ``h_spiked`` long (the step after a spike).
    Returns ``(v, u, r, spike)``.
    """
    hk = h_spiked if r != 0 else h
    inp = sat(current)
    pre = 140.0 + inp - u
    alpha = pre + (5.0 + MAGIC * v) * v
    eta = sat(v + 0.5 * (hk * alpha))
    beta = 0.5 * (hk * (b * v - u) * a)
    vn = sat(v + hk * (pre - beta + (5.0 + MAGIC * eta) * eta))
    un = sat(u + a * hk * (-u - beta + b * eta))
    spike = vn >= V_PEAK
    if spike:
        vn = c
        un = sat(un + d)
        r = np.int16(1)
    else:
        r = np.int16(0)
    return vn, un, r, spike


@jit
def step(v, u, ie, ii, r, in_e, in_i, h, h_spiked, a, b, c, d, i_const, init_e, init_i,
         dec_e, dec_i):
    """One step of one neuron: input into the currents, midpoint update, threshold, decay.

    ``in_e``, ``in_i``: this step's ring-buffer input (nA); ``i_const``:
    ``i_offset`` plus injected current (nA, added to ``dv/dt`` unscaled).
    """
    ie = ie + init_e * in_e
    ii = ii + init_i * in_i
    vn, un, r, spike = midpoint_spike(v, u, r, ie + ii + i_const, h, h_spiked, a, b, c, d)
    return vn, un, dec_e * ie, dec_i * ii, r, spike


def synapse_columns(p: dict, dt: float) -> list:
    """``[init_e, init_i, decay_e, decay_i]``: sPyNNaker's initial factor ``tau/h (1 - e^{-h/tau})``
    and decay ``e^{-h/tau}`` per receptor."""
    te, ti = np.asarray(p["tau_syn_E"]), np.asarray(p["tau_syn_I"])
    return [-te / dt * np.expm1(-dt / te), -ti / dt * np.expm1(-dt / ti),
            np.exp(-dt / te), np.exp(-dt / ti)]


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    """Kernel columns from sPyNNaker parameters ``p``, step ``dt`` (ms), injected current ``i_inj`` (nA)."""
    return stack([dt, TQ_OFFSET * dt, p["a"], p["b"], p["c"], p["d"],
                  np.asarray(p["i_offset"]) + i_inj] + synapse_columns(p, dt))


def check_fixed_point(name: str, p: dict, keys) -> None:
    """Refuse values sPyNNaker's s16.15 parameters cannot hold, and ``c >= 30`` mV."""
    for k in keys:
        x = np.atleast_1d(p[k])
        bad = np.abs(x) >= LIMIT
        if bad.any():
            raise ValueError(f"{name}.{k} must be within +-{LIMIT:g} (sPyNNaker's s16.15 range), "
                             f"got {float(x[bad][0])!r}")
    c = np.atleast_1d(p["c"])
    if (c >= V_PEAK).any():
        raise ValueError(f"{name}.c must be below the {V_PEAK} mV threshold, got c="
                         f"{float(c[c >= V_PEAK][0])!r} mV")


def check(p: dict) -> None:
    """Refuse ``c >= 30`` mV (the reset would fire again) and values beyond s16.15."""
    check_fixed_point(NAME, p, FIXED_POINT)
