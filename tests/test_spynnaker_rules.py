"""sPyNNaker's names for spikesim's STDP rules (spikesim.spynnaker_rules): same weights, exactly."""
import numpy as np
import pytest

import spikesim as ss
from spikesim.spynnaker_rules import (PfisterSpikeTriplet, SpikeNearestPairRule,
                                      WeightDependenceAdditiveTriplet)

DT = 0.1


def _weights(syn, seed=4):
    """Final weights of a small recurrent plastic network with heterogeneous delays."""
    net = ss.Network(dt=DT, seed=seed, dtype="float64")
    src = net.add_population(8, ss.SpikeSourcePoisson(rate=60.0))
    drive = net.add_population(6, ss.SpikeSourcePoisson(rate=400.0))
    post = net.add_population(6, ss.IF_curr_exp(tau_refrac=1.0, tau_syn_E=2.0))
    net.connect(drive, post, ss.OneToOne(), weight=2.0)
    delays = np.random.default_rng(seed).integers(1, 15, size=(8, 6)) * DT
    w0 = 0.5 * (syn.weight.w_min + syn.weight.w_max)
    p1 = net.connect(src, post, ss.FixedProbability(0.6), weight=w0, delay=delays, synapse=syn)
    p2 = net.connect(post, post, ss.FixedProbability(0.5, allow_self=False), weight=w0, synapse=syn)
    net.run(300.0)
    return np.concatenate([p1.weight, p2.weight]), w0


def test_spike_nearest_pair_rule_is_spikesim_nearest_first_pair():
    alias = SpikeNearestPairRule(tau_plus=15.0, tau_minus=25.0, A_plus=0.05, A_minus=0.06)
    wd = ss.AdditiveWeightDependence(0.0, 1.0)
    got, w0 = _weights(ss.STDP(alias, wd))
    want, _ = _weights(ss.STDP(ss.SpikePairRule(15.0, 25.0, 0.05, 0.06, interaction="nearest_first"), wd))
    np.testing.assert_array_equal(got, want)
    assert np.ptp(got) > 0.05
    all_to_all, _ = _weights(ss.STDP(ss.SpikePairRule(15.0, 25.0, 0.05, 0.06), wd))
    assert np.abs(all_to_all - got).max() > 1e-3  # the interaction is what the alias sets
    # also with spikesim's multiplicative dependence (sPyNNaker pairs it with one-term rules)
    wm = ss.MultiplicativeWeightDependence(0.0, 1.0)
    np.testing.assert_array_equal(
        _weights(ss.STDP(alias, wm))[0],
        _weights(ss.STDP(ss.SpikePairRule(15.0, 25.0, 0.05, 0.06, interaction="nearest_first"), wm))[0])


def test_pfister_spike_triplet_is_spikesim_triplet_rule():
    timing = PfisterSpikeTriplet(tau_plus=16.8, tau_minus=33.7, tau_x=101.0, tau_y=125.0,
                                 A_plus=0.02, A_minus=0.03)
    weight = WeightDependenceAdditiveTriplet(w_min=0.0, w_max=0.8, A3_plus=0.04, A3_minus=0.005)
    syn = ss.STDP(timing, weight)
    got, _ = _weights(syn)
    ref = ss.STDP(ss.TripletRule(tau_plus=16.8, tau_minus=33.7, tau_x=101.0, tau_y=125.0,
                                 A2_plus=0.02, A3_plus=0.04, A2_minus=0.03, A3_minus=0.005),
                  ss.AdditiveWeightDependence(0.0, 0.8, absolute=False))  # sPyNNaker: times w_max
    want, _ = _weights(ref)
    np.testing.assert_array_equal(got, want)
    assert syn == ref and np.ptp(got) > 0.05
    swapped, _ = _weights(ss.STDP(ss.TripletRule(16.8, 33.7, 125.0, 101.0, 0.02, 0.04, 0.03, 0.005),
                                  ss.AdditiveWeightDependence(0.0, 0.8)))
    assert np.abs(swapped - got).max() > 1e-6  # tau_x / tau_y matter: the mapping is tested


def test_sPyNNaker_defaults():
    assert SpikeNearestPairRule() == SpikeNearestPairRule(20.0, 20.0, 0.01, 0.01)
    assert WeightDependenceAdditiveTriplet() == WeightDependenceAdditiveTriplet(0.0, 1.0, 0.01, 0.01)
    t = PfisterSpikeTriplet(1.0, 2.0, 3.0, 4.0)
    assert (t.A_plus, t.A_minus) == (0.01, 0.01)
    with pytest.raises(TypeError):
        PfisterSpikeTriplet()  # the time constants are required, as in sPyNNaker


def test_alias_networks_save_and_load(tmp_path):
    syn = ss.STDP(PfisterSpikeTriplet(10.0, 20.0, 50.0, 60.0), WeightDependenceAdditiveTriplet())
    net = ss.Network(dt=DT, seed=2)
    a = net.add_population(4, ss.SpikeSourcePoisson(rate=20.0))
    b = net.add_population(3, ss.IF_curr_exp())
    net.connect(a, b, ss.AllToAll(), weight=0.5, synapse=syn)
    net.save(tmp_path / "n.h5")
    assert ss.load(tmp_path / "n.h5").projections[0].synapse == syn


@pytest.mark.parametrize("make,err,match", [
    (lambda: SpikeNearestPairRule(tau_plus=0.0), ValueError, "SpikeNearestPairRule.tau_plus"),
    (lambda: SpikeNearestPairRule(tau_minus=float("nan")), ValueError, "SpikeNearestPairRule.tau_minus"),
    (lambda: SpikeNearestPairRule(A_plus=float("nan")), ValueError, "SpikeNearestPairRule.A_plus"),
    (lambda: SpikeNearestPairRule(A_minus=float("inf")), ValueError, "SpikeNearestPairRule.A_minus"),
    (lambda: PfisterSpikeTriplet(1.0, 1.0, -1.0, 1.0), ValueError, "PfisterSpikeTriplet.tau_x"),
    (lambda: PfisterSpikeTriplet(1.0, 1.0, 1.0, 0.0), ValueError, "PfisterSpikeTriplet.tau_y"),
    (lambda: PfisterSpikeTriplet(1.0, 1.0, 1.0, 1.0, A_minus=-1.0), ValueError,
     "PfisterSpikeTriplet.A_minus"),
    (lambda: WeightDependenceAdditiveTriplet(A3_plus=float("nan")), ValueError,
     "WeightDependenceAdditiveTriplet.A3_plus"),
    (lambda: WeightDependenceAdditiveTriplet(A3_minus=-0.5), ValueError,
     "WeightDependenceAdditiveTriplet.A3_minus"),
    (lambda: WeightDependenceAdditiveTriplet(w_min=2.0), ValueError,
     r"WeightDependenceAdditiveTriplet.w_min \(2.0\) must be <= w_max"),
    (lambda: WeightDependenceAdditiveTriplet(w_max=float("inf")), ValueError,
     "WeightDependenceAdditiveTriplet.w_max"),
    # the pairings sPyNNaker refuses (one vs two weight terms)
    (lambda: ss.STDP(PfisterSpikeTriplet(1.0, 1.0, 1.0, 1.0), ss.AdditiveWeightDependence()),
     TypeError, "PfisterSpikeTriplet needs WeightDependenceAdditiveTriplet"),
    (lambda: ss.STDP(SpikeNearestPairRule(), WeightDependenceAdditiveTriplet()), TypeError,
     "SpikeNearestPairRule has one weight term"),
    (lambda: ss.STDP(ss.TripletRule(), WeightDependenceAdditiveTriplet()), TypeError,
     "goes with PfisterSpikeTriplet only"),
])
def test_bad_parameters_are_refused_by_name(make, err, match):
    with pytest.raises(err, match=match):
        make()
