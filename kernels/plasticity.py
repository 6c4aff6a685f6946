"""Event-driven STDP (pair and triplet rules) and the NALSM astrocyte, over flat arrays.

Timing convention (axonal delay, as in Brian2 with a delayed ``pre``
pathway): a presynaptic spike emitted in step ``t`` with delay ``d`` *arrives*
at the synapse in step ``t + d`` -- the step in which it is added to the
target's synaptic state. A postsynaptic spike acts at its synapses in the
step it is emitted. Within step ``s``:

1. arrivals of step ``s`` are processed before the neurons are updated: the
   depression uses the postsynaptic traces, which hold the postsynaptic spikes
   of steps ``< s`` only; the weight *after* the update is then delivered
   (as NEST and sPyNNaker do);
2. neurons are updated; for every postsynaptic spike the potentiation uses
   the presynaptic traces of the arrivals of steps ``<= s`` (so ``dt_post -
   t_arrival = 0`` potentiates), then the postsynaptic traces jump.

Dendritic delay (NEST's ``stdp_synapse``, sPyNNaker, PyNN's default
``dendritic_delay_fraction = 1``; projection flag ``Plastic.dendritic``): the pair is
timed ``t_post + d - t_pre`` instead of ``t_post - (t_pre + d)``. In the arrival frame
above, such a projection works in the emission frame instead: a presynaptic spike is
depressed when it is emitted (end of step ``u``, :func:`process_arrivals` with
``emitted``) and its new weight delivered into step ``u + d``; a postsynaptic spike of
step ``p`` acts at its synapses of delay ``d`` in step ``p + d``: their potentiation runs
at the end of step ``p + d - 1`` (:func:`.potentiation.potentiate_delayed`, with the emissions before
``p + d``) and the trace record (one per target neuron and distinct delay of the
projection) carries step ``p + d``, which emissions of that very step do not see
(column 3 of ``po`` keeps ``o1`` just before the jump). A pre/post pair with ``t_post +
d = t_pre`` therefore changes nothing, as in NEST. Such projections also keep their
weights twice: ``wrun``, the running weights the rule updates, and ``w``, the weights as
NEST and sPyNNaker report them, which change only at presynaptic spikes (they update
weights lazily, when a presynaptic spike is processed).

Traces are never stepped: each neuron keeps the trace value just after each
of its recent spikes (a short history for presynaptic neurons, because a
synapse with delay ``d`` needs the trace of emissions up to ``s - d``) and the
value at any later step is that value times ``exp(-(steps) dt / tau)`` (exact
exponential decay; Morrison, Diesmann & Gerstner 2008, Biol. Cybern. 98:459).

Rules (Pfister & Gerstner 2006, J. Neurosci. 26:9673), with presynaptic traces
``r1`` (``tau_plus``), ``r2`` (``tau_x``) and postsynaptic traces ``o1``
(``tau_minus``), ``o2`` (``tau_y``); each jumps by 1 at its neuron's spikes
(all-to-all) or is set to 1 (nearest spike; ``NEAREST = 2``, sPyNNaker's nearest pair, also
lets only the first postsynaptic spike after a presynaptic arrival potentiate):

.. math::

    \\text{arrival:}\\quad a_- = o_1 (A_2^- + A_3^- r_2^{\\text{before}}) m_-, \\qquad
    \\text{post spike:}\\quad a_+ = r_1 (A_2^+ + A_3^+ o_2^{\\text{before}}) m_+

The pair rule (Song, Miller & Abbott 2000; PyNN ``SpikePairRule``) is the case
``A_3^\\pm = 0``. The window signs ``sgn_post`` / ``sgn_pre`` (hebbian: +1/-1)
turn the amounts into signed changes ``a``; the weight dependence applies
them and clips to ``[w_min, w_max]``:

- additive: ``w += a * scale``;
- multiplicative: ``w += a (w_max - w)`` if ``a >= 0`` else ``w += a (w - w_min)``.

Inhibitory STDP (Vogels, Sprekeler, Zenke, Clopath & Gerstner 2011, Science 334:1569;
NEST ``vogels_sprekeler_synapse``) is the symmetric pair case (both window signs +1,
``A_2^+ = A_2^- = \\eta``, all four traces with one ``\\tau``) plus a constant
depression ``A_0^- = \\eta \\alpha`` at every presynaptic arrival (column ``A0M``),
applied after the trace term and bounded again, in NEST's order:

.. math::

    \\text{arrival:}\\quad w \\leftarrow [w + \\eta\\, o_1 m_-]_{w_{min}}^{w_{max}}, \\quad
    w \\leftarrow [w - \\eta \\alpha\\, m_-]_{w_{min}}^{w_{max}}, \\qquad
    \\text{post spike:}\\quad w \\leftarrow [w + \\eta\\, r_1 m_+]_{w_{min}}^{w_{max}}

``A0M = 0`` (every other rule) keeps the lean arrival loop; a non-zero ``A0M`` takes the
general loop, where it is a loop-invariant flag.

``m_+`` / ``m_-`` are run-time modulators: scalars with a per-step decay
factor, times an optional per-synapse mask (``pmask`` / ``dmask``); either side
may also be scaled by an NALSM astrocyte (``astro_side``).

NALSM astrocyte (Ivanov & Michmizos 2021, NeurIPS, eq. for ``A``), per step
with ``c`` the signed count of the spikes it listens to in the step:

.. math::

    A \\leftarrow A + \\frac{dt}{\\tau_A} (w_A c + b_A - A), \\qquad
    (A, w_A, b_A) \\leftarrow g (A, w_A, b_A)

where ``g`` is the per-step decay factor (1 for none). An astrocyte group scales the
depression and/or the potentiation of the synapses it is linked to by their astrocyte's ``A``
(``Plastic.astro_side``), which may be negative (the change then reverses).
"""
from collections import namedtuple
import math

import numpy as np

from ._config import jit
from .nalsm_astro import Astro, step_astrocytes  # noqa: F401 (the drivers' names)
from .prefetch import AHEAD, prefetch_read, prefetch_row

# columns of Plastic.par
A2P, A3P, A2M, A3M, WMIN, WMAX, SCALE, SGN_POST, SGN_PRE, WDEP, NEAREST, TRIPLET, A0M = range(13)
NPLPAR = 13
TAB_BITS = 12
TAB_LEN = 1 << TAB_BITS  # decay tables: exp(-k dt / tau) for k < TAB_LEN, then HI_LEN entries
HI_LEN = 64  # exp(-j TAB_LEN dt / tau) for j < HI_LEN; beyond, exp is computed
R1, R2, O1, O2 = 0, 1, 2, 3

Plastic = namedtuple("Plastic", [
    "pj",        # int64 (nq,): index of the projection in the main synapse arrays
    "syn_lo",    # int64 (nq + 1,): plastic synapse q starts at syn_lo[q] in w / col_* / syn_astro
    "w",         # float (n_syn,): the plastic weights
    "par",       # float64 (nq, NPLPAR)
    "mod",       # float64 (nq, 4): m_plus, m_minus, per-step decay of m_plus, of m_minus
    "tab",       # float64 (nq * 4, TAB_LEN + HI_LEN): decay tables of r1, r2, o1, o2
    "rate",      # float64 (nq, 4): dt / tau of r1, r2, o1, o2
    "col_off",   # int64 (nq,): start of projection q's column pointers in col_ptr
    "col_ptr",   # int64: per target neuron, the range of its incoming synapses in col_pre/col_syn
    "col_pre",   # int32 (n_syn,): presynaptic neuron (local) of each incoming synapse
    "col_syn",   # int32 (n_syn,): synapse index (local to the projection)
    "h_off",     # int64 (nq,): first history entry of projection q
    "h_len",     # int64 (nq,): history entries per presynaptic neuron
    "hn_off",    # int64 (nq + 1,): presynaptic-neuron slots of projection q in h_head / h_cnt
    "n_post",    # int64 (nq,): size of projection q's target population
    "h_step",    # int64 (entries,): emission step of each history entry
    "h_x",       # float64 (entries, 2): r1, r2 just after that emission
    "h_head",    # int64: newest entry of each presynaptic neuron
    "h_cnt",     # int64: valid entries of each presynaptic neuron
    "h_last",    # float64 (slots, 4): newest entry again (step or -1, r1, r2, -), one cache line
    "po_off",    # int64 (nq,): first postsynaptic-neuron slot of projection q
    "po",        # float64 (slots, 4): step of the last postsynaptic spike (-1: none yet),
                 # o1 and o2 just after it, padding (one record per neuron, one cache line)
    "dl_ptr",    # int64 (nq + 1,): distinct delays of projection q are dl[dl_ptr[q]:dl_ptr[q+1]]
    "dl",        # int64
    "ar_ids",    # int64 (n_ar_slots, cap): neurons that fired in a step, by step & ar_mask
    "ar_cnt",    # int64 (n_ar_slots,)
    "ar_watch",  # bool (N,): neurons that are presynaptic to a plastic projection
    "astro",     # int64 (nq,): first astrocyte of the group modulating q, or -1
    "astro_side",  # int64 (nq,): what that group scales: 1 depression, 2 potentiation, 3 both
    "syn_astro",  # int32 (n_syn,): astrocyte (within that group) of each synapse, -1: none
    "pmask",     # float64 (n_syn,) or (1,) when unused: per-synapse factor on potentiation
    "dmask",     # float64 (n_syn,) or (1,) when unused: per-synapse factor on depression
    "dendritic",  # int64 (nq,): 1 for a dendritic-delay projection (its po holds one record
                  # per target neuron and distinct delay, delay-major), 0 for axonal, 2 for
                  # axonal without same-step pairs (one-step delays; see process_arrivals)
    "wrun",      # float (n_syn,) or (1,) when no projection is dendritic: running weights of
                 # the dendritic projections (``w`` then holds the reported ones)
])

@jit
def table_exp(tab, rate, steps):
    """``exp(-steps * rate)`` for ``steps >= 0``: from the decay table ``tab``, as the fine
    entry of ``steps mod TAB_LEN`` times the coarse entry of ``steps // TAB_LEN`` (1 for
    ``steps < TAB_LEN``, so those are the table's values exactly), computed beyond the
    coarse entries. From ``TAB_LEN`` steps on, the product differs from ``exp`` by tens to
    hundreds of units in the last place (relative up to ~6e-14, growing with ``steps``);
    ``exp`` of the rounded ``steps * rate`` is as far from the exact value. It spares the
    older traces (about a tenth of those read at CUBA+STDP 80k) a call to ``exp``:
    depression 17-20 % faster there (``benchmarks/README.md``)."""
    hi = steps >> TAB_BITS
    if hi < HI_LEN:
        return tab[steps & (TAB_LEN - 1)] * tab[TAB_LEN + hi]
    return math.exp(-steps * rate)


@jit
def newest_trace(h_last, hn, u, tab, rate, strict, c=0):
    """Presynaptic trace ``c`` at step ``u`` from the newest emission record ``h_last[hn]``
    (:func:`pre_trace_at`'s fast path, for the inner loops): 0 before any emission, -1 when
    the newest emission is after ``u`` (at ``u`` too if ``strict``: then the history is
    needed)."""
    te = h_last[hn, 0]
    if te < 0.0:
        return 0.0
    if te > u or (strict and te == u):
        return -1.0
    return h_last[hn, 1 + c] * table_exp(tab, rate, u - np.int64(te))


@jit
def history_entry(h_step, h_head, h_cnt, hn, base, h_len, u, strict):
    """Index in ``h_step`` / ``h_x`` of the newest history entry (record ``hn``, ring at
    ``base`` of length ``h_len``) emitted ``<= u`` (``< u`` if ``strict``), or -1."""
    e = h_head[hn]
    for _ in range(h_cnt[hn]):
        te = h_step[base + e]
        if te < u or (te == u and not strict):
            return base + e
        e = e - 1 if e > 0 else h_len - 1
    return np.int64(-1)


@jit
def pre_trace_at(h_last, h_x, h_step, h_head, h_cnt, hn, base, h_len, u, tab, rate, c, strict):
    """Presynaptic trace ``c`` at step ``u`` of record ``hn`` (history ring at ``base``,
    length ``h_len``), with decay table ``tab`` and ``rate``: of the emissions ``<= u``
    (``< u`` if ``strict``).

    Plain arrays rather than :class:`Plastic`: a call that takes the namedtuple counts
    references to every one of its arrays, which cost more than the lookup itself."""
    r = newest_trace(h_last, hn, u, tab, rate, strict, c)
    if r >= 0.0:  # before any emission, or from the newest one: the usual cases
        return r
    k = history_entry(h_step, h_head, h_cnt, hn, base, h_len, u, strict)
    return 0.0 if k < 0 else h_x[k, c] * table_exp(tab, rate, u - h_step[k])


@jit
def last_emission_at(h_last, h_step, h_head, h_cnt, hn, base, h_len, u, strict):
    """Step of the newest emission ``<= u`` (``< u`` if ``strict``) of presynaptic record
    ``hn``, or -1 (arguments as :func:`pre_trace_at`)."""
    te = np.int64(h_last[hn, 0])
    if te < 0 or te < u or (te == u and not strict):
        return te
    k = history_entry(h_step, h_head, h_cnt, hn, base, h_len, u, strict)
    return np.int64(-1) if k < 0 else h_step[k]


@jit
def post_trace_before(po, slot, s, tab, rate):
    """Postsynaptic ``o1`` at step ``s`` without a spike recorded at ``s`` itself (a
    dendritic projection's record of step ``s`` acts after that step's arrivals)."""
    last = po[slot, 0]
    if last < 0.0:
        return 0.0
    if np.int64(last) == s:
        return po[slot, 3]
    return po[slot, 1] * table_exp(tab, rate, s - np.int64(last))


@jit
def clip(w, lo, hi):
    """``w`` clipped to ``[lo, hi]``."""
    if w < lo:
        return lo
    if w > hi:
        return hi
    return w


@jit
def apply_change(par, w, a):
    """Weight after the signed change ``a`` (additive or multiplicative), clipped to bounds."""
    lo = par[WMIN]
    hi = par[WMAX]
    if par[WDEP] == 0.0:
        w = w + a * par[SCALE]
    elif a >= 0.0:
        w = w + a * (hi - w)
    else:
        w = w + a * (w - lo)
    return clip(w, lo, hi)


@jit
def _depress_uniform_additive(s, k0, k1, tg, po, po0, tab2, rate2, sgn, amp, mod, scale, wmin,
                              wmax, w_q, ring, post_lo):
    """Inner loop of :func:`process_arrivals` over the synapses ``k0:k1`` of one arriving
    row for one delay, additive bounds, no mask and no astrocyte (the common case, kept lean)."""
    for k in range(k0, k1):
        if k + AHEAD < k1:
            prefetch_read(po, po0 + tg[k + AHEAD])
        j = tg[k]
        w = w_q[k]
        last = po[po0 + j, 0]
        if last >= 0.0:  # post_trace, inline
            o1 = po[po0 + j, 1] * table_exp(tab2, rate2, s - np.int64(last))
            w = clip(w + (sgn * o1 * amp * mod) * scale, wmin, wmax)  # apply_change, additive
            w_q[k] = w
        ring[post_lo + j] += w


@jit(inline="always")
def process_arrivals(s, pl, astro_A, slot_mask, buf, pj_pre_lo, pj_post_lo, pj_rec, pj_row_off,
                     pj_syn, pj_d, cut, post, delay, part, emitted, S, rows, into_state):
    """Depress and deliver every plastic synapse whose presynaptic spike arrives in step ``s``
    (``emitted`` False: the axonal projections, before the neurons are updated) or, for
    the dendritic ones (``emitted`` True, after the step's emissions are pushed), every
    synapse whose presynaptic neuron fired in step ``s``, delivered into step ``s + d``.

    Only the synapses ``cut[row, part]:cut[row, part + 1]`` of each row (the
    targets of one thread; ``part = 0`` with a two-column ``cut`` is all).
    Projections without same-step pairs (``pl.dendritic[q] == 2``, delay one step: the
    spike arriving in ``s`` was emitted in ``s - 1``) leave out a postsynaptic spike of
    step ``s - 1``: their ``o1`` is the trace of the spikes before ``s - 1``, at ``s``.

    ``into_state`` (axonal projections only): add the weights straight into the state rows
    ``S[rows[plane]]`` instead of ring slot ``s`` (:mod:`.direct`; called after the update
    of step ``s``, before its potentiation, so that the traces read are the same).
    """
    slot = s & slot_mask
    for q in range(pl.pj.shape[0]):
        dendritic = pl.dendritic[q] == 1
        strict = pl.dendritic[q] == 2  # no pair with a postsynaptic spike of the emission step
        if dendritic != emitted:
            continue
        pj = pl.pj[q]
        par = pl.par[q]
        m_minus = pl.mod[q, 1]
        sgn = par[SGN_PRE]
        triplet = par[TRIPLET] != 0.0
        a0 = par[A0M]  # constant depression per arrival (Vogels 2011), 0 for the other rules
        const = a0 != 0.0
        lo_syn = pl.syn_lo[q]
        tg = post[pj_syn[pj]:pj_syn[pj + 1]]
        dd = delay[pj_d[pj]:pj_d[pj + 1]]
        uniform = dd.shape[0] == 1
        ring = S[rows[pj_rec[pj]]] if into_state else buf[pj_rec[pj], slot]
        post_lo = pj_post_lo[pj]
        pre_lo = pj_pre_lo[pj]
        n_pre = pl.hn_off[q + 1] - pl.hn_off[q]
        po0 = pl.po_off[q]
        g = pl.astro[q] if pl.astro_side[q] & 1 else -1  # astrocyte group on the depression
        dmasked = pl.dmask.shape[0] == pl.w.shape[0]
        additive = par[WDEP] == 0.0
        wmin = par[WMIN]
        wmax = par[WMAX]
        scale = par[SCALE]
        tab2 = pl.tab[4 * q + 2]
        rate2 = pl.rate[q, 2]
        tab1, rate1 = pl.tab[4 * q + 1], pl.rate[q, 1]  # r2 of the triplet rule
        hn0, h_off, h_len = pl.hn_off[q], pl.h_off[q], pl.h_len[q]
        w_q = pl.w[lo_syn:]
        run_q = pl.wrun[lo_syn:] if dendritic else w_q  # the weights the rule updates
        for di in range(pl.dl_ptr[q], pl.dl_ptr[q + 1]):
            d = pl.dl[di]
            u = s - d  # the emission step
            if dendritic:  # emitted now, delivered d later; this delay's postsynaptic records
                po0 = pl.po_off[q] + (di - pl.dl_ptr[q]) * pl.n_post[q]
                u = s
                ring = buf[pj_rec[pj], (s + d) & slot_mask]
            if u < 0:
                continue
            a_slot = u & (pl.ar_ids.shape[0] - 1)
            for m in range(pl.ar_cnt[a_slot]):  # every arrival's row loads at once
                i = pl.ar_ids[a_slot, m] - pre_lo
                if i >= 0 and i < n_pre:
                    k0 = cut[pj_row_off[pj] + i, part]
                    k1 = cut[pj_row_off[pj] + i, part + 1]
                    prefetch_row(tg, k0, k1)
                    prefetch_row(run_q, k0, k1)
            for m in range(pl.ar_cnt[a_slot]):
                i = pl.ar_ids[a_slot, m] - pre_lo
                if i < 0 or i >= n_pre:
                    continue
                r2 = 0.0
                if triplet:
                    r2 = pre_trace_at(pl.h_last, pl.h_x, pl.h_step, pl.h_head, pl.h_cnt,
                                      hn0 + i, h_off + i * h_len, h_len, u, tab1, rate1,
                                      np.int64(1), np.bool_(True))
                amp = par[A2M] + par[A3M] * r2
                row = pj_row_off[pj] + i
                k0 = cut[row, part]
                k1 = cut[row, part + 1]
                if m + 1 < pl.ar_cnt[a_slot]:  # the next arrival's first targets load now
                    i2 = pl.ar_ids[a_slot, m + 1] - pre_lo
                    if i2 >= 0 and i2 < n_pre:
                        row2 = pj_row_off[pj] + i2
                        for k in range(cut[row2, part], min(cut[row2, part] + AHEAD,
                                                            cut[row2, part + 1])):
                            prefetch_read(pl.po, po0 + tg[k])
                if uniform and additive and not dmasked and g < 0 and not const and \
                        not dendritic and not strict:
                    _depress_uniform_additive(s, k0, k1, tg, pl.po, po0, tab2, rate2,
                                              sgn, amp, m_minus, scale, wmin, wmax, w_q, ring,
                                              post_lo)
                    continue
                for k in range(k0, k1):
                    if k + AHEAD < k1:
                        prefetch_read(pl.po, po0 + tg[k + AHEAD])
                    if not uniform and dd[k] != d:
                        continue
                    j = tg[k]
                    if strict:
                        o1 = post_trace_before(pl.po, po0 + j, s - 1, tab2, rate2) * \
                            table_exp(tab2, rate2, np.int64(1))
                    else:
                        o1 = post_trace_before(pl.po, po0 + j, s, tab2, rate2)
                    mod = m_minus
                    if dmasked:
                        mod *= pl.dmask[lo_syn + k]
                    if g >= 0:
                        a_idx = pl.syn_astro[lo_syn + k]
                        if a_idx >= 0:
                            mod *= astro_A[g + a_idx]
                    w = apply_change(par, run_q[k], sgn * o1 * amp * mod)
                    if const:  # then the constant depression, bounded again (NEST's order)
                        w = apply_change(par, w, -a0 * mod)
                    run_q[k] = w
                    w_q[k] = w  # dendritic: the reported weight changes at presynaptic spikes only
                    ring[post_lo + j] += w


@jit(inline="always")
def push_emissions(s, spikes, ns, pl, pj_pre_lo):
    """Record the presynaptic emissions of step ``s``: the arrival ring and the trace histories."""
    h_last, h_step, h_x, h_head, h_cnt = pl.h_last, pl.h_step, pl.h_x, pl.h_head, pl.h_cnt
    a_slot = s & (pl.ar_ids.shape[0] - 1)
    n_ar = 0
    for m in range(ns):
        j = spikes[m]
        if pl.ar_watch[j]:
            pl.ar_ids[a_slot, n_ar] = j
            n_ar += 1
    pl.ar_cnt[a_slot] = n_ar
    for q in range(pl.pj.shape[0]):
        par = pl.par[q]
        nearest = par[NEAREST] != 0.0
        pre_lo = pj_pre_lo[pl.pj[q]]
        hn0 = pl.hn_off[q]
        n_pre = pl.hn_off[q + 1] - hn0
        h_len = pl.h_len[q]
        h_off = pl.h_off[q]
        tab0, rate0 = pl.tab[4 * q], pl.rate[q, 0]
        tab1, rate1 = pl.tab[4 * q + 1], pl.rate[q, 1]
        for m in range(ns):
            i = spikes[m] - pre_lo
            if i < 0 or i >= n_pre:
                continue
            hn = hn0 + i
            base = h_off + i * h_len
            r1n = newest_trace(h_last, hn, s, tab0, rate0, True, 0)
            r2n = newest_trace(h_last, hn, s, tab1, rate1, True, 1)
            if r1n < 0.0:  # an emission in step s already (not in the usual engine order)
                r1n = pre_trace_at(h_last, h_x, h_step, h_head, h_cnt, hn, base, h_len, s,
                                   tab0, rate0, np.int64(0), np.bool_(True))
                r2n = pre_trace_at(h_last, h_x, h_step, h_head, h_cnt, hn, base, h_len, s,
                                   tab1, rate1, np.int64(1), np.bool_(True))
            if nearest:
                r1n = 1.0
                r2n = 1.0
            else:
                r1n += 1.0
                r2n += 1.0
            e = h_head[hn] + 1
            if e == h_len:
                e = 0
            h_head[hn] = e
            if h_cnt[hn] < h_len:
                h_cnt[hn] += 1
            h_step[base + e] = s
            h_x[base + e, 0] = r1n
            h_x[base + e, 1] = r2n
            h_last[hn, 0] = s
            h_last[hn, 1] = r1n
            h_last[hn, 2] = r2n


@jit(inline="always")
def step_modulators(pl, plus, minus):
    """Multiply the potentiation (``plus``) and/or depression (``minus``) factors by their decay."""
    for q in range(pl.mod.shape[0]):
        if plus:
            pl.mod[q, 0] *= pl.mod[q, 2]
        if minus:
            pl.mod[q, 1] *= pl.mod[q, 3]


@jit
def sample_weights(t, w, wr_idx, wr_lo, wr_hi, wr_every, wr_ptr, wr_out):
    """Write one row of every weight recorder due after step ``t``."""
    for r in range(wr_lo.shape[0]):
        if (t + 1) % wr_every[r] == 0:
            p = wr_ptr[r]
            for c in range(wr_lo[r], wr_hi[r]):
                wr_out[p] = w[wr_idx[c]]
                p += 1
            wr_ptr[r] = p
