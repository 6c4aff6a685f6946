"""Tsodyks2Synapse: short-term depression and facilitation in Markram's two-variable form.

Markram, Wang & Tsodyks (1998), PNAS 95:5323 (eqs. 4-5 of Maass & Markram
2002); as NEST's ``tsodyks2_synapse``. Between spikes ``x`` recovers to 1 with
``tau_rec`` and ``u`` relaxes to ``U`` with ``tau_facil``; a spike ``h`` ms
after the previous one finds

.. math::

    x \\leftarrow 1 + (x - x u - 1) e^{-h/\\tau_{rec}}, \\qquad
    u \\leftarrow U + u (1 - U) e^{-h/\\tau_{facil}}

(``x`` and ``u`` on the right are the values after the previous spike) and
transmits ``u x w``. ``tau_facil = 0``: ``u = U``. Initially ``x = 1``,
``u = U`` (NEST's defaults); the first spike transmits with these values, as
NEST's ``tsodyks2_synapse`` does since its fix of the first spike
(nest-simulator pull request 3384).
"""
import math

from .._config import jit

NAME = "Tsodyks2Synapse"
STATE = ("u", "x")
INITIAL = dict(u="U", x=1.0)
PARAMS = ("U", "tau_rec", "tau_facil")
TRANSLATIONS = {
    "pynn": None,
    "nest": ("tsodyks2_synapse", {"U": "U", "tau_rec": "tau_rec", "tau_facil": "tau_fac"},
             {"u": "u", "x": "x"}),
}


@jit
def release(h, S, P, k, rnd):
    U, tau_rec, tau_fac = P[0, k], P[1, k], P[2, k]
    u, x = S[0, k], S[1, k]
    if h < 0.0:  # the first spike: the initial state as it is
        return u * x
    x_decay = math.exp(-h / tau_rec)
    u_decay = 0.0 if tau_fac == 0.0 else math.exp(-h / tau_fac)
    x = 1.0 + (x - x * u - 1.0) * x_decay
    u = U + u * (1.0 - U) * u_decay
    S[0, k] = u
    S[1, k] = x
    return u * x
