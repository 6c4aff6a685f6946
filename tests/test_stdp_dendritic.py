"""STDP with a dendritic delay (NEST's ``stdp_synapse``, sPyNNaker, PyNN's
``dendritic_delay_fraction=1``): the kernel's shifted formulation against NEST's
lazy algorithm written out in NumPy (tests/reference), and against NEST itself."""
import zlib

import numpy as np
import pytest

import spikesim as ss
from tests.reference import plasticity_ref as ref
from tests.test_plasticity import DT, _ref_params, _rule, _trains


def _net(seed, syn, d_steps, n_pre=8, n_post=6):
    net = ss.Network(dt=DT, seed=seed, dtype="float64")
    src = net.add_population(n_pre, ss.SpikeSourcePoisson(rate=60.0))
    drive = net.add_population(n_post, ss.SpikeSourcePoisson(rate=400.0))
    post = net.add_population(n_post, ss.IF_curr_exp(tau_refrac=1.0, tau_syn_E=2.0))
    net.connect(drive, post, ss.OneToOne(), weight=2.0)
    w0 = syn.weight.w_min + 0.5 * (syn.weight.w_max - syn.weight.w_min)
    proj = net.connect(src, post, ss.FixedProbability(0.7), weight=w0, delay=d_steps * DT,
                       synapse=syn)
    return net, src, post, proj


def _run_recorded(net, pre, post, proj, n_steps=3000):
    """Run ``n_steps`` recording both sides' spikes and the weights: ``(wr, pre trains,
    post trains, syn_pre, syn_post)``."""
    rp, rq = net.record(pre, "spikes"), net.record(post, "spikes")
    wr = net.record_weights(proj)
    net.run(n_steps * DT)
    return (wr, _trains(rp, len(pre)), _trains(rq, len(post))) + proj.connections()


@pytest.mark.parametrize("kind,interaction,wdep,window,d_steps", [
    ("pair", "all_to_all", "add", "hebbian", 1),
    ("pair", "all_to_all", "add", "hebbian", 7),
    ("pair", "nearest", "mult", "hebbian", 4),
    ("triplet", "all_to_all", "add", "hebbian", 3),
    ("triplet", "nearest", "mult", "anti_hebbian", 10),
    ("pair", "all_to_all", "mult", "symmetric", 2),
    ("pair", "all_to_all", "add", "hebbian", "1-14"),  # one delay per synapse
    ("triplet", "all_to_all", "mult", "hebbian", "1-14"),
])
def test_dendritic_kernel_matches_nest_algorithm(kind, interaction, wdep, window, d_steps):
    seed = zlib.crc32(f"d{kind}{interaction}{wdep}{window}{d_steps}".encode()) % 1000
    rng = np.random.default_rng(seed)
    base = _rule(kind, interaction, wdep, window, rng)
    syn = ss.STDP(base.timing, base.weight, window=window, delay_model="dendritic")
    if d_steps == "1-14":  # a dense (n_pre, n_post) matrix of delays
        d_steps = np.random.default_rng(seed).integers(1, 15, size=(8, 6))
    net, pre, post, proj = _net(seed, syn, d_steps)
    d_steps = proj.delay.astype(np.int64)
    n_steps = 3000
    wr, tp, tq, syn_pre, syn_post = _run_recorded(net, pre, post, proj, n_steps)
    w0 = np.full(proj.n_synapses, 0.5 * (syn.weight.w_min + syn.weight.w_max))
    want = ref.stdp_weights_dendritic(tp, tq, syn_pre, syn_post, d_steps, w0,
                                      _ref_params(syn, DT), n_steps)
    assert sum(len(t) for t in tq) > 50 and np.ptp(wr.weights) > 0
    np.testing.assert_allclose(wr.weights, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(proj.weight, want[-1], rtol=1e-10, atol=1e-12)
    # the axonal convention gives other weights on the same spikes
    axonal = ref.stdp_weights(tp, tq, syn_pre, syn_post, d_steps, w0, _ref_params(syn, DT),
                              n_steps)
    assert np.abs(axonal[-1] - want[-1]).max() > 1e-6


@pytest.mark.parametrize("delay_model", ["axonal", "dendritic"])
def test_nearest_first_matches_twin(delay_model):
    """sPyNNaker's nearest pair (``interaction="nearest_first"``): only the first
    postsynaptic spike after a presynaptic arrival potentiates; both conventions."""
    rule = ss.SpikePairRule(tau_plus=12.0, tau_minus=25.0, A_plus=0.08, A_minus=0.05,
                            interaction="nearest_first")
    syn = ss.STDP(rule, ss.AdditiveWeightDependence(0.0, 1.0), delay_model=delay_model)
    d_steps = 6
    net, pre, post, proj = _net(21, syn, d_steps)
    n_steps = 3000
    wr, tp, tq, i, j = _run_recorded(net, pre, post, proj, n_steps)
    w0 = np.full(proj.n_synapses, 0.5)
    par = dict(_ref_params(ss.STDP(ss.SpikePairRule(12.0, 25.0, 0.08, 0.05, "nearest"),
                                   syn.weight), DT), first_post=True)
    if delay_model == "axonal":
        want = ref.stdp_weights(tp, tq, i, j, np.full(proj.n_synapses, d_steps), w0, par, n_steps)
    else:
        want = ref.stdp_weights_dendritic(tp, tq, i, j, d_steps, w0, par, n_steps)
    np.testing.assert_allclose(wr.weights, want, rtol=1e-10, atol=1e-12)
    plain = dict(par, first_post=False)  # the restriction matters on these trains
    other = (ref.stdp_weights(tp, tq, i, j, np.full(proj.n_synapses, d_steps), w0, plain, n_steps)
             if delay_model == "axonal" else
             ref.stdp_weights_dendritic(tp, tq, i, j, d_steps, w0, plain, n_steps))
    assert np.abs(other[-1] - want[-1]).max() > 1e-3


def test_tie_changes_nothing_and_weights_are_lazy():
    """Hand-computed NEST pairs. Pre spikes in steps 19, 43, 59, 299; post spikes in 38
    and 150; d = 5 steps. The pre spike at 43 = 38 + d is a tie: it neither depresses
    nor is paired with the post spike. The post spike at 150 comes after the last
    presynaptic spike reached the synapse, so the reported weight leaves it out until
    the spike of step 299 brings it in."""
    d, k = 5, DT / 20.0  # steps; dt / tau
    net = ss.Network(dt=DT, seed=1, dtype="float64")
    # a spike time T (ms) is emitted in step T / dt - 1
    pre = net.add_population(1, ss.SpikeSourceArray([[2.0, 4.4, 6.0, 30.0]]))
    kick = net.add_population(1, ss.SpikeSourceArray([[3.8, 15.0]]))
    post = net.add_population(1, ss.IF_curr_delta())
    net.connect(kick, post, ss.OneToOne(), weight=100.0, delay=DT)
    rule = ss.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.1, A_minus=0.1)
    syn = ss.STDP(rule, ss.AdditiveWeightDependence(0.0, 1.0), delay_model="dendritic")
    proj = net.connect(pre, post, ss.OneToOne(), weight=0.5, delay=d * DT, synapse=syn)
    rq, rp = net.record(post, "spikes"), net.record(pre, "spikes")
    net.run(200 * DT)
    np.testing.assert_array_equal(np.rint(rp.spikes.times / DT) - 1, [19, 43, 59])
    np.testing.assert_array_equal(np.rint(rq.spikes.times / DT) - 1, [38, 150])
    want = 0.5 + 0.1 * np.exp(-(38 + d - 19) * k) - 0.1 * np.exp(-(59 - d - 38) * k)
    np.testing.assert_allclose(proj.weight, [want], rtol=1e-12)
    net.run(200 * DT)
    want += 0.1 * sum(np.exp(-(150 + d - u) * k) for u in (19, 43, 59))
    want -= 0.1 * sum(np.exp(-(299 - d - q) * k) for q in (38, 150))
    np.testing.assert_allclose(proj.weight, [want], rtol=1e-12)


def test_dendritic_refusals():
    net = ss.Network(dt=DT, seed=1)
    a = net.add_population(4, ss.SpikeSourcePoisson(rate=10.0))
    b = net.add_population(4, ss.IF_curr_exp())
    syn = ss.STDP(ss.SpikePairRule(20.0, 20.0, 0.01, 0.01), ss.AdditiveWeightDependence(0.0, 1.0),
                  delay_model="dendritic")
    with pytest.raises(ValueError, match=r"weight 1.5 is outside the STDP bounds"):
        net.connect(a, b, ss.OneToOne(), weight=1.5, synapse=syn)
    assert len(net.projections) == 0
    with pytest.raises(ValueError, match="STDP.delay_model must be one of"):
        ss.STDP(ss.SpikePairRule(20.0, 20.0, 0.01, 0.01), ss.AdditiveWeightDependence(0.0, 1.0),
                delay_model="somatic")


def test_dendritic_save_load_continues_exactly(tmp_path):
    rng = np.random.default_rng(3)
    base = _rule("pair", "all_to_all", "add", "hebbian", rng)
    syn = ss.STDP(base.timing, base.weight, delay_model="dendritic")
    net, pre, post, proj = _net(3, syn, 4)
    net.run(150.0)
    net.save(tmp_path / "d.h5")
    back = ss.load(tmp_path / "d.h5")
    assert back.projections[-1].synapse.delay_model == "dendritic"
    net.run(150.0)
    back.run(150.0)
    np.testing.assert_array_equal(back.projections[-1].weight, proj.weight)


def _nest_stdp(pre, post, d_ms, w0, wmax, lam, alpha, tau_plus, tau_minus, t_end):
    """NEST 3's ``stdp_synapse`` (additive: mu = 0) between parrots that fire with the
    stamps ``pre`` / ``post`` (steps of DT); the final weights, (n_pre, n_post)."""
    import os
    os.environ.setdefault("PYNEST_QUIET", "1")
    nest = pytest.importorskip("nest")
    nest.ResetKernel()
    nest.resolution = DT
    nest.local_num_threads = 1
    g_pre = nest.Create("spike_generator", len(pre),
                        params=[{"spike_times": ((t - 1) * DT).round(10).tolist()} for t in pre])
    g_post = nest.Create("spike_generator", len(post),
                         params=[{"spike_times": ((t - 1) * DT).round(10).tolist()} for t in post])
    p_pre = nest.Create("parrot_neuron", len(pre))
    p_post = nest.Create("parrot_neuron", len(post), params={"tau_minus": tau_minus})
    nest.Connect(g_pre, p_pre, "one_to_one", syn_spec={"delay": DT})
    nest.Connect(g_post, p_post, "one_to_one", syn_spec={"delay": DT})
    nest.Connect(p_pre, p_post, "all_to_all",
                 syn_spec={"synapse_model": "stdp_synapse", "weight": w0, "delay": d_ms,
                           "tau_plus": tau_plus, "lambda": lam, "alpha": alpha, "mu_plus": 0.0,
                           "mu_minus": 0.0, "Wmax": wmax, "receptor_type": 1})
    nest.Simulate(t_end)
    conns = nest.GetConnections(p_pre, p_post).get(["source", "target", "weight"])
    first = p_pre[0].global_id
    w = np.zeros((len(pre), len(post)))
    for s, t, x in zip(conns["source"], conns["target"], conns["weight"]):
        w[s - first, t - first - len(pre)] = x
    return w


@pytest.mark.nest
def test_final_weights_match_nest_stdp_synapse():
    """The same spike stamps through NEST's stdp_synapse and through spikesim's dendritic
    STDP, ties (t_pre = t_post + d) included; the weights as both report them."""
    rng = np.random.default_rng(5)
    d_steps, t_end = 15, 600.0
    post = [np.unique(rng.integers(50, 4500, 25)) for _ in range(4)]
    post = [t[np.concatenate([[True], np.diff(t) > 20])] for t in post]  # refractory gaps
    pre = []
    for k in range(5):
        t = rng.integers(20, 5000, 30)
        ties = rng.choice(post[k % 4], 4) + d_steps  # exact ties with one target
        pre.append(np.unique(np.concatenate([t, ties])))
    lam, alpha, tau_p, tau_m, w0, wmax = 0.05, 1.1, 16.8, 33.7, 0.4, 1.0
    w_nest = _nest_stdp(pre, post, d_steps * DT, w0, wmax, lam, alpha, tau_p, tau_m, t_end)
    net = ss.Network(dt=DT, seed=1, dtype="float64")
    src = net.add_population(5, ss.SpikeSourceArray([list(t * DT) for t in pre]))
    kick = net.add_population(4, ss.SpikeSourceArray([list((t - 1) * DT) for t in post]))
    cells = net.add_population(4, ss.IF_curr_delta(tau_refrac=0.5))
    net.connect(kick, cells, ss.OneToOne(), weight=100.0, delay=DT)
    syn = ss.STDP(ss.SpikePairRule(tau_p, tau_m, lam, alpha * lam),
                  ss.AdditiveWeightDependence(0.0, wmax), delay_model="dendritic")
    proj = net.connect(src, cells, ss.AllToAll(), weight=w0, delay=d_steps * DT, synapse=syn)
    rq = net.record(cells, "spikes")
    net.run(t_end)
    for k, t in enumerate(post):  # the forced neurons fired with the planned stamps
        np.testing.assert_array_equal(np.rint(rq.spikes.times[rq.spikes.senders == k] / DT), t)
    i, j = proj.connections()
    w_ss = np.full((5, 4), np.nan)
    w_ss[i, j] = proj.weight
    assert np.ptp(w_nest) > 0.05
    np.testing.assert_allclose(w_ss, w_nest, rtol=0, atol=1e-9)


@pytest.mark.nest
@pytest.mark.parametrize("multiplicative", [False, True])
def test_exported_pynn_script_on_nest_equals_spikesim(tmp_path, multiplicative):
    """A dendritic network exported as a PyNN script (STDPMechanism) and run on pyNN.nest:
    the same spikes and, to 1e-9, the same final weights (dense trains, pairs in the same
    step and one step apart, delays of one step and 1 ms + one step)."""
    for name in ("nest", "pyNN"):
        pytest.importorskip(name)
    from spikesim.export import ExportError, to_pynn_script
    from tests.test_export_pynn import exported_weights, run_script, spike_set
    from tests.test_nest_ext import dense_pairs

    dt = 0.1
    net, proj, recs, T = dense_pairs(dt, multiplicative, delay_model="dendritic")
    w0 = proj.weight.copy()
    with pytest.raises(ExportError, match="delay_model='dendritic'"):
        to_pynn_script(net, duration=T, stdp_delay="axonal")
    to_pynn_script(net, tmp_path / "dendritic.py", duration=T)
    net.run(T)
    out = run_script(tmp_path / "dendritic.py", tmp_path)
    for k, rec in enumerate(recs):
        assert spike_set(out[f"times_{k}"], out[f"senders_{k}"], dt) == \
            spike_set(rec.spikes.times, rec.spikes.senders, dt), net.populations[k].label
    assert np.abs(proj.weight - w0).max() > 0.02
    np.testing.assert_allclose(exported_weights(out, proj), proj.weight, rtol=0, atol=1e-9)
