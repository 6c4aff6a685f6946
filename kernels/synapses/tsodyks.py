"""TsodyksMarkramSynapse: depressing and facilitating synapse with three resource states.

Tsodyks, Uziel & Markram (2000), J. Neurosci. 20:RC50; as NEST's
``tsodyks_synapse`` (which pyNN.nest uses for PyNN's ``TsodyksMarkramSynapse``).
Resources are recovered (``x``), active (``y``) or inactive (``z = 1 - x - y``);
``u`` is the utilisation. Between spikes, over ``h`` ms (exact):

.. math::

    u \\leftarrow u e^{-h/\\tau_{facil}}, \\quad
    y \\leftarrow y e^{-h/\\tau_{psc}}, \\quad
    x \\leftarrow x + P_{xy} y + (1 - e^{-h/\\tau_{rec}}) z,

    P_{xy} = \\frac{(e^{-h/\\tau_{rec}} - 1)\\tau_{rec} - (e^{-h/\\tau_{psc}} - 1)\\tau_{psc}}
                  {\\tau_{psc} - \\tau_{rec}}

(with ``y`` and ``x`` propagated from their values before the step). At the
spike: ``u += U (1 - u)``, then ``\\Delta = u x``, ``x -= \\Delta``,
``y += \\Delta`` and the weight transmitted is ``\\Delta w``. ``tau_facil = 0``
means no facilitation (``u`` is ``U`` at every spike). ``tau_psc`` is the
decay of the postsynaptic current (PyNN takes it from the target's
``tau_syn``). Initially ``x = 1``, ``y = 0``, ``u = 0`` (PyNN's default).
"""
import math

from .._config import jit

NAME = "TsodyksMarkramSynapse"
STATE = ("u", "x", "y")
INITIAL = dict(u=0.0, x=1.0, y=0.0)
PARAMS = ("U", "tau_rec", "tau_facil", "tau_psc")
TRANSLATIONS = {
    "pynn": "TsodyksMarkramSynapse",
    # (NEST synapse model, {parameter: NEST name}, {state: NEST name})
    "nest": ("tsodyks_synapse", {"U": "U", "tau_rec": "tau_rec", "tau_facil": "tau_fac",
                                 "tau_psc": "tau_psc"}, {"u": "u", "x": "x", "y": "y"}),
}


@jit
def release(h, S, P, k, rnd):
    U, tau_rec, tau_fac, tau_psc = P[0, k], P[1, k], P[2, k], P[3, k]
    u, x, y = S[0, k], S[1, k], S[2, k]
    if h < 0.0:
        # the first spike: NEST propagates from t = 0, which leaves the initial rest state
        # (x = 1, y = 0, u = 0) unchanged; so does any interval
        h = 0.0
    puu = 0.0 if tau_fac == 0.0 else math.exp(-h / tau_fac)
    pyy = math.exp(-h / tau_psc)
    pzz = math.exp(-h / tau_rec)
    if tau_psc == tau_rec:  # the limit of P_xy for tau_psc -> tau_rec
        pxy = h / tau_rec * pzz
    else:
        pxy = ((pzz - 1.0) * tau_rec - (pyy - 1.0) * tau_psc) / (tau_psc - tau_rec)
    z = 1.0 - x - y
    u = u * puu
    x = x + pxy * y + (1.0 - pzz) * z
    y = y * pyy
    u = u + U * (1.0 - u)
    d = u * x
    S[0, k] = u
    S[1, k] = x - d
    S[2, k] = y + d
    return d
