"""Synaptic rewiring (sPyNNaker's structural plasticity; Bogdan et al. 2018).

- the kernel against its NumPy twin (tests/reference/rewiring.py), bit for bit on the
  same counter-based random stream: RandomSelection through whole network runs,
  LastNeuronSelection on given spike lists, with and without replacement, fixed and
  drawn delays, fast and slow schedules;
- formation and elimination probabilities against their formulas over many trials
  (binomial tolerances, fixed seeds);
- storage invariants (rows, slots, STDP column index) after runs;
- sPyNNaker-style scripts through ``import spikesim.pynn.spynnaker as sim``;
- a reduced topographic map (mean receptive-field distance shrinks);
- refusals of bad input, by name.
"""
import importlib.util
import pathlib

import numpy as np
import pytest

import spikesim as ss
from spikesim.kernels import rewiring as KR
from spikesim.rewiring import rewiring_schedule
from tests.reference import rewiring as REF

ROOT = pathlib.Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------- helpers
def snapshot(group):
    """Slot table ``[j][s] -> None or [entry, pre, weight, delay]`` from the kernel's storage."""
    s_max = group.rule.s_max
    out = [[None] * s_max for _ in range(group.post.size)]
    for ls in np.flatnonzero(group._slot_e >= 0):
        p = group.projections[int(group._slot_e[ls])]
        k = int(group._slot_k[ls])
        out[ls // s_max][ls % s_max] = [int(group._slot_e[ls]), int(group._slot_i[ls]),
                                        float(p._storage(p._weight)[k]),
                                        int(p._storage(p._delay)[k])]
    return out


def twin_of(group):
    rule, net = group.rule, group.net
    dlo, dhi = rule.delay_steps(net.dt)
    f, el = rule.formation, rule.elimination
    entries = []
    for p in group.projections:
        lateral = p.pre is p.post_population
        pf, sf = ((f.p_form_lateral, f.sigma_form_lateral) if lateral
                  else (f.p_form_forward, f.sigma_form_forward))
        entries.append(dict(pre_lo=p.pre.first, n_pre=p.pre.size, w_init=rule.initial_weight,
                            thresh=el.threshold, p_dep=el.prob_elim_depressed,
                            p_pot=el.prob_elim_potentiated,
                            table=REF.formation_table(pf, sf, f.grid), grid=f.grid))
    received, seen = [], []
    for j in net.projections:
        if j.post_population is group.post and j.pre not in seen:
            seen.append(j.pre)
            e = next((k for k, p in enumerate(group.projections) if p.pre is j.pre), -1)
            received.append((j.pre.first, j.pre.first + j.pre.size, e))
    return REF.Group(group.seed, group.post.size, rule.s_max, group.fast, group.period,
                     bool(rule.with_replacement), rule.partner_selection.kind,
                     getattr(rule.partner_selection, "spike_buffer_size", 0), dlo, dhi, entries,
                     snapshot(group), received, count=int(group._count[0]))


def check_invariants(group):
    """Rows, slots and (STDP) column index describe the same synapses."""
    s_max = group.rule.s_max
    for e, p in enumerate(group.projections):
        store_post = p.post
        for i in range(p.pre.size):
            lo = p.indptr[i]
            for k in range(lo, lo + int(p._nact[i])):
                ls = int(p._syn_slot[k])
                assert ls >= 0 and group._slot_e[ls] == e and group._slot_i[ls] == i
                assert group._slot_k[ls] == k and store_post[k] == ls // s_max
                if p.plastic:
                    assert p._pstate["col_syn"][ls] == k and p._pstate["col_pre"][ls] == i
            assert (p._syn_slot[lo + int(p._nact[i]):p.indptr[i + 1]] == -1).all()
        if p.plastic:
            empty = group._slot_e != e
            assert (p._pstate["col_syn"][:group.post.size * s_max][empty] ==
                    p._pstate["trash"]).all()
    assert sum(p.n_synapses for p in group.projections) == int((group._slot_e >= 0).sum())


def fl(conns):
    """spikesim FromList from (pre, post, weight, delay) rows."""
    a = np.array(conns, np.float64).reshape(-1, 4)
    return ss.FromList(a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2], a[:, 3]) if len(a) \
        else ss.FromList(np.zeros(0, int), np.zeros(0, int))


def assert_same(group, twin):
    assert snapshot(group) == twin.slots
    assert group._stats[0].tolist() == twin.stats
    assert int(group._count[0]) == twin.count


def small_net(partner, replace=True, delay=(1.0, 4.0), f_rew=5000.0, seed=3, p_form=0.6):
    net = ss.Network(dt=1.0, seed=seed, dtype="float64")
    src = net.add_population(30, ss.SpikeSourcePoisson(rate=40.0), label="src")
    tgt = net.add_population(36, ss.IF_curr_exp(), label="tgt")
    noise = net.add_population(10, ss.SpikeSourcePoisson(rate=40.0), label="noise")
    rng = np.random.default_rng(seed)
    conns = [(int(i), j, float(rng.choice([0.2, 0.8])), 1.0)
             for j in range(36) for i in rng.choice(30, 3, replace=False)]
    ff = net.connect(src, tgt, fl(conns))
    lat = net.connect(tgt, tgt, fl([]))
    net.connect(noise, tgt, ss.AllToAll(), weight=0.1)
    rule = ss.StructuralPlasticity(partner, ss.DistanceDependentFormation(
        grid=(6, 6), p_form_forward=p_form, sigma_form_forward=2.0, p_form_lateral=0.9,
        sigma_form_lateral=1.0), ss.RandomByWeightElimination(0.5, 0.3, 0.1), f_rew=f_rew,
        initial_weight=0.4, initial_delay=delay, s_max=6, with_replacement=replace)
    group = ss.add_rewiring(ff, rule)
    ss.add_rewiring(lat, rule)
    return net, group


# ---------------------------------------------------------------------------- twin
@pytest.mark.parametrize("replace, delay, f_rew", [(True, (1.0, 4.0), 5000.0),
                                                   (False, 2.0, 5000.0),
                                                   (True, 1.0, 300.0)])
def test_random_selection_matches_twin_through_network_runs(replace, delay, f_rew):
    net, group = small_net(ss.RandomSelection(), replace, delay, f_rew)
    twin = twin_of(group)
    net.run(300.0)
    net.run(200.0)
    for t in range(500):
        twin.step(t, [])
    assert_same(group, twin)
    assert group.stats["formed"] > 10 and group.stats["eliminated_depressed"] > 5
    check_invariants(group)


def test_two_groups_match_their_twins():
    """Two postsynaptic populations: two processes with their own rules, counters, slots."""
    net = ss.Network(dt=1.0, seed=9, dtype="float64")
    src = net.add_population(25, ss.SpikeSourcePoisson(rate=30.0), label="src")
    ta = net.add_population(25, ss.IF_curr_exp(), label="a")
    tb = net.add_population(16, ss.IF_curr_exp(), label="b")
    pa = net.connect(src, ta, ss.FixedNumberPre(2), weight=0.3)
    pb = net.connect(src, tb, ss.FixedNumberPre(3), weight=0.7)
    net.connect(ta, tb, ss.AllToAll(), weight=0.05)
    ga = ss.add_rewiring(pa, _rule(formation=ss.DistanceDependentFormation((5, 5), 0.7, 1.5),
                                   elimination=ss.RandomByWeightElimination(0.5, 0.2, 0.05),
                                   f_rew=4000.0, s_max=5, initial_weight=0.2))
    gb = ss.add_rewiring(pb, _rule(formation=ss.DistanceDependentFormation((4, 4), 0.9, 1.0),
                                   elimination=ss.RandomByWeightElimination(0.5, 0.2, 0.1),
                                   f_rew=500.0, s_max=7, initial_weight=0.6,
                                   initial_delay=(1.0, 3.0), with_replacement=False))
    twins = [twin_of(ga), twin_of(gb)]
    net.run(400.0)
    for t in range(400):
        for tw in twins:
            tw.step(t, [])
    for g, tw in zip((ga, gb), twins):
        assert_same(g, tw)
        check_invariants(g)
        assert g.stats["formed"] > 0
    assert ga.stats["attempts"] == 1600 and gb.stats["attempts"] == 200


@pytest.mark.parametrize("replace, buf", [(True, 64), (False, 3)])
def test_last_neuron_selection_matches_twin_on_given_spikes(replace, buf):
    net, group = small_net(ss.LastNeuronSelection(buf), replace)
    rt = net._runtime
    rt._build()
    rw = rt.rw
    twin = twin_of(group)
    rng = np.random.default_rng(7)
    n = net.n_neurons
    for t in range(800):
        spikes = rng.permutation(n)[:rng.integers(0, 12)].astype(np.int64)
        KR.rewire_step(t, rw, spikes, spikes.shape[0], rt.cut, rt.post, rt.weight, rt.delay,
                       rt.pj_syn, rt.pj_w, rt.pj_d, rt.weight, rt.weight,
                       rw.slot_e, rw.slot_e)
        twin.step(t, spikes.tolist())
    assert_same(group, twin)
    st = group.stats
    assert st["no_partner"] > 0 and st["formed"] > 10
    if not replace:
        assert st["pair_exists"] > 0
    check_invariants(group)


def test_draws_match_twin():
    for seed, c, q in [(0, 0, 0), (2 ** 63 + 5, 123456789, 4), (12345, 2 ** 40, 5)]:
        assert int(KR.draw(np.uint64(seed), c, q)) == REF.draw(seed, c, q)
    for r, n in [(2 ** 32 - 1, 65535), (12345, 7), (2 ** 31, 1)]:
        assert int(KR.rand_int(np.uint64(r), n)) == REF.rand_int(r, n)
    f = ss.DistanceDependentFormation(grid=(16, 16))
    assert f.table(False).tolist() == REF.formation_table(0.16, 2.5, (16, 16))
    assert f.table(True).tolist() == REF.formation_table(1.0, 1.0, (16, 16))


def test_run_split_is_bit_identical_and_stdp_storage_stays_consistent():
    def build():
        net = ss.Network(dt=1.0, seed=5)
        src = net.add_population(64, ss.SpikeSourcePoisson(rate=30.0), label="src")
        tgt = net.add_population(64, ss.IF_curr_exp(i_offset=0.5), label="tgt")
        stdp = ss.STDP(ss.SpikePairRule(20, 20, 0.02, 0.024), ss.AdditiveWeightDependence(0.0, 1.0))
        ff = net.connect(src, tgt, ss.FixedNumberPre(4), weight=0.5, delay=1.0, synapse=stdp)
        lat = net.connect(tgt, tgt, ss.FixedNumberPre(2), weight=0.5, delay=2.0, synapse=stdp)
        rule = ss.StructuralPlasticity(ss.LastNeuronSelection(), ss.DistanceDependentFormation(
            grid=(8, 8)), ss.RandomByWeightElimination(0.45, 0.2, 0.01), f_rew=2000.0,
            initial_weight=0.3, initial_delay=(1.0, 5.0), s_max=10)
        g = ss.add_rewiring(ff, rule)
        ss.add_rewiring(lat, rule)
        return net, g, ff, lat
    a, ga, ffa, lata = build()
    a.run(1500.0)
    b, gb, ffb, latb = build()
    b.run(700.0)
    b.run(800.0)
    for pa, pb in ((ffa, ffb), (lata, latb)):
        assert np.array_equal(np.column_stack(pa.connections()), np.column_stack(pb.connections()))
        assert np.array_equal(pa.weight, pb.weight) and np.array_equal(pa.delay, pb.delay)
    assert ga.stats == gb.stats
    st = ga.stats
    assert st["formed"] > 20 and st["eliminated_depressed"] > 5
    w = ffa.weight
    assert (w >= 0).all() and (w <= 1.0).all() and len(np.unique(w)) > 10  # STDP acts
    assert set(np.unique(ffa.delay)) <= {1, 2, 3, 4} and set(np.unique(lata.delay)) > {2}
    check_invariants(ga)
    pre, post = ffa.connections()
    lpre, lpost = lata.connections()
    assert np.bincount(np.concatenate([post, lpost]), minlength=64).max() <= 10


# ---------------------------------------------------------------------------- schedule
def test_schedule_is_sPyNNakers():
    assert rewiring_schedule(1e4, 1.0) == (10, 0)
    assert rewiring_schedule(1e4, 0.1) == (0, 1)
    assert rewiring_schedule(3000.0, 0.5) == (1, 0)    # 1.5 truncated
    assert rewiring_schedule(3000.0, 0.1) == (0, 3)    # 3.33 truncated
    assert rewiring_schedule(100.0, 1.0) == (0, 10)
    net, group = small_net(ss.RandomSelection(), f_rew=300.0)
    net.run(100.0)
    assert group.stats["attempts"] == 100 // 3


# ---------------------------------------------------------------------------- statistics
def _binomial_z(k, n, q):
    return (k - n * q) / np.sqrt(np.maximum(n * q * (1 - q), 1e-12))


def test_formation_probability_matches_formula():
    """Every formation trial picks (entry, pre, post) uniformly; formed synapses at squared
    distance d2 ~ Binomial(trials, 1/2 * frac(d2) * p exp(-d2 / (2 sigma^2)))."""
    n = 8
    net = ss.Network(dt=1.0, seed=11)
    src = net.add_population(n * n, ss.SpikeSourceArray(spike_times=[[] for _ in range(n * n)]),
                             label="src")
    tgt = net.add_population(n * n, ss.IF_curr_exp(), label="tgt")
    ff = net.connect(src, tgt, fl([]))
    lat = net.connect(tgt, tgt, fl([]))
    form = ss.DistanceDependentFormation(grid=(n, n), p_form_forward=0.5, sigma_form_forward=1.5,
                                         p_form_lateral=0.8, sigma_form_lateral=1.0)
    rule = ss.StructuralPlasticity(ss.RandomSelection(), form,
                                   ss.RandomByWeightElimination(0.0, 0.0, 0.0), f_rew=1e5,
                                   initial_weight=0.1, s_max=1024)
    g = ss.add_rewiring(ff, rule)
    ss.add_rewiring(lat, rule)
    net.run(2000.0)
    st = g.stats
    trials = st["formation_trials"]
    assert st["attempts"] == 200_000 and st["row_full"] == 0 and trials > 150_000
    assert st["eliminated_depressed"] + st["eliminated_potentiated"] == 0
    ids = np.arange(n * n)
    d2_all = np.array([[KR.formation_d2(i, j, n, n) for j in ids] for i in ids])
    frac = np.bincount(d2_all.ravel()) / d2_all.size
    for proj, p, sigma in ((ff, 0.5, 1.5), (lat, 0.8, 1.0)):
        pre, post = proj.connections()
        counts = np.bincount(d2_all[pre, post], minlength=frac.shape[0])
        q = 0.5 * frac * p * np.exp(-np.arange(frac.shape[0]) / (2 * sigma ** 2))
        z = _binomial_z(counts, trials, q)
        assert np.abs(z[frac > 0]).max() < 5, (z, counts, trials * q)
        assert counts.sum() > 5000


def test_elimination_probabilities_match_formula():
    """Full slots, no formation: a synapse with |w| below the threshold survives each
    attempt with probability 1 - p_dep / n_slots, one above with 1 - p_pot / n_slots."""
    n = 8
    s_max = 16
    net = ss.Network(dt=1.0, seed=12)
    src = net.add_population(64, ss.SpikeSourceArray(spike_times=[[] for _ in range(64)]),
                             label="src")
    tgt = net.add_population(n * n, ss.IF_curr_exp(), label="tgt")
    rng = np.random.default_rng(1)
    conns = [(int(i), j, 0.2 if k % 2 else 0.8, 1.0)
             for j in range(n * n) for k, i in enumerate(rng.choice(64, s_max, replace=False))]
    ff = net.connect(src, tgt, fl(conns))
    p_dep, p_pot = 0.3, 0.05
    rule = ss.StructuralPlasticity(ss.RandomSelection(), ss.DistanceDependentFormation(
        grid=(n, n), p_form_forward=0.0), ss.RandomByWeightElimination(0.5, p_dep, p_pot),
        f_rew=1e4, s_max=s_max)
    g = ss.add_rewiring(ff, rule)
    net.run(1000.0)
    st = g.stats
    attempts = st["attempts"]
    assert attempts == 10_000 and st["formed"] == 0
    slots = n * n * s_max
    w = ff.weight
    for thr_side, p, n0 in ((w < 0.5, p_dep, slots // 2), (w >= 0.5, p_pot, slots // 2)):
        q = (1 - p / slots) ** attempts
        z = _binomial_z(int(thr_side.sum()), n0, q)
        assert abs(z) < 5, (int(thr_side.sum()), n0 * q)
    # and per trial, with the 32-bit quantisation of sPyNNaker
    for trials, k, p in ((st["elimination_trials_depressed"], st["eliminated_depressed"], p_dep),
                         (st["elimination_trials_potentiated"], st["eliminated_potentiated"],
                          p_pot)):
        q = ss.RandomByWeightElimination.probability(p)
        assert abs(q - p) < 1e-9
        assert abs(_binomial_z(k, trials, q)) < 5


# ---------------------------------------------------------------------------- sPyNNaker scripts
def test_spynnaker_script_static_elimination_and_formation():
    import spikesim.pynn.spynnaker as sim

    sim.setup(timestep=1.0)
    stim = sim.Population(9, sim.SpikeSourceArray(spike_times=[[i * 10.0] for i in range(9)]),
                          label="stim")
    pop = sim.Population(9, sim.IF_curr_exp(), label="pop")
    # elimination with random selection, formation probability 0: everything goes
    proj = sim.Projection(stim, pop, sim.AllToAllConnector(), sim.StructuralMechanismStatic(
        partner_selection=sim.RandomSelection(),
        formation=sim.DistanceDependentFormation([3, 3], 0.0),
        elimination=sim.RandomByWeightElimination(4.0, 1.0, 1.0),
        f_rew=1000, initial_weight=4.0, initial_delay=3.0, s_max=9, seed=0, weight=0.0,
        delay=1.0))
    assert len(proj.get(["weight", "delay"], "list")) == 81
    sim.run(1000)
    assert list(proj.get(["weight", "delay"], "list")) == []
    sim.end()

    sim.setup(timestep=1.0)
    stim = sim.Population(4, sim.SpikeSourceArray(spike_times=[list(range(0, 1000, 5))] * 4),
                          label="stim")
    pop = sim.Population(4, sim.IF_curr_exp(), label="pop")
    # formation with last-neuron selection, no elimination, no replacement: all to all
    proj = sim.Projection(stim, pop, sim.FromListConnector([]), sim.StructuralMechanismStatic(
        partner_selection=sim.LastNeuronSelection(),
        formation=sim.DistanceDependentFormation([2, 2], 1.0),
        elimination=sim.RandomByWeightElimination(4.0, 0, 0),
        f_rew=1000, initial_weight=4.0, initial_delay=3.0, s_max=4, seed=0, weight=0.0,
        delay=1.0, with_replacement=False))
    sim.run(1000)
    conns = sorted(proj.get(["weight", "delay"], "list"))
    assert [(int(i), int(j)) for i, j, _, _ in conns] == [(i, j) for i in range(4)
                                                            for j in range(4)]
    assert all(w == 4.0 and d == 3.0 for _, _, w, d in conns)
    assert np.array_equal(proj.get("weight", "array"), np.full((4, 4), 4.0))
    sim.end()


def test_spynnaker_script_stdp_inhibitory_magnitudes():
    import spikesim.pynn.spynnaker as sim

    sim.setup(timestep=1.0)
    rng = np.random.default_rng(3)
    times = [sorted(set(np.round(rng.uniform(1, 2000, 60)).tolist())) for _ in range(16)]
    pre = sim.Population(16, sim.SpikeSourceArray(spike_times=times), label="pre")
    post = sim.Population(16, sim.IF_curr_exp(i_offset=1.0), label="post")
    stdp = sim.StructuralMechanismSTDP(
        partner_selection=sim.LastNeuronSelection(),
        formation=sim.DistanceDependentFormation([4, 4], 1.0, 2.0),
        elimination=sim.RandomByWeightElimination(0.5, 0.2, 0.02),
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.05,
                                            A_minus=0.06),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
        f_rew=2000, initial_weight=0.6, initial_delay=1.0, s_max=8, weight=0.6, delay=1.0)
    proj = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(1)),
                          stdp, receptor_type="inhibitory")
    n0 = len(proj)
    sim.run(2000)
    conns = np.array(proj.get(["weight", "delay"], "list"))
    ssproj = proj._parts[0]
    assert len(conns) == ssproj.n_synapses and len(conns) != n0
    assert (conns[:, 2] >= 0).all() and (conns[:, 2] <= 1.0).all()   # magnitudes
    assert (ssproj.weight <= 0).all()                                 # stored inhibitory
    assert len(np.unique(conns[:, 2])) > 5                            # STDP changed them
    st = ssproj.rewiring.stats
    assert st["formed"] > 0 and st["eliminated_depressed"] + st["eliminated_potentiated"] > 0
    arr = proj.get("weight", "array")
    assert np.isfinite(arr).sum() == len({(int(a), int(b)) for a, b in conns[:, :2]})
    check_invariants(ssproj.rewiring)
    sim.end()


# ---------------------------------------------------------------------------- topographic map
def test_reduced_topographic_map_receptive_fields_shrink():
    spec = importlib.util.spec_from_file_location("topographic_map",
                                                  ROOT / "benchmarks" / "topographic_map.py")
    tm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tm)
    for case in ("rewiring", "stdp"):  # the paper's two cases, 8 of its 300 s
        r = tm.run(n=16, duration_s=8.0, case=case, seed=2, samples=4)
        ad = np.array(r["ad"])
        assert 5.0 < ad[0] < 7.0  # random initial connectivity: about the mean torus distance
        assert (np.diff(ad) < 0).all() and ad[-1] < ad[0] - 0.6, (case, ad)
        assert r["n_ff"][-1] > r["n_ff"][0] and r["n_lat"][-1] > 0
        assert r["rewiring_stats"]["attempts"] == 80_000  # 10 kHz at dt = 1 ms
        assert 1.0 < r["target_rate_hz"] < 100.0


# ---------------------------------------------------------------------------- refusals
def _rule(**kw):
    args = dict(partner_selection=ss.RandomSelection(), formation=ss.DistanceDependentFormation(),
                elimination=ss.RandomByWeightElimination(0.5))
    args.update(kw)
    return ss.StructuralPlasticity(**args)


@pytest.mark.parametrize("kw, exc, text", [
    (dict(f_rew=0.0), ValueError, "f_rew"),
    (dict(f_rew=float("nan")), ValueError, "f_rew"),
    (dict(s_max=0), ValueError, "s_max"),
    (dict(initial_delay=(5.0, 1.0)), ValueError, "initial_delay"),
    (dict(initial_delay=-1.0), ValueError, "initial_delay"),
    (dict(initial_weight="a"), ValueError, "initial_weight"),
    (dict(with_replacement=2), ValueError, "with_replacement"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(partner_selection="random"), NotImplementedError, "partner_selection"),
    (dict(formation=None), NotImplementedError, "formation"),
])
def test_bad_rule_is_refused_by_name(kw, exc, text):
    with pytest.raises(exc, match=text):
        _rule(**kw)


@pytest.mark.parametrize("make, text", [
    (lambda: ss.DistanceDependentFormation(grid=(0, 4)), "grid"),
    (lambda: ss.DistanceDependentFormation(p_form_forward=1.5), "p_form_forward"),
    (lambda: ss.DistanceDependentFormation(sigma_form_lateral=0.0), "sigma_form_lateral"),
    (lambda: ss.RandomByWeightElimination(-1.0), "threshold"),
    (lambda: ss.RandomByWeightElimination(0.5, prob_elim_potentiated=2.0), "prob_elim_potentiated"),
    (lambda: ss.LastNeuronSelection(0), "spike_buffer_size"),
])
def test_bad_rule_parts_are_refused_by_name(make, text):
    with pytest.raises((ValueError, TypeError), match=text):
        make()


def test_bad_structural_projections_are_refused():
    net = ss.Network(dt=1.0, seed=1)
    a = net.add_population(8, ss.SpikeSourcePoisson(rate=10.0), label="a")
    b = net.add_population(4, ss.IF_curr_exp(), label="b")
    c = net.add_population(4, ss.IF_curr_exp(), label="c")
    full = net.connect(a, b, ss.AllToAll(), weight=0.1)
    with pytest.raises(ValueError, match="s_max"):
        ss.add_rewiring(full, _rule(s_max=4))
    assert not isinstance(full, ss.rewiring.StructuralProjection)
    p1 = net.connect(a, c, fl([]))
    p2 = net.connect(c, c, fl([]))
    p3 = net.connect(a, c, fl([]))
    ss.add_rewiring(p1, _rule())
    with pytest.raises(ValueError, match="share"):
        ss.add_rewiring(p2, _rule(f_rew=10.0))
    with pytest.raises(ValueError, match="only one projection"):
        ss.add_rewiring(p3, _rule())
    with pytest.raises(ValueError, match="already structural"):
        ss.add_rewiring(p1, _rule())
    tm = net.connect(a, b, fl([]), synapse=ss.TsodyksMarkram())
    with pytest.raises(NotImplementedError, match="synapse dynamic"):
        ss.add_rewiring(tm, _rule())
    stdp = ss.STDP(ss.SpikePairRule(), ss.AdditiveWeightDependence(0.0, 0.5))
    pl = net.connect(a, b, fl([]), synapse=stdp)
    with pytest.raises(ValueError, match="initial_weight"):
        ss.add_rewiring(pl, _rule(initial_weight=0.9))
    inh = net.connect(c, b, fl([]), receptor_type="inhibitory")
    with pytest.raises(ValueError, match="initial_weight"):
        ss.add_rewiring(inh, _rule(initial_weight=0.5))
    ss.add_rewiring(pl, _rule(initial_weight=0.2))
    with pytest.raises(NotImplementedError, match="mask"):
        pl.modulate(potentiation_mask=np.ones(0))
    net.record_weights(pl)
    with pytest.raises(NotImplementedError, match="record_weights"):
        net.run(1.0)
    net.weight_recorders.clear()
    net.run(5.0)
    with pytest.raises(NotImplementedError, match="rewires"):
        net.save("/tmp/never_written.h5")
    from spikesim.export import ExportError, to_pynn_script

    with pytest.raises(ExportError, match="rewir"):
        to_pynn_script(net)


def test_pynn_refusals_by_name():
    import spikesim.pynn as plain
    import spikesim.pynn.spynnaker as sim
    from pyNN.errors import InvalidParameterValueError

    with pytest.raises(InvalidParameterValueError, match="grid"):
        sim.DistanceDependentFormation(grid=[0, 3])
    with pytest.raises(InvalidParameterValueError, match="prob_elim_depressed"):
        sim.RandomByWeightElimination(0.5, 1.5)
    with pytest.raises(InvalidParameterValueError, match="s_max"):
        sim.StructuralMechanismStatic(sim.RandomSelection(), sim.DistanceDependentFormation(),
                                      sim.RandomByWeightElimination(0.5), s_max=0)
    with pytest.raises(NotImplementedError, match="random_partner"):
        sim.StructuralMechanismStatic(sim.RandomSelection(), sim.DistanceDependentFormation(),
                                      sim.RandomByWeightElimination(0.5), random_partner=True)
    with pytest.raises(NotImplementedError, match="stdp_model"):
        sim.StructuralMechanismSTDP(sim.RandomSelection(), sim.DistanceDependentFormation(),
                                    sim.RandomByWeightElimination(0.5), stdp_model=None)
    with pytest.raises(NotImplementedError, match="backprop_delay"):
        sim.StructuralMechanismSTDP(
            sim.RandomSelection(), sim.DistanceDependentFormation(),
            sim.RandomByWeightElimination(0.5), sim.SpikePairRule(),
            sim.AdditiveWeightDependence(), backprop_delay=False)
    sim.setup(timestep=1.0)
    a = sim.Population(4, sim.SpikeSourcePoisson(rate=10.0))
    b = sim.Population(4, sim.IF_curr_exp())
    syn = sim.StructuralMechanismStatic(sim.RandomSelection(), sim.DistanceDependentFormation(),
                                        sim.RandomByWeightElimination(0.5), s_max=4)
    with pytest.raises(NotImplementedError, match="needs spikesim.pynn.spynnaker"):
        plain.Projection(a, b, sim.AllToAllConnector(), syn)
    with pytest.raises(NotImplementedError, match="PopulationView"):
        sim.Projection(a[0:2], b, sim.AllToAllConnector(), syn)
    proj = sim.Projection(a, b, sim.AllToAllConnector(), syn)
    with pytest.raises(NotImplementedError, match="delays"):
        proj.set(delay=2.0)
    proj.set(weight=0.3)
    assert np.allclose(np.array(proj.get("weight", "list"))[:, 2], 0.3)
    sim.end()
