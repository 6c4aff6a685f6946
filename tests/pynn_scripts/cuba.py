"""A CUBA-like random network (Vogels & Abbott 2005 cell parameters) driven by Poisson input.

Usage: python cuba.py SIMULATOR_MODULE OUT.npz [N_NEURONS] [T_MS] [POISSON_SEED]
Everything below the import is plain PyNN 0.13.
"""
import importlib
import sys
import time

import numpy as np

sim = importlib.import_module(sys.argv[1])
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: E402

n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
tstop = float(sys.argv[4]) if len(sys.argv) > 4 else 1000.0
poisson_seed = int(sys.argv[5]) if len(sys.argv) > 5 else 42  # the simulator's own generator
n_exc, n_inh = int(0.8 * n), n - int(0.8 * n)
p_connect = 80.0 / n  # 80 synapses per neuron at every size, as in the CUBA benchmark

t0 = time.perf_counter()
sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, spike_precision="on_grid",
          rng_seed=poisson_seed)
rng = NumpyRNG(seed=7)
cell = sim.IF_curr_exp(tau_m=20.0, cm=0.2, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0,
                       tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
exc = sim.Population(n_exc, cell, label="exc")
inh = sim.Population(n_inh, cell, label="inh")
noise = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0), label="noise")
everyone = exc + inh
everyone.initialize(v=RandomDistribution("uniform", (-60.0, -50.0), rng=rng))

w_exc, w_inh, delay = 0.27 * 0.2 / 5.0 * 4, -4.5 * 0.2 / 10.0 * 4, 0.8
conn = sim.FixedProbabilityConnector(p_connect, rng=rng)
sim.Projection(exc, everyone, conn, sim.StaticSynapse(weight=w_exc, delay=delay),
               receptor_type="excitatory")
sim.Projection(inh, everyone, conn, sim.StaticSynapse(weight=w_inh, delay=delay),
               receptor_type="inhibitory")
sim.Projection(noise, everyone, sim.FixedNumberPreConnector(10, rng=rng),
               sim.StaticSynapse(weight=0.08, delay=1.0), receptor_type="excitatory")
everyone.record("spikes")
t_build = time.perf_counter() - t0
sim.run(tstop)
t_run = time.perf_counter() - t0 - t_build

rates = {}
for p in everyone.populations:
    counts = p.get_spike_counts()
    rates[p.label] = sum(counts.values()) / len(counts) / (tstop / 1000.0)
sim.end()
np.savez(sys.argv[2], exc_rate=rates["exc"], inh_rate=rates["inh"], build_s=t_build, run_s=t_run)
print(f"{sys.argv[1]}: exc {rates['exc']:.2f} Hz, inh {rates['inh']:.2f} Hz, "
      f"build {t_build:.2f} s, run {t_run:.2f} s")
