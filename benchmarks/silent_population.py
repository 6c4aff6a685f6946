"""Time per window of a population that falls silent: the subnormal-number cliff.

One input spike reaches every neuron of an ``IF_curr_exp`` population at t = 1 ms; after it
nothing happens. The synaptic currents decay towards 0 and, without a flush, reach the
subnormal range (below 1.2e-38 in float32 after about 0.44 s at tau_syn 5 ms; below 2.2e-308 in
float64 after about 3.5 s), where round-to-nearest holds them and every update is several
times slower. spikesim clears subnormal state values every 64 steps
(``spikesim.kernels.engine.flush_subnormal``), so the windows should all take about the same
time. Run it from two installations (before / after a change) to compare, e.g.::

    python benchmarks/silent_population.py --neurons 100000 --dtype float32 --windows 8 \\
        --json results/silent_population_float32.json

Prints and writes the wall time of each window and the largest |isyn_exc| after it.
"""
import argparse
import json
import subprocess
import time

import numpy as np


def run(neurons: int, dtype: str, windows: int, window_ms: float, threads: int) -> dict:
    """Build the population, run ``windows`` windows of ``window_ms`` ms, time each."""
    import spikesim as ss

    net = ss.Network(dt=0.1, seed=1, dtype=dtype, threads=threads)
    pop = net.add_population(neurons, ss.IF_curr_exp())
    src = net.add_population(10, ss.SpikeSourceArray(spike_times=[1.0]))
    net.connect(src, pop, ss.AllToAll(), weight=0.1, delay=0.1)
    net.run(0.1, progress=False)  # compiles or loads the kernels
    out = []
    for _ in range(windows):
        t0 = time.perf_counter()
        net.run(window_ms, progress=False)
        wall = time.perf_counter() - t0
        isyn = float(np.abs(net._state.S[1, :neurons]).max())
        out.append(dict(t_end_ms=net.t, wall_s=wall, max_abs_isyn_exc=isyn))
        print(f"t = {net.t:7.1f} ms: {wall:.3f} s for {window_ms:g} ms, max |isyn_exc| {isyn:.3g}")
    return dict(neurons=neurons, dtype=dtype, threads=threads, window_ms=window_ms,
                windows=out, version=ss.__version__)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neurons", type=int, default=100_000)
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--windows", type=int, default=8)
    ap.add_argument("--window-ms", type=float, default=500.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    a = ap.parse_args()
    res = run(a.neurons, a.dtype, a.windows, a.window_ms, a.threads)
    res["command"] = ("python benchmarks/silent_population.py --neurons {} --dtype {} --windows {} "
                      "--window-ms {:g} --threads {}").format(a.neurons, a.dtype, a.windows,
                                                             a.window_ms, a.threads)
    res["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                   text=True).stdout.strip()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
