"""IF_curr_alpha: leaky integrate-and-fire neuron with alpha-shaped current synapses.

PyNN ``IF_curr_alpha`` / NEST ``iaf_psc_alpha`` / sPyNNaker ``IF_curr_alpha``:

.. math::

    c_m \\frac{dv}{dt} = c_m \\frac{v_{rest} - v}{\\tau_m} + I_e + I_i + i_{offset},
    \\qquad
    \\frac{dI_x}{dt} = D_x - \\frac{I_x}{\\tau_{syn,x}}, \\quad
    \\frac{dD_x}{dt} = -\\frac{D_x}{\\tau_{syn,x}}

A spike of weight ``w`` (nA; negative for inhibitory) adds ``w e / tau_syn``
to ``D_x`` (``disyn_exc`` / ``disyn_inh``, nA/ms), so that the current is the
alpha function ``I(t) = w (t / tau_syn) e^{1 - t/tau_syn}``, which peaks at
``w`` when ``t = tau_syn`` (NEST's normalisation, ``EPSCInitialValue = e /
tau_syn`` in ``iaf_psc_alpha``). The system is linear and is integrated
exactly (Rotter & Diesmann 1999, Biol. Cybern. 81:381, "Exact digital
simulation of time-invariant linear systems"), in NEST's order for one step:
the membrane moves with the currents of the previous step, then the
currents move and receive this step's input, then the threshold is checked.

.. math::

    v_{t+1} = P_{33} v_t + \\sum_x (P_{31,x} D_{x,t} + P_{32,x} I_{x,t}) + v_{const},
    \\qquad
    I_{x,t+1} = P_{11,x} I_{x,t} + h P_{11,x} D_{x,t}, \\quad
    D_{x,t+1} = P_{11,x} D_{x,t} + \\frac{e}{\\tau_{syn,x}} \\text{input}_{x,t+1}

with ``P_{11} = e^{-h/tau_syn}``, ``P_{33} = e^{-h/tau_m}``, ``a = 1/tau_syn -
1/tau_m`` and

.. math::

    P_{32} = \\frac{e^{-h/\\tau_m}}{c_m} \\frac{1 - e^{-a h}}{a}, \\qquad
    P_{31} = \\frac{e^{-h/\\tau_m}}{c_m} \\frac{1 - e^{-a h}(1 + a h)}{a^2},

(limits ``h/c_m e^{-h/tau_m}`` and ``h^2/(2 c_m) e^{-h/tau_m}`` as ``a -> 0``;
computed by a series near ``a h = 0``, so ``tau_syn = tau_m`` needs no special
case), ``v_{const} = (1 - P_{33}) v_{rest} + tau_m/c_m (1 - P_{33}) i_{offset}``.

Threshold, reset and refractoriness as :mod:`.if_curr_exp` (``v`` held at
``v_reset`` for ``tau_refrac``, rounded to whole steps). Parameters (defaults
as PyNN): ``tau_m`` 20 ms, ``cm`` 1 nF, ``v_rest`` -65 mV, ``v_reset`` -65 mV,
``v_thresh`` -50 mV, ``tau_refrac`` 0.1 ms, ``tau_syn_E`` 0.5 ms,
``tau_syn_I`` 0.5 ms, ``i_offset`` 0 nA; ``integrate_refractory`` and
``reset="subtract"`` as :mod:`.if_curr_exp` (spikesim only, not exported).
"""
import numpy as np

from .._config import jit
from . import if_curr_exp as _exp
from .propagators import check_reset_below_threshold, p21, stack
from .threshold import refractory_and_spike

NAME = "IF_curr_alpha"
STATE = ("v", "isyn_exc", "isyn_inh", "disyn_exc", "disyn_inh")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("p33", "p31e", "p32e", "p31i", "p32i", "p11e", "p21e", "p11i", "p21i", "psc_e", "psc_i",
           "v_const", "v_thresh", "v_reset", "n_ref", "integrate_refractory", "reset_subtract")
INT_COLUMNS = ("n_ref",)
SWITCH_COLUMNS = ("integrate_refractory",)

PARAMETERS = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                  tau_refrac=0.1, tau_syn_E=0.5, tau_syn_I=0.5, i_offset=0.0,
                  integrate_refractory=0.0, reset_subtract=0.0)
UNITS = dict(_exp.UNITS, disyn_exc="nA/ms", disyn_inh="nA/ms")
POSITIVE = _exp.POSITIVE
NON_NEGATIVE = _exp.NON_NEGATIVE
FLAGS = _exp.FLAGS
INITIAL = dict(v="v_rest", isyn_exc=0.0, isyn_inh=0.0, disyn_exc=0.0, disyn_inh=0.0)
EXTENSIONS = _exp.EXTENSIONS

TRANSLATIONS = {
    "pynn": "IF_curr_alpha",
    # the parameters, recordables and receptors of NEST's iaf_psc_exp; the derivatives
    # (disyn_*) are not NEST recordables
    "nest": ("iaf_psc_alpha", _exp.TRANSLATIONS["nest"][1]),
    "nest_state": _exp.TRANSLATIONS["nest_state"],
    "nest_receptors": _exp.TRANSLATIONS["nest_receptors"],
    "nir": None,
    "spinnaker": "IF_curr_alpha",
}


@jit
def step(v, ie, ii, de, di, r, in_e, in_i, p33, p31e, p32e, p31i, p32i, p11e, p21e, p11i, p21i,
         psc_e, psc_i, vc, vth, vreset, nref, integ, subtract):
    vn = p33 * v + p31e * de + p32e * ie + p31i * di + p32i * ii + vc
    vn, r, spike = refractory_and_spike(v, vn, r, vth, vreset, nref, integ, subtract)
    ie = p11e * ie + p21e * de
    de = p11e * de + psc_e * in_e
    ii = p11i * ii + p21i * di
    di = p11i * di + psc_i * in_i
    return vn, ie, ii, de, di, r, spike


# g(x) = (1 - e^{-x} (1 + x)) / x^2 = sum_{m >= 2} (-1)^m (m - 1) / m! x^(m - 2), for |x| < 0.1
_G_SERIES = np.array([(-1.0) ** m * (m - 1) / np.prod(np.arange(1.0, m + 1)) for m in range(2, 14)])


def p31(tau_m, tau_s, cm, h):
    """Exact propagator from the alpha-current derivative ``D`` to the membrane.

    Parameters
    ----------
    tau_m, tau_s : float or ndarray
        Membrane and synaptic time constants, ms.
    cm : float or ndarray
        Membrane capacitance, nF.
    h : float
        Time step, ms.

    Returns
    -------
    ndarray
        ``P31 = 1/cm int_0^h e^{-(h-s)/tau_m} s e^{-s/tau_s} ds`` in mV per
        (nA/ms): ``e^{-h/tau_m}/cm (1 - e^{-ah}(1 + ah)) / a^2`` with ``a =
        1/tau_s - 1/tau_m`` (Rotter & Diesmann 1999), by a power series for
        ``|ah| < 0.1`` and ``(e^{-h/tau_m} - e^{-h/tau_s}(1 + ah)) / (cm a^2)``
        for ``|ah| >= 1`` (no overflow for ``tau_s >> tau_m``).
    """
    tau_m, tau_s, cm = (np.asarray(x, dtype=np.float64) for x in (tau_m, tau_s, cm))
    a = 1.0 / tau_s - 1.0 / tau_m
    x = h * a
    safe = np.where(np.abs(x) < 0.1, 1.0, x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        series = np.polyval(_G_SERIES[::-1], np.where(np.abs(x) < 0.1, x, 0.0))
        mid = (-np.expm1(-safe) - safe * np.exp(-safe)) / safe ** 2
        g = np.where(np.abs(x) < 0.1, series, mid)
        near = h * h * g * np.exp(-h / tau_m) / cm
        safe_a = np.where(a == 0, 1.0, a)
        far = (np.exp(-h / tau_m) - np.exp(-h / tau_s) * (1.0 + x)) / (cm * safe_a ** 2)
    return np.where(np.abs(x) < 1.0, near, far)


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    tau_m, cm = np.asarray(p["tau_m"]), np.asarray(p["cm"])
    te, ti = np.asarray(p["tau_syn_E"]), np.asarray(p["tau_syn_I"])
    p33 = np.exp(-dt / tau_m)
    p30 = -tau_m / cm * np.expm1(-dt / tau_m)
    p11e, p11i = np.exp(-dt / te), np.exp(-dt / ti)
    return stack([p33, p31(tau_m, te, cm, dt), p21(tau_m, te, cm, dt),
                  p31(tau_m, ti, cm, dt), p21(tau_m, ti, cm, dt),
                  p11e, dt * p11e, p11i, dt * p11i, np.e / te, np.e / ti,
                  -np.expm1(-dt / tau_m) * p["v_rest"] + p30 * (p["i_offset"] + i_inj),
                  p["v_thresh"], p["v_reset"], np.round(np.asarray(p["tau_refrac"]) / dt),
                  p["integrate_refractory"], p["reset_subtract"]])


def check(p: dict) -> None:
    check_reset_below_threshold(NAME, p)
