"""sPyNNaker's lazily updated plasticity rules: per-neuron event histories, synapses brought
up to date only when their presynaptic neuron spikes (sPyNNaker's
``synapse_dynamics_stdp_*`` scheme).

This module holds their layout (:class:`LazySTDP`, parameter columns ``P_*``) and the
histories; the rules are dopamine-modulated STDP (:mod:`.neuromodulation`) and sPyNNaker's
``RecurrentRule`` (:mod:`.recurrent`). In step ``t`` (:func:`.lazy_rules.lazy_step`, called by the one-thread drivers after the step's spikes are
known and before they are delivered):

1. every spike of a neuron with a history enters it (a postsynaptic event);
2. every spike of a reward or punishment source enters its targets' histories as a
   dopamine event (dopamine-modulated STDP only);
3. every spike of a presynaptic neuron updates its synapses, which read the events of
   their window (:func:`window`), and writes their new weights into the engine's weight
   array, which then delivers them.

History: ``HISTORY`` events per neuron in a ring (sPyNNaker keeps 16). A window whose
start is older than the ring counts one ``lost`` update and starts at the oldest kept
event. Parameters: one row of ``par`` per postsynaptic population (columns ``P_*``).
"""
from collections import namedtuple

import numpy as np

from ._config import jit
from .synapses import uniform

HISTORY = 64
(P_KIND, P_DT, P_TAU_PLUS, P_TAU_MINUS, P_A_PLUS, P_A_MINUS, P_WD_MIN, P_WD_MAX, P_MULT,
 P_TAU_C, P_TAU_D, P_W_MIN, P_W_MAX, P_ACC_DEP, P_ACC_POT, P_MEAN_PRE, P_MEAN_POST,
 P_VOGELS, P_ALPHA) = range(19)
N_PAR = 19
KIND_DOPAMINE, KIND_DUAL_FSM, KIND_PRE_STOCHASTIC = 0, 1, 2

LazySTDP = namedtuple("LazySTDP", [
    "n_ptr", "n_rows",                  # rows (projection, pre neuron) of each global neuron
    "row_lo", "row_hi", "row_par", "row_t", "row_r",  # synapse range, params, pre state
    "syn_w", "syn_slot", "syn_d",       # weight index, target history slot, delay
    "c", "fsm", "win",                  # per synapse: eligibility or accumulator, FSM state
    "slot_of", "slot_par",              # history slot of each global neuron (-1: none)
    "h_t", "h_o", "h_D", "h_dop", "h_n",  # histories (ring of HISTORY events per slot)
    "rw_ptr", "rw_slot", "rw_conc",     # reward/punishment synapses by global source neuron
    "par", "lost", "seed"])


@jit
def draw_window(seed, k, t, mean):
    """A window length in steps, as sPyNNaker draws it: ``floor(-mean ln(1 - u))`` with ``u``
    one of 2048 equally likely levels (its 11-bit look-up table of the exponential
    distribution, mean ``mean`` steps); counter-based on ``(seed, k, t)``."""
    u = np.floor(uniform(seed, k, t) * 2048.0) / 2048.0
    return np.floor(-mean * np.log(1.0 - u))


@jit
def add_event(ls, s, t, dop, conc):
    """Event of step ``t`` at history slot ``s``: ``o`` is the post trace (dopamine rule)
    or the post window (recurrent rule), ``D`` the dopamine trace just after it. Dopamine
    events of one step after the step's last spike make one entry (nothing happens between
    them), so many reward synapses do not fill the history."""
    p = ls.par[ls.slot_par[s]]
    n = ls.h_n[s]
    lt, lo, ld = np.int64(0), 0.0, 0.0
    if n > 0:
        k = (n - 1) % HISTORY
        lt, lo, ld = ls.h_t[s, k], ls.h_o[s, k], ls.h_D[s, k]
        if dop and ls.h_dop[s, k] and lt == t:  # same step: one event with the summed dopamine
            ls.h_D[s, k] = ld + conc
            return
    gap = (t - lt) * p[P_DT]
    k = n % HISTORY
    ls.h_t[s, k] = t
    if p[P_KIND] == KIND_DOPAMINE:
        ls.h_o[s, k] = lo * np.exp(-gap / p[P_TAU_MINUS]) + (0.0 if dop else 1.0)
        ls.h_D[s, k] = ld * np.exp(-gap / p[P_TAU_D]) + conc
    else:
        ls.h_o[s, k] = draw_window(ls.seed[0] ^ np.uint64(0x5EED05), s, t, p[P_MEAN_POST])
        ls.h_D[s, k] = 0.0
    ls.h_dop[s, k] = dop
    ls.h_n[s] = n + 1


@jit
def window(ls, s, begin, end):
    """The events of slot ``s`` in steps ``(begin, end]``: ``(lo, hi, prev, first)``, event
    numbers ``lo..hi-1`` in order, ``prev`` the latest at or before ``begin`` (``< first``:
    none), ``first`` the oldest kept. Events at step <= 0 are never seen (sPyNNaker's
    placeholder entry is at time 0)."""
    n = ls.h_n[s]
    first = max(np.int64(0), n - HISTORY)
    hi = n
    while hi > first and ls.h_t[s, (hi - 1) % HISTORY] > end:
        hi -= 1
    lo = hi
    while lo > first and ls.h_t[s, (lo - 1) % HISTORY] > begin:
        lo -= 1
    if lo == first and first > 0:
        ls.lost[0] += 1
    while lo < hi and ls.h_t[s, lo % HISTORY] <= 0:
        lo += 1
    prev = lo - 1
    if prev >= first and ls.h_t[s, prev % HISTORY] <= 0:
        prev = first - 1
    return lo, hi, prev, first
