"""Inhibitory STDP of Vogels et al. 2011 (Science 334:1569): ``ss.Vogels2011Rule``.

The kernel against its NumPy twin, single pairs against the closed form, NEST's
``vogels_sprekeler_synapse`` on a deterministic pattern (final weights to 1e-9),
the PyNN backend's ``Vogels2011Rule``, save/load, and the refusals.

NEST's delay convention: NEST's STDP synapses treat the delay as dendritic, so a
presynaptic spike at ``t_p`` meets a postsynaptic spike at ``t_q`` with interval
``t_q + D - t_p``; spikesim pairs from the arrival, ``t_q - (t_p' + D)``. Feeding
spikesim every presynaptic train ``2 D`` earlier (``t_p' = t_p - 2 D``) gives NEST's
intervals exactly, and spike patterns without exact coincidences (which the two
order differently) then give the same weights.
"""
import os

import numpy as np
import pytest

import spikesim as ss
from tests.reference import plasticity_ref as ref

DT = 0.1


def _ref_params(syn, dt=DT):
    r, wd = syn.timing, syn.weight
    t = r.tau / dt
    return dict(t1=t, t2=t, t3=t, t4=t, A2p=r.eta, A3p=0.0, A2m=r.eta, A3m=0.0,
                A0m=r.eta * r.alpha, w_min=wd.w_min, w_max=wd.w_max, scale=1.0,
                wdep="additive", nearest=False, sgn_post=1.0, sgn_pre=1.0)


def _trains(rec, n):
    steps = np.rint(rec.spikes.times / DT).astype(np.int64) - 1  # stamp (t+1) dt -> step t
    return [steps[rec.spikes.senders == i] for i in range(n)]


def _inhibitory_net(seed, syn, hetero_delay, w0):
    """Poisson inhibitory sources onto driven IF_cond_exp neurons through a plastic projection."""
    net = ss.Network(dt=DT, seed=seed, dtype="float64")
    src = net.add_population(8, ss.SpikeSourcePoisson(rate=50.0))
    drive = net.add_population(5, ss.SpikeSourcePoisson(rate=[150.0, 250.0, 400.0, 600.0, 900.0]))
    post = net.add_population(5, ss.IF_cond_exp(tau_refrac=2.0))
    net.connect(drive, post, ss.OneToOne(), weight=0.02)
    delay = 0.5
    if hetero_delay:
        delay = np.random.default_rng(seed).integers(1, 15, size=(8, 5)) * DT
    proj = net.connect(src, post, ss.FixedProbability(0.7), weight=w0, delay=delay,
                       receptor_type="inhibitory", synapse=syn)
    return net, src, post, proj


@pytest.mark.parametrize("hetero_delay,modulated", [(False, False), (True, True)])
def test_kernel_matches_twin(hetero_delay, modulated):
    syn = ss.STDP(ss.Vogels2011Rule(tau=20.0, eta=0.003, rho=30.0),
                  ss.AdditiveWeightDependence(0.0, 0.02))
    w0 = 0.01
    net, src, post, proj = _inhibitory_net(3, syn, hetero_delay, w0)
    if modulated:
        proj.modulate(potentiation=1.5, depression=0.5)
    rp, rq = net.record(src, "spikes"), net.record(post, "spikes")
    wr = net.record_weights(proj)
    n_steps = 3000
    net.run(n_steps * DT)
    i, j = proj.connections()
    m = proj.n_synapses
    want = ref.stdp_weights(_trains(rp, 8), _trains(rq, 5), i, j, proj.delay.astype(np.int64),
                            np.full(m, w0), _ref_params(syn), n_steps,
                            m_plus=np.full((n_steps, m), 1.5) if modulated else None,
                            m_minus=np.full((n_steps, m), 0.5) if modulated else None)
    assert len(rq.spikes) > 100
    final = wr.weights[-1]
    # the test exercises the bounds and the interior
    assert (final == 0.02).any() and ((final > 0) & (final < 0.02)).any()
    assert modulated or (final == 0.0).any()
    np.testing.assert_allclose(wr.weights, want, rtol=1e-10, atol=1e-13)


def _pair_net(t_pre, t_posts, syn, delay=1.0, w0=0.01):
    """One presynaptic spike train, one IF_cond_exp neuron forced to fire at ``t_posts``."""
    net = ss.Network(dt=DT, seed=1, dtype="float64")
    pre = net.add_population(1, ss.SpikeSourceArray(spike_times=[list(t_pre)]))
    teach = net.add_population(1, ss.SpikeSourceArray(spike_times=[[t - 2 * DT for t in t_posts]]))
    post = net.add_population(1, ss.IF_cond_exp(tau_syn_E=0.1, tau_refrac=1.0))
    net.connect(teach, post, ss.AllToAll(), weight=50.0, delay=DT)
    proj = net.connect(pre, post, ss.AllToAll(), weight=w0, delay=delay, receptor_type="inhibitory",
                       synapse=syn)
    return net, proj, net.record(post, "spikes")


@pytest.mark.parametrize("lag", [-25.0, -4.0, -0.3, 0.0, 0.3, 6.0, 40.0])
def test_one_pair_is_symmetric_with_constant_depression(lag):
    """dw = eta (exp(-|lag| / tau) - alpha) for one pre arrival and one post spike, either order
    (lag = t_post - arrival; at lag 0 spikesim pairs them, as its other rules do)."""
    tau, eta, rho = 15.0, 0.002, 6.0
    syn = ss.STDP(ss.Vogels2011Rule(tau=tau, eta=eta, rho=rho), ss.AdditiveWeightDependence(0.0, 0.05))
    t_pre, delay = 50.0, 1.5
    t_post = t_pre + delay + lag
    net, proj, rq = _pair_net([t_pre], [t_post], syn, delay=delay)
    net.run(150.0)
    np.testing.assert_allclose(rq.spikes.times, [t_post])
    alpha = 2.0 * rho * tau / 1000.0
    assert syn.timing.alpha == pytest.approx(alpha, rel=1e-15)
    assert proj.weight[0] - 0.01 == pytest.approx(eta * (np.exp(-abs(lag) / tau) - alpha),
                                                  rel=1e-11, abs=1e-17)


def test_presynaptic_spikes_alone_depress_to_zero():
    """Without postsynaptic spikes every arrival depresses by eta alpha, down to w_min."""
    syn = ss.STDP(ss.Vogels2011Rule(tau=20.0, eta=0.001, rho=10.0),  # eta alpha = 4e-4
                  ss.AdditiveWeightDependence(0.0, 0.05))
    net, proj, rq = _pair_net(10.0 + 5.0 * np.arange(30), [], syn, w0=0.005)
    wr = net.record_weights(proj)
    net.run(200.0)
    assert len(rq.spikes) == 0
    w = wr.weights[:, 0]
    steps = np.flatnonzero(np.diff(w))
    np.testing.assert_allclose(np.diff(w)[steps][:12], -4e-4, rtol=1e-12)
    assert w[-1] == 0.0 and len(steps) == 13  # 12 full steps of 4e-4, then 2e-4 to the bound


# ------------------------------------------------------------------ NEST vogels_sprekeler_synapse
TAU, ETA, RHO, WMAX, W0 = 20.0, 0.004, 8.0, 0.02, 0.01
D_PRE = np.array([0.1, 1.0, 0.5, 2.0, 0.1, 1.0])
POST_RATES = (5.0, 20.0, 60.0)
T_END = 520.0  # last presynaptic volley (NEST applies post spikes at the next pre spike)


def _grid_train(rng, rate, lo, hi, gap):
    n = rng.poisson(rate * (hi - lo) / 1000.0)
    t = np.unique(np.round(rng.uniform(lo, hi, n) / DT).astype(np.int64))
    keep = [t[0]] if t.size else []
    for x in t[1:]:
        if x - keep[-1] >= round(gap / DT):
            keep.append(x)
    return np.asarray(keep, np.int64)  # steps of DT


def _nest_pattern():
    """Presynaptic and postsynaptic spike times in NEST's frame, in steps of DT; no pair is
    simultaneous at the synapse (t_q + D == t_p), where the two simulators differ."""
    rng = np.random.default_rng(11)
    post = [_grid_train(rng, r, 20.0, 480.0, 1.5) for r in POST_RATES]
    all_post = np.concatenate(post)
    pre = []
    for d in D_PRE:
        t = _grid_train(rng, 50.0, 20.0, 500.0, 0.5)
        t = t[~np.isin(t, all_post + round(d / DT))]
        pre.append(np.append(t, round(T_END / DT)))
    return pre, post


def _run_nest(pre, post, alpha):
    os.environ.setdefault("PYNEST_QUIET", "1")
    nest = pytest.importorskip("nest")
    nest.ResetKernel()
    nest.resolution = DT
    n_pre, n_post = len(pre), len(post)
    # generators one step early, relayed by parrots (which keep the postsynaptic trace)
    g_pre = nest.Create("spike_generator", n_pre,
                        params=[{"spike_times": (t * DT - DT).round(10).tolist()} for t in pre])
    g_post = nest.Create("spike_generator", n_post,
                         params=[{"spike_times": (t * DT - DT).round(10).tolist()} for t in post])
    p_pre = nest.Create("parrot_neuron", n_pre)
    p_post = nest.Create("parrot_neuron", n_post, params={"tau_minus": TAU})
    nest.Connect(g_pre, p_pre, "one_to_one", syn_spec={"delay": DT})
    nest.Connect(g_post, p_post, "one_to_one", syn_spec={"delay": DT})
    for k, d in enumerate(D_PRE):  # receptor 1: a parrot does not relay these spikes
        nest.Connect(p_pre[k], p_post, "all_to_all",
                     syn_spec={"synapse_model": "vogels_sprekeler_synapse", "weight": W0,
                               "delay": float(d), "tau": TAU, "eta": ETA, "alpha": alpha,
                               "Wmax": WMAX, "receptor_type": 1})
    rec = nest.Create("spike_recorder")
    nest.Connect(p_pre + p_post, rec)
    nest.Simulate(T_END + 10.0)
    ev = rec.events
    first = p_pre[0].global_id
    times = [np.rint(ev["times"][ev["senders"] == first + k] / DT).astype(np.int64)
             for k in range(n_pre + n_post)]
    conns = nest.GetConnections(p_pre, p_post).get(["source", "target", "weight"])
    w = np.zeros((n_pre, n_post))
    for s, t, x in zip(conns["source"], conns["target"], conns["weight"]):
        w[s - first, t - first - n_pre] = x
    return times, w


def _run_spikesim(pre, post, syn):
    net = ss.Network(dt=DT, seed=1, dtype="float64")
    shifted = [(t - 2 * round(d / DT)) * DT for t, d in zip(pre, D_PRE)]  # NEST's intervals
    src = net.add_population(len(pre), ss.SpikeSourceArray(spike_times=[list(x) for x in shifted]))
    teach = net.add_population(len(post), ss.SpikeSourceArray(
        spike_times=[list(t * DT - 2 * DT) for t in post]))
    cells = net.add_population(len(post), ss.IF_cond_exp(tau_syn_E=0.1, tau_refrac=1.0))
    net.connect(teach, cells, ss.OneToOne(), weight=50.0, delay=DT)
    proj = net.connect(src, cells, ss.AllToAll(), weight=W0,
                       delay=np.repeat(D_PRE[:, None], len(post), axis=1),
                       receptor_type="inhibitory", synapse=syn)
    rq = net.record(cells, "spikes")
    net.run(T_END + 10.0)
    w = np.full((len(pre), len(post)), np.nan)
    i, j = proj.connections()
    w[i, j] = proj.weight
    return [np.rint(rq.spikes.times[rq.spikes.senders == k] / DT).astype(np.int64)
            for k in range(len(post))], w


@pytest.mark.nest
def test_final_weights_match_nest_vogels_sprekeler_synapse():
    rule = ss.Vogels2011Rule(tau=TAU, eta=ETA, rho=RHO)
    syn = ss.STDP(rule, ss.AdditiveWeightDependence(0.0, WMAX))
    pre, post = _nest_pattern()
    times, w_nest = _run_nest(pre, post, rule.alpha)
    for k, t in enumerate(pre + post):  # the parrots fired as planned
        np.testing.assert_array_equal(times[k], t)
    post_ss, w_ss = _run_spikesim(pre, post, syn)
    for a, b in zip(post_ss, post):  # the forced neurons fired as planned
        np.testing.assert_array_equal(a, b)
    # both bounds are reached: w_max just before the last volley, whose arrival then
    # depresses by eta alpha after the bounded trace term (NEST's order; one bounded step
    # would leave less)
    assert (w_nest == 0.0).any() and np.isclose(w_nest, WMAX - ETA * rule.alpha, rtol=1e-14).any()
    assert ((w_nest > 0.0) & (w_nest < WMAX - ETA * rule.alpha)).any()
    np.testing.assert_allclose(w_ss, w_nest, rtol=0, atol=1e-9)


# ------------------------------------------------------------------ files, PyNN, refusals
def test_save_load_continues_bit_identically(tmp_path):
    syn = ss.STDP(ss.Vogels2011Rule(tau=10.0, eta=0.002, rho=5.0),
                  ss.AdditiveWeightDependence(0.0, 0.02))
    net_a, _, _, proj_a = _inhibitory_net(5, syn, True, 0.01)
    net_a.run(200.0)
    net_b, _, _, _ = _inhibitory_net(5, syn, True, 0.01)
    net_b.run(100.0)
    net_b.save(tmp_path / "v.h5")
    back = ss.load(tmp_path / "v.h5")
    assert back.projections[-1].synapse == syn
    back.run(100.0)
    np.testing.assert_array_equal(back.projections[-1].weight, proj_a.weight)


def test_pynn_backend_vogels2011_rule():
    pytest.importorskip("pyNN")
    import warnings

    import spikesim.pynn as sim

    assert sim.Vogels2011Rule.default_parameters == {"tau": 20.0, "eta": 1e-10, "rho": 3.0}
    r = ss.Vogels2011Rule()
    assert (r.tau, r.eta, r.rho) == (20.0, 1e-10, 3.0)
    sim.setup(timestep=DT)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 30.0]))
    teacher = sim.Population(1, sim.SpikeSourceArray(spike_times=[14.0 - 2 * DT]))
    post = sim.Population(1, sim.IF_cond_exp(tau_syn_E=0.1, tau_refrac=1.0))
    sim.Projection(teacher, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=50.0, delay=DT))
    stdp = sim.STDPMechanism(timing_dependence=sim.Vogels2011Rule(tau=20.0, eta=0.001, rho=5.0),
                             weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.05),
                             weight=0.02, delay=1.0, dendritic_delay_fraction=0)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp, receptor_type="inhibitory")
    post.record("spikes")
    sim.run(50.0)
    assert list(post.get_data().segments[0].spiketrains[0].magnitude) == [14.0]
    alpha = 2 * 5.0 * 20.0 / 1000.0
    e = np.exp
    want = 0.02 + 0.001 * (-alpha + e(-3.0 / 20.0) + e(-(31.0 - 14.0) / 20.0) - alpha)
    assert prj.get("weight", format="list", with_address=False)[0] == pytest.approx(want, rel=1e-12)
    sim.end()
    # inhibitory current synapses: negative weights under PyNN's convention -> refused
    sim.setup(timestep=DT)
    a = sim.Population(2, sim.SpikeSourcePoisson(rate=10.0))
    b = sim.Population(2, sim.IF_curr_exp())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = sim.STDPMechanism(timing_dependence=sim.Vogels2011Rule(),
                                weight_dependence=sim.AdditiveWeightDependence(w_min=-0.05, w_max=0.0),
                                weight=-0.02, delay=1.0)
    with pytest.raises(ValueError, match="Vogels2011Rule on inhibitory current synapses"):
        sim.Projection(a, b, sim.AllToAllConnector(), bad, receptor_type="inhibitory")
    with pytest.raises(NotImplementedError, match="AdditiveWeightDependence only"):
        sim.STDPMechanism(timing_dependence=sim.Vogels2011Rule(),
                          weight_dependence=sim.MultiplicativeWeightDependence(),
                          dendritic_delay_fraction=0)
    sim.end()


@pytest.mark.parametrize("make,err,match", [
    (lambda: ss.Vogels2011Rule(tau=0.0), ValueError, "Vogels2011Rule.tau"),
    (lambda: ss.Vogels2011Rule(tau=float("nan")), ValueError, "Vogels2011Rule.tau"),
    (lambda: ss.Vogels2011Rule(eta=float("inf")), ValueError, "Vogels2011Rule.eta"),
    (lambda: ss.Vogels2011Rule(eta="fast"), (ValueError, TypeError), "Vogels2011Rule.eta"),
    (lambda: ss.Vogels2011Rule(rho=-1.0), ValueError, "Vogels2011Rule.rho"),
    (lambda: ss.Vogels2011Rule(rho=float("nan")), ValueError, "Vogels2011Rule.rho"),
    (lambda: ss.STDP(ss.Vogels2011Rule(), ss.MultiplicativeWeightDependence()), TypeError,
     "Vogels2011Rule needs an AdditiveWeightDependence"),
    (lambda: ss.STDP(ss.Vogels2011Rule(), ss.AdditiveWeightDependence(-1.0, 0.0)), ValueError,
     r"w_min=-1.0: the rule works on weights >= 0"),
    (lambda: ss.STDP(ss.Vogels2011Rule(), ss.AdditiveWeightDependence(), window="anti_hebbian"),
     ValueError, "symmetric by definition"),
])
def test_bad_parameters_are_refused_by_name(make, err, match):
    with pytest.raises(err, match=match):
        make()


def test_sign_conventions_on_projections():
    """Inhibitory conductance synapses take it; inhibitory current synapses (negative weights)
    refuse positive bounds, and the rule refuses negative ones; exporters refuse it by name."""
    net = ss.Network(dt=DT, seed=1)
    a = net.add_population(3, ss.SpikeSourcePoisson(rate=10.0))
    cond = net.add_population(3, ss.IF_cond_exp())
    curr = net.add_population(3, ss.IF_curr_exp())
    syn = ss.STDP(ss.Vogels2011Rule(), ss.AdditiveWeightDependence(0.0, 0.05))
    net.connect(a, cond, ss.AllToAll(), weight=0.01, receptor_type="inhibitory", synapse=syn)
    with pytest.raises(ValueError, match="do not fit receptor_type='inhibitory'"):
        net.connect(a, curr, ss.AllToAll(), weight=0.0, receptor_type="inhibitory", synapse=syn)
    assert len(net.projections) == 1
    from spikesim.export import ExportError, to_pynn_script

    with pytest.raises(ExportError, match="Vogels2011Rule is not exported") as exc:
        to_pynn_script(net, duration=10.0)
    assert exc.value.rule == "vogels2011-stdp"


def test_two_threads_are_bit_identical_to_one():
    def run(threads):
        syn = ss.STDP(ss.Vogels2011Rule(tau=20.0, eta=0.003, rho=30.0),
                      ss.AdditiveWeightDependence(0.0, 0.02))
        net = ss.Network(dt=DT, seed=8, dtype="float64", threads=threads)
        src = net.add_population(40, ss.SpikeSourcePoisson(rate=60.0))
        drive = net.add_population(100, ss.SpikeSourcePoisson(rate=500.0))
        post = net.add_population(100, ss.IF_cond_exp(tau_refrac=2.0))
        net.connect(drive, post, ss.OneToOne(), weight=0.02)
        delays = np.random.default_rng(2).integers(1, 12, size=(40, 100)) * DT
        proj = net.connect(src, post, ss.FixedProbability(0.3), weight=0.01, delay=delays,
                           receptor_type="inhibitory", synapse=syn)
        net.run(150.0)
        return proj.weight.copy(), net._runtime.n_parts

    (w1, _), (w2, parts) = run(1), run(2)
    if parts != 2:
        pytest.skip("no parallel threading layer: threads=2 ran on one thread")
    np.testing.assert_array_equal(w1, w2)
    assert np.ptp(w1) > 0.005
