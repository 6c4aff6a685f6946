"""Where the full-scale microcircuit's delivery time goes: its spikes replayed on its own arrays.

``microcircuit_delivery_bound.py`` times delivery on synthetic rows: one contiguous row
of 3,873 synapses per spike. In the model a spike's synapses lie in one piece per
outgoing projection (8 per source neuron, one per target population), each in its
projection's part of the runtime's concatenated ``post`` / ``weight`` / ``delay`` arrays
(3 GB at full scale, in main memory). This script builds the model
(:func:`spikesim.examples.microcircuit`, one thread, float32, fused receptors), runs
``--warmup-ms`` and then ``--record-ms`` of biological time, and replays the spikes
recorded in the second run through delivery alone, one thread, in the engine's order
(step by step: read and clear the step's ring slot, as the neuron update does; gather the
step's events with :func:`spikesim.kernels.delivery.gather_row`; add them with
:func:`~spikesim.kernels.delivery.deliver_events`; the same loop without spikes, i.e. the
slot clearing, is timed too and subtracted):

- ``engine``: the runtime's arrays, as the engine reads them;
- ``gather_only``: the same, the event list filled but never added into the ring (what
  reading the synapses and computing the ring addresses cost);
- ``source_major``: the same synapses copied so that each source neuron's pieces are
  contiguous (one block per neuron, its projections in the engine's order). Same events,
  same sums in the same order (the checksums agree), so only the memory layout differs.

It also times the model's own loop over ``--record-ms`` (split into the Poisson drive and
the kernel windows) and the same loop with every threshold out of reach (no spike: the
neuron update, the drive and the per-window costs), so that delivery and spikes cost
``kernel - silent kernel``.

    python benchmarks/microcircuit_replay.py --json benchmarks/results/microcircuit_replay.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numba as nb
import numpy as np

from microcircuit_delivery_bound import _consume  # read and clear a ring slot
from spikesim import arrival_runtime
from spikesim.examples import microcircuit
from spikesim.kernels.delivery import deliver_events, gather_row


@nb.njit(nogil=True)
def _replay(sp_ptr, sp_ids, buf, slot_mask, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo,
            pj_post_lo, pj_rec, pj_row_off, syn, wts, dls, cut, post, weight, delay, addr, wv,
            deliver):
    """The recorded spikes of step ``t`` are ``sp_ids[sp_ptr[t]:sp_ptr[t + 1]]`` (global ids).

    Projection ``pj``'s synapses are ``post[syn[pj, 0]:syn[pj, 1]]`` (likewise ``weight``
    with ``wts``, ``delay`` with ``dls``); row ``r`` is ``cut[r, 0]:cut[r, 1]`` of them."""
    flat = buf.reshape(buf.size)
    n_slots, n = buf.shape[1], buf.shape[2]
    check = 0.0
    for t in range(sp_ptr.shape[0] - 1):
        check += _consume(buf, t & slot_mask)
        m = 0
        for q in range(sp_ptr[t], sp_ptr[t + 1]):
            j = sp_ids[q]
            p = neuron_pop[j]
            for o in range(pop_out_ptr[p], pop_out_ptr[p + 1]):
                pj = pop_out_proj[o]
                row = pj_row_off[pj] + (j - pj_pre_lo[pj])
                if not deliver and m + cut[row, 1] - cut[row, 0] > addr.shape[0]:
                    check += wv[m - 1]
                    m = 0  # a full list is dropped, not delivered
                m = gather_row(flat, n_slots, n, pj_rec[pj], cut[row, 0], cut[row, 1],
                               pj_post_lo[pj], t, slot_mask, post[syn[pj, 0]:syn[pj, 1]],
                               weight[wts[pj, 0]:wts[pj, 1]], delay[dls[pj, 0]:dls[pj, 1]],
                               addr, wv, m)
        if deliver:
            deliver_events(flat, addr, wv, m)
        elif m:
            check += wv[m - 1]
    return check


@nb.njit
def _count_events(ids, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo, pj_row_off, cut):
    """The synaptic events the spikes ``ids`` (global) cause."""
    total = 0
    for j in ids:
        p = neuron_pop[j]
        for o in range(pop_out_ptr[p], pop_out_ptr[p + 1]):
            pj = pop_out_proj[o]
            row = pj_row_off[pj] + (j - pj_pre_lo[pj])
            total += cut[row, 1] - cut[row, 0]
    return total


@nb.njit
def _source_major(neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo, pj_row_off, pj_syn, pj_w,
                  pj_d, cut, post, weight, delay):
    """Copies of the synapses (one per synapse: per-synapse weights and delays) with each
    source neuron's rows contiguous, its projections in the engine's order; row ``r`` is
    ``new_cut[r, 0]:new_cut[r, 1]`` of the copies."""
    total = 0
    for r in range(cut.shape[0]):
        total += cut[r, 1] - cut[r, 0]
    P = np.empty(total, post.dtype)
    W = np.empty(total, weight.dtype)
    D = np.empty(total, delay.dtype)
    new_cut = np.empty_like(cut)
    m = 0
    for j in range(neuron_pop.shape[0]):
        p = neuron_pop[j]
        for o in range(pop_out_ptr[p], pop_out_ptr[p + 1]):
            pj = pop_out_proj[o]
            row = pj_row_off[pj] + (j - pj_pre_lo[pj])
            new_cut[row, 0] = m
            for k in range(cut[row, 0], cut[row, 1]):
                P[m] = post[pj_syn[pj] + k]
                W[m] = weight[pj_w[pj] + k]
                D[m] = delay[pj_d[pj] + k]
                m += 1
            new_cut[row, 1] = m
    return P, W, D, new_cut


def recorded_spikes(net, info: dict, t_start: float, n_steps: int):
    """The spikes the model's recorders hold after ``t_start`` (ms), by emission step.

    Returns ``(sp_ptr, ids)``: the global ids of the spikes emitted in step ``t`` (counted
    from ``t_start``) are ``ids[sp_ptr[t]:sp_ptr[t + 1]]``, in increasing order, as the
    engine delivers them."""
    ids, steps = [], []
    s0 = int(round(t_start / net.dt))
    for name, rec in info["recorders"].items():
        sp = rec.get("spikes")
        keep = sp.times > t_start + 1e-9
        ids.append(np.asarray(sp.senders)[keep] + info["populations"][name].first)
        steps.append(np.rint(sp.times[keep] / net.dt).astype(np.int64) - 1 - s0)  # emission step
    ids, steps = np.concatenate(ids), np.concatenate(steps)
    order = np.lexsort((ids, steps))
    ids, steps = ids[order], steps[order]
    return np.searchsorted(steps, np.arange(n_steps + 1)).astype(np.int64), ids


def _timed_loop(net, ms: float) -> dict:
    """``net.run(ms)`` with the time in the Poisson drive and in the kernel windows."""
    rt = net._runtime
    acc = {"drive_s": 0.0, "kernel_s": 0.0}
    drive, window = rt._drive_window, rt._run_window

    def timed(fn, key):
        def call(a, b):
            t0 = time.perf_counter()
            fn(a, b)
            acc[key] += time.perf_counter() - t0
        return call

    rt._drive_window, rt._run_window = timed(drive, "drive_s"), timed(window, "kernel_s")
    t0 = time.perf_counter()
    net.run(ms, progress=False)
    acc["loop_s"] = time.perf_counter() - t0
    rt._drive_window, rt._run_window = drive, window
    return acc


def replay_args(argv, doc: str, record_ms: float, repeats: int, parts: int | None = None):
    """The options of the replay scripts (``--parts`` too when ``parts`` gives its default);
    sizes must be positive and the warm-up at least 0."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--warmup-ms", type=float, default=100.0)
    ap.add_argument("--record-ms", type=float, default=record_ms)
    if parts is not None:
        ap.add_argument("--parts", type=int, default=parts)
    ap.add_argument("--repeats", type=int, default=repeats)
    ap.add_argument("--seed", type=int, default=55)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    for name in ("scale", "record_ms", "repeats") + (("parts",) if parts is not None else ()):
        if not getattr(a, name) > 0:
            raise SystemExit(f"--{name.replace('_', '-')} must be positive, got {getattr(a, name)}")
    if a.warmup_ms < 0:
        raise SystemExit(f"--warmup-ms must be >= 0, got {a.warmup_ms}")
    return a


def warmed_up_model(a):
    """The model of options ``a`` on one thread, delivering at emission (the engine these
    scripts replay), after ``--warmup-ms``: ``(net, info)``."""
    arrival_runtime.ARRIVAL_MIN_BYTES = 1 << 62
    net, info = microcircuit(scale=a.scale, seed=a.seed, threads=1)
    net.run(a.warmup_ms, progress=False)
    return net, info


def main(argv=None) -> int:
    a = replay_args(argv, __doc__, record_ms=300.0, repeats=2)
    out = dict(scale=a.scale, warmup_ms=a.warmup_ms, record_ms=a.record_ms, threads=1,
               command=" ".join(["python", *sys.argv]))
    net, info = warmed_up_model(a)
    t_start = net.t
    out["loop"] = _timed_loop(net, a.record_ms)
    rt = net._runtime
    n_steps = int(round(a.record_ms / net.dt))
    sp_ptr, ids = recorded_spikes(net, info, t_start, n_steps)
    cut = rt.cut_one
    events = int(_count_events(ids, rt.neuron_pop, rt.pop_out_ptr, rt.pop_out_proj,
                               rt.pj_pre_lo, rt.pj_row_off, cut))
    out.update(spikes=int(ids.size), events=events, steps=n_steps)

    routing = (rt.neuron_pop, rt.pop_out_ptr, rt.pop_out_proj, rt.pj_pre_lo, rt.pj_post_lo,
               rt.pj_rec, rt.pj_row_off)

    def bounds(offsets):  # (start, stop) per projection from its offsets
        return np.ascontiguousarray(np.stack([offsets[:-1], offsets[1:]], axis=1))

    args = routing + (bounds(rt.pj_syn), bounds(rt.pj_w), bounds(rt.pj_d), cut, rt.post,
                      rt.weight, rt.delay)
    addr = np.zeros(1 << 15, np.int64)  # the engine's event-list length
    wv = np.zeros(1 << 15, rt.weight.dtype)
    buf = np.zeros_like(rt.buf)
    t0 = time.perf_counter()
    P, W, D, sm_cut = _source_major(rt.neuron_pop, rt.pop_out_ptr, rt.pop_out_proj, rt.pj_pre_lo,
                                    rt.pj_row_off, rt.pj_syn, rt.pj_w, rt.pj_d, cut, rt.post,
                                    rt.weight, rt.delay)
    out["source_major_copy_s"] = time.perf_counter() - t0
    whole = np.zeros((len(rt.pj_row_off), 2), np.int64)
    whole[:, 1] = P.shape[0]  # every projection reads the whole copy, at sm_cut's positions
    sm_args = routing + (whole, whole, whole, sm_cut, P, W, D)
    runs = {
        "engine": lambda: _replay(sp_ptr, ids, buf, rt.slot_mask, *args, addr, wv, True),
        "gather_only": lambda: _replay(sp_ptr, ids, buf, rt.slot_mask, *args, addr, wv, False),
        "source_major": lambda: _replay(sp_ptr, ids, buf, rt.slot_mask, *sm_args, addr, wv,
                                        True),
    }
    none = np.zeros_like(sp_ptr)  # no spike: the slot clearing alone, subtracted below
    _replay(none, ids, buf, rt.slot_mask, *args, addr, wv, True)
    t0 = time.perf_counter()
    _replay(none, ids, buf, rt.slot_mask, *args, addr, wv, True)
    clear_s = out["slot_clearing_s"] = time.perf_counter() - t0
    out["replay"] = {}
    for name, fn in runs.items():
        best, check = np.inf, None
        for _ in range(a.repeats + 1):  # the first call compiles
            buf[:] = 0
            t0 = time.perf_counter()
            check = fn() + float(buf.sum())
            best = min(best, time.perf_counter() - t0)
        ns = (best - clear_s) * 1e9 / max(events, 1)
        out["replay"][name] = dict(best_s=best, ns_per_event=ns, checksum=check)
        print(f"{name:>13}: {best:.3f} s, {ns:.2f} ns per event (slot clearing {clear_s:.3f} s "
              f"subtracted; checksum {check:.6e})")
    del P, W, D, sm_args, runs
    for pop in info["populations"].values():
        pop.set(v_thresh=1e9)
    net.run(10.0, progress=False)  # what the change of parameters costs once, not timed
    out["silent_loop"] = _timed_loop(net, a.record_ms)
    lp, sl = out["loop"], out["silent_loop"]
    per_event = (lp["kernel_s"] - sl["kernel_s"]) * 1e9 / max(events, 1)
    out["kernel_minus_silent_ns_per_event"] = per_event
    print(f"model loop {lp['loop_s']:.3f} s (drive {lp['drive_s']:.3f}, "
          f"kernel {lp['kernel_s']:.3f}); silent {sl['loop_s']:.3f} s "
          f"(drive {sl['drive_s']:.3f}, kernel {sl['kernel_s']:.3f});"
          f" {out['spikes']} spikes, {events} events: "
          f"{per_event:.2f} ns per event in the model")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
