"""Potentiation of plastic synapses at postsynaptic spikes (see :mod:`.plasticity` for the
timing conventions, axonal and dendritic, and the rules)."""
import numpy as np

from ._config import jit
from .plasticity import (A2P, A3P, NEAREST, SCALE, SGN_POST, TRIPLET, WDEP, WMAX, WMIN,
                         apply_change, clip, last_emission_at, newest_trace, pre_trace_at,
                         table_exp)
from .prefetch import AHEAD, prefetch, prefetch_read, prefetch_row


# Calls in the per-spike and per-synapse loops cost reference counts: Numba counts a
# reference to every array argument on entry and exit (atomic operations), for ``pl`` to
# every array of the namedtuple. A per-synapse trace lookup that took ``pl`` measured
# ~330 ns instead of ~35 ns, and a call per postsynaptic spike that took ``pl`` about half
# of a NALSM liquid's run time. So :func:`_post_spikes` is called once per projection and
# step, with plain arrays, and writes its per-spike work out in its own body. The per-step
# entry points that take ``pl`` (here and in :mod:`.plasticity`) are inlined into the
# engine's step loop (``inline="always"``), so each step does not pay those counts per call.
@jit
def _next_in(spikes, m, ns, lo, hi):
    """Index of the first of ``spikes[m:ns]`` in ``[lo, hi)``, or ``ns``."""
    while m < ns and (spikes[m] < lo or spikes[m] >= hi):
        m += 1
    return m


@jit(inline="always")
def _post_traces(po, slot, s, tab1, rate1, tab2, rate2):
    """``(o1, o2)`` of postsynaptic record ``slot`` at step ``s``, before a spike there."""
    last = po[slot, 0]
    if last < 0.0:
        return 0.0, 0.0
    return (po[slot, 1] * table_exp(tab1, rate1, s - np.int64(last)),
            po[slot, 2] * table_exp(tab2, rate2, s - np.int64(last)))


@jit(inline="always")
def _jump(po, slot, s, o1b, o2b, nearest):
    """Postsynaptic record ``slot`` after a spike at step ``s`` (traces ``o1b``, ``o2b`` just
    before it): all-to-all traces jump by 1, nearest-spike ones are set to 1."""
    po[slot, 0] = s
    po[slot, 1] = 1.0 if nearest else o1b + 1.0
    po[slot, 2] = 1.0 if nearest else o2b + 1.0
    po[slot, 3] = o1b


#: visits listed per pass of :func:`_pair_flat` (64 kB of scratch, whatever the step's count)
VISITS = 4096


@jit(inline="always")
def _prefetch_columns(posts, n, plo, phi, cbase, col_ptr, ncp, ncs):
    """Ask for the columns of every spike of ``posts[:n]`` in ``[plo, phi)`` at once (see
    ``prefetch_row``); return how many synapses they hold."""
    nv = np.int64(0)
    for m in range(n):
        if posts[m] >= plo and posts[m] < phi:
            c = cbase + posts[m] - plo
            prefetch_row(ncp, col_ptr[c], col_ptr[c + 1])
            prefetch_row(ncs, col_ptr[c], col_ptr[c + 1])
            nv += col_ptr[c + 1] - col_ptr[c]
    return nv


@jit(inline="always")
def _pair_visits(vis, nv, w_q, u, amp, scale, wmin, wmax, tab0, rate0, dendritic, h_last, h_x,
                 h_step, h_head, h_cnt, hn0, h_off, h_len):
    """Potentiate the listed visits ``vis[:nv]`` (presynaptic record, synapse), ``AHEAD`` of
    them prefetched; the body is the per-spike lean loop's, written out again: as a shared
    inlined helper it ran 3x slower (CUBA+STDP 20k, ``benchmarks/kernel_ab.py``)."""
    for v in range(min(AHEAD, nv)):
        prefetch_read(h_last, vis[v, 0])
        prefetch(w_q, vis[v, 1])
    for v in range(nv):
        if v + AHEAD < nv:
            prefetch_read(h_last, vis[v + AHEAD, 0])
            prefetch(w_q, vis[v + AHEAD, 1])
        hn = vis[v, 0]
        r1 = newest_trace(h_last, hn, u, tab0, rate0, dendritic)
        if r1 < 0.0:  # an emission after u: from the history
            r1 = pre_trace_at(h_last, h_x, h_step, h_head, h_cnt, hn,
                              h_off + (hn - hn0) * h_len, h_len, u, tab0, rate0, np.int64(0),
                              dendritic)
        if r1 == 0.0:
            continue
        k = vis[v, 1]
        w_q[k] = clip(w_q[k] + (amp * r1) * scale, wmin, wmax)  # apply_change, additive


@jit(inline="always")
def _pair_flat(s, s_pre, dendritic, posts, n, plo, phi, par, mod_plus, d, tab, rate, q, po, po0,
               col_ptr, cbase, ncp, ncs, w_q, h_last, h_x, h_step, h_head, h_cnt, hn0, h_off,
               h_len):
    """:func:`_post_spikes`'s lean loop for the pair rule, whose amount is the same for every
    spike of the step: the columns of all of them are listed as (presynaptic record, synapse),
    :data:`VISITS` at a time, and each list potentiated in one loop; then the traces jump. A
    synapse is in one column only, and the jumps change no presynaptic trace, so this gives
    the per-spike loop's weights to the bit (tests/test_plasticity.py, against the triplet
    rule with ``A3 = 0``, which takes that loop). The per-spike loop asks for each next
    column's first ``AHEAD`` synapses while it updates the current one; one loop keeps
    ``AHEAD`` in flight without restarting per spike. At CUBA+STDP 80k one thread it made
    potentiation 0-5 % faster (scratch and ``benchmarks/kernel_ab.py`` A/B runs: within the
    noise)."""
    amp = par[SGN_POST] * par[A2P] * mod_plus  # A3P is 0 in every rule without triplets
    scale, wmin, wmax = par[SCALE], par[WMIN], par[WMAX]
    tab0, rate0 = tab[4 * q], rate[q, 0]
    u = s_pre - d
    vis = np.empty((min(_prefetch_columns(posts, n, plo, phi, cbase, col_ptr, ncp, ncs),
                        VISITS), 2), np.int64)
    nv = 0
    for m in range(n):
        if posts[m] >= plo and posts[m] < phi:
            c = cbase + posts[m] - plo
            for e in range(col_ptr[c], col_ptr[c + 1]):
                vis[nv, 0] = hn0 + ncp[e]
                vis[nv, 1] = ncs[e]
                nv += 1
                if nv == vis.shape[0]:
                    _pair_visits(vis, nv, w_q, u, amp, scale, wmin, wmax, tab0, rate0,
                                 dendritic, h_last, h_x, h_step, h_head, h_cnt, hn0, h_off,
                                 h_len)
                    nv = 0
    _pair_visits(vis, nv, w_q, u, amp, scale, wmin, wmax, tab0, rate0, dendritic, h_last, h_x,
                 h_step, h_head, h_cnt, hn0, h_off, h_len)
    for m in range(n):
        if posts[m] >= plo and posts[m] < phi:
            slot = po0 + posts[m] - plo
            o1b, o2b = _post_traces(po, slot, s, tab[4 * q + 2], rate[q, 2], tab[4 * q + 3],
                                    rate[q, 3])
            _jump(po, slot, s, o1b, o2b, par[NEAREST] != 0.0)


@jit
def _post_spikes(s, s_pre, dendritic, posts, n, plo, q, di, only_d, n_post, par, mod_plus, dd,
                 tab, rate, po, po0, col_ptr, cbase, ncp, ncs, w_q, pmasked, pm_q, g, sa_q,
                 astro_A, h_last, h_x, h_step, h_head, h_cnt, hn0, h_off, h_len):
    """The postsynaptic spikes ``posts[:n]`` that are targets ``j = post - plo`` of
    projection ``q`` (``0 <= j < n_post``) act at their synapses in step ``s``: potentiate
    them (delay ``d``: presynaptic traces at step ``s_pre - d``, of the emissions up to it;
    dendritic: before it, and only the synapses of delay ``only_d``, the ``di``-th, whose
    trace record it is), then jump the traces (record ``po0 + j``), stamped ``s``.
    Arrays are those of :class:`.plasticity.Plastic` cut to projection ``q`` where the
    name ends in ``_q`` or is ``ncp`` / ``ncs`` / ``dd``; ``tab`` and ``rate`` are whole.

    One call per projection and step, with the per-spike and per-synapse work written out
    here rather than in calls that take arrays (see the note at the top of the module).
    Two synapse loops: the lean one (one delay, additive bounds, no mask, no astrocyte, not
    sPyNNaker's nearest pair; for the pair rule :func:`_pair_flat`, one loop over the step)
    and the general one (any delays, weight dependence, mask and
    astrocyte group ``g >= 0``: synapse ``k`` is scaled by ``astro_A[g + sa_q[k]]`` if
    ``sa_q[k] >= 0``; ``NEAREST = 2``: no potentiation when the postsynaptic neuron's
    previous spike came after the synapse's last presynaptic arrival)."""
    triplet = par[TRIPLET] != 0.0
    uniform = dd.shape[0] == 1
    first_only = par[NEAREST] == 2.0
    lean = uniform and par[WDEP] == 0.0 and not pmasked and g < 0 and not first_only
    scale, wmin, wmax = par[SCALE], par[WMIN], par[WMAX]
    tab0, rate0 = tab[4 * q], rate[q, 0]
    tab1, rate1 = tab[4 * q + 2], rate[q, 2]  # o1
    tab2, rate2 = tab[4 * q + 3], rate[q, 3]  # o2
    phi = plo + n_post
    if lean and not triplet:  # pair rule: one amount for every spike of the step
        _pair_flat(s, s_pre, dendritic, posts, n, plo, phi, par, mod_plus, dd[0], tab, rate, q,
                   po, po0, col_ptr, cbase, ncp, ncs, w_q, h_last, h_x, h_step, h_head, h_cnt,
                   hn0, h_off, h_len)
        return
    _prefetch_columns(posts, n, plo, phi, cbase, col_ptr, ncp, ncs)
    cur = np.int64(-1)  # the spike being updated; ``j``: the next one, whose rows load now
    m = np.int64(0)
    while True:
        while m < n and (posts[m] < plo or posts[m] >= phi):
            m += 1
        j = np.int64(posts[m] - plo) if m < n else np.int64(-1)
        m += 1
        if j >= 0:  # the next spike's first synapses load while this one's are updated
            for e in range(col_ptr[cbase + j], min(col_ptr[cbase + j] + AHEAD,
                                                   col_ptr[cbase + j + 1])):
                prefetch_read(h_last, hn0 + ncp[e])
                prefetch(w_q, ncs[e])
        if cur < 0:  # the first spike: only its rows were loaded
            if j < 0:
                break
            cur = j
            continue
        e0 = col_ptr[cbase + cur]
        e1 = col_ptr[cbase + cur + 1]
        slot = po0 + cur
        last = po[slot, 0]  # the traces at s, before this spike's jump
        o1b, o2b = _post_traces(po, slot, s, tab1, rate1, tab2, rate2)
        amp = par[SGN_POST] * (par[A2P] + par[A3P] * (o2b if triplet else 0.0)) * mod_plus
        if lean:
            u = s_pre - dd[0]
            for e in range(e0, e1):
                if e + AHEAD < e1:
                    prefetch_read(h_last, hn0 + ncp[e + AHEAD])
                    prefetch(w_q, ncs[e + AHEAD])
                i = np.int64(ncp[e])
                r1 = newest_trace(h_last, hn0 + i, u, tab0, rate0, dendritic)
                if r1 < 0.0:  # an emission after u: from the history
                    r1 = pre_trace_at(h_last, h_x, h_step, h_head, h_cnt, hn0 + i,
                                      h_off + i * h_len, h_len, u, tab0, rate0, np.int64(0),
                                      dendritic)
                if r1 == 0.0:
                    continue
                k = ncs[e]
                w_q[k] = clip(w_q[k] + (amp * r1) * scale, wmin, wmax)  # apply_change, additive
        else:
            prev_post = np.int64(last)
            for e in range(e0, e1):
                if e + AHEAD < e1:
                    prefetch_read(h_last, hn0 + ncp[e + AHEAD])
                    prefetch(w_q, ncs[e + AHEAD])
                i = np.int64(ncp[e])
                k = ncs[e]
                d = dd[0] if uniform else dd[k]
                if only_d >= 0 and d != only_d:
                    continue
                u = s_pre - d
                r1 = newest_trace(h_last, hn0 + i, u, tab0, rate0, dendritic)
                if r1 < 0.0:
                    r1 = pre_trace_at(h_last, h_x, h_step, h_head, h_cnt, hn0 + i,
                                      h_off + i * h_len, h_len, u, tab0, rate0, np.int64(0),
                                      dendritic)
                if r1 == 0.0:
                    continue
                # the previous post spike and the latest pre spike, both as the synapse sees
                # them (axonal: pre at arrival; dendritic: pre at emission, post at p + d)
                if first_only and prev_post > last_emission_at(
                        h_last, h_step, h_head, h_cnt, hn0 + i, h_off + i * h_len, h_len, u,
                        dendritic) + (0 if dendritic else d):
                    continue
                a = amp * r1
                if pmasked:
                    a *= pm_q[k]
                if g >= 0:
                    a_idx = sa_q[k]
                    if a_idx >= 0:
                        a *= astro_A[g + a_idx]
                w_q[k] = apply_change(par, w_q[k], a)
        _jump(po, slot, s, o1b, o2b, par[NEAREST] != 0.0)  # then the traces jump
        if j < 0:
            break
        cur = j


@jit(inline="always")
def _projection_posts(s, s_pre, dendritic, posts, n, q, di, pl, pj_post_lo, pj_d, delay,
                      astro_A):
    """:func:`_post_spikes` for projection ``q`` (delay index ``di``), its arrays cut from
    ``pl`` once per step."""
    pj = pl.pj[q]
    dd = delay[pj_d[pj]:pj_d[pj + 1]]
    uniform = dd.shape[0] == 1
    only_d = pl.dl[pl.dl_ptr[q] + di] if dendritic and not uniform else np.int64(-1)
    lo_syn = pl.syn_lo[q]
    pmasked = pl.pmask.shape[0] == pl.w.shape[0]
    h_len = pl.h_len[q]
    w_q = pl.w[lo_syn:]
    if dendritic:
        w_q = pl.wrun[lo_syn:]
    pm_q = pl.pmask
    if pmasked:
        pm_q = pl.pmask[lo_syn:]
    g = pl.astro[q] if pl.astro_side[q] & 2 else -1  # astrocyte group on the potentiation
    _post_spikes(s, s_pre, dendritic, posts, n, pj_post_lo[pj], q, di, only_d, pl.n_post[q],
                 pl.par[q], pl.mod[q, 0], dd, pl.tab, pl.rate, pl.po,
                 pl.po_off[q] + di * pl.n_post[q], pl.col_ptr, pl.col_off[q],
                 pl.col_pre[lo_syn:], pl.col_syn[lo_syn:], w_q, pmasked, pm_q, g,
                 pl.syn_astro[lo_syn:], astro_A, pl.h_last, pl.h_x, pl.h_step, pl.h_head,
                 pl.h_cnt, pl.hn_off[q], pl.h_off[q], h_len)


@jit(inline="always")
def potentiate(s, spikes, ns, pl, pj_post_lo, pj_d, delay, astro_A):
    """Potentiate the incoming plastic synapses of the postsynaptic spikes of step ``s``
    (axonal projections; dendritic ones wait for :func:`potentiate_delayed`).

    Reads presynaptic histories only for emissions up to ``s - 1``, so it gives the
    same result before or after :func:`push_emissions` of step ``s``. ``astro_A``: the
    astrocytes' ``A`` after step ``s - 1`` (for projections whose potentiation an
    astrocyte group scales).
    """
    if ns == 0:
        return
    for q in range(pl.pj.shape[0]):
        if pl.dendritic[q] == 1:
            continue
        plo = pj_post_lo[pl.pj[q]]  # a call only when one of its targets fired
        if _next_in(spikes, np.int64(0), ns, plo, plo + pl.n_post[q]) == ns:
            continue
        _projection_posts(s, s, False, spikes, ns, q, np.int64(0), pl, pj_post_lo, pj_d, delay,
                          astro_A)


@jit(inline="always")
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
        for di in range(pl.dl_ptr[q + 1] - pl.dl_ptr[q]):
            d = pl.dl[pl.dl_ptr[q] + di]
            src = s + 1 - d
            if src < 0:
                continue
            a_slot = src & (n_slots - 1)
            plo = pj_post_lo[pl.pj[q]]
            if _next_in(pl.ar_ids[a_slot], np.int64(0), pl.ar_cnt[a_slot], plo,
                        plo + pl.n_post[q]) == pl.ar_cnt[a_slot]:
                continue
            _projection_posts(s + 1, s + 1 + d, True, pl.ar_ids[a_slot], pl.ar_cnt[a_slot], q,
                              np.int64(di), pl, pj_post_lo, pj_d, delay, astro_A)
