"""What limits the full-scale microcircuit's loop: a bare spike-delivery loop at its sizes.

Issue 17 asks where the time goes and what the limit is. spikesim's full-scale
Potjans-Diesmann loop costs about 19 ns per synaptic event on one thread
(benchmarks/README.md). This script times delivery alone, with nothing else in the loop,
at the microcircuit's sizes, so the engine's cost can be set against a floor:

- 77,169 target neurons, two receptor planes (``--planes 1``: one), a ring of ``--slots``
  steps (float32);
- ``--rows`` presynaptic rows of 3,873 synapses each (the model's mean out-degree:
  298,880,968 / 77,169), targets uniform over all neurons, float32 weights, uint16
  delays drawn as PD14 draws them (Potjans & Diesmann 2014, Table 5: excitatory
  1.5 +- 0.75 ms, inhibitory 0.75 +- 0.375 ms, clipped below at dt = 0.1 ms), 80 % of the
  rows excitatory;
- ``--spikes`` random rows delivered per step (the model's ~3.5 Hz mean rate gives about
  27 per 0.1 ms step), each step's ring slot read and cleared as the neuron update does.

It times three orders of the synapses within each row with a plain loop: as drawn (how
spikesim stores them), sorted by target, and sorted by (delay, target); and the drawn order
through spikesim's own ``kernels.delivery.deliver_row``, which prefetches the ring cell
``DELIVERY_AHEAD`` synapses ahead. Same events, same sums; only the memory access pattern
differs. One thread, float32.

``--pieces K`` splits every row into K equal pieces (the engine's rows come in one piece per
projection and thread: 8 per spike and thread in the microcircuit) and times them through
``deliver_row`` piece by piece (``pieces_deliver_row``) and gathered into one event list
delivered in one prefetching pass (``pieces_gathered``: ``kernels.delivery.gather_row`` and
``deliver_events``, what the engine does).

    python benchmarks/microcircuit_delivery_bound.py --json benchmarks/results/microcircuit_delivery_bound.json
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import numba as nb
import numpy as np

from spikesim.kernels.delivery import deliver_events, deliver_row, gather_row

N = 77169
K = 3873


@nb.njit(cache=False, nogil=True)
def _consume(buf, s):
    """Read and clear ring slot ``s`` of every plane, as the neuron update does; their sum."""
    total = 0.0
    for r in range(buf.shape[0]):
        for i in range(buf.shape[2]):
            total += buf[r, s, i]
            buf[r, s, i] = 0.0
    return total


@nb.njit(cache=False, nogil=True)
def _run_pieces(indptr, post, weight, delay, rec, rows, buf, n_steps, spikes_per_step, pieces,
                gathered, addr, wv):
    """As :func:`_run` through spikesim's kernels, every row split into ``pieces`` pieces:
    ``deliver_row`` per piece, or (``gathered``) one event list per step."""
    mask = buf.shape[1] - 1
    n_slots, n = buf.shape[1], buf.shape[2]
    flat = buf.reshape(buf.size)
    checksum = 0.0
    k = 0
    for t in range(n_steps):
        s = t & mask
        checksum += _consume(buf, s)
        m = 0
        for _ in range(spikes_per_step):
            row = rows[k]
            k += 1
            a, b = indptr[row], indptr[row + 1]
            size = (b - a) // pieces
            for q in range(pieces):
                lo = a + q * size
                hi = b if q == pieces - 1 else lo + size
                if gathered:
                    m = gather_row(flat, n_slots, n, rec[row], lo, hi, 0, t, mask, post, weight,
                                   delay, addr, wv, m)
                else:
                    deliver_row(buf[rec[row]], lo, hi, 0, t, mask, post, weight, delay)
        deliver_events(flat, addr, wv, m)
    return checksum


@nb.njit(cache=False, nogil=True)
def _run(indptr, post, weight, delay, rec, rows, buf, n_steps, spikes_per_step, engine):
    """``n_steps`` steps: read and clear slot t (as the neuron update does), then deliver
    ``spikes_per_step`` rows with a plain loop, or with spikesim's ``deliver_row`` (``engine``)."""
    mask = buf.shape[1] - 1
    n = buf.shape[2]
    checksum = 0.0
    k = 0
    for t in range(n_steps):
        s = t & mask
        checksum += _consume(buf, s)
        for _ in range(spikes_per_step):
            row = rows[k]
            k += 1
            if engine:
                deliver_row(buf[rec[row]], indptr[row], indptr[row + 1], 0, t, mask, post, weight,
                            delay)
                continue
            q = rec[row]
            for j in range(indptr[row], indptr[row + 1]):
                buf[q, (t + delay[j]) & mask, post[j]] += weight[j]
    return checksum


def make_rows(n_rows: int, rng, dt_ms: float = 0.1):
    indptr = np.arange(n_rows + 1, dtype=np.int64) * K
    post = rng.integers(0, N, size=n_rows * K).astype(np.int32)
    exc = rng.random(n_rows) < 0.8
    mean = np.where(exc, 1.5, 0.75).repeat(K)
    d_ms = np.maximum(rng.normal(mean, mean / 2), dt_ms)
    delay = np.maximum(np.rint(d_ms / dt_ms), 1).astype(np.uint16)
    weight = rng.normal(87.8, 8.8, size=n_rows * K).astype(np.float32)
    return indptr, post, weight, delay, (~exc).astype(np.int64)


def reorder(indptr, post, weight, delay, key: str):
    """Each row's synapses in the order ``key`` ("drawn", "target", "delay_target")."""
    if key == "drawn":
        return post, weight, delay
    p, w, d = post.copy(), weight.copy(), delay.copy()
    for a, b in zip(indptr[:-1], indptr[1:]):
        o = np.argsort(post[a:b], kind="stable") if key == "target" else \
            np.lexsort((post[a:b], delay[a:b]))
        p[a:b], w[a:b], d[a:b] = post[a:b][o], weight[a:b][o], delay[a:b][o]
    return p, w, d


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=4000, help="distinct presynaptic rows (4000 x 3873 synapses = 155 MB)")
    ap.add_argument("--slots", type=int, default=256, help="ring slots (spikesim: 256 with Poisson drive, 64 without)")
    ap.add_argument("--planes", type=int, default=2, choices=(1, 2),
                    help="receptor planes of the ring: 2 (excitatory and inhibitory, as spikesim "
                         "stores them) or 1 (both summed into one plane, possible when the two "
                         "synaptic time constants are equal, as in PD14)")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--spikes", type=int, default=27, help="rows delivered per step")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pieces", type=int, default=8,
                    help="pieces per row for the pieces_* timings (the engine: one per "
                         "projection and thread)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    for name in ("rows", "slots", "steps", "spikes", "repeats", "pieces"):
        if getattr(a, name) < 1:
            raise SystemExit(f"--{name} must be at least 1, got {getattr(a, name)}")
    if a.slots & (a.slots - 1) or a.slots < 64:
        raise SystemExit(f"--slots must be a power of two >= 64 (delays reach ~55 steps), got {a.slots}")
    rng = np.random.default_rng(17)
    indptr, post, weight, delay, rec = make_rows(a.rows, rng)
    rows = rng.integers(0, a.rows, size=a.steps * a.spikes).astype(np.int64)
    events = a.steps * a.spikes * K
    buf = np.zeros((a.planes, a.slots, N), np.float32)
    if a.planes == 1:
        rec = np.zeros_like(rec)
    _run(indptr, post, weight, delay, rec, rows[:a.spikes], buf, 1, a.spikes, False)  # compile
    # the ring-clearing part alone: no spikes
    buf[:] = 0
    t0 = time.perf_counter()
    _run(indptr, post, weight, delay, rec, rows, buf, a.steps, 0, False)
    clear_s = time.perf_counter() - t0
    out = dict(neurons=N, synapses_per_row=K, rows=a.rows, slots=a.slots, planes=a.planes,
               steps=a.steps,
               spikes_per_step=a.spikes, events=events, ring_mb=buf.nbytes / 1e6,
               clear_s=clear_s, orders={}, command=" ".join(["python", *sys.argv]))
    sums = {}
    for key in ("drawn", "target", "delay_target", "drawn_deliver_row"):
        p, w, d = reorder(indptr, post, weight, delay, key.replace("_deliver_row", ""))
        best = None
        for _ in range(a.repeats):
            buf[:] = 0
            t0 = time.perf_counter()
            sums[key] = _run(indptr, p, w, d, rec, rows, buf, a.steps, a.spikes,
                             key == "drawn_deliver_row") + float(buf.sum())
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        out["orders"][key] = dict(best_s=best, ns_per_event=(best - clear_s) * 1e9 / events)
        print(f"{key:>13}: {best:.3f} s, {(best - clear_s) * 1e9 / events:.2f} ns per event "
              f"(ring {buf.nbytes / 1e6:.0f} MB, slot clearing {clear_s:.3f} s)")
    addr = np.zeros(1 << 15, np.int64)  # the engine's event-list length (runtime.EVENT_LIST)
    wv = np.zeros(1 << 15, np.float32)
    for gathered in (False, True):
        key = "pieces_gathered" if gathered else "pieces_deliver_row"
        _run_pieces(indptr, post, weight, delay, rec, rows[:a.spikes], buf, 1, a.spikes,
                    a.pieces, gathered, addr, wv)  # compile
        best = None
        for _ in range(a.repeats):
            buf[:] = 0
            t0 = time.perf_counter()
            sums[key] = _run_pieces(indptr, post, weight, delay, rec, rows, buf, a.steps,
                                    a.spikes, a.pieces, gathered, addr, wv) + float(buf.sum())
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        out["orders"][key] = dict(best_s=best, ns_per_event=(best - clear_s) * 1e9 / events,
                                  pieces=a.pieces)
        print(f"{key:>13}: {best:.3f} s, {(best - clear_s) * 1e9 / events:.2f} ns per event "
              f"({a.pieces} pieces per row)")
    ref = sums["drawn"]
    out["same_sums"] = all(abs(v - ref) <= 1e-4 * abs(ref) for v in sums.values())
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
