"""Potentiation of plastic synapses at postsynaptic spikes (see :mod:`.plasticity` for the
timing conventions, axonal and dendritic, and the rules)."""
import numpy as np

from ._config import jit
from .plasticity import (A2P, A3P, NEAREST, SCALE, SGN_POST, TRIPLET, WDEP, WMAX, WMIN,
                         apply_change, clip, last_emission, newest_trace, post_trace, pre_trace)
from .prefetch import AHEAD, prefetch, prefetch_read


# The inner loops below are called once per postsynaptic spike. Their per-synapse helpers
# (newest_trace, table_exp) take plain arrays and LLVM inlines them; a per-synapse call that
# takes ``pl`` and is not inlined passes every array of the ``Plastic`` namedtuple (such a
# trace lookup measured ~330 ns per synapse update instead of ~35 ns).
@jit
def _potentiate_uniform_additive(u, strict, e0, e1, ncp, ncs, h_last, hn0, tab0, rate0, amp,
                                 scale, wmin, wmax, w_q, pl, q):
    """Inner loop of :func:`potentiate` for one delay (presynaptic traces at step ``u``, of
    the emissions before it if ``strict``), additive bounds and no mask (kept lean)."""
    for e in range(e0, e1):
        if e + AHEAD < e1:
            prefetch_read(h_last, hn0 + ncp[e + AHEAD])
            prefetch(w_q, ncs[e + AHEAD])
        i = ncp[e]
        r1 = newest_trace(h_last, hn0 + i, u, tab0, rate0, strict)
        if r1 < 0.0:  # an emission after u: from the history
            r1 = pre_trace(pl, q, np.int64(i), u, np.int64(0), strict)
        if r1 == 0.0:
            continue
        k = ncs[e]
        w_q[k] = clip(w_q[k] + (amp * r1) * scale, wmin, wmax)  # apply_change, additive


@jit
def _potentiate_general(s, strict, e0, e1, ncp, ncs, h_last, hn0, tab0, rate0, amp, dd,
                        uniform, pmasked, pm_q, g, sa_q, astro_A, par, w_q, pl, q, prev_post,
                        only_d):
    """Inner loop of :func:`potentiate`: any delays, weight dependence, mask and astrocyte
    group (``g >= 0``: synapse ``k`` is scaled by ``astro_A[g + sa_q[k]]`` if ``sa_q[k] >= 0``).
    ``NEAREST = 2`` (sPyNNaker's nearest pair): no potentiation when the postsynaptic
    neuron's previous spike (``prev_post``, at the synapse) came after the synapse's last
    presynaptic arrival. ``only_d >= 0``: the synapses of that delay only."""
    first_only = par[NEAREST] == 2.0
    for e in range(e0, e1):
        if e + AHEAD < e1:
            prefetch_read(h_last, hn0 + ncp[e + AHEAD])
            prefetch(w_q, ncs[e + AHEAD])
        i = ncp[e]
        k = ncs[e]
        d = dd[0] if uniform else dd[k]
        if only_d >= 0 and d != only_d:
            continue
        u = s - d
        r1 = newest_trace(h_last, hn0 + i, u, tab0, rate0, strict)
        if r1 < 0.0:
            r1 = pre_trace(pl, q, np.int64(i), u, np.int64(0), strict)
        if r1 == 0.0:
            continue
        # the previous post spike and the latest pre spike, both as the synapse sees them
        # (axonal: pre at arrival; dendritic, ``strict``: pre at emission, post at p + d)
        if first_only and prev_post > last_emission(pl, q, np.int64(i), u, strict) + (
                0 if strict else d):
            continue
        a = amp * r1
        if pmasked:
            a *= pm_q[k]
        if g >= 0:
            a_idx = sa_q[k]
            if a_idx >= 0:
                a *= astro_A[g + a_idx]
        w_q[k] = apply_change(par, w_q[k], a)


@jit
def _prefetch_row_start(e0, e1, ncp, ncs, h_last, hn0, w_q):
    """Prefetch the first :data:`AHEAD` incoming synapses ``e0:e1`` of a postsynaptic
    spike (the inner loops prefetch the rest, :data:`AHEAD` ahead of use)."""
    for e in range(e0, min(e0 + AHEAD, e1)):
        prefetch_read(h_last, hn0 + ncp[e])
        prefetch(w_q, ncs[e])


@jit
def _next_in(spikes, m, ns, lo, hi):
    """Index of the first of ``spikes[m:ns]`` in ``[lo, hi)``, or ``ns``."""
    while m < ns and (spikes[m] < lo or spikes[m] >= hi):
        m += 1
    return m


@jit
def _post_spike(s, s_pre, dendritic, j, q, pl, pj_post_lo, pj_d, delay, astro_A, di):
    """A postsynaptic spike of target ``j`` of projection ``q`` that acts at its synapses in
    step ``s``: potentiate them (delay ``d``: presynaptic traces at step ``s_pre - d``, of
    the emissions up to it; dendritic: before it, and only the synapses of the ``di``-th
    distinct delay, whose trace record it is), then jump the traces, recorded at ``s``."""
    pj = pl.pj[q]
    par = pl.par[q]
    triplet = par[TRIPLET] != 0.0
    dd = delay[pj_d[pj]:pj_d[pj + 1]]
    uniform = dd.shape[0] == 1
    only_d = pl.dl[pl.dl_ptr[q] + di] if dendritic and not uniform else np.int64(-1)
    lo_syn = pl.syn_lo[q]
    cbase = pl.col_off[q]
    hn0 = pl.hn_off[q]
    tab0 = pl.tab[4 * q]
    rate0 = pl.rate[q, 0]
    ncp = pl.col_pre[lo_syn:]
    ncs = pl.col_syn[lo_syn:]
    w_q = pl.wrun[lo_syn:] if dendritic else pl.w[lo_syn:]
    pmasked = pl.pmask.shape[0] == pl.w.shape[0]
    pm_q = pl.pmask[lo_syn:] if pmasked else pl.pmask
    g = pl.astro[q] if pl.astro_side[q] & 2 else -1  # astrocyte group on the potentiation
    po = pl.po
    slot = pl.po_off[q] + di * pl.n_post[q] + j
    o2 = post_trace(pl, q, slot, s, np.int64(2)) if triplet else 0.0
    amp = par[SGN_POST] * (par[A2P] + par[A3P] * o2) * pl.mod[q, 0]
    e0 = pl.col_ptr[cbase + j]
    e1 = pl.col_ptr[cbase + j + 1]
    if uniform and par[WDEP] == 0.0 and not pmasked and g < 0 and par[NEAREST] != 2.0:
        # the common case (one delay, additive bounds, no mask), kept lean
        _potentiate_uniform_additive(s_pre - dd[0], dendritic, e0, e1, ncp, ncs, pl.h_last, hn0,
                                     tab0, rate0, amp, par[SCALE], par[WMIN], par[WMAX], w_q, pl,
                                     q)
    else:
        _potentiate_general(s_pre, dendritic, e0, e1, ncp, ncs, pl.h_last, hn0, tab0, rate0, amp, dd,
                            uniform, pmasked, pm_q, g, pl.syn_astro[lo_syn:], astro_A, par, w_q,
                            pl, q, np.int64(po[slot, 0]), only_d)
    # then the postsynaptic traces jump
    o1b = post_trace(pl, q, slot, s, np.int64(1))
    o2n = post_trace(pl, q, slot, s, np.int64(2))
    if par[NEAREST] != 0.0:
        o1n = 1.0
        o2n = 1.0
    else:
        o1n = o1b + 1.0
        o2n += 1.0
    po[slot, 0] = s
    po[slot, 1] = o1n
    po[slot, 2] = o2n
    po[slot, 3] = o1b


@jit
def potentiate(s, spikes, ns, pl, pj_post_lo, pj_d, delay, astro_A):
    """Potentiate the incoming plastic synapses of the postsynaptic spikes of step ``s``
    (axonal projections; dendritic ones wait for :func:`potentiate_delayed`).

    Reads presynaptic histories only for emissions up to ``s - 1``, so it gives the
    same result before or after :func:`push_emissions` of step ``s``. ``astro_A``: the
    astrocytes' ``A`` after step ``s - 1`` (for projections whose potentiation an
    astrocyte group scales).
    """
    col_ptr, col_pre, col_syn = pl.col_ptr, pl.col_pre, pl.col_syn
    for q in range(pl.pj.shape[0]):
        if pl.dendritic[q] == 1:
            continue
        lo_syn = pl.syn_lo[q]
        cbase = pl.col_off[q]
        plo = pj_post_lo[pl.pj[q]]
        phi = plo + pl.n_post[q]
        hn0 = pl.hn_off[q]
        ncp = col_pre[lo_syn:]
        ncs = col_syn[lo_syn:]
        w_q = pl.w[lo_syn:]
        m = _next_in(spikes, np.int64(0), ns, plo, phi)
        if m < ns:
            j = spikes[m] - plo
            _prefetch_row_start(col_ptr[cbase + j], col_ptr[cbase + j + 1], ncp, ncs, pl.h_last,
                                hn0, w_q)
        while m < ns:
            j = spikes[m] - plo
            m = _next_in(spikes, m + 1, ns, plo, phi)
            if m < ns:  # the next spike's first synapses load while this one's are updated
                jn = spikes[m] - plo
                _prefetch_row_start(col_ptr[cbase + jn], col_ptr[cbase + jn + 1], ncp, ncs,
                                    pl.h_last, hn0, w_q)
            _post_spike(s, s, False, j, q, pl, pj_post_lo, pj_d, delay, astro_A, np.int64(0))


@jit
def potentiate_delayed(s, pl, pj_post_lo, pj_d, delay, astro_A):
    """End of step ``s``, dendritic projections: the postsynaptic spikes of step ``p = s + 1
    - d`` (from the spike ring, filled by :func:`push_emissions`) act at their synapses
    of delay ``d`` in step ``s + 1``. Their potentiation pairs them with the emissions
    before ``p + d = s + 1`` (timed at ``s + 1``, as NEST's ``t_post + d - t_pre``), after the
    emissions of step ``s`` were depressed; their trace record for that delay carries
    step ``s + 1``."""
    n_slots = pl.ar_ids.shape[0]
    for q in range(pl.pj.shape[0]):
        if pl.dendritic[q] != 1:
            continue
        plo = pj_post_lo[pl.pj[q]]
        phi = plo + pl.n_post[q]
        for di in range(pl.dl_ptr[q + 1] - pl.dl_ptr[q]):
            d = pl.dl[pl.dl_ptr[q] + di]
            src = s + 1 - d
            if src < 0:
                continue
            a_slot = src & (n_slots - 1)
            for m in range(pl.ar_cnt[a_slot]):
                i = pl.ar_ids[a_slot, m]
                if i >= plo and i < phi:
                    _post_spike(s + 1, s + 1 + d, True, i - plo, q, pl, pj_post_lo, pj_d, delay,
                                astro_A, np.int64(di))
