"""sPyNNaker's extra STDP rules through spikesim.pynn.spynnaker (issue 16), and the
``STDP(sign=-1)`` that lets a rule learn on the magnitude of inhibitory current weights
(sPyNNaker's positive inhibitory weights)."""
from __future__ import annotations

import numpy as np
import pytest
from pyNN import errors

import spikesim as ss
import spikesim.pynn.spynnaker as sim



@pytest.fixture
def fresh():
    sim.setup(timestep=1.0)
    yield
    sim.end()


def _part_synapse(prj):
    (part,) = prj._parts
    return part.synapse


def test_rules_map_onto_spikesim_rules_with_spynnakers_scalings(fresh):
    """Parameter names and scalings as sPyNNaker's write_parameters: triplet amplitudes times
    w_max, additive pair amplitudes absolute, Vogels' A_plus a weight change."""
    pre = sim.Population(4, sim.SpikeSourcePoisson(rate=10.0))

    def project(timing, weight):  # one target each: sPyNNaker keeps one rule per population
        post = sim.Population(3, sim.IF_cond_exp())
        return sim.Projection(pre, post, sim.AllToAllConnector(),
                              sim.STDPMechanism(timing_dependence=timing, weight_dependence=weight,
                                                weight=0.01, delay=1.0))

    tr = project(sim.extra_models.PfisterSpikeTriplet(tau_plus=16.8, tau_minus=33.7, tau_x=101.0,
                                                      tau_y=125.0, A_plus=5e-3, A_minus=7e-3),
                 sim.extra_models.WeightDependenceAdditiveTriplet(w_min=0.0, w_max=0.02,
                                                                 A3_plus=6e-3, A3_minus=2e-4))
    assert _part_synapse(tr) == ss.STDP(
        ss.TripletRule(tau_plus=16.8, tau_minus=33.7, tau_x=101.0, tau_y=125.0, A2_plus=5e-3,
                       A3_plus=6e-3, A2_minus=7e-3, A3_minus=2e-4, interaction="all_to_all"),
        ss.AdditiveWeightDependence(0.0, 0.02, absolute=False), delay_model="dendritic")
    nn = project(sim.extra_models.SpikeNearestPairRule(tau_plus=15.0, tau_minus=25.0,
                                                       A_plus=1e-3, A_minus=2e-3),
                 sim.AdditiveWeightDependence(w_min=0.0, w_max=0.05))
    assert _part_synapse(nn) == ss.STDP(
        ss.SpikePairRule(15.0, 25.0, 1e-3, 2e-3, interaction="nearest_first"),
        ss.AdditiveWeightDependence(0.0, 0.05, absolute=True), delay_model="dendritic")
    vo = project(sim.extra_models.Vogels2011Rule(alpha=0.12, tau=20.0, A_plus=1e-3),
                 sim.AdditiveWeightDependence(w_min=0.0, w_max=0.05))
    rule = _part_synapse(vo).timing
    assert rule.tau == 20.0 and rule.eta == 1e-3 and rule.alpha == pytest.approx(0.12)


def _vogels_expected(pre_emissions, post_spikes, w0, A, alpha, tau, w_max, d=1.0):
    """NEST's ``vogels_sprekeler_synapse::send`` (and sPyNNaker's dendritic-delay rule) over
    given presynaptic emission and postsynaptic spike times (ms; dt = 1 ms), as a synapse
    reports it after the last presynaptic spike: at each emission ``e``, first ``w += A r1``
    for every postsynaptic spike ``p`` with ``e_last < p + d <= e`` (``r1`` of the emissions
    up to ``e_last`` at ``p + d``), then ``w += A (o1 - alpha)`` with the postsynaptic
    spikes ``p + d < e``; every step bounded."""
    clip = lambda w: min(max(w, 0.0), w_max)  # noqa: E731
    w, last = w0, None
    for e in pre_emissions:
        if last is not None:
            for q in [q for q in post_spikes if last < q + d <= e]:
                w = clip(w + A * sum(np.exp(-(q + d - x) / tau) for x in pre_emissions if x <= last))
        o1 = sum(np.exp(-(e - q - d) / tau) for q in post_spikes if q + d < e)
        w = clip(w + A * o1)
        w = clip(w - A * alpha)
        last = e
    return w


def test_vogels_on_inhibitory_current_synapses_learns_the_magnitude(fresh):
    """sPyNNaker's Vogels example idiom: the rule on a positive inhibitory weight onto
    IF_curr_exp. The final magnitude follows the rule's formula over the recorded spikes,
    and the inhibition it delivers is the negative of that magnitude."""
    A, alpha, tau, w0 = 0.02, 0.3, 20.0, 0.4
    pre_times = [5.0, 12.0, 30.0, 33.0, 60.0, 71.0, 90.0]
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=pre_times))
    post = sim.Population(1, sim.IF_curr_exp(i_offset=2.0, tau_refrac=2.0))
    post.record("spikes")
    prj = sim.Projection(pre, post, sim.OneToOneConnector(),
                         sim.STDPMechanism(
                             timing_dependence=sim.extra_models.Vogels2011Rule(
                                 alpha=alpha, tau=tau, A_plus=A),
                             weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
                             weight=w0, delay=1.0),
                         receptor_type="inhibitory")
    assert _part_synapse(prj).sign == -1
    sim.run(100.0)
    post_spikes = np.asarray(post.get_data().segments[0].spiketrains[0].magnitude)
    assert 3 <= post_spikes.size
    expected = _vogels_expected(pre_times, list(post_spikes), w0, A, alpha, tau, 1.0)
    got = float(prj.get("weight", format="list")[0][2])
    assert got == pytest.approx(expected, rel=1e-5)
    assert float(np.asarray(prj._parts[0].weight)[0]) == pytest.approx(-expected, rel=1e-5)


def test_sign_minus_one_mirrors_the_rule_exactly():
    """STDP(sign=-1) on weights -w equals STDP(sign=1) on weights w, negated, for every
    weight dependence, when the spikes are the same (the plastic synapses are too weak to
    move the DC-driven postsynaptic spikes, which the test checks)."""
    def run(sign, wdep):
        net = ss.Network(dt=0.1, seed=3, dtype="float64")
        pre = net.add_population(30, ss.SpikeSourcePoisson(rate=40.0))
        post = net.add_population(4, ss.IF_curr_exp(i_offset=1.5, tau_refrac=2.0))
        syn = ss.STDP(ss.SpikePairRule(tau_plus=15.0, tau_minus=25.0, A_plus=0.05, A_minus=0.06),
                      wdep, sign=sign)
        w = np.linspace(2e-5, 8e-5, 120) * sign
        prj = net.connect(pre, post, ss.AllToAll(), weight=w, delay=1.0, synapse=syn,
                          receptor_type="excitatory" if sign == 1 else "inhibitory")
        rec = net.record(post, "spikes")
        net.run(400.0)
        return np.asarray(prj.weight) * sign, rec.spikes.trains()

    for wdep in (ss.AdditiveWeightDependence(1e-5, 1e-4), ss.MultiplicativeWeightDependence(1e-5, 1e-4)):
        w_pos, spikes_pos = run(1, wdep)
        w_neg, spikes_neg = run(-1, wdep)
        assert all(np.array_equal(a, b) for a, b in zip(spikes_pos, spikes_neg))
        assert not np.allclose(w_pos, np.linspace(2e-5, 8e-5, 120))  # it learned
        np.testing.assert_allclose(w_neg, w_pos, rtol=0, atol=1e-15)


def test_bad_combinations_and_values_are_named(fresh):
    with pytest.raises(NotImplementedError, match="PfisterSpikeTriplet with AdditiveWeightDependence"):
        sim.STDPMechanism(
            timing_dependence=sim.extra_models.PfisterSpikeTriplet(10.0, 10.0, 50.0, 50.0, 0.1, 0.1),
            weight_dependence=sim.AdditiveWeightDependence())
    with pytest.raises(NotImplementedError, match="Vogels2011Rule with MultiplicativeWeightDependence"):
        sim.STDPMechanism(timing_dependence=sim.extra_models.Vogels2011Rule(alpha=0.1),
                          weight_dependence=sim.MultiplicativeWeightDependence())
    pre = sim.Population(2, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match="tau_x"):
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
            timing_dependence=sim.extra_models.PfisterSpikeTriplet(10.0, 10.0, -5.0, 50.0, 0.1, 0.1),
            weight_dependence=sim.extra_models.WeightDependenceAdditiveTriplet(), weight=0.5))
    with pytest.raises(errors.InvalidParameterValueError, match="tau"):
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
            timing_dependence=sim.extra_models.Vogels2011Rule(alpha=0.1, tau=0.0),
            weight_dependence=sim.AdditiveWeightDependence(), weight=0.5))
    with pytest.raises(errors.InvalidParameterValueError, match="accumulator_depression"):
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
            timing_dependence=sim.extra_models.RecurrentRule(accumulator_depression=2),
            weight_dependence=sim.MultiplicativeWeightDependence(), weight=0.5))
    with pytest.raises(ValueError, match="STDP.sign must be 1 or -1, got 2"):
        ss.STDP(ss.SpikePairRule(), ss.AdditiveWeightDependence(), sign=2)
    with pytest.raises(ValueError, match=r"weight magnitude \(-weight, STDP sign=-1\) 0.5"):
        net = ss.Network(dt=0.1)
        a = net.add_population(2, ss.SpikeSourcePoisson(rate=1.0))
        b = net.add_population(2, ss.IF_curr_exp())
        net.connect(a, b, ss.AllToAll(), weight=-0.5, synapse=ss.STDP(
            ss.SpikePairRule(), ss.AdditiveWeightDependence(0.0, 0.1), sign=-1),
            receptor_type="inhibitory")


def test_sign_survives_save_and_load(tmp_path):
    net = ss.Network(dt=0.1, seed=1)
    a = net.add_population(5, ss.SpikeSourcePoisson(rate=20.0))
    b = net.add_population(3, ss.IF_curr_exp(i_offset=1.0))
    syn = ss.STDP(ss.SpikePairRule(), ss.AdditiveWeightDependence(0.0, 0.5), sign=-1)
    net.connect(a, b, ss.AllToAll(), weight=-0.2, synapse=syn, receptor_type="inhibitory")
    net.save(tmp_path / "n.h5")
    back = ss.load(tmp_path / "n.h5")
    assert back.projections[0].synapse == syn


def test_vogels_script_drives_the_rate_to_the_rules_target(fresh):
    """A script in the style of sPyNNaker's Vogels 2011 example: Poisson-driven excitatory
    IF_curr_exp cells under plastic inhibition (positive inhibitory weights). The rule's
    fixed point is the rate rho = alpha / (2 tau) (Vogels et al. 2011): 3 Hz for
    alpha = 0.12, tau = 20 ms. Strongly driven cells start far above it and settle near it."""
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 64)
    params = dict(cm=0.2, tau_m=20.0, tau_refrac=5.0, v_rest=-60.0, v_reset=-60.0,
                  v_thresh=-50.0, tau_syn_E=5.0, tau_syn_I=10.0)
    exc = sim.Population(100, sim.IF_curr_exp(**params), label="exc")
    inh = sim.Population(25, sim.IF_curr_exp(**params), label="inh")
    drive = sim.Population(100, sim.SpikeSourcePoisson(rate=120.0), label="drive",
                           additional_parameters={"seed": 7})
    drive_i = sim.Population(25, sim.SpikeSourcePoisson(rate=40.0), label="drive_i",
                             additional_parameters={"seed": 8})
    sim.Projection(drive, exc, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0, delay=1.0))
    sim.Projection(drive_i, inh, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0, delay=1.0))
    stdp = sim.STDPMechanism(
        timing_dependence=sim.extra_models.Vogels2011Rule(alpha=0.12, tau=20.0, A_plus=0.01),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=5.0),
        weight=0.0, delay=1.0)
    plastic = sim.Projection(inh, exc, sim.AllToAllConnector(), stdp, receptor_type="inhibitory")
    exc.record("spikes")
    sim.run(12000.0)
    trains = exc.get_data("spikes").segments[0].spiketrains
    t = np.concatenate([np.asarray(s.magnitude) for s in trains])
    early = np.sum(t <= 1000.0) / 100 / 1.0
    late = np.sum(t > 8000.0) / 100 / 4.0
    assert early > 10.0, (early, late)
    assert 2.0 < late < 4.5, (early, late)  # measured 15.9 Hz -> 3.16 Hz
    assert np.nanmean(plastic.get("weight", format="array")) > 0.05


def test_initial_weights_outside_the_bounds_are_kept_until_they_change(fresh):
    """sPyNNaker (and NEST) take plastic weights outside [w_min, w_max]; the first change
    brings them into the bounds (sPyNNaker's test_synaptic_expander draws weights 1-10
    with w_max 1)."""
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 30.0]))
    post = sim.Population(1, sim.IF_curr_exp())
    prj = sim.Projection(pre, post, sim.OneToOneConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                            A_minus=0.01),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
        weight=2.0, delay=1.0))
    assert prj.get("weight", format="list")[0][2] == 2.0
    sim.run(50.0)  # each arrival updates the weight (by 0: no postsynaptic spike), which clips it
    assert prj.get("weight", format="list")[0][2] <= 1.0
    with pytest.raises(ValueError, match="outside the STDP bounds"):  # the core API stays strict
        net = ss.Network(dt=0.1)
        a = net.add_population(1, ss.SpikeSourcePoisson(rate=1.0))
        b = net.add_population(1, ss.IF_curr_exp())
        net.connect(a, b, ss.AllToAll(), weight=2.0, synapse=ss.STDP(
            ss.SpikePairRule(), ss.AdditiveWeightDependence(0.0, 1.0)))


def test_one_stdp_rule_per_postsynaptic_population(fresh):
    """sPyNNaker merges the plastic synapse dynamics of every projection onto a population and
    raises SynapticConfigurationException when they differ (SynapseDynamicsSTDP.merge); equal
    rules, static synapses and other populations are fine. Nothing is connected on refusal."""
    from spikesim.pynn.spynnaker.exceptions import SynapticConfigurationException

    pre = sim.Population(4, sim.SpikeSourcePoisson(rate=10.0))
    post, other = sim.Population(3, sim.IF_curr_exp()), sim.Population(3, sim.IF_curr_exp())

    def stdp(wdep, a_plus=0.005):
        return sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=16.7, tau_minus=33.7, A_plus=a_plus,
                                                A_minus=0.005),
            weight_dependence=wdep(w_min=0.0, w_max=1.0), weight=0.5, delay=1.0)

    sim.Projection(pre, post, sim.AllToAllConnector(), stdp(sim.AdditiveWeightDependence))
    sim.Projection(pre, post, sim.OneToOneConnector(), stdp(sim.AdditiveWeightDependence))
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0))
    sim.Projection(pre, other, sim.AllToAllConnector(), stdp(sim.MultiplicativeWeightDependence))
    n = len(sim.simulator.state.net.projections)
    for bad, target in ((stdp(sim.MultiplicativeWeightDependence), post),
                        (stdp(sim.AdditiveWeightDependence, a_plus=0.01), post[1:])):
        with pytest.raises(SynapticConfigurationException, match="must match exactly"):
            sim.Projection(pre, target, sim.AllToAllConnector(), bad)
    assert len(sim.simulator.state.net.projections) == n
