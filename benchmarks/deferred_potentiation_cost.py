"""What deferring potentiation to the next presynaptic arrival might gain: a cost model, not a rule.

The plastic work of CUBA+STDP per simulated second (1 s = 10,000 steps, ``N`` excitatory neurons,
64 plastic synapses per row, random spikes at 5.5 Hz, delay one step, additive bounds), two ways:

- ``now`` (:func:`stdp_layout_cost.now`): as spikesim's kernels do it. Depression in row order (each visit reads the postsynaptic
  trace record, scattered); potentiation in column order at each postsynaptic spike (each visit
  reads the presynaptic trace record and read-modify-writes the weight, both scattered).
- ``deferred``: NEST's scheme. A synapse is potentiated for the postsynaptic spikes since its last
  presynaptic arrival when the next one arrives, in row order. Each visit reads the postsynaptic
  neuron's record, which holds its trace and its last spike steps in one cache line. There is no
  column pass.

The ``deferred`` loop only models the memory traffic and arithmetic. It keeps at most 5
postsynaptic spikes and takes the previous emission for the previous arrival, so its weights are
not the rule's. Run: ``python benchmarks/deferred_potentiation_cost.py [N]``.

Built in the engine (commit 8bff724 and a later variant), the scheme did not make CUBA+STDP 80k
faster: ~10 % less plastic work by cycle counters, lost to the pass that brings the weights up to
date at the end of a run. This model's random spikes and missing end-of-run pass overstate the
gain (``benchmarks/README.md``)."""
import sys, time
import numpy as np
from numba import njit
from spikesim.kernels.prefetch import prefetch_read
from stdp_layout_cost import decay, jump, now  # the present scheme, and its trace helpers

N = int(sys.argv[1]) if len(sys.argv) > 1 else 64000
deg, steps, rate = 64, 10000, 5.5e-4
rng = np.random.default_rng(1)
post = np.sort(rng.integers(0, N, (N, deg)), axis=1).ravel().astype(np.int32)
pre = np.repeat(np.arange(N), deg).astype(np.int32)
order = np.argsort(post, kind="stable")
ncp, ncs = pre[order].astype(np.int32), order.astype(np.int32)
col_ptr = np.zeros(N + 1, np.int64); np.cumsum(np.bincount(post, minlength=N), out=col_ptr[1:])
row_ptr = np.arange(N + 1, dtype=np.int64) * deg
spk = [np.flatnonzero(rng.random(N) < rate) for _ in range(steps)]
sp_ptr = np.zeros(steps + 1, np.int64); sp_ptr[1:] = np.cumsum([len(s) for s in spk])
sp = np.concatenate(spk).astype(np.int64)
AH = 16  # synapses prefetched ahead, as in the kernels


@njit
def deferred(w, isyn, pr, h, sp, sp_ptr, post, row_ptr):
    # pr[j]: [last, o1, n, t_0 .. t_4] (8 float64 = one cache line): the postsynaptic trace
    # and the steps of the last 5 spikes, newest first
    for s in range(1, sp_ptr.shape[0] - 1):
        for m in range(sp_ptr[s - 1], sp_ptr[s]):
            i = sp[m]
            a_prev = h[i, 0]  # the previous emission stands in for the previous arrival
            r_prev = h[i, 1]
            k0, k1 = row_ptr[i], row_ptr[i + 1]
            for k in range(k0, k1):
                if k + AH < k1:
                    prefetch_read(pr, post[k + AH])
                j = post[k]
                ww = w[k]
                if a_prev >= 0:
                    n = np.int64(pr[j, 2])
                    for q in range(min(n, 5)):
                        tp = pr[j, 3 + q]
                        if tp < a_prev:
                            break
                        ww = min(ww + 0.01 * r_prev * decay(np.int64(tp - a_prev)), 0.16)
                last = pr[j, 0]
                if last >= 0:
                    ww = max(ww - 0.0105 * pr[j, 1] * decay(s - np.int64(last)), 0.0)
                w[k] = ww
                isyn[j] += ww
        for m in range(sp_ptr[s], sp_ptr[s + 1]):
            j = sp[m]
            jump(pr, j, s)
            for q in range(4, 0, -1):
                pr[j, 3 + q] = pr[j, 2 + q]
            pr[j, 3] = s
            pr[j, 2] = min(pr[j, 2] + 1, 5)
        for m in range(sp_ptr[s], sp_ptr[s + 1]):
            i = sp[m]
            jump(h, i, s)


def fresh():
    po = np.zeros((N, 4)); po[:, 0] = -1
    pr = np.zeros((N, 8)); pr[:, 0] = -1
    h = np.zeros((N, 4)); h[:, 0] = -1
    return np.full(post.size, 0.08, np.float32), np.zeros(N, np.float32), po, pr, h


w, isyn, po, pr, h = fresh()
now(w, isyn, po, h, sp[:10], sp_ptr[:3], post, row_ptr, ncp, ncs, col_ptr)
deferred(w, isyn, pr, h, sp[:10], sp_ptr[:3], post, row_ptr)
for rep in range(3):
    w, isyn, po, pr, h = fresh()
    t0 = time.perf_counter(); now(w, isyn, po, h, sp, sp_ptr, post, row_ptr, ncp, ncs, col_ptr)
    a = time.perf_counter() - t0
    w, isyn, po, pr, h = fresh()
    t0 = time.perf_counter(); deferred(w, isyn, pr, h, sp, sp_ptr, post, row_ptr)
    b = time.perf_counter() - t0
    print("N %d: now %.3f s, deferred %.3f s (%.2fx)" % (N, a, b, a / b))
