"""Receptor fusion (spikesim.fusion, Network(fuse_receptors=True)): the fused network follows
the unfused one, falls back where the currents cannot be summed, and refuses changes that
would make its summed current ambiguous."""
from __future__ import annotations

import types

import numpy as np
import pytest

import spikesim as ss
from spikesim.kernels.codegen import planes

CELL = dict(tau_m=20.0, v_rest=-60.0, v_reset=-65.0, v_thresh=-50.0, tau_refrac=2.0,
            tau_syn_E=3.0, tau_syn_I=3.0, i_offset=0.5)


def _net(fuse, dtype="float64", threads=1, tau_i=(3.0, 3.0), record_isyn=False, seed=4,
         poisson=True):
    """Spike sources and Poisson inputs drive two IF_curr_exp populations through both
    receptors; population 'a' also inhibits itself (delays 0.5-3 ms)."""
    net = ss.Network(dt=0.1, seed=seed, dtype=dtype, threads=threads, fuse_receptors=fuse)
    src = net.add_population(40, ss.SpikeSourcePoisson(rate=40.0), label="src")
    pops = {}
    for name, ti in zip("ab", tau_i):
        pops[name] = net.add_population(60, ss.IF_curr_exp(**{**CELL, "tau_syn_I": ti}),
                                        label=name)
        net.connect(src, pops[name], ss.FixedProbability(0.3), weight=0.4,
                    delay=ss.RandomDistribution("uniform", low=0.5, high=3.0))
        net.connect(src, pops[name], ss.FixedProbability(0.3), weight=-0.3,
                    delay=ss.RandomDistribution("uniform", low=0.5, high=3.0),
                    receptor_type="inhibitory")
        if poisson:
            net.add_poisson_input(pops[name], rate=2000.0, weight=-0.05,
                                  receptor_type="inhibitory")
    net.connect(pops["a"], pops["a"], ss.FixedProbability(0.1), weight=-0.2, delay=1.0,
                receptor_type="inhibitory")
    recs = {k: net.record(p, ["spikes", "v"] + (["isyn_inh"] if record_isyn else []))
            for k, p in pops.items()}
    return net, pops, recs


def _v(recs):
    return np.hstack([r.get("v").values for r in recs.values()])


def _spikes(recs):
    return [(k, r.get("spikes").times.tolist(), r.get("spikes").senders.tolist())
            for k, r in recs.items()]


@pytest.mark.parametrize("threads", [1, 2])
def test_fused_network_follows_the_unfused_one(threads):
    """float64: the same membrane traces (to rounding) and the same spikes, with one ring plane
    instead of two; the fused current is the sum of the two unfused ones."""
    runs = {}
    for fuse in (False, True):
        net, pops, recs = _net(fuse, threads=threads)
        net.run(200.0, progress=False)
        runs[fuse] = (net, pops, recs)
    (n0, p0, r0), (n1, p1, r1) = runs[False], runs[True]
    assert n0._runtime.buf.shape[0] == 2 and n1._runtime.buf.shape[0] == 1
    assert n1._runtime.fused == {p1["a"].index, p1["b"].index}
    assert sum(len(s[1]) for s in _spikes(r0)) > 100
    assert _spikes(r1) == _spikes(r0)
    np.testing.assert_allclose(_v(r1), _v(r0), rtol=0, atol=1e-9)
    for k in "ab":
        total = p0[k]._state("isyn_exc") + p0[k]._state("isyn_inh")
        np.testing.assert_allclose(p1[k]._state("isyn_exc"), total, rtol=0, atol=1e-12)
        assert not p1[k]._state("isyn_inh").any()


def test_fused_results_do_not_depend_on_threads():
    """float32, where rounding would show any change of summation order: bit-identical."""
    out = []
    for threads in (1, 2):
        net, _, recs = _net(True, dtype="float32", threads=threads)
        net.run(150.0, progress=False)
        assert net._runtime.n_parts == threads
        out.append((_spikes(recs), _v(recs)))
    assert out[0][0] == out[1][0]
    assert np.array_equal(out[0][1], out[1][1])


def test_fusion_falls_back_where_the_currents_cannot_be_summed():
    """'a' has tau_syn_I != tau_syn_E, 'b' records isyn_inh: neither is fused, the ring keeps two
    planes, and the run is the unfused one."""
    nets = [_net(f, tau_i=(3.0, 3.0), record_isyn=True) for f in (False, True)]
    nets += [_net(f, tau_i=(5.0, 3.0)) for f in (False, True)]
    for net, _, _ in nets:
        net.run(100.0, progress=False)
    assert nets[1][0]._runtime.fused == frozenset() and nets[1][0]._runtime.buf.shape[0] == 2
    b = nets[3][1]["b"].index
    assert nets[3][0]._runtime.fused == {b} and nets[3][0]._runtime.buf.shape[0] == 2
    for unfused, fused in ((nets[0], nets[1]), (nets[2], nets[3])):
        assert _spikes(fused[2]) == _spikes(unfused[2])
        np.testing.assert_allclose(_v(fused[2]), _v(unfused[2]), rtol=0, atol=1e-9)


def test_input_in_flight_is_folded_when_a_population_becomes_fused():
    """'a' starts with unequal time constants (unfused, inhibitory input pending in the second
    plane and in isyn_inh), then gets equal ones: from then on it runs fused and matches the
    unfused network given the same change."""
    runs = []
    for fuse in (False, True):
        net, pops, recs = _net(fuse, tau_i=(5.0, 3.0))
        net.run(50.3, progress=False)
        if fuse:
            assert pops["a"].index not in net._runtime.fused
            assert np.abs(pops["a"]._state("isyn_inh")).max() > 0.01
            assert np.abs(net._runtime.buf[1]).max() > 0.01
        pops["a"].set(tau_syn_I=3.0)
        net.run(100.0, progress=False)
        runs.append((net, recs))
    assert runs[1][0]._runtime.fused == {p.index for p in runs[1][0].populations[1:]}
    assert runs[1][0]._runtime.buf.shape[0] == 1
    assert _spikes(runs[1][1]) == _spikes(runs[0][1])
    np.testing.assert_allclose(_v(runs[1][1]), _v(runs[0][1]), rtol=0, atol=1e-9)


def test_a_fused_population_refuses_what_would_split_its_current():
    net, pops, recs = _net(True)
    net.run(20.0, progress=False)
    before = _spikes(recs), _v(recs).copy()
    with pytest.raises(ValueError, match=r"tau_syn_I=4\.0.*fuse_receptors"):
        pops["a"].set(tau_syn_I=4.0)
    assert pops["a"].get("tau_syn_I")[0] == 3.0  # nothing changed
    with pytest.raises(ValueError, match=r"variables=\['isyn_inh'\].*'a'"):
        net.record(pops["a"], ["v", "isyn_inh"])
    assert len(net.recorders) == 2
    pops["a"].set(tau_syn_I=3.0, tau_syn_E=3.0)  # still equal: allowed
    net.run(10.0, progress=False)
    after = _spikes(recs), _v(recs)
    assert after[1].shape[0] == before[1].shape[0] + 100  # recording went on, nothing lost
    np.testing.assert_array_equal(after[1][:before[1].shape[0]], before[1])


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_fuse_receptors_must_be_a_bool(value):
    with pytest.raises(ValueError, match=f"fuse_receptors must be True or False, got {value!r}"):
        ss.Network(fuse_receptors=value)


def test_save_and_load_keep_the_fused_ring(tmp_path):
    """A fused network saved mid-run and loaded continues bit-identically (float32; without
    Poisson inputs, which save() does not hold yet)."""
    net, _, recs = _net(True, dtype="float32", poisson=False)
    net.run(60.0, progress=False)
    path = tmp_path / "net.h5"
    net.save(path)
    net.run(60.0, progress=False)
    loaded = ss.load(path)
    assert loaded.fuse_receptors and loaded._runtime.fused == net._runtime.fused
    with pytest.raises(ValueError, match="has run with fused synaptic currents"):
        loaded.record(loaded.populations[1], "isyn_inh")  # its two currents are one now
    loaded.run(60.0, progress=False)
    assert loaded._runtime.buf.shape[0] == 1
    assert np.array_equal(loaded._state.S, net._state.S)
    assert np.array_equal(loaded._runtime.buf, net._runtime.buf)
    assert net._runtime.buf.any()


def test_the_fused_receptor_must_be_the_models_last():
    m = types.SimpleNamespace(NAME="X", RECEPTORS=("inhibitory", "excitatory"),
                              FUSE=dict(receptor="inhibitory", into="excitatory"))
    with pytest.raises(ValueError, match="must be the last of RECEPTORS"):
        planes(m, True)
    assert planes(m, False) == (0, 1)


def test_the_fixed_point_twin_refuses_a_fused_network():
    """SpiNNaker keeps the two inputs apart, so the fixed-point comparison cannot start from a
    summed ring; it refuses before running anything."""
    from spikesim.export.spinnaker_fixedpoint import fixed_point_run

    net, _, _ = _net(True, dtype="float32", poisson=False)
    with pytest.raises(ValueError, match="fuse_receptors=True"):
        fixed_point_run(net, 10.0)
    assert net.step == 0


def test_pynn_setup_option_fuses_and_gives_the_same_run():
    """spikesim.pynn: setup(fuse_receptors=True) runs a PyNN script's IF_curr_exp network fused,
    with the unfused run's membrane traces (float64)."""
    import spikesim.pynn as sim

    out = []
    for fuse in (False, True):
        sim.setup(timestep=0.1, rng_seed=2, fuse_receptors=fuse)
        src = sim.Population(30, sim.SpikeSourcePoisson(rate=80.0))
        cells = sim.Population(20, sim.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=2.0, i_offset=0.6))
        rng = sim.NumpyRNG(seed=9)
        sim.Projection(src, cells, sim.FixedProbabilityConnector(0.5, rng=rng),
                       sim.StaticSynapse(weight=0.5, delay=1.0), receptor_type="excitatory")
        sim.Projection(src, cells, sim.FixedProbabilityConnector(0.5, rng=rng),
                       sim.StaticSynapse(weight=-0.4, delay=1.5), receptor_type="inhibitory")
        cells.record(["v", "spikes"])
        sim.run(200.0)
        net = sim.simulator.state.net
        out.append((len(net._runtime.fused), net._runtime.buf.shape[0],
                    np.asarray(cells.get_data("v").segments[0].filter(name="v")[0])))
        sim.end()
    assert out[0][:2] == (0, 2) and out[1][:2] == (1, 1)
    assert np.ptp(out[0][2]) > 5.0
    np.testing.assert_allclose(out[1][2], out[0][2], rtol=0, atol=1e-9)
