"""Delivery at arrival time against delivery at emission, on the full-scale microcircuit.

The engine delivers a spike when it is emitted: each synapse adds its weight into ring slot
``(t + delay) & mask`` of its target. With the microcircuit's delays (1 to 59 steps) one
step's events land in about 60 slots x 77,169 neurons (18 MB), so every addition misses the
2 MB second-level cache (``microcircuit_replay.py``: about 5 ns per event).

Delivered at arrival instead, every event of a step lands in the one slot the neuron update
reads next (77,169 floats, 0.3 MB, in the second-level cache). For that, each source
neuron's synapses are copied into one block per (source, part of the targets), sorted by
delay; before the update of step ``t`` the pieces of delay ``d`` of the spikes emitted in
step ``t - d`` are added, ``d`` from the longest delay down to 1. Every cell then receives
its inputs in the same order as at emission (earlier spikes first; within a spike, the
projections and synapses in storage order), so the sums are bit-identical; the checksums
below must agree to the last digit.

This script builds the model (:func:`spikesim.examples.microcircuit`, one thread, float32),
runs ``--warmup-ms`` and ``--record-ms``, and replays the recorded spikes through:

- ``emission``: the engine's own delivery (``microcircuit_replay._replay``);
- ``arrival``: the runtime's own delivery at arrival (:mod:`spikesim.kernels.arrival`, blocks
  built by :func:`spikesim.arrival_runtime.build`): parts of at most 65,536 neurons, targets
  as uint16 offsets from the part's first neuron (6 bytes per synapse);
- ``arrival_whole``: the same with one part per thread whatever its size (int32 targets
  above 65,536 neurons, 8 bytes per synapse).

``--parts P`` splits the targets into ``P`` parts as ``P`` threads would (every part is
replayed in turn on one thread, so the times are CPU time summed over threads). The slot
clearing (the same loop without spikes) is subtracted from every figure.

    python benchmarks/microcircuit_arrival.py --parts 2 --json F
"""
from __future__ import annotations

import json
import sys
import time

import numba as nb
import numpy as np

from microcircuit_replay import (_count_events, _replay, recorded_spikes, replay_args,
                                 warmed_up_model)
from spikesim import arrival_runtime
from spikesim.kernels.arrival import arrive, push_history


@nb.njit(nogil=True)
def _replay_arrival(sp_ptr, ids, buf, arr, max_delay, spikes):
    """Steps ``0 .. n_steps + max_delay - 1``: add the events arriving at step ``t`` into
    ``buf``'s one slot (:func:`spikesim.kernels.arrival.arrive`, every part), read and clear
    it as the neuron update does, then keep step ``t``'s spikes in the history. Returns the
    sum of what was read."""
    n_steps = sp_ptr.shape[0] - 1
    inp = buf[0, 0]
    check = 0.0
    for t in range(n_steps + max_delay):
        for th in range(arr.groups.shape[0] - 1):
            arrive(t, th, arr, buf, 0)
        total = 0.0  # read and clear, as microcircuit_delivery_bound._consume does
        for i in range(inp.shape[0]):
            total += inp[i]
            inp[i] = 0.0
        check += total
        q0 = sp_ptr[min(t, n_steps)] if spikes else 0
        q1 = sp_ptr[min(t + 1, n_steps)] if spikes else 0
        push_history(t, ids[q0:q1], q1 - q0, arr.hist, arr.hist_n, arr.hist_t)
    return check


def _best(fn, repeats: int):
    """The shortest of ``repeats`` timed calls (after one untimed) and the last result."""
    best, out = np.inf, None
    fn()
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None) -> int:
    a = replay_args(argv, __doc__, record_ms=200.0, repeats=3, parts=2)
    net, info = warmed_up_model(a)
    t_start = net.t
    net.run(a.record_ms, progress=False)
    rt = net._runtime
    n_steps = int(round(a.record_ms / net.dt))
    sp_ptr, ids = recorded_spikes(net, info, t_start, n_steps)
    cut = rt.cut_one
    routing = (rt.neuron_pop, rt.pop_out_ptr, rt.pop_out_proj, rt.pj_pre_lo, rt.pj_post_lo,
               rt.pj_rec, rt.pj_row_off)
    events = int(_count_events(ids, rt.neuron_pop, rt.pop_out_ptr, rt.pop_out_proj,
                               rt.pj_pre_lo, rt.pj_row_off, cut))
    max_delay = int(rt.delay.max())
    n = rt.buf.shape[2]
    bounds = np.linspace(0, n, a.parts + 1).round().astype(np.int64)
    out = dict(scale=a.scale, warmup_ms=a.warmup_ms, record_ms=a.record_ms, parts=a.parts,
               spikes=int(ids.size), events=events, max_delay_steps=max_delay, replay={},
               command=" ".join(["python", *sys.argv]))

    def bounds2(offsets):
        return np.ascontiguousarray(np.stack([offsets[:-1], offsets[1:]], axis=1))

    args = routing + (bounds2(rt.pj_syn), bounds2(rt.pj_w), bounds2(rt.pj_d), cut, rt.post,
                      rt.weight, rt.delay)
    addr = np.zeros(1 << 15, rt.ev_addr.dtype)
    wv = np.zeros(1 << 15, rt.weight.dtype)
    buf = np.zeros_like(rt.buf)

    # the emission replay runs max_delay steps more without spikes, so that it reads every
    # event from the ring as the arrival replay does, in the same order
    ptr = np.concatenate([sp_ptr, np.full(max_delay, sp_ptr[-1])])
    none = np.zeros_like(ptr)

    def emission(p):
        buf[:] = 0
        return _replay(p, ids, buf, rt.slot_mask, *args, addr, wv, True)

    runs = {"emission": (_best(lambda: emission(none), a.repeats)[0], lambda: emission(ptr))}
    most = int(np.diff(sp_ptr).max(initial=1))
    one = np.zeros((rt.buf.shape[0], 1, n), rt.buf.dtype)  # the slot being read
    projs = net.projections
    # as the runtime stores them (parts of at most 65,536 neurons, uint16 targets), and
    # with one part per thread whatever its size (int32 targets above 65,536 neurons)
    for name, part_max in (("arrival", arrival_runtime.PART_MAX), ("arrival_whole", 1 << 40)):
        arrival_runtime.PART_MAX = part_max
        t0 = time.perf_counter()
        arr = arrival_runtime.build(projs, {j.index for j in projs}, net.populations, rt.pj_rec,
                                    n, bounds, rt.buf.shape[0], rt.buf.dtype, most)
        out[f"{name}_copy_s"] = time.perf_counter() - t0
        out[f"{name}_bytes"] = arrival_runtime.storage_bytes(arr)  # with the places
        out[f"{name}_target_dtype"] = str(arr.targets.dtype)

        def arrival(spikes, arr=arr):
            arr.hist_t[:] = -1
            return _replay_arrival(sp_ptr, ids, one, arr, max_delay, spikes)

        runs[name] = (_best(lambda f=arrival: f(False), a.repeats)[0], lambda f=arrival: f(True))
    for name, (clear_s, fn) in runs.items():
        best, check = _best(fn, a.repeats)
        ns = (best - clear_s) * 1e9 / max(events, 1)
        out["replay"][name] = dict(best_s=best, clearing_s=clear_s, ns_per_event=ns,
                                   checksum=check)
        print(f"{name:>12}: {best:.3f} s, {ns:.2f} ns per event (clearing {clear_s:.3f} s "
              f"subtracted; checksum {check!r})", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
