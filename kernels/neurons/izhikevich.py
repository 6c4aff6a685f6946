"""Izhikevich: quadratic integrate-and-fire neuron with a recovery variable and delta synapses.

PyNN ``Izhikevich`` / NEST ``izhikevich`` (Izhikevich 2003, IEEE Trans. Neural
Netw. 14:1569, eqs. 1-3):

.. math::

    \\frac{dv}{dt} = 0.04 v^2 + 5 v + 140 - u + I, \\qquad
    \\frac{du}{dt} = a (b v - u), \\qquad
    v \\ge 30\\,\\text{mV}: \\; v \\leftarrow c, \\; u \\leftarrow u + d

with ``I = 1000 i_offset`` (``i_offset`` in nA, as PyNN; pyNN.nest passes
``I_e = 1000 i_offset`` pA, which NEST's ``izhikevich`` adds to ``dv/dt`` as
it is, i.e. 1 pA counts as 1 mV/ms). The scheme is NEST's default
(``consistent_integration = true``; Pauli et al. 2018, Front. Neuroinform.
12:46): forward Euler with both right-hand sides at the old values, and this
step's synaptic input added to ``v`` directly, before the threshold test:

.. math::

    v_{t+1} = v_t + h (0.04 v_t^2 + 5 v_t + 140 - u_t + I) + \\sum w, \\qquad
    u_{t+1} = u_t + h a (b v_t - u_t)

Synapses are voltage jumps (PyNN: "Dirac delta currents"): a weight is in mV
(positive on ``excitatory``, negative on ``inhibitory``, PyNN's sign
convention for current synapses). There is no refractory period.

Parameters (PyNN's names, units and defaults): ``a`` 0.02 /ms, ``b`` 0.2 /ms,
``c`` -65 mV, ``d`` 2 mV/ms, ``i_offset`` 0 nA. Initial values as PyNN:
``v`` -70 mV, ``u`` -14 mV/ms.

sPyNNaker's ``Izhikevich`` is a different model (exponential current
synapses, a midpoint scheme, ``i_offset`` without the factor 1000): see
:mod:`.izk_curr_exp`.
"""
import numpy as np

from .._config import jit
from .propagators import stack

NAME = "Izhikevich"
STATE = ("v", "u")
RECEPTORS = ("excitatory", "inhibitory")
COLUMNS = ("h", "a", "b", "c", "d", "drive", "v_peak")
INT_COLUMNS = ()
SWITCH_COLUMNS = ()

V_PEAK = 30.0  # mV, the spike cut-off of Izhikevich (2003) and NEST's V_th default

PARAMETERS = dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=0.0)
UNITS = dict(a="1/ms", b="1/ms", c="mV", d="mV/ms", i_offset="nA", v="mV", u="mV/ms")
POSITIVE = ()
NON_NEGATIVE = ()
FLAGS = ()
INITIAL = dict(v=-70.0, u=-14.0)
EXTENSIONS = ()

TRANSLATIONS = {
    "pynn": "Izhikevich",
    "nest": ("izhikevich", {"a": ("a", 1.0), "b": ("b", 1.0), "c": ("c", 1.0), "d": ("d", 1.0),
                            "i_offset": ("I_e", 1000.0)}),
    # NEST's defaults V_th = 30 mV and consistent_integration = true are this model
    "nest_derived": lambda p: {"V_th": np.full(np.shape(p["a"]), V_PEAK)},
    "nest_state": {"v": ("V_m", 1.0), "u": ("U_m", 1.0)},
    "nest_initial": ("v", "u"),
    # one NEST port; the weight (mV) goes over unscaled: 1e-3 undoes the backend's nA -> pA
    "nest_receptors": {"excitatory": (0, 1e-3), "inhibitory": (0, 1e-3)},
    "nir": None,
    "spinnaker": None,  # sPyNNaker's "Izhikevich" is izk_curr_exp
}


@jit
def step(v, u, r, in_e, in_i, h, a, b, c, d, drive, vpeak):
    """One step of one neuron (NEST ``izhikevich``, consistent integration).

    Parameters
    ----------
    v, u : float
        Membrane potential (mV) and recovery variable (mV/ms).
    r : int16
        Refractory countdown (unused: the model has none; returned unchanged).
    in_e, in_i : float
        This step's synaptic input (mV), added to ``v``.
    h, a, b, c, d, drive, vpeak : float
        Step (ms), ``a``, ``b`` (1/ms), ``c`` (mV), ``d`` (mV/ms),
        ``140 + I`` (mV/ms) and the cut-off (mV).

    Returns
    -------
    (v, u, r, spike)
    """
    vn = v + h * (0.04 * v * v + 5.0 * v + drive - u) + in_e + in_i
    un = u + h * a * (b * v - u)
    spike = vn >= vpeak
    if spike:
        vn = c
        un = un + d
    return vn, un, r, spike


def columns(p: dict, dt: float, i_inj=0.0) -> np.ndarray:
    """Kernel columns from PyNN parameters ``p``, step ``dt`` (ms), injected current ``i_inj`` (nA)."""
    return stack([dt, p["a"], p["b"], p["c"], p["d"],
                  140.0 + 1000.0 * (np.asarray(p["i_offset"]) + i_inj), V_PEAK])


def check(p: dict) -> None:
    """Refuse ``c >= 30`` mV (the reset would fire again at once)."""
    c = np.atleast_1d(p["c"])
    if (c >= V_PEAK).any():
        raise ValueError(f"{NAME}.c must be below the {V_PEAK} mV cut-off, got c="
                         f"{float(c[c >= V_PEAK][0])!r} mV")
