"""Network-level behaviour: determinism, run splitting, recording, sources."""
import h5py
import numpy as np
import pytest

import spikesim as ss


def cuba(n=1000, seed=1, dtype="float32", threads=1, poisson=False):
    net = ss.Network(dt=0.1, seed=seed, dtype=dtype, threads=threads)
    cell = ss.IF_curr_exp(tau_m=20.0, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0, tau_refrac=5.0,
                          tau_syn_E=5.0, tau_syn_I=10.0)
    init = ss.RandomDistribution("uniform", low=-60.0, high=-50.0)
    exc = net.add_population(int(n * 0.8), cell, label="exc", initial_v=init)
    inh = net.add_population(n - int(n * 0.8), cell, label="inh", initial_v=init)
    p = 80.0 / n
    for pre, w, r in ((exc, 0.081, "excitatory"), (inh, -0.45, "inhibitory")):
        for post in (exc, inh):
            net.connect(pre, post, ss.FixedProbability(p), weight=w, delay=0.1, receptor_type=r)
    if poisson:
        src = net.add_population(50, ss.SpikeSourcePoisson(rate=20.0), label="noise")
        net.connect(src, exc, ss.FixedProbability(0.1), weight=0.05,
                    delay=ss.RandomDistribution("uniform", low=0.1, high=3.0))
    return net, [net.record(p, "spikes") for p in net.populations]


def spikes_of(recs):
    return [(r.spikes.times.copy(), r.spikes.senders.copy()) for r in recs]


def assert_same_spikes(a, b):
    assert len(a) == len(b)
    for (t1, s1), (t2, s2) in zip(a, b):
        np.testing.assert_array_equal(t1, t2)
        np.testing.assert_array_equal(s1, s2)


def test_same_seed_bit_identical_and_different_seed_differs():
    runs = []
    for seed in (3, 3, 4):
        net, recs = cuba(seed=seed, poisson=True)
        net.run(200.0)
        runs.append((spikes_of(recs), net.populations[0].v.copy()))
    assert_same_spikes(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert len(runs[0][0][0][0]) != len(runs[2][0][0][0]) or \
        not np.array_equal(runs[0][0][0][0], runs[2][0][0][0])


@pytest.mark.parametrize("threads", [1, 2])
def test_split_runs_equal_one_run(threads):
    net1, r1 = cuba(poisson=True, threads=threads)
    net1.run(250.0)
    net2, r2 = cuba(poisson=True, threads=threads)
    for d in (0.1, 33.3, 100.0, 0.5, 116.1):
        net2.run(d)
    assert net2.step == net1.step == 2500
    assert_same_spikes(spikes_of(r1), spikes_of(r2))
    np.testing.assert_array_equal(net1._state.v, net2._state.v)
    np.testing.assert_array_equal(net1._runtime.buf, net2._runtime.buf)


def test_threads_give_identical_results():
    outs = []
    for threads in (1, 2):
        net, recs = cuba(n=2000, threads=threads, poisson=True)
        net.run(150.0)
        outs.append(spikes_of(recs))
    assert_same_spikes(*outs)


@pytest.mark.parametrize("threads", [1, 2])
def test_spike_record_overflow_is_drained(threads):
    """A tiny spike buffer forces the kernel to stop early many times; nothing is lost."""
    net1, r1 = cuba(n=500, threads=threads)
    net1.run(100.0)
    net2, r2 = cuba(n=500, threads=threads)
    net2._runtime._build()
    net2._runtime.spk_step = np.empty(600, np.int64)
    net2._runtime.spk_id = np.empty(600, np.int64)
    net2.run(100.0)
    assert_same_spikes(spikes_of(r1), spikes_of(r2))
    np.testing.assert_array_equal(net1._runtime.buf, net2._runtime.buf)


def test_record_subset_state_every_k_steps_and_rates():
    net, _ = cuba(n=400)
    exc = net.populations[0]
    rv = net.record(exc[[3, 10, 200]], "v", sampling_interval=0.5)
    rr = net.record(exc, "rate")
    rs = net.record(exc[10:20], "spikes")
    net.run(100.0)
    assert rv.v.values.shape == (200, 3)
    np.testing.assert_allclose(rv.v.times, np.arange(1, 201) * 0.5)
    assert np.all(rs.spikes.senders >= 10) and np.all(rs.spikes.senders < 20)
    full = [r for r in net.recorders if r.population is exc and "spikes" in r.variables][0]
    np.testing.assert_array_equal(rr.rate.counts.sum(), len(full.spikes))
    t, rate = rr.rate.binned(10.0)
    assert len(t) == 10 and np.all(rate >= 0)
    assert rr.rate.values.mean() == pytest.approx(len(full.spikes) / exc.size / 0.1, rel=1e-9)


def test_state_recording_starts_when_record_is_called():
    net, _ = cuba(n=200)
    net.run(10.0)
    rec = net.record(net.populations[0][:2], "v")
    net.run(5.0)
    assert rec.v.times[0] == pytest.approx(10.1) and len(rec.v.times) == 50


def test_streaming_to_hdf5(tmp_path):
    path = tmp_path / "rec.h5"
    net, _ = cuba(n=400)
    exc = net.populations[0]
    mem = net.record(exc, "spikes")
    st = net.record(exc, ["spikes", "v"], stream_to=str(path))
    net.run(300.0)
    with h5py.File(path, "r") as f:  # readable while the network still has it open
        n_file = f["exc/spikes/steps"].shape[0]
    assert n_file == len(mem.spikes) > 0
    np.testing.assert_array_equal(st.spikes.times, mem.spikes.times)
    assert st.v.values.shape == (3000, exc.size)
    net.close()


def test_poisson_source_rate_and_schedule():
    net = ss.Network(dt=0.1, seed=5)
    src = net.add_population(200, ss.SpikeSourcePoisson(
        rate=10.0, rate_changes=([500.0, 1000.0], [50.0, 0.0])))
    rec = net.record(src, "spikes")
    net.run(1500.0)
    t = rec.spikes.times
    r1 = np.sum(t <= 500.0) / 200 / 0.5
    r2 = np.sum((t > 500.0) & (t <= 1000.0)) / 200 / 0.5
    assert r1 == pytest.approx(10.0, rel=0.15)
    assert r2 == pytest.approx(50.0, rel=0.1)
    assert np.sum(t > 1000.0) == 0


def test_poisson_per_neuron_rates_and_start_duration():
    net = ss.Network(dt=0.1, seed=5)
    rates = np.array([0.0, 20.0, 100.0])
    src = net.add_population(3, ss.SpikeSourcePoisson(rate=rates, start=100.0, duration=1000.0))
    rec = net.record(src, "spikes")
    net.run(2000.0)
    counts = rec.spikes.counts()
    assert counts[0] == 0
    assert counts[2] == pytest.approx(100.0, rel=0.3) and counts[1] == pytest.approx(20, rel=0.6)
    assert rec.spikes.times.min() > 100.0 and rec.spikes.times.max() <= 1100.0


def test_spike_source_array_times_are_kept_exactly():
    times = [[1.0, 2.5, 7.3], [], [0.1]]
    net = ss.Network(dt=0.1)
    src = net.add_population(3, ss.SpikeSourceArray(times))
    rec = net.record(src, "spikes")
    net.run(10.0)
    got = rec.spikes.trains()
    for want, have in zip(times, got):
        np.testing.assert_allclose(have, want, atol=1e-9)


def test_views_connect_only_their_neurons():
    net = ss.Network(dt=0.1, seed=2)
    a = net.add_population(10, ss.IF_curr_exp())
    b = net.add_population(10, ss.IF_curr_exp())
    w = np.arange(9, dtype=float).reshape(3, 3) / 10
    proj = net.connect(a[[1, 4, 7]], b[5:8], ss.AllToAll(), weight=w)
    pre, post = proj.connections()
    assert set(pre) == {1, 4, 7} and set(post) == {5, 6, 7}
    dense = proj.get_weights("array")
    np.testing.assert_allclose(dense[np.ix_([1, 4, 7], [5, 6, 7])], w)
    assert np.isnan(dense[0, 0])


def test_conductance_network_runs_and_is_finite():
    net = ss.Network(dt=0.1, seed=1)
    pop = net.add_population(200, ss.IF_cond_exp(i_offset=1.0, tau_refrac=2.0))
    net.connect(pop, pop, ss.FixedProbability(0.1), weight=0.004)
    net.connect(pop, pop, ss.FixedProbability(0.05), weight=0.02, receptor_type="inhibitory")
    rec = net.record(pop, ["spikes", "gsyn_exc"])
    net.run(200.0)
    assert len(rec.spikes) > 0 and np.isfinite(pop.v).all()
    assert (rec.gsyn_exc.values >= 0).all()


def test_memory_per_static_synapse_at_most_10_bytes():
    net, _ = cuba(n=2000)
    proj = net.connect(net.populations[0], net.populations[1], ss.FixedProbability(0.05),
                       weight=ss.RandomDistribution("normal", mu=0.1, sigma=0.01),
                       delay=ss.RandomDistribution("uniform", low=0.1, high=5.0))
    per_syn = (proj.post.nbytes + proj._weight.nbytes + proj._delay.nbytes) / proj.n_synapses
    assert per_syn == 10.0
    total = sum(p.nbytes for p in net.projections) / sum(p.n_synapses for p in net.projections)
    assert total < 10.5


def test_adding_a_projection_after_running_keeps_pending_input():
    """Growing the ring buffer (longer delay) keeps spikes already in flight."""
    def build():
        net = ss.Network(dt=0.1, dtype="float64")
        src = net.add_population(1, ss.SpikeSourceArray([1.0]))
        pop = net.add_population(1, ss.IF_curr_exp(v_thresh=0.0))
        net.connect(src, pop, ss.AllToAll(), weight=1.0, delay=1.0)
        return net, src, pop

    net1, src1, pop1 = build()
    net1.run(1.5)
    net1.connect(src1, pop1, ss.AllToAll(), weight=0.0, delay=10.0)
    net1.run(10.0)
    net2, src2, pop2 = build()
    net2.connect(src2, pop2, ss.AllToAll(), weight=0.0, delay=10.0)
    net2.run(11.5)
    assert pop1.v[0] == pop2.v[0] != -65.0


def test_recorder_clear_forgets_and_goes_on(tmp_path):
    net = ss.Network(dt=0.1, seed=2)
    pop = net.add_population(5, ss.IF_curr_exp(i_offset=2.0))
    rec = net.record(pop, ["spikes", "v"])
    net.run(50.0)
    first = rec.spikes.times.copy()
    assert first.size > 0
    rec.clear()
    assert len(rec.spikes) == 0 and rec.v.values.shape[0] == 0
    net.run(50.0)
    t = rec.spikes.times
    assert t.size > 0 and t.min() > 50.0 and rec.v.values.shape[0] == 500
    streamed = net.record(pop, "spikes", stream_to=str(tmp_path / "s.h5"))
    with pytest.raises(ValueError, match="streams to a file"):
        streamed.clear()
    net.close()
