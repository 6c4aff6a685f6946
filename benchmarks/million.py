"""1,000,000 CUBA neurons with 100 synapses each: build + 1 s of biological time.

Target (issue 2): under 60 s wall time in total, within 4 GB peak memory.

    python benchmarks/million.py [--neurons 1000000] [--synapses 100] [--json out.json]
"""
import argparse
import json
import resource
import time

from spikesim.examples import cuba


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--neurons", type=int, default=1_000_000)
    ap.add_argument("--synapses", type=float, default=100.0)
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    t0 = time.perf_counter()
    net, recs = cuba(a.neurons, synapses_per_neuron=a.synapses, seed=1)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    net.run(0.1, progress=False)
    t_first = time.perf_counter() - t1
    t2 = time.perf_counter()
    net.run(a.duration_ms - 0.1)
    t_loop = time.perf_counter() - t2
    total = time.perf_counter() - t0
    n_syn = sum(p.n_synapses for p in net.projections)
    out = dict(neurons=net.n_neurons, synapses=n_syn, build_s=t_build, first_step_s=t_first,
               loop_s=t_loop, total_s=total, spikes=sum(len(r.spikes) for r in recs),
               threads=net._runtime.n_parts,
               bytes_per_synapse=sum(p.nbytes for p in net.projections) / n_syn,
               peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    out["mean_rate_hz"] = out["spikes"] / net.n_neurons / (net.t / 1000)
    for k, v in out.items():
        print(f"{k:>18}: {v:.3f}" if isinstance(v, float) else f"{k:>18}: {v}")
    print(f"target: total < 60 s -> {'met' if total < 60 else 'MISSED'}; "
          f"peak memory < 4 GB -> {'met' if out['peak_rss_gb'] < 4 else 'MISSED'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
