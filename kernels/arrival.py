"""Static delivery at arrival time: each source's synapses in blocks sorted by delay.

At emission (:mod:`.delivery`) a spike's synapses add into ring slot ``(t + delay) & mask``
of their targets. With delays spread over tens of steps, one step's events land in that
many slots of every neuron (18 MB at the full-scale microcircuit), so each addition misses
the second-level cache. Here the synapses of the projections chosen for it are copied,
per source neuron, ring plane and part of the targets (one part per thread), into one block
sorted by delay. Before the neuron update of step ``t`` the pieces of delay ``d`` of the
spikes emitted in step ``t - d`` are added into slot ``t & mask``, ``d`` from the longest
delay down to 1: every event of a step then lands in the one slot the update reads next.

Every ring cell receives the inputs of these projections in the order delivery at emission
gives them (earlier spikes first; within a step, spikes in order; within a spike, the
projections in the engine's order and the synapses in storage order), so the sums are the
same bits. Replayed on the full-scale microcircuit (benchmarks/microcircuit_arrival.py):
2.5 ns per event against 4.7 ns at emission, two parts, uint16 targets.

Layout (``n_rec`` ring planes, ``n_parts`` parts at ``bounds``):

- block ``b = (j * n_rec + r) * n_parts + part`` holds source ``j``'s synapses into plane
  ``r`` and neurons ``bounds[part]:bounds[part + 1]``; its piece of delay ``d`` is
  ``off[b, d]:off[b, d + 1]`` of ``targets`` (offsets from ``bounds[part]``) and ``weights``;
- the history holds the spikes of the last steps: those of step ``s`` are
  ``hist[s & hmask, :hist_n[s & hmask]]`` when ``hist_t[s & hmask] == s``.
"""
from collections import namedtuple

import numpy as np
from numba import prange

from ._config import jit
from .prefetch import prefetch_read


#: What the engine needs to deliver at arrival (None when no projection is delivered so)
Arrival = namedtuple("Arrival", [
    "bounds",     # int64 (n_parts + 1,): the parts of the targets (the threads', or finer)
    "groups",     # int64 (threads + 1,): thread p's parts are groups[p]:groups[p + 1]
    "targets",    # uint16 or int32: target of each synapse, from its part's first neuron
    "weights",    # weight of each synapse (the ring's dtype)
    "off",        # int64 (n * n_rec * n_parts, max_delay + 2): start of every piece
    "slots",      # uint16 or int32: each synapse's place in its row (empty: none kept)
    "n_rec",      # int64: ring planes
    "max_delay",  # int64: longest delay, steps
    "hist",       # int32 (2**k > max_delay, spikes per step): the last steps' spikes
    "hist_n",     # int64 (2**k,): their number
    "hist_t",     # int64 (2**k,): their step (-1: none)
])


@jit(parallel=True)
def arrival_sweep(pre_lo, post_lo, rec, indptr, post, weight, delay, bounds, n_rec, off,
                  targets, weights, slots, threads=1):
    """Visit one projection's synapses in row order: row ``r`` (source ``pre_lo + r``) is
    ``indptr[r]:indptr[r + 1]`` of ``post`` (targets from ``post_lo``), ``weight`` (or one
    value for all) and ``delay`` (one per synapse); ``rec`` is its ring plane.

    With ``targets`` empty, count each synapse into ``off[b, d]`` (its block and delay);
    otherwise write it at ``off[b, d]``, which then advances (pass the pieces' starts).
    Called for the projections in the engine's order (per source population, its outgoing
    projections in turn), the pieces keep the order in which delivery at emission adds.
    ``threads`` contiguous ranges of rows run in parallel (row ``r`` writes only source
    ``pre_lo + r``'s blocks, so the result does not depend on it). When placing with
    ``slots`` not empty (uint16 while rows hold at most 65,536 synapses, else int32), each
    synapse's place in its row is written there too (:func:`arrival_gather` puts it back
    there)."""
    n_parts = bounds.shape[0] - 1
    place = targets.shape[0] > 0
    wmask = 0 if weight.shape[0] == 1 else -1  # k & 0 = 0: one value for all synapses
    rows = indptr.shape[0] - 1
    for c in prange(threads):
        for r in range(rows * c // threads, rows * (c + 1) // threads):
            _sweep_row(pre_lo + r, indptr[r], indptr[r + 1], post_lo, rec, post, weight,
                       delay, bounds, n_rec, n_parts, off, targets, weights, place, wmask,
                       slots)


@jit
def _sweep_row(j, k0, k1, post_lo, rec, post, weight, delay, bounds, n_rec, n_parts, off,
               targets, weights, place, wmask, slots):
    """:func:`arrival_sweep` for the synapses ``k0:k1`` of source ``j``."""
    for k in range(k0, k1):
        i = post_lo + post[k]
        part = 0
        while i >= bounds[part + 1]:
            part += 1
        b = (j * n_rec + rec) * n_parts + part
        d = delay[k]
        if place:
            m = off[b, d]
            off[b, d] = m + 1
            targets[m] = i - bounds[part]
            weights[m] = weight[k & wmask]
            if slots.shape[0] > 0:
                slots[m] = k - k0
        else:
            off[b, d] += 1


@jit(parallel=True)
def arrival_gather(pre_lo, post_lo, post_n, rec, indptr, bounds, n_rec, off, targets, weights,
                   slots, post, weight, delay, bad, threads=1):
    """The inverse of :func:`arrival_sweep` for one projection whose synapses are the only
    ones from its sources into neurons ``post_lo:post_lo + post_n`` of plane ``rec``: each
    synapse of source ``pre_lo + r`` goes back to ``indptr[r] + slots[m]`` (its place when
    the blocks were filled) of ``post`` (from ``post_lo``), ``weight`` and ``delay``
    (steps). ``bad[c]`` counts the rows of range ``c`` of rows whose blocks hold another
    number of such synapses than the row, or a place outside it (0 when the blocks are
    this projection's alone; nothing is written outside a row)."""
    rows = indptr.shape[0] - 1
    for c in prange(threads):
        wrong = 0
        for r in range(rows * c // threads, rows * (c + 1) // threads):
            wrong += _gather_row(pre_lo + r, indptr[r], indptr[r + 1], post_lo, post_lo + post_n,
                                 rec, bounds, n_rec, off, targets, weights, slots, post, weight,
                                 delay)
        bad[c] = wrong


@jit
def _gather_row(j, k0, k1, post_lo, post_hi, rec, bounds, n_rec, off, targets, weights, slots,
                post, weight, delay):
    """:func:`arrival_gather` for source ``j``, whose row is ``k0:k1``: 1 when its blocks do
    not hold exactly the row's synapses into ``post_lo:post_hi``, else 0."""
    n_parts = bounds.shape[0] - 1
    n_row, got = k1 - k0, 0
    for part in range(n_parts):
        if bounds[part + 1] <= post_lo or bounds[part] >= post_hi:
            continue
        b = (j * n_rec + rec) * n_parts + part
        for d in range(off.shape[1] - 1):
            for m in range(off[b, d], off[b, d + 1]):
                i = bounds[part] + np.int64(targets[m])
                if i < post_lo or i >= post_hi:
                    continue
                k = np.int64(slots[m])
                if k >= n_row:
                    return 1
                post[k0 + k] = i - post_lo
                weight[k0 + k] = weights[m]
                delay[k0 + k] = d
                got += 1
    return int(got != n_row)


@jit
def push_history(t, spikes, ns, hist, hist_n, hist_t):
    """Keep the ``ns`` spikes of step ``t`` (``spikes[:ns]``, global ids) in the history."""
    h = t & (hist.shape[0] - 1)
    for q in range(ns):
        hist[h, q] = spikes[q]
    hist_n[h] = ns
    hist_t[h] = t


@jit
def deliver_arrivals(t, part, bounds, flat, n_slots, slot_mask, hist, hist_n, hist_t,
                     targets, weights, off, n_rec, max_delay):
    """Add the events arriving at step ``t`` into neurons ``bounds[part]:bounds[part + 1]``
    of ring slot ``t & slot_mask`` (``flat``: the ring raveled, ``(n_rec, n_slots, n)``).

    Spikes of step ``t - d`` bring their pieces of delay ``d``, ``d`` from ``max_delay`` down
    to 1. Every line of the piece two spikes ahead is prefetched: a piece lies anywhere in
    the blocks (the full-scale microcircuit's pieces hold about 33 synapses on two threads),
    and its first lines alone left 3.1 ns per event in a replay of the model's spikes
    against 2.4-2.6 ns with all of them (a scratch copy of
    benchmarks/microcircuit_arrival.py; four spikes ahead or the next delay's first pieces
    too gave no more)."""
    n = flat.shape[0] // (n_rec * n_slots)
    n_parts = bounds.shape[0] - 1
    hmask = hist.shape[0] - 1
    lo = bounds[part]
    for d in range(max_delay, 0, -1):
        h = (t - d) & hmask
        if hist_t[h] != t - d:
            continue
        ns = hist_n[h]
        for r in range(n_rec):
            base = np.uint64((r * n_slots + (t & slot_mask)) * n + lo)
            for q in range(ns):
                if q + 2 < ns:  # every line of the piece two spikes ahead
                    b2 = (hist[h, q + 2] * n_rec + r) * n_parts + part
                    a0, a1 = off[b2, d], off[b2, d + 1]
                    if a0 < a1:
                        for k in range(a0, a1, 64 // targets.itemsize):
                            prefetch_read(targets, k)
                        for k in range(a0, a1, 64 // weights.itemsize):
                            prefetch_read(weights, k)
                        prefetch_read(targets, a1 - 1)
                        prefetch_read(weights, a1 - 1)
                b = (hist[h, q] * n_rec + r) * n_parts + part
                for k in range(np.uint64(off[b, d]), np.uint64(off[b, d + 1])):
                    flat[base + np.uint64(targets[k])] += weights[k]


@jit
def flush_arrivals(t, bounds, flat, n_slots, slot_mask, hist, hist_n, hist_t, targets,
                   weights, off, n_rec, max_delay):
    """Before step ``t`` is simulated without these blocks: add every event still to arrive
    (at ``t`` or later) into its ring slot, as delivery at emission would have, and empty
    the history. The ring needs more than ``max_delay - 1`` slots."""
    n = flat.shape[0] // (n_rec * n_slots)
    n_parts = bounds.shape[0] - 1
    hmask = hist.shape[0] - 1
    for te in range(t - max_delay, t):
        h = te & hmask
        if te < 0 or hist_t[h] != te:
            continue
        for q in range(hist_n[h]):
            for r in range(n_rec):
                for part in range(n_parts):
                    b = (hist[h, q] * n_rec + r) * n_parts + part
                    for d in range(t - te, max_delay + 1):
                        base = (r * n_slots + ((te + d) & slot_mask)) * n + bounds[part]
                        for k in range(off[b, d], off[b, d + 1]):
                            flat[base + targets[k]] += weights[k]
    hist_t[:] = -1
    hist_n[:] = 0


@jit
def arrive(t, thread, arr, buf, slot_mask):
    """:func:`deliver_arrivals` of step ``t`` into every part of thread ``thread`` (``arr``:
    an :data:`Arrival`; ``buf``: the ring, ``(n_rec, n_slots, n)``)."""
    flat = buf.reshape(buf.size)
    for part in range(arr.groups[thread], arr.groups[thread + 1]):
        deliver_arrivals(t, part, arr.bounds, flat, buf.shape[1], slot_mask, arr.hist,
                         arr.hist_n, arr.hist_t, arr.targets, arr.weights, arr.off, arr.n_rec,
                         arr.max_delay)
