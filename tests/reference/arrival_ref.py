"""NumPy twin of :mod:`spikesim.kernels.arrival`, written from the synapse table itself.

It never builds the blocks: each synapse is a row of a table in the engine's order (source,
then its outgoing projections, then row order), and the inputs arriving at step ``t`` are
added one synapse at a time, spikes of step ``t - d`` bringing their synapses of delay
``d``, ``d`` from the longest delay down to 1."""
import numpy as np


def synapse_table(sel, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo, pj_post_lo, pj_rec,
                  pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay):
    """Per source id: a list of ``(plane, target, delay, weight)`` in the engine's order."""
    table = {}
    for j in range(neuron_pop.shape[0]):
        rows = []
        p = neuron_pop[j]
        for pj in pop_out_proj[pop_out_ptr[p]:pop_out_ptr[p + 1]]:
            if not sel[pj]:
                continue
            row = pj_row_off[pj] + (j - pj_pre_lo[pj])
            for k in range(cut[row, 0], cut[row, -1]):
                w = weight[pj_w[pj]] if pj_w[pj + 1] - pj_w[pj] == 1 else weight[pj_w[pj] + k]
                rows.append((int(pj_rec[pj]), int(pj_post_lo[pj] + post[pj_syn[pj] + k]),
                             int(delay[pj_d[pj] + k]), w))
        table[j] = rows
    return table


def deliver_arrivals(t, lo, hi, ring, slot_mask, table, spikes_by_step, max_delay):
    """Add into ``ring[r, t & slot_mask, lo:hi]`` what arrives at step ``t`` (``ring`` 3-D)."""
    for d in range(max_delay, 0, -1):
        for j in spikes_by_step.get(t - d, ()):
            for r, i, dd, w in table[j]:
                if dd == d and lo <= i < hi:
                    ring[r, t & slot_mask, i] += w
