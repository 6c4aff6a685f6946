"""Whether the runtime delivers spikes straight into the synaptic state (:mod:`.kernels.direct`).

It does where the ring buffer holds nothing but the static projections' input of one delay
and the plastic projections' input at arrival: every static projection is without synapse
dynamics or convolution and has one delay, the same for all; no plastic projection has
dendritic delays (they deliver into later steps); there is no rewiring, lazily updated
rule, delivery at arrival, Poisson drive into the ring or fused receptors; and every
neuron model says into which state variable each receptor's input goes (``INPUT_STATE``),
the same for all models.
The spike history (steps up to the delay x spikes per step, 8 bytes each) must not outweigh
the ring beyond :data:`HISTORY_MAX_BYTES`. ``SPIKESIM_DIRECT=0`` in the environment keeps the
ring everywhere.
"""
from __future__ import annotations

import os

import numpy as np

from .kernels.direct import Direct

#: The spike history may take this much memory, or as much as the ring, if more
HISTORY_MAX_BYTES = 64 << 20


def build(rt, models, n_rec: int) -> Direct | None:
    """The :class:`~spikesim.kernels.direct.Direct` of runtime ``rt`` (after its arrays are
    built; ``models``: the engine's model modules, ``n_rec`` ring planes), or None."""
    if os.environ.get("SPIKESIM_DIRECT", "1") == "0":
        return None
    if (rt.rw is not None or rt.lazy is not None or rt.dyn is not None
            or rt.conv is not None or rt.at_arrival is not None or rt.drive is not None
            or rt.fused):
        return None
    plastic = np.zeros(0, np.int64)
    if rt.use_plastic:
        if (rt.pl.dendritic == 1).any():
            return None
        plastic = rt.pl.pj
    routed = np.unique(rt.pop_out_proj)
    if ((rt.pj_d[routed + 1] - rt.pj_d[routed]) != 1).any():  # a delay per synapse
        return None
    delays = {int(rt.delay[rt.pj_d[pj]]) for pj in routed}
    if len(delays) > 1:
        return None
    rows = np.full(n_rec, -1, np.int64)
    for m in models:
        into = getattr(m, "INPUT_STATE", None)
        if into is None:
            return None
        for q, var in enumerate(into):
            r = m.STATE.index(var)
            if rows[q] not in (-1, r):  # two models add this plane into different variables
                return None
            rows[q] = r
    if (rows[rt.pj_rec[np.concatenate([routed, plastic]).astype(np.int64)]] < 0).any():
        return None
    delay = delays.pop() if delays else 1
    depth = 1 << int(delay).bit_length()  # a power of two > delay
    if depth * rt.spikes.shape[0] * 8 > max(HISTORY_MAX_BYTES, rt.buf.nbytes):
        return None  # long delays in a large network: the history would outweigh the ring
    return Direct(delay=np.array([delay], np.int64), rows=np.maximum(rows, 0),
                  hist=np.zeros((depth, rt.spikes.shape[0]), np.int64),
                  hist_n=np.zeros(depth, np.int64), hist_t=np.full(depth, -1, np.int64),
                  # the ring may hold input added before (a saved network's; settle): read
                  # it until every slot has been read once
                  ring_until=np.array([rt.net.step + rt.buf.shape[1]], np.int64))


def settle(rt) -> None:
    """Add the input of the spikes still to be delivered into the ring, as delivery at
    emission would have, and read the ring for the steps it reaches (the history is
    emptied). Before anything reads the ring or changes the network."""
    d = rt.direct
    if d is None or rt.buf is None or not (d.hist_t >= 0).any():
        return
    step, delay = rt.net.step, int(d.delay[0])
    for h in np.argsort(d.hist_t):
        s = int(d.hist_t[h])
        if s >= 0 and s + delay >= step:  # delivered after the update of step s + delay
            rt.engine.deliver_spikes(
                np.int64(s), d.hist[h], np.int64(d.hist_n[h]), np.int64(0), rt.slot_mask,
                rt.buf, rt.neuron_pop, rt.pop_out_ptr, rt.pop_out_proj, rt.pj_pre_lo,
                rt.pj_post_lo, rt.pj_rec, rt.pj_row_off, rt.pj_syn, rt.pj_w, rt.pj_d, rt.cut_one,
                rt.post, rt.weight, rt.delay, None, None, rt.ev_addr, rt.ev_w)
    d.hist_t[:] = -1
    d.hist_n[:] = 0
    d.ring_until[0] = max(int(d.ring_until[0]), step + delay)


def grow(d: Direct | None, width: int) -> Direct | None:
    """``d`` with room for ``width`` spikes per step in its history."""
    if d is None or d.hist.shape[1] >= width:
        return d
    hist = np.zeros((d.hist.shape[0], width), np.int64)
    hist[:, :d.hist.shape[1]] = d.hist
    return d._replace(hist=hist)
