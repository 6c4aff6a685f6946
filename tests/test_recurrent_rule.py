"""sPyNNaker's RecurrentRule (spikesim.kernels.recurrent).

The window draws against the exponential table sPyNNaker writes, the accumulator against
a hand count, the kernel against its NumPy twin (tests/reference/recurrent_ref.py), and a
script in the style of sPyNNaker's associative-memory examples through the front end.
"""
import numpy as np
import pytest

import spikesim as ss
from spikesim.kernels.lazy_stdp import draw_window
from tests.reference.recurrent_ref import draw_window_np, recurrent_rule

DT = 0.5


def test_window_draws_follow_spynnakers_table():
    """sPyNNaker's table: entry k of 2048 is uint16(-m ln(1 - k/2048)), picked uniformly."""
    m = 10.0
    draws = np.array([draw_window(np.uint64(12345), k, t, m) for k in range(40) for t in range(500)])
    table = np.floor(-m * np.log(1.0 - np.arange(2048) / 2048.0))
    values, expected = np.unique(table, return_counts=True)
    got = np.array([(draws == v).sum() for v in values])
    assert got.sum() == draws.size  # every draw is a table entry
    p = expected / 2048.0
    ok = p * draws.size >= 5  # chi-square over the well-filled cells
    chi2 = (((got - p * draws.size) ** 2) / (p * draws.size))[ok].sum()
    assert chi2 < 2 * ok.sum()  # mean of chi2 is about the number of cells
    assert draws.mean() == pytest.approx(table.mean(), rel=0.03)


def _paired(n_pairs, post_first=False, acc_pot=3, acc_dep=-4):
    """One synapse, a pre and a post spike close together every 50 ms. Windows are made
    sure: the leading side's window is far longer than the run, the other side's is 0 steps
    (a mean of 1e-3 ms draws 0 from every entry of the table)."""
    net = ss.Network(dt=1.0, dtype="float64")
    t_pre = 20.0 + 50.0 * np.arange(n_pairs + 1)  # the last pre spike brings the synapse up to date
    t_kick = t_pre[:-1] + (-15.0 if post_first else 0.0)
    pre = net.add_population(1, ss.SpikeSourceArray(spike_times=list(t_pre)))
    kick = net.add_population(1, ss.SpikeSourceArray(spike_times=list(t_kick)))
    post = net.add_population(1, ss.IF_curr_exp(tau_refrac=10.0))
    net.connect(kick, post, ss.AllToAll(), weight=5.0)
    long, none = 1e6, 1e-3
    rule = ss.RecurrentRule(accumulator_depression=acc_dep, accumulator_potentiation=acc_pot,
                            mean_pre_window=none if post_first else long,
                            mean_post_window=long if post_first else none,
                            dual_fsm=True, A_plus=0.5, A_minus=0.25)
    proj = net.connect(pre, post, ss.AllToAll(), weight=1.0, synapse=ss.STDP(
        timing=rule, weight=ss.AdditiveWeightDependence(0.0, 10.0, absolute=True),
        delay_model="dendritic"))
    rec = net.record(post, "spikes")
    net.run(float(t_pre[-1]) + 5.0)
    post_t = rec.spikes.times
    assert len(post_t) == n_pairs  # every kick made the post neuron fire once
    gaps = post_t - t_pre[:-1]
    assert np.all(gaps < 0) if post_first else np.all((gaps > 0) & (gaps < 10))
    return float(proj.weight[0]), float(proj._nm_c[0])


@pytest.mark.parametrize("n_pairs", [2, 3, 7])
def test_accumulator_counts_coincidences(n_pairs):
    """dual FSM: every post spike inside the last pre window steps up; at the third step
    (accumulator_potentiation=3) the weight rises by A_plus and the count restarts."""
    w, a = _paired(n_pairs)
    assert w == pytest.approx(1.0 + 0.5 * (n_pairs // 3))
    assert a == n_pairs % 3


@pytest.mark.parametrize("n_pairs", [3, 8])
def test_pre_after_post_steps_down(n_pairs):
    """Every pre spike inside the window of the latest post spike steps down: the ``n_pairs``
    pre spikes that each follow a post spike by 9 ms and the last one too (the window
    outlasts the run); at every fourth step (accumulator_depression=-4: a has reached -3)
    the weight falls by A_minus and the count restarts."""
    w, a = _paired(n_pairs, post_first=True)
    steps = n_pairs + 1
    assert w == pytest.approx(1.0 - 0.25 * (steps // 4))
    assert a == -(steps % 4)


def _steps(rec, n):
    steps = np.rint(rec.spikes.times / DT).astype(np.int64) - 1  # stamp (t+1) dt -> step t
    return [steps[rec.spikes.senders == i] for i in range(n)]


@pytest.mark.parametrize("dual_fsm", [True, False])
@pytest.mark.parametrize("wd", [ss.AdditiveWeightDependence(0.0, 2.0, absolute=True),
                                ss.MultiplicativeWeightDependence(0.0, 2.0)])
def test_kernel_matches_twin(dual_fsm, wd):
    """Poisson trains onto Poisson-driven neurons, one delay per synapse, two runs: every
    weight and accumulator equals the twin's, which draws the same windows (counter-based
    on the network seed; the kernel's stream constants)."""
    net = ss.Network(dt=DT, seed=11, dtype="float64")
    n_pre, n_post = 4, 3
    pre = net.add_population(n_pre, ss.SpikeSourcePoisson(rate=40.0))
    drive = net.add_population(n_post, ss.SpikeSourcePoisson(rate=300.0))
    post = net.add_population(n_post, ss.IF_curr_exp(tau_refrac=2.0, tau_syn_E=2.0))
    net.connect(drive, post, ss.OneToOne(), weight=2.0)
    rule = ss.RecurrentRule(accumulator_depression=-2, accumulator_potentiation=2,
                            mean_pre_window=6.0, mean_post_window=4.0, dual_fsm=dual_fsm,
                            A_plus=0.3, A_minus=0.2)
    delays = DT * np.random.default_rng(2).integers(1, 7, n_pre * n_post)
    proj = net.connect(pre, post, ss.AllToAll(), weight=1.0, delay=delays, synapse=ss.STDP(
        timing=rule, weight=wd, delay_model="dendritic"))
    rp, rq = net.record(pre, "spikes"), net.record(post, "spikes")
    net.run(700 * DT)
    net.run(700 * DT)
    pre_s, post_s = _steps(rp, n_pre), _steps(rq, n_post)
    seed = net._dynamics_seed()
    mult = isinstance(wd, ss.MultiplicativeWeightDependence)
    w, a, moved = [], [], 0
    for q, (i, j) in enumerate(zip(*proj.connections())):
        d = int(proj.delay[q])
        delivered, wq, aq = recurrent_rule(
            pre_s[i], post_s[j], d, acc_dep=-2, acc_pot=2, dual_fsm=dual_fsm, A_plus=0.3,
            A_minus=0.2, wd_min=0.0, wd_max=2.0, multiplicative=mult, w0=1.0,
            pre_window=lambda t, i=i: draw_window_np(seed ^ 0x9E37, i, t, 6.0 / DT),
            post_window=lambda e, j=j: draw_window_np(seed ^ 0x5EED05, j, e, 4.0 / DT),
            syn_pre_window=lambda t, q=q: draw_window_np(seed ^ 0x0F5D, q, t, 6.0 / DT),
            syn_post_window=lambda t, q=q: draw_window_np(seed ^ 0x0F5E, q, t, 4.0 / DT))
        w.append(wq)
        a.append(aq)
        moved += int(np.any(delivered != 1.0))
    assert moved >= 6  # the rule acted on most synapses
    np.testing.assert_allclose(proj.weight, w, rtol=1e-12)
    np.testing.assert_array_equal(proj._nm_c, a)
    assert net._nm_lost[0] == 0


def test_spynnaker_script_runs_and_learns():
    """sPyNNaker's associative-memory idiom (its ``stdp_mad_recurrent_*`` examples), written
    here: a stimulus every 40 ms, a teacher forcing the neuron 5 ms after every other one;
    the plastic weight grows by the multiplicative rule's steps."""
    import spikesim.pynn.spynnaker as p

    p.setup(timestep=1.0, min_delay=1.0)
    stim = p.Population(1, p.SpikeSourceArray(spike_times=[40.0 * k for k in range(40)]))
    teach = p.Population(1, p.SpikeSourceArray(spike_times=[80.0 * k + 125 for k in range(19)]))
    cell = p.Population(1, p.IF_curr_exp(cm=0.25, tau_m=10.0, tau_refrac=2.0, tau_syn_E=0.5,
                                         tau_syn_I=0.5, v_reset=-70.0, v_rest=-70.0,
                                         v_thresh=-50.0))
    stdp = p.STDPMechanism(
        timing_dependence=p.extra_models.RecurrentRule(
            accumulator_depression=-6, accumulator_potentiation=3, mean_pre_window=10.0,
            mean_post_window=10.0, dual_fsm=False, A_plus=0.2, A_minus=0.2),
        weight_dependence=p.MultiplicativeWeightDependence(w_min=0.0, w_max=16.0),
        weight=2.0, delay=1)
    proj = p.Projection(stim, cell, p.AllToAllConnector(), synapse_type=stdp)
    p.Projection(teach, cell, p.OneToOneConnector(), receptor_type="excitatory",
                 synapse_type=p.StaticSynapse(weight=15.0, delay=1))
    p.run(1600)
    w = proj.get("weight", "list", with_address=False)[0]
    p.end()
    n = np.log((16.0 - w) / 14.0) / np.log(0.8)  # w = 16 - 14 * 0.8**n after n potentiations
    assert n >= 1 and n == pytest.approx(round(n), abs=1e-4)


def test_refusals():
    with pytest.raises(ValueError, match="RecurrentRule.accumulator_depression"):
        ss.RecurrentRule(accumulator_depression=0)
    with pytest.raises(ValueError, match="RecurrentRule.accumulator_potentiation"):
        ss.RecurrentRule(accumulator_potentiation=2.5)
    with pytest.raises(ValueError, match="RecurrentRule.mean_pre_window"):
        ss.RecurrentRule(mean_pre_window=0.0)
    with pytest.raises(TypeError, match="RecurrentRule.dual_fsm"):
        ss.RecurrentRule(dual_fsm="yes")
    net = ss.Network(dt=1.0)
    a = net.add_population(2, ss.SpikeSourcePoisson(rate=5.0))
    b = net.add_population(2, ss.IF_curr_exp())
    net.connect(a, b, ss.AllToAll(), weight=0.1, label="rec", synapse=ss.STDP(
        timing=ss.RecurrentRule(), weight=ss.AdditiveWeightDependence(0.0, 1.0)))
    with pytest.raises(ValueError, match="'rec' with RecurrentRule.*delay_model='axonal'"):
        net.run(1.0)
    from spikesim.export.pynn_script import to_pynn_script

    with pytest.raises(NotImplementedError, match="RecurrentRule.*'rec'"):
        to_pynn_script(net)
