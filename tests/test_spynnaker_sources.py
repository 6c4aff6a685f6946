"""sPyNNaker's time-varying Poisson sources (issue 16): ``SpikeSourcePoisson(rates=, starts=,
durations=)`` and ``extra_models.SpikeSourcePoissonVariable``, as sPyNNaker's scripts write
them, checked against the rates they ask for."""
from __future__ import annotations

import numpy as np
import pytest
from pyNN import errors

import spikesim.pynn.spynnaker as sim


@pytest.fixture(autouse=True)
def fresh():
    sim.setup(timestep=1.0)
    yield
    sim.end()


def _counts(pop, edges):
    """Spikes per window (a, b]: a spike is stamped at the end of its 1 ms step."""
    edges = np.asarray(edges, float) + 0.5
    out = []
    for st in pop.get_data().segments[0].spiketrains:
        t = np.asarray(st.magnitude)
        out.append(np.histogram(t, bins=edges)[0])
    return np.array(out)


def _assert_poisson_counts(counts, rates_hz, width_ms):
    """Counts within 5 sigma of rate x width (Poisson), and zero where the rate is zero."""
    expected = np.asarray(rates_hz, float) * width_ms / 1000.0
    assert np.all(counts[expected == 0] == 0)
    on = expected > 0
    assert np.all(np.abs(counts[on] - expected[on]) <= 5 * np.sqrt(expected[on]) + 1), \
        (counts, expected)


def test_variable_rate_source_follows_each_neurons_schedule():
    rates = [[100.0, 0.0, 400.0], [0.0, 300.0, 0.0], [50.0, 150.0, 50.0]]
    starts = [[0.0, 1000.0, 2000.0]] * 3
    durations = [[1000.0, 1000.0, 1000.0]] * 3
    pop = sim.Population(3, sim.extra_models.SpikeSourcePoissonVariable(
        rates=rates, starts=starts, durations=durations), seed=11)
    pop.record("spikes")
    sim.run(4000.0)
    counts = _counts(pop, [0, 1000, 2000, 3000, 4000])
    _assert_poisson_counts(counts, np.c_[np.asarray(rates), np.zeros(3)], 1000.0)


def test_spike_source_poisson_takes_rates_starts_durations_and_per_neuron_starts():
    one_list = sim.Population(4, sim.SpikeSourcePoisson(rates=[200.0, 20.0], starts=[0.0, 1000.0]),
                              seed=5)  # one list for all neurons; the second rate lasts forever
    per_start = sim.Population(2, sim.SpikeSourcePoisson(rate=[80.0, 120.0], start=[0.0, 1000.0]),
                               seed=6)
    windowed = sim.Population(2, sim.SpikeSourcePoisson(rates=[[300.0], [100.0]],
                                                        starts=[[500.0], [0.0]],
                                                        durations=[[500.0], [1500.0]]), seed=7)
    for p in (one_list, per_start, windowed):
        p.record("spikes")
    sim.run(2000.0)
    edges = [0, 500, 1000, 1500, 2000]
    _assert_poisson_counts(_counts(one_list, edges), [[200, 200, 20, 20]] * 4, 500.0)
    _assert_poisson_counts(_counts(per_start, edges), [[80] * 4, [0, 0, 120, 120]], 500.0)
    _assert_poisson_counts(_counts(windowed, edges), [[0, 300, 0, 0], [100, 100, 100, 0]], 500.0)


def test_plain_spike_source_poisson_is_pynns():
    pop = sim.Population(3, sim.SpikeSourcePoisson(rate=40.0, duration=500.0), seed=1)
    assert pop.get("rate") == [40.0, 40.0, 40.0]  # one value per neuron, as sPyNNaker
    from spikesim.pynn.spynnaker.models.spike_source.spike_source_poisson_vertex import (
        DURATION_FOREVER)
    endless = sim.Population(2, sim.SpikeSourcePoisson(rate=3.0))
    assert endless.get("duration") == [float(DURATION_FOREVER)] * 2  # sPyNNaker's "forever"
    assert endless.get(["rate", "start"]) == {"rate": [3.0, 3.0], "start": [0.0, 0.0]}
    pop.record("spikes")
    sim.run(1000.0)
    counts = _counts(pop, [0, 500, 1000])
    _assert_poisson_counts(counts, [[40, 0]] * 3, 500.0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(rates=[10.0, 20.0]), "several rates per neuron need starts"),
    (dict(rates=[[10.0, 20.0]] * 2, starts=[[0.0]] * 2), "neuron 0 has 2 rates, 1 starts"),
    (dict(rates=[[-1.0]] * 2), r"rates must be finite and >= 0, got -1.0 \(neuron 0\)"),
    (dict(rates=[[1.0]] * 2, starts=[[-5.0]] * 2), r"starts must be finite and >= 0, got -5.0"),
    (dict(rates=[[1.0]] * 3), "3 lists for 2 neurons"),
])
def test_bad_schedules_are_named(kwargs, match):
    with pytest.raises(errors.InvalidParameterValueError, match=match):
        sim.Population(2, sim.extra_models.SpikeSourcePoissonVariable(**kwargs))
    with pytest.raises(errors.InvalidParameterValueError, match="give rate or rates, not both"):
        sim.SpikeSourcePoisson(rate=1.0, rates=[1.0])


def test_get_returns_each_neurons_lists_as_spynnaker():
    from spikesim.pynn.spynnaker.models.spike_source.spike_source_poisson_vertex import (
        DURATION_FOREVER)

    pop = sim.Population(2, sim.SpikeSourcePoisson(rates=[[1.0, 10.0], [5.0, 6.0]],
                                                   starts=[[0.0, 500.0], [0.0, 100.0]],
                                                   durations=[[500.0, np.inf], [50.0, 20.0]]))
    assert not isinstance(pop.celltype, sim.SpikeSourcePoisson)  # sPyNNaker: a variable source
    both = pop.get(["rates", "starts"])  # several names: a dict, as sPyNNaker's ParameterHolder
    assert sorted(both) == ["rates", "starts"]
    assert [r.tolist() for r in both["rates"]] == [[1.0, 10.0], [5.0, 6.0]]
    assert pop[1:].get("starts")[0].tolist() == [0.0, 100.0]
    assert pop.get("durations")[0].tolist() == [500.0, float(DURATION_FOREVER)]
    fixed = sim.Population(2, sim.extra_models.SpikeSourcePoissonVariable(rates=[3.0]))
    assert fixed.get("durations")[1].tolist() == [float(DURATION_FOREVER)]
    assert fixed.get("starts")[0].tolist() == [0.0]
