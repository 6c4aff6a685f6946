"""Izhikevich neurons against NEST's ``izhikevich`` (spikesim.backends.nest.run), and validation.

Both integrate with the same forward-Euler update (NEST's default
``consistent_integration``), so in float64 the spikes are identical and ``v``
agrees to rounding (measured: at most 2.4e-9 mV over 300 ms, relative 1.6e-10).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import spikesim as ss

DT = 0.1
# Izhikevich (2003) fig. 2: regular spiking, intrinsically bursting, chattering, fast spiking,
# low-threshold spiking; I = 10 (i_offset = 0.01 nA through PyNN's x1000)
PATTERNS = {"RS": (0.02, 0.2, -65.0, 8.0), "IB": (0.02, 0.2, -55.0, 4.0),
            "CH": (0.02, 0.2, -50.0, 2.0), "FS": (0.1, 0.2, -65.0, 2.0),
            "LTS": (0.02, 0.25, -65.0, 2.0)}


@pytest.fixture(scope="module")
def nest_run():
    os.environ.setdefault("PYNEST_QUIET", "1")
    pytest.importorskip("nest")
    from spikesim.backends.nest import run

    return run


def izhikevich_network():
    """DC-driven cells of every pattern, and RS/FS cells driven by spike trains on both receptors."""
    net = ss.Network(dt=DT, seed=1, dtype="float64")
    a, b, c, d = (np.array(x) for x in zip(*PATTERNS.values()))
    dc = net.add_population(len(PATTERNS), ss.Izhikevich(a=a, b=b, c=c, d=d, i_offset=0.01),
                            label="dc")
    dc.initialize(u=b * -65.0, v=-65.0)
    driven = net.add_population(4, ss.Izhikevich(a=[0.02, 0.1, 0.02, 0.1], d=[8.0, 2.0, 8.0, 2.0],
                                                 i_offset=0.003), label="driven")
    rng = np.random.default_rng(5)
    times = [np.unique(np.round(rng.uniform(1, 300, 60), 1)) for _ in range(6)]
    src = net.add_population(6, ss.SpikeSourceArray(times), label="src")
    net.connect(src[:4], driven, ss.AllToAll(), weight=ss.RandomDistribution("uniform", low=1.0, high=6.0),
                delay=ss.RandomDistribution("uniform", low=0.1, high=3.0))
    net.connect(src[4:], driven, ss.AllToAll(), weight=-3.0, receptor_type="inhibitory", delay=1.0)
    recs = [net.record(p, "spikes") for p in (dc, driven)]
    vrec = net.record(driven, ["v", "u"], sampling_interval=0.5)
    return net, recs, vrec


def test_same_spikes_and_v_as_nest(nest_run):
    net, recs, vrec = izhikevich_network()
    net.run(300.0)
    net2, recs2, vrec2 = izhikevich_network()
    nest_run(net2, 300.0)
    for a, b in zip(recs, recs2):
        ours = set(zip(np.rint(a.spikes.times / DT).astype(int), a.spikes.senders))
        theirs = set(zip(np.rint(b.spikes.times / DT).astype(int), b.spikes.senders))
        assert ours == theirs, a.population.label
    assert len(recs[0].spikes) > 5 * len(PATTERNS)       # every DC cell fires, repeatedly
    assert set(recs[0].spikes.senders.tolist()) == set(range(len(PATTERNS)))
    assert len(recs[1].spikes) > 8
    np.testing.assert_array_equal(vrec.v.times, vrec2.v.times)
    # the same arithmetic in another order: last-bit differences, grown by the quadratic term
    np.testing.assert_allclose(vrec2.v.values, vrec.v.values, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(vrec2.u.values, vrec.u.values, rtol=1e-9, atol=1e-9)


def test_dc_source_and_step_matches_nest(nest_run):
    def build():
        net = ss.Network(dt=DT, seed=2, dtype="float64")
        pop = net.add_population(2, ss.Izhikevich(a=[0.02, 0.1], d=[8.0, 2.0]), label="p")
        ss.DCSource(amplitude=0.012, start=20.0, stop=150.0).inject_into(pop)
        return net, net.record(pop, "spikes")
    net, rec = build()
    net.run(200.0)
    net2, rec2 = build()
    nest_run(net2, 200.0)
    assert len(rec.spikes) > 4
    assert np.array_equal(np.rint(rec.spikes.times / DT), np.rint(rec2.spikes.times / DT))
    assert np.array_equal(rec.spikes.senders, rec2.spikes.senders)


def test_pynn_defaults_and_weights_are_mv():
    cell = ss.Izhikevich()
    assert cell.parameters == dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=0.0)
    net = ss.Network(dt=DT, dtype="float64")
    pop = net.add_population(1, cell)
    assert pop.v[0] == -70.0 and pop._state("u")[0] == -14.0   # PyNN's initial values
    src = net.add_population(1, ss.SpikeSourceArray([1.0]))
    net.connect(src, pop, ss.AllToAll(), weight=5.0, delay=DT)
    v0, u0 = -70.0, -14.0
    net.run(1.0 + DT)  # the spike emitted in step 9 arrives in step 10
    v = v0
    u = u0
    for k in range(11):
        v, u = v + DT * (0.04 * v * v + 5 * v + 140 - u) + (5.0 if k == 10 else 0.0), \
            u + DT * 0.02 * (0.2 * v - u)
    assert pop.v[0] == pytest.approx(v, abs=1e-12)


@pytest.mark.parametrize("kw, match", [(dict(c=30.0), "c must be below"),
                                       (dict(a=np.nan), "a"), (dict(i_offset=np.inf), "i_offset")])
def test_bad_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        ss.Network(dt=DT).add_population(2, ss.Izhikevich(**kw))


def test_through_spikesim_pynn():
    import spikesim.pynn as sim

    sim.setup(timestep=0.1)
    pop = sim.Population(3, sim.Izhikevich(i_offset=[0.005, 0.01, 0.02]))
    pop.record(["spikes", "v"])
    sim.run(100.0)
    data = pop.get_data().segments[0]
    counts = [len(st) for st in data.spiketrains]
    sim.end()
    assert 0 < counts[0] < counts[1] < counts[2]
