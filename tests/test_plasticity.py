"""STDP and NALSM astrocytes: the kernel against its NumPy twin, analytic windows, bounds, API."""
import zlib

import numpy as np
import pytest

import spikesim as ss
from tests.reference import plasticity_ref as ref

DT = 0.1


def _rule(kind, interaction, wdep, window, rng):
    if kind == "pair":
        timing = ss.SpikePairRule(tau_plus=rng.uniform(5, 30), tau_minus=rng.uniform(5, 30),
                                  A_plus=rng.uniform(0.01, 0.2), A_minus=rng.uniform(0.01, 0.2),
                                  interaction=interaction)
    else:
        timing = ss.TripletRule(tau_plus=rng.uniform(5, 30), tau_minus=rng.uniform(5, 40),
                                tau_x=rng.uniform(20, 120), tau_y=rng.uniform(20, 150),
                                A2_plus=rng.uniform(0, 0.1), A3_plus=rng.uniform(0, 0.1),
                                A2_minus=rng.uniform(0, 0.1), A3_minus=rng.uniform(0, 0.05),
                                interaction=interaction)
    bounds = (0.0, rng.uniform(0.5, 2.0))
    wd = (ss.AdditiveWeightDependence(*bounds, absolute=bool(rng.integers(2))) if wdep == "add"
          else ss.MultiplicativeWeightDependence(*bounds))
    return ss.STDP(timing, wd, window=window)


def _ref_params(syn, dt):
    kp = syn.timing.kernel_params()
    t1, t2, t3, t4 = (tau / dt for tau in kp["taus"])
    sp, sm = {"hebbian": (1, -1), "anti_hebbian": (-1, 1), "symmetric": (1, 1)}[syn.window]
    return dict(t1=t1, t2=t2, t3=t3, t4=t4, A2p=kp["A2_plus"], A3p=kp["A3_plus"],
                A2m=kp["A2_minus"], A3m=kp["A3_minus"], w_min=syn.weight.w_min,
                w_max=syn.weight.w_max, scale=syn.weight.scale,
                wdep="additive" if isinstance(syn.weight, ss.AdditiveWeightDependence) else "mult",
                nearest=syn.timing.interaction == "nearest", sgn_post=sp, sgn_pre=sm)


def _trains(rec, n):
    steps = np.rint(rec.spikes.times / DT).astype(np.int64) - 1  # stamp (t+1) dt -> step t
    return [steps[rec.spikes.senders == i] for i in range(n)]


def _plastic_net(seed, syn, recurrent, hetero_delay):
    net = ss.Network(dt=DT, seed=seed, dtype="float64")
    src = net.add_population(8, ss.SpikeSourcePoisson(rate=60.0))
    drive = net.add_population(6, ss.SpikeSourcePoisson(rate=400.0))
    post = net.add_population(6, ss.IF_curr_exp(tau_refrac=1.0, tau_syn_E=2.0))
    net.connect(drive, post, ss.OneToOne(), weight=2.0)
    pre = post if recurrent else src
    delay = 0.5
    if hetero_delay:  # 1 to 14 steps, as a dense (n_pre, n_post) matrix
        delay = np.random.default_rng(seed).integers(1, 15, size=(len(pre), len(post))) * DT
    w0 = syn.weight.w_min + 0.5 * (syn.weight.w_max - syn.weight.w_min)
    proj = net.connect(pre, post, ss.FixedProbability(0.6, allow_self=False) if recurrent
                       else ss.FixedProbability(0.6), weight=w0, delay=delay, synapse=syn)
    return net, pre, post, proj


@pytest.mark.parametrize("kind", ["pair", "triplet"])
@pytest.mark.parametrize("interaction", ["all_to_all", "nearest"])
@pytest.mark.parametrize("wdep,window", [("add", "hebbian"), ("mult", "hebbian"),
                                         ("add", "anti_hebbian"), ("mult", "symmetric")])
def test_stdp_kernel_matches_twin(kind, interaction, wdep, window):
    seed = zlib.crc32(f"{kind}{interaction}{wdep}{window}".encode()) % 1000
    rng = np.random.default_rng(seed)
    syn = _rule(kind, interaction, wdep, window, rng)
    for recurrent, hetero in ((False, True), (True, False)):
        net, pre, post, proj = _plastic_net(seed, syn, recurrent, hetero)
        rp, rq = net.record(pre, "spikes"), net.record(post, "spikes")
        wr = net.record_weights(proj)
        n_steps = 2000
        net.run(n_steps * DT)
        syn_pre, syn_post = proj.connections()
        want = ref.stdp_weights(_trains(rp, len(pre)), _trains(rq, len(post)), syn_pre, syn_post,
                                proj.delay.astype(np.int64),
                                np.full(proj.n_synapses, 0.5 * (syn.weight.w_min + syn.weight.w_max)),
                                _ref_params(syn, DT), n_steps)
        assert len(rq.spikes) > 20 and np.ptp(wr.weights) > 0  # the test exercises plasticity
        np.testing.assert_allclose(wr.weights, want, rtol=1e-10, atol=1e-12)


def _run_counting(net, pre, post, proj, n_steps):
    """Run ``n_steps``; the weight recording, both spike trains and the astrocyte's signed
    count per step (``post`` spikes count +1, ``pre`` spikes -1)."""
    rp, rq = net.record(pre, "spikes"), net.record(post, "spikes")
    wr = net.record_weights(proj)
    net.run(n_steps * DT)
    tp, tq = _trains(rp, len(pre)), _trains(rq, len(post))
    return wr, tp, tq, _counts(tq, n_steps) - _counts(tp, n_steps)


def _counts(trains, n_steps):
    """Spikes per step of all ``trains`` (lists of steps)."""
    c = np.zeros(n_steps)
    for tr in trains:
        np.add.at(c, tr, 1.0)
    return c


def test_astrocyte_on_potentiation_matches_twin():
    """An astrocyte group on both sides (NALSM's inhibitory synapses): ``A`` after step
    ``s - 1`` scales step ``s``'s changes, and a negative ``A`` reverses them."""
    rng = np.random.default_rng(8)
    syn = _rule("pair", "all_to_all", "add", "hebbian", rng)
    net, pre, post, proj = _plastic_net(9, syn, recurrent=False, hetero_delay=True)
    model = ss.NALSMAstrocyte(tau_A=5.0, w_A=0.6, b_A=0.0, decay=1.0)
    ast = net.add_astrocytes(1, model, positive=[post], negative=[pre])
    proj.modulate(potentiation=ast, depression=0.5)
    proj.modulate(depression=ast, potentiation=2.0)  # the scalars multiply A on both sides
    assert proj._astro_sides == 3
    n_steps = 1500
    wr, tp, tq, counts = _run_counting(net, pre, post, proj, n_steps)
    A = ref.nalsm_astrocyte(counts, DT / 5.0, 0.6, 0.0, 1.0, n_steps)
    a_in_force = np.concatenate([[0.0], A[:-1]])
    assert (a_in_force < -0.005).mean() > 0.1 and (a_in_force > 0.005).mean() > 0.1  # both signs
    per_syn = np.repeat(a_in_force[:, None], proj.n_synapses, axis=1)
    syn_pre, syn_post = proj.connections()
    want = ref.stdp_weights(tp, tq, syn_pre, syn_post, proj.delay.astype(np.int64),
                            np.full(proj.n_synapses, 0.5 * syn.weight.w_max), _ref_params(syn, DT),
                            n_steps, m_plus=2.0 * per_syn, m_minus=0.5 * per_syn)
    assert np.ptp(wr.weights) > 0
    np.testing.assert_allclose(wr.weights, want, rtol=1e-9, atol=1e-12)


def test_one_astrocyte_group_per_projection():
    net = ss.Network(dt=DT, seed=1)
    a = net.add_population(5, ss.IF_curr_exp())
    syn = ss.STDP(ss.SpikePairRule(20.0, 20.0, 0.01, 0.01), ss.AdditiveWeightDependence(0.0, 1.0))
    proj = net.connect(a, a, ss.AllToAll(allow_self=False), weight=0.5, synapse=syn)
    g1 = net.add_astrocytes(1, ss.NALSMAstrocyte(), positive=[a], label="g1")
    g2 = net.add_astrocytes(1, ss.NALSMAstrocyte(), positive=[a], label="g2")
    with pytest.raises(ValueError, match=r"one astrocyte group only, got \['g1', 'g2'\]"):
        proj.modulate(potentiation=g1, depression=g2)
    assert proj._astro_link is None and proj._astro_sides == 0  # nothing half-applied
    proj.modulate(depression=g1)
    with pytest.raises(ValueError, match="one astrocyte group only"):
        proj.modulate(potentiation=g2)
    assert proj._astro_sides == 1
    proj.modulate(potentiation=g1)
    assert proj._astro_link is g1 and proj._astro_sides == 3


def test_modulators_and_nalsm_astrocyte_match_twin():
    rng = np.random.default_rng(3)
    syn = _rule("pair", "all_to_all", "add", "hebbian", rng)
    net, pre, post, proj = _plastic_net(7, syn, recurrent=False, hetero_delay=True)
    model = ss.NALSMAstrocyte(tau_A=20.0, w_A=0.05, b_A=0.8, decay=0.995)
    ast = net.add_astrocytes(1, model, positive=[post], negative=[pre])
    proj.modulate(potentiation=1.5, depression=ast, potentiation_decay=0.99)
    n_steps = 1500
    wr, tp, tq, counts = _run_counting(net, pre, post, proj, n_steps)
    A = ref.nalsm_astrocyte(counts, DT / 20.0, 0.05, 0.8, 0.995 ** DT, n_steps)
    np.testing.assert_allclose(ast.A[0], A[-1], rtol=1e-12)
    a_in_force = np.concatenate([[0.8], A[:-1]])  # depression at step s uses A after step s-1
    m_minus = np.repeat(a_in_force[:, None], proj.n_synapses, axis=1)
    m_plus = 1.5 * (0.99 ** DT) ** np.arange(n_steps)
    syn_pre, syn_post = proj.connections()
    want = ref.stdp_weights(tp, tq, syn_pre, syn_post, proj.delay.astype(np.int64),
                            np.full(proj.n_synapses, 0.5 * syn.weight.w_max), _ref_params(syn, DT),
                            n_steps, m_plus=m_plus, m_minus=m_minus)
    np.testing.assert_allclose(wr.weights, want, rtol=1e-9, atol=1e-12)


def test_per_synapse_masks_match_twin(tmp_path):
    """``modulate(potentiation_mask=, depression_mask=)``: a per-synapse mask times a scalar."""
    rng = np.random.default_rng(8)
    syn = _rule("triplet", "all_to_all", "add", "hebbian", rng)
    net, pre, post, proj = _plastic_net(9, syn, recurrent=False, hetero_delay=True)
    n = proj.n_synapses
    pmask = rng.uniform(0.0, 2.0, n)
    pmask[::5] = 0.0  # some synapses never potentiate
    dense = np.zeros((len(pre), len(post)))
    i, j = proj.connections()
    dmask = rng.uniform(0.0, 3.0, n)
    dense[i, j] = dmask
    proj.modulate(potentiation=0.7, potentiation_mask=pmask, depression_mask=dense,
                  depression_decay=0.995)
    rp, rq = net.record(pre, "spikes"), net.record(post, "spikes")
    wr = net.record_weights(proj)
    n_steps = 1500
    net.run(n_steps * DT)
    m_plus = 0.7 * np.ones((n_steps, 1)) * pmask[None, :]
    m_minus = ((0.995 ** DT) ** np.arange(n_steps))[:, None] * dmask[None, :]
    want = ref.stdp_weights(_trains(rp, len(pre)), _trains(rq, len(post)), i, j,
                            proj.delay.astype(np.int64), np.full(n, 0.5 * (syn.weight.w_min +
                                                                           syn.weight.w_max)),
                            _ref_params(syn, DT), n_steps, m_plus=m_plus, m_minus=m_minus)
    np.testing.assert_allclose(wr.weights, want, rtol=1e-9, atol=1e-12)
    # the masked-out synapses only ever depressed
    assert np.all(np.diff(want[:, ::5], axis=0) <= 0) and np.ptp(want[:, 1]) > 0
    # masks survive save / load and are refused by exporters
    net.save(tmp_path / "m.h5")
    back = ss.load(tmp_path / "m.h5")
    np.testing.assert_array_equal(back.projections[-1]._masks[0], pmask)
    np.testing.assert_array_equal(back.projections[-1]._masks[1], dmask)
    from spikesim.export import ExportError, to_pynn_script
    with pytest.raises(ExportError, match="modulated"):
        to_pynn_script(net, tmp_path / "m.py", duration=10.0)
    # a mask of ones removes the mask
    proj.modulate(potentiation_mask=1.0)
    assert proj._masks[0] is None and proj._masks[1] is not None


@pytest.mark.parametrize("kw,err,match", [
    (dict(potentiation_mask=[1.0, 2.0]), ValueError, "potentiation_mask has length 2"),
    (dict(depression_mask=-1.0), ValueError, "depression_mask must be >= 0, got -1.0"),
    (dict(depression_mask=np.full((3, 4), 1.0)), ValueError, "depression_mask matrix has shape"),
    (dict(potentiation_mask="high"), TypeError, "potentiation_mask must be"),
    (dict(potentiation_mask=np.nan), ValueError, "potentiation_mask"),
])
def test_bad_masks_are_refused_by_name(kw, err, match):
    rng = np.random.default_rng(8)
    net, pre, post, proj = _plastic_net(9, _rule("pair", "all_to_all", "add", "hebbian", rng),
                                        recurrent=False, hetero_delay=False)
    with pytest.raises(err, match=match):
        proj.modulate(potentiation=0.5, **kw)
    assert proj._masks == [None, None] and proj._pstate["mod"][0] == 1.0  # nothing changed


def _pair_net(pre_t, post_t, syn, delay=1.0, w0=0.5):
    net = ss.Network(dt=DT, seed=1, dtype="float64")
    pre = net.add_population(1, ss.SpikeSourceArray(spike_times=[pre_t]))
    teach = net.add_population(1, ss.SpikeSourceArray(spike_times=[[t - 2 * DT for t in post_t]]))
    post = net.add_population(1, ss.IF_curr_exp(tau_syn_E=0.1, tau_refrac=0.1))
    net.connect(teach, post, ss.AllToAll(), weight=1000.0, delay=DT)
    proj = net.connect(pre, post, ss.AllToAll(), weight=w0, delay=delay, synapse=syn)
    rq = net.record(post, "spikes")
    return net, proj, rq


@pytest.mark.parametrize("lag", [-30.0, -8.0, -1.0, 0.0, 1.0, 4.0, 15.0, 40.0])
def test_pair_window_matches_analytic_curve(lag):
    tau_p, tau_m, ap, am, delay = 17.0, 34.0, 0.05, 0.03, 1.5
    syn = ss.STDP(ss.SpikePairRule(tau_plus=tau_p, tau_minus=tau_m, A_plus=ap, A_minus=am),
                  ss.AdditiveWeightDependence(0.0, 2.0))
    t_pre = 50.0
    t_post = t_pre + delay + lag  # lag = t_post - arrival
    net, proj, rq = _pair_net([t_pre], [t_post], syn, delay=delay)
    net.run(150.0)
    np.testing.assert_allclose(rq.spikes.times, [t_post])
    dw = proj.weight[0] - 0.5
    want = 2.0 * (ap * np.exp(-lag / tau_p) if lag >= 0 else -am * np.exp(lag / tau_m))
    assert dw == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_delivered_weight_is_the_updated_one():
    """An arrival after a post spike is depressed first, and the PSC carries the new weight."""
    syn = ss.STDP(ss.SpikePairRule(tau_plus=10.0, tau_minus=10.0, A_plus=0.0, A_minus=0.2),
                  ss.AdditiveWeightDependence(0.0, 1.0))
    net, proj, rq = _pair_net([20.0], [15.0], syn, delay=1.0)
    post = proj.post_population
    rec = net.record(post, "isyn_exc")
    net.run(30.0)
    w_new = 0.5 - 0.2 * np.exp(-(21.0 - 15.0) / 10.0)
    assert proj.weight[0] == pytest.approx(w_new, rel=1e-12)
    i = rec.isyn_exc.values[:, 0]
    k = int(np.argmin(np.abs(rec.isyn_exc.times - 21.0)))  # the jump lands at the arrival
    assert i[k] == pytest.approx(w_new, rel=1e-9)


def test_weights_stay_finite_and_bounded_under_extreme_rates():
    net = ss.Network(dt=DT, seed=5)
    src = net.add_population(50, ss.SpikeSourcePoisson(rate=5000.0))
    post = net.add_population(20, ss.IF_curr_exp(tau_refrac=0.0))
    for wd, window in ((ss.AdditiveWeightDependence(0.0, 5.0), "hebbian"),
                       (ss.MultiplicativeWeightDependence(0.0, 5.0), "symmetric")):
        syn = ss.STDP(ss.TripletRule(A2_plus=50.0, A3_plus=50.0, A2_minus=80.0, A3_minus=10.0), wd,
                      window=window)
        net.connect(src, post, ss.AllToAll(), weight=2.5, synapse=syn)
    net.run(200.0)
    for proj in net.projections:
        w = proj.weight
        assert np.isfinite(w).all() and w.min() >= 0.0 and w.max() <= 5.0


def test_split_runs_and_rebuilds_are_bit_identical():
    def build():
        syn = _rule("triplet", "all_to_all", "add", "hebbian", np.random.default_rng(1))
        return _plastic_net(11, syn, recurrent=True, hetero_delay=False)

    net_a, _, post_a, proj_a = build()
    ra = net_a.record(post_a, "spikes")
    net_a.run(150.0)
    net_b, _, post_b, proj_b = build()
    rb = net_b.record(post_b, "spikes")
    net_b.run(40.0)
    net_b.record(post_b, "v")  # forces a rebuild mid-run: plastic state must carry over
    net_b.run(60.0)
    net_b.run(50.0)
    np.testing.assert_array_equal(proj_a.weight, proj_b.weight)
    np.testing.assert_array_equal(ra.spikes.times, rb.spikes.times)


@pytest.mark.parametrize("interaction", ["all_to_all", "nearest"])
@pytest.mark.parametrize("delay_model", ["axonal", "dendritic"])
def test_pair_rule_one_loop_per_step_matches_the_per_spike_loop(interaction, delay_model):
    """The pair rule's potentiation runs as one loop over a step's synapses
    (kernels.potentiation._pair_flat); the triplet rule with A3 = 0 computes the same weights
    through the per-spike loop, so the two must agree to the bit."""
    rules = [ss.SpikePairRule(tau_plus=15.0, tau_minus=25.0, A_plus=0.05, A_minus=0.06,
                              interaction=interaction),
             ss.TripletRule(tau_plus=15.0, tau_minus=25.0, tau_x=80.0, tau_y=100.0,
                            A2_plus=0.05, A3_plus=0.0, A2_minus=0.06, A3_minus=0.0,
                            interaction=interaction)]
    got = []
    for rule in rules:
        syn = ss.STDP(rule, ss.AdditiveWeightDependence(0.0, 1.5), delay_model=delay_model)
        net, _, post, proj = _plastic_net(7, syn, recurrent=True, hetero_delay=False)
        rec = net.record(post, "spikes")
        net.run(300.0)
        got.append((np.array(proj.weight), rec.spikes.times.copy()))
    (w_pair, t_pair), (w_trip, t_trip) = got
    assert np.count_nonzero(w_pair != 0.75) > w_pair.size // 2  # the rule did act
    np.testing.assert_array_equal(w_pair, w_trip)
    np.testing.assert_array_equal(t_pair, t_trip)


@pytest.mark.parametrize("tau_ms", [1.0, 20.0, 125.0, 1000.0])
def test_decay_table_against_exp(tau_ms):
    """kernels.plasticity.table_exp: the table's own values below TAB_LEN steps, then a fine
    times a coarse entry (then exp), each within 2e-13 of exp(-k dt / tau) in long double."""
    from spikesim.kernels import plasticity as KP
    from spikesim.plastic_runtime import decay_tables

    rate = DT / tau_ms
    tab = decay_tables(np.array([rate]))[0]
    ks = np.unique(np.concatenate([np.arange(0, 70 * KP.TAB_LEN, 331), [KP.TAB_LEN - 1],
                                   (KP.TAB_LEN * np.arange(1, KP.HI_LEN + 2)[:, None]
                                    + np.array([-1, 0, 1])).ravel()]))
    for k in ks:
        got = KP.table_exp(tab, rate, np.int64(k))
        if k < KP.TAB_LEN:
            assert got == tab[k]
        exact = float(np.exp(-np.longdouble(k) * np.longdouble(rate)))
        assert abs(got - exact) <= 2e-13 * exact + 1e-300, (k, got, exact)


def test_get_and_set_weights_dense_and_list():
    syn = ss.STDP(ss.SpikePairRule(), ss.AdditiveWeightDependence(0.0, 1.0))
    net = ss.Network(dt=DT, seed=2)
    a = net.add_population(4, ss.SpikeSourcePoisson(rate=10.0))
    b = net.add_population(3, ss.IF_curr_exp())
    proj = net.connect(a, b, ss.FixedProbability(0.7), weight=0.3, synapse=syn)
    dense = proj.get_weights("array")
    pre, post = proj.connections()
    new = np.where(np.isnan(dense), np.nan, np.linspace(0.1, 0.9, 12).reshape(4, 3))
    proj.set_weights(new)
    np.testing.assert_allclose(proj.get_weights("array")[~np.isnan(dense)], new[~np.isnan(dense)],
                               rtol=1e-6)
    rows = proj.get_weights("list")
    rows[:, 2] = 0.25
    proj.set_weights(rows[:2])
    assert np.allclose(proj.weight[:2], 0.25)
    with pytest.raises(ValueError, match="outside the STDP bounds"):
        proj.set_weights(1.5)
    with pytest.raises(ValueError, match="not a connection"):
        missing = [(i, j) for i in range(4) for j in range(3) if np.isnan(dense[i, j])]
        if not missing:
            pytest.skip("fully connected draw")
        proj.set_weights([[missing[0][0], missing[0][1], 0.5]])
    net.run(10.0)  # the kernel sees the values set before the run
    assert np.all((proj.weight >= 0) & (proj.weight <= 1))


@pytest.mark.parametrize("make,match", [
    (lambda: ss.SpikePairRule(tau_plus=0.0), "tau_plus"),
    (lambda: ss.SpikePairRule(tau_minus=-1.0), "tau_minus"),
    (lambda: ss.SpikePairRule(A_plus=float("nan")), "A_plus"),
    (lambda: ss.SpikePairRule(interaction="some"), "interaction"),
    (lambda: ss.TripletRule(tau_y=float("nan")), "tau_y"),
    (lambda: ss.TripletRule(A3_minus=-0.1), "A3_minus"),
    (lambda: ss.AdditiveWeightDependence(1.0, 0.5), "w_min"),
    (lambda: ss.MultiplicativeWeightDependence(0.0, float("inf")), "w_max"),
    (lambda: ss.STDP(ss.SpikePairRule(), ss.AdditiveWeightDependence(), window="odd"), "window"),
    (lambda: ss.STDP("pair", ss.AdditiveWeightDependence()), "timing"),
    (lambda: ss.NALSMAstrocyte(tau_A=0.0), "tau_A"),
    (lambda: ss.NALSMAstrocyte(decay=1.5), "decay"),
])
def test_bad_rules_are_refused_by_name(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_bad_plastic_connections_are_refused():
    net = ss.Network(dt=DT, seed=1)
    a = net.add_population(5, ss.SpikeSourcePoisson(rate=10.0))
    b = net.add_population(5, ss.IF_curr_exp())
    syn = ss.STDP(ss.SpikePairRule(), ss.AdditiveWeightDependence(0.0, 1.0))
    with pytest.raises(ValueError, match="outside the STDP bounds"):
        net.connect(a, b, ss.AllToAll(), weight=2.0, synapse=syn)
    with pytest.raises(ValueError, match="bounds"):
        net.connect(a, b, ss.AllToAll(), weight=0.0, receptor_type="inhibitory", synapse=syn)
    with pytest.raises(TypeError, match="synapse"):
        net.connect(a, b, ss.AllToAll(), weight=0.5, synapse="stdp")
    static = net.connect(a, b, ss.AllToAll(), weight=0.5)
    with pytest.raises(ValueError, match="static"):
        static.modulate(potentiation=0.5)
    with pytest.raises(ValueError, match="static"):
        net.record_weights(static)
    proj = net.connect(a, b, ss.AllToAll(), weight=0.5, synapse=syn)
    with pytest.raises(ValueError, match="potentiation_decay"):
        proj.modulate(potentiation_decay=1.2)
    with pytest.raises(ValueError, match="depression"):
        proj.modulate(depression=-1.0)
    with pytest.raises(ValueError, match="synapses index"):
        net.record_weights(proj, synapses=[0, 99])
    with pytest.raises(ValueError, match="density"):
        net.add_astrocytes(2, ss.NALSMAstrocyte(), positive=[b], density=0.05)
    assert len(net.projections) == 2 and len(net.astrocytes) == 0


@pytest.mark.parametrize("kind", ["pair", "triplet"])
def test_two_threads_are_bit_identical_to_one(kind):
    def run(threads):
        net = ss.Network(dt=DT, seed=21, dtype="float64", threads=threads)
        src = net.add_population(30, ss.SpikeSourcePoisson(rate=80.0))
        exc = net.add_population(120, ss.IF_curr_exp(tau_refrac=1.0, tau_syn_E=2.0))
        syn = _rule(kind, "all_to_all", "add", "hebbian", np.random.default_rng(5))
        net.connect(src, exc, ss.FixedProbability(0.3), weight=1.5)
        delays = np.random.default_rng(2).integers(1, 12, size=(120, 120)) * DT
        w0 = 0.5 * (syn.weight.w_min + syn.weight.w_max)
        proj = net.connect(exc, exc, ss.FixedProbability(0.1, allow_self=False), weight=w0,
                           delay=delays, synapse=syn)
        proj2 = net.connect(src, exc, ss.FixedProbability(0.2), weight=w0, synapse=syn)
        group = net.add_astrocytes(1, ss.NALSMAstrocyte(w_A=0.01, b_A=0.9, decay=0.999),
                                   positive=[exc], negative=[src])
        proj.modulate(depression=group, potentiation=1.2, potentiation_decay=0.995,
                      depression_decay=0.998)
        proj2.modulate(potentiation=group)  # the two-thread loop potentiates one step late
        rec = net.record(exc, "spikes")
        net.run(120.0)
        net.run(80.0)
        return (rec.spikes.times, rec.spikes.senders, [p.weight.copy() for p in net.projections],
                net._runtime.n_parts)

    one, two = run(1), run(2)
    if two[3] != 2:
        pytest.skip("no parallel threading layer: threads=2 ran on one thread")
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    for a, b in zip(one[2], two[2]):
        np.testing.assert_array_equal(a, b)
    assert len(one[0]) > 200


@pytest.mark.parametrize("interaction", ["all_to_all", "nearest"])
@pytest.mark.parametrize("wdep,window", [("add", "hebbian"), ("mult", "anti_hebbian")])
@pytest.mark.parametrize("astro", [False, True])
def test_without_same_step_pairs_matches_twin(interaction, wdep, window, astro):
    """``same_step_pairs=False``: a pre and a post spike emitted in the same step do not pair
    (the NALSM authors' per-step update); every other pair as before. A recurrent network with
    a one-step delay, driven hard so that such coincidences occur; with an astrocyte on the
    depression the kernel's general loop runs, without it the lean one is left for it."""
    seed = zlib.crc32(f"{interaction}{wdep}{window}{astro}".encode()) % 1000
    rng = np.random.default_rng(seed)
    base = _rule("pair", interaction, wdep, window, rng)
    syn = ss.STDP(base.timing, base.weight, window=window, same_step_pairs=False)
    net = ss.Network(dt=DT, seed=seed, dtype="float64")
    drive = net.add_population(12, ss.SpikeSourcePoisson(rate=900.0))
    post = net.add_population(12, ss.IF_curr_exp(tau_refrac=0.1, tau_syn_E=0.5))
    net.connect(drive, post, ss.OneToOne(), weight=6.0)
    w0 = 0.5 * (syn.weight.w_min + syn.weight.w_max)
    proj = net.connect(post, post, ss.FixedProbability(0.7, allow_self=False), weight=w0,
                       delay=DT, synapse=syn)
    n_steps = 1500
    m_minus = None
    if astro:
        ast = net.add_astrocytes(1, ss.NALSMAstrocyte(tau_A=20.0, w_A=0.05, b_A=0.8),
                                 positive=[post])
        proj.modulate(depression=ast)
    wr, tp, tq, _ = _run_counting(net, post, post, proj, n_steps)
    if astro:  # the astrocyte counts the spikes of post (+1) only
        A = ref.nalsm_astrocyte(_counts(tq, n_steps), DT / 20.0, 0.05, 0.8, 1.0, n_steps)
        m_minus = np.repeat(np.concatenate([[0.8], A[:-1]])[:, None], proj.n_synapses, axis=1)
    syn_pre, syn_post = proj.connections()
    args = (tp, tq, syn_pre, syn_post, proj.delay.astype(np.int64),
            np.full(proj.n_synapses, w0))
    par = _ref_params(syn, DT)
    want = ref.stdp_weights(*args, {**par, "same_step": False}, n_steps, m_minus=m_minus)
    paired = ref.stdp_weights(*args, par, n_steps, m_minus=m_minus)
    assert np.abs(paired - want).max() > 1e-6  # same-step pairs occurred
    np.testing.assert_allclose(wr.weights, want, rtol=1e-10, atol=1e-12)



def test_same_step_pairs_refusals():
    add = ss.AdditiveWeightDependence(0.0, 1.0)
    with pytest.raises(TypeError, match="same_step_pairs"):
        ss.STDP(ss.SpikePairRule(), add, same_step_pairs="no")
    with pytest.raises(ValueError, match="same_step_pairs=False needs delay_model='axonal'"):
        ss.STDP(ss.SpikePairRule(), add, delay_model="dendritic", same_step_pairs=False)
    net = ss.Network(dt=DT, seed=1)
    a = net.add_population(5, ss.SpikeSourcePoisson(rate=10.0))
    b = net.add_population(5, ss.IF_curr_exp())
    syn = ss.STDP(ss.SpikePairRule(), add, same_step_pairs=False)
    with pytest.raises(ValueError, match="one time step.*got 3 steps"):
        net.connect(a, b, ss.AllToAll(), weight=0.5, delay=3 * DT, synapse=syn)
    assert len(net.projections) == 0
    net.connect(a, b, ss.AllToAll(), weight=0.5, delay=DT, synapse=syn)


@pytest.mark.parametrize("keep", [False, True])
def test_reset_state_keeps_traces_on_request(keep):
    """A post spike before ``reset_state`` and a pre arrival after it: the pair depresses
    only when the traces are kept (then exactly as without a reset)."""
    tau_m, am = 34.0, 0.03
    syn = ss.STDP(ss.SpikePairRule(tau_plus=17.0, tau_minus=tau_m, A_plus=0.05, A_minus=am),
                  ss.AdditiveWeightDependence(0.0, 2.0))
    net, proj, rq = _pair_net([60.0], [45.0], syn, delay=1.0)
    net.run(50.0)
    proj.modulate(depression=0.5)
    net.reset_state(keep_traces=keep)
    assert proj._pstate["mod"][1] == 1.0  # the learning-rate factors are reset either way
    net.run(30.0)
    np.testing.assert_allclose(rq.spikes.times, [45.0])
    want = -2.0 * am * np.exp(-(61.0 - 45.0) / tau_m) if keep else 0.0
    assert proj.weight[0] - 0.5 == pytest.approx(want, rel=1e-12, abs=1e-15)
    with pytest.raises(TypeError, match="keep_traces"):
        net.reset_state(keep_traces="yes")


def test_same_step_pairs_save_load_continues_exactly(tmp_path):
    rng = np.random.default_rng(4)
    base = _rule("pair", "all_to_all", "add", "hebbian", rng)
    syn = ss.STDP(base.timing, base.weight, same_step_pairs=False)
    net = ss.Network(dt=DT, seed=4, dtype="float64")
    drive = net.add_population(8, ss.SpikeSourcePoisson(rate=900.0))
    post = net.add_population(8, ss.IF_curr_exp(tau_refrac=0.1, tau_syn_E=0.5))
    net.connect(drive, post, ss.OneToOne(), weight=6.0)
    proj = net.connect(post, post, ss.FixedProbability(0.7, allow_self=False),
                       weight=0.5 * base.weight.w_max, delay=DT, synapse=syn)
    net.run(50.0)
    net.save(tmp_path / "s.h5")
    back = ss.load(tmp_path / "s.h5")
    assert back.projections[-1].synapse.same_step_pairs is False
    net.run(50.0)
    back.run(50.0)
    np.testing.assert_array_equal(back.projections[-1].weight, proj.weight)
