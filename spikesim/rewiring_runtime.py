"""Structural projections and rewiring groups: storage, user view and the kernel's arrays.

Memory layout (see also :mod:`spikesim.kernels.rewiring`). When a projection joins a
rewiring group its CSR rows get a fixed capacity ``max(s_max, initial row length)``;
the active synapses of row ``i`` are the first ``nact[i]`` of its row. Per synapse
slot: target int32, weight (float32/64), delay uint16 (one value for the whole
projection when every delay, old and new, is the same) and its slot int32; per post
neuron ``s_max`` slots of (entry, pre, synapse) int32. A plastic projection adds a
slot-aligned column index (int32 pre and synapse per slot, ``n_post * s_max``
entries) and a trash synapse that empty column entries point at. Networks without
rewiring allocate none of this and run the engine compiled without the hook.
"""
from __future__ import annotations

import numpy as np

from .kernels import rewiring as KR
from .plastic_runtime import empty_traces
from .projection import Projection, check_bounds, check_weights


class StructuralProjection(Projection):
    """A projection whose synapses a rewiring group forms and removes while the network runs.

    Made by :func:`add_rewiring` from an ordinary projection (its class is switched in
    place). ``n_synapses``, :meth:`connections`, ``weight``, ``delay``,
    :meth:`get_weights` and :meth:`get_delays` report the synapses that exist now, in
    storage order (by presynaptic neuron; within a row, in the order rewiring left them).
    """

    rewiring = None  # the RewiringGroup

    @property
    def n_synapses(self) -> int:
        return int(self._nact.sum())

    def _active(self) -> np.ndarray:
        """Storage positions of the active synapses, in storage order."""
        n = self._nact
        starts = self.indptr[:-1]
        total = int(n.sum())
        if total == 0:
            return np.zeros(0, np.int64)
        first = np.repeat(starts - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
        return first + np.arange(total)

    def connections(self) -> tuple[np.ndarray, np.ndarray]:
        pre = np.repeat(np.arange(self._nact.shape[0]), self._nact)
        return pre, self.post[self._active()].astype(np.int64)

    def _storage(self, a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, (self.post.shape[0],)) if a.shape[0] == 1 else a

    @property
    def weight(self) -> np.ndarray:
        out = self._storage(self._weight)[self._active()]
        out.flags.writeable = False
        return out

    @property
    def delay(self) -> np.ndarray:
        out = self._storage(self._delay)[self._active()]
        out.flags.writeable = False
        return out

    @property
    def nbytes(self) -> int:
        """Bytes of connectivity storage, including the empty capacity and the slot tables."""
        extra = self._nact.nbytes + self._syn_slot.nbytes
        if self.plastic:
            extra += self._pstate["col_pre"].nbytes + self._pstate["col_syn"].nbytes
        return super().nbytes + extra

    def set_weights(self, weights) -> None:
        """Set the weights of the existing synapses: a scalar, one value per synapse
        (storage order, as :meth:`connections`), or a dense ``(n_pre, n_post)`` matrix."""
        n = self.n_synapses
        a = np.asarray(weights, dtype=np.float64)
        pre, post = self.connections()
        if a.ndim == 0:
            new = np.full(n, float(a))
        elif a.ndim == 1 and a.shape[0] == n:
            new = a.copy()
        elif a.ndim == 2 and a.shape == (self.pre.size, self.post_population.size):
            new = a[pre, post]
        else:
            raise ValueError(f"weights of a structural projection must be a scalar, ({n},) or "
                             f"({self.pre.size}, {self.post_population.size}); got shape {a.shape}")
        if not np.isfinite(new).all():
            raise ValueError("weights must be finite")
        check_weights(new, self.receptor_type, self.post_population.celltype)
        if self.plastic:
            check_bounds(new, self.synapse)
        self._weight[self._active()] = new  # in place: the kernel holds a view

    def modulate(self, potentiation=None, depression=None, potentiation_decay=None,
                 depression_decay=None, potentiation_mask=None, depression_mask=None) -> None:
        """As :meth:`Projection.modulate`, with scalar factors only: per-synapse masks and
        astrocyte groups would not follow synapses that rewiring moves."""
        if potentiation_mask is not None or depression_mask is not None:
            raise NotImplementedError("modulate(potentiation_mask/depression_mask) on a "
                                      "structural projection: per-synapse masks are not "
                                      "available with rewiring")
        for name, f in (("potentiation", potentiation), ("depression", depression)):
            if hasattr(f, "_assign_synapses"):
                raise NotImplementedError(f"modulate({name}=astrocyte group) on a structural "
                                          "projection is not available with rewiring")
        super().modulate(potentiation, depression, potentiation_decay, depression_decay)


class RewiringGroup:
    """The rewiring process of one postsynaptic population (all its structural projections).

    Attributes
    ----------
    post : Population
    rule : StructuralPlasticity
    projections : list of StructuralProjection, in the order they joined
    """

    def __init__(self, net, post, rule, index: int) -> None:
        self.net = net
        self.post = post
        self.rule = rule
        self.index = index
        self.projections: list[StructuralProjection] = []
        n = post.size * rule.s_max
        self._slot_e = np.full(n, -1, np.int32)
        self._slot_i = np.full(n, -1, np.int32)
        self._slot_k = np.full(n, -1, np.int32)
        self._count = np.zeros(1, np.int64)
        self._stats = np.zeros((1, KR.N_STATS), np.int64)
        if rule.seed is not None:
            ss = np.random.SeedSequence(rule.seed)
        else:
            ss = np.random.SeedSequence(entropy=net.seed, spawn_key=(0x52455749, index))
        self.seed = int(ss.generate_state(1, np.uint64)[0])
        self.fast, self.period = _schedule(rule, net.dt)

    @property
    def stats(self) -> dict:
        """Counts since the start: attempts, formation trials and formations, elimination
        trials and eliminations (depressed / potentiated), attempts without a partner, with
        a full row, onto an existing pair (``with_replacement=False``)."""
        return {name: int(v) for name, v in zip(KR.STAT_NAMES, self._stats[0])}

    def slots(self) -> np.ndarray:
        """``(n_post, s_max)`` int: the entry (position in ``projections``) holding each
        slot, -1 if empty."""
        return self._slot_e.reshape(self.post.size, self.rule.s_max).copy()

    def __repr__(self) -> str:
        return (f"RewiringGroup(post={self.post.label!r}, {len(self.projections)} projections, "
                f"{sum(p.n_synapses for p in self.projections)} synapses)")


def _schedule(rule, dt):
    from .rewiring import rewiring_schedule

    return rewiring_schedule(rule.f_rew, dt)


def add_rewiring(projection: Projection, rule) -> RewiringGroup:
    """Make ``projection`` structural: rewiring ``rule`` forms and removes its synapses.

    Its existing synapses are the initial connectivity (each post neuron may have at
    most ``s_max`` of them over all structural projections onto it). Structural
    projections onto the same population share one process and must have equal
    rules (see :class:`spikesim.StructuralPlasticity`); one structural projection per
    pair of populations. Projections with a synapse dynamic (Tsodyks-Markram, ...),
    astrocyte links or per-synapse modulation masks are refused.

    Returns the population's :class:`RewiringGroup`.
    """
    from .rewiring import StructuralPlasticity

    if not isinstance(projection, Projection):
        raise TypeError(f"projection must be a spikesim Projection, got {projection!r}")
    if not isinstance(rule, StructuralPlasticity):
        raise TypeError(f"rule must be a spikesim.StructuralPlasticity, got {rule!r}")
    if isinstance(projection, StructuralProjection):
        raise ValueError(f"projection {projection.label!r} is already structural")
    if projection._dstate is not None:
        raise NotImplementedError(f"rewiring of projection {projection.label!r}, which has a "
                                  "synapse dynamic, is not available")
    if projection._astro_link is not None or any(m is not None for m in projection._masks):
        raise NotImplementedError(f"rewiring of projection {projection.label!r}, which has an "
                                  "astrocyte link or modulation masks, is not available")
    net = projection.pre.net
    post = projection.post_population
    dt = net.dt
    dlo, dhi = rule.delay_steps(dt)
    w0 = np.array([rule.initial_weight])
    try:
        check_weights(w0, projection.receptor_type, post.celltype)
        if projection.plastic:
            check_bounds(w0, projection.synapse)
    except ValueError as exc:
        raise ValueError(f"initial_weight: {exc}") from None
    groups = net.__dict__.setdefault("_rewiring", [])
    group = next((g for g in groups if g.post is post), None)
    if group is not None:
        if not rule.shares_process_with(group.rule):
            raise ValueError(f"the structural projections onto {post.label!r} must share f_rew, "
                             "s_max, initial_weight, initial_delay, with_replacement and the "
                             f"rules (as in sPyNNaker): {rule!r} differs from {group.rule!r}")
        if any(p.pre is projection.pre for p in group.projections):
            raise ValueError(f"only one projection from {projection.pre.label!r} to {post.label!r} "
                             "can be structural (as in sPyNNaker)")
    else:
        group = RewiringGroup(net, post, rule, len(groups))
    _convert(projection, group, dlo, dhi)
    if group not in groups:
        groups.append(group)
    net._runtime.invalidate()
    return group


def _convert(proj: Projection, group: RewiringGroup, dlo: int, dhi: int) -> None:
    """Lay ``proj`` out with row capacities and slots; switch its class in place."""
    s_max = group.rule.s_max
    n_pre, n_post = proj.pre.size, proj.post_population.size
    lens = np.diff(proj.indptr)
    targets = np.asarray(proj.post, np.int64)
    slots = group._slot_e.reshape(n_post, s_max)
    used = (slots >= 0).sum(axis=1)
    incoming = np.bincount(targets, minlength=n_post)
    over = np.flatnonzero(used + incoming > s_max)
    if over.size:
        j = int(over[0])
        raise ValueError(f"post neuron {j} of {proj.post_population.label!r} would start with "
                         f"{int(used[j] + incoming[j])} structural connections, more than "
                         f"s_max={s_max} (too many initial connections)")
    cap = np.maximum(lens, s_max)
    indptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(cap, out=indptr[1:])
    rows_end = int(indptr[-1])
    m = max(rows_end + 1, n_post * s_max) if proj.plastic else rows_end
    pre_idx = np.repeat(np.arange(n_pre), lens)
    pos = indptr[:-1][pre_idx] + (np.arange(lens.sum()) - proj.indptr[:-1][pre_idx])
    dtype = proj._weight.dtype
    post = np.zeros(m, np.int32)
    post[pos] = targets
    weight = np.zeros(m, dtype)
    weight[pos] = proj.weight
    old_d = np.asarray(proj.delay)
    if dhi - dlo <= 1 and (old_d.size == 0 or (old_d == dlo).all()):
        delay = np.array([dlo], np.uint16)
    else:
        delay = np.full(m, dlo, np.uint16)
        delay[pos] = old_d
    syn_slot = np.full(m, -1, np.int32)
    e_local = len(group.projections)
    # each initial synapse takes the next free slot of its post neuron (in storage order)
    free_first = np.argsort(slots >= 0, axis=1, kind="stable")  # free slots first, in order
    by_post = np.argsort(targets, kind="stable")
    rank = np.empty(targets.shape[0], np.int64)
    starts = np.concatenate([[0], np.cumsum(incoming)[:-1]])
    rank[by_post] = np.arange(targets.shape[0]) - np.repeat(starts, incoming)
    ls = targets * s_max + free_first[targets, rank] if targets.shape[0] else \
        np.zeros(0, np.int64)
    group._slot_e[ls] = e_local
    group._slot_i[ls] = pre_idx
    group._slot_k[ls] = pos
    syn_slot[pos] = ls
    if proj.plastic:
        proj._pstate = _plastic_state(proj, post, pos, pre_idx, syn_slot, delay, m, n_post, s_max,
                                      dlo, dhi)
    proj.indptr = indptr
    proj.post = post
    proj._weight = weight
    proj._delay = delay
    proj._nact = lens.astype(np.int64)
    proj._syn_slot = syn_slot
    proj.__class__ = StructuralProjection
    proj.rewiring = group
    group.projections.append(proj)


def _plastic_state(proj, post, pos, pre_idx, syn_slot, delay, m, n_post, s_max, dlo, dhi) -> dict:
    """The plastic state of a structural projection: traces as for any plastic projection,
    a slot-aligned column index, every delay rewiring can make in ``dl``."""
    old = proj._pstate
    dl = np.union1d(np.unique(delay), np.arange(dlo, max(dhi, dlo + 1))).astype(np.int64)
    trash = m - 1
    col_pre = np.zeros(m, np.int32)
    col_syn = np.full(m, trash, np.int32)
    col_syn[syn_slot[pos]] = pos
    col_pre[syn_slot[pos]] = pre_idx
    extra = {}
    n_rec = n_post
    if "wrun" in old:  # dendritic-delay STDP: the running weights, laid out as the weights,
        extra["wrun"] = np.zeros(m)  # and a postsynaptic trace record per distinct delay
        extra["wrun"][pos] = old["wrun"]
        n_rec = n_post * dl.shape[0]
    return dict(
        **empty_traces(proj.pre, n_rec, int(dl.max()), proj.pre.net.dt), **extra,
        mod=np.array(old["mod"], np.float64),
        col_ptr=(np.arange(n_post + 1, dtype=np.int64) * s_max),
        col_pre=col_pre,
        col_syn=col_syn,
        dl=dl,
        trash=trash,
    )


def build_kernel(rt):
    """The kernel's :class:`~spikesim.kernels.rewiring.Rewiring` for runtime ``rt``, or None.

    Called at the end of ``Runtime._build``: points the structural projections at the
    runtime's arrays (views, so both see the kernel's changes), sets their rows' ends in
    ``rt.cut`` to the active counts, and concatenates the groups' state (the groups and
    projections then hold views into it).
    """
    net = rt.net
    groups = getattr(net, "_rewiring", None)
    if not groups:
        return None
    for r in net.weight_recorders:
        if isinstance(r.projection, StructuralProjection):
            raise NotImplementedError(f"record_weights of structural projection "
                                      f"{r.projection.label!r}: rewiring moves synapses, so "
                                      "per-synapse weight records are not available")
    pl = getattr(rt, "pl", None)
    q_of = {int(pj): q for q, pj in enumerate(pl.pj)} if rt.use_plastic else {}
    G = len(groups)
    ent, g_e_lo, r_lo, r_hi, r_e, g_r_lo, tabs = [], [0], [], [], [], [0], []
    e_rows = []
    tab_lo = 0
    for gi, g in enumerate(groups):
        base_e = len(ent)
        for el, p in enumerate(g.projections):
            pj = p.index
            p.post = rt.post[rt.pj_syn[pj]:rt.pj_syn[pj + 1]]
            if not p.plastic:
                p._weight = rt.weight[rt.pj_w[pj]:rt.pj_w[pj + 1]]
            p._delay = rt.delay[rt.pj_d[pj]:rt.pj_d[pj + 1]]
            rows = rt.pj_row_off[pj] + np.arange(p.pre.size)
            rt.cut[rows, 1] = rt.cut[rows, 0] + p._nact
            lateral = p.pre is p.post_population
            tab = g.rule.formation.table(lateral)
            tabs.append(tab)
            q = q_of.get(pj, -1)
            el_rule = g.rule.elimination
            ent.append(dict(
                pj=pj, pre_lo=p.pre.first, n_pre=p.pre.size, row=rt.pj_row_off[pj],
                w_init=float(g.rule.initial_weight), thresh=el_rule.threshold,
                pdep=el_rule.limit(el_rule.prob_elim_depressed),
                ppot=el_rule.limit(el_rule.prob_elim_potentiated),
                tab_lo=tab_lo, tab_n=tab.shape[0], gx=g.rule.formation.grid[0],
                gy=g.rule.formation.grid[1], plastic=int(q >= 0),
                wbase=int(pl.syn_lo[q]) if q >= 0 else 0,
                colbase=int(pl.syn_lo[q]) if q >= 0 else 0,
                trash=int(p._pstate["trash"]) if q >= 0 else 0,
                dvar=int(p._delay.shape[0] != 1)))
            tab_lo += tab.shape[0]
            e_rows.append(p)
            if q >= 0:  # the column index must survive rebuilds: views into the kernel's
                lo, hi = int(pl.syn_lo[q]), int(pl.syn_lo[q + 1])
                p._pstate["col_pre"] = pl.col_pre[lo:hi]
                p._pstate["col_syn"] = pl.col_syn[lo:hi]
        g_e_lo.append(len(ent))
        sources = []
        for j in net.projections:
            if j.post_population is g.post and j.pre not in sources:
                sources.append(j.pre)
        for src in sources:
            r_lo.append(src.first)
            r_hi.append(src.first + src.size)
            r_e.append(next((base_e + el for el, p in enumerate(g.projections) if p.pre is src),
                            -1))
        g_r_lo.append(len(r_lo))

    def cat_views(owners, attr, dtype):
        parts = [getattr(o, attr) for o in owners]
        out = np.ascontiguousarray(np.concatenate(parts).astype(dtype, copy=False)) if parts \
            else np.zeros(0, dtype)
        lo = 0
        for o, part in zip(owners, parts):
            setattr(o, attr, out[lo:lo + part.shape[0]])
            lo += part.shape[0]
        return out

    nact = cat_views(e_rows, "_nact", np.int64)
    syn_slot = cat_views(e_rows, "_syn_slot", np.int32)
    slot_e = cat_views(groups, "_slot_e", np.int32)
    slot_i = cat_views(groups, "_slot_i", np.int32)
    slot_k = cat_views(groups, "_slot_k", np.int32)
    count = cat_views(groups, "_count", np.int64)
    stats = cat_views(groups, "_stats", np.int64)
    nact_lo = np.concatenate([[0], np.cumsum([p._nact.shape[0] for p in e_rows])[:-1]]) \
        if e_rows else np.zeros(0)
    ss_lo = np.concatenate([[0], np.cumsum([p._syn_slot.shape[0] for p in e_rows])[:-1]]) \
        if e_rows else np.zeros(0)
    slot_lo = np.concatenate([[0], np.cumsum([g._slot_e.shape[0] for g in groups])[:-1]])

    def col(key, dtype):
        return np.array([e[key] for e in ent], dtype)

    i64 = np.int64
    return KR.Rewiring(
        g_seed=np.array([g.seed for g in groups], np.uint64), g_count=count,
        g_n_post=np.array([g.post.size for g in groups], i64),
        g_s_max=np.array([g.rule.s_max for g in groups], i64),
        g_fast=np.array([g.fast for g in groups], i64),
        g_period=np.array([max(g.period, 1) for g in groups], i64),
        g_replace=np.array([int(bool(g.rule.with_replacement)) for g in groups], i64),
        g_partner=np.array([g.rule.partner_selection.kind for g in groups], i64),
        g_buf=np.array([getattr(g.rule.partner_selection, "spike_buffer_size", 0)
                        for g in groups], i64),
        g_dlo=np.array([g.rule.delay_steps(net.dt)[0] for g in groups], i64),
        g_dhi=np.array([g.rule.delay_steps(net.dt)[1] for g in groups], i64),
        g_e_lo=np.array(g_e_lo, i64), g_slot_lo=slot_lo.astype(i64),
        g_r_lo=np.array(g_r_lo, i64),
        e_pj=col("pj", i64), e_pre_lo=col("pre_lo", i64), e_n_pre=col("n_pre", i64),
        e_row=col("row", i64), e_nact_lo=np.asarray(nact_lo, i64), e_ss_lo=np.asarray(ss_lo, i64),
        e_w_init=col("w_init", np.float64), e_thresh=col("thresh", np.float64),
        e_pdep=col("pdep", np.uint64), e_ppot=col("ppot", np.uint64),
        e_tab_lo=col("tab_lo", i64), e_tab_n=col("tab_n", i64), e_gx=col("gx", i64),
        e_gy=col("gy", i64), e_plastic=col("plastic", i64), e_wbase=col("wbase", i64),
        e_colbase=col("colbase", i64), e_trash=col("trash", i64), e_dvar=col("dvar", i64),
        nact=nact, syn_slot=syn_slot, slot_e=slot_e, slot_i=slot_i, slot_k=slot_k,
        tab=np.concatenate(tabs + [np.zeros(1, i64)]).astype(i64),
        r_lo=np.array(r_lo, i64), r_hi=np.array(r_hi, i64), r_e=np.array(r_e, i64),
        pool=np.zeros(max([getattr(g.rule.partner_selection, "spike_buffer_size", 1)
                           for g in groups] + [1]), i64),
        stats=stats.reshape(G, KR.N_STATS))
