"""Dopamine-modulated STDP: sPyNNaker's ``Neuromodulation`` (Izhikevich 2007).

A projection onto receptor type ``"reward"`` or ``"punishment"`` with
``synapse=Neuromodulation(...)`` makes its postsynaptic population *modulated*: each
spike of its sources adds (reward) or subtracts (punishment) its weight, a dopamine
concentration, to the dopamine trace ``D`` of its targets, and every STDP projection onto
that population (made before or after) stops changing its weight directly. Its STDP
rule drives an eligibility trace ``c`` instead, and the weight follows ``dw/dt = c D``
(Izhikevich 2007, Cereb. Cortex 17:2443; sPyNNaker's
``synapse_dynamics_stdp_izhikevich_neuromodulation.c``). Equations, timing and the
event history are in :mod:`spikesim.kernels.neuromodulation`. Such a projection:

- uses a ``SpikePairRule`` (all-to-all, hebbian) with an additive or multiplicative
  weight dependence, which bounds ``c``; the amplitudes are scaled as that weight
  dependence scales them (``absolute=True``: sPyNNaker's absolute amplitudes);
- is timed with its delay as dendritic (sPyNNaker), and its weight changes only at its
  presynaptic spikes, bounded by the neuromodulation's ``[w_min, w_max]``;
- runs on one thread; it is not saved (:func:`spikesim.save`) or exported (PyNN script,
  NEST, NIR, SpiNNaker description): those refuse such a network.

Modulatory projections deliver no current. One ``Neuromodulation`` (``tau_c``, ``tau_d``,
bounds) and one STDP rule per modulated population, as in sPyNNaker.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from . import _validate as V
from .kernels import neuromodulation as K
from .plasticity import AdditiveWeightDependence, SpikePairRule

__all__ = ["Neuromodulation", "MODULATORY"]

MODULATORY = ("reward", "punishment")


@dataclass(frozen=True)
class Neuromodulation:
    """The synapse type of a reward or punishment projection (sPyNNaker's ``Neuromodulation``).

    Parameters
    ----------
    tau_c : float
        Decay time constant of the eligibility trace, ms (> 0). sPyNNaker's default 1000.
    tau_d : float
        Decay time constant of the dopamine trace, ms (> 0). Default 200.
    w_min, w_max : float
        Bounds of the modulated weights (>= 0, ``w_min <= w_max``). Defaults 0 and 1.
    """

    tau_c: float = 1000.0
    tau_d: float = 200.0
    w_min: float = 0.0
    w_max: float = 1.0

    def __post_init__(self) -> None:
        V.positive_scalar("Neuromodulation.tau_c", self.tau_c)
        V.positive_scalar("Neuromodulation.tau_d", self.tau_d)
        lo = V.non_negative_scalar("Neuromodulation.w_min", self.w_min)
        hi = V.non_negative_scalar("Neuromodulation.w_max", self.w_max)
        if lo > hi:
            raise ValueError(f"Neuromodulation.w_min ({lo!r}) must be <= w_max ({hi!r})")


def spec_of(proj) -> Neuromodulation | None:
    """The modulation of an STDP projection onto a modulated population, else None."""
    if proj.synapse is None:
        return None
    return getattr(proj.post_population, "_neuromodulation", None)


def connect_modulatory(net, pre, post, connector, weight, delay, receptor_type, label, synapse,
                       stored=None):
    """``Network.connect`` for ``receptor_type`` "reward" / "punishment" (see module docs).

    ``stored``: ``(indptr, targets)`` of a projection given as CSR (``_restore_projection``;
    ``delay`` then in steps), instead of ``connector``.
    """
    if not isinstance(synapse, Neuromodulation):
        raise TypeError(f"receptor_type={receptor_type!r} needs synapse=spikesim.Neuromodulation"
                        f"(...), got {synapse!r}")
    qpop = post.population
    old = getattr(qpop, "_neuromodulation", None)
    if old is not None and old != synapse:
        raise ValueError(f"post population {qpop.label!r} is already modulated with {old!r}; "
                         f"one Neuromodulation per population (as sPyNNaker), got {synapse!r}")
    for j in net.projections:
        if j.synapse is not None and j.post_population is qpop:
            check_rule(j)
    if stored is None:
        proj = net._connect(pre, post, connector, weight, delay, "excitatory", label)
    else:
        proj = net._restore_projection(pre, post, "excitatory", label, *stored, weight, delay, None)
    proj.receptor_type = receptor_type
    proj._weight = np.broadcast_to(proj._weight, (proj.n_synapses,)).copy()
    qpop._neuromodulation = synapse
    return proj


def check_rule(proj) -> None:
    """Refuse an STDP projection the modulated kernel cannot run, naming what is wrong."""
    s = proj.synapse
    bad = None
    if not isinstance(s.timing, SpikePairRule) or s.timing.interaction != "all_to_all":
        bad = f"timing={s.timing!r} (needs SpikePairRule, interaction='all_to_all')"
    elif s.window != "hebbian" or s.sign != 1:
        bad = f"window={s.window!r}, sign={s.sign!r} (needs 'hebbian', 1)"
    elif s.delay_model != "dendritic":
        bad = f"delay_model={s.delay_model!r} (needs 'dendritic', as sPyNNaker)"
    if bad is not None:
        raise ValueError(f"projection {proj.label!r} onto modulated population "
                         f"{proj.post_population.label!r}: dopamine-modulated STDP takes {bad}")


def refuse(net, what: str) -> None:
    """Exporters and io: refuse a network with dopamine-modulated STDP, naming a projection."""
    for j in net.projections:
        if j.receptor_type in MODULATORY or spec_of(j) is not None:
            raise NotImplementedError(
                f"{what} does not support dopamine-modulated STDP (projection {j.label!r}, "
                f"receptor_type={j.receptor_type!r}); it runs in spikesim only")


def warn_lost(net) -> None:
    """Warn when windows reached past a neuron's event history since the last warning."""
    lost = int(net._nm_lost[0])
    if lost > getattr(net, "_nm_warned", 0):
        net._nm_warned = lost
        warnings.warn(f"dopamine-modulated STDP: {lost} synapse updates needed events older "
                      f"than the last {K.HISTORY} of their postsynaptic neuron's history (sPyNNaker "
                      "keeps 16) and started at the oldest kept event", stacklevel=4)


def reset(net) -> None:
    """Clear eligibility traces, event histories and presynaptic traces (``reset_state``)."""
    for obj in list(net.projections) + list(net.populations):
        for name in ("_nm_c", "_nm_t", "_nm_r", "_nm_n"):
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
    spec = pop._neuromodulation
    row = np.zeros(K.N_PAR)
    row[K.P_DT] = dt
    row[[K.P_TAU_C, K.P_TAU_D, K.P_W_MIN, K.P_W_MAX]] = (spec.tau_c, spec.tau_d, spec.w_min,
                                                         spec.w_max)
    row[K.P_TAU_PLUS] = row[K.P_TAU_MINUS] = 20.0  # no STDP projection yet: unused
    if len(set(rules)) > 1:
        raise ValueError(f"modulated population {pop.label!r} receives several STDP rules "
                         f"({sorted(set(map(repr, rules)))}); sPyNNaker allows one per population")
    if rules:
        s = rules[0]
        wd, tm = s.weight, s.timing
        scale = wd.scale if isinstance(wd, AdditiveWeightDependence) else 1.0
        row[[K.P_TAU_PLUS, K.P_TAU_MINUS, K.P_A_PLUS, K.P_A_MINUS, K.P_WD_MIN, K.P_WD_MAX]] = (
            tm.tau_plus, tm.tau_minus, tm.A_plus * scale, tm.A_minus * scale, wd.w_min, wd.w_max)
        row[K.P_MULT] = 0.0 if isinstance(wd, AdditiveWeightDependence) else 1.0
    return row


def build(rt, projs) -> K.Neuromod | None:
    """The kernel's :class:`~spikesim.kernels.neuromodulation.Neuromod` for runtime ``rt``."""
    net = rt.net
    mod = [j for j in projs if j.receptor_type in MODULATORY]
    nmp = [j for j in projs if spec_of(j) is not None]
    if not mod and not nmp:
        return None
    if any(r.projection in nmp for r in net.weight_recorders):
        raise ValueError("weight recorders on dopamine-modulated projections are not supported; "
                         "read Projection.weight between runs instead")
    pops = sorted({j.post_population for j in mod + nmp}, key=lambda p: p.index)
    par = []
    for q, pop in enumerate(pops):
        for j in nmp:
            if j.post_population is pop:
                check_rule(j)
        par.append(_params(pop, [j.synapse for j in nmp if j.post_population is pop], net.dt))
    H = K.HISTORY
    slot_lo = dict(zip([p.index for p in pops], np.cumsum([0] + [p.size for p in pops])))
    slot_of = np.full(net.n_neurons, -1, np.int64)
    for p in pops:
        slot_of[p.first:p.first + p.size] = slot_lo[p.index] + np.arange(p.size)
    slot_par = np.repeat(np.arange(len(pops), dtype=np.int64), [p.size for p in pops])
    h_t = _pack(pops, "_nm_t", lambda p: np.zeros((0 if p is None else p.size, H), np.int64))
    h_o = _pack(pops, "_nm_o", lambda p: np.zeros((0 if p is None else p.size, H)))
    h_D = _pack(pops, "_nm_D", lambda p: np.zeros((0 if p is None else p.size, H)))
    h_dop = _pack(pops, "_nm_dop", lambda p: np.zeros((0 if p is None else p.size, H), np.bool_))
    h_n = _pack(pops, "_nm_n", lambda p: np.zeros(0 if p is None else p.size, np.int64))
    # plastic rows: (projection, presynaptic neuron), by global presynaptic id
    c = _pack(nmp, "_nm_c", lambda j: np.zeros(0 if j is None else j.n_synapses))
    row_t = _pack(nmp, "_nm_t", lambda j: np.zeros(0 if j is None else j.pre.size, np.int64))
    row_r = _pack(nmp, "_nm_r", lambda j: np.zeros(0 if j is None else j.pre.size))
    row_lo, row_hi, row_pre, row_par, syn_w, syn_slot, syn_d = [], [], [], [], [], [], []
    base = 0
    for j in nmp:
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
    return K.Neuromod(n_ptr, n_rows, cat(row_lo), cat(row_hi), cat(row_par), row_t, row_r,
                      cat(syn_w), cat(syn_slot), cat(syn_d), c, slot_of, slot_par,
                      h_t, h_o, h_D, h_dop, h_n, rw_ptr, cat(tgt)[order],
                      (np.concatenate(conc) if conc else np.zeros(0))[order],
                      np.array(par).reshape(-1, K.N_PAR), net._nm_lost)
