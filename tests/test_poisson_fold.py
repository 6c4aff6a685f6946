"""Poisson inputs removed between runs (core), and PyNN's Poisson sources folded into counts.

Expected values: the same counter-based input given a matching duration (core), and
Campbell's theorem for the mean membrane potential under Poisson drive (PyNN):
mean current = rate * w * tau_syn, mean v = v_rest + tau_m / cm * that current.
"""
from __future__ import annotations

import numpy as np
import pytest
from pyNN import errors

import spikesim as ss
import spikesim.pynn as sim


def _driven_net(duration):
    net = ss.Network(dt=0.1, seed=5, dtype="float64", threads=1)
    pop = net.add_population(40, ss.IF_curr_exp(v_thresh=-55.0))
    inp = net.add_poisson_input(pop, 3000.0, 0.4, delay=1.0, duration=duration)
    rec = net.record(pop, ["v", "spikes"])
    return net, inp, rec


def test_removed_input_equals_one_that_ends_there():
    # removal at 5.3 ms: inside a pre-drawn window of counts, with counts in flight (delay 1 ms)
    a, inp, rec_a = _driven_net(np.inf)
    a.run(5.3)
    a.remove_poisson_input(inp)
    a.run(9.7)
    b, _, rec_b = _driven_net(5.3)
    b.run(15.0)
    np.testing.assert_allclose(rec_a.v.values, rec_b.v.values, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(rec_a.spikes.times, rec_b.spikes.times)
    assert rec_a.spikes.times.size > 0 and not a.poisson_inputs
    # the counts emitted before 5.3 ms still arrive (delay 1 ms): v moves after 5.3 ms
    t = rec_a.v.times
    assert np.ptp(rec_a.v.values[(t > 5.5) & (t < 6.3)]) > 0


def test_remove_poisson_input_refuses_a_foreign_input():
    a, inp, _ = _driven_net(np.inf)
    b, _, _ = _driven_net(np.inf)
    with pytest.raises(ValueError, match="not a Poisson input of this network"):
        b.remove_poisson_input(inp)
    a.remove_poisson_input(inp)
    with pytest.raises(ValueError, match="not a Poisson input"):
        a.remove_poisson_input(inp)


def test_input_numbers_are_not_reused():
    net, first, _ = _driven_net(np.inf)
    pop = net.populations[0]
    second = net.add_poisson_input(pop, 10.0, 0.1)
    net.remove_poisson_input(first)
    third = net.add_poisson_input(pop, 10.0, 0.1)
    assert len({first.index, second.index, third.index}) == 3
    assert second.seed != third.seed


def _pynn_drive(mode, n=400, rate=2000.0, w=0.05, tau_syn=5.0, extra_projection=False):
    sim.setup(timestep=0.1, poisson_inputs=mode, rng_seed=3)
    src = sim.Population(n, sim.SpikeSourcePoisson(rate=rate), label="bg")
    cells = sim.Population(n, sim.IF_curr_exp(v_thresh=0.0, tau_syn_E=tau_syn), label="cells")
    sim.Projection(src, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=w, delay=0.5))
    if extra_projection:
        other = sim.Population(n, sim.IF_curr_exp(), label="other")
        sim.Projection(src, other, sim.OneToOneConnector(), sim.StaticSynapse(weight=w))
    cells.record("v")
    return src, cells


@pytest.mark.parametrize("mode", ["counts", "events"])
def test_folded_drive_gives_campbells_mean(mode):
    src, cells = _pynn_drive(mode)
    try:
        sim.run(150.0)
        net = sim.simulator.state.net
        assert len(net.poisson_inputs) == (1 if mode == "counts" else 0)
        v = np.asarray(cells.get_data("v").segments[0].filter(name="v")[0])
        t = np.arange(v.shape[0]) * 0.1
    finally:
        sim.end()
    expect = -65.0 + 20.0 / 1.0 * (2000.0 * 1e-3 * 0.05 * 5.0)     # 10 mV above rest
    late = v[t >= 50.0]
    # per-neuron time averages are nearly independent: the spread of their mean
    sem = late.mean(axis=0).std(ddof=1) / np.sqrt(late.shape[1])
    assert abs(late.mean() - expect) < 5 * sem + 0.05


def test_recording_or_a_second_projection_keeps_the_events():
    src, cells = _pynn_drive("counts", n=50, extra_projection=True)
    try:
        sim.run(10.0)
        assert not sim.simulator.state.net.poisson_inputs
    finally:
        sim.end()
    src, cells = _pynn_drive("counts", n=50)
    try:
        sim.run(10.0)
        assert len(sim.simulator.state.net.poisson_inputs) == 1
        src.record("spikes")              # now the spikes are wanted: events again
        sim.run(20.0)
        assert not sim.simulator.state.net.poisson_inputs
        spikes = src.get_data("spikes").segments[0].spiketrains
        n = sum(len(s) for s in spikes)
        assert n > 0 and all(float(s.min()) >= 10.0 for s in spikes if len(s))
        # 50 sources x 2000 Hz x 20 ms = 2000 expected spikes
        assert abs(n - 2000) < 5 * np.sqrt(2000)
    finally:
        sim.end()


@pytest.mark.parametrize("mode", ["counts", "events"])
def test_a_folded_source_does_not_shorten_the_kernel_windows(mode):
    """Events of busy Poisson sources shorten the runtime's windows (MAX_EVENTS held at once);
    a folded source emits none, so it must not (sPyNNaker's microcircuit: 32-step windows)."""
    from spikesim.runtime import CHUNK_STEPS

    _pynn_drive(mode, n=5000, rate=20000.0)             # two spikes per source and step
    try:
        sim.run(1.0)
        steps = sim.simulator.state.net._runtime._window_steps()
    finally:
        sim.end()
    assert (steps == CHUNK_STEPS) == (mode == "counts")


def test_set_rate_between_runs_replaces_the_drive():
    src, cells = _pynn_drive("counts", n=20)
    try:
        sim.run(5.0)
        first = sim.simulator.state.net.poisson_inputs[0]
        src.set(rate=500.0)
        sim.run(5.0)
        inputs = sim.simulator.state.net.poisson_inputs
        assert len(inputs) == 1 and inputs[0] is not first
        np.testing.assert_array_equal(inputs[0].rate, 500.0)
    finally:
        sim.end()


def test_bad_poisson_inputs_option_is_refused():
    with pytest.raises(errors.InvalidParameterValueError, match="poisson_inputs.*'sometimes'"):
        sim.setup(timestep=0.1, poisson_inputs="sometimes")
    sim.end()


def test_seeded_sources_share_counts_and_repeat_them_after_reset():
    """sPyNNaker: a source with a seed repeats its spikes after reset(), and two sources with
    one seed fire alike; folded, their counts do the same (the membrane traces agree)."""
    sim.setup(timestep=0.1, conventions="spynnaker")
    try:
        cells = []
        for k in range(2):
            src = sim.Population(30, sim.SpikeSourcePoisson(rate=4000.0), seed=17)
            pop = sim.Population(30, sim.IF_curr_exp(v_thresh=0.0), label=f"c{k}")
            sim.Projection(src, pop, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.05))
            pop.record("v")
            cells.append(pop)
        sim.run(20.0)
        assert len(sim.simulator.state.net.poisson_inputs) == 2
        sim.reset()
        sim.run(20.0)
        segs = [c.get_data("v").segments for c in cells]
    finally:
        sim.end()
    v = [[np.asarray(seg.filter(name="v")[0]) for seg in s] for s in segs]
    assert np.ptp(v[0][0]) > 1.0
    np.testing.assert_array_equal(v[0][0], v[1][0])      # one seed: the same drive
    np.testing.assert_array_equal(v[0][0], v[0][1])      # reset(): the same counts again


def test_add_poisson_input_refuses_a_bad_seed():
    net = ss.Network(dt=0.1)
    pop = net.add_population(3, ss.IF_curr_exp())
    with pytest.raises(ValueError, match="PoissonInput.seed.*-1"):
        net.add_poisson_input(pop, 10.0, 0.1, seed=-1)
    assert not net.poisson_inputs
