"""Which static projections the runtime delivers at arrival time (:mod:`.kernels.arrival`).

Delivery at emission adds each synapse into ring slot ``(t + delay) & mask`` of its target.
When the slots a step's events can reach (``max_delay`` of them, every neuron, every plane)
hold more than :data:`ARRIVAL_MIN_BYTES`, those additions miss the second-level cache, and
the static projections with a delay per synapse are delivered at arrival instead: each
source's synapses are copied into blocks sorted by delay, and before the update of step
``t`` the events arriving at ``t`` are added into slot ``t`` only. Every ring cell receives
these projections' inputs in the same order as at emission (the same bits when nothing else
adds into the ring; Poisson-drive counts and other projections may be summed in another
order). The blocks are then these projections' storage (:func:`lenders`): each keeps its row
starts and drops its targets, delays and weights, and reads them back from the blocks, in
their order, the first time something asks for them. The blocks cost 6 bytes per synapse in
float32 (uint16 targets: the parts of the targets are split to at most 65,536 neurons; 10
bytes in float64), 2 for the synapse's place in its row and 8 bytes per source, plane, part
and delay for the pieces' starts: 8.3 bytes per synapse at the full-scale microcircuit,
against 10 in the projections' own arrays. A network whose pieces would be mostly empty
(fewer synapses than those starts) stays at emission.

Between runs the spikes whose events are still to arrive stay in the kernel's spike history,
so that splitting a run changes nothing. Whatever reads the ring as the input in flight (a
checkpoint, an export) or changes the network (every ``Runtime.invalidate``) first calls
:meth:`spikesim.runtime.Runtime.settle`, which adds those events into their ring slots as
delivery at emission would have; a reset drops them with the ring.
"""
from __future__ import annotations

import os
from collections import Counter
from functools import partial

import numba
import numpy as np

from .kernels.arrival import Arrival, arrival_gather, arrival_sweep
from .neuromodulation import MODULATORY

#: Delivery at arrival when the slots one step's events can reach hold more bytes than this
#: (the second-level cache of this machine's cores is 2 MB; the full-scale microcircuit's
#: 59 slots x 77,169 neurons are 18 MB: 3.1 instead of 4.7 ns per event,
#: benchmarks/microcircuit_arrival.py). ``SPIKESIM_ARRIVAL_MIN_BYTES`` in the environment
#: overrides it (0: wherever possible, however sparse the pieces; a huge value: never).
ARRIVAL_MIN_BYTES = int(os.environ.get("SPIKESIM_ARRIVAL_MIN_BYTES", 8 << 20))
#: Targets are stored as uint16 offsets: parts of the targets hold at most this many neurons
PART_MAX = 1 << 16


def eligible(rt, projs, excluded: set, n: int, n_rec: int, dtype) -> set:
    """Indices of the projections to deliver at arrival (empty: all at emission).

    Static projections with a delay per synapse, no synapse dynamics, no convolution and
    no modulatory receptor qualify, in networks without plastic engines or rewiring (those
    change the synapses inside the kernel); ``excluded`` lists others. Used when the slots
    a step reaches exceed :data:`ARRIVAL_MIN_BYTES`, the synapses outnumber the pieces'
    starts (else most pieces would be empty, and visiting them would cost more than the
    cache misses saved) and the copies fit in half of the available memory."""
    net = rt.net
    if rt.use_plastic or getattr(net, "_rewiring", None):
        return set()
    chosen = [j for j in projs if j.index not in excluded and not j.plastic and j._conv is None
              and j._dstate is None and j.receptor_type not in MODULATORY
              and j._delay.shape[0] > 1 and j.post.shape[0] > 0]
    if not chosen:
        return set()
    max_delay = max(int(j._delay.max()) for j in chosen)
    if n_rec * max_delay * n * np.dtype(dtype).itemsize <= ARRIVAL_MIN_BYTES:
        return set()
    n_syn = sum(j.post.shape[0] for j in chosen)
    parts = rt._parts(n) + -(-n // PART_MAX)  # at most, once split for uint16 targets
    starts = n * n_rec * parts * (max_delay + 2)
    if n_syn < starts and ARRIVAL_MIN_BYTES > 0:  # 0: wherever possible, sparse or not
        return set()
    need = n_syn * (4 + np.dtype(dtype).itemsize) + 8 * starts  # targets, places, weights
    free = available_bytes()
    return {j.index for j in chosen} if free is None or need <= free // 2 else set()


def available_bytes() -> int | None:
    """Memory available to new allocations (Linux ``MemAvailable``: free memory plus what the
    page cache would give back), or None where it is not reported."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def storage_bounds(bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The thread parts at ``bounds`` split so that each holds at most :data:`PART_MAX`
    neurons; returns ``(parts, groups)``: thread part ``p`` is storage parts
    ``groups[p]:groups[p + 1]``."""
    parts, groups = [int(bounds[0])], [0]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        k = max(1, -(-(int(hi) - int(lo)) // PART_MAX))
        parts += [int(lo) + (int(hi) - int(lo)) * (i + 1) // k for i in range(k)]
        groups.append(groups[-1] + k)
    return np.array(parts, np.int64), np.array(groups, np.int64)


def build(projs, chosen: set, pops, pj_rec, n: int, bounds: np.ndarray, n_rec: int, dtype,
          spikes_cap: int) -> Arrival:
    """The blocks of the ``chosen`` projections (:mod:`.kernels.arrival`; ``pj_rec``: the
    ring plane of each projection; ``n`` neurons; ``bounds``: the threads' parts) and an
    empty spike history of ``spikes_cap`` spikes per step. The projections that can lend
    their synapses to the blocks (:func:`lenders`) drop their arrays as soon as the blocks
    hold them."""
    parts, groups = storage_bounds(bounds)
    max_delay = max(int(projs[i]._delay.max()) for i in chosen)
    off = np.zeros((n * n_rec * (parts.shape[0] - 1), max_delay + 2), np.int64)
    # the engine's order: per source population, its outgoing projections in turn
    order = [j for p in pops for j in projs if j.pre is p and j.index in chosen]
    lend = lenders(projs, chosen, pj_rec, dtype)

    def sweep(pieces, targets, weights, slots, then=lambda j: None):
        for j in order:
            arrival_sweep(j.pre.first, j.post_population.first, int(pj_rec[j.index]),
                          j.indptr, j.post, j._weight, j._delay, parts, n_rec, pieces,
                          targets, weights, slots, bounds.shape[0] - 1)
            then(j)

    tdtype = np.uint16 if np.diff(parts).max(initial=0) <= 1 << 16 else np.int32
    sweep(off, np.zeros(0, tdtype), np.zeros(0, dtype), np.zeros(0, np.uint16))
    counts = off.reshape(-1)
    start = np.zeros_like(counts)
    np.cumsum(counts[:-1], out=start[1:])
    total = int(start[-1] + counts[-1]) if counts.size else 0
    targets, weights = np.empty(total, tdtype), np.empty(total, dtype)
    start = start.reshape(off.shape)
    longest = max([int(np.diff(projs[i].indptr).max(initial=0)) for i in lend] + [0])
    slots = np.empty(total if lend else 0, np.uint16 if longest <= 1 << 16 else np.int32)
    size = 1
    while size <= max_delay:
        size *= 2
    arr = Arrival(parts, groups, targets, weights, start, slots, n_rec, max_delay,
                  np.zeros((size, spikes_cap), np.int32), np.zeros(size, np.int64),
                  np.full(size, -1, np.int64))

    def release(j):
        if j.index in lend:
            j._release(partial(restore, arr, int(pj_rec[j.index]), j.post.dtype,
                               j._delay.dtype), keep_weight=j._weight.shape[0] == 1)

    sweep(start.copy(), targets, weights, slots, release)
    return arr


def storage_bytes(arr: Arrival | None) -> int:
    """Bytes of the blocks of ``arr``: targets, weights, pieces' starts and the places kept
    for the projections that lent their synapses to them."""
    if arr is None:
        return 0
    return int(arr.targets.nbytes + arr.weights.nbytes + arr.off.nbytes + arr.slots.nbytes)


def grow_history(arr: Arrival, spikes_cap: int) -> Arrival:
    """``arr`` with room for ``spikes_cap`` spikes per step in its history (kept)."""
    if arr is None or arr.hist.shape[1] >= spikes_cap:
        return arr
    hist = np.zeros((arr.hist.shape[0], spikes_cap), np.int32)
    hist[:, :arr.hist.shape[1]] = arr.hist
    return arr._replace(hist=hist)


def lenders(projs, chosen: set, pj_rec, dtype) -> set:
    """The ``chosen`` projections whose synapses the blocks alone can hold: not one that shares
    its source population, target population and ring plane with another (the blocks do not
    tell their synapses apart), and only with a weight per synapse in ``dtype`` (the blocks')
    or one weight for all (kept). They drop their targets, delays and weights and read them
    back, in their order, when next asked for (:func:`restore`): the blocks then cost 6 bytes
    per synapse in float32 and 2 more for each synapse's place in its row, instead of 6 more
    than the projections' 10."""
    key = {j.index: (id(j.pre), id(j.post_population), int(pj_rec[j.index])) for j in projs}
    shared = Counter(key[i] for i in chosen)
    return {j.index for j in projs if j.index in chosen and shared[key[j.index]] == 1
            and j._restore is None
            and (j._weight.shape[0] == 1 or j._weight.dtype == np.dtype(dtype))}


def restore(arr: Arrival, plane: int, post_dtype, delay_dtype, j) -> tuple:
    """Projection ``j``'s ``(post, weight, delay)`` read back from the blocks of ``arr``
    (:func:`build`; ``plane``: its ring plane), each synapse at its place."""
    indptr = j._csr[0]
    m = int(indptr[-1])
    out = (np.empty(m, post_dtype), np.empty(m, arr.weights.dtype), np.empty(m, delay_dtype))
    threads = max(1, min(numba.get_num_threads(), indptr.shape[0] - 1))
    bad = np.zeros(threads, np.int64)
    arrival_gather(j.pre.first, j.post_population.first, j.post_population.size, plane, indptr,
                   arr.bounds, arr.n_rec, arr.off, arr.targets, arr.weights, arr.slots, *out,
                   bad, threads)
    if bad.any():
        raise RuntimeError(f"the blocks of delivery at arrival do not hold the synapses of "
                           f"{j!r} alone ({int(bad.sum())} rows differ); please report this")
    return out
