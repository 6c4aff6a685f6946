"""IF_cond_alpha: leaky integrate-and-fire neuron with alpha-shaped conductances.

PyNN ``IF_cond_alpha`` / NEST ``iaf_cond_alpha`` / sPyNNaker ``IF_cond_alpha``:

.. math::

    c_m \\frac{dv}{dt} = \\frac{c_m}{\\tau_m}(v_{rest} - V) + g_e (E_e - V)
        + g_i (E_i - V) + i_{offset}, \\qquad V = \\min(v, v_{thresh}),

    \\frac{dg_x}{dt} = D_x - \\frac{g_x}{\\tau_{syn,x}}, \\qquad
    \\frac{dD_x}{dt} = -\\frac{D_x}{\\tau_{syn,x}}

A spike of weight ``w`` (uS, >= 0) adds ``w e / tau_syn`` to ``D_x``
(``dgsyn_exc`` / ``dgsyn_inh``, uS/ms): the conductance is the alpha function
``w (t/tau_syn) e^{1 - t/tau_syn}`` with peak ``w`` at ``t = tau_syn``. As in
NEST's ``iaf_cond_alpha``, the currents see ``v`` capped at ``v_thresh``
(which matters only within the step that crosses it) and a refractory
neuron's ``v`` does not move while its conductances do.

Scheme: the five-variable system is integrated over each step by the
embedded Runge-Kutta-Fehlberg 4(5) method (E. Fehlberg 1969, NASA TR R-315;
the coefficients of GSL's ``rkf45``, advancing with the fifth-order
solution) with adaptive sub-steps: a sub-step ``s`` is tried (first ``s =
h``), its error estimate ``|y_5 - y_4|`` is divided per variable by the
absolute tolerance ``TOL`` (1e-3 mV for ``v``; 1e-6 uS and uS/ms for the
conductances and their derivatives, i.e. NEST's 1e-3 in nS) and, with ``r``
the largest ratio, the sub-step is redone with ``s * max(0.2, 0.9
r^{-1/5})`` when ``r > 1.1`` and the next one lengthened by ``min(5, max(1,
0.9 r^{-1/6}))`` when ``r < 0.5`` (the standard step control of GSL's
``gsl_odeiv_control_y_new(1e-3, 0)``, which NEST's ``iaf_cond_alpha`` uses).
Unlike NEST, each step starts with a trial sub-step of the whole step (NEST
starts from the last sub-step it used), so after very large inputs, when
NEST subdivides, the two differ at the level of the tolerance.

Threshold, reset and refractoriness as :mod:`.if_cond_exp` (the threshold is
checked after the step, then the step's input is added to ``D_x``).
Parameters (defaults as PyNN): ``tau_m`` 20 ms, ``cm`` 1 nF, ``v_rest``
-65 mV, ``v_reset`` -65 mV, ``v_thresh`` -50 mV, ``tau_refrac`` 0.1 ms,
``tau_syn_E`` 0.3 ms, ``tau_syn_I`` 0.5 ms, ``e_rev_E`` 0 mV, ``e_rev_I``
-70 mV, ``i_offset`` 0 nA; ``integrate_refractory`` and ``reset="subtract"``
as :mod:`.if_curr_exp` (spikesim only, not exported).
"""
import numpy as np

from .._config import jit
from .propagators import check_reset_below_threshold, stack
from .threshold import refractory_and_spike

NAME = "IF_cond_alpha"
STATE = ("v", "gsyn_exc", "gsyn_inh", "dgsyn_exc", "dgsyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("h", "g_l", "cm", "v_rest", "e_rev_E", "e_rev_I", "i_const", "k_e", "k_i", "psc_e",
           "psc_i", "v_thresh", "v_reset", "n_ref", "integrate_refractory", "reset_subtract")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ("integrate_refractory",)

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_refrac=0.1, tau_syn_E=0.3, tau_syn_I=0.5, e_rev_E=0.0, e_rev_I=-70.0,
                  i_offset=0.0, integrate_refractory=0.0, reset_subtract=0.0)
UNITS = dict(tau_m="ms", cm="nF", v_rest="mV", v_reset="mV", v_thresh="mV", tau_refrac="ms",
             tau_syn_E="ms", tau_syn_I="ms", e_rev_E="mV", e_rev_I="mV", i_offset="nA",
             integrate_refractory="", reset_subtract="", v="mV", gsyn_exc="uS", gsyn_inh="uS",
             dgsyn_exc="uS/ms", dgsyn_inh="uS/ms")
POSITIVE = ("tau_m", "cm", "tau_syn_E", "tau_syn_I")
NON_NEGATIVE = ("tau_refrac",)
FLAGS = ("integrate_refractory", "reset_subtract")
INITIAL = dict(v="v_rest", gsyn_exc=0.0, gsyn_inh=0.0, dgsyn_exc=0.0, dgsyn_inh=0.0)
EXTENSIONS = ("integrate_refractory", "reset_subtract")
CONDUCTANCE = True

#: absolute error tolerance per sub-step: v (mV), then conductances (uS) and derivatives (uS/ms)
TOL_V, TOL_G = 1e-3, 1e-6

TRANSLATIONS = {
    "pynn": "IF_cond_alpha",
    "nest": ("iaf_cond_alpha", {"cm": ("C_m", 1000.0), "v_rest": ("E_L", 1.0),
                                "v_reset": ("V_reset", 1.0), "v_thresh": ("V_th", 1.0),
                                "tau_refrac": ("t_ref", 1.0), "tau_syn_E": ("tau_syn_ex", 1.0),
                                "tau_syn_I": ("tau_syn_in", 1.0), "i_offset": ("I_e", 1000.0),
                                "e_rev_E": ("E_ex", 1.0), "e_rev_I": ("E_in", 1.0)}),
    "nest_derived": lambda p: {"g_L": p["cm"] / p["tau_m"] * 1000.0},  # nS
    # NEST records V_m, g_ex, g_in (nS); the derivatives (dgsyn_*) are not NEST recordables
    "nest_state": {"v": ("V_m", 1.0), "gsyn_exc": ("g_ex", 1e-3), "gsyn_inh": ("g_in", 1e-3)},
    "nest_receptors": {"excitatory": (0, 1.0), "inhibitory": (0, -1.0)},
    "nir": None,
    "spinnaker": None,  # sPyNNaker has no such model
}

# Runge-Kutta-Fehlberg 4(5) tableau (Fehlberg 1969): stage coefficients, the fifth-order weights
# B5 and the error weights E = B5 - B4
_A2 = 1.0 / 4.0
_A3 = (3.0 / 32.0, 9.0 / 32.0)
_A4 = (1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0)
_A5 = (439.0 / 216.0, -8.0, 3680.0 / 513.0, -845.0 / 4104.0)
_A6 = (-8.0 / 27.0, 2.0, -3544.0 / 2565.0, 1859.0 / 4104.0, -11.0 / 40.0)
_B5 = (16.0 / 135.0, 6656.0 / 12825.0, 28561.0 / 56430.0, -9.0 / 50.0, 2.0 / 55.0)  # k1 k3 k4 k5 k6
_E = (1.0 / 360.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0)


@jit
def _rhs(v, ge, gi, de, di, moving, capped, gl, cm, el, ee, ei, i0, ke, ki, vth):
    """Time derivatives ``(dv, dge, dgi, dde, ddi)`` (mV/ms, uS/ms, uS/ms^2)."""
    if moving:
        vv = min(v, vth) if capped else v
        dv = (gl * (el - vv) + ge * (ee - vv) + gi * (ei - vv) + i0) / cm
    else:
        dv = 0.0 * v
    return dv, de - ge * ke, di - gi * ki, -de * ke, -di * ki


@jit
def rkf45_step(v, ge, gi, de, di, moving, capped, h, gl, cm, el, ee, ei, i0, ke, ki, vth):
    """Advance the membrane and alpha conductances by ``h`` ms with adaptive RKF45 sub-steps.

    Parameters
    ----------
    v, ge, gi, de, di : float
        ``v`` (mV), conductances (uS) and their derivatives (uS/ms).
    moving : bool
        False for a refractory neuron held at its value (``dv/dt = 0``).
    capped : bool
        True if the currents see ``min(v, v_thresh)`` (a neuron free to fire).
    h : float
        Step, ms.
    gl, cm, el, ee, ei, i0 : float
        Leak conductance (uS), capacitance (nF), ``v_rest``, ``e_rev_E``,
        ``e_rev_I`` (mV), constant current (nA).
    ke, ki : float
        ``1 / tau_syn_E``, ``1 / tau_syn_I`` (1/ms).
    vth : float
        Threshold, mV.

    Returns
    -------
    tuple
        ``(v, ge, gi, de, di)`` at the end of the step.
    """
    y0, y1, y2, y3, y4 = v + 0.0, ge + 0.0, gi + 0.0, de + 0.0, di + 0.0
    t = 0.0
    s = h
    while t < h:
        final = s >= h - t
        if final:
            s = h - t
        a0, a1, a2, a3, a4 = _rhs(y0, y1, y2, y3, y4, moving, capped, gl, cm, el, ee, ei, i0,
                                  ke, ki, vth)
        b0, b1, b2, b3, b4 = _rhs(y0 + s * _A2 * a0, y1 + s * _A2 * a1, y2 + s * _A2 * a2,
                                  y3 + s * _A2 * a3, y4 + s * _A2 * a4, moving, capped, gl, cm,
                                  el, ee, ei, i0, ke, ki, vth)
        c0, c1, c2, c3, c4 = _rhs(y0 + s * (_A3[0] * a0 + _A3[1] * b0),
                                  y1 + s * (_A3[0] * a1 + _A3[1] * b1),
                                  y2 + s * (_A3[0] * a2 + _A3[1] * b2),
                                  y3 + s * (_A3[0] * a3 + _A3[1] * b3),
                                  y4 + s * (_A3[0] * a4 + _A3[1] * b4),
                                  moving, capped, gl, cm, el, ee, ei, i0, ke, ki, vth)
        d0, d1, d2, d3, d4 = _rhs(y0 + s * (_A4[0] * a0 + _A4[1] * b0 + _A4[2] * c0),
                                  y1 + s * (_A4[0] * a1 + _A4[1] * b1 + _A4[2] * c1),
                                  y2 + s * (_A4[0] * a2 + _A4[1] * b2 + _A4[2] * c2),
                                  y3 + s * (_A4[0] * a3 + _A4[1] * b3 + _A4[2] * c3),
                                  y4 + s * (_A4[0] * a4 + _A4[1] * b4 + _A4[2] * c4),
                                  moving, capped, gl, cm, el, ee, ei, i0, ke, ki, vth)
        e0, e1, e2, e3, e4 = _rhs(y0 + s * (_A5[0] * a0 + _A5[1] * b0 + _A5[2] * c0 + _A5[3] * d0),
                                  y1 + s * (_A5[0] * a1 + _A5[1] * b1 + _A5[2] * c1 + _A5[3] * d1),
                                  y2 + s * (_A5[0] * a2 + _A5[1] * b2 + _A5[2] * c2 + _A5[3] * d2),
                                  y3 + s * (_A5[0] * a3 + _A5[1] * b3 + _A5[2] * c3 + _A5[3] * d3),
                                  y4 + s * (_A5[0] * a4 + _A5[1] * b4 + _A5[2] * c4 + _A5[3] * d4),
                                  moving, capped, gl, cm, el, ee, ei, i0, ke, ki, vth)
        f0, f1, f2, f3, f4 = _rhs(
            y0 + s * (_A6[0] * a0 + _A6[1] * b0 + _A6[2] * c0 + _A6[3] * d0 + _A6[4] * e0),
            y1 + s * (_A6[0] * a1 + _A6[1] * b1 + _A6[2] * c1 + _A6[3] * d1 + _A6[4] * e1),
            y2 + s * (_A6[0] * a2 + _A6[1] * b2 + _A6[2] * c2 + _A6[3] * d2 + _A6[4] * e2),
            y3 + s * (_A6[0] * a3 + _A6[1] * b3 + _A6[2] * c3 + _A6[3] * d3 + _A6[4] * e3),
            y4 + s * (_A6[0] * a4 + _A6[1] * b4 + _A6[2] * c4 + _A6[3] * d4 + _A6[4] * e4),
            moving, capped, gl, cm, el, ee, ei, i0, ke, ki, vth)
        r = max(abs(s * (_E[0] * a0 + _E[1] * c0 + _E[2] * d0 + _E[3] * e0 + _E[4] * f0)) / TOL_V,
                abs(s * (_E[0] * a1 + _E[1] * c1 + _E[2] * d1 + _E[3] * e1 + _E[4] * f1)) / TOL_G,
                abs(s * (_E[0] * a2 + _E[1] * c2 + _E[2] * d2 + _E[3] * e2 + _E[4] * f2)) / TOL_G,
                abs(s * (_E[0] * a3 + _E[1] * c3 + _E[2] * d3 + _E[3] * e3 + _E[4] * f3)) / TOL_G,
                abs(s * (_E[0] * a4 + _E[1] * c4 + _E[2] * d4 + _E[3] * e4 + _E[4] * f4)) / TOL_G)
        if r > 1.1 and s > 1e-9 * h:  # reject: retry with a shorter sub-step
            s = s * max(0.2, 0.9 * r ** -0.2)
            continue
        y0 = y0 + s * (_B5[0] * a0 + _B5[1] * c0 + _B5[2] * d0 + _B5[3] * e0 + _B5[4] * f0)
        y1 = y1 + s * (_B5[0] * a1 + _B5[1] * c1 + _B5[2] * d1 + _B5[3] * e1 + _B5[4] * f1)
        y2 = y2 + s * (_B5[0] * a2 + _B5[1] * c2 + _B5[2] * d2 + _B5[3] * e2 + _B5[4] * f2)
        y3 = y3 + s * (_B5[0] * a3 + _B5[1] * c3 + _B5[2] * d3 + _B5[3] * e3 + _B5[4] * f3)
        y4 = y4 + s * (_B5[0] * a4 + _B5[1] * c4 + _B5[2] * d4 + _B5[3] * e4 + _B5[4] * f4)
        t = h if final else t + s
        if r < 0.5:
            s = s * (5.0 if r == 0.0 else min(5.0, max(1.0, 0.9 * r ** (-1.0 / 6.0))))
    return y0, y1, y2, y3, y4


@jit
def step(v, ge, gi, de, di, r, in_e, in_i, h, gl, cm, el, ee, ei, i0, ke, ki, psc_e, psc_i, vth,
         vreset, nref, integ, subtract):
    moving = r <= 0 or integ
    vn, ge, gi, de, di = rkf45_step(v, ge, gi, de, di, moving, r <= 0, h, gl, cm, el, ee, ei, i0,
                                    ke, ki, vth)
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, integ, subtract)
    de = de + psc_e * in_e
    di = di + psc_i * in_i
    return vn, ge, gi, de, di, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    te, ti = np.asarray(p["tau_syn_E"]), np.asarray(p["tau_syn_I"])
    return stack([dt, cm / tau_m, cm, p["v_rest"], p["e_rev_E"], p["e_rev_I"],
                  np.asarray(p["i_offset"]) + i_inj, 1.0 / te, 1.0 / ti, np.e / te, np.e / ti,
                  p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                  p["integrate_refractory"], p["reset_subtract"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
