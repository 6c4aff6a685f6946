"""Delivery straight into the synaptic state variables, without the ring buffer.

Where every static projection of a network has one delay ``D`` (the same for all of them)
and every neuron model adds each receptor's input to one state variable as the last
operation of its step (the model's ``INPUT_STATE``; IF_curr_exp: ``isyn_exc``,
``isyn_inh``), the ring is not needed: after the neuron update of step ``t``, the spikes of
step ``t - D`` are added straight into those variables. That is where delivery at emission
would have put them, a step ``t`` input moving ``v`` first in step ``t + 1`` (NEST's order,
:mod:`.engine`). The update then neither reads nor clears a ring slot: for IF_curr_exp in
float32, 16 of the 45 bytes it moves per neuron and step.

Brian2 delivers so (``on_pre="ge += we"``). The ring adds the inputs a neuron receives in one
step together first and their sum to the current; here each is added to the current in
turn, so where two or more arrive together the result can differ in the last bit. The
additions follow delivery at emission's order (spikes in order, then projections, then
synapses), whatever the number of threads.

The spikes of the last steps wait in a history (as in :mod:`.arrival`: those of step ``s``
are ``hist[s & hmask, :hist_n[s & hmask]]`` when ``hist_t[s & hmask] == s``). Steps before
``ring_until`` still read the ring, which may hold input added before (a saved network's,
or spikes still to arrive when the network changed: ``spikesim.direct_runtime.settle``).
"""
from collections import namedtuple

import numpy as np

from ._config import jit
from .delivery import add_row_at, prefetch_rows

#: What the engine needs to deliver into the state (None: the ring buffer is used)
Direct = namedtuple("Direct", [
    "delay",       # int64 (1,): the network's one delay, steps (>= 1)
    "rows",        # int64 (n_rec,): the state row that each ring plane's input is added to
    "hist",        # int64 (2**k > delay, spikes per step): the last steps' spikes
    "hist_n",      # int64 (2**k,): their number
    "hist_t",      # int64 (2**k,): their step (-1: none)
    "ring_until",  # int64 (1,): the steps before it read the ring (it may hold input)
])


@jit
def _arriving(t, direct):
    """Row of the history holding the spikes of step ``t - delay`` (delivered after the
    update of step ``t``), or -1 when there are none."""
    s = t - direct.delay[0]
    h = s & (direct.hist_t.shape[0] - 1)
    return h if s >= 0 and direct.hist_t[h] == s else np.int64(-1)


@jit
def deliver_direct(t, direct, part, S, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo,
                   pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay):
    """After the update of step ``t``: add the rows of the spikes of step ``t - delay`` (the
    synapses ``cut[row, part]:cut[row, part + 1]``: thread ``part``'s targets) into the
    state rows ``direct.rows[plane]`` of their targets (:func:`.delivery.add_row_at` on the
    state instead of a ring slot)."""
    h = _arriving(t, direct)
    if h < 0:
        return
    n = S.shape[1]
    flat = S.reshape(S.size)
    zero = np.int64(0)
    for q in range(direct.hist_n[h]):
        j = direct.hist[h, q]
        p = neuron_pop[j]
        for o in range(pop_out_ptr[p], pop_out_ptr[p + 1]):
            pj = pop_out_proj[o]
            row = pj_row_off[pj] + (j - pj_pre_lo[pj])
            # one "slot" (n_slots 1, slot_mask 0): row r of S is plane r of add_row_at
            add_row_at(flat, 1, n, direct.rows[pj_rec[pj]], cut[row, part], cut[row, part + 1],
                       pj_post_lo[pj], zero, zero, post, pj_syn[pj], weight, pj_w[pj],
                       pj_w[pj + 1] - pj_w[pj], delay, pj_d[pj])


@jit
def prefetch_direct(t, direct, part, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo,
                    pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay):
    """Before the update of step ``t``: ask for the rows (thread ``part``'s part of them) that
    :func:`deliver_direct` adds after it, so that the update hides their cache misses."""
    h = _arriving(t, direct)
    if h >= 0:
        prefetch_rows(direct.hist[h], direct.hist_n[h], part, neuron_pop, pop_out_ptr,
                      pop_out_proj, pj_pre_lo, pj_row_off, pj_syn, pj_w, pj_d, cut, post,
                      weight, delay)


@jit
def push_spikes(t, spikes, ns, direct):
    """Keep the spikes of step ``t`` in the history (delivered ``delay`` steps later)."""
    h = t & (direct.hist_t.shape[0] - 1)
    for q in range(ns):
        direct.hist[h, q] = spikes[q]
    direct.hist_n[h] = ns
    direct.hist_t[h] = t
