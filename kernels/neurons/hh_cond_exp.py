"""HH_cond_exp: single-compartment Hodgkin-Huxley neuron (Traub & Miles 1991) with exponential conductances.

PyNN ``HH_cond_exp`` / NEST ``hh_cond_exp_traub`` (the equations of NEST's
model, which cites Traub & Miles, *Neuronal Networks of the Hippocampus*,
Cambridge 1991, and Brette et al. 2007, J. Comput. Neurosci. 23:349, benchmark 3):

.. math::

    c_m \\frac{dv}{dt} = -\\bar g_{Na} m^3 h (v - E_{Na}) - \\bar g_K n^4 (v - E_K)
        - g_{leak} (v - E_{leak}) - g_e (v - E_e) - g_i (v - E_i) + i_{offset}

    \\frac{dx}{dt} = \\alpha_x(V) (1 - x) - \\beta_x(V) x, \\quad x \\in \\{m, h, n\\},
    \\qquad \\frac{dg_x}{dt} = -\\frac{g_x}{\\tau_{syn,x}}

with :math:`V = v - v_{offset}` (mV) and rates (1/ms)

.. math::

    \\alpha_m = \\frac{0.32 (13 - V)}{e^{(13 - V)/4} - 1}, \\quad
    \\beta_m = \\frac{0.28 (V - 40)}{e^{(V - 40)/5} - 1}, \\quad
    \\alpha_h = 0.128 e^{(17 - V)/18}, \\quad
    \\beta_h = \\frac{4}{1 + e^{(40 - V)/5}},

    \\alpha_n = \\frac{0.032 (15 - V)}{e^{(15 - V)/5} - 1}, \\quad
    \\beta_n = 0.5 e^{(10 - V)/40}.

The removable singularities of ``x / (e^{x/k} - 1)`` are evaluated with
``expm1`` (and ``k (1 - x/2k)`` for ``|x/k| < 1e-6``), and the rates are
evaluated at ``V`` clipped to +-500 mV, so that no finite state gives a
non-finite rate (NEST evaluates them as written).

Spikes, refractoriness (as NEST's ``hh_cond_exp_traub``): there is no reset.
A neuron spikes at the end of a step when it is not refractory, ``v >=
v_offset + 30`` mV and ``v`` fell during the step (a local maximum passed
above the threshold). A spike starts a refractory period of 2 ms (NEST's
default ``t_ref``, which PyNN's HH_cond_exp does not set; rounded to whole
steps) in which no spike is detected; the dynamics continue unchanged.
A spike's weight (uS, >= 0) is added to ``g_e`` or ``g_i`` at the end of the
step (NEST's order: the step is integrated with the conductances of the
previous step's end, then the input of this step arrives).

Integration scheme: the classical fourth-order Runge-Kutta method (RK4) on
``(v, m, h, n)`` with fixed sub-steps of at most ``H_MAX`` = 0.01 ms (10 per
0.1 ms step); the conductances are evaluated exactly (``g_x e^{-t/tau_x}``)
at each sub-step's start, midpoint and end. Where a sub-step would be
beyond RK4's stability (``h * max(G/c_m, alpha_x + beta_x) > STIFF_RK4`` =
1, with ``G`` the total conductance: only for huge synaptic conductances)
that sub-step uses the exponential midpoint rule instead (a second-order
exponential Runge-Kutta / Rush-Larsen scheme; Rush & Larsen 1978, IEEE
Trans. Biomed. Eng. 25:389), which is stable for any conductance. Each of
``y = v, m, h, n`` obeys ``dy/dt = a(u) - b(u) y`` given the others ``u``:

.. math::

    y_{1/2} = y_\\infty(u_0) + (y_0 - y_\\infty(u_0)) e^{-b(u_0) h/2}, \\qquad
    y_1 = y_\\infty(u_{1/2}) + (y_0 - y_\\infty(u_{1/2})) e^{-b(u_{1/2}) h}

with ``y_inf = a/b``: the gates stay in [0, 1] and ``v`` between the
reversal potentials (shifted by ``i_offset / G``). NEST integrates with
GSL's adaptive RKF45 (absolute error 1e-3); over 1 s of DC-driven firing at
dt = 0.1 ms the two give the same spike steps (at most one step apart), and
RK4 at 0.01 ms equals a 0.0005 ms reference (``tests/test_neurons_hh.py``).

Parameters (defaults as PyNN): ``gbar_Na`` 20 uS, ``gbar_K`` 6 uS,
``g_leak`` 0.01 uS, ``cm`` 0.2 nF, ``v_offset`` -63 mV, ``e_rev_Na`` 50 mV,
``e_rev_K`` -90 mV, ``e_rev_leak`` -65 mV, ``e_rev_E`` 0 mV, ``e_rev_I``
-80 mV, ``tau_syn_E`` 0.2 ms, ``tau_syn_I`` 2 ms, ``i_offset`` 0 nA.
Initial values as PyNN: ``v`` -65 mV, ``m`` 0, ``h`` 1, ``n`` 0, no
conductance.
"""
import math

import numpy as np

from .._config import jit
from .propagators import stack

NAME = "HH_cond_exp"
STATE = ("v", "m", "h", "n", "gsyn_exc", "gsyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("g_Na", "g_K", "g_L", "cm", "v_offset", "e_Na", "e_K", "e_L", "e_E", "e_I", "i_drive",
           "h_sub", "d_half_e", "d_half_i", "n_sub", "n_ref")
INT_COLUMNS = ("n_sub", "n_ref")
SWITCH_COLUMNS = ()

PARAMETERS = dict(gbar_Na=20.0, gbar_K=6.0, g_leak=0.01, cm=0.2, v_offset=-63.0, e_rev_Na=50.0,
                  e_rev_K=-90.0, e_rev_leak=-65.0, e_rev_E=0.0, e_rev_I=-80.0, tau_syn_E=0.2,
                  tau_syn_I=2.0, i_offset=0.0)
UNITS = dict(gbar_Na="uS", gbar_K="uS", g_leak="uS", cm="nF", v_offset="mV", e_rev_Na="mV",
             e_rev_K="mV", e_rev_leak="mV", e_rev_E="mV", e_rev_I="mV", tau_syn_E="ms",
             tau_syn_I="ms", i_offset="nA", v="mV", m="", h="", n="", gsyn_exc="uS",
             gsyn_inh="uS")
POSITIVE = ("cm", "tau_syn_E", "tau_syn_I", "g_leak")
NON_NEGATIVE = ("gbar_Na", "gbar_K")
FLAGS = ()
EXTENSIONS = ()
INITIAL = dict(v=-65.0, m=0.0, h=1.0, n=0.0, gsyn_exc=0.0, gsyn_inh=0.0)
CONDUCTANCE = True

#: longest integration sub-step (ms)
H_MAX = 0.01
#: refractory period after a detected spike (ms): NEST's default t_ref
T_REF = 2.0
#: spike detection: v >= v_offset + V_SPIKE (mV), as NEST
V_SPIKE = 30.0
#: a sub-step uses RK4 while h * (fastest rate) <= STIFF_RK4, else the exponential midpoint
STIFF_RK4 = 1.0
#: the rates are evaluated at V = v - v_offset clipped to this range (mV)
V_CLIP = 500.0

TRANSLATIONS = {
    "pynn": "HH_cond_exp",
    "nest": ("hh_cond_exp_traub", {
        "gbar_Na": ("g_Na", 1000.0), "gbar_K": ("g_K", 1000.0), "g_leak": ("g_L", 1000.0),
        "cm": ("C_m", 1000.0), "v_offset": ("V_T", 1.0), "e_rev_Na": ("E_Na", 1.0),
        "e_rev_K": ("E_K", 1.0), "e_rev_leak": ("E_L", 1.0), "e_rev_E": ("E_ex", 1.0),
        "e_rev_I": ("E_in", 1.0), "tau_syn_E": ("tau_syn_ex", 1.0),
        "tau_syn_I": ("tau_syn_in", 1.0), "i_offset": ("I_e", 1000.0)}),
    "nest_derived": lambda p: {"t_ref": np.full(np.shape(p["cm"]), T_REF)},
    "nest_state": {"v": ("V_m", 1.0), "m": ("Act_m", 1.0), "h": ("Inact_h", 1.0),
                   "n": ("Act_n", 1.0), "gsyn_exc": ("g_ex", 1e-3), "gsyn_inh": ("g_in", 1e-3)},
    "nest_initial": ("v", "m", "h", "n"),
    "nest_receptors": {"excitatory": (0, 1.0), "inhibitory": (0, -1.0)},
    "nir": None,
    "spinnaker": None,  # sPyNNaker has no such model
}


@jit
def _xexp(x, k):
    """``x / (exp(x/k) - 1)`` without 0/0 at ``x = 0`` (-> ``k``)."""
    u = x / k
    if abs(u) < 1e-6:
        return k * (1.0 - 0.5 * u)
    return x / math.expm1(u)


@jit
def _gates(V):
    """``(a_m, b_m, a_h, b_h, a_n, b_n)`` (1/ms) at ``V = v - v_offset`` (mV)."""
    V = min(max(V, -V_CLIP), V_CLIP)
    a_m = 0.32 * _xexp(13.0 - V, 4.0)
    b_m = 0.28 * _xexp(V - 40.0, 5.0)
    a_h = 0.128 * math.exp((17.0 - V) / 18.0)
    b_h = 4.0 / (1.0 + math.exp((40.0 - V) / 5.0))
    a_n = 0.032 * _xexp(15.0 - V, 5.0)
    b_n = 0.5 * math.exp((10.0 - V) / 40.0)
    return a_m, b_m, a_h, b_h, a_n, b_n


@jit
def _relax(y0, a, b, t):
    """``y`` after ``t`` ms of ``dy/dt = a - b y`` with ``a, b`` frozen (``b > 0``)."""
    yinf = a / b
    return yinf + (y0 - yinf) * math.exp(-b * t)


@jit
def _advance(v, m, h, n, ge, gi, t, gna, gk, gl, cm, voff, ena, ek, el, ee, ei, idrive,
             v0, m0, h0, n0):
    """One relaxation of ``(v0, m0, h0, n0)`` over ``t`` ms with coefficients frozen at
    ``(v, m, h, n, ge, gi)``."""
    a_m, b_m, a_h, b_h, a_n, b_n = _gates(v - voff)
    g_na = gna * m * m * m * h
    n2 = n * n
    g_k = gk * n2 * n2
    G = g_na + g_k + gl + ge + gi
    A = g_na * ena + g_k * ek + gl * el + ge * ee + gi * ei + idrive
    return (_relax(v0, A / cm, G / cm, t), _relax(m0, a_m, a_m + b_m, t),
            _relax(h0, a_h, a_h + b_h, t), _relax(n0, a_n, a_n + b_n, t))


@jit
def _rhs(v, m, h, n, ge, gi, gna, gk, gl, cm, voff, ena, ek, el, ee, ei, idrive):
    """``(dv/dt, dm/dt, dh/dt, dn/dt)`` and the stiffness ``max(G/cm, a_x + b_x)`` (1/ms)."""
    a_m, b_m, a_h, b_h, a_n, b_n = _gates(v - voff)
    g_na = gna * m * m * m * h
    n2 = n * n
    g_k = gk * n2 * n2
    G = g_na + g_k + gl + ge + gi
    A = g_na * ena + g_k * ek + gl * el + ge * ee + gi * ei + idrive
    km, kh, kn = a_m + b_m, a_h + b_h, a_n + b_n
    stiff = max(max(G / cm, km), max(kh, kn))
    return (A - G * v) / cm, a_m - km * m, a_h - kh * h, a_n - kn * n, stiff


@jit
def step(v, m, h, n, ge, gi, r, in_e, in_i, gna, gk, gl, cm, voff, ena, ek, el, ee, ei, idrive,
         hs, dhe, dhi, nsub, nref):
    v_old = v
    for _ in range(nsub):
        gem, gim = ge * dhe, gi * dhi
        ge1, gi1 = gem * dhe, gim * dhi
        k1v, k1m, k1h, k1n, stiff = _rhs(v, m, h, n, ge, gi, gna, gk, gl, cm, voff, ena, ek, el,
                                         ee, ei, idrive)
        if stiff * hs <= STIFF_RK4:  # classical RK4
            t2 = 0.5 * hs
            k2v, k2m, k2h, k2n, _s = _rhs(v + t2 * k1v, m + t2 * k1m, h + t2 * k1h, n + t2 * k1n,
                                          gem, gim, gna, gk, gl, cm, voff, ena, ek, el, ee, ei,
                                          idrive)
            k3v, k3m, k3h, k3n, _s = _rhs(v + t2 * k2v, m + t2 * k2m, h + t2 * k2h, n + t2 * k2n,
                                          gem, gim, gna, gk, gl, cm, voff, ena, ek, el, ee, ei,
                                          idrive)
            k4v, k4m, k4h, k4n, _s = _rhs(v + hs * k3v, m + hs * k3m, h + hs * k3h, n + hs * k3n,
                                          ge1, gi1, gna, gk, gl, cm, voff, ena, ek, el, ee, ei,
                                          idrive)
            t6 = hs / 6.0
            v = v + t6 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
            m = m + t6 * (k1m + 2.0 * k2m + 2.0 * k3m + k4m)
            h = h + t6 * (k1h + 2.0 * k2h + 2.0 * k3h + k4h)
            n = n + t6 * (k1n + 2.0 * k2n + 2.0 * k3n + k4n)
        else:  # stiff: exponential midpoint (stable for any conductance)
            vh, mh, hh, nh = _advance(v, m, h, n, ge, gi, 0.5 * hs, gna, gk, gl, cm, voff, ena,
                                      ek, el, ee, ei, idrive, v, m, h, n)
            v, m, h, n = _advance(vh, mh, hh, nh, gem, gim, hs, gna, gk, gl, cm, voff, ena, ek,
                                  el, ee, ei, idrive, v, m, h, n)
        ge, gi = ge1, gi1
    spike = False
    if r > 0:
        r = r - 1
    elif v >= voff + V_SPIKE and v_old > v:
        spike = True
        r = nref
    return v, m, h, n, ge + in_e, gi + in_i, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    n_sub = max(1, int(math.ceil(dt / H_MAX - 1e-9)))
    hs = dt / n_sub
    te, ti = np.asarray(p["tau_syn_E"], float), np.asarray(p["tau_syn_I"], float)
    return stack([p["gbar_Na"], p["gbar_K"], p["g_leak"], p["cm"], p["v_offset"], p["e_rev_Na"],
                  p["e_rev_K"], p["e_rev_leak"], p["e_rev_E"], p["e_rev_I"],
                  np.asarray(p["i_offset"]) + i_inj, hs, np.exp(-0.5 * hs / te),
                  np.exp(-0.5 * hs / ti), n_sub,
                  round(T_REF / dt)])


def check(p: dict) -> None:
    """No relations between HH_cond_exp's parameters to check (ranges are checked per parameter)."""
