"""The runtime side of sPyNNaker's lazily updated rules (:mod:`spikesim.kernels.lazy_stdp`).

Two kinds of STDP projection run there instead of in :mod:`spikesim.kernels.plasticity`:
STDP onto a population modulated by dopamine (:mod:`spikesim.neuromodulation`) and STDP with
a :class:`~spikesim.RecurrentRule`. Their weights stay in the engine's static weight array
(they deliver as static projections, after the kernel has brought them up to date), one
thread. Their state (eligibility or accumulator, per-synapse state machine, presynaptic
traces, per-neuron event histories) lives on the projections and populations, as views
into the kernel's arrays, so it carries over from run to run and across rebuilds.
"""
from __future__ import annotations

import warnings

import numpy as np

from .kernels import lazy_stdp as K
from .neuromodulation import MODULATORY, check_rule, spec_of
from .plasticity import AdditiveWeightDependence, RecurrentRule, Vogels2011Rule


def is_lazy(proj) -> bool:
    """Does this projection's plasticity run in :mod:`spikesim.kernels.lazy_stdp`?"""
    return proj.synapse is not None and (
        isinstance(proj.synapse.timing, RecurrentRule) or spec_of(proj) is not None)


def warn_lost(net) -> None:
    """Warn when windows reached past a neuron's event history since the last warning."""
    lost = int(net._nm_lost[0])
    if lost > getattr(net, "_nm_warned", 0):
        net._nm_warned = lost
        warnings.warn(f"lazily updated STDP: {lost} synapse updates needed events older than "
                      f"the last {K.HISTORY} of their postsynaptic neuron's history (sPyNNaker "
                      "keeps 16) and started at the oldest kept event", stacklevel=4)


def reset(net) -> None:
    """Clear eligibility traces, accumulators, histories and presynaptic traces."""
    for obj in list(net.projections) + list(net.populations):
        for name in ("_nm_c", "_nm_fsm", "_nm_win", "_nm_t", "_nm_r", "_nm_n"):
            a = getattr(obj, name, None)
            if a is not None:
                a[...] = 0


def _pack(objs, name: str, make) -> np.ndarray:
    """Concatenate attribute ``name`` of ``objs`` (created by ``make(obj)`` when missing);
    each object then holds a view into the result, so its state survives a rebuild."""
    parts = []
    for o in objs:
        if getattr(o, name, None) is None:
            setattr(o, name, make(o))
        parts.append(getattr(o, name))
    out = np.concatenate(parts) if parts else make(None)
    lo = 0
    for o in objs:
        n = getattr(o, name).shape[0]
        setattr(o, name, out[lo:lo + n])
        lo += n
    return out


def _params(pop, rules, dt: float) -> np.ndarray:
    """The parameter row of postsynaptic population ``pop`` (one STDP rule at most)."""
    row = np.zeros(K.N_PAR)
    row[K.P_DT] = dt
    row[K.P_TAU_PLUS] = row[K.P_TAU_MINUS] = 20.0  # no STDP projection yet: unused
    spec = getattr(pop, "_neuromodulation", None)
    if spec is not None:
        row[[K.P_TAU_C, K.P_TAU_D, K.P_W_MIN, K.P_W_MAX]] = (spec.tau_c, spec.tau_d, spec.w_min,
                                                             spec.w_max)
    if len(set(rules)) > 1:
        raise ValueError(f"population {pop.label!r} receives several lazily updated STDP rules "
                         f"({sorted(set(map(repr, rules)))}); sPyNNaker allows one per population")
    if rules:
        s = rules[0]
        wd, tm = s.weight, s.timing
        scale = wd.scale if isinstance(wd, AdditiveWeightDependence) else 1.0
        row[[K.P_WD_MIN, K.P_WD_MAX]] = wd.w_min, wd.w_max
        if not isinstance(tm, Vogels2011Rule):
            row[[K.P_A_PLUS, K.P_A_MINUS]] = tm.A_plus * scale, tm.A_minus * scale
        row[K.P_MULT] = 0.0 if isinstance(wd, AdditiveWeightDependence) else 1.0
        if isinstance(tm, RecurrentRule):
            if spec is not None:
                raise ValueError(f"population {pop.label!r}: RecurrentRule cannot be modulated "
                                 "by dopamine (sPyNNaker's Neuromodulation takes pair STDP)")
            row[K.P_KIND] = K.KIND_DUAL_FSM if tm.dual_fsm else K.KIND_PRE_STOCHASTIC
            row[[K.P_ACC_DEP, K.P_ACC_POT]] = (tm.accumulator_depression + 1,
                                               tm.accumulator_potentiation - 1)
            row[[K.P_MEAN_PRE, K.P_MEAN_POST]] = (tm.mean_pre_window / dt,
                                                  tm.mean_post_window / dt)
        elif isinstance(tm, Vogels2011Rule):  # one tau; eta is a change of c (never scaled)
            row[[K.P_TAU_PLUS, K.P_TAU_MINUS, K.P_A_PLUS, K.P_A_MINUS]] = tm.tau, tm.tau, tm.eta, 0.0
            row[[K.P_VOGELS, K.P_ALPHA]] = 1.0, tm.alpha
        else:
            row[[K.P_TAU_PLUS, K.P_TAU_MINUS]] = tm.tau_plus, tm.tau_minus
    return row


def build(rt, projs) -> K.LazySTDP | None:
    """The kernel's :class:`~spikesim.kernels.lazy_stdp.LazySTDP` for runtime ``rt``."""
    net = rt.net
    mod = [j for j in projs if j.receptor_type in MODULATORY]
    lz = [j for j in projs if is_lazy(j)]
    if not mod and not lz:
        return None
    if any(r.projection in lz for r in net.weight_recorders):
        raise ValueError("weight recorders on dopamine-modulated or RecurrentRule projections "
                         "are not supported; read Projection.weight between runs instead")
    for j in lz:
        check_rule(j)
    pops = sorted({j.post_population for j in mod + lz}, key=lambda p: p.index)
    par = [_params(pop, [j.synapse for j in lz if j.post_population is pop], net.dt)
           for pop in pops]
    H = K.HISTORY
    slot_lo = dict(zip([p.index for p in pops], np.cumsum([0] + [p.size for p in pops])))
    slot_of = np.full(net.n_neurons, -1, np.int64)
    for p in pops:
        slot_of[p.first:p.first + p.size] = slot_lo[p.index] + np.arange(p.size)
    slot_par = np.repeat(np.arange(len(pops), dtype=np.int64), [p.size for p in pops])

    def per_neuron(dtype, width=(H,)):
        return lambda p: np.zeros((0 if p is None else p.size,) + width, dtype)

    def per_synapse(dtype):
        return lambda j: np.zeros(0 if j is None else j.n_synapses, dtype)

    def per_row(dtype):
        return lambda j: np.zeros(0 if j is None else j.pre.size, dtype)

    hist = [_pack(pops, f"_nm_{n}", per_neuron(dt)) for n, dt in
            (("t", np.int64), ("o", np.float64), ("D", np.float64), ("dop", np.bool_))]
    h_n = _pack(pops, "_nm_n", per_neuron(np.int64, ()))
    syn_state = [_pack(lz, "_nm_c", per_synapse(np.float64)),
                 _pack(lz, "_nm_fsm", per_synapse(np.int8)),
                 _pack(lz, "_nm_win", per_synapse(np.float64))]
    row_t, row_r = _pack(lz, "_nm_t", per_row(np.int64)), _pack(lz, "_nm_r", per_row(np.float64))
    row_lo, row_hi, row_pre, row_par, syn_w, syn_slot, syn_d = [], [], [], [], [], [], []
    base = 0
    for j in lz:
        i = j.index
        j._weight = rt.weight[rt.pj_w[i]:rt.pj_w[i + 1]]  # the kernel updates them in place
        row_lo.append(base + j.indptr[:-1])
        row_hi.append(base + j.indptr[1:])
        row_pre.append(j.pre.first + np.arange(j.pre.size))
        row_par.append(np.full(j.pre.size, pops.index(j.post_population)))
        syn_w.append(rt.pj_w[i] + np.arange(j.n_synapses))
        syn_slot.append(slot_lo[j.post_population.index] + j.post.astype(np.int64))
        syn_d.append(np.broadcast_to(j._delay, (j.n_synapses,)).astype(np.int64))
        base += j.n_synapses
    cat = (lambda a: np.concatenate(a).astype(np.int64) if a else np.zeros(0, np.int64))
    row_pre = cat(row_pre)
    n_rows = np.argsort(row_pre, kind="stable").astype(np.int64)
    n_ptr = np.searchsorted(row_pre[n_rows], np.arange(net.n_neurons + 1)).astype(np.int64)
    src, tgt, conc = [], [], []
    for j in mod:
        src.append(j.pre.first + np.repeat(np.arange(j.pre.size), np.diff(j.indptr)))
        tgt.append(slot_lo[j.post_population.index] + j.post.astype(np.int64))
        sign = 1.0 if j.receptor_type == "reward" else -1.0
        conc.append(sign * np.asarray(j.weight, np.float64))
    src = cat(src)
    order = np.argsort(src, kind="stable")
    rw_ptr = np.searchsorted(src[order], np.arange(net.n_neurons + 1)).astype(np.int64)
    if getattr(net, "_nm_lost", None) is None:
        net._nm_lost = np.zeros(1, np.int64)
    seed = np.array([net._dynamics_seed()], np.uint64)
    return K.LazySTDP(n_ptr, n_rows, cat(row_lo), cat(row_hi), cat(row_par), row_t, row_r,
                      cat(syn_w), cat(syn_slot), cat(syn_d), *syn_state, slot_of, slot_par,
                      *hist, h_n, rw_ptr, cat(tgt)[order],
                      (np.concatenate(conc) if conc else np.zeros(0))[order],
                      np.array(par).reshape(-1, K.N_PAR), net._nm_lost, seed)
