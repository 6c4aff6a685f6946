"""Potentiation deferred to the next presynaptic arrival (pair STDP, one delay, additive).

In :mod:`.potentiation` a postsynaptic spike potentiates its incoming synapses at once, in
column order: every visit reads a scattered weight and a scattered presynaptic trace record.
Here, as in NEST (Morrison, Diesmann & Gerstner 2008, Biol. Cybern. 98:459, section 4.2:
the synapse is updated only when a presynaptic spike reaches it), a postsynaptic spike only
enters its neuron's list of pending spikes (``pend``: count, then the steps). When a
presynaptic spike emitted in step ``u`` arrives (step ``s = u + d``), each synapse of its
row first takes the potentiation of the pending spikes of its target since the previous
arrival ``a = u' + d`` (``u'``: the previous emission), in time order, then the depression
of the arrival. A spike of step ``p`` pairs with the presynaptic trace at ``p - d``, which is
that of emission ``u'``, decayed: ``r_1(p) = x(u') e^{-(p - d - u') dt / tau_+}``.

The weights and their order of operations are those of the column scheme, to the bit: a
synapse's weight changes only at its own potentiations and depressions, and it is only read
when an arrival delivers it. Whatever must read the weights (the user, recorders, files)
needs :func:`flush_rows` first; the runtime calls it at the end of every run. When a
neuron's list is full, its column is brought up to date (:func:`flush_column`) before its
new spike enters.

Only the lean case defers (``Plastic.defer``): one delay, additive weight dependence, the
all-to-all pair rule, no mask, no astrocyte, no constant depression, axonal delay with
same-step pairs, a constant potentiation modulator. The runtime decides
(:func:`spikesim.plastic_runtime.choose_deferred`).
"""
import numpy as np

from ._config import jit
from .plasticity import (A2P, A3P, SCALE, SGN_POST, WMAX, WMIN, clip, history_entry,
                         table_exp)
from .prefetch import AHEAD, prefetch_read

#: int64 per postsynaptic record in ``Plastic.pend``: the count, then up to 7 steps (64 bytes)
PEND = 8


@jit
def plus_amp(par, mod_plus):
    """The signed amount of a postsynaptic spike of the pair rule, as the column scheme has it."""
    return par[SGN_POST] * (par[A2P] + par[A3P] * 0.0) * mod_plus


@jit
def emission_at_or_before(h_last, h_x, h_step, h_head, h_cnt, hn, base, h_len, u, strict):
    """``(step, r1 just after it)`` of record ``hn``'s newest emission ``<= u`` (``< u`` if
    ``strict``), or ``(-1, 0.0)`` (arguments as :func:`.plasticity.pre_trace_at`)."""
    te = np.int64(h_last[hn, 0])
    if te < 0:
        return te, 0.0
    if te < u or (te == u and not strict):
        return te, h_last[hn, 1]
    k = history_entry(h_step, h_head, h_cnt, hn, base, h_len, u, strict)
    if k < 0:
        return np.int64(-1), 0.0
    return h_step[k], h_x[k, 0]


@jit
def apply_pending(w_q, k, pend, slot, first, u_prev, x_prev, d, tab0, rate0, amp, scale, wmin,
                  wmax):
    """Potentiate synapse ``k`` for the pending spikes of record ``slot`` of steps ``>=
    first``, each paired with emission ``u_prev`` (``r1`` just after it: ``x_prev``)."""
    for e in range(1, pend[slot, 0] + 1):
        p = pend[slot, e]
        if p >= first:
            r1 = x_prev * table_exp(tab0, rate0, p - d - u_prev)
            if r1 != 0.0:
                w_q[k] = clip(w_q[k] + (amp * r1) * scale, wmin, wmax)


@jit
def depress_deferred(s, k0, k1, tg, po, po0, pend, tab2, rate2, sgn, amp_m, mod, scale, wmin,
                     wmax, w_q, ring, post_lo, u_prev, x_prev, d, tab0, rate0, amp_p):
    """As :func:`.plasticity._depress_uniform_additive`, each synapse first taking the
    potentiation of its target's spikes since the previous arrival (emission ``u_prev``, -1
    for none, with ``r1 = x_prev`` just after it)."""
    first = u_prev + d
    for k in range(k0, k1):
        if k + AHEAD < k1:
            prefetch_read(po, po0 + tg[k + AHEAD])
            prefetch_read(pend, po0 + tg[k + AHEAD])
        j = tg[k]
        last = po[po0 + j, 0]
        if u_prev >= 0 and last >= first:  # its target fired since: pending potentiation
            apply_pending(w_q, k, pend, po0 + j, first, u_prev, x_prev, d, tab0, rate0, amp_p,
                          scale, wmin, wmax)
        w = w_q[k]
        if last >= 0.0:
            o1 = po[po0 + j, 1] * table_exp(tab2, rate2, s - np.int64(last))
            w = clip(w + (sgn * o1 * amp_m * mod) * scale, wmin, wmax)
            w_q[k] = w
        ring[post_lo + j] += w


@jit
def flush_column(s, e0, e1, ncp, ncs, w_q, pend, slot, d, par, amp, tab0, rate0, h_last, h_x,
                 h_step, h_head, h_cnt, hn0, h_off, h_len):
    """Step ``s`` (its arrivals done): bring the incoming synapses ``e0:e1`` of record
    ``slot`` up to date with its pending spikes, in column order, and empty its list."""
    scale, wmin, wmax = par[SCALE], par[WMIN], par[WMAX]
    for e in range(e0, e1):
        if e + AHEAD < e1:
            prefetch_read(h_last, hn0 + ncp[e + AHEAD])
        i = np.int64(ncp[e])
        te, x = emission_at_or_before(h_last, h_x, h_step, h_head, h_cnt, hn0 + i,
                                      h_off + i * h_len, h_len, s - d, False)
        if te >= 0:
            apply_pending(w_q, ncs[e], pend, slot, te + d, te, x, d, tab0, rate0, amp, scale,
                          wmin, wmax)
    pend[slot, 0] = 0


@jit
def add_pending(s, pend, slot, e0, e1, ncp, ncs, w_q, d, par, amp, tab0, rate0, h_last, h_x,
                h_step, h_head, h_cnt, hn0, h_off, h_len):
    """A postsynaptic spike of step ``s`` (record ``slot``) joins its pending list; a full
    list is flushed into its column first."""
    n = pend[slot, 0]
    if n == PEND - 1:
        flush_column(s, e0, e1, ncp, ncs, w_q, pend, slot, d, par, amp, tab0, rate0, h_last,
                     h_x, h_step, h_head, h_cnt, hn0, h_off, h_len)
        n = 0
    pend[slot, n + 1] = s
    pend[slot, 0] = n + 1


@jit
def flush_rows(t, pl, pj_row_off, pj_syn, pj_d, cut, post, delay):
    """Bring every deferred synapse up to date after steps ``< t`` (row order) and empty the
    pending lists: afterwards ``pl.w`` holds what the column scheme would."""
    last_cut = cut.shape[1] - 1
    for q in range(pl.pj.shape[0]):
        if pl.defer[q] == 0:
            continue
        pj = pl.pj[q]
        d = np.int64(delay[pj_d[pj]])
        par = pl.par[q]
        amp = plus_amp(par, pl.mod[q, 0])
        scale, wmin, wmax = par[SCALE], par[WMIN], par[WMAX]
        tab0, rate0 = pl.tab[4 * q], pl.rate[q, 0]
        hn0, h_off, h_len = pl.hn_off[q], pl.h_off[q], pl.h_len[q]
        po0 = pl.po_off[q]
        tg = post[pj_syn[pj]:pj_syn[pj + 1]]
        w_q = pl.w[pl.syn_lo[q]:]
        for i in range(pl.hn_off[q + 1] - hn0):
            te, x = emission_at_or_before(pl.h_last, pl.h_x, pl.h_step, pl.h_head, pl.h_cnt,
                                          hn0 + i, h_off + i * h_len, h_len, t - 1 - d, False)
            if te < 0:
                continue
            row = pj_row_off[pj] + i
            k1 = cut[row, last_cut]
            for k in range(cut[row, 0], k1):
                if k + AHEAD < k1:
                    prefetch_read(pl.po, po0 + tg[k + AHEAD])
                j = tg[k]
                if pl.po[po0 + j, 0] >= te + d:
                    apply_pending(w_q, k, pl.pend, po0 + j, te + d, te, x, d, tab0, rate0, amp,
                                  scale, wmin, wmax)
        for j in range(pl.n_post[q]):
            pl.pend[po0 + j, 0] = 0
