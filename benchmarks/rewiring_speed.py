"""Cost of one synaptic-rewiring attempt in the kernel (spikesim.kernels.rewiring).

Two 256-neuron populations (16 x 16 grid), a structural feedforward (16 synapses per
target) and lateral (4 per target) projection, ``s_max`` 32, RandomSelection,
sPyNNaker's default rules; ``rewire_step`` is called from a compiled loop for 2,000 steps
of 1,000 attempts each (no neuron updates), then the same attempts through
``Network.run`` (neurons, sources and delivery included):

    python benchmarks/rewiring_speed.py
"""
import time

from numba import njit

import spikesim as ss
from spikesim.kernels import rewiring as KR


def build():
    net = ss.Network(dt=1.0, seed=1)
    src = net.add_population(256, ss.SpikeSourcePoisson(rate=20.0), label="src")
    tgt = net.add_population(256, ss.IF_curr_exp(), label="tgt")
    ff = net.connect(src, tgt, ss.FixedNumberPre(16), weight=0.3)
    lat = net.connect(tgt, tgt, ss.FixedNumberPre(4), weight=0.3)
    rule = ss.StructuralPlasticity(ss.RandomSelection(), ss.DistanceDependentFormation(grid=(16, 16)),
                                   ss.RandomByWeightElimination(0.5), f_rew=1e6,
                                   initial_weight=0.3, s_max=32)
    ss.add_rewiring(ff, rule)
    ss.add_rewiring(lat, rule)
    return net


@njit
def _loop(n_steps, rw, spikes, cut, post, weight, delay, pj_syn, pj_w, pj_d):
    for t in range(n_steps):
        KR.rewire_step(t, rw, spikes, 0, cut, post, weight, delay, pj_syn, pj_w, pj_d, weight,
                       weight, rw.slot_e, rw.slot_e)


def main():
    import numpy as np

    net = build()
    rt = net._runtime
    rt._build()
    args = (rt.rw, np.zeros(1, np.int64), rt.cut, rt.post, rt.weight, rt.delay, rt.pj_syn,
            rt.pj_w, rt.pj_d)
    _loop(1, *args)
    t = time.perf_counter()
    _loop(2000, *args)
    d = time.perf_counter() - t
    print(f"kernel loop: {d / 2e6 * 1e9:.0f} ns per attempt ({2e6 / d / 1e6:.1f} M attempts/s)")
    net = build()
    net.run(10.0)
    t = time.perf_counter()
    net.run(2000.0, progress=False)
    d = time.perf_counter() - t
    print(f"Network.run: {d:.2f} s for 2,000 steps and 2,000,000 attempts "
          f"({d / 2e6 * 1e9:.0f} ns per attempt, network included)")


if __name__ == "__main__":
    main()
