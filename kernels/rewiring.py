"""Synaptic rewiring (structural plasticity) as an event-driven process in the kernel.

The model is sPyNNaker's synaptogenesis (Bogdan, Rowley, Rhodes & Furber 2018,
"Structural plasticity on the SpiNNaker many-core neuromorphic system", Front.
Neurosci. 12:434; sPyNNaker ``neural_modelling/src/neuron/structural_plasticity/
synaptogenesis/topographic_map_impl.c`` and the rule headers beside it). One
*group* is a postsynaptic population with its structural projections (the
"pre-populations" of sPyNNaker); each post neuron owns ``s_max`` synapse
*slots* shared by all of them (sPyNNaker's post-to-pre table).

When attempts happen (:func:`rewire_step`, called by the engine's one-thread
drivers at the end of step ``t``, after the step's spikes were delivered and
plasticity applied): with ``p_rew = 1 / f_rew`` and sPyNNaker's integer time
step ``dt_us`` (``synapse_dynamics_structural_common.py``), if ``p_rew`` in ms
is below ``dt``, ``fast = int(dt_us / (p_rew * 1e6))`` attempts run in every
step; otherwise one attempt runs in every step with ``(t + 1) % period == 0``,
``period = int(p_rew * 1e6 / dt_us)`` (sPyNNaker's timer count; at least 1).
A change acts from step ``t + 1`` on.

One attempt (``synaptogenesis_dynamics_rewire`` and ``row_restructure``):

1. a post neuron ``j`` uniformly from the group's population and one of its
   ``s_max`` slots uniformly;
2. slot occupied: **elimination** of that slot's synapse
   (``elimination_random_by_weight_impl.h``) with probability ``p_elim_dep`` if
   ``|w| < threshold``, else ``p_elim_pot`` (as 32-bit integers: eliminated iff
   ``r32 <= int(p * 0xFFFFFFFF)``, so the probability is
   ``(int(p * (2**32 - 1)) + 1) / 2**32``);
3. slot empty: a **partner** -- ``RandomSelection``: a structural projection of
   the group uniformly, then a presynaptic neuron ``i`` uniformly
   (``random_selection_impl.h``); ``LastNeuronSelection``: one of the spikes of
   step ``t`` from populations that project onto the group's population (any
   projection, as a core receives them; at most ``spike_buffer_size``, kept in
   the engine's spike order), uniformly; no spike, or a spike of a population
   without a structural projection here, ends the attempt
   (``last_neuron_selection_impl.h``). Then no formation if ``i``'s row already
   holds ``s_max`` synapses of this projection, or (``with_replacement`` False)
   if ``i -> j`` exists; otherwise **formation**
   (``formation_distance_dependent_impl.h``): grid coordinates ``x = id //
   grid_x`` (0 if ``grid_x == 1``), ``y = id % grid_y`` (0 if ``grid_y == 1``),
   periodic differences (``d -= grid`` when ``d > grid // 2``), squared
   distance ``d2 = dx^2 + dy^2``; the table of the projection (lateral when
   pre and post population are the same) gives ``P[d2]`` as a 16-bit integer
   (no formation if ``d2`` is past its end); formed iff ``r16 <= P[d2]`` with
   ``r16`` uniform in ``[0, 65535)``. The new synapse gets ``initial_weight``
   and a delay ``dlo + rand_int(dhi - dlo)`` steps (``sp_structs.h``).

``rand_int(n) = (r32 * n) >> 32`` for a 32-bit uniform ``r32`` (sPyNNaker's
``muliulr``). The random numbers are counter-based: draw ``q`` of attempt
``c`` of a group is the top 32 bits of splitmix64's finaliser of
``(seed, c, q)`` (:func:`draw`), so the NumPy twin
(``tests/reference/rewiring.py``) reproduces every attempt bit for bit.

Storage (what the drivers see): a structural projection keeps its CSR rows at a
fixed capacity; the active synapses of row ``i`` are the first ``nact[i]`` of
it and the engine's ``cut[row, 1]`` is moved with them, so delivery and STDP
walk active synapses only. A removal moves the row's last active synapse into
the freed place. Plastic projections also keep their per-post column index
(potentiation) slot-aligned: column entry ``j * s_max + s`` is slot ``s`` of
post neuron ``j``; an empty one points at a trash synapse outside every row.
"""
from collections import namedtuple

import numpy as np

from ._config import jit

# columns of Rewiring.stats
(ST_ATTEMPTS, ST_NO_PARTNER, ST_ROW_FULL, ST_PAIR_EXISTS, ST_FORM_TRIALS, ST_FORMED,
 ST_ELIM_TRIALS_DEP, ST_ELIM_DEP, ST_ELIM_TRIALS_POT, ST_ELIM_POT) = range(10)
N_STATS = 10
STAT_NAMES = ("attempts", "no_partner", "row_full", "pair_exists", "formation_trials", "formed",
              "elimination_trials_depressed", "eliminated_depressed",
              "elimination_trials_potentiated", "eliminated_potentiated")

Rewiring = namedtuple("Rewiring", [
    # per group g (a postsynaptic population)
    "g_seed",     # uint64 (G,)
    "g_count",    # int64 (G,): attempts made so far (the random-number counter), mutated
    "g_n_post",   # int64 (G,): size of the postsynaptic population
    "g_s_max",    # int64 (G,)
    "g_fast",     # int64 (G,): attempts per step, or 0 (slow: one every g_period steps)
    "g_period",   # int64 (G,)
    "g_replace",  # int64 (G,): with_replacement
    "g_partner",  # int64 (G,): 0 RandomSelection, 1 LastNeuronSelection
    "g_buf",      # int64 (G,): LastNeuronSelection's spike_buffer_size
    "g_dlo",      # int64 (G,): delays of new synapses are g_dlo + rand_int(g_dhi - g_dlo)
    "g_dhi",      # int64 (G,)
    "g_e_lo",     # int64 (G + 1,): the group's entries (structural projections)
    "g_slot_lo",  # int64 (G,): first slot of the group in slot_*
    "g_r_lo",     # int64 (G + 1,): the group's received ranges in r_*
    # per entry e (a structural projection)
    "e_pj",       # int64: index of the projection in the engine's synapse arrays
    "e_pre_lo",   # int64: global index of presynaptic neuron 0
    "e_n_pre",    # int64
    "e_row",      # int64: the projection's first row in ``cut`` (pj_row_off)
    "e_nact_lo",  # int64: first row count in nact
    "e_ss_lo",    # int64: first synapse in syn_slot
    "e_w_init",   # float64: weight of a new synapse (signed, spikesim convention)
    "e_thresh",   # float64: elimination threshold on |w|
    "e_pdep",     # uint64: 32-bit elimination threshold of depressed synapses
    "e_ppot",     # uint64: of potentiated (or unchanged) synapses
    "e_tab_lo",   # int64: the entry's formation table is tab[e_tab_lo:e_tab_lo + e_tab_n]
    "e_tab_n",    # int64
    "e_gx",       # int64: grid
    "e_gy",       # int64
    "e_plastic",  # int64: 1 if the weights live in the plastic weight array
    "e_wbase",    # int64: offset of the projection's synapse 0 in its weight array
    "e_colbase",  # int64: offset of its column index (plastic), else 0
    "e_trash",    # int64: trash synapse (plastic), else 0
    "e_dvar",     # int64: 1 if the projection stores one delay per synapse
    # state and tables
    "nact",       # int64: active synapses per row, mutated
    "syn_slot",   # int32: slot (within the group) of each active synapse, -1 inactive
    "slot_e",     # int32: entry (within the group) occupying each slot, -1 empty
    "slot_i",     # int32: its presynaptic neuron
    "slot_k",     # int32: its synapse index within the projection
    "tab",        # int64: formation probabilities as 16-bit integers
    "r_lo",       # int64: received populations of the groups: global [r_lo, r_hi)
    "r_hi",       # int64
    "r_e",        # int64: entry (global) of that population's structural projection, or -1
    "pool",       # int64 scratch: LastNeuronSelection's candidates
    "stats",      # int64 (G, N_STATS), mutated
])

@jit
def draw(seed, c, q):
    """32-bit uniform integer (as uint64) for draw ``q`` of attempt ``c``: splitmix64's
    finaliser of ``seed ^ c * golden ^ (q + 1) * C2`` (counter-based; Salmon et al. 2011)."""
    z = np.uint64(seed) ^ (np.uint64(c) * np.uint64(0x9E3779B97F4A7C15)) \
        ^ (np.uint64(q + 1) * np.uint64(0xC2B2AE3D27D4EB4F))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return z >> np.uint64(32)


@jit
def rand_int(r32, n):
    """``(r32 * n) >> 32``: uniform in ``[0, n)`` (sPyNNaker's ``rand_int``; 0 when n <= 0)."""
    if n <= 0:
        return np.int64(0)
    return np.int64((r32 * np.uint64(n)) >> np.uint64(32))


@jit
def _fill_pool(g, rw, spikes, ns):
    """LastNeuronSelection's candidates: the step's spikes of received populations."""
    cap = rw.g_buf[g]
    n = 0
    for m in range(ns):
        if n >= cap:
            break
        j = spikes[m]
        for r in range(rw.g_r_lo[g], rw.g_r_lo[g + 1]):
            if rw.r_lo[r] <= j and j < rw.r_hi[r]:
                rw.pool[n] = j
                n += 1
                break
    return n


@jit
def _get_w(rw, e, k, weight, pj_w, plw):
    if rw.e_plastic[e] != 0:
        return np.float64(plw[rw.e_wbase[e] + k])
    return np.float64(weight[pj_w[rw.e_pj[e]] + k])


@jit
def _remove(g, e, slot, cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, col_pre, col_syn, rw):
    """Remove the synapse of ``slot``; the row's last active synapse takes its place."""
    k = np.int64(rw.slot_k[slot])
    i = np.int64(rw.slot_i[slot])
    row = rw.e_row[e] + i
    na = rw.e_nact_lo[e] + i
    last = cut[row, 0] + rw.nact[na] - 1
    pj = rw.e_pj[e]
    base = pj_syn[pj]
    ss0 = rw.e_ss_lo[e]
    glo = rw.g_slot_lo[g]
    plastic = rw.e_plastic[e] != 0
    wb = rw.e_wbase[e] if plastic else pj_w[pj]
    if k != last:
        post[base + k] = post[base + last]
        if plastic:
            plw[wb + k] = plw[wb + last]
        else:
            weight[wb + k] = weight[wb + last]
        if rw.e_dvar[e] != 0:
            delay[pj_d[pj] + k] = delay[pj_d[pj] + last]
        ms = rw.syn_slot[ss0 + last]
        rw.syn_slot[ss0 + k] = ms
        rw.slot_k[glo + ms] = k
        if plastic:
            col_syn[rw.e_colbase[e] + ms] = k
    rw.syn_slot[ss0 + last] = -1
    post[base + last] = 0
    if plastic:
        plw[wb + last] = 0.0
    else:
        weight[wb + last] = 0.0
    rw.nact[na] -= 1
    cut[row, 1] -= 1
    rw.slot_e[slot] = -1
    rw.slot_i[slot] = -1
    rw.slot_k[slot] = -1
    if plastic:
        ls = slot - glo
        col_syn[rw.e_colbase[e] + ls] = rw.e_trash[e]
        col_pre[rw.e_colbase[e] + ls] = 0


@jit
def _add(g, e, i, j, slot, d, cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, col_pre, col_syn,
         rw):
    """Append synapse ``i -> j`` (delay ``d`` steps) to row ``i`` and give it ``slot``."""
    row = rw.e_row[e] + i
    na = rw.e_nact_lo[e] + i
    k = cut[row, 0] + rw.nact[na]
    pj = rw.e_pj[e]
    glo = rw.g_slot_lo[g]
    ls = slot - glo
    post[pj_syn[pj] + k] = j
    if rw.e_plastic[e] != 0:
        plw[rw.e_wbase[e] + k] = rw.e_w_init[e]
        col_syn[rw.e_colbase[e] + ls] = k
        col_pre[rw.e_colbase[e] + ls] = i
    else:
        weight[pj_w[pj] + k] = rw.e_w_init[e]
    if rw.e_dvar[e] != 0:
        delay[pj_d[pj] + k] = d
    rw.syn_slot[rw.e_ss_lo[e] + k] = ls
    rw.slot_e[slot] = e - rw.g_e_lo[g]
    rw.slot_i[slot] = i
    rw.slot_k[slot] = k
    rw.nact[na] += 1
    cut[row, 1] += 1


@jit
def formation_d2(i, j, gx, gy):
    """Squared periodic grid distance of neurons ``i`` and ``j`` (sPyNNaker
    ``formation_distance_dependent_impl.h``; Bogdan et al. 2018)."""
    px = i // gx if gx > 1 else 0
    qx = j // gx if gx > 1 else 0
    py = i % gy if gy > 1 else 0
    qy = j % gy if gy > 1 else 0
    dx = abs(px - qx)
    dy = abs(py - qy)
    if gx > 1 and dx > (gx >> 1):
        dx -= gx
    if gy > 1 and dy > (gy >> 1):
        dy -= gy
    return dx * dx + dy * dy


@jit
def attempt(g, rw, n_pool, cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, col_pre, col_syn):
    """One rewiring attempt of group ``g`` (see the module docstring). Returns
    1 formed, -1 eliminated, 0 nothing."""
    c = rw.g_count[g]
    rw.g_count[g] = c + 1
    seed = rw.g_seed[g]
    st = rw.stats[g]
    st[ST_ATTEMPTS] += 1
    s_max = rw.g_s_max[g]
    j = rand_int(draw(seed, c, 0), rw.g_n_post[g])
    s = rand_int(draw(seed, c, 1), s_max)
    slot = rw.g_slot_lo[g] + j * s_max + s
    el = np.int64(rw.slot_e[slot])
    if el >= 0:  # elimination of the slot's synapse
        e = rw.g_e_lo[g] + el
        w = abs(_get_w(rw, e, np.int64(rw.slot_k[slot]), weight, pj_w, plw))
        r32 = draw(seed, c, 4)
        if w < rw.e_thresh[e]:
            st[ST_ELIM_TRIALS_DEP] += 1
            if r32 > rw.e_pdep[e]:
                return 0
            st[ST_ELIM_DEP] += 1
        else:
            st[ST_ELIM_TRIALS_POT] += 1
            if r32 > rw.e_ppot[e]:
                return 0
            st[ST_ELIM_POT] += 1
        _remove(g, e, slot, cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, col_pre, col_syn,
                rw)
        return -1
    # partner selection
    if rw.g_partner[g] == 0:
        e = rw.g_e_lo[g] + rand_int(draw(seed, c, 2), rw.g_e_lo[g + 1] - rw.g_e_lo[g])
        i = rand_int(draw(seed, c, 3), rw.e_n_pre[e])
    else:
        if n_pool == 0:
            st[ST_NO_PARTNER] += 1
            return 0
        gid = rw.pool[rand_int(draw(seed, c, 3), n_pool)]
        e = np.int64(-1)
        for r in range(rw.g_r_lo[g], rw.g_r_lo[g + 1]):
            if rw.r_lo[r] <= gid and gid < rw.r_hi[r]:
                e = rw.r_e[r]
                break
        if e < 0:
            st[ST_NO_PARTNER] += 1
            return 0
        i = gid - rw.e_pre_lo[e]
    row = rw.e_row[e] + i
    start = cut[row, 0]
    na = rw.nact[rw.e_nact_lo[e] + i]
    if na >= s_max:
        st[ST_ROW_FULL] += 1
        return 0
    if rw.g_replace[g] == 0:
        base = pj_syn[rw.e_pj[e]]
        for k in range(start, start + na):
            if post[base + k] == j:
                st[ST_PAIR_EXISTS] += 1
                return 0
    # formation rule
    st[ST_FORM_TRIALS] += 1
    d2 = formation_d2(i, j, rw.e_gx[e], rw.e_gy[e])
    if d2 >= rw.e_tab_n[e]:
        return 0
    r16 = rand_int(draw(seed, c, 4), 65535)
    if r16 > rw.tab[rw.e_tab_lo[e] + d2]:
        return 0
    d = rw.g_dlo[g] + rand_int(draw(seed, c, 5), rw.g_dhi[g] - rw.g_dlo[g])
    _add(g, e, i, j, slot, d, cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, col_pre, col_syn,
         rw)
    st[ST_FORMED] += 1
    return 1


@jit
def rewire_step(t, rw, spikes, ns, cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, col_pre,
                col_syn):
    """The rewiring attempts due at the end of step ``t``; ``spikes[:ns]`` are the step's spikes.

    ``plw``, ``col_pre``, ``col_syn``: the plastic weights and column index
    (any arrays of the right types when no structural projection is plastic).
    """
    for g in range(rw.g_seed.shape[0]):
        n_att = rw.g_fast[g]
        if n_att == 0:
            if (t + 1) % rw.g_period[g] != 0:
                continue
            n_att = 1
        n_pool = 0
        if rw.g_partner[g] == 1:
            n_pool = _fill_pool(g, rw, spikes, ns)
        for _ in range(n_att):
            attempt(g, rw, n_pool, cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, col_pre,
                    col_syn)
