"""Would another memory layout make CUBA+STDP's plastic work cheaper? A cost model, not a rule.

The plastic work (excitatory-to-excitatory, additive pair STDP, delay one step) of the real
CUBA+STDP network of ``spikesim bench stdp`` is replayed from the spikes of a 1 s run of that
network (its synapses and spike trains, not random ones), two ways:

- ``now``: spikesim's layout. Weights in row order. An arrival depresses its row (each synapse
  reads its target's trace record, scattered); a postsynaptic spike potentiates its column
  (each synapse reads its presynaptic neuron's trace record and read-modify-writes its weight,
  both scattered): three scattered lines per pair of visits.
- ``record``: one 16-byte record per synapse in column order (weight, emission step of the
  last arrival, presynaptic trace just after it). An arrival depresses its row through an index
  into the records and writes the step and trace into each (the target's record and the
  synapse's, scattered); a postsynaptic spike then streams its column's records: two
  scattered lines per pair.

The weights of both are checked against each other. The loops model memory traffic and
arithmetic only (float32 records; the engine keeps traces in float64). Run::

    python benchmarks/stdp_layout_cost.py [N]    # N neurons (default 80000)
"""
import sys
import time

import numpy as np
from numba import njit

from spikesim.bench.cuba import SYNAPSES_PER_NEURON
from spikesim.examples import cuba
from spikesim.kernels.prefetch import prefetch, prefetch_read

AH = 16  # synapses prefetched ahead, as in the kernels
TAU_STEPS = 200.0  # tau_plus = tau_minus = 20 ms at dt = 0.1 ms
TAB = np.exp(-np.arange(4096) / TAU_STEPS)
A_PLUS, A_MINUS, W_MAX = 0.01, 0.0105, 0.16


@njit(inline="always")
def decay(k):
    """exp(-k dt / tau), from the table when it reaches that far."""
    return TAB[k] if k < 4096 else np.exp(-k / TAU_STEPS)


@njit(inline="always")
def jump(rec, j, s):
    """The all-to-all trace of record ``j`` (step, value) jumps by 1 at step ``s``."""
    last = rec[j, 0]
    rec[j, 1] = (rec[j, 1] * decay(s - np.int64(last)) if last >= 0 else 0.0) + 1.0
    rec[j, 0] = s


@njit
def now(w, isyn, po, h, sp, sp_ptr, post, indptr, ncp, ncs, col_ptr):
    for s in range(1, sp_ptr.shape[0] - 1):
        for m in range(sp_ptr[s - 1], sp_ptr[s]):  # arrivals of step s - 1's spikes
            i = sp[m]
            k0, k1 = indptr[i], indptr[i + 1]
            for k in range(k0, k1):
                if k + AH < k1:
                    prefetch_read(po, post[k + AH])
                j = post[k]
                last = po[j, 0]
                ww = w[k]
                if last >= 0:
                    ww = max(ww - A_MINUS * po[j, 1] * decay(s - np.int64(last)), 0.0)
                    w[k] = ww
                isyn[j] += ww
        for m in range(sp_ptr[s], sp_ptr[s + 1]):  # postsynaptic spikes of step s
            j = sp[m]
            e1 = col_ptr[j + 1]
            for e in range(col_ptr[j], e1):
                if e + AH < e1:
                    prefetch_read(h, ncp[e + AH])
                    prefetch(w, ncs[e + AH])
                i = ncp[e]
                te = h[i, 0]
                if te >= 0:
                    k = ncs[e]
                    w[k] = min(w[k] + A_PLUS * h[i, 1] * decay(s - 1 - np.int64(te)), W_MAX)
            jump(po, j, s)
        for m in range(sp_ptr[s], sp_ptr[s + 1]):
            jump(h, sp[m], s)


@njit
def record(cr, isyn, po, h, sp, sp_ptr, post, indptr, cpos, col_ptr):
    for s in range(1, sp_ptr.shape[0] - 1):
        for m in range(sp_ptr[s - 1], sp_ptr[s]):
            i = sp[m]
            x = h[i, 1]
            k0, k1 = indptr[i], indptr[i + 1]
            for k in range(k0, k1):
                if k + AH < k1:
                    prefetch_read(po, post[k + AH])
                    prefetch(cr, cpos[k + AH])
                j = post[k]
                c = cpos[k]
                last = po[j, 0]
                ww = cr[c, 0]
                if last >= 0:
                    ww = max(ww - A_MINUS * po[j, 1] * decay(s - np.int64(last)), 0.0)
                    cr[c, 0] = ww
                cr[c, 1] = s - 1
                cr[c, 2] = x
                isyn[j] += ww
        for m in range(sp_ptr[s], sp_ptr[s + 1]):
            j = sp[m]
            for c in range(col_ptr[j], col_ptr[j + 1]):
                te = cr[c, 1]
                if te >= 0:
                    cr[c, 0] = min(cr[c, 0] + A_PLUS * cr[c, 2] * decay(s - 1 - np.int64(te)),
                                   W_MAX)
            jump(po, j, s)
        for m in range(sp_ptr[s], sp_ptr[s + 1]):
            jump(h, sp[m], s)


def main(n: int) -> None:
    net, recs = cuba(n, synapses_per_neuron=SYNAPSES_PER_NEURON, seed=1, threads=1, stdp=True,
                     dtype="float32", record=True)
    net.run(1000.0, progress=False)
    proj = next(j for j in net.projections if j.plastic)
    ne = proj.pre.size
    post = np.ascontiguousarray(proj.post, dtype=np.int32)
    indptr = proj.indptr.astype(np.int64)
    spikes = recs[0].get("spikes")
    ids, steps = np.asarray(spikes.senders), np.rint(np.asarray(spikes.times) / net.dt).astype(np.int64)
    keep = ids < ne
    ids, steps = ids[keep], steps[keep] - steps[keep].min()
    order = np.lexsort((ids, steps))
    sp = ids[order].astype(np.int64)
    sp_ptr = np.searchsorted(steps[order], np.arange(int(steps.max()) + 3)).astype(np.int64)
    corder = np.argsort(post, kind="stable")
    col_ptr = np.zeros(ne + 1, np.int64)
    np.cumsum(np.bincount(post, minlength=ne), out=col_ptr[1:])
    ncp = np.repeat(np.arange(ne), np.diff(indptr)).astype(np.int32)[corder]
    ncs = corder.astype(np.int32)
    cpos = np.empty(post.shape[0], np.int32)
    cpos[corder] = np.arange(post.shape[0])
    print(f"{post.shape[0]:,} plastic synapses, {sp.shape[0]:,} excitatory spikes in 1 s")

    def traces():
        po = np.zeros((ne, 4))
        h = np.zeros((ne, 4))
        po[:, 0] = h[:, 0] = -1
        return po, h

    for _ in range(3):
        po, h = traces()
        w = np.full(post.shape[0], 0.08, np.float32)
        t0 = time.perf_counter()
        now(w, np.zeros(ne, np.float32), po, h, sp, sp_ptr, post, indptr, ncp, ncs, col_ptr)
        a = time.perf_counter() - t0
        po, h = traces()
        cr = np.zeros((post.shape[0], 4), np.float32)
        cr[:, 0], cr[:, 1] = 0.08, -1
        t0 = time.perf_counter()
        record(cr, np.zeros(ne, np.float32), po, h, sp, sp_ptr, post, indptr, cpos, col_ptr)
        b = time.perf_counter() - t0
        same = np.allclose(w, cr[cpos, 0], rtol=1e-4, atol=1e-6)
        print(f"now {a:.3f} s, record {b:.3f} s ({a / b:.2f}x); same weights: {same}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 80000)
