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
- ``arrival``: the blocks above, targets as int32;
- ``arrival_u16``: the same with targets as uint16 offsets from the part's first neuron
  (6 instead of 8 bytes per synapse; each part must hold at most 65,536 neurons).

``--parts P`` splits the targets into ``P`` parts as ``P`` threads would (every part is
replayed in turn on one thread, so the times are CPU time summed over threads). The slot
clearing (the same loop without spikes) is subtracted from every figure.

    python benchmarks/microcircuit_arrival.py --parts 2 --json F
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numba as nb
import numpy as np

from microcircuit_replay import _count_events, _replay, recorded_spikes
from spikesim.examples import microcircuit
from spikesim.kernels.prefetch import prefetch_read


@nb.njit
def _sweep(neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo, pj_post_lo, pj_row_off, pj_syn,
           pj_w, pj_d, cut, post, weight, delay, bounds, off, targets, weights):
    """Every synapse, each source's in the engine's order: with ``targets`` empty, count it
    into its piece ``off[j * n_parts + part, d]``; otherwise place it at ``off`` (advanced)."""
    n_parts = bounds.shape[0] - 1
    place = targets.shape[0] > 0
    for j in range(neuron_pop.shape[0]):
        p = neuron_pop[j]
        for o in range(pop_out_ptr[p], pop_out_ptr[p + 1]):
            pj = pop_out_proj[o]
            row = pj_row_off[pj] + (j - pj_pre_lo[pj])
            for k in range(cut[row, 0], cut[row, 1]):
                i = pj_post_lo[pj] + post[pj_syn[pj] + k]
                part = 0
                while i >= bounds[part + 1]:
                    part += 1
                b = j * n_parts + part
                d = delay[pj_d[pj] + k]
                if place:
                    m = off[b, d]
                    off[b, d] = m + 1
                    targets[m] = i - bounds[part]
                    weights[m] = weight[pj_w[pj] + k]
                else:
                    off[b, d] += 1


def _blocks(rt, cut, bounds, max_delay: int, target_dtype):
    """Each source's synapses per part of the targets, sorted by delay (stable).

    Piece ``(j, part, d)`` is ``off[j * n_parts + part, d]:off[j * n_parts + part, d + 1]``
    of the returned target (offset from ``bounds[part]``) and weight arrays."""
    n_parts = bounds.shape[0] - 1
    off = np.zeros((rt.neuron_pop.shape[0] * n_parts, max_delay + 2), np.int64)
    arrays = (rt.neuron_pop, rt.pop_out_ptr, rt.pop_out_proj, rt.pj_pre_lo, rt.pj_post_lo,
              rt.pj_row_off, rt.pj_syn, rt.pj_w, rt.pj_d, cut, rt.post, rt.weight, rt.delay,
              bounds)
    _sweep(*arrays, off, np.zeros(0, target_dtype), np.zeros(0, rt.weight.dtype))
    counts = off.ravel()
    start = np.zeros_like(counts)
    np.cumsum(counts[:-1], out=start[1:])
    total = int(counts.sum())
    targets = np.empty(total, target_dtype)
    weights = np.empty(total, rt.weight.dtype)
    fill = start.reshape(off.shape).copy()
    _sweep(*arrays, fill, targets, weights)
    return targets, weights, start.reshape(off.shape)


@nb.njit(nogil=True)
def _replay_arrival(sp_ptr, ids, inp, targets, weights, off, bounds, max_delay, spikes):
    """Steps ``0 .. n_steps + max_delay - 1``: before the update of step ``t`` add the pieces of
    delay ``d`` (longest first) of the spikes of step ``t - d`` into ``inp``; then read and
    clear ``inp`` as the update does. Returns the sum of what was read."""
    n_steps = sp_ptr.shape[0] - 1
    n_parts = bounds.shape[0] - 1
    check = 0.0
    for t in range(n_steps + max_delay):
        for part in range(n_parts):
            row = inp[bounds[part]:bounds[part + 1]]
            for d in range(max_delay, 0, -1):
                te = t - d
                if not spikes or te < 0 or te >= n_steps:
                    continue
                q0, q1 = sp_ptr[te], sp_ptr[te + 1]
                for q in range(q0, q1):
                    if q + 2 < q1:  # the piece two spikes ahead: its first lines
                        b2 = ids[q + 2] * n_parts + part
                        prefetch_read(targets, off[b2, d])
                        prefetch_read(weights, off[b2, d])
                        prefetch_read(targets, off[b2, d] + 16)
                        prefetch_read(weights, off[b2, d] + 16)
                    b = ids[q] * n_parts + part
                    for k in range(np.uint64(off[b, d]), np.uint64(off[b, d + 1])):
                        row[np.uint64(targets[k])] += weights[k]
        total = 0.0  # read and clear, as microcircuit_delivery_bound._consume does
        for i in range(inp.shape[0]):
            total += inp[i]
            inp[i] = 0.0
        check += total
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
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--warmup-ms", type=float, default=100.0)
    ap.add_argument("--record-ms", type=float, default=200.0)
    ap.add_argument("--parts", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=55)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    for name in ("scale", "record_ms", "parts", "repeats"):
        if not getattr(a, name) > 0:
            raise SystemExit(f"--{name.replace('_', '-')} must be positive, got {getattr(a, name)}")
    if a.warmup_ms < 0:
        raise SystemExit(f"--warmup-ms must be >= 0, got {a.warmup_ms}")
    net, info = microcircuit(scale=a.scale, seed=a.seed, threads=1)
    net.run(a.warmup_ms, progress=False)
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
    inp = np.zeros(n, rt.buf.dtype)
    for name, tdtype in (("arrival", np.int32), ("arrival_u16", np.uint16)):
        if tdtype == np.uint16 and np.diff(bounds).max() > 65536:
            continue
        t0 = time.perf_counter()
        blocks = _blocks(rt, cut, bounds, max_delay, tdtype)
        out[f"{name}_copy_s"] = time.perf_counter() - t0
        out[f"{name}_bytes"] = int(sum(x.nbytes for x in blocks))

        def arrival(spikes, blocks=blocks):
            return _replay_arrival(sp_ptr, ids, inp, *blocks, bounds, max_delay, spikes)

        runs[name] = (_best(lambda: arrival(False), a.repeats)[0], lambda f=arrival: f(True))
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
