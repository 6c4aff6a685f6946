"""A deterministic PyNN network: spike sources, current and conductance cells, currents.

Usage: python deterministic.py SIMULATOR_MODULE OUT.npz   (e.g. pyNN.nest or spikesim.pynn)
Everything below the import is plain PyNN 0.13.
"""
import importlib
import sys

import numpy as np

sim = importlib.import_module(sys.argv[1])
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: E402

sim.setup(timestep=0.1, min_delay=0.1, max_delay=10.0, spike_precision="on_grid")
rng = NumpyRNG(seed=2024)

stim = sim.Population(20, sim.SpikeSourceArray(
    spike_times=[list(np.arange(5.0 + i, 300.0, 9.0 + 0.5 * i)) for i in range(20)]),
    label="stim")
exc = sim.Population(60, sim.IF_curr_exp(tau_m=15.0, tau_refrac=2.0, tau_syn_E=3.0,
                                         tau_syn_I=6.0, v_thresh=-52.0),
                     label="exc")
inh = sim.Population(20, sim.IF_cond_exp(tau_m=10.0, tau_refrac=1.0, cm=0.5), label="inh")
exc.initialize(v=RandomDistribution("uniform", (-65.0, -55.0), rng=rng))

sim.Projection(stim, exc, sim.FixedProbabilityConnector(0.3, rng=rng),
               sim.StaticSynapse(weight=RandomDistribution("uniform", (0.5, 1.5), rng=rng),
                                 delay=1.0))
sim.Projection(exc, inh, sim.FixedNumberPreConnector(8, rng=rng),
               sim.StaticSynapse(weight=0.01, delay=RandomDistribution("uniform", (0.5, 3.0), rng=rng)))
sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.4, rng=rng),
               sim.StaticSynapse(weight=-0.4, delay=0.7), receptor_type="inhibitory")
sim.Projection(exc, exc, sim.FixedNumberPostConnector(5, rng=rng),
               sim.StaticSynapse(weight=0.3, delay=1.5))

dc = sim.DCSource(amplitude=0.6, start=50.0, stop=150.0)
dc.inject_into(exc[0:10])
steps = sim.StepCurrentSource(times=[100.0, 180.0, 250.0], amplitudes=[0.4, 0.9, 0.0])
inh.inject(steps)

exc.record(["spikes", "v"])
inh.record(["spikes", "gsyn_exc"])
sim.run(150.0)
sim.run(150.0)

out = {}
for pop in (exc, inh):
    block = pop.get_data()
    seg = block.segments[0]
    out[f"{pop.label}_spikes"] = np.concatenate(
        [np.c_[np.full(len(st), st.annotations["source_index"]), st.magnitude]
         for st in seg.spiketrains] or [np.zeros((0, 2))])
    for sig in seg.analogsignals:
        out[f"{pop.label}_{sig.name}"] = sig.magnitude
        out[f"{pop.label}_{sig.name}_t0"] = float(sig.t_start)
        out[f"{pop.label}_{sig.name}_units"] = str(sig.units.dimensionality)
out["t"] = sim.get_current_time()
sim.end()
np.savez(sys.argv[2], **out)
