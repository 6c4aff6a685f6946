"""Where the time of the CUBA loop goes, and how far it is from the memory limit (issue 17).

For the CUBA network (float32, spikesim's defaults) at ``--neurons`` on ``--threads``:

- **neuron update**: the same network with the threshold out of reach (no spike, no
  synaptic event): loop time / (neurons x steps);
- **synaptic event**: (loop of the network - loop without spikes) / delivered synaptic
  events (spikes x their out-degree); this includes the per-spike bookkeeping (scan,
  record, row lookup), shared out over the events;
- **spike without synapses**: the network with no synapses (every neuron then fires on its
  own: CUBA's resting potential lies above threshold) against the same held silent, per
  spike: what a spike costs before any synaptic event;
- **bytes per step**: what the loop must move at least: each neuron's state rows read
  and written, the ring-buffer slot read and cleared (not when spikes are delivered into
  the state, ``spikesim.kernels.direct``: ``direct`` in the output), and per synaptic event
  the target index (4 B), weight (4 B), delay (2 B) and a read-modify-write of the ring or
  state (8 B);
- **copy bandwidth**: ``numpy.copyto`` of a 256 MB float32 array (read + write, main
  memory) and of an array of one step's working set (mostly cache-resident), best of 5;
  the memory-bound limit of a step is bytes per step / bandwidth.

Usage::

    python benchmarks/profile_cuba.py --neurons 80000 --threads 1 --json benchmarks/results/profile_cuba_80000_t1.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def copy_bandwidth(mb: int = 256, repeats: int = 5) -> float:
    """Bytes per second moved by a large array copy (read + write counted)."""
    a = np.ones(mb * (1 << 20) // 4, np.float32)
    b = np.empty_like(a)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return 2 * a.nbytes / best


def copy_bandwidth_small(nbytes: int, repeats: int = 5) -> float:
    """Bytes per second of copying an array of ``nbytes`` (cache-resident when it fits)."""
    a = np.ones(max(nbytes // 8, 1024), np.float32)
    b = np.empty_like(a)
    inner = max(1, (256 << 20) // a.nbytes)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            np.copyto(b, a)
        best = min(best, (time.perf_counter() - t0) / inner)
    return 2 * a.nbytes / best


def timed_run(n: int, threads: int, duration_ms: float, silent: bool, seed: int = 1,
              synapses_per_neuron: float = 80.0):
    from spikesim.examples import cuba

    net, recs = cuba(n, synapses_per_neuron, seed=seed, threads=threads, record=True)
    if silent:
        for pop in net.populations:
            pop.set(v_thresh=1e6)
    net.run(20.0, progress=False)  # compile or load, warm up
    s0 = sum(len(r.spikes) for r in recs)  # every population (excitatory and inhibitory)
    t0 = time.perf_counter()
    net.run(duration_ms, progress=False)
    loop = time.perf_counter() - t0
    spikes = sum(len(r.spikes) for r in recs) - s0
    n_syn = sum(p.n_synapses for p in net.projections)
    st = net._state
    return dict(loop_s=loop, spikes=int(spikes), synapses=int(n_syn),
                state_rows=int(st.S.shape[0]), state_bytes=int(st.S.itemsize),
                steps=int(round(duration_ms / net.dt)), parts=int(net._runtime.n_parts),
                direct=net._runtime.direct is not None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neurons", type=int, default=80000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    n = args.neurons
    full = timed_run(n, args.threads, args.duration_ms, silent=False)
    bare = timed_run(n, args.threads, args.duration_ms, silent=True)
    assert bare["spikes"] == 0
    # no synapses at all: CUBA's resting potential (-49 mV) lies above threshold (-50 mV), so
    # every neuron fires on its own; against the same network held silent this gives the cost
    # of a spike without any synaptic event (threshold, reset, record, row lookups)
    tonic = timed_run(n, args.threads, args.duration_ms, silent=False, synapses_per_neuron=0.0)
    quiet = timed_run(n, args.threads, args.duration_ms, silent=True, synapses_per_neuron=0.0)
    ns_spike = 1e9 * max(tonic["loop_s"] - quiet["loop_s"], 0.0) / max(tonic["spikes"], 1)
    steps = full["steps"]
    events = full["spikes"] * full["synapses"] / n  # mean out-degree x spikes
    ns_neuron = 1e9 * bare["loop_s"] / (n * steps)
    ns_event = 1e9 * max(full["loop_s"] - bare["loop_s"], 0.0) / max(events, 1.0)
    state = 2 * full["state_rows"] * full["state_bytes"] * n  # read + write per step
    # two receptors: read + clear; none when spikes are delivered into the state
    # (spikesim.kernels.direct), whose events then add into the state instead
    ring = 0 if full["direct"] else 2 * 2 * full["state_bytes"] * n
    per_event = 4 + 4 + 2 + 8
    bytes_step = state + ring + per_event * events / steps
    bw = copy_bandwidth()
    bw_cache = copy_bandwidth_small(int(bytes_step))
    limit = bytes_step / bw
    res = dict(benchmark="profile_cuba", neurons=n, threads=args.threads, precision="float32",
               duration_ms=args.duration_ms, full=full, no_synapses=bare,
               no_synapses_firing=tonic, no_synapses_silent=quiet,
               ns_per_spike_without_synapses=ns_spike,
               ns_per_neuron_update=ns_neuron, ns_per_synaptic_event=ns_event,
               synaptic_events=events, bytes_per_step=bytes_step,
               copy_bandwidth_GBps=bw / 1e9, memory_limit_s_per_step=limit,
               working_set_copy_bandwidth_GBps=bw_cache / 1e9,
               cache_limit_s_per_step=bytes_step / bw_cache,
               loop_s_per_step=full["loop_s"] / steps,
               fraction_of_memory_limit=limit / (full["loop_s"] / steps))
    print(f"CUBA {n} neurons, {args.threads} thread(s), float32, {args.duration_ms:g} ms"
          f"{', delivered into the state' if full['direct'] else ', ring buffer'}:")
    print(f"  loop {full['loop_s']:.3f} s with synapses, {bare['loop_s']:.3f} s without")
    print(f"  {ns_neuron:.2f} ns per neuron update, {ns_event:.2f} ns per synaptic event "
          f"({events:.3g} events)")
    print(f"  without synapses: {ns_spike:.0f} ns per spike ({tonic['spikes']} spikes, loop "
          f"{tonic['loop_s']:.3f} s firing, {quiet['loop_s']:.3f} s silent)")
    print(f"  {bytes_step / 1e6:.2f} MB per step at least; copy bandwidth {bw / 1e9:.1f} GB/s -> "
          f"memory-bound limit {1e6 * limit:.1f} us per step vs {1e6 * full['loop_s'] / steps:.1f} "
          f"us measured ({100 * res['fraction_of_memory_limit']:.0f} % of the limit)")
    print(f"  working-set copy bandwidth {bw_cache / 1e9:.1f} GB/s -> limit "
          f"{1e6 * bytes_step / bw_cache:.1f} us per step")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
