"""Dopamine-modulated STDP (sPyNNaker's ``Neuromodulation``) as a lazy, event-driven process.

The model is Izhikevich (2007), "Solving the distal reward problem through linkage of
STDP and dopamine signaling", Cereb. Cortex 17:2443, eqs. for ``c`` and ``d``:

.. math::

    \\dot c = -c / \\tau_c + \\mathrm{STDP}(\\tau)\\,\\delta(t - t_{pre/post}), \\qquad
    \\dot D = -D / \\tau_D + \\sum_k s_k\\, \\delta(t - t_k), \\qquad
    \\dot w = c\\, D

as sPyNNaker computes it (``synapse_dynamics_stdp_izhikevich_neuromodulation.c``,
``post_events_with_da.h``, ``timing_pair_impl.h``), in float64 with exact exponentials
instead of its fixed point and look-up tables. Between two events ``c`` and ``D`` are pure
exponentials, so ``w`` integrates exactly:

.. math::

    \\Delta w = K\\, c\\, D\\, (e^{-\\Delta t/\\tau_c} e^{-\\Delta t/\\tau_D} - 1), \\qquad
    K = -1 / (1/\\tau_c + 1/\\tau_D)

Each postsynaptic neuron keeps a history of its events: its spikes (post trace ``o``
jumps by 1, all-to-all pair rule) and the dopamine events of its reward (``s_k > 0``)
and punishment (``s_k < 0``) synapses, with ``D`` just after each. A dopamine event is
stamped with the step in which its source spiked (sPyNNaker processes the
neuromodulation row on arrival and adds nothing to the ring buffer).

A plastic synapse (delay ``d`` steps, dendritic) is updated only when its presynaptic
neuron spikes, in step ``t`` (previous presynaptic spike ``t_l``, pre trace ``r_l`` just
after it; 0 and 0 before the first, as sPyNNaker's history starts): the events of steps
``e`` with ``t_l - d < e <= t - d`` are taken in order at synapse time ``e + d``: integrate
``w``, decay ``c``, and for a postsynaptic spike potentiate ``c`` by ``A_+ r_l
e^{-(e + d - t_l)/\\tau_+}``; then, if any event has happened, integrate to ``t``, decay,
and depress ``c`` by ``A_- o_e e^{-(t - e - d)/\\tau_-}`` (latest event ``e``). The weight
dependence acts on ``c`` (additive: ``c`` clipped to ``[w_min, w_max]`` of the weight
dependence at the end; multiplicative: scaled by the distance to the bound), and
``w`` is clipped to the neuromodulation's ``[w_min, w_max]``. The new ``w`` is written
into the engine's weight array before the spike is delivered. Events at step 0 are never
seen (sPyNNaker's placeholder entry is at time 0). ``D`` at ``t_l`` is ``D`` of the
latest event at or before ``t_l - d``, decayed to ``t_l - d`` (sPyNNaker decays it to
``t_l``, ``d`` steps further).

History: ``HISTORY`` events per neuron in a ring (sPyNNaker keeps 16). A window whose
start is older than the ring counts one ``lost`` update and starts at the oldest kept
event.

Parameter row (``par``, one per postsynaptic population): see the ``P_*`` columns.
"""
from collections import namedtuple

import numpy as np

from ._config import jit

HISTORY = 64
P_TAU_PLUS, P_TAU_MINUS, P_A_PLUS, P_A_MINUS, P_WD_MIN, P_WD_MAX, P_MULT, P_TAU_C, P_TAU_D, \
    P_W_MIN, P_W_MAX, P_DT = range(12)
N_PAR = 12

Neuromod = namedtuple("Neuromod", [
    "n_ptr", "n_rows",                  # rows (projection, pre neuron) of each global neuron
    "row_lo", "row_hi", "row_par", "row_t", "row_r",  # synapse range, params, pre state
    "syn_w", "syn_slot", "syn_d", "c",  # weight index, target history slot, delay, eligibility
    "slot_of", "slot_par",              # history slot of each global neuron (-1: none)
    "h_t", "h_o", "h_D", "h_dop", "h_n",  # histories (ring of HISTORY events per slot)
    "rw_ptr", "rw_slot", "rw_conc",     # reward/punishment synapses by global source neuron
    "par", "lost"])


@jit
def _add_event(nm, s, t, dop, conc):
    p = nm.par[nm.slot_par[s]]
    n = nm.h_n[s]
    lt, lo, ld = np.int64(0), 0.0, 0.0
    if n > 0:
        k = (n - 1) % HISTORY
        lt, lo, ld = nm.h_t[s, k], nm.h_o[s, k], nm.h_D[s, k]
    gap = (t - lt) * p[P_DT]
    k = n % HISTORY
    nm.h_t[s, k] = t
    nm.h_o[s, k] = lo * np.exp(-gap / p[P_TAU_MINUS]) + (0.0 if dop else 1.0)
    nm.h_D[s, k] = ld * np.exp(-gap / p[P_TAU_D]) + conc
    nm.h_dop[s, k] = dop
    nm.h_n[s] = n + 1


@jit
def _integrate(w, c, dc, span, p):
    """``w`` and ``c`` after ``span`` ms with ``D`` starting at ``dc`` (no event inside)."""
    ec = np.exp(-span / p[P_TAU_C])
    if dc != 0.0:
        k = -1.0 / (1.0 / p[P_TAU_C] + 1.0 / p[P_TAU_D])
        w += k * c * dc * (ec * np.exp(-span / p[P_TAU_D]) - 1.0)
    return w, c * ec


@jit
def _update_synapse(nm, q, t, tl, rl, weight, p):
    s = nm.syn_slot[q]
    d = nm.syn_d[q]
    dt = p[P_DT]
    n = nm.h_n[s]
    first = max(np.int64(0), n - HISTORY)  # oldest kept event
    begin, end = tl - d, t - d
    # events of the window: (lo, hi] in event order; prev: the latest at or before begin
    hi = n
    while hi > first and nm.h_t[s, (hi - 1) % HISTORY] > end:
        hi -= 1
    lo = hi
    while lo > first and nm.h_t[s, (lo - 1) % HISTORY] > begin:
        lo -= 1
    prev = lo - 1
    if lo == first and first > 0:
        nm.lost[0] += 1
    if prev >= first and nm.h_t[s, prev % HISTORY] <= 0:
        prev = first - 1  # sPyNNaker's placeholder: events at step 0 are never seen
    w = weight[nm.syn_w[q]]
    c = nm.c[q]
    dc = 0.0
    seen = prev >= first
    if seen:
        k = prev % HISTORY
        dc = nm.h_D[s, k] * np.exp(-(begin - nm.h_t[s, k]) * dt / p[P_TAU_D])
    tc = tl
    mult = p[P_MULT] != 0.0
    last = prev
    for e in range(lo, hi):
        k = e % HISTORY
        te = nm.h_t[s, k]
        if te <= 0:
            continue
        te += d
        w, c = _integrate(w, c, dc, (te - tc) * dt, p)
        if not nm.h_dop[s, k]:
            a = p[P_A_PLUS] * rl * np.exp(-(te - tl) * dt / p[P_TAU_PLUS])
            c += a * (p[P_WD_MAX] - c) if mult else a
        dc = nm.h_D[s, k]
        tc = te
        last = e
        seen = True
    if seen:
        w, c = _integrate(w, c, dc, (t - tc) * dt, p)
        k = last % HISTORY
        gap = t - nm.h_t[s, k] - d
        if gap > 0:
            b = p[P_A_MINUS] * nm.h_o[s, k] * np.exp(-gap * dt / p[P_TAU_MINUS])
            c -= b * (c - p[P_WD_MIN]) if mult else b
    w = min(max(w, p[P_W_MIN]), p[P_W_MAX])
    if not mult:
        c = min(max(c, p[P_WD_MIN]), p[P_WD_MAX])
    nm.c[q] = c
    weight[nm.syn_w[q]] = w


@jit
def neuromodulate(t, spikes, ns, nm, weight):
    """Step ``t``'s spikes: postsynaptic and dopamine events enter the histories, then the
    plastic synapses of every spiking presynaptic neuron are updated and their new
    weights written into ``weight`` (the engine delivers them afterwards)."""
    for k in range(ns):
        s = nm.slot_of[spikes[k]]
        if s >= 0:
            _add_event(nm, s, t, False, 0.0)
    for k in range(ns):
        i = spikes[k]
        for r in range(nm.rw_ptr[i], nm.rw_ptr[i + 1]):
            _add_event(nm, nm.rw_slot[r], t, True, nm.rw_conc[r])
    for k in range(ns):
        i = spikes[k]
        for m in range(nm.n_ptr[i], nm.n_ptr[i + 1]):
            row = nm.n_rows[m]
            p = nm.par[nm.row_par[row]]
            tl, rl = nm.row_t[row], nm.row_r[row]
            for q in range(nm.row_lo[row], nm.row_hi[row]):
                _update_synapse(nm, q, t, tl, rl, weight, p)
            nm.row_r[row] = rl * np.exp(-(t - tl) * p[P_DT] / p[P_TAU_PLUS]) + 1.0
            nm.row_t[row] = t
