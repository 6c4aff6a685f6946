"""EIF_cond_exp_isfa_ista: adaptive exponential integrate-and-fire (AdEx) neuron, exponential conductances.

PyNN ``EIF_cond_exp_isfa_ista`` / NEST ``aeif_cond_exp`` / sPyNNaker
``EIF_cond_exp_isfa_ista``; Brette & Gerstner (2005), J. Neurophysiol.
94:3637, eqs. 1-2, with NEST's conductance synapses:

.. math::

    c_m \\frac{dv}{dt} = -g_L (v - v_{rest}) + g_L \\Delta_T
        e^{(v - v_{thresh}) / \\Delta_T} - g_e (v - E_e) - g_i (v - E_i) - w + i_{offset},

    \\tau_w \\frac{dw}{dt} = a (v - v_{rest}) - w, \\qquad
    \\frac{dg_x}{dt} = -\\frac{g_x}{\\tau_{syn,x}}, \\qquad g_L = c_m / \\tau_m

At ``v >= v_spike`` the neuron spikes: ``v = v_reset``, ``w += b``, and ``v``
is held at ``v_reset`` for ``tau_refrac`` (whole steps) while ``w`` keeps
relaxing. A spike adds its weight (uS, >= 0) to ``g_x`` at the end of the
step, as NEST.

Numerics (spikesim's, named): each step of ``dt`` is cut into ``n`` equal
sub-steps, ``n = max(ceil(dt / 0.01 ms), dt (g_L + g_e + g_i) / (2 c_m) + 1)``
(0.01 ms is NEST's initial RKF45 step; the second bound keeps the linear
conductance term inside classical RK4's stability interval however large the
conductance). Per sub-step the conductances decay exactly and ``(v, w)``
advance by one classical 4th-order Runge-Kutta step using the exact
conductances at the stage times. A sub-step in which ``v`` reaches
``v_spike`` is redone as 10 pieces, and the piece in which it does as 10
smaller ones, so that the spike and reset are timed to ``dt / 100`` of the
sub-step grid (1e-4 ms; without this the reset lags by half a sub-step on
average and spike trains drift from NEST's, whose adaptive steps shrink at
the upswing). As in NEST's ``aeif_cond_exp`` (which uses
GSL's adaptive RKF45 instead): the right-hand side sees ``v`` capped at
``v_spike`` (so ``exp`` never exceeds ``exp((v_spike - v_thresh)/delta_T)``,
which :func:`check` keeps below ``DBL_MAX / 1e20``), a refractory neuron has
``dv/dt = 0`` at ``v_reset``, and after every sub-step a refractory neuron is
put back to ``v_reset`` and ``v >= v_spike`` fires (so a neuron without
refractoriness may fire several times within one step; the step reports one
spike). From finite input every state stays finite.

Parameters (PyNN's names, units and defaults): ``cm`` 0.281 nF,
``tau_refrac`` 0.1 ms, ``v_spike`` -40 mV, ``v_reset`` -70.6 mV, ``v_rest``
-70.6 mV, ``tau_m`` 9.3667 ms, ``i_offset`` 0 nA, ``a`` 4 nS, ``b`` 0.0805 nA,
``delta_T`` 2 mV, ``tau_w`` 144 ms, ``v_thresh`` -50.4 mV, ``e_rev_E`` 0 mV,
``tau_syn_E`` 5 ms, ``e_rev_I`` -80 mV, ``tau_syn_I`` 5 ms.
"""
import numpy as np

from .._config import jit
from . import _adex
from ._adex import integrate
from .propagators import stack

NAME = "EIF_cond_exp_isfa_ista"
STATE = ("v", "w", "gsyn_exc", "gsyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = _adex.BASE_COLUMNS + ("inv_tau_E", "inv_tau_I")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

PARAMETERS = dict(_adex.PARAMETERS)
UNITS = dict(_adex.UNITS)
POSITIVE = _adex.POSITIVE
NON_NEGATIVE = _adex.NON_NEGATIVE
FLAGS = ()
INITIAL = dict(_adex.INITIAL)
EXTENSIONS = ()
CONDUCTANCE = True

TRANSLATIONS = {
    "pynn": "EIF_cond_exp_isfa_ista",
    "nest": ("aeif_cond_exp", dict(_adex.NEST_PARAMETERS)),
    "nest_derived": _adex.nest_derived,
    "nest_state": dict(_adex.NEST_STATE),
    "nest_initial": ("v", "w"),
    "nest_receptors": dict(_adex.NEST_RECEPTORS),
    "nir": None,
    "spinnaker": None,  # sPyNNaker has no such model
}


@jit
def step(v, w, ge, gi, r, in_e, in_i, h_sub, n_sub, gl, inv_cm, el, dT, vt, vpeak, vreset, a, b,
         inv_tw, ee, ei, i_ext, nref, inv_te, inv_ti):
    """One step of one neuron: ``(v, w, gsyn_exc, gsyn_inh, r, spike)`` (mV, nA, uS, uS)."""
    v, w, ge, gi, _, _, r, spike = integrate(v, w, ge, gi, 0.0, 0.0, r, h_sub * n_sub, n_sub, gl,
                                             inv_cm, el, dT, vt, vpeak, vreset, a, b, inv_tw, ee,
                                             ei, i_ext, nref, inv_te, inv_ti)
    return v, w, ge + in_e, gi + in_i, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    """Kernel columns from PyNN parameters ``p``, step ``dt`` (ms), injected current ``i_inj`` (nA)."""
    return stack(_adex.base_columns(p, dt, i_inj)
                 + [1.0 / np.asarray(p["tau_syn_E"]), 1.0 / np.asarray(p["tau_syn_I"])])


def check(p: dict) -> None:
    """``v_reset < v_spike``, ``v_thresh <= v_spike``, no overflow of the exponential."""
    _adex.check(NAME, p)
