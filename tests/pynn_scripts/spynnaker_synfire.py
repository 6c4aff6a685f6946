"""A synfire chain written the sPyNNaker way (the style of sPyNNaker's own examples).

sPyNNaker idioms used: set_number_of_neurons_per_core, the neurons_per_core argument,
initial v set with Population.set(v=...), input spikes at t = 0, positive weights on an
inhibitory projection, additive STDP with absolute amplitudes. The tests run this file
with only its import line changed (to ``import spikesim.pynn.spynnaker as sim``).
Writes OUT.npz (argument 1).
"""
import sys

import numpy as np
import pyNN.spiNNaker as sim

runtime = 300
n_groups = 10
group_size = 20
weight_to_spike = 2.0
delay = 5

sim.setup(timestep=1.0, min_delay=1.0, max_delay=144.0)
sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 100)

cell_params_lif = {"cm": 0.25, "i_offset": 0.0, "tau_m": 20.0, "tau_refrac": 2.0,
                   "tau_syn_E": 5.0, "tau_syn_I": 5.0, "v_reset": -70.0, "v_rest": -65.0,
                   "v_thresh": -50.0}

chain = sim.Population(n_groups * group_size, sim.IF_curr_exp(**cell_params_lif),
                       label="chain", neurons_per_core=group_size)
chain.set(v=-65.0)
stimulus = sim.Population(1, sim.SpikeSourceArray(spike_times=[0]), label="stimulus")

connections = []
for g in range(n_groups):
    nxt = (g + 1) % n_groups
    for i in range(group_size):
        for j in range(group_size):
            connections.append((g * group_size + i, nxt * group_size + j,
                                weight_to_spike / group_size * 1.5, delay))
sim.Projection(chain, chain, sim.FromListConnector(connections), receptor_type="excitatory")
sim.Projection(stimulus, chain[0:group_size], sim.AllToAllConnector(),
               synapse_type=sim.StaticSynapse(weight=weight_to_spike, delay=1))

# a brake: after 200 ms an inhibitory population silences group 3 (positive weights)
brake = sim.Population(group_size, sim.SpikeSourceArray(
    spike_times=list(np.arange(200.0, runtime, 2.0))), label="brake")
sim.Projection(brake, chain[3 * group_size:4 * group_size], sim.AllToAllConnector(),
               synapse_type=sim.StaticSynapse(weight=1.0, delay=1), receptor_type="inhibitory")

# additive STDP with absolute amplitudes (sPyNNaker): each pairing moves a weight by 0.01
probe_pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[[50.0, 100.0]]), label="pre")
probe_post = sim.Population(1, sim.IF_curr_exp(**cell_params_lif), label="post")
teacher = sim.Population(1, sim.SpikeSourceArray(spike_times=[[52.0, 102.0]]), label="teacher")
sim.Projection(teacher, probe_post, sim.OneToOneConnector(),
               sim.StaticSynapse(weight=20.0, delay=1))
stdp = sim.STDPMechanism(
    timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012),
    weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
    weight=0.5, delay=1.0, dendritic_delay_fraction=1.0)
plastic = sim.Projection(probe_pre, probe_post, sim.AllToAllConnector(), synapse_type=stdp)

chain.record(["spikes", "v"])
sim.run(runtime)

spikes = chain.get_data("spikes").segments[0].spiketrains
v = chain.get_data("v").segments[0].filter(name="v")[0]
final_weight = plastic.get("weight", format="list", with_address=False)[0]
sim.end()

senders = np.concatenate([np.full(len(st), st.annotations["source_index"]) for st in spikes])
times = np.concatenate([st.magnitude for st in spikes])
np.savez(sys.argv[1], senders=senders, times=times, v0=v.magnitude[0], v_units=str(v.units),
         final_weight=final_weight)
