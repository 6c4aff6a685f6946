"""Event-driven spike delivery into per-target ring buffers."""
import numpy as np

from ._config import jit
from .prefetch import DELIVERY_AHEAD, prefetch, prefetch_2d, prefetch_row


@jit
def deliver_row(ring, start, stop, post_lo, t, slot_mask, post, weight, delay):
    """Add synapses ``start:stop`` of one CSR row into ``ring[slot, target]``.

    ``ring`` has shape ``(n_slots, n_neurons)`` with ``n_slots`` a power of
    two larger than every delay. ``weight`` and ``delay`` are the
    projection's own arrays, indexed from ``start`` relative to the
    projection, or of length 1 when the value is the same for every synapse
    (then no per-synapse memory is read or stored). The input of synapse
    ``k`` lands in slot ``(t + delay[k]) & slot_mask`` of neuron
    ``post_lo + post[k]``. With a delay per synapse the targets are spread over many
    slots (tens of MB in a large network), so the ring cell of the synapse
    :data:`.prefetch.DELIVERY_AHEAD` places on is prefetched; the sums are unchanged.
    """
    wmask = 0 if weight.shape[0] == 1 else -1  # k & 0 = 0: one value for all synapses
    if delay.shape[0] == 1:
        row = ring[(t + delay[0]) & slot_mask, post_lo:]
        for k in range(start, stop):
            row[post[k]] += weight[k & wmask]
    else:
        mid = max(start, stop - DELIVERY_AHEAD)
        for k in range(start, min(start + DELIVERY_AHEAD, stop)):
            prefetch_2d(ring, (t + delay[k]) & slot_mask, post_lo + post[k])
        for k in range(start, mid):
            n = k + DELIVERY_AHEAD
            prefetch_2d(ring, (t + delay[n]) & slot_mask, post_lo + post[n])
            ring[(t + delay[k]) & slot_mask, post_lo + post[k]] += weight[k & wmask]
        for k in range(mid, stop):
            ring[(t + delay[k]) & slot_mask, post_lo + post[k]] += weight[k & wmask]


@jit
def gather_row(flat, n_slots, n, rec, start, stop, post_lo, t, slot_mask, post, weight, delay,
               addr, wv, m):
    """Append synapses ``start:stop`` of one CSR row to a step's event list, as
    :func:`deliver_row` would add them (same order, same values); returns the new length.

    The event list holds the flat index into the ring ``flat`` (``(n_planes, n_slots, n)``
    raveled; plane ``rec``) in ``addr`` and the weight in ``wv``; when it is full it is
    delivered (:func:`deliver_events`) and starts again, so any row fits.
    """
    wmask = 0 if weight.shape[0] == 1 else -1  # k & 0 = 0: one value for all synapses
    dmask = 0 if delay.shape[0] == 1 else -1
    base = rec * n_slots
    cap = addr.shape[0]
    k = start
    while k < stop:
        if m == cap:
            deliver_events(flat, addr, wv, m)
            m = 0
        c = min(stop - k, cap - m)
        if wmask != 0 and dmask != 0:
            # a weight and a delay per synapse: unsigned indices, which Numba does not wrap
            # around (a signed index may be negative, so every access would become a gather
            # or scatter); the loop then vectorises with plain loads and stores. Replayed on
            # the full-scale microcircuit: 5.0 instead of 6.0 ns per delivered event
            # (benchmarks/README.md)
            ku = np.uint64(k)
            mu = np.uint64(m)
            for i in range(np.uint64(c)):
                j = ku + i
                addr[mu + i] = (base + ((t + delay[j]) & slot_mask)) * n + post_lo + post[j]
                wv[mu + i] = weight[j]
            m += c
        else:
            for j in range(k, k + c):
                addr[m] = (base + ((t + delay[j & dmask]) & slot_mask)) * n + post_lo + post[j]
                wv[m] = weight[j & wmask]
                m += 1
        k += c
    return m


@jit
def add_row_at(flat, n_slots, n, rec, start, stop, post_lo, t, slot_mask, post, so, weight, wo,
               wn, delay, do):
    """:func:`deliver_row` for a projection with one delay (``delay[do]``) on the engine's
    concatenated arrays: synapse ``k`` of the projection is ``post[so + k]`` with weight
    ``weight[wo + k]`` (``wn == 1``: ``weight[wo]`` for all); the row lands in one ring slot.
    Same sums in the same order as :func:`deliver_row`.

    Indexing the whole arrays instead of slicing the projection's part out of them keeps
    the per-spike cost down: every slice is an array view whose reference count Numba
    updates with atomic instructions, which costs more than a short row's additions
    (benchmarks/README.md). Rows with a delay per synapse are long enough that the slices
    do not matter: :func:`gather_row` indexing the whole arrays at offsets (unsigned) ran the
    full-scale microcircuit no faster than on slices (3.05 / 3.15 s against 3.19 / 3.12 s of
    kernel windows on two threads, alternated; not kept).
    """
    # unsigned indices: Numba does not wrap them around (see gather_row); 0.92 instead of
    # 1.12-1.27 ns per event for rows of 80 synapses in isolation, same sums (in CUBA 20k's
    # loop, where events are a third of the time, the difference is within the noise)
    base = np.uint64((rec * n_slots + ((t + delay[do]) & slot_mask)) * n + post_lo)
    su = np.uint64(so)
    if wn == 1:
        w = weight[wo]
        for k in range(np.uint64(start), np.uint64(stop)):
            flat[base + np.uint64(post[su + k])] += w
    else:
        wu = np.uint64(wo)
        for k in range(np.uint64(start), np.uint64(stop)):
            flat[base + np.uint64(post[su + k])] += weight[wu + k]


@jit
def deliver_events(flat, addr, wv, m):
    """Add ``wv[i]`` into ``flat[addr[i]]`` for ``i < m``, in order, prefetching the cell
    :data:`.prefetch.DELIVERY_AHEAD` events ahead.

    A step's events are gathered first (:func:`gather_row`) and delivered in one pass so
    that the prefetch runs ahead across row ends: a spike's row is split into one piece per
    projection and thread, and :func:`deliver_row`, prefetching within each piece, left the
    first events of every piece waiting for memory (benchmarks/microcircuit_delivery_bound.py
    --pieces 8, at the microcircuit's sizes: 6.4 ns per event piece by piece, 4.6 ns
    gathered, 4.4 ns for whole rows).
    """
    for i in range(min(DELIVERY_AHEAD, m)):
        prefetch(flat, addr[i])
    for i in range(m - DELIVERY_AHEAD):
        prefetch(flat, addr[i + DELIVERY_AHEAD])
        flat[addr[i]] += wv[i]
    for i in range(max(m - DELIVERY_AHEAD, 0), m):
        flat[addr[i]] += wv[i]


@jit
def prefetch_rows(spikes, ns, part, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo,
                  pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay):
    """Ask for the rows that ``spikes[:ns]`` deliver (thread ``part``'s synapses
    ``cut[row, part]:cut[row, part + 1]``): targets, and weights and delays where they are per
    synapse (:func:`.prefetch.prefetch_row`), all before any is delivered, so that their
    cache misses overlap instead of being paid one row at a time."""
    for q in range(ns):
        j = spikes[q]
        p = neuron_pop[j]
        for o in range(pop_out_ptr[p], pop_out_ptr[p + 1]):
            pj = pop_out_proj[o]
            row = pj_row_off[pj] + (j - pj_pre_lo[pj])
            a = cut[row, part]
            b = cut[row, part + 1]
            if a < b:
                prefetch_row(post, pj_syn[pj] + a, pj_syn[pj] + b)
                if pj_w[pj + 1] - pj_w[pj] > 1:
                    prefetch_row(weight, pj_w[pj] + a, pj_w[pj] + b)
                if pj_d[pj + 1] - pj_d[pj] > 1:
                    prefetch_row(delay, pj_d[pj] + a, pj_d[pj] + b)
