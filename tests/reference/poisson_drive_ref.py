"""NumPy twin of :mod:`spikesim.kernels.poisson_drive` (plain loops, scipy-free)."""
import math

import numpy as np

LAM_SWITCH = 10.0
_STREAM = 0x632BE59BD9B4E019
M64 = (1 << 64) - 1


def uniform(seed, k, t):
    z = (int(seed) ^ ((int(k) * 0x9E3779B97F4A7C15) & M64) ^ ((int(t) * 0xC2B2AE3D27D4EB4F) & M64)) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z = z ^ (z >> 31)
    return (z >> 11) * (1.0 / 9007199254740992.0)


def poisson_count(seed, key, u, lam):
    seed, key, u, lam = int(seed), int(key), int(u), float(lam)
    if lam <= 0:
        return 0
    if lam < LAM_SWITCH:
        x = uniform(seed, key, u)
        k, p = 0, math.exp(-lam)
        f = p
        while x > f and k < 1000:
            k += 1
            p *= lam / k
            f += p
        return k
    slam, loglam = math.sqrt(lam), math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    j = 1
    while True:
        U = uniform((seed + j * _STREAM) & M64, key, u) - 0.5
        V = uniform((seed + (j + 1) * _STREAM) & M64, key, u)
        j += 2
        us = 0.5 - abs(U)
        k = math.floor((2.0 * a / us + b) * U + lam + 0.43)
        if us >= 0.07 and V <= vr:
            return k
        if k < 0 or (us < 0.013 and V > us):
            continue
        if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)) <= \
                (-lam + k * loglam - math.lgamma(k + 1.0)):
            return k


def add_poisson_counts(buf, slot_mask, s0, s1, bounds, g_lo, g_n, g_rec, g_delay, g_start,
                       g_stop, g_seed, g_key0, g_e0, g_tab, tab, lam, elam, w):
    """Every (step, segment, neuron): inversion count, ``k * w`` in the buffer's precision."""
    for s in range(s0, s1):
        for g in range(len(g_lo)):
            u = s - g_delay[g]
            if not g_start[g] <= u < g_stop[g]:
                continue
            for i in range(g_n[g]):
                e = g_e0[g] + i
                k = poisson_count(g_seed[g], g_key0[g] + i, u, lam[e])
                buf[g_rec[g], s & slot_mask, g_lo[g] + i] += w.dtype.type(k) * w[e]
