"""Connectors: the connections they make have the promised structure and statistics."""
import numpy as np
import pytest

import spikesim as ss


def two_pops(n_pre=200, n_post=150, seed=0, positions=False):
    net = ss.Network(dt=0.1, seed=seed)
    pos = ss.grid_positions((10, 10, 2)) if positions else None
    a = net.add_population(n_pre, ss.IF_curr_exp(), positions=pos if n_pre == 200 else None)
    b = net.add_population(n_post, ss.IF_curr_exp(),
                           positions=ss.grid_positions((15, 10, 1)) if positions else None)
    return net, a, b


def test_all_to_all_with_and_without_self():
    net, a, b = two_pops(20, 30)
    pre, post = net.connect(a, b, ss.AllToAll()).connections()
    assert len(pre) == 600 and len(set(zip(pre, post))) == 600
    pre, post = net.connect(a, a, ss.AllToAll(allow_self=False)).connections()
    assert len(pre) == 380 and np.all(pre != post)


def test_one_to_one():
    net, a, _ = two_pops(20, 30)
    c = net.add_population(20, ss.IF_curr_exp())
    pre, post = net.connect(a, c, ss.OneToOne()).connections()
    np.testing.assert_array_equal(pre, np.arange(20))
    np.testing.assert_array_equal(post, np.arange(20))


def test_fixed_probability_statistics_and_no_multapses():
    net, a, b = two_pops(400, 300)
    p = 0.05
    pre, post = net.connect(a, b, ss.FixedProbability(p)).connections()
    n = len(pre)
    expected, sd = 400 * 300 * p, np.sqrt(400 * 300 * p * (1 - p))
    assert abs(n - expected) < 5 * sd
    assert len(set(zip(pre, post))) == n
    # out-degrees are binomial: variance close to n p (1-p)
    deg = np.bincount(pre, minlength=400)
    assert deg.var() == pytest.approx(300 * p * (1 - p), rel=0.25)
    # targets are uniform over the post population
    hist = np.bincount(post, minlength=300)
    assert hist.min() > 0.3 * hist.mean()


def test_fixed_probability_no_self():
    net, a, _ = two_pops()
    pre, post = net.connect(a, a, ss.FixedProbability(0.5, allow_self=False)).connections()
    assert np.all(pre != post) and len(set(zip(pre, post))) == len(pre)


@pytest.mark.parametrize("allow_self", [True, False])
def test_fixed_number_post_and_pre(allow_self):
    net, a, _ = two_pops()
    pre, post = net.connect(a, a, ss.FixedNumberPost(17, allow_self=allow_self)).connections()
    assert np.all(np.bincount(pre, minlength=200) == 17)
    assert len(set(zip(pre, post))) == len(pre)
    if not allow_self:
        assert np.all(pre != post)
    pre, post = net.connect(a, a, ss.FixedNumberPre(9, allow_self=allow_self)).connections()
    assert np.all(np.bincount(post, minlength=200) == 9)
    assert len(set(zip(pre, post))) == len(pre)
    if not allow_self:
        assert np.all(pre != post)


def test_from_list_keeps_per_connection_weights_and_delays():
    net, a, b = two_pops(5, 5)
    pre = [4, 0, 2, 0]
    post = [1, 3, 2, 1]
    w = [0.4, 0.1, 0.2, 0.3]
    d = [0.1, 0.5, 1.0, 2.0]
    proj = net.connect(a, b, ss.FromList(pre, post, weight=w, delay=d))
    rows = {(int(i), int(j)): (wt, dl) for (i, j), wt, dl in
            zip(zip(*proj.connections()), proj.weight, proj.get_delays())}
    for i, j, wt, dl in zip(pre, post, w, d):
        assert rows[i, j][0] == pytest.approx(wt) and rows[i, j][1] == pytest.approx(dl)


def test_distance_dependent_probability_follows_the_rule():
    net, a, b = two_pops(positions=True)
    C, lam = 0.8, 2.0
    pre, post = net.connect(a, b, ss.DistanceDependent(C=C, lambda_=lam)).connections()
    d_all = np.linalg.norm(a.positions[:, None] - b.positions[None], axis=-1)
    p_all = C * np.exp(-(d_all / lam) ** 2)
    assert len(pre) == pytest.approx(p_all.sum(), rel=0.05)
    d = np.linalg.norm(a.positions[pre] - b.positions[post], axis=1)
    # empirical connection probability in distance bins matches p(d)
    for lo, hi in [(0, 1.1), (1.9, 2.1), (2.9, 3.2)]:
        sel = (d_all >= lo) & (d_all < hi)
        hit = ((d >= lo) & (d < hi)).sum()
        assert hit / sel.sum() == pytest.approx(p_all[sel].mean(), abs=0.06)
    # a custom rule
    pre2, post2 = net.connect(a, b, ss.DistanceDependent(p_of_d=lambda d: (d < 1.5) * 1.0)).connections()
    d2 = np.linalg.norm(a.positions[pre2] - b.positions[post2], axis=1)
    assert np.all(d2 < 1.5) and len(pre2) == (d_all < 1.5).sum()


def test_grid_positions():
    pos = ss.grid_positions((3, 4, 5), spacing=2.0)
    assert pos.shape == (60, 3)
    assert pos.max(axis=0).tolist() == [4.0, 6.0, 8.0]


def test_weights_and_delays_from_distributions_use_the_network_generator():
    def build(seed):
        net, a, b = two_pops(seed=seed)
        return net.connect(a, b, ss.FixedProbability(0.1),
                           weight=ss.RandomDistribution("normal_clipped", mu=0.5, sigma=0.2, low=0.0, high=1.0),
                           delay=ss.RandomDistribution("uniform", low=0.5, high=3.0))
    p1, p2, p3 = build(1), build(1), build(2)
    np.testing.assert_array_equal(p1.weight, p2.weight)
    np.testing.assert_array_equal(p1.delay, p2.delay)
    assert not np.array_equal(p1.post, p3.post)
    assert p1.weight.min() >= 0 and p1.weight.max() <= 1
    assert p1.get_delays().min() >= 0.5 - 0.05 and p1.get_delays().max() <= 3.0 + 0.05
    assert p1.weight.std() == pytest.approx(0.2 * 0.88, rel=0.2)


def test_rows_are_sorted_by_target_for_every_connector():
    from spikesim.kernels.connectivity import rows_sorted
    net, a, b = two_pops(positions=True)
    rng = np.random.default_rng(0)
    for conn in (ss.AllToAll(), ss.FixedProbability(0.1), ss.FixedNumberPost(5),
                 ss.FixedNumberPre(5), ss.DistanceDependent(C=0.5, lambda_=2.0),
                 ss.FromList(rng.integers(0, 200, 500), rng.integers(0, 150, 500))):
        proj = net.connect(a, b, conn)
        assert rows_sorted(proj.indptr, proj.post), conn
