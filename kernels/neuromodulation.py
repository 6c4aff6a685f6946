"""Dopamine-modulated STDP (sPyNNaker's ``Neuromodulation``), one synapse's lazy update.

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

Each postsynaptic neuron's history (:mod:`.lazy_stdp`) holds its spikes (post trace ``o``
jumps by 1, all-to-all pair rule) and the dopamine events of its reward (``s_k > 0``) and
punishment (``s_k < 0``) synapses, with ``D`` just after each. A dopamine event is stamped
with the step in which its source spiked (sPyNNaker processes the neuromodulation row on
arrival and adds nothing to the ring buffer).

A plastic synapse (delay ``d`` steps, dendritic) is updated when its presynaptic neuron
spikes, in step ``t`` (previous presynaptic spike ``t_l``, pre trace ``r_l`` just after it;
0 and 0 before the first, as sPyNNaker's history starts): the events of steps ``e`` with
``t_l - d < e <= t - d`` are taken in order at synapse time ``e + d``: integrate ``w``,
decay ``c``, and for a postsynaptic spike potentiate ``c`` by ``A_+ r_l e^{-(e + d -
t_l)/\\tau_+}``; then, if any event has happened, integrate to ``t``, decay, and depress
``c`` by ``A_- o_e e^{-(t - e - d)/\\tau_-}`` (latest event ``e``). The weight dependence
acts on ``c`` (additive: ``c`` clipped to ``[w_min, w_max]`` of the weight dependence at the
end; multiplicative: scaled by the distance to the bound), and ``w`` is clipped to the
neuromodulation's ``[w_min, w_max]``. With sPyNNaker's Vogels 2011 timing instead of the pair
rule (``P_VOGELS``; its ``timing_vogels_2011_impl.h``, one ``tau`` for both traces, additive),
the presynaptic spike adds ``A_+ (o_e e^{-(t - e - d)/\tau} - \alpha)`` to ``c``, also at zero
lag, and ``A_-`` is unused. ``D`` at ``t_l`` is ``D`` of the latest event at or
before ``t_l - d``, decayed to ``t_l - d`` (sPyNNaker decays it to ``t_l``, ``d`` steps
further).
"""
import numpy as np

from ._config import jit
from .lazy_stdp import (HISTORY, P_A_MINUS, P_A_PLUS, P_ALPHA, P_DT, P_MULT, P_TAU_C,
                        P_TAU_D, P_TAU_MINUS, P_TAU_PLUS, P_VOGELS, P_W_MAX, P_W_MIN, P_WD_MAX,
                        P_WD_MIN)


@jit
def _integrate(w, c, dc, span, p):
    """``w`` and ``c`` after ``span`` ms with ``D`` starting at ``dc`` (no event inside)."""
    ec = np.exp(-span / p[P_TAU_C])
    if dc != 0.0:
        k = -1.0 / (1.0 / p[P_TAU_C] + 1.0 / p[P_TAU_D])
        w += k * c * dc * (ec * np.exp(-span / p[P_TAU_D]) - 1.0)
    return w, c * ec


@jit
def update_dopamine(ls, q, s, d, t, tl, rl, lo, hi, prev, first, weight, p):
    """Synapse ``q`` (target history slot ``s``, delay ``d``) at a presynaptic spike in step
    ``t``, with the window ``lo, hi, prev, first`` of :func:`.lazy_stdp.window`."""
    dt = p[P_DT]
    w = weight[ls.syn_w[q]]
    c = ls.c[q]
    dc = 0.0
    seen = prev >= first
    if seen:
        k = prev % HISTORY
        dc = ls.h_D[s, k] * np.exp(-(tl - d - ls.h_t[s, k]) * dt / p[P_TAU_D])
    tc = tl
    mult = p[P_MULT] != 0.0
    last = prev
    for e in range(lo, hi):
        k = e % HISTORY
        te = ls.h_t[s, k] + d
        w, c = _integrate(w, c, dc, (te - tc) * dt, p)
        if not ls.h_dop[s, k]:
            a = p[P_A_PLUS] * rl * np.exp(-(te - tl) * dt / p[P_TAU_PLUS])
            c += a * (p[P_WD_MAX] - c) if mult else a
        dc = ls.h_D[s, k]
        tc = te
        last = e
        seen = True
    if seen:
        w, c = _integrate(w, c, dc, (t - tc) * dt, p)
        k = last % HISTORY
        gap = t - ls.h_t[s, k] - d
        if p[P_VOGELS] != 0.0:
            o = ls.h_o[s, k] * np.exp(-gap * dt / p[P_TAU_MINUS])
            c += p[P_A_PLUS] * (o - p[P_ALPHA])
        elif gap > 0:
            b = p[P_A_MINUS] * ls.h_o[s, k] * np.exp(-gap * dt / p[P_TAU_MINUS])
            c -= b * (c - p[P_WD_MIN]) if mult else b
    w = min(max(w, p[P_W_MIN]), p[P_W_MAX])
    if not mult:
        c = min(max(c, p[P_WD_MIN]), p[P_WD_MAX])
    ls.c[q] = c
    weight[ls.syn_w[q]] = w
