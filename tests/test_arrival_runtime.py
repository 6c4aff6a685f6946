"""Delivery at arrival time in the runtime (spikesim.arrival_runtime): the same spikes as
delivery at emission, whatever the threads, run splits, changes, resets and checkpoints."""
import numpy as np
import pytest

import spikesim as ss
from spikesim import arrival_runtime

from .test_network import assert_same_spikes, spikes_of


def delayed(threads=1, n=1200, seed=2, dtype="float32"):
    """Tonically driven excitatory and inhibitory LIF neurons, normal weights and delays
    (1.5 +- 0.75 ms, one per synapse): every projection qualifies for delivery at arrival,
    and nothing else adds into the ring, so both deliveries give the same bits."""
    net = ss.Network(dt=0.1, seed=seed, dtype=dtype, threads=threads)
    cell = ss.IF_curr_exp(tau_m=20.0, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0,
                          tau_refrac=2.0, tau_syn_E=0.5, tau_syn_I=0.5)
    init = ss.RandomDistribution("uniform", low=-60.0, high=-50.0)
    exc = net.add_population(int(n * 0.8), cell, label="exc", initial_v=init)
    inh = net.add_population(n - int(n * 0.8), cell, label="inh", initial_v=init)
    delay = ss.RandomDistribution("normal_clipped", mu=1.5, sigma=0.75, low=0.1, high=6.0)
    for pre, w, r in ((exc, 0.3, "excitatory"), (inh, -1.2, "inhibitory")):
        weight = ss.RandomDistribution("normal", mu=w, sigma=abs(w) * 0.1)
        for post in (exc, inh):
            net.connect(pre, post, ss.FixedProbability(0.1), weight=weight, delay=delay,
                        receptor_type=r)
    return net, [net.record(p, "spikes") for p in net.populations]


@pytest.fixture
def at_arrival(monkeypatch):
    """Deliver at arrival whatever the network's size."""
    monkeypatch.setattr(arrival_runtime, "ARRIVAL_MIN_BYTES", 0)


def _same_as_emission(monkeypatch, scenario):
    """``scenario(net, recs)`` (returns spikes) on :func:`delayed` at emission, then at arrival:
    the same spikes; returns the arrival run's network."""
    monkeypatch.setattr(arrival_runtime, "ARRIVAL_MIN_BYTES", 1 << 62)
    want = scenario(*delayed())
    monkeypatch.setattr(arrival_runtime, "ARRIVAL_MIN_BYTES", 0)
    net, recs = delayed()
    assert_same_spikes(scenario(net, recs), want)
    assert net._runtime.at_arrival is not None
    return net


def _emission(monkeypatch, build, ms):
    monkeypatch.setattr(arrival_runtime, "ARRIVAL_MIN_BYTES", 1 << 62)
    net, recs = build()
    net.run(ms)
    assert net._runtime.at_arrival is None
    monkeypatch.setattr(arrival_runtime, "ARRIVAL_MIN_BYTES", 0)
    return net, spikes_of(recs)


@pytest.mark.parametrize("threads", [1, 2])
def test_arrival_gives_the_spikes_and_state_of_emission(monkeypatch, threads):
    ref, want = _emission(monkeypatch, lambda: delayed(threads=threads), 150.0)
    assert sum(len(t) for t, _ in want) > 1000
    net, recs = delayed(threads=threads)
    net.run(60.0)
    arr = net._runtime.at_arrival
    assert arr is not None and arr.targets.shape[0] == sum(j.n_synapses for j in net.projections)
    assert arr.targets.dtype == np.uint16  # parts of at most 65,536 neurons
    assert net._runtime.post.shape[0] <= 1  # not concatenated into the kernel's arrays
    net.run(90.0)
    assert_same_spikes(spikes_of(recs), want)
    np.testing.assert_array_equal(net._state.v, ref._state.v)


def test_arrival_threads_give_identical_results(at_arrival):
    outs = []
    for threads in (1, 2):
        net, recs = delayed(threads=threads)
        net.run(100.0)
        assert net._runtime.at_arrival is not None
        outs.append(spikes_of(recs))
    assert_same_spikes(*outs)


def test_changes_between_runs_flush_the_events_in_flight(monkeypatch):
    """A new recorder and new weights between runs rebuild the runtime: the events still to
    arrive are added into the ring first, with the weights they were sent with."""
    def scenario(net, recs):
        net.run(40.0)
        net.record(net.populations[0], "v")
        net.run(30.0)
        j = net.projections[0]
        j.set_weights(np.asarray(j.weight) * 1.5)
        net.run(40.0)
        return spikes_of(recs)

    _same_as_emission(monkeypatch, scenario)


def test_settle_leaves_the_ring_as_emission_does(monkeypatch):
    ref, _ = _emission(monkeypatch, delayed, 33.3)
    net, _ = delayed()
    net.run(33.3)
    rt = net._runtime
    assert (rt.at_arrival.hist_t >= 0).any()
    rt.settle()
    assert (rt.at_arrival.hist_t == -1).all()
    np.testing.assert_array_equal(rt.buf.view(np.int32), ref._runtime.buf.view(np.int32))


def test_resets_drop_the_events_in_flight(monkeypatch):
    def scenario(net, recs):
        net.run(50.0)
        net.reset_state()  # time goes on; the input in flight is dropped
        net.run(30.0)
        net.reset()
        net.run(40.0)
        return spikes_of(recs)

    _same_as_emission(monkeypatch, scenario)


def test_checkpoint_holds_the_events_in_flight(tmp_path, at_arrival):
    whole, recs = delayed()
    whole.run(80.0)
    net, _ = delayed()
    net.run(40.0)
    net.save(tmp_path / "mid.h5")
    back = ss.load(tmp_path / "mid.h5")
    rec = [back.record(p, "spikes") for p in back.populations]
    back.run(40.0)
    late = [(t[t > 40.0 + 1e-9], s[t > 40.0 + 1e-9]) for t, s in spikes_of(recs)]
    assert_same_spikes(spikes_of(rec), late)


def test_which_projections_are_delivered_at_arrival(at_arrival, monkeypatch):
    """Static projections with a delay per synapse; not one delay for all, not plastic ones
    (nor anything in a network that runs the plastic engine), and nothing when the copies
    would not fit in half of the available memory."""
    net, _ = delayed(n=300)
    exc, inh = net.populations
    net.connect(exc, inh, ss.FixedProbability(0.1), weight=0.2, delay=1.0)  # one delay
    net.run(1.0)
    arr = net._runtime.at_arrival
    assert arr is not None
    per_synapse = [j for j in net.projections if j._delay.shape[0] > 1]
    assert arr.targets.shape[0] == sum(j.n_synapses for j in per_synapse)
    assert len(per_synapse) == 4 and net._runtime.post.shape[0] == net.projections[4].n_synapses

    monkeypatch.setattr(arrival_runtime, "available_bytes", lambda: 1000)
    net, _ = delayed(n=300)
    net.run(1.0)
    assert net._runtime.at_arrival is None
    monkeypatch.undo()
    monkeypatch.setattr(arrival_runtime, "ARRIVAL_MIN_BYTES", 0)

    net, _ = delayed(n=300)
    exc, inh = net.populations
    net.connect(exc, exc, ss.FixedProbability(0.1), weight=0.2, delay=1.5,
                synapse=ss.STDP(ss.TripletRule(), ss.AdditiveWeightDependence(0.0, 1.0)))
    net.run(1.0)
    assert net._runtime.at_arrival is None  # the plastic engine delivers everything


def test_sparse_pieces_stay_at_emission(monkeypatch):
    """Above the size threshold, a network with fewer synapses than pieces' starts (most
    pieces empty) is delivered at emission; with the threshold at 0 it is not."""
    monkeypatch.setattr(arrival_runtime, "ARRIVAL_MIN_BYTES", 1)
    net, _ = delayed(n=1200)  # 144,000 synapses; 1,200 x 2 planes x 2 parts x 62 starts
    net.run(1.0)
    assert net._runtime.at_arrival is None
    monkeypatch.setattr(arrival_runtime, "ARRIVAL_MIN_BYTES", 0)
    net, _ = delayed(n=1200)
    net.run(1.0)
    assert net._runtime.at_arrival is not None


def test_switching_engines_between_windows_keeps_the_arrivals(monkeypatch):
    """Windows alternate between the threaded and the one-thread engine (forced, as the thread
    governor does under load); the events in flight cross from one to the other and the
    spikes equal a one-thread run bit for bit."""
    import itertools

    import spikesim.runtime as rt

    def run(forced):
        monkeypatch.setattr(arrival_runtime, "ARRIVAL_MIN_BYTES", 0)
        used = []
        if forced:
            cycle = itertools.cycle([True, False, False, True])
            monkeypatch.setattr(rt, "CHUNK_STEPS", 16)  # windows shorter than the delays
            monkeypatch.setattr(rt.ThreadGovernor, "threaded",
                                lambda self: used.append(next(cycle)) or used[-1])
        net, recs = delayed(threads=2 if forced else 1)
        net.run(80.0, progress=False)
        parts, arr = net._runtime.n_parts, net._runtime.at_arrival
        monkeypatch.undo()
        return parts, arr, spikes_of(recs), used

    parts, arr, forced, used = run(True)
    one, arr_one, want, _ = run(False)
    if parts < 2:
        pytest.skip("no threaded engine here (threading layer without OpenMP/TBB)")
    assert arr is not None and arr_one is not None
    assert used.count(True) >= 4 and used.count(False) >= 4
    assert sum(len(t) for t, _ in want) > 500
    assert_same_spikes(forced, want)


def test_the_blocks_alone_hold_the_synapses_and_give_them_back(monkeypatch):
    """Once delivered at arrival, the projections keep only their row starts (the blocks are
    their storage) and read their synapses back, in their order, when asked. Reading them
    back and running on gives the spikes of delivery at emission; so does a change made to
    the weights read back."""
    def scenario(net, recs):
        before = [(j.indptr.copy(), j.post.copy(), j.weight.copy(), j.delay.copy())
                  for j in net.projections]
        net.run(50.0)
        at = net._runtime.at_arrival is not None
        if at:  # the blocks and each synapse's place (uint16)
            a = net._runtime.at_arrival
            n_syn = sum(p[1].shape[0] for p in before)
            assert arrival_runtime.storage_bytes(a) == (
                a.targets.nbytes + a.weights.nbytes + a.off.nbytes + 2 * n_syn)
        for j, (indptr, post, w, d) in zip(net.projections, before):
            assert (j._restore is not None) == at
            assert j.n_synapses == post.shape[0] and (j._restore is not None) == at
            if at:
                assert j.nbytes == indptr.nbytes
            got = (j.post, j.weight, j.delay)
            assert j._restore is None
            for g, x in zip(got, (post, w, d)):
                np.testing.assert_array_equal(g, x)
                assert g.dtype == x.dtype
        net.run(30.0)
        j = net.projections[2]
        j.set_weights(np.asarray(j.weight) * 0.5)
        net.run(30.0)
        return spikes_of(recs)

    net = _same_as_emission(monkeypatch, scenario)
    assert all(j._restore is not None for j in net.projections)  # the rebuild lent again


def test_projections_sharing_their_blocks_keep_their_arrays(at_arrival):
    """Two projections with the same source, target and receptor fill the same blocks, which
    cannot tell them apart: both keep their arrays; the others drop theirs."""
    net, _ = delayed(n=300)
    exc = net.populations[0]
    net.connect(exc, exc, ss.FixedProbability(0.05), weight=0.2,
                delay=ss.RandomDistribution("uniform", low=0.5, high=2.0))
    net.run(5.0)
    assert net._runtime.at_arrival is not None
    kept = [j.index for j in net.projections if j._restore is None]
    assert kept == [0, 4]


def test_pynn_projections_read_their_lent_synapses_back(at_arrival):
    """Through spikesim.pynn: after a run delivered at arrival, ``get`` lists the same
    connections, weights and delays as before it (in the same order); ``set`` then changes
    the weights the next run uses, as at emission."""
    sim = pytest.importorskip("spikesim.pynn")
    from pyNN.random import NumpyRNG, RandomDistribution

    from spikesim.pynn import simulator

    def run(scale_after):
        sim.setup(timestep=0.1, min_delay=0.1)
        cells = sim.Population(400, sim.IF_curr_exp(tau_refrac=2.0, i_offset=1.0),
                               initial_values={"v": RandomDistribution(
                                   "uniform", (-65.0, -50.0), rng=NumpyRNG(seed=3))})
        syn = sim.StaticSynapse(weight=RandomDistribution("normal", (0.3, 0.05),
                                                          rng=NumpyRNG(seed=4)),
                                delay=RandomDistribution("uniform", (0.1, 3.0),
                                                         rng=NumpyRNG(seed=5)))
        prj = sim.Projection(cells, cells, sim.FixedProbabilityConnector(
            0.1, rng=NumpyRNG(seed=6)), syn)
        cells.record("spikes")
        before = np.array(prj.get(["weight", "delay"], format="list"))
        sim.run(30.0)
        lent = [j._restore is not None for j in simulator.state.net.projections]
        after = np.array(prj.get(["weight", "delay"], format="list"))
        prj.set(weight=np.asarray(prj.get("weight", format="array")) * scale_after)
        sim.run(30.0)
        spikes = cells.get_data().segments[0].spiketrains
        out = (before, after, lent, [np.asarray(s) for s in spikes])
        sim.end()
        return out

    before, after, lent, spikes = run(0.2)
    np.testing.assert_array_equal(after, before)
    assert lent == [True]
    arrival_runtime.ARRIVAL_MIN_BYTES = 1 << 62  # the fixture restores it
    *_, lent, want = run(0.2)
    assert lent == [False]
    assert sum(len(s) for s in want) > 100
    for a, b in zip(spikes, want):
        np.testing.assert_array_equal(a, b)
