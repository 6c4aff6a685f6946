"""Population.set / initialize and Network.reset_state / reset."""
import numpy as np
import pytest

import spikesim as ss
from spikesim.examples import cuba


def _plastic_net(seed=2):
    net, recs = cuba(400, stdp=True, seed=seed, dtype="float64")
    src = net.add_population(10, ss.SpikeSourceArray(spike_times=[[5.0, 25.0]] * 10), label="src")
    net.connect(src, net.populations[0], ss.FixedProbability(0.5), weight=0.5)
    g = net.add_astrocytes(1, ss.NALSMAstrocyte(w_A=0.002, decay=0.99), positive=[net.populations[0]])
    plastic = [p for p in net.projections if p.plastic][0]
    plastic.modulate(depression=g, potentiation_decay=0.99)
    return net, plastic, g


def test_reset_state_and_restored_weights_repeat_a_trial_exactly():
    net, plastic, g = _plastic_net()
    w0 = plastic.weight.copy()
    rec = net.record(net.populations[0], "spikes")
    net.run(40.0)
    first = rec.spikes.times.copy()
    a_first = g.A.copy()
    net.reset()
    plastic.set_weights(w0)
    net.run(40.0)
    second = rec.spikes.times[first.shape[0]:]
    # the CUBA part has no Poisson input, so the trial repeats exactly after a full reset
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(g.A, a_first)
    assert net.t == pytest.approx(40.0)


def test_reset_state_keeps_time_and_weights():
    net, plastic, g = _plastic_net()
    net.run(30.0)
    w = plastic.weight.copy()
    net.reset_state()
    assert net.t == pytest.approx(30.0)
    np.testing.assert_array_equal(plastic.weight, w)
    np.testing.assert_array_equal(net.populations[0].v, net._state.v0[:net.populations[0].size])
    assert g.A[0] == pytest.approx(0.15) and plastic._pstate["mod"][0] == 1.0


def test_set_neuron_parameters_changes_dynamics_from_now():
    net = ss.Network(dt=0.1, seed=1)
    pop = net.add_population(3, ss.IF_curr_exp(i_offset=0.0))
    rec = net.record(pop, "spikes")
    net.run(50.0)
    assert len(rec.spikes) == 0
    pop[[1]].set(i_offset=2.0)  # one neuron only
    net.run(50.0)
    counts = rec.spikes.counts()
    assert counts[1] > 0 and counts[0] == 0 and counts[2] == 0
    assert rec.spikes.times.min() > 50.0
    np.testing.assert_array_equal(pop.get("i_offset"), [0.0, 2.0, 0.0])


def test_set_sources_applies_from_the_current_step():
    net = ss.Network(dt=0.1, seed=1)
    arr = net.add_population(2, ss.SpikeSourceArray(spike_times=[[1.0], [2.0]]))
    poi = net.add_population(50, ss.SpikeSourcePoisson(rate=0.0))
    ra, rp = net.record(arr, "spikes"), net.record(poi, "spikes")
    net.run(10.0)
    arr.set(spike_times=[[3.0, 12.0], [15.0]])   # 3.0 lies in the past: ignored
    poi.set(rate=500.0)
    net.run(10.0)
    np.testing.assert_allclose(ra.spikes.times, [1.0, 2.0, 12.0, 15.0])
    assert len(rp.spikes) > 100 and rp.spikes.times.min() > 10.0


def test_set_v_is_the_spynnaker_initial_value_idiom():
    net = ss.Network(dt=0.1, seed=1)
    pop = net.add_population(4, ss.IF_curr_exp())
    pop.set(v=-55.0)
    np.testing.assert_allclose(pop.v, -55.0)
    net.run(5.0)
    net.reset_state()
    np.testing.assert_allclose(pop.v, -55.0)


@pytest.mark.parametrize("kwargs,match", [
    (dict(tau_m=-1.0), "tau_m"),
    (dict(v_reset=-40.0), "v_reset"),
    (dict(not_a_parameter=1.0), "not_a_parameter"),
    (dict(cm=[1.0, 2.0]), "cm"),
    (dict(v=float("nan")), "v"),
])
def test_set_refuses_bad_values_and_changes_nothing(kwargs, match):
    net = ss.Network(dt=0.1, seed=1)
    pop = net.add_population(3, ss.IF_curr_exp())
    before = dict(pop.params)
    with pytest.raises((ValueError, TypeError), match=match):
        pop.set(**kwargs)
    assert pop.params == before


def test_set_refuses_rates_above_one_spike_per_step_on_plastic_sources_only():
    # issue 17: any rate is accepted (a Poisson count per step); plastic synapses take one
    net = ss.Network(dt=0.1, seed=1)
    poi = net.add_population(5, ss.SpikeSourcePoisson(rate=1.0))
    tgt = net.add_population(1, ss.IF_curr_exp())
    net.connect(poi, tgt, ss.AllToAll(), weight=0.1, synapse=ss.STDP(
        ss.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.01),
        ss.AdditiveWeightDependence(0.0, 1.0)))
    with pytest.raises(ValueError, match="exceeds one spike per step"):
        poi.set(rate=20000.0)
    np.testing.assert_array_equal(poi.get("rate"), 1.0)
    free = net.add_population(5, ss.SpikeSourcePoisson(rate=1.0))
    free.set(rate=20000.0)
    np.testing.assert_array_equal(free.get("rate"), 20000.0)
