"""spikesim.pynn's native connector path (spikesim/pynn/native_connect.py): PyNN's rules
drawn by spikesim's vectorised connectors, checked against the rules' definitions; the
fallbacks to PyNN's own code; setup(connectors="pynn")."""
from __future__ import annotations

import numpy as np
import pytest
from pyNN import errors
from pyNN.random import NumpyRNG, RandomDistribution

import spikesim.pynn as sim
from spikesim.pynn import native_connect


def _pairs(prj):
    conns = np.array(prj.get(["weight", "delay"], format="list"))
    return conns[:, 0].astype(int), conns[:, 1].astype(int), conns[:, 2], conns[:, 3]


@pytest.fixture
def pops():
    sim.setup(timestep=0.1)
    a = sim.Population(300, sim.IF_curr_exp(), label="a")
    b = sim.Population(200, sim.IF_curr_exp(), label="b")
    yield a, b
    sim.end()


def test_each_rule_is_drawn_natively_with_its_definition(pops, monkeypatch):
    a, b = pops
    calls = []
    real = native_connect.native_connections
    monkeypatch.setattr("spikesim.pynn.projections.native_connections",
                        lambda p, c: calls.append(type(c).__name__) or real(p, c))
    rng = NumpyRNG(seed=1)
    syn = sim.StaticSynapse(weight=0.5, delay=1.0)
    # all to all without autapses on a recurrent projection
    i, j, _, _ = _pairs(sim.Projection(a, a, sim.AllToAllConnector(allow_self_connections=False),
                                       syn))
    assert i.size == 300 * 299 and not np.any(i == j)
    i, j, _, _ = _pairs(sim.Projection(b, b, sim.OneToOneConnector(), syn))
    assert np.array_equal(i, j) and i.size == 200
    # fixed probability: count ~ Binomial(60000, 0.1)
    i, j, _, _ = _pairs(sim.Projection(a, b, sim.FixedProbabilityConnector(0.1, rng=rng), syn))
    assert abs(i.size - 6000) < 5 * np.sqrt(6000 * 0.9)
    assert len(set(zip(i, j))) == i.size  # at most one synapse per pair
    # fixed in-degree and out-degree, distinct partners
    i, j, _, _ = _pairs(sim.Projection(a, b, sim.FixedNumberPreConnector(7, rng=rng), syn))
    assert np.all(np.bincount(j, minlength=200) == 7) and len(set(zip(i, j))) == i.size
    i, j, _, _ = _pairs(sim.Projection(a, b, sim.FixedNumberPostConnector(5, rng=rng), syn))
    assert np.all(np.bincount(i, minlength=300) == 5) and len(set(zip(i, j))) == i.size
    # fixed total number with multapses (PyNN's default with_replacement=True)
    i, j, _, _ = _pairs(sim.Projection(a, a, sim.FixedTotalNumberConnector(
        5000, allow_self_connections=False, rng=rng), syn))
    assert i.size == 5000 and not np.any(i == j)
    assert calls == ["AllToAllConnector", "OneToOneConnector", "FixedProbabilityConnector",
                     "FixedNumberPreConnector", "FixedNumberPostConnector",
                     "FixedTotalNumberConnector"]


def test_random_weights_and_delays_are_drawn_per_synapse(pops):
    a, b = pops
    rng = NumpyRNG(seed=2)
    w = RandomDistribution("normal_clipped", mu=0.2, sigma=0.05, low=0.0, high=np.inf, rng=rng)
    d = RandomDistribution("uniform", (0.5, 3.0), rng=rng)
    _, _, ws, ds = _pairs(sim.Projection(a, b, sim.FixedTotalNumberConnector(20000, rng=rng),
                                         sim.StaticSynapse(weight=w, delay=d)))
    assert abs(ws.mean() - 0.2) < 0.002 and abs(ws.std() - 0.05) < 0.002 and ws.min() >= 0
    steps = np.round(ds / 0.1)
    assert np.allclose(ds, steps * 0.1) and steps.min() >= 5 and steps.max() <= 30
    assert abs(ds.mean() - 1.75) < 0.03


def test_a_seeded_connector_gives_the_same_connections_every_time():
    out = []
    for _ in range(2):
        sim.setup(timestep=0.1)
        a = sim.Population(100, sim.IF_curr_exp())
        prj = sim.Projection(a, a, sim.FixedProbabilityConnector(0.2, rng=NumpyRNG(seed=9)),
                             sim.StaticSynapse(weight=0.1, delay=1.0))
        out.append(np.array(prj.get("weight", format="list"))[:, :2])
        sim.end()
    assert np.array_equal(out[0], out[1])


def test_pynn_path_is_kept_where_native_cannot_be_exact(pops, monkeypatch):
    a, b = pops
    used = []
    real = native_connect.native_connections
    monkeypatch.setattr("spikesim.pynn.projections.native_connections",
                        lambda p, c: used.append(real(p, c) is not None) or real(p, c))
    syn = sim.StaticSynapse(weight=0.5, delay=1.0)
    sim.Projection(a, b, sim.FixedNumberPreConnector(3, with_replacement=True), syn)
    sim.Projection(a, b, sim.DistanceDependentProbabilityConnector("d < 2"), syn)
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(
        weight=np.full((300, 200), 0.1), delay=1.0))  # a weight matrix
    sim.Projection(a[:100], a[50:150], sim.AllToAllConnector(allow_self_connections=False), syn)
    sim.Projection(a, b, sim.AllToAllConnector(), syn)
    assert used == [False, False, False, False, True]


def test_setup_connectors_pynn_reproduces_pynns_realisation():
    def draw(mode):
        sim.setup(timestep=0.1, connectors=mode)
        a = sim.Population(50, sim.IF_curr_exp())
        prj = sim.Projection(a, a, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=4)),
                             sim.StaticSynapse(weight=0.1, delay=1.0))
        pairs = np.array(prj.get("weight", format="list"))[:, :2].astype(int)
        sim.end()
        return {tuple(p) for p in pairs}

    pynn = draw("pynn")
    # PyNN's FixedProbabilityConnector: one uniform draw per (pre, post) column by column
    rng = NumpyRNG(seed=4)
    expected = set()
    for post in range(50):
        for pre in np.flatnonzero(rng.next(50, "uniform", {"low": 0.0, "high": 1.0}) < 0.3):
            expected.add((int(pre), post))
    assert pynn == expected
    assert draw("native") != pynn


def test_bad_input_is_named(pops):
    a, b = pops
    with pytest.raises(errors.InvalidParameterValueError, match="connectors.*'fast'"):
        sim.setup(timestep=0.1, connectors="fast")
    sim.setup(timestep=0.1)
    a = sim.Population(10, sim.IF_curr_exp())
    with pytest.raises(errors.ConnectionError):  # PyNN's weight sign rule, applied natively too
        sim.Projection(a, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.5),
                       receptor_type="excitatory")
