"""The simulation loop: neuron updates, spike collection and event-driven delivery.

One call advances the whole network by up to ``n_steps`` steps. Per step ``t``:

1. every neuron segment is updated (:mod:`.neurons`), reading and clearing
   ring-buffer slot ``t & slot_mask`` (the ring has as many slots as the
   longest delay, rounded up to a power of two: a spike delivered in step
   ``t`` with the longest delay reuses the slot just cleared);
2. spikes of the step are gathered: neurons in index order, then spike-source
   events scheduled for step ``t``;
3. each spike is counted, recorded if its neuron is recorded, and delivered:
   it walks only its own CSR row of every projection leaving its population
   and adds the weight into slot ``(t + delay) & slot_mask`` of the target's
   receptor buffer;
4. state recorders due at this step sample ``v`` or a synaptic variable.

Where every projection has one delay, the same for all (:mod:`.direct`), the update reads
no ring slot: right after it, the spikes of step ``t - delay`` are added straight into the
synaptic state, and step 3 only keeps the step's spikes for that.

A spike emitted in step ``t`` is stamped at time ``(t + 1) * dt`` (end of
the step, as NEST does). With delay ``d`` steps it is added to the synaptic
state during step ``t + d``, after the membrane has been propagated, so it
first moves ``v`` in step ``t + d + 1`` (NEST semantics).

:func:`run_chunk_parallel` does the same with the neurons split into
contiguous parts, one per thread: each thread updates its own neurons and
delivers only into its own targets (rows are pre-split with
:func:`.connectivity.row_cuts`), delivering step ``t``'s spikes at the start
of step ``t + 1``'s region so that each step costs one synchronisation.
Every target still receives its inputs in the same order, so the result is
bit-identical to :func:`run_chunk`.
"""
from collections import namedtuple

import numpy as np
from numba import prange

from ._config import jit
from .arrival import arrive, push_history
from .convolution import deliver_conv
from .delivery import add_row_at, deliver_events, gather_row, prefetch_rows
from .direct import deliver_direct, prefetch_direct, push_spikes
from .lazy_rules import lazy_step
from .rewiring import rewire_step

PARALLEL = dict(prange=True, fusion=False, comprehension=False, reduction=False,
                inplace_binop=False, setitem=False, numpy=False, stencil=False)


def driver(fn=None, parallel=False, inline=False):
    """Mark a loop driver: a template that :mod:`.codegen` copies into each generated engine.

    The drivers call ``update_range``, which exists only in a generated engine
    (it dispatches to the network's neuron models), so they are not compiled here.
    ``inline``: a piece of the drivers, inlined into them (``inline="always"``).
    """
    def mark(f):
        f.__spikesim_driver__ = "parallel" if parallel else "inline" if inline else "serial"
        return f

    return mark(fn) if fn is not None else mark

# Argument groups shared by both drivers (documented once here):
#   state:   S (float, (n_vars, N): state variable rows, v first), ref (int16 refractory
#            countdown), buf (float, (n_receptors, n_slots, N))
#   neurons: seg_lo, seg_hi, seg_kind (the model's position in the generated engine, -1 for
#            sources), seg_het, seg_par (n_seg, n_cols), het (n_cols, N) or None when no
#            population has per-neuron parameters
#   routing: neuron_pop (int32, N), pop_out_ptr, pop_out_proj
#   synapses: pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d,
#             indptr, post, weight, delay  (projection pj owns post[pj_syn[pj]:pj_syn[pj+1]],
#             weight[pj_w[pj]:pj_w[pj+1]] (length 1 if uniform), delay[pj_d[pj]:...],
#             and rows indptr[pj_row_off[pj]:] counted from its own first synapse)
#   events:  ev_addr (int32; int64 for rings of 2**31 cells or more), ev_w (weight dtype),
#            (n_parts, length): each thread's list of its step's static synaptic events
#            (kernels.delivery.gather_row), any length >= 1
#   sources: ev_step, ev_id (sorted by step), ev_pos
#   records: rec_mask, rec_max_per_step, spk_step, spk_id, n_spk, counts (n_steps, n_pop),
#            sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out


@jit
def _scan_words(fired, fired_words, w0, w1, lo, out, n_out):
    """:func:`scan_fired` for words ``w0:w1``."""
    for w in range(w0, w1):
        if fired_words[w] != 0:
            for b in range(w * 8, w * 8 + 8):
                if fired[b]:
                    out[n_out] = lo + b
                    n_out += 1
    return n_out


#: Words of ``fired`` that :func:`scan_fired` tests at once (their OR)
SCAN_WORDS = 16


@jit
def scan_fired(fired, fired_words, n, lo, out, n_out):
    """Append ``lo + b`` to ``out`` for every ``fired[b]`` set in ``fired[:n]``.

    ``fired_words`` is a uint64 view of ``fired``; groups of :data:`SCAN_WORDS` words (128
    neurons) that are all zero are skipped, then single zero words (eight silent neurons).
    Bytes ``n..`` of the last word are cleared first, so stale flags from a longer segment
    never count. Testing 16 words at once (an OR the CPU does in vector registers) scanned
    a block of 8,192 flags with four set in 160 instead of 300-340 ns.
    """
    tail = (n + 7) & ~7
    for b in range(n, tail):
        fired[b] = False
    nw = tail >> 3
    full = nw - nw % SCAN_WORDS
    for g in range(0, full, SCAN_WORDS):
        x = np.uint64(0)
        group = fired_words[g:g + SCAN_WORDS]
        for w in range(SCAN_WORDS):
            x |= group[w]
        if x != 0:
            n_out = _scan_words(fired, fired_words, g, g + SCAN_WORDS, lo, out, n_out)
    return _scan_words(fired, fired_words, full, nw, lo, out, n_out)


BLOCK = 8192  # neurons per update block; ``fired`` must hold at least BLOCK + 8 flags


#: Steps between two flushes of subnormal state values (a power of two; see flush_subnormal)
FLUSH_EVERY = 64


@jit
def flush_subnormal(t, S, a, b):
    """After every ``FLUSH_EVERY``-th step ``t``, set the subnormal state values of neurons
    ``a:b`` to 0.

    A current or conductance that decays without input falls below the dtype's smallest
    normal number (1.2e-38 in float32, 2.2e-308 in float64) after about 0.44 s (float32)
    or 3.5 s (float64) at tau 5 ms and dt 0.1 ms, and round-to-nearest then holds it
    there: x86 CPUs compute with such values about ten times slower, so a silent
    population would slow every later step. Brian2 avoids this by compiling with
    ``-ffast-math`` (the CPU's flush-to-zero mode); here the values are cleared
    explicitly, which leaves every normal number and NaN unchanged and does not depend
    on the thread count. A pass every 64 steps stayed within the run-to-run noise of CUBA
    20k's loop (benchmarks/README.md); checking every value at every step inside the
    update loops cost about 10 % of it.
    """
    if t & (FLUSH_EVERY - 1) != 0:
        return
    tiny = S.dtype.type(np.finfo(S.dtype).tiny)
    z = S.dtype.type(0)
    for x in range(S.shape[0]):
        row = S[x, a:b]
        for i in range(row.shape[0]):  # a select, not a branch: the loop vectorises
            v = row[i]
            row[i] = z if abs(v) < tiny else v


@jit
def take_events(t, ev_step, ev_id, ev_pos, spikes, ns):
    """Append the source events of step ``t`` to ``spikes``."""
    while ev_pos < ev_step.shape[0] and ev_step[ev_pos] <= t:
        spikes[ns] = ev_id[ev_pos]
        ns += 1
        ev_pos += 1
    return ev_pos, ns


@jit
def count_and_record(k, t, spikes, ns, neuron_pop, counts, rec_mask, spk_step, spk_id, n_spk):
    """Count spikes per population and append recorded ones to the spike record."""
    for q in range(ns):
        j = spikes[q]
        counts[k, neuron_pop[j]] += 1
        if rec_mask[j]:
            spk_step[n_spk] = t
            spk_id[n_spk] = j
            n_spk += 1
    return n_spk


@jit
def sample_state(t, S, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out):
    """Write one sample row of every state recorder due after step ``t``.

    Column ``c`` samples state row ``sv_var[c]`` of neuron ``sv_idx[c]``.
    """
    for r in range(sr_lo.shape[0]):
        if (t + 1) % sr_every[r] == 0:
            w = sr_ptr[r]
            for c in range(sr_lo[r], sr_hi[r]):
                sv_out[w] = S[sv_var[c], sv_idx[c]]
                w += 1
            sr_ptr[r] = w


@driver
def deliver_spikes(t, spikes, ns, part, slot_mask, buf, neuron_pop, pop_out_ptr, pop_out_proj,
                   pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d,
                   cut, post, weight, delay, dyn, conv, ev_addr, ev_w):
    """Deliver the step's spikes, the synapses ``cut[row, part]:cut[row, part + 1]`` of each row.

    A first pass asks for the lines of every row the step needs
    (:func:`.delivery.prefetch_rows`), so their cache misses overlap.
    ``dyn`` (a :class:`Dynamics`, or None when no projection has synapse
    dynamics: Numba then compiles the static path only) gives the projections
    whose spikes pass a synapse dynamic (``deliver_dynamic``, generated). ``conv``
    (a :class:`.convolution.Conv`, or None) gives the convolutional projections, whose
    rows are empty: their spikes go through :func:`.convolution.deliver_conv`.
    Static rows with a delay per synapse are gathered into the part's event list
    (``ev_addr[part]``, ``ev_w[part]``, :func:`.delivery.gather_row`) and delivered in order
    in one prefetching pass (:func:`.delivery.deliver_events`) before any other row (one
    delay: :func:`.delivery.add_row_at` at once; synapse dynamics; convolutions) and at the
    end, so every ring cell receives its inputs in the order of the spikes and projections.
    Rows with one delay index the concatenated ``post``, ``weight`` and ``delay`` at the
    projection's offsets rather than slicing them per spike (a slice is an array view whose
    reference count Numba changes atomically; CUBA's rows are short).
    """
    flat = buf.reshape(buf.size)
    n_slots = buf.shape[1]
    n = buf.shape[2]
    addr = ev_addr[part]
    wv = ev_w[part]
    m = 0
    prefetch_rows(spikes, ns, part, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo, pj_row_off,
                  pj_syn, pj_w, pj_d, cut, post, weight, delay)
    for q in range(ns):
        j = spikes[q]
        p = neuron_pop[j]
        for o in range(pop_out_ptr[p], pop_out_ptr[p + 1]):
            pj = pop_out_proj[o]
            row = pj_row_off[pj] + (j - pj_pre_lo[pj])
            if (conv is not None and conv.idx[pj] >= 0) or (dyn is not None and dyn.kind[pj] >= 0):
                deliver_events(flat, addr, wv, m)  # what came before first
                m = 0
            if conv is not None and conv.idx[pj] >= 0:
                c = conv.idx[pj]
                deliver_conv(buf[pj_rec[pj]], j - pj_pre_lo[pj], conv.geom[c],
                             conv.weight[conv.w_off[c]:conv.w_off[c + 1]], pj_post_lo[pj],
                             conv.bounds[part], conv.bounds[part + 1], t, slot_mask)
            elif dyn is not None and dyn.kind[pj] >= 0:
                deliver_dynamic(dyn, pj, buf[pj_rec[pj]], cut[row, part], cut[row, part + 1],
                                pj_post_lo[pj], t, slot_mask, post[pj_syn[pj]:pj_syn[pj + 1]],
                                weight[pj_w[pj]:pj_w[pj + 1]], delay[pj_d[pj]:pj_d[pj + 1]])
            elif pj_d[pj + 1] - pj_d[pj] == 1:
                # one delay: the row lands in one slot, whose cells the CPU finds on its own
                if m > 0:
                    deliver_events(flat, addr, wv, m)  # what came before first
                    m = 0
                add_row_at(flat, n_slots, n, pj_rec[pj], cut[row, part], cut[row, part + 1],
                           pj_post_lo[pj], t, slot_mask, post, pj_syn[pj], weight, pj_w[pj],
                           pj_w[pj + 1] - pj_w[pj], delay, pj_d[pj])
            else:
                m = gather_row(flat, n_slots, n, pj_rec[pj], cut[row, part], cut[row, part + 1],
                               pj_post_lo[pj], t, slot_mask, post[pj_syn[pj]:pj_syn[pj + 1]],
                               weight[pj_w[pj]:pj_w[pj + 1]], delay[pj_d[pj]:pj_d[pj + 1]],
                               addr, wv, m)
    deliver_events(flat, addr, wv, m)


# Synapse dynamics of the static projections (kernels.synapses), one entry per projection
# pj in ``kind`` / ``off`` and one column per dynamic synapse in the other arrays.
Dynamics = namedtuple("Dynamics", [
    "kind",   # int32 (n_proj,): position of the projection's dynamic in the engine, -1: none
    "off",    # int64 (n_proj,): column of the projection's synapse 0 in S, P and last
    "S",      # float64 (n_state, n_dyn): per-synapse state
    "P",      # float64 (n_par, n_dyn): per-synapse parameters
    "last",   # int64 (n_dyn,): end step (t + 1) of the last spike through the synapse, 0: none
    "dt",     # float64 (1,): the time step, ms
    "seed",   # uint64 (1,): seed of the counter-based random numbers
])


def deliver_dynamic(*args):
    """Deliver through synapse dynamics: generated per set of dynamics by :mod:`.codegen`."""
    raise RuntimeError("deliver_dynamic exists only in a generated engine")


def update_range(*args):
    """Update a range of neurons: generated per set of neuron models by :mod:`.codegen`."""
    raise RuntimeError("update_range exists only in a generated engine (spikesim.kernels.codegen)")


def update_range_dry(*args):
    """As ``update_range`` without reading the ring (:mod:`.direct`): generated."""
    raise RuntimeError("update_range_dry exists only in a generated engine")


@driver(inline=True)
def update_part(t, lo, hi, part, S, ref, buf, seg_lo, seg_hi, seg_kind, seg_het, seg_par, het,
                fired, spikes, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo, pj_post_lo,
                pj_rec, pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay, direct):
    """Update neurons ``lo:hi`` (thread ``part``'s) in step ``t``; return how many fired
    (their indices in ``spikes``).

    ``direct`` None: ``update_range``, which reads the ring's slot of step ``t`` (its slots
    are a power of two, as ``slot_mask = buf.shape[1] - 1`` in the drivers; 30 arguments at
    most: a call with more is compiled as ``f(*args)``, which Numba does not inline). Otherwise
    (:mod:`.direct`) the rows delivered after the update are asked for before it, the update
    reads no ring slot from step ``direct.ring_until`` on, and the spikes of step
    ``t - delay`` are then added into the part's targets.
    """
    zero = np.int64(0)
    slot = t & (buf.shape[1] - 1)
    if direct is None:
        return update_range(lo, hi, S, ref, buf, slot, seg_lo, seg_hi, seg_kind, seg_het,
                            seg_par, het, fired, spikes, zero)
    prefetch_direct(t, direct, part, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo,
                    pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay)
    if t < direct.ring_until[0]:  # the ring may still hold input added before
        ns = update_range(lo, hi, S, ref, buf, slot, seg_lo, seg_hi, seg_kind, seg_het,
                          seg_par, het, fired, spikes, zero)
    else:
        ns = update_range_dry(lo, hi, S, ref, buf, slot, seg_lo, seg_hi, seg_kind, seg_het,
                              seg_par, het, fired, spikes, zero)
    deliver_direct(t, direct, part, S, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo,
                   pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay)
    return ns


@driver(inline=True)
def pass_on(t, spikes, ns, slot_mask, buf, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo,
            pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay, dyn,
            conv, ev_addr, ev_w, lazy, direct):
    """The one-thread drivers' spikes of step ``t`` move on: sPyNNaker's lazily updated
    rules see them (``lazy``, or None), then they enter the spike history (:mod:`.direct`)
    or are delivered into the ring."""
    if lazy is not None:
        lazy_step(t, spikes, ns, lazy, weight)
    if direct is not None:
        push_spikes(t, spikes, ns, direct)
    else:
        deliver_spikes(t, spikes, ns, np.int64(0), slot_mask, buf, neuron_pop, pop_out_ptr,
                       pop_out_proj, pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w,
                       pj_d, cut, post, weight, delay, dyn, conv, ev_addr, ev_w)


@driver
def run_chunk(t0, n_steps, slot_mask, S, ref, buf,
              seg_lo, seg_hi, seg_kind, seg_het, seg_par, het,
              neuron_pop, pop_out_ptr, pop_out_proj,
              pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d,
              cut, post, weight, delay, dyn, conv, ev_addr, ev_w,
              ev_step, ev_id, ev_pos,
              rec_mask, rec_max_per_step, spk_step, spk_id, n_spk,
              counts, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out,
              fired, spikes, rw=None, lazy=None, arr=None, direct=None):
    """Advance the network from step ``t0`` by at most ``n_steps`` steps (one thread).

    ``cut`` has shape ``(n_rows, 2)``: the start and stop of every CSR row.
    Returns ``(steps_done, n_spk, ev_pos)``. The loop stops early, before a
    step, when the spike record could overflow (``n_spk + rec_max_per_step``
    exceeds its capacity); the caller drains the record and calls again.
    ``counts[k, p]`` receives the number of spikes of population ``p`` in
    step ``t0 + k``; ``sr_ptr`` is advanced in place. ``rw``: synaptic rewiring
    (:class:`.rewiring.Rewiring`, attempts at the end of each step) or None (not compiled).
    ``lazy``: sPyNNaker's lazily updated rules (:class:`.lazy_stdp.LazySTDP`; their synapses'
    weights are updated in ``weight`` before the step's spikes are delivered) or None.
    ``arr``: the projections delivered at arrival (:class:`.arrival.Arrival`; the events
    arriving at step ``t`` are added into its slot before the update) or None.
    ``direct``: delivery into the state (:class:`.direct.Direct`; after the update of step
    ``t`` the spikes of step ``t - delay`` are added into the state, and the update reads no
    ring slot from step ``direct.ring_until`` on) or None (ring buffer).
    """
    cap = spk_step.shape[0]
    n = S.shape[1]
    zero = np.int64(0)  # typed int64, not Literal[0]: one compiled version per callee for both drivers
    for k in range(n_steps):
        if n_spk + rec_max_per_step > cap:
            return k, n_spk, ev_pos
        t = t0 + k
        if arr is not None:
            for th in range(arr.groups.shape[0] - 1):
                arrive(t, th, arr, buf, slot_mask)
        ns = update_part(t, zero, n, zero, S, ref, buf, seg_lo, seg_hi, seg_kind, seg_het,
                         seg_par, het, fired, spikes, neuron_pop, pop_out_ptr, pop_out_proj,
                         pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d, cut,
                         post, weight, delay, direct)
        flush_subnormal(t, S, zero, n)
        ev_pos, ns = take_events(t, ev_step, ev_id, ev_pos, spikes, ns)
        n_spk = count_and_record(k, t, spikes, ns, neuron_pop, counts, rec_mask, spk_step,
                                 spk_id, n_spk)
        if arr is not None:
            push_history(t, spikes, ns, arr.hist, arr.hist_n, arr.hist_t)
        pass_on(t, spikes, ns, slot_mask, buf, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo,
                pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay,
                dyn, conv, ev_addr, ev_w, lazy, direct)
        if rw is not None:
            rewire_step(t, rw, spikes, ns, cut, post, weight, delay, pj_syn, pj_w, pj_d, weight,
                        weight, rw.slot_e, rw.slot_e)
        sample_state(t, S, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out)
    return n_steps, n_spk, ev_pos


@driver(parallel=True)
def run_chunk_parallel(t0, n_steps, slot_mask, S, ref, buf,
                       seg_lo, seg_hi, seg_kind, seg_het, seg_par, het,
                       neuron_pop, pop_out_ptr, pop_out_proj,
                       pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d,
                       cut, post, weight, delay, dyn, conv, ev_addr, ev_w,
                       ev_step, ev_id, ev_pos,
                       rec_mask, rec_max_per_step, spk_step, spk_id, n_spk,
                       counts, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out,
                       fired, spikes, bounds, part_spikes, part_n, arr=None, direct=None):
    """As :func:`run_chunk`, with neurons split at ``bounds`` into one part per thread.

    ``cut`` has shape ``(n_rows, n_parts + 1)`` (:func:`.connectivity.row_cuts`);
    ``fired`` has shape ``(n_parts, BLOCK + 8)``; ``part_spikes`` has
    shape ``(n_parts, largest part)`` and ``part_n`` length ``n_parts``.
    """
    cap = spk_step.shape[0]
    n_parts = bounds.shape[0] - 1
    zero = np.int64(0)  # as in run_chunk: int64 arguments, never Literal[0] or uint64
    ns = zero  # spikes of the previous step, delivered at the start of the next parallel region
    k = zero
    while True:
        t = t0 + k
        # the region after the last step (or before a step the spike record has no room
        # for) only delivers; a single parallel loop keeps the compiled code small
        last = k == n_steps or n_spk + rec_max_per_step > cap
        # each thread first delivers the previous step's spikes into its own targets,
        # then updates its own neurons (which read only its own ring-buffer slots)
        for pu in prange(n_parts):
            p = np.int64(pu)
            if direct is None:
                deliver_spikes(t - 1, spikes, ns, p, slot_mask, buf, neuron_pop, pop_out_ptr,
                               pop_out_proj, pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn,
                               pj_w, pj_d, cut, post, weight, delay, dyn, conv, ev_addr,
                               ev_w)
            if not last:
                if arr is not None:  # the events arriving now into the thread's targets
                    arrive(t, p, arr, buf, slot_mask)
                # with direct: into the thread's own targets, after their update
                part_n[p] = update_part(t, bounds[p], bounds[p + 1], p, S, ref, buf,
                                        seg_lo, seg_hi, seg_kind, seg_het, seg_par, het,
                                        fired[p], part_spikes[p], neuron_pop, pop_out_ptr,
                                        pop_out_proj, pj_pre_lo, pj_post_lo, pj_rec, pj_row_off,
                                        pj_syn, pj_w, pj_d, cut, post, weight, delay, direct)
                flush_subnormal(t, S, bounds[p], bounds[p + 1])
        if last:
            return k, n_spk, ev_pos
        ns = zero
        for p in range(n_parts):
            for q in range(part_n[p]):
                spikes[ns] = part_spikes[p, q]
                ns += 1
        ev_pos, ns = take_events(t, ev_step, ev_id, ev_pos, spikes, ns)
        n_spk = count_and_record(k, t, spikes, ns, neuron_pop, counts, rec_mask, spk_step,
                                 spk_id, n_spk)
        if arr is not None:
            push_history(t, spikes, ns, arr.hist, arr.hist_n, arr.hist_t)
        if direct is not None:
            push_spikes(t, spikes, ns, direct)
        # delivery only writes ring slots, so sampling before it sees the same state
        sample_state(t, S, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out)
        k += 1
