"""AdExpMultisynAlpha: AdEx neuron with up to four alpha-shaped conductance receptors.

PyNN ``PointNeuron(AdExp(...), name=CondAlphaPostSynapticResponse(tau_syn=..., e_syn=...), ...)``
(``AlphaPSR``) / NEST ``aeif_cond_alpha_multisynapse``. Brette & Gerstner (2005),
J. Neurophysiol. 94:3637, with ``K_MAX = 4`` alpha conductances, each with its own time
constant and reversal potential:

.. math::

    c_m \\frac{dv}{dt} = -g_L (v - v_{rest}) + g_L \\Delta_T e^{(v - v_{thresh}) / \\Delta_T}
        - \\sum_{k=0}^{3} g_k (v - E_{syn,k}) - w + i_{offset},

    \\tau_w \\frac{dw}{dt} = a (v - v_{rest}) - w, \\qquad
    \\frac{d\\dot g_k}{dt} = -\\frac{\\dot g_k}{\\tau_{syn,k}}, \\qquad
    \\frac{dg_k}{dt} = \\dot g_k - \\frac{g_k}{\\tau_{syn,k}}

A spike of weight ``w`` (uS, >= 0) onto receptor ``r<k>`` adds ``w e / tau_syn_k`` to
``dg_k/dt`` at the end of the step (as NEST), so ``g_k`` peaks at ``w`` after ``tau_syn_k``.
The integration is that of :mod:`.eif_cond_alpha_isfa_ista` (:mod:`._adex`: RK4 sub-steps of
``(v, w)`` with exactly moving conductances, refinement of the sub-step reaching ``v_spike``,
NEST's spike/refractory rule), through :func:`._adex.integrate_k`, which evaluates the same
right-hand side with ``G = sum_k g_k`` and the current ``sum_k g_k E_k``.

Parameters: PyNN's ``AdExp`` (names, units, defaults of ``EIF_cond_alpha_isfa_ista`` without
the two synapses) and ``tau_syn_0`` .. ``tau_syn_3`` (5 ms), ``e_syn_0`` .. ``e_syn_3`` (0 mV;
PyNN's ``CondAlphaPostSynapticResponse`` defaults). State: ``v`` (mV), ``w`` (nA),
``gsyn_0`` .. ``gsyn_3`` (uS), ``dgsyn_0`` .. ``dgsyn_3`` (uS/ms).
"""
import numpy as np

from .._config import jit
from . import _adex
from .propagators import stack

K_MAX = 4
_K = range(K_MAX)
NAME = "AdExpMultisynAlpha"
STATE = ("v", "w") + tuple(f"gsyn_{k}" for k in _K) + tuple(f"dgsyn_{k}" for k in _K)
RECEPTORS = tuple(f"r{k}" for k in _K)
_BASE = tuple(c for c in _adex.BASE_COLUMNS if c not in ("e_rev_E", "e_rev_I"))
COLUMNS = (_BASE + tuple(f"inv_tau_{k}" for k in _K) + tuple(f"g0_{k}" for k in _K)
           + tuple(f"e_syn_{k}" for k in _K))
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ()

_SYN = ("e_rev_E", "tau_syn_E", "e_rev_I", "tau_syn_I")
PARAMETERS = dict({k: v for k, v in _adex.PARAMETERS.items() if k not in _SYN},
                  **{f"tau_syn_{k}": 5.0 for k in _K}, **{f"e_syn_{k}": 0.0 for k in _K})
UNITS = dict({k: v for k, v in _adex.UNITS.items() if k not in _SYN + ("gsyn_exc", "gsyn_inh")},
             **{f"tau_syn_{k}": "ms" for k in _K}, **{f"e_syn_{k}": "mV" for k in _K},
             **{f"gsyn_{k}": "uS" for k in _K}, **{f"dgsyn_{k}": "uS/ms" for k in _K})
POSITIVE = tuple(p for p in _adex.POSITIVE if p not in _SYN) + tuple(f"tau_syn_{k}" for k in _K)
NON_NEGATIVE = _adex.NON_NEGATIVE
FLAGS = ()
INITIAL = dict(v="v_rest", w=0.0, **{f"gsyn_{k}": 0.0 for k in _K},
               **{f"dgsyn_{k}": 0.0 for k in _K})
EXTENSIONS = ()
CONDUCTANCE = True

TRANSLATIONS = {
    # PyNN reaches this model through PointNeuron (spikesim.pynn.standardmodels.PointNeuron)
    "pynn": None,
    # NEST's aeif_cond_alpha_multisynapse takes tau_syn and E_rev as vectors; the NEST backend
    # sets scalars per parameter, so it does not build this model (tests compare with PyNEST)
    "nest": None,
    "nir": None,
    "spinnaker": None,
}


@jit
def step(v, w, g0, g1, g2, g3, d0, d1, d2, d3, r, in0, in1, in2, in3, h_sub, n_sub, gl, inv_cm,
         el, dT, vt, vpeak, vreset, a, b, inv_tw, i_ext, nref, it0, it1, it2, it3,
         a0, a1, a2, a3, e0, e1, e2, e3):
    """One step of one neuron: ``(v, w, gsyn_0..3, dgsyn_0..3, r, spike)``."""
    v, w, g, dg, r, spike = _adex.integrate_k(v, w, (g0, g1, g2, g3), (d0, d1, d2, d3), r,
                                              h_sub * n_sub, n_sub, gl, inv_cm, el, dT, vt,
                                              vpeak, vreset, a, b, inv_tw, i_ext, nref,
                                              (it0, it1, it2, it3), (e0, e1, e2, e3))
    return (v, w, g[0], g[1], g[2], g[3], dg[0] + in0 * a0, dg[1] + in1 * a1, dg[2] + in2 * a2,
            dg[3] + in3 * a3, r, spike)


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    """Kernel columns from PyNN parameters ``p``, step ``dt`` (ms), injected current ``i_inj`` (nA)."""
    base = _adex.base_columns({**p, "e_rev_E": 0.0, "e_rev_I": 0.0}, dt, i_inj)
    base = [c for name, c in zip(_adex.BASE_COLUMNS, base) if name in _BASE]
    taus = [np.asarray(p[f"tau_syn_{k}"], np.float64) for k in _K]
    return stack(base + [1.0 / t for t in taus] + [np.e / t for t in taus]
                 + [p[f"e_syn_{k}"] for k in _K])


def check(p: dict) -> None:
    """``v_reset < v_spike``, ``v_thresh <= v_spike``, no overflow of the exponential."""
    _adex.check(NAME, p)
