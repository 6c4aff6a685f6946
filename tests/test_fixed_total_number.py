"""FixedTotalNumber and the large-projection paths of the connectors: statistics against the
definitions, memory refusal, chunked weights/delays, and the new kernels against their twins."""
import numpy as np
import pytest
from scipy import stats

import spikesim as ss
from spikesim import connectors as C
from spikesim.kernels import connectivity as KC

from .reference import connectivity_ref


def _pops(n_pre=300, n_post=200, seed=0):
    net = ss.Network(dt=0.1, seed=seed)
    return net, net.add_population(n_pre, ss.IF_curr_exp()), net.add_population(n_post, ss.IF_curr_exp())


def test_total_number_with_replacement_is_uniform_over_pairs():
    net, a, b = _pops()
    n = 60000
    pre, post = net.connect(a, b, ss.FixedTotalNumber(n, with_replacement=True)).connections()
    assert len(pre) == n
    # sources and targets are independent uniform draws: chi-square on each marginal
    for idx, k in ((pre, 300), (post, 200)):
        counts = np.bincount(idx, minlength=k)
        assert stats.chisquare(counts).pvalue > 1e-3
    # out-degrees are Multinomial(n, 1/n_pre): binomial variance
    deg = np.bincount(pre, minlength=300)
    assert deg.var() == pytest.approx(n / 300 * (1 - 1 / 300), rel=0.2)
    # multapses occur as often as drawing with replacement says: expected distinct pairs
    distinct = len(set(zip(pre.tolist(), post.tolist())))
    m = 300 * 200
    expected = m * (1 - (1 - 1 / m) ** n)
    assert distinct == pytest.approx(expected, rel=0.01)
    assert distinct < n


def test_total_number_without_replacement_is_distinct_and_exact():
    net, a, b = _pops()
    pre, post = net.connect(a, b, ss.FixedTotalNumber(30000)).connections()
    assert len(pre) == 30000 == len(set(zip(pre.tolist(), post.tolist())))
    # out-degrees: hypergeometric marginal, mean 100, variance n p (1-p) (N-n)/(N-1) ~ 100*(2/3)*..
    deg = np.bincount(pre, minlength=300)
    assert deg.mean() == 100
    N = 300 * 200
    var = 30000 * (1 / 300) * (1 - 1 / 300) * (N - 30000) / (N - 1)
    assert deg.var() == pytest.approx(var, rel=0.25)
    with pytest.raises(ValueError, match="FixedTotalNumber.n=60001 exceeds the 60000 distinct"):
        net.connect(a, b, ss.FixedTotalNumber(60001))


@pytest.mark.parametrize("replace", [True, False])
def test_total_number_without_autapses(replace):
    net, a, _ = _pops(100, 10)
    pre, post = net.connect(a, a, ss.FixedTotalNumber(5000, allow_self=False,
                                                     with_replacement=replace)).connections()
    assert len(pre) == 5000 and not np.any(pre == post)
    # targets of a row are uniform over the other 99 neurons
    counts = np.bincount((post - (post > pre)) , minlength=99)
    assert stats.chisquare(counts[:99]).pvalue > 1e-3


def test_total_number_rows_sorted_same_seed_identical_and_zero():
    def build(seed):
        net, a, b = _pops(seed=seed)
        return net.connect(a, b, ss.FixedTotalNumber(5000, with_replacement=True))
    p1, p2, p3 = build(3), build(3), build(4)
    np.testing.assert_array_equal(p1.post, p2.post)
    np.testing.assert_array_equal(p1.indptr, p2.indptr)
    assert not np.array_equal(p1.post, p3.post)
    assert KC.rows_sorted(p1.indptr, p1.post)
    net, a, b = _pops()
    assert net.connect(a, b, ss.FixedTotalNumber(0)).n_synapses == 0


@pytest.mark.parametrize("bad, exc, msg", [
    (dict(n=-1), ValueError, "FixedTotalNumber.n"),
    (dict(n=1.5), (TypeError, ValueError), "FixedTotalNumber.n"),
    (dict(n=3, with_replacement="yes"), TypeError, "FixedTotalNumber.with_replacement"),
    (dict(n=3, allow_self=None), TypeError, "FixedTotalNumber.allow_self"),
])
def test_total_number_bad_arguments(bad, exc, msg):
    with pytest.raises(exc, match=msg):
        ss.FixedTotalNumber(**bad)


@pytest.mark.parametrize("connector", [
    ss.FixedTotalNumber(10 ** 13, with_replacement=True), ss.FixedNumberPost(10 ** 9),
    ss.FixedProbability(1.0), ss.AllToAll()])
def test_memory_refusal_names_the_estimate_before_allocating(connector, monkeypatch):
    monkeypatch.setattr(C, "available_memory", lambda: 10 ** 6)  # a 1 MB machine
    net = ss.Network(dt=0.1, seed=0)
    a = net.add_population(2000, ss.IF_curr_exp())
    b = net.add_population(2000, ss.IF_curr_exp())
    if isinstance(connector, ss.FixedNumberPost):
        connector = ss.FixedNumberPost(1000)
    state = net.rng.bit_generator.state
    with pytest.raises(MemoryError, match=r"would make .* synapses, about .* bytes .* only 1000000 bytes"):
        net.connect(a, b, connector)
    assert net.rng.bit_generator.state == state and not net.projections


def test_memory_refusal_on_this_machine():
    net, a, b = _pops()
    with pytest.raises(MemoryError, match="FixedTotalNumber would make 1e\\+13 synapses, about 1.4e\\+14 bytes"):
        net.connect(a, b, ss.FixedTotalNumber(10 ** 13, with_replacement=True))


def test_large_projection_draws_weights_and_delays_in_chunks(monkeypatch):
    monkeypatch.setattr(C, "CHUNK", 1000)  # so a small projection takes the chunked path
    import spikesim.network as N
    monkeypatch.setattr(N, "CHUNK", 1000)
    net, a, b = _pops(seed=5)
    wd = ss.RandomDistribution("normal_clipped", mu=0.2, sigma=0.02, low=0.0, high=1.0)
    dd = ss.RandomDistribution("normal_clipped", mu=1.5, sigma=0.75, low=0.05, high=100.0)
    p = net.connect(a, b, ss.FixedTotalNumber(25000, with_replacement=True), weight=wd, delay=dd)
    assert p._weight.dtype == np.float32 and p._delay.dtype == np.uint16 and p.nbytes <= 10 * 25000 + 8 * 301
    w, d = p.weight.astype(np.float64), p.get_delays()
    assert w.min() >= 0 and w.mean() == pytest.approx(0.2, rel=0.01)
    assert d.min() >= 0.1 and d.mean() == pytest.approx(1.5, rel=0.03)
    # each chunk is checked: an inhibitory-sign violation is still refused
    with pytest.raises(ValueError, match="weight must be >= 0 for excitatory"):
        net.connect(a, b, ss.FixedTotalNumber(5000, with_replacement=True),
                    weight=ss.RandomDistribution("normal", mu=0.0, sigma=1.0))


def test_fixed_number_pre_unchanged_by_transpose_kernel():
    # the realisation is the one the pair sort gave: in-degree exact, rows sorted, distinct
    net, a, b = _pops(seed=2)
    p = net.connect(a, b, ss.FixedNumberPre(30))
    pre, post = p.connections()
    assert np.all(np.bincount(post, minlength=200) == 30)
    assert KC.rows_sorted(p.indptr, p.post)
    assert len(set(zip(pre.tolist(), post.tolist()))) == len(pre)


def test_new_connectivity_kernels_match_twins():
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 9, 40)
    ip = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cols = rng.integers(0, 25, ip[-1]).astype(np.int32)
    a, b = KC.csr_transpose(ip, cols, 25), connectivity_ref.csr_transpose(ip, cols, 25)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c1, c2 = cols.copy() % 39, cols.copy() % 39
    KC.skip_own_index(ip, c1)
    connectivity_ref.skip_own_index(ip, c2)
    np.testing.assert_array_equal(c1, c2)
    rows = np.repeat(np.arange(40), counts)
    assert not np.any(c1 == rows)
