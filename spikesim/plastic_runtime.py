"""Kernel arrays for plastic projections, NALSM astrocytes and weight recorders.

Every array the kernel updates lives in one concatenated array per kind; each
projection (or astrocyte group) keeps *views* into it, so user access such as
``proj.get_weights()`` always sees the kernel's current values, and a rebuild
(after adding a recorder, say) copies the state forward instead of resetting it.
"""
from __future__ import annotations

import numpy as np

from .kernels import plasticity as KP
from .projection import check_one_step


def empty_traces(pre, n_post: int, max_delay: int, dt: float) -> dict:
    """Empty trace histories of a plastic projection from ``pre`` onto ``n_post`` records:
    each presynaptic neuron keeps the traces of its spikes of the last ``max_delay`` steps
    (at most one spike per refractory period plus one step), and every postsynaptic record
    its last one (one per target neuron; dendritic delay: per target and distinct delay)."""
    n_pre = pre.size
    ref = int(np.min(pre.refractory_steps(dt), initial=0))
    h_len = int(max_delay) // (ref + 1) + 2
    return dict(
        h_len=h_len,
        h_step=np.zeros(n_pre * h_len, np.int64),
        h_x=np.zeros((n_pre * h_len, 2), np.float64),
        h_head=np.zeros(n_pre, np.int64),
        h_cnt=np.zeros(n_pre, np.int64),
        h_last=np.tile([-1.0, 0.0, 0.0, 0.0], (n_pre, 1)),
        po=np.tile([-1.0, 0.0, 0.0, 0.0], (n_post, 1)),
    )


def projection_state(proj, dt: float) -> dict:
    """Fresh plasticity state of a plastic projection (traces empty, modulators 1)."""
    n_pre, n_post = proj.pre.size, proj.post_population.size
    d = proj.delay
    pre_idx = np.repeat(np.arange(n_pre, dtype=np.int64), np.diff(proj.indptr))
    order = np.argsort(proj.post, kind="stable")
    col_ptr = np.zeros(n_post + 1, np.int64)
    np.cumsum(np.bincount(proj.post, minlength=n_post), out=col_ptr[1:])
    extra = {}
    n_rec = n_post
    if proj.synapse.delay_model == "dendritic":  # running weights (the kernel's ``wrun``)
        extra["wrun"] = proj.weight.astype(np.float64)
        n_rec = n_post * max(np.unique(d).shape[0], 1)  # a trace record per distinct delay
    return dict(
        **empty_traces(proj.pre, n_rec, int(d.max(initial=1)), dt), **extra,
        mod=np.array([1.0, 1.0, 1.0, 1.0]),
        col_ptr=col_ptr,
        col_pre=pre_idx[order].astype(np.int32),
        col_syn=order.astype(np.int32),
        dl=np.unique(d).astype(np.int64),
    )


def decay_tables(rate: np.ndarray) -> np.ndarray:
    """The kernels' decay tables (:func:`spikesim.kernels.plasticity.table_exp`): one row per
    trace rate ``dt / tau`` in ``rate``, ``exp(-k rate)`` for ``k < TAB_LEN`` (fine), then
    ``exp(-j TAB_LEN rate)`` for ``j < HI_LEN`` (coarse)."""
    steps = np.concatenate([np.arange(KP.TAB_LEN), KP.TAB_LEN * np.arange(KP.HI_LEN)])
    return np.exp(-steps[None, :] * np.asarray(rate, np.float64).reshape(-1, 1))


def kernel_par(syn) -> np.ndarray:
    """The ``Plastic.par`` row of an :class:`spikesim.plasticity.STDP` synapse type."""
    from .plasticity import WINDOW_SIGNS, AdditiveWeightDependence

    kp = syn.timing.kernel_params()
    wd = syn.weight
    row = np.zeros(KP.NPLPAR)
    row[KP.A2P], row[KP.A3P] = kp["A2_plus"], kp["A3_plus"]
    row[KP.A2M], row[KP.A3M] = kp["A2_minus"], kp["A3_minus"]
    row[KP.WMIN], row[KP.WMAX] = wd.w_min, wd.w_max
    row[KP.SCALE] = kp.get("scale", wd.scale)  # Vogels2011Rule: eta is a weight change
    row[KP.SGN_POST], row[KP.SGN_PRE] = kp.get("signs", WINDOW_SIGNS[syn.window])
    row[KP.WDEP] = 0.0 if isinstance(wd, AdditiveWeightDependence) else 1.0
    row[KP.NEAREST] = {"nearest": 1.0, "nearest_first": 2.0}.get(
        getattr(syn.timing, "interaction", "all_to_all"), 0.0)
    row[KP.TRIPLET] = 1.0 if kp["triplet"] else 0.0
    row[KP.A0M] = kp.get("A0_minus", 0.0)  # constant depression per arrival (Vogels 2011)
    if syn.sign == -1:  # the rule acts on -w: mirror the changes and the bounds
        row[KP.SGN_POST], row[KP.SGN_PRE] = -row[KP.SGN_POST], -row[KP.SGN_PRE]
        row[KP.A0M] = -row[KP.A0M]
        row[KP.WMIN], row[KP.WMAX] = -wd.w_max, -wd.w_min
    return row


def _cat_views(projs, key, dtype, inner=()):
    """Concatenate ``proj._pstate[key]`` and point each projection at its slice."""
    parts = [p._pstate[key] for p in projs]
    out = np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros((0,) + inner, dtype)
    out = np.ascontiguousarray(out)
    lo = 0
    for p, part in zip(projs, parts):
        p._pstate[key] = out[lo:lo + part.shape[0]]
        lo += part.shape[0]
    return out


def build(rt, plastic, dtype) -> tuple:
    """``(Plastic, Astro)`` namedtuples for the kernel, from runtime ``rt``'s network."""
    net = rt.net
    dt = net.dt
    nq = len(plastic)
    # weights: one array, the projections keep views into it
    w_parts = [p._weight for p in plastic]
    w = np.ascontiguousarray(np.concatenate(w_parts).astype(dtype) if w_parts else np.zeros(0, dtype))
    syn_lo = np.zeros(nq + 1, np.int64)
    np.cumsum([p.post.shape[0] for p in plastic], out=syn_lo[1:])  # storage slots
    for q, p in enumerate(plastic):
        p._weight = w[syn_lo[q]:syn_lo[q + 1]]
    par = np.array([kernel_par(p.synapse) for p in plastic]).reshape(nq, KP.NPLPAR)
    taus = np.array([p.synapse.timing.kernel_params()["taus"] for p in plastic]).reshape(nq, 4)
    rate = dt / taus
    tab = decay_tables(rate)
    h_len = np.array([p._pstate["h_len"] for p in plastic], np.int64)
    n_pre = np.array([p.pre.size for p in plastic], np.int64)
    n_post = np.array([p.post_population.size for p in plastic], np.int64)
    h_off = np.concatenate([[0], np.cumsum(n_pre * h_len)[:-1]]).astype(np.int64) if nq else \
        np.zeros(0, np.int64)
    hn_off = np.zeros(nq + 1, np.int64)
    np.cumsum(n_pre, out=hn_off[1:])
    n_rec = np.array([p._pstate["po"].shape[0] for p in plastic], np.int64)
    po_off = np.concatenate([[0], np.cumsum(n_rec)[:-1]]).astype(np.int64) if nq else \
        np.zeros(0, np.int64)
    col_off = np.concatenate([[0], np.cumsum(n_post + 1)[:-1]]).astype(np.int64) if nq else \
        np.zeros(0, np.int64)
    dl_ptr = np.zeros(nq + 1, np.int64)
    np.cumsum([p._pstate["dl"].shape[0] for p in plastic], out=dl_ptr[1:])
    mod = np.array([p._pstate["mod"] for p in plastic], np.float64).reshape(nq, 4)
    # astrocytes (in-kernel groups) and the links of projections to them
    groups = [g for g in net.astrocytes if getattr(g, "in_kernel", False)]
    g_off, lo = {}, 0
    for g in groups:
        g_off[id(g)] = lo
        lo += g.n
    astro = np.array([g_off[id(p._astro_link)] if p._astro_link is not None else -1
                      for p in plastic], np.int64)
    astro_side = np.array([p._astro_sides for p in plastic], np.int64)
    syn_astro = np.full(int(syn_lo[-1]), -1, np.int32)
    for q, p in enumerate(plastic):
        if p._astro_link is not None:
            syn_astro[syn_lo[q]:syn_lo[q + 1]] = p._syn_astro
    ast = _astro_arrays(net, groups)
    # per-synapse modulation masks: full length while any projection has one, else one 1.0
    masks = []
    for c in (0, 1):
        if any(p._masks[c] is not None for p in plastic):
            masks.append(np.concatenate([p._masks[c] if p._masks[c] is not None else
                                         np.ones(p.post.shape[0]) for p in plastic]))
        else:
            masks.append(np.ones(1))
    # dendritic-delay projections: post spikes act 2 d steps late; running weights apart
    # (kernel flag 2: axonal, spikes of the same step do not pair; one-step delays only)
    dend = np.array([1 if p.synapse.delay_model == "dendritic" else
                     0 if p.synapse.same_step_pairs else 2 for p in plastic], np.int64)
    for p in plastic:  # checked at connect; again here, should delays have changed since
        check_one_step(p._pstate["dl"], p.synapse, p.label)
    if (dend == 1).any():
        for p in plastic:  # axonal ones get an unused copy, so the array is one per synapse
            p._pstate.setdefault("wrun", p._weight.astype(np.float64))
        wrun = _cat_views(plastic, "wrun", w.dtype)
    else:
        wrun = np.zeros(1, w.dtype)
    # spike ring: neurons presynaptic to a plastic projection (arrivals) and targets of a
    # dendritic one (their delayed potentiation), kept per step
    watch = np.zeros(max(net.n_neurons, 1), np.bool_)
    for p, dn in zip(plastic, dend):
        watch[p.pre.first:p.pre.first + p.pre.size] = True
        if dn == 1:
            post = p.post_population
            watch[post.first:post.first + post.size] = True
    dmax = max([int(p._pstate["dl"].max(initial=1)) for p in plastic] + [1])
    ar_ids, ar_cnt = _arrival_ring(rt, dmax, int(watch.sum()))
    state = {k: _cat_views(plastic, k, dt_, inner) for k, dt_, inner in (
        ("h_step", np.int64, ()), ("h_x", np.float64, (2,)), ("h_head", np.int64, ()),
        ("h_cnt", np.int64, ()), ("h_last", np.float64, (4,)), ("po", np.float64, (4,)))}
    cols = {k: np.ascontiguousarray(np.concatenate([p._pstate[k] for p in plastic]) if nq else
                                    np.zeros(0, dt_)).astype(dt_, copy=False)
            for k, dt_ in (("col_ptr", np.int64), ("col_pre", np.int32), ("col_syn", np.int32),
                           ("dl", np.int64))}
    pl = KP.Plastic(
        pj=np.array([p.index for p in plastic], np.int64), syn_lo=syn_lo, w=w, par=par, mod=mod,
        tab=tab, rate=rate, col_off=col_off, col_ptr=cols["col_ptr"], col_pre=cols["col_pre"],
        col_syn=cols["col_syn"], h_off=h_off, h_len=h_len, hn_off=hn_off, n_post=n_post,
        h_step=state["h_step"], h_x=state["h_x"], h_head=state["h_head"], h_cnt=state["h_cnt"],
        h_last=state["h_last"], po_off=po_off, po=state["po"], dl_ptr=dl_ptr, dl=cols["dl"],
        ar_ids=ar_ids, ar_cnt=ar_cnt, ar_watch=watch, astro=astro, astro_side=astro_side,
        syn_astro=syn_astro,
        pmask=masks[0], dmask=masks[1], dendritic=dend, wrun=wrun)
    for q, p in enumerate(plastic):
        p._pstate["mod"] = mod[q]
    return pl, ast


def _astro_arrays(net, groups) -> KP.Astro:
    n = net.n_neurons
    A = np.concatenate([g._A for g in groups]) if groups else np.zeros(0)
    par = np.concatenate([g._par for g in groups]) if groups else np.zeros((0, 4))
    lo = 0
    for g in groups:  # groups keep views, so their state follows the kernel
        g._A = A[lo:lo + g.n]
        g._par = par[lo:lo + g.n]
        lo += g.n
    gids, astros, signs = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    lo = 0
    for g in groups:
        gids.append(g._listen_gid)
        astros.append(g._listen_astro + lo)
        signs.append(g._listen_sign)
        lo += g.n
    gid = np.concatenate(gids)
    order = np.argsort(gid, kind="stable")
    nb_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(gid, minlength=n), out=nb_ptr[1:])
    return KP.Astro(A=A, par=par, nb_ptr=nb_ptr,
                    nb_astro=np.concatenate(astros)[order].astype(np.int32),
                    nb_sign=np.concatenate(signs)[order].astype(np.float64),
                    acc=np.zeros(A.shape[0]), A_prev=A.copy())


def _arrival_ring(rt, dmax: int, cap: int):
    """Spikes of the last ``dmax`` steps, by step; kept (re-laid out) across rebuilds."""
    slots = 1
    while slots <= dmax:
        slots *= 2
    cap = max(cap, 1)
    old = getattr(rt, "_ar", None)
    ids = np.zeros((slots, cap), np.int64)
    cnt = np.zeros(slots, np.int64)
    if old is not None:
        oid, ocnt = old
        t = rt.net.step
        for s in range(max(0, t - min(slots, oid.shape[0])), t):
            c = int(ocnt[s & (oid.shape[0] - 1)])
            ids[s & (slots - 1), :c] = oid[s & (oid.shape[0] - 1), :c]
            cnt[s & (slots - 1)] = c
    rt._ar = (ids, cnt)
    return ids, cnt
