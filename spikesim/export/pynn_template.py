"""The text of the standalone PyNN script that :mod:`.pynn_script` fills in.

``@HEADER@``, ``@CONSTANTS@``, ``@DATA@``, ``@BUILD@`` and ``@SCHEDULE@`` are
replaced in one pass by :func:`spikesim.export.pynn_script.to_pynn_script`;
the rest is the script's fixed part: data loading, spike-source times, plastic
projections (PyNN's STDPMechanism or spikesim's NEST module), the run with
Poisson rate changes, and output.
"""

TEMPLATE = '''#!/usr/bin/env python3
# -*- coding: utf-8 -*-
@HEADER@
Usage: python THIS.py [--simulator nest|spiNNaker|...] [--out SPIKES.npz] [--duration MS] [--seed N]
                      [--stdp-delay dendritic|axonal]

Writes an .npz with ``labels`` and, per population k, ``times_k`` (ms) and
``senders_k`` (index in the population); per plastic projection j, ``weights_j``
((pre, post, weight) rows at the end). Data arrays are embedded below (base64
of an np.savez_compressed archive) or read from DATA_FILE next to this script.
"""
import argparse
import base64
import importlib
import io
import logging
import os
import warnings

import numpy as np

@CONSTANTS@
@DATA@

def load_data():
    """The network's arrays (connection lists, per-neuron values) as a dict."""
    if DATA_FILE is not None:
        source = os.path.join(os.path.dirname(os.path.abspath(__file__)), DATA_FILE)
    else:
        source = io.BytesIO(base64.b64decode("".join(DATA)))
    with np.load(source, allow_pickle=False) as f:
        return {key: f[key] for key in f.files}


def connection_rows(data, j, weight, delay_steps):
    """(pre, post, weight, delay) rows of projection j for FromListConnector."""
    counts = data["j%d_counts" % j]
    pre = np.repeat(np.arange(counts.shape[0]), counts)
    post = data["j%d_post" % j]
    rows = np.empty((post.shape[0], 4))
    rows[:, 0], rows[:, 1] = pre, post
    rows[:, 2] = weight
    rows[:, 3] = np.asarray(delay_steps, np.float64) * DT
    return rows


def spike_lists(sim, data, k):
    """Per-neuron spike times (ms) of SpikeSourceArray population k."""
    steps, counts = data["p%d_spike_steps" % k], data["p%d_spike_counts" % k]
    times = (steps + 1) * DT
    if SIMULATOR == "nest":
        # pyNN.nest subtracts min_delay and NEST rounds precise times *up* to the grid:
        # T - DT computed as k*DT + 1e-14 would land one step late, so aim just below T.
        times = times - 1e-3 * DT
    from pyNN.parameters import Sequence

    return [Sequence(t) for t in np.split(times, np.cumsum(counts)[:-1])]


def plastic_projection(sim, pre, post, rows, rule, receptor_type, label):
    """A plastic projection: PyNN's STDPMechanism (dendritic delay) or spikesim's axonal STDP.

    Axonal (pyNN.nest): spikesim_axonal_stdp_synapse from spikesim's NEST module, whose
    delay is one step; a synapse of delay d > one step is fed by a parrot_neuron copy of
    its presynaptic neuron, relayed with d - one step. Returns a list of Projections.
    """
    connector = lambda r: sim.FromListConnector(r, column_names=["weight", "delay"])  # noqa: E731
    if STDP_DELAY == "dendritic":
        wdep = sim.MultiplicativeWeightDependence if rule["multiplicative"] else \
            sim.AdditiveWeightDependence
        syn = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=rule["tau_plus"], tau_minus=rule["tau_minus"],
                                                A_plus=rule["A_plus"], A_minus=rule["A_minus"]),
            weight_dependence=wdep(w_min=0.0, w_max=rule["w_max"]),
            weight=rule["weight"], delay=float(rows[:, 3].min()))
        return [sim.Projection(pre, post, connector(rows), synapse_type=syn,
                               receptor_type=receptor_type, label=label)]
    if SIMULATOR != "nest":
        raise SystemExit("--stdp-delay axonal runs on pyNN.nest only (spikesim's NEST module), "
                         "got --simulator %s" % SIMULATOR)
    if receptor_type == "inhibitory":
        raise SystemExit("--stdp-delay axonal: projection %r is inhibitory; spikesim's NEST "
                         "module takes excitatory plastic synapses only" % label)
    model = sim.native_synapse_type(AXONAL_MODEL)
    # native NEST units (pA / nS, as pyNN.nest's own translation: x1000); PyNN's additive
    # amplitudes are relative to w_max, the module's are weight changes
    scale = 1.0 if rule["multiplicative"] else rule["w_max"] * 1000.0
    params = dict(tau_plus=rule["tau_plus"], tau_minus=rule["tau_minus"],
                  A_plus=rule["A_plus"] * scale, A_minus=rule["A_minus"] * scale, Wmin=0.0,
                  Wmax=rule["w_max"] * 1000.0, multiplicative=float(rule["multiplicative"]))
    projections = []
    for d in np.unique(rows[:, 3]):
        part = rows[rows[:, 3] == d].copy()
        part[:, 2] *= 1000.0
        part[:, 3] = DT
        source = pre
        if d > 1.5 * DT:
            source = sim.Population(pre.size, sim.native_cell_type("parrot_neuron")(),
                                    label="%s relay %g ms" % (label, d))
            sim.Projection(pre, source, sim.OneToOneConnector(),
                           synapse_type=sim.StaticSynapse(weight=1.0, delay=d - DT))
        projections.append(sim.Projection(source, post, connector(part),
                                          synapse_type=model(weight=0.0, delay=DT, **params),
                                          receptor_type=receptor_type, label=label))
    return projections


@BUILD@

# (step, population, rates): from that step on, Poisson population k fires at these rates
RATE_SCHEDULE = [
@SCHEDULE@]


def run(sim, pops, data, duration):
    """Run for ``duration`` ms, applying the Poisson rate changes between segments."""
    t = 0
    for step, k, rates in RATE_SCHEDULE:
        if step * DT >= duration:
            break
        if step > t:
            sim.run((step - t) * DT)
            t = step
        pops[k].set(rate=rates(data))
    if duration > t * DT:
        sim.run(duration - t * DT)


def spikes_of(pop, duration):
    """(times ms, senders) of a population's recorded spikes up to ``duration``."""
    block = pop.get_data("spikes")
    times, senders = [], []
    for seg in block.segments:
        for i, st in enumerate(seg.spiketrains):
            t = np.asarray(st.rescale("ms").magnitude, np.float64)
            t = t[t <= duration + 0.5 * DT]
            times.append(t)
            senders.append(np.full(t.shape[0], int(st.annotations.get("source_index", i)), np.int64))
    if not times:
        return np.zeros(0), np.zeros(0, np.int64)
    times, senders = np.concatenate(times), np.concatenate(senders)
    order = np.lexsort((senders, times))
    return times[order], senders[order]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the exported spikesim network in PyNN.")
    parser.add_argument("--simulator", default=DEFAULT_SIMULATOR,
                        help="PyNN backend module: pyNN.<simulator> (default %(default)s)")
    parser.add_argument("--out", default=None,
                        help="output .npz (default: <this script>_spikes.npz next to it)")
    parser.add_argument("--duration", type=float, default=DURATION, help="ms (default %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED, help="simulator RNG seed (pyNN.nest)")
    parser.add_argument("--threads", type=int, default=1, help="threads (pyNN.nest)")
    parser.add_argument("--stdp-delay", choices=["dendritic", "axonal"], default=DEFAULT_STDP_DELAY,
                        help="STDP delay convention: PyNN's STDPMechanism (dendritic) or spikesim's "
                             "axonal one through its NEST module (default %(default)s)")
    args = parser.parse_args(argv)
    out = args.out or os.path.splitext(os.path.abspath(__file__))[0] + "_spikes.npz"
    os.environ.setdefault("PYNEST_QUIET", "1")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message="(?s).*(deprecated|backward compatibility|running cmake)")
    logging.getLogger("PyNN").setLevel(logging.ERROR)
    global SIMULATOR, STDP_DELAY
    SIMULATOR, STDP_DELAY = args.simulator, args.stdp_delay
    sim = importlib.import_module("pyNN." + args.simulator)
    extra = {}
    if args.simulator == "nest":
        # grid-based neuron models (iaf_psc_exp, not the precise *_ps ones), as spikesim
        extra = dict(spike_precision="on_grid", verbosity="error", rng_seed=args.seed,
                     threads=args.threads)
    sim.setup(timestep=DT, min_delay=DT, max_delay=MAX_DELAY, **extra)
    if STDP_DELAY == "axonal" and PLASTIC and SIMULATOR == "nest":
        # NEST loads modules only before any node exists
        from spikesim import nest_ext

        nest_ext.install()
    data = load_data()
    pops, projs = build(sim, data)
    for pop in pops:
        pop.record("spikes")
    run(sim, pops, data, args.duration)
    result = {"labels": np.array(LABELS, dtype=str), "dt": np.float64(DT),
              "duration": np.float64(args.duration)}
    # under MPI (mpirun -np K), PyNN gathers recordings onto rank 0, which writes the file
    master = sim.rank() == 0
    for k, pop in enumerate(pops):
        times, senders = spikes_of(pop, args.duration)
        result["times_%d" % k], result["senders_%d" % k] = times, senders
        if master:
            print("%r: %d neurons, %.3f Hz" % (LABELS[k], pop.size,
                                              times.shape[0] / pop.size / (args.duration * 1e-3)))
    for j in PLASTIC:
        if j in projs:
            result["weights_%d" % j] = np.concatenate(
                [np.array(p.get("weight", format="list"), dtype=np.float64).reshape(-1, 3)
                 for p in projs[j]])
    if master:
        np.savez(out, **result)
    sim.end()
    if master:
        print("spikes written to %r" % out)


if __name__ == "__main__":
    main()
'''
