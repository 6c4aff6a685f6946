"""Dopamine-modulated STDP (sPyNNaker's Neuromodulation; Izhikevich 2007).

The kernel (spikesim.kernels.neuromodulation: per-neuron event rings, lazy windows at
presynaptic spikes) against its NumPy twin (tests/reference/neuromodulation_ref.py: one
merged event list per synapse, traces as explicit sums), and sPyNNaker's own scenario
against the closed form of Izhikevich's equations.
"""
import math
import warnings

import numpy as np
import pytest

import spikesim as ss
from tests.reference.neuromodulation_ref import neuromodulated_pair_stdp

DT = 0.5


def _steps(rec, n):
    steps = np.rint(rec.spikes.times / DT).astype(np.int64) - 1  # stamp (t+1) dt -> step t
    return [steps[rec.spikes.senders == i] for i in range(n)]


PAIR = ss.SpikePairRule(tau_plus=15.0, tau_minus=25.0, A_plus=0.3, A_minus=0.2)


def _modulated_net(seed, wd, timing=PAIR, n_pre=5, n_post=4):
    """Pre Poisson trains onto Poisson-driven LIF neurons, one delay per synapse, with
    reward and punishment sources onto the post population."""
    net = ss.Network(dt=DT, seed=seed, dtype="float64")
    pre = net.add_population(n_pre, ss.SpikeSourcePoisson(rate=40.0))
    drive = net.add_population(n_post, ss.SpikeSourcePoisson(rate=300.0))
    post = net.add_population(n_post, ss.IF_curr_exp(tau_refrac=2.0, tau_syn_E=2.0))
    rew = net.add_population(2, ss.SpikeSourcePoisson(rate=15.0))
    pun = net.add_population(1, ss.SpikeSourcePoisson(rate=10.0))
    net.connect(drive, post, ss.OneToOne(), weight=2.0)
    rule = ss.STDP(timing=timing, weight=wd, delay_model="dendritic")
    delays = DT * np.random.default_rng(seed).integers(1, 9, n_pre * n_post)
    proj = net.connect(pre, post, ss.AllToAll(), weight=0.2, delay=delays, synapse=rule)
    spec = ss.Neuromodulation(tau_c=120.0, tau_d=40.0, w_min=0.0, w_max=3.0)
    r1 = net.connect(rew, post, ss.AllToAll(), weight=0.004, receptor_type="reward", synapse=spec)
    r2 = net.connect(pun, post, ss.FixedProbability(0.7), weight=0.006,
                     receptor_type="punishment", synapse=spec)
    # the same reward sources once more: two dopamine events per target and spike, one step
    r3 = net.connect(rew, post, ss.OneToOne() if n_post == 2 else ss.FixedProbability(0.5),
                     weight=0.002, receptor_type="reward", synapse=spec)
    recs = [net.record(p, "spikes") for p in (pre, post, rew, pun)]
    return net, proj, (r1, r2, r3), recs, (rule, spec)


def _twin(proj, mods, recs, rule, spec, sizes):
    pre_s, post_s, rew_s, pun_s = (_steps(r, n) for r, n in zip(recs, sizes))
    dop = {j: [] for j in range(sizes[1])}
    for m, trains, sign in ((mods[0], rew_s, 1.0), (mods[1], pun_s, -1.0),
                            (mods[2], rew_s, 1.0)):
        for i, j in zip(*m.connections()):
            dop[int(j)] += [(int(s), sign * float(m.weight[0])) for s in trains[i]]
    tm, wd = rule.timing, rule.weight
    mult = isinstance(wd, ss.MultiplicativeWeightDependence)
    scale = 1.0 if mult else wd.scale
    if isinstance(tm, ss.Vogels2011Rule):  # one tau, eta a change of c, constant alpha
        timing = dict(tau_plus=tm.tau, tau_minus=tm.tau, A_plus=tm.eta, A_minus=0.0,
                      vogels_alpha=tm.alpha)
    else:
        timing = dict(tau_plus=tm.tau_plus, tau_minus=tm.tau_minus, A_plus=tm.A_plus * scale,
                      A_minus=tm.A_minus * scale)
    w, c = [], []
    for k, (i, j) in enumerate(zip(*proj.connections())):
        _, wk, ck = neuromodulated_pair_stdp(
            pre_s[i], post_s[j], sorted(dop[int(j)], key=lambda e: e[0]), int(proj.delay[k]), DT,
            **timing, wd_min=wd.w_min, wd_max=wd.w_max, multiplicative=mult,
            tau_c=spec.tau_c, tau_d=spec.tau_d, w_min=spec.w_min, w_max=spec.w_max, w0=0.2)
        w.append(wk)
        c.append(ck)
    return np.array(w), np.array(c)


@pytest.mark.parametrize("wd,timing", [
    (ss.AdditiveWeightDependence(w_min=0.0, w_max=1.0, absolute=True), PAIR),
    (ss.AdditiveWeightDependence(w_min=0.0, w_max=2.0), PAIR),
    (ss.MultiplicativeWeightDependence(w_min=0.0, w_max=1.0), PAIR),
    (ss.AdditiveWeightDependence(w_min=0.0, w_max=1.0), ss.Vogels2011Rule(tau=20.0, eta=0.2,
                                                                          rho=4.0))])
def test_kernel_matches_twin(wd, timing):
    net, proj, mods, recs, (rule, spec) = _modulated_net(3, wd, timing)
    net.run(600 * DT)
    net.run(600 * DT)  # run(a); run(b): the histories and traces carry over
    w, c = _twin(proj, mods, recs, rule, spec, (5, 4, 2, 1))
    assert np.ptp(w) > 0.05 and np.any(w != 0.2)  # the weights moved, differently
    np.testing.assert_allclose(proj.weight, w, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(proj._nm_c, c, rtol=1e-9, atol=1e-12)
    assert net._nm_lost[0] == 0


def test_run_split_equals_run_whole():
    wd = ss.AdditiveWeightDependence(w_min=0.0, w_max=1.0, absolute=True)
    a, pa, *_ = _modulated_net(5, wd)
    b, pb, *_ = _modulated_net(5, wd)
    a.run(1000 * DT)
    for _ in range(4):
        b.run(250 * DT)
    np.testing.assert_array_equal(pa.weight, pb.weight)
    np.testing.assert_array_equal(pa._nm_c, pb._nm_c)


def test_izhikevich_closed_form_in_spynnaker_style():
    """sPyNNaker's scenario written as its users write it: one pre spike at 1500 ms pairs
    with a post spike at 1503 ms (seen 1 ms later, dendritic delay), dopamine at 1600 ms,
    the next pre spike at 2400 ms brings the weight up to date. Expected value from
    Izhikevich (2007): c = A+ e^{-4/10} decays to 1601, then dw/dt = c D integrates to 2400."""
    import spikesim.pynn.spynnaker as sim

    sim.setup(timestep=1.0, dtype="float64")  # the closed form to 1e-12
    pre = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1500, 2400]})
    reward = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1600]}, label="reward")
    stim = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1502]})
    post = sim.Population(1, sim.IF_curr_exp, {
        "cm": 0.3, "tau_m": 10.0, "tau_refrac": 4.0, "tau_syn_E": 1.0, "tau_syn_I": 1.0,
        "v_reset": -70.0, "v_rest": -65.0, "v_thresh": -55.4}, label="post")
    post.record("spikes")
    sim.Projection(stim, post, sim.AllToAllConnector(), synapse_type=sim.StaticSynapse(weight=6))
    plastic = sim.Projection(pre, post, sim.AllToAllConnector(), synapse_type=sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=10, tau_minus=12, A_plus=1, A_minus=1),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0, w_max=20), weight=0.0),
        receptor_type="excitatory")
    sim.Projection(reward, post, sim.AllToAllConnector(),
                   synapse_type=sim.extra_models.Neuromodulation(
                       weight=0.1, tau_c=1000, tau_d=200, w_max=20.0),
                   receptor_type="reward")
    sim.run(3000)
    w = plastic.get("weight", "list")[0][2]
    spikes = post.get_data("spikes").segments[0].spiketrains[0]
    sim.end()
    assert float(spikes[0]) == 1503.0
    el = math.exp(-(1504 - 1500) / 10) * math.exp(-(1601 - 1504) / 1000)
    span = 2400 - 1601
    expected = el * 0.1 / -(1 / 1000 + 1 / 200) * (math.exp(-span / 200 - span / 1000) - 1)
    assert w == pytest.approx(expected, rel=1e-12)  # sPyNNaker: 10.0088 (fixed point)


def _pairing(kind, static_w=None):
    """A pre spike at 100 ms paired with a post spike, dopamine at 150 ms, the next pre spike
    at 400 ms; or (``static_w``) a static synapse of that weight and the 400 ms spike only."""
    net = ss.Network(dt=1.0, dtype="float64")
    pre = net.add_population(1, ss.SpikeSourceArray(
        spike_times=[100.0, 400.0] if static_w is None else [400.0]))
    dop = net.add_population(1, ss.SpikeSourceArray(spike_times=[150.0]))
    stim = net.add_population(1, ss.SpikeSourceArray(spike_times=[102.0]))
    post = net.add_population(1, ss.IF_curr_exp(tau_refrac=2.0))
    net.connect(stim, post, ss.AllToAll(), weight=20.0)
    if static_w is not None:
        net.connect(pre, post, ss.AllToAll(), weight=static_w)
        proj = None
    else:
        rule = ss.STDP(timing=ss.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=1.0,
                                               A_minus=0.0),
                       weight=ss.AdditiveWeightDependence(0.0, 5.0, absolute=True),
                       delay_model="dendritic")
        proj = net.connect(pre, post, ss.AllToAll(), weight=0.5, synapse=rule)
        net.connect(dop, post, ss.AllToAll(), weight=0.01, receptor_type=kind,
                    synapse=ss.Neuromodulation(tau_c=500.0, tau_d=100.0, w_min=0.0, w_max=4.0))
    rec = net.record(post, "v")
    net.run(410.0)
    return (None if proj is None else float(proj.weight[0])), rec.v.values[:, 0]


def test_punishment_depresses_and_weight_is_delivered():
    """Punishment drives the weight to its floor; with reward, the raised weight is what the
    400 ms spike delivers: v then follows a static synapse of that weight."""
    assert _pairing("punishment")[0] == 0.0
    w, v = _pairing("reward")
    assert 0.6 < w < 4.0
    _, v_static = _pairing(None, static_w=w)
    np.testing.assert_allclose(v[395:410], v_static[395:410], atol=1e-5)
    assert v[405] - v[399] > 0.1  # the spike did arrive


def test_refusals():
    net = ss.Network(dt=1.0)
    a = net.add_population(2, ss.SpikeSourcePoisson(rate=5.0))
    b = net.add_population(2, ss.IF_curr_exp())
    with pytest.raises(ValueError, match="Neuromodulation.tau_c"):
        ss.Neuromodulation(tau_c=0.0)
    with pytest.raises(ValueError, match="Neuromodulation.w_min"):
        ss.Neuromodulation(w_min=-1.0)
    with pytest.raises(TypeError, match="receptor_type='reward' needs synapse"):
        net.connect(a, b, ss.AllToAll(), weight=0.1, receptor_type="reward")
    near = ss.STDP(timing=ss.SpikePairRule(interaction="nearest"),
                   weight=ss.AdditiveWeightDependence(0.0, 1.0), delay_model="dendritic")
    net.connect(a, b, ss.AllToAll(), weight=0.1, synapse=near, label="near")
    n_before = len(net.projections)
    with pytest.raises(ValueError, match="'near'.*interaction='all_to_all'"):
        net.connect(a, b, ss.AllToAll(), weight=0.1, receptor_type="reward",
                    synapse=ss.Neuromodulation())
    assert len(net.projections) == n_before  # nothing half-built
    net2 = ss.Network(dt=1.0)
    a2 = net2.add_population(2, ss.SpikeSourcePoisson(rate=5.0))
    b2 = net2.add_population(2, ss.IF_curr_exp())
    net2.connect(a2, b2, ss.AllToAll(), weight=0.1, receptor_type="punishment",
                 synapse=ss.Neuromodulation(), label="dopa")
    with pytest.raises(ValueError, match="one Neuromodulation per population"):
        net2.connect(a2, b2, ss.AllToAll(), weight=0.1, receptor_type="reward",
                     synapse=ss.Neuromodulation(tau_d=5.0))
    from spikesim.export.pynn_script import to_pynn_script

    for call in (lambda: ss.io.save(net2, "/nonexistent/x.h5"), lambda: to_pynn_script(net2),
                 lambda: __import__("spikesim.export.nir", fromlist=["to_nir"]).to_nir(net2)):
        with pytest.raises(NotImplementedError, match="dopamine-modulated STDP.*'dopa'"):
            call()


def test_spynnaker_front_end_refusals():
    import spikesim.pynn.spynnaker as sim
    from pyNN.errors import ConnectionError, InvalidParameterValueError

    sim.setup(timestep=1.0)
    try:
        with pytest.raises(InvalidParameterValueError, match="tau_d"):
            sim.extra_models.Neuromodulation(tau_d=-1.0)
        a = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [5.0]})
        b = sim.Population(1, sim.IF_curr_exp())
        with pytest.raises(ConnectionError, match="reward"):
            sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1),
                           receptor_type="reward")
    finally:
        sim.end()


def test_history_overflow_is_counted_and_warned():
    net = ss.Network(dt=1.0, dtype="float64")
    pre = net.add_population(1, ss.SpikeSourceArray(spike_times=[5.0, 400.0]))
    dop = net.add_population(1, ss.SpikeSourceArray(spike_times=list(np.arange(10.0, 300.0, 3.0))))
    post = net.add_population(1, ss.IF_curr_exp())
    rule = ss.STDP(timing=ss.SpikePairRule(), weight=ss.AdditiveWeightDependence(0.0, 1.0),
                   delay_model="dendritic")
    net.connect(pre, post, ss.AllToAll(), weight=0.1, synapse=rule)
    net.connect(dop, post, ss.AllToAll(), weight=0.1, receptor_type="reward",
                synapse=ss.Neuromodulation())
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        net.run(500.0)
    assert net._nm_lost[0] == 1
    assert any("history" in str(w.message) for w in got)
