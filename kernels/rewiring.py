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
A change acts from step ``t + 1`` on: a static synapse formed at the end of step ``t``
transmits spikes emitted from step ``t + 1``; a plastic one (its spikes are delivered
when they arrive, :mod:`.plasticity`) also transmits earlier spikes of its presynaptic
neuron that arrive after ``t``. A removed synapse transmits nothing more (for a static
one, spikes already in the ring buffer still arrive).

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
from .synapses import mix64

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
    return mix64(z) >> np.uint64(32)


@jit
def rand_int(r32, n):
    """``(r32 * n) >> 32``: uniform in ``[0, n)`` (sPyNNaker's ``rand_int``; 0 when n <= 0)."""
    if n <= 0:
        return np.int64(0)
    return np.int64((r32 * np.uint64(n)) >> np.uint64(32))


@jit
def _fill_pool(g, cap, g_r_lo, r_lo, r_hi, pool, spikes, ns):
    """LastNeuronSelection's candidates: the step's spikes of received populations."""
    n = 0
    for m in range(ns):
        if n >= cap:
            break
        j = spikes[m]
        for r in range(g_r_lo[g], g_r_lo[g + 1]):
            if r_lo[r] <= j and j < r_hi[r]:
                pool[n] = j
                n += 1
                break
    return n


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
def _attempts(g, n_att, n_pool, seed, count, st, n_post, s_max, replace, partner, dlo, dhi,
              e_lo, e_hi, slot_lo, rr_lo, rr_hi,
              e_pj, e_pre_lo, e_n_pre, e_row, e_nact_lo, e_ss_lo, e_w_init, e_thresh, e_pdep,
              e_ppot, e_tab_lo, e_tab_n, e_gx, e_gy, e_plastic, e_wbase, e_colbase, e_trash,
              e_dvar, nact, syn_slot, slot_e, slot_i, slot_k, tab, r_lo, r_hi, r_e, pool,
              cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, plr, col_pre, col_syn):
    """``n_att`` attempts of group ``g`` (the module docstring's steps 1-3), over plain arrays
    (a namedtuple field read in the loop would cost a reference count each). Returns the
    random-number counter after them; ``st`` (the group's stats row) is updated."""
    c = count
    for _ in range(n_att):
        c0 = c
        c += 1
        st[ST_ATTEMPTS] += 1
        j = rand_int(draw(seed, c0, 0), n_post)
        s = rand_int(draw(seed, c0, 1), s_max)
        slot = slot_lo + j * s_max + s
        el = np.int64(slot_e[slot])
        if el >= 0:  # elimination of the slot's synapse
            e = e_lo + el
            k = np.int64(slot_k[slot])
            pj = e_pj[e]
            plastic = e_plastic[e] != 0
            wb = e_wbase[e] if plastic else pj_w[pj]
            w = abs(np.float64(plw[wb + k]) if plastic else np.float64(weight[wb + k]))
            r32 = draw(seed, c0, 4)
            if w < e_thresh[e]:
                st[ST_ELIM_TRIALS_DEP] += 1
                if r32 > e_pdep[e]:
                    continue
                st[ST_ELIM_DEP] += 1
            else:
                st[ST_ELIM_TRIALS_POT] += 1
                if r32 > e_ppot[e]:
                    continue
                st[ST_ELIM_POT] += 1
            # remove: the row's last active synapse takes the freed place
            i = np.int64(slot_i[slot])
            row = e_row[e] + i
            na = e_nact_lo[e] + i
            last = cut[row, 0] + nact[na] - 1
            base = pj_syn[pj]
            ss0 = e_ss_lo[e]
            if k != last:
                post[base + k] = post[base + last]
                if plastic:
                    plw[wb + k] = plw[wb + last]
                    plr[wb + k] = plr[wb + last]
                else:
                    weight[wb + k] = weight[wb + last]
                if e_dvar[e] != 0:
                    delay[pj_d[pj] + k] = delay[pj_d[pj] + last]
                ms = syn_slot[ss0 + last]
                syn_slot[ss0 + k] = ms
                slot_k[slot_lo + ms] = k
                if plastic:
                    col_syn[e_colbase[e] + ms] = k
            syn_slot[ss0 + last] = -1
            post[base + last] = 0
            if plastic:
                plw[wb + last] = 0.0
                plr[wb + last] = 0.0
            else:
                weight[wb + last] = 0.0
            nact[na] -= 1
            cut[row, 1] -= 1
            slot_e[slot] = -1
            slot_i[slot] = -1
            slot_k[slot] = -1
            if plastic:
                col_syn[e_colbase[e] + slot - slot_lo] = e_trash[e]
                col_pre[e_colbase[e] + slot - slot_lo] = 0
            continue
        # partner selection
        if partner == 0:
            e = e_lo + rand_int(draw(seed, c0, 2), e_hi - e_lo)
            i = rand_int(draw(seed, c0, 3), e_n_pre[e])
        else:
            if n_pool == 0:
                st[ST_NO_PARTNER] += 1
                continue
            gid = pool[rand_int(draw(seed, c0, 3), n_pool)]
            e = np.int64(-1)
            for r in range(rr_lo, rr_hi):
                if r_lo[r] <= gid and gid < r_hi[r]:
                    e = r_e[r]
                    break
            if e < 0:
                st[ST_NO_PARTNER] += 1
                continue
            i = gid - e_pre_lo[e]
        pj = e_pj[e]
        row = e_row[e] + i
        na = e_nact_lo[e] + i
        start = cut[row, 0]
        n_act = nact[na]
        if n_act >= s_max:
            st[ST_ROW_FULL] += 1
            continue
        base = pj_syn[pj]
        if replace == 0:
            found = False
            for k in range(start, start + n_act):
                if post[base + k] == j:
                    found = True
                    break
            if found:
                st[ST_PAIR_EXISTS] += 1
                continue
        # formation rule
        st[ST_FORM_TRIALS] += 1
        d2 = formation_d2(i, j, e_gx[e], e_gy[e])
        if d2 >= e_tab_n[e]:
            continue
        if rand_int(draw(seed, c0, 4), 65535) > tab[e_tab_lo[e] + d2]:
            continue
        d = dlo + rand_int(draw(seed, c0, 5), dhi - dlo)
        # add i -> j at the end of row i's active synapses, into this slot
        k = start + n_act
        ls = slot - slot_lo
        post[base + k] = j
        if e_plastic[e] != 0:
            plw[e_wbase[e] + k] = e_w_init[e]
            plr[e_wbase[e] + k] = e_w_init[e]
            col_syn[e_colbase[e] + ls] = k
            col_pre[e_colbase[e] + ls] = i
        else:
            weight[pj_w[pj] + k] = e_w_init[e]
        if e_dvar[e] != 0:
            delay[pj_d[pj] + k] = d
        syn_slot[e_ss_lo[e] + k] = ls
        slot_e[slot] = e - e_lo
        slot_i[slot] = i
        slot_k[slot] = k
        nact[na] += 1
        cut[row, 1] += 1
        st[ST_FORMED] += 1
    return c


@jit
def rewire_step(t, rw, spikes, ns, cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, plr,
                col_pre, col_syn):
    """The rewiring attempts due at the end of step ``t``; ``spikes[:ns]`` are the step's spikes.

    ``plw``, ``col_pre``, ``col_syn``: the plastic weights and column index (any arrays of
    the right types when no structural projection is plastic); ``plr``: the running
    weights of dendritic-delay STDP (:mod:`.plasticity`), laid out as ``plw``, or ``plw``
    itself. Eliminations read the reported weights ``plw``.
    """
    for g in range(rw.g_seed.shape[0]):
        n_att = rw.g_fast[g]
        if n_att == 0:
            if (t + 1) % rw.g_period[g] != 0:
                continue
            n_att = 1
        n_pool = 0
        if rw.g_partner[g] == 1:
            n_pool = _fill_pool(g, rw.g_buf[g], rw.g_r_lo, rw.r_lo, rw.r_hi, rw.pool, spikes, ns)
        rw.g_count[g] = _attempts(
            g, n_att, n_pool, rw.g_seed[g], rw.g_count[g], rw.stats[g], rw.g_n_post[g],
            rw.g_s_max[g], rw.g_replace[g], rw.g_partner[g], rw.g_dlo[g], rw.g_dhi[g],
            rw.g_e_lo[g], rw.g_e_lo[g + 1], rw.g_slot_lo[g], rw.g_r_lo[g], rw.g_r_lo[g + 1],
            rw.e_pj, rw.e_pre_lo, rw.e_n_pre, rw.e_row, rw.e_nact_lo, rw.e_ss_lo, rw.e_w_init,
            rw.e_thresh, rw.e_pdep, rw.e_ppot, rw.e_tab_lo, rw.e_tab_n, rw.e_gx, rw.e_gy,
            rw.e_plastic, rw.e_wbase, rw.e_colbase, rw.e_trash, rw.e_dvar, rw.nact, rw.syn_slot,
            rw.slot_e, rw.slot_i, rw.slot_k, rw.tab, rw.r_lo, rw.r_hi, rw.r_e, rw.pool,
            cut, post, weight, delay, pj_syn, pj_w, pj_d, plw, plr, col_pre, col_syn)
