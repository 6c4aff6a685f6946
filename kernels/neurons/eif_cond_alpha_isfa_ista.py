"""EIF_cond_alpha_isfa_ista: adaptive exponential integrate-and-fire (AdEx) neuron, alpha conductances.

PyNN ``EIF_cond_alpha_isfa_ista`` / NEST ``aeif_cond_alpha`` / sPyNNaker
``EIF_cond_alpha_isfa_ista``; Brette & Gerstner (2005), J. Neurophysiol.
94:3637, with alpha-shaped conductances as NEST's ``aeif_cond_alpha``:

.. math::

    c_m \\frac{dv}{dt} = -g_L (v - v_{rest}) + g_L \\Delta_T
        e^{(v - v_{thresh}) / \\Delta_T} - g_e (v - E_e) - g_i (v - E_i) - w + i_{offset},

    \\tau_w \\frac{dw}{dt} = a (v - v_{rest}) - w, \\qquad
    \\frac{d\\dot g_x}{dt} = -\\frac{\\dot g_x}{\\tau_{syn,x}}, \\qquad
    \\frac{dg_x}{dt} = \\dot g_x - \\frac{g_x}{\\tau_{syn,x}}

A spike of weight ``w`` (uS) adds ``w e / tau_syn`` to ``dg_x/dt`` (at the end
of the step, as NEST), so ``g_x`` peaks at ``w`` after ``tau_syn``. Over a
sub-step ``s`` the conductances move exactly:
``\\dot g(s) = \\dot g_0 e^{-s/\\tau}``, ``g(s) = (g_0 + \\dot g_0 s) e^{-s/\\tau}``.
Spikes, reset, adaptation jump, refractoriness, the cap of ``v`` at
``v_spike`` in the exponential and the sub-stepped RK4 scheme are those of
:mod:`.eif_cond_exp_isfa_ista` (the stiffness bound uses
``g_0 + \\dot g_0 dt``, an upper bound of ``g`` over the step).

State: ``v`` (mV), ``w`` (nA), ``gsyn_exc``, ``gsyn_inh`` (uS) and their
derivatives ``dgsyn_exc``, ``dgsyn_inh`` (uS/ms; NEST ``dg_ex``/``dg_in``,
not recordable through the NEST backend). Parameters as
``EIF_cond_exp_isfa_ista`` (PyNN's names, units and defaults).
"""
import numpy as np

from .._config import jit
from . import _adex
from ._adex import integrate
from .propagators import stack

NAME = "EIF_cond_alpha_isfa_ista"
STATE = ("v", "w", "gsyn_exc", "gsyn_inh", "dgsyn_exc", "dgsyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = _adex.BASE_COLUMNS + ("inv_tau_E", "inv_tau_I", "g0_E", "g0_I")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

PARAMETERS = dict(_adex.PARAMETERS)
UNITS = dict(_adex.UNITS, dgsyn_exc="uS/ms", dgsyn_inh="uS/ms")
POSITIVE = _adex.POSITIVE
NON_NEGATIVE = _adex.NON_NEGATIVE
FLAGS = ()
INITIAL = dict(_adex.INITIAL, dgsyn_exc=0.0, dgsyn_inh=0.0)
EXTENSIONS = ()
CONDUCTANCE = True

TRANSLATIONS = {
    "pynn": "EIF_cond_alpha_isfa_ista",
    "nest": ("aeif_cond_alpha", dict(_adex.NEST_PARAMETERS)),
    "nest_derived": _adex.nest_derived,
    "nest_state": dict(_adex.NEST_STATE),
    "nest_initial": ("v", "w"),
    "nest_receptors": dict(_adex.NEST_RECEPTORS),
    "nir": None,
    "spinnaker": None,  # sPyNNaker has no such model
}


@jit
def step(v, w, ge, gi, dge, dgi, r, in_e, in_i, h_sub, n_sub, gl, inv_cm, el, dT, vt, vpeak,
         vreset, a, b, inv_tw, ee, ei, i_ext, nref, inv_te, inv_ti, g0e, g0i):
    """One step of one neuron: ``(v, w, gsyn_exc, gsyn_inh, dgsyn_exc, dgsyn_inh, r, spike)``."""
    v, w, ge, gi, dge, dgi, r, spike = integrate(v, w, ge, gi, dge, dgi, r, h_sub * n_sub, n_sub,
                                                 gl, inv_cm, el, dT, vt, vpeak, vreset, a, b,
                                                 inv_tw, ee, ei, i_ext, nref, inv_te, inv_ti)
    return v, w, ge, gi, dge + in_e * g0e, dgi + in_i * g0i, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    """Kernel columns from PyNN parameters ``p``, step ``dt`` (ms), injected current ``i_inj`` (nA)."""
    te, ti = np.asarray(p["tau_syn_E"], np.float64), np.asarray(p["tau_syn_I"], np.float64)
    return stack(_adex.base_columns(p, dt, i_inj) + [1.0 / te, 1.0 / ti, np.e / te, np.e / ti])


def check(p: dict) -> None:
    """``v_reset < v_spike``, ``v_thresh <= v_spike``, no overflow of the exponential."""
    _adex.check(NAME, p)
