"""HH_cond_exp (Traub-Miles, NEST hh_cond_exp_traub) against NEST through spikesim.backends.nest.

Spike times must agree within 0.1 ms (one step at dt = 0.1 ms) over 1 s, driven
by DC (``i_offset``) and by excitatory and inhibitory input spike trains.
Measured (RK4 at 0.01 ms sub-steps vs GSL's RKF45 in NEST): DC drives 0, 0.5, 1,
2 nA give 0/77/128/205 spikes in both, at most 0.1 ms (one step) apart; the input
trains give 166 spikes in both at identical times.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import spikesim as ss

pytestmark = pytest.mark.nest

DT = 0.1


@pytest.fixture(scope="module")
def nest_run():
    os.environ.setdefault("PYNEST_QUIET", "1")
    pytest.importorskip("nest")
    from spikesim.backends.nest import run

    return run


def _max_shift(rec_a, rec_b, n):
    """Largest spike-time difference (ms) per neuron; asserts equal spike counts."""
    worst = 0.0
    ta, tb = rec_a.spikes.trains(), rec_b.spikes.trains()
    assert len(ta) == len(tb) == n
    for i, (a, b) in enumerate(zip(ta, tb)):
        assert len(a) == len(b), (i, len(a), len(b))
        if len(a):
            worst = max(worst, float(np.abs(np.asarray(a) - np.asarray(b)).max()))
    return worst


def _dc_network():
    net = ss.Network(dt=DT, seed=3, dtype="float64")
    pop = net.add_population(4, ss.HH_cond_exp(i_offset=np.array([0.0, 0.5, 1.0, 2.0])))
    return net, net.record(pop, "spikes")


def _input_network():
    net = ss.Network(dt=DT, seed=5, dtype="float64")
    rng = np.random.default_rng(5)
    exc_t = np.sort(rng.choice(np.arange(1, 10000), 400, replace=False)) * DT
    inh_t = np.sort(rng.choice(np.arange(1, 10000), 150, replace=False)) * DT
    src = net.add_population(2, ss.SpikeSourceArray([exc_t, inh_t]))
    pop = net.add_population(3, ss.HH_cond_exp(gbar_K=np.array([6.0, 5.0, 7.0])))
    net.connect(src[[0]], pop, ss.AllToAll(), weight=np.array([[0.08, 0.12, 0.1]]), delay=0.5)
    net.connect(src[[1]], pop, ss.AllToAll(), weight=0.05, receptor_type="inhibitory", delay=1.0)
    return net, net.record(pop, "spikes")


@pytest.mark.parametrize("build", [_dc_network, _input_network], ids=["dc", "spike-trains"])
def test_spike_times_match_nest(nest_run, build):
    net, rec = build()
    net.run(1000.0)
    net2, rec2 = build()
    nest_run(net2, 1000.0)
    n = rec.population.size
    assert len(rec.spikes) > 100
    assert _max_shift(rec, rec2, n) <= DT + 1e-9


def test_state_traces_match_nest(nest_run):
    """v and the gates sampled every 1 ms for 50 ms (one DC spike train) agree with NEST's."""
    def build():
        net = ss.Network(dt=DT, dtype="float64")
        pop = net.add_population(1, ss.HH_cond_exp(i_offset=1.0))
        return net, net.record(pop, ["v", "m", "h", "n"], sampling_interval=1.0)

    net, rec = build()
    net.run(50.0)
    net2, rec2 = build()
    nest_run(net2, 50.0)
    np.testing.assert_allclose(rec2.v.values, rec.v.values, atol=0.5)
    for var in ("m", "h", "n"):
        np.testing.assert_allclose(getattr(rec2, var).values, getattr(rec, var).values, atol=0.01)


def test_no_spike_without_drive_and_spike_rules():
    """At rest (PyNN's initial values, no input) the neuron settles without firing; a spike is
    detected once per action potential (v falling above v_offset + 30 mV), never twice in 2 ms."""
    net = ss.Network(dt=DT, dtype="float64")
    quiet = net.add_population(1, ss.HH_cond_exp())
    driven = net.add_population(1, ss.HH_cond_exp(i_offset=3.0))
    rq, rd = net.record(quiet, "spikes"), net.record(driven, ["spikes", "v"])
    net.run(300.0)
    assert len(rq.spikes) == 0
    t = rd.spikes.times
    assert len(t) > 20 and np.diff(t).min() > 2.0
    v = rd.v.values[:, 0]
    steps = np.rint(t / DT).astype(int) - 1  # the step that ends at the spike time
    # v after the spike step is above v_offset + 30 and below the previous step's v
    assert (v[steps] >= -33.0).all() and (v[steps - 1] > v[steps]).all()


def test_finite_under_extreme_input():
    """Huge conductances and currents: the stiff branch keeps every state finite and bounded."""
    net = ss.Network(dt=DT, dtype="float64")
    src = net.add_population(1, ss.SpikeSourceArray([[1.0, 1.1, 5.0]]))
    pop = net.add_population(3, ss.HH_cond_exp(i_offset=np.array([0.0, 1e4, -1e4])))
    net.connect(src, pop, ss.AllToAll(), weight=1e5)
    net.connect(src, pop, ss.AllToAll(), weight=1e5, receptor_type="inhibitory")
    rec = net.record(pop, ["v", "m", "h", "n", "gsyn_exc"])
    net.run(20.0)
    for var in ("v", "m", "h", "n", "gsyn_exc"):
        vals = getattr(rec, var).values
        assert np.isfinite(vals).all(), var
    for var in ("m", "h", "n"):
        vals = getattr(rec, var).values
        assert (vals >= -1e-12).all() and (vals <= 1 + 1e-12).all(), var
    v = rec.v.values
    assert np.abs(v[:, 0]).max() < 200.0  # v between the reversal potentials


@pytest.mark.parametrize("bad", [dict(cm=0.0), dict(g_leak=-0.01), dict(gbar_Na=-1.0),
                                 dict(tau_syn_E=0.0), dict(e_rev_K=np.nan)])
def test_bad_parameters_raise(bad):
    name, value = next(iter(bad.items()))
    with pytest.raises(ValueError, match=name):
        ss.HH_cond_exp(**bad)


def test_runs_through_spikesim_pynn():
    import spikesim.pynn as sim

    sim.setup(timestep=DT)
    try:
        pop = sim.Population(3, sim.HH_cond_exp(i_offset=[0.0, 0.5, 1.0]))
        pop.record(["spikes", "v"])
        sim.run(200.0)
        data = pop.get_data().segments[0]
        counts = [len(st) for st in data.spiketrains]
        assert counts[0] == 0 and counts[1] > 0 and counts[2] > counts[1]
        assert data.filter(name="v")[0].shape[1] == 3
    finally:
        sim.end()
