"""Poisson background drive as per-step input counts, without spike events.

A drive entry ``e`` is one target neuron of a Poisson input: in every
emission step ``u`` with ``start[e] <= u < stop[e]`` it emits
``k ~ Poisson(lam[e])`` input spikes (``lam = rate dt``), which arrive
``delay[e]`` steps later as one weighted count ``k w[e]`` added into the
target's ring-buffer slot (NEST's ``poisson_generator``, which draws a
Poisson number per target and step and sends it as one event with that
multiplicity; sPyNNaker's ``SpikeSourcePoisson`` at high rates). The cost is
one draw per target and step, whatever the rate.

The draws are counter-based (:func:`spikesim.kernels.synapses.uniform`):
the count of entry ``e`` for step ``u`` depends only on ``(seed[e],
key[e], u)``, so it does not depend on threads or on how runs are split.
Counts below ``LAM_SWITCH`` are drawn by inversion from one uniform; at and
above, by Hörmann's transformed rejection with squeeze (PTRS, Hörmann 1993,
Insurance: Mathematics and Economics 12:39, as numpy's ``Generator.poisson``
does), which takes a few uniforms per draw.
"""
import math

import numpy as np
from numba import prange

from ._config import jit
from .synapses import mix64, uniform

LAM_SWITCH = 10.0
_STREAM = np.uint64(0x632BE59BD9B4E019)  # seed offset of the j-th extra uniform of a draw


@jit
def poisson_count(seed, key, u, lam, elam):
    """A Poisson(lam) count for (seed, key, step u); ``elam = exp(-lam)``."""
    if lam <= 0.0:
        return 0
    if lam < LAM_SWITCH:
        x = uniform(seed, key, u)
        k = 0
        p = elam
        f = p
        while x > f and k < 1000:
            k += 1
            p *= lam / k
            f += p
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    j = np.uint64(1)
    while True:
        U = uniform(seed + j * _STREAM, key, u) - 0.5
        V = uniform(seed + (j + np.uint64(1)) * _STREAM, key, u)
        j += np.uint64(2)
        us = 0.5 - abs(U)
        k = math.floor((2.0 * a / us + b) * U + lam + 0.43)
        if us >= 0.07 and V <= vr:
            return np.int64(k)
        if k < 0 or (us < 0.013 and V > us):
            continue
        if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)) <= \
                (-lam + k * loglam - math.lgamma(k + 1.0)):
            return np.int64(k)


@jit
def cdf_table(lam):
    """The cumulative sums ``f_0, f_1, ...`` that :func:`poisson_count` compares against for
    ``lam < LAM_SWITCH``, up to the first ``f_k >= 1 - 2**-53`` (no uniform exceeds it) or
    ``k = 1000``: looking ``x`` up in the table gives the count inversion gives."""
    out = np.empty(1001)
    p = math.exp(-lam)
    f = p
    out[0] = f
    k = 0
    while f < 1.0 - 1.0 / 9007199254740992.0 and k < 1000:
        k += 1
        p *= lam / k
        f += p
        out[k] = f
    return out[:k + 1].copy()


@jit
def _x(base, key):
    """The uniform of :func:`~spikesim.kernels.synapses.uniform` with ``base = seed ^ u * C2``."""
    z = mix64(base ^ (np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit
def _counts8(base, kb, m, kk, a0, a1, a2, a3, a4, a5, a6, a7):
    """Pass 1 of :func:`fill_range`: ``kk[q]`` = how many of the first eight table values the
    uniform of key ``kb + q`` exceeds, branch-free.

    The uniform is :func:`_x`'s, compared as its 53-bit integer ``m`` (``x = m 2**-53``)
    against ``a_i = floor(f_i 2**53)`` (:func:`int_thresholds`): ``x > f_i`` exactly when
    ``m > a_i``, so the counts are the same without converting ``m`` to a float. The
    key's product with the golden-ratio constant advances by one addition per neuron
    (the same value modulo 2**64) instead of a multiplication. The thresholds come as
    scalars so that they stay in registers (an array might alias ``kk`` and be reloaded for
    every neuron). Together about 0.9 instead of 1.2 ns per neuron and step (AVX-512).
    """
    g = np.uint64(0x9E3779B97F4A7C15)
    kg = np.uint64(kb) * g
    for q in range(m):
        x = mix64(base ^ kg) >> np.uint64(11)
        kg += g
        kk[q] = (np.int32(x > a0) + np.int32(x > a1) + np.int32(x > a2) + np.int32(x > a3)
                 + np.int32(x > a4) + np.int32(x > a5) + np.int32(x > a6) + np.int32(x > a7))


@jit
def int_thresholds(tab, ta, nt, out):
    """``out[i] = floor(tab[ta + i] 2**53)`` for the first eight table values (``2**53``,
    never exceeded, past the table's end), as uint64: :func:`_counts8`'s thresholds."""
    top = 9007199254740992.0
    for q in range(8):
        out[q] = np.uint64(min(tab[ta + q] * top, top) if q < nt else top)  # truncates: floor


@jit
def add_counts(row, kk, w):
    """Pass 3 of :func:`fill_range`: ``row[q] += k[q] w[q]``, the product in ``w``'s precision
    (a count is exact in it). On whole slices the loop vectorises. Indexed at offsets into the
    ring plane and ``w``, as before, it did not: fill_range took 3.0 instead of 1.8 ns per
    neuron and step for one segment of 77,169 neurons (same sums)."""
    for q in range(row.shape[0]):
        row[q] += w.dtype.type(kk[q]) * w[q]


@jit
def fill_range(buf, slot_mask, s0, s1, n_lo, n_hi, g_lo, g_n, g_rec, g_delay, g_start, g_stop,
               g_seed, g_key0, g_e0, g_tab, tab, lam, elam, w):
    """Add the counts of every segment's targets in ``[n_lo, n_hi)`` arriving in ``[s0, s1)``.

    Segment ``g`` drives global neurons ``g_lo[g] + i`` (``i < g_n[g]``), entry
    ``g_e0[g] + i``, key ``g_key0[g] + i``; when all its entries share one rate
    below ``LAM_SWITCH``, ``tab[g_tab[g]:g_tab[g + 1]]`` is its :func:`cdf_table`
    (else empty). Within a step, segments are summed in order; a count ``k``
    adds ``k * w`` computed in the buffer's precision.

    Table segments take three branch-free passes (the first eight comparisons
    for every neuron, the rare longer counts, the sums), so the first pass
    vectorises: about 1 ns per neuron and step instead of 15 for inversion.
    """
    width = 0
    for g in range(g_lo.shape[0]):
        width = max(width, g_n[g])
    kk = np.zeros(width, np.int32)
    t8 = np.zeros(8, np.uint64)
    for s in range(s0, s1):
        slot = s & slot_mask
        c2u = np.uint64(0xC2B2AE3D27D4EB4F)
        for g in range(g_lo.shape[0]):
            lo = max(g_lo[g], n_lo)
            hi = min(g_lo[g] + g_n[g], n_hi)
            if lo >= hi:
                continue
            u = s - g_delay[g]
            if u < g_start[g] or u >= g_stop[g]:
                continue
            seed = g_seed[g]
            base = seed ^ (np.uint64(u) * c2u)
            ta = g_tab[g]
            nt = g_tab[g + 1] - ta
            off = g_lo[g]
            k0 = g_key0[g] - off
            e0 = g_e0[g] - off
            m = hi - lo
            if nt > 0:
                int_thresholds(tab, ta, nt, t8)
                kb = k0 + lo
                _counts8(base, kb, m, kk, t8[0], t8[1], t8[2], t8[3], t8[4], t8[5], t8[6],
                         t8[7])
                for q in range(m):  # pass 2: the rare counts of 8 or more
                    if kk[q] == 8:
                        x = _x(base, kb + q)
                        c = 8
                        while c < nt - 1 and x > tab[ta + c]:
                            c += 1
                        kk[q] = c
            else:
                for q in range(m):
                    kk[q] = poisson_count(seed, k0 + lo + q, u, lam[e0 + lo + q],
                                          elam[e0 + lo + q])
            add_counts(buf[g_rec[g], slot, lo:hi], kk[:m], w[e0 + lo:e0 + hi])  # pass 3


@jit
def add_poisson_counts(buf, slot_mask, s0, s1, bounds, g_lo, g_n, g_rec, g_delay, g_start,
                       g_stop, g_seed, g_key0, g_e0, g_tab, tab, lam, elam, w):
    """Add every segment's counts for arrival steps ``[s0, s1)`` (one thread).

    ``bounds`` (int64, ``(n_parts + 1,)``) splits the global neuron range into
    parts; a part's result does not depend on the split.
    """
    for p in range(bounds.shape[0] - 1):
        fill_range(buf, slot_mask, s0, s1, bounds[p], bounds[p + 1], g_lo, g_n, g_rec, g_delay,
                   g_start, g_stop, g_seed, g_key0, g_e0, g_tab, tab, lam, elam, w)


@jit(parallel=True)
def add_poisson_counts_parallel(buf, slot_mask, s0, s1, bounds, g_lo, g_n, g_rec, g_delay,
                                g_start, g_stop, g_seed, g_key0, g_e0, g_tab, tab, lam, elam, w):
    """As :func:`add_poisson_counts`, one part per thread (bit-identical)."""
    for p in prange(bounds.shape[0] - 1):
        fill_range(buf, slot_mask, s0, s1, bounds[p], bounds[p + 1], g_lo, g_n, g_rec, g_delay,
                   g_start, g_stop, g_seed, g_key0, g_e0, g_tab, tab, lam, elam, w)


@jit
def poisson_counts_block(key, steps, prob):
    """``k[j, i] = poisson_count(key, i, steps[j], prob[j, i])`` where ``prob > 1``, else 0.

    The counts of a :class:`~spikesim.SpikeSourcePoisson` above one spike per step: counter
    based on the source's key as its Bernoulli draws are
    (:func:`spikesim.kernels.poisson_source.bernoulli_hits`), so a rate set with ``set()``
    gives the counts of the same rate scheduled up front. ``steps`` int64 (m,), ``prob``
    float64 (m, n); returns int64 (m, n).
    """
    m, n = prob.shape
    k = np.zeros((m, n), np.int64)
    for j in range(m):
        t = steps[j]
        for i in range(n):
            p = prob[j, i]
            if p > 1.0:
                k[j, i] = poisson_count(key, i, t, p, math.exp(-p))
    return k
