"""Twins of the synapse dynamics in spikesim.kernels.synapses: plain Python per synapse."""
import math

import numpy as np


def uniform(seed, k, t):
    """splitmix64's finaliser on (seed, k, t), with Python integers masked to 64 bits."""
    m = (1 << 64) - 1
    z = (int(seed) ^ ((int(k) * 0x9E3779B97F4A7C15) & m) ^ ((int(t) * 0xC2B2AE3D27D4EB4F) & m)) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    z = z ^ (z >> 31)
    return (z >> 11) / 9007199254740992.0


def tsodyks(h, s, p, rnd):
    U, tau_rec, tau_fac, tau_psc = p
    u, x, y = s
    h = max(h, 0.0)
    puu = 0.0 if tau_fac == 0 else math.exp(-h / tau_fac)
    pyy, pzz = math.exp(-h / tau_psc), math.exp(-h / tau_rec)
    pxy = (h / tau_rec * pzz if tau_psc == tau_rec
           else ((pzz - 1) * tau_rec - (pyy - 1) * tau_psc) / (tau_psc - tau_rec))
    z = 1 - x - y
    u = u * puu
    x, y = x + pxy * y + (1 - pzz) * z, y * pyy
    u = u + U * (1 - u)
    d = u * x
    return d, [u, x - d, y + d]


def tsodyks2(h, s, p, rnd):
    U, tau_rec, tau_fac = p
    u, x = s
    if h >= 0:
        x = 1 + (x - x * u - 1) * math.exp(-h / tau_rec)
        u = U + u * (1 - U) * (0.0 if tau_fac == 0 else math.exp(-h / tau_fac))
    return u * x, [u, x]


def bernoulli(h, s, p, rnd):
    return (1.0 if rnd < p[0] else 0.0), []


def deliver(name, S, P, last, k, t, dt, seed, n_state, n_par):
    """Factor of a spike of step ``t`` through dynamic synapse column ``k`` (updates S, last)."""
    h = -1.0 if last[k] == 0 else (t + 1 - last[k]) * dt
    last[k] = t + 1
    f, new = globals()[name](h, list(S[:n_state, k]), list(P[:n_par, k]), uniform(seed, k, t))
    S[:len(new), k] = new
    return f
