"""Tests for :mod:`spikesim.analysis` (NALSM branching factor).

Three kinds of check: tiny rasters whose answer is worked out by hand in the
test, agreement with a slow brute-force twin (written here from the
definition) on random rasters, and a simulated branching process with known
branching ratio ``m``, for which the measure must return ``m``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from spikesim.analysis import (branching_counts, branching_factor, branching_factor_over_time)


# --------------------------------------------------------------------------- brute-force twin


def brute_force(times, senders, pre, post, dt, wb=(-4.0, 0.0), wa=(1.0, 5.0), t_start=0.0,
                t_stop=None):
    """Loop-by-loop implementation of the definition (per-spike ratio, per-neuron mean, mean)."""
    steps = [int(round(t / dt)) for t in times]
    k0 = int(round(t_start / dt))
    k1 = max(steps) if t_stop is None else int(round(t_stop / dt))
    b0, b1 = (int(round(x / dt)) for x in wb)
    a0, a1 = (int(round(x / dt)) for x in wa)
    spikes = [(n, k) for n, k in zip(senders, steps) if k0 <= k <= k1]
    outs, ins = {}, {}
    for i, j in set(zip(pre, post)):
        outs.setdefault(i, set()).add(j)
        ins.setdefault(j, set()).add(i)
    per_neuron = {}
    for n, k in spikes:
        if k + min(a0, b0) < k0 or k + max(a1, b1) - 1 > k1:
            continue
        desc = sum(1 for m, q in spikes if m in outs.get(n, ()) and k + a0 <= q < k + a1)
        anc = sum(1 for m, q in spikes if m in ins.get(n, ()) and k + b0 <= q < k + b1)
        per_neuron.setdefault(n, []).append(desc / max(anc, 1))
    if not per_neuron:
        return math.nan
    return float(np.mean([np.mean(v) for v in per_neuron.values()]))


# --------------------------------------------------------------------------- hand-computed rasters


def test_chain():
    # 0 -> 1 -> 2 at 10, 12, 14 ms. Ratios: 0: D=1 (1@12), A=0 -> 1; 1: D=1, A=1 -> 1;
    # 2: no targets -> 0.  sigma = (1 + 1 + 0) / 3.
    c = branching_counts([10.0, 12.0, 14.0], [0, 1, 2], ([0, 1], [1, 2]), dt=1.0, t_stop=30.0)
    np.testing.assert_array_equal(c.descendants, [1, 1, 0])
    np.testing.assert_array_equal(c.ancestors, [0, 1, 1])
    assert branching_factor([10.0, 12.0, 14.0], [0, 1, 2], ([0, 1], [1, 2]),
                            dt=1.0, t_stop=30.0) == pytest.approx(2 / 3)


def test_window_edges_are_half_open():
    # 0 -> {1, 2, 3}; anchor 0@10. After-window [11, 15): 1@11 and 2@14 count,
    # 3@15 (just outside) and 1@10 (same step as the anchor) do not.
    times = [10.0, 10.0, 11.0, 14.0, 15.0]
    senders = [0, 1, 1, 2, 3]
    conn = ([0, 0, 0], [1, 2, 3])
    c = branching_counts(times, senders, conn, dt=1.0, t_stop=40.0)
    row = dict(zip(zip(c.senders.tolist(), c.times.tolist()), c.descendants.tolist()))
    assert row[(0, 10.0)] == 2
    # before-window [t-4, t): for anchor 1@11 its presynaptic 0 fired at 10 -> A = 1;
    # for 3@15, 0@10 is 5 ms earlier -> outside [11, 15) -> A = 0.
    anc = dict(zip(zip(c.senders.tolist(), c.times.tolist()), c.ancestors.tolist()))
    assert anc[(1, 11.0)] == 1 and anc[(2, 14.0)] == 1 and anc[(3, 15.0)] == 0 and anc[(1, 10.0)] == 0
    # sigma: neuron 0 -> 2; neurons 1, 2, 3 have no targets -> 0.  mean over 4 neurons = 0.5
    assert branching_factor(times, senders, conn, dt=1.0, t_stop=40.0) == pytest.approx(0.5)


def test_ancestors_divide():
    # {1, 2} -> 0 -> 3.  Anchor 0@10: ancestors in [6, 10): 1@7, 1@9, 2@6 -> 3 (2@5 outside);
    # descendants in [11, 15): 3@12, 3@13 -> 2.  Ratio 2/3.
    times = [5.0, 6.0, 7.0, 9.0, 10.0, 12.0, 13.0]
    senders = [2, 2, 1, 1, 0, 3, 3]
    conn = ([1, 2, 0], [0, 0, 3])
    c = branching_counts(times, senders, conn, dt=1.0, t_stop=30.0)
    k = int(np.flatnonzero(c.senders == 0)[0])
    assert (c.descendants[k], c.ancestors[k]) == (2, 3)
    assert c.ratios[k] == pytest.approx(2 / 3)
    # Neurons: 0 -> 2/3; 1 (two anchors, 1@7 and 1@9, D = 1 each: 0@10 is in [8,12) and [10,14)) -> 1;
    # 2: anchors 2@5 (D: 0@10 not in [6,10) -> 0) and 2@6 (0@10 in [7, 11) -> 1) -> mean 0.5;
    # 3: no targets -> 0.
    expected = np.mean([2 / 3, 1.0, 0.5, 0.0])
    assert branching_factor(times, senders, conn, dt=1.0, t_stop=30.0) == pytest.approx(expected)


def test_mean_of_neuron_means_not_pooled():
    # 0 -> 2 and 1 -> 2. Neuron 0 fires twice: ratios 0 and 2; neuron 1 once: ratio 4 (multi-spike
    # descendants need several targets: 1 -> {3,4,5,6}).
    conn = ([0, 1, 1, 1, 1], [2, 3, 4, 5, 6])
    times = [10.0, 30.0, 32.0, 33.0, 50.0, 51.0, 52.0, 53.0, 54.0]
    senders = [0, 0, 2, 2, 1, 3, 4, 5, 6]
    c = branching_counts(times, senders, conn, dt=1.0, t_stop=80.0)
    r = {(int(n), float(t)): float(x) for n, t, x in zip(c.senders, c.times, c.ratios)}
    assert r[(0, 10.0)] == 0 and r[(0, 30.0)] == 2 and r[(1, 50.0)] == 4
    # per neuron: 0 -> 1, 1 -> 4, 2..6 -> 0 (no targets): mean over 7 neurons = 5/7.
    assert branching_factor(times, senders, conn, dt=1.0, t_stop=80.0) == pytest.approx(5 / 7)


def test_no_spikes_is_nan():
    assert math.isnan(branching_factor([], [], ([0], [1]), dt=1.0))
    assert math.isnan(branching_factor(np.array([]), np.array([], int), ([], []), dt=0.1, t_stop=100.0))
    edges, sig = branching_factor_over_time([], [], ([0], [1]), dt=1.0, bin_ms=10.0, t_stop=30.0)
    assert edges.tolist() == [0.0, 10.0, 20.0, 30.0, 40.0] and np.isnan(sig).all()


def test_edge_anchors_are_excluded():
    # Windows must lie inside [t_start, t_stop]. With t_start=0, an anchor at 3 ms has its
    # before-window [-1, 3) sticking out; with t_stop=10 an anchor at 7 has [8, 12) sticking out.
    conn = ([0], [1])
    assert math.isnan(branching_factor([3.0, 7.0], [0, 1], conn, dt=1.0, t_stop=10.0))
    # t_stop defaults to the last spike: the last spike itself is never an anchor.
    c = branching_counts([4.0, 6.0], [0, 1], conn, dt=1.0)
    assert c.senders.tolist() == []
    c = branching_counts([4.0, 6.0], [0, 1], conn, dt=1.0, t_stop=10.0)
    assert c.senders.tolist() == [0, 1] and c.descendants.tolist() == [1, 0]
    # spikes outside [t_start, t_stop] are never anchors; 1@12 is (12 + 4 > 15)
    c = branching_counts([2.0, 10.0, 12.0], [0, 0, 1], conn, dt=1.0, t_start=5.0, t_stop=15.0)
    assert c.times.tolist() == [10.0] and c.descendants.tolist() == [1]
    c = branching_counts([10.0, 12.0, 13.0], [0, 1, 1], conn, dt=1.0, t_start=5.0, t_stop=14.0)
    assert c.descendants.tolist() == [2]


def test_repeated_pairs_count_once_and_projection_input():
    times, senders = [10.0, 12.0, 14.0], [0, 1, 2]
    a = branching_factor(times, senders, ([0, 1], [1, 2]), dt=1.0, t_stop=30.0)
    b = branching_factor(times, senders, ([0, 0, 1, 1, 1], [1, 1, 2, 2, 2]), dt=1.0, t_stop=30.0)
    assert a == b

    class CSR:  # duck-typed CSR by presynaptic neuron, like spikesim.Projection
        indptr = np.array([0, 1, 2, 2])
        post = np.array([1, 2], np.int32)

    assert branching_factor(times, senders, CSR(), dt=1.0, t_stop=30.0) == a


def test_spikesim_projection():
    import spikesim as ss

    net = ss.Network(dt=1.0, seed=3)
    pop = net.add_population(3, ss.LIF(), label="liquid")
    proj = net.connect(pop, pop, ss.FromList([0, 1], [1, 2]), weight=0.1)
    times, senders = [10.0, 12.0, 14.0], [0, 1, 2]
    assert branching_factor(times, senders, proj, dt=1.0, t_stop=30.0) == pytest.approx(2 / 3)
    other = net.add_population(3, ss.LIF(), label="other")
    cross = net.connect(pop, other, ss.OneToOne(), weight=0.1)
    with pytest.raises(ValueError, match="not recurrent"):
        branching_factor(times, senders, cross, dt=1.0)


def test_fine_dt_and_custom_windows():
    # Same chain at dt = 0.25: the answer depends on times in ms, not on dt.
    times = [10.0, 12.0, 14.0]
    conn = ([0, 1], [1, 2])
    assert branching_factor(times, [0, 1, 2], conn, dt=0.25, t_stop=30.0) == pytest.approx(2 / 3)
    # a descendant 0.25 ms after the anchor is outside [1, 5) but inside [0.25, 5)
    times = [10.0, 10.25]
    assert branching_factor(times, [0, 1], ([0], [1]), dt=0.25, t_stop=30.0) == 0.0
    assert branching_factor(times, [0, 1], ([0], [1]), dt=0.25, t_stop=30.0,
                            window_after=(0.25, 5.0)) == pytest.approx(0.5)


def test_over_time_bins():
    # chain twice: 10/12/14 ms (bin 0) and 60/62/65 ms (bin 1; 2@65 is 3 ms after 1@62 -> D=1 still)
    times = [10.0, 12.0, 14.0, 60.0, 62.0, 65.0, 66.0]
    senders = [0, 1, 2, 0, 1, 2, 1]
    conn = ([0, 1], [1, 2])
    edges, sig = branching_factor_over_time(times, senders, conn, dt=1.0, bin_ms=50.0, t_stop=99.0)
    assert edges.tolist() == [0.0, 50.0, 100.0]
    assert sig[0] == pytest.approx(2 / 3)
    # bin 1: 0@60 -> 1 (1@62); 1@62 -> D=1 (2@65), A=1 -> 1; 1@66 -> D=0, A=0 -> 0: neuron 1 mean 0.5;
    # 2@65 -> 0.  mean(1, 0.5, 0) = 0.5
    assert sig[1] == pytest.approx(0.5)
    # each bin equals branching_factor restricted to anchors in that bin
    for k in range(2):
        c = branching_counts(times, senders, conn, dt=1.0, t_stop=99.0)
        sel = (c.times >= edges[k]) & (c.times < edges[k + 1])
        per = [c.ratios[sel & (c.senders == n)].mean() for n in np.unique(c.senders[sel])]
        assert sig[k] == pytest.approx(np.mean(per))


# --------------------------------------------------------------------------- brute-force comparison


@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force_on_random_rasters(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 15))
    dt = [1.0, 0.5, 0.1][seed % 3]
    n_steps = int(rng.integers(50, 200))
    p = rng.uniform(0.02, 0.2)
    raster = rng.random((n, n_steps)) < p
    senders, steps = np.nonzero(raster)
    times = steps * dt
    m = int(rng.integers(0, 3 * n))
    pre, post = rng.integers(0, n, m), rng.integers(0, n, m)  # may repeat pairs, self-loops
    if seed % 2:
        wb, wa = (-4.0, 0.0), (1.0, 5.0)
    else:
        wb, wa = (-3 * dt, -dt), (0.0, 2 * dt)
    t_start = float(rng.integers(0, 10)) * dt
    t_stop = (n_steps - 1 - int(rng.integers(0, 10))) * dt
    got = branching_factor(times, senders, (pre, post), dt=dt, window_before=wb, window_after=wa,
                           t_start=t_start, t_stop=t_stop)
    want = brute_force(times.tolist(), senders.tolist(), pre.tolist(), post.tolist(), dt, wb, wa,
                       t_start, t_stop)
    if math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(want, rel=1e-12)


def test_chunking_does_not_change_counts(monkeypatch):
    import spikesim.analysis as A

    rng = np.random.default_rng(7)
    n, n_steps = 40, 300
    senders, steps = np.nonzero(rng.random((n, n_steps)) < 0.05)
    pre, post = rng.integers(0, n, 400), rng.integers(0, n, 400)
    full = branching_counts(steps * 1.0, senders, (pre, post), dt=1.0, t_stop=299.0)
    monkeypatch.setattr(A, "_CHUNK", 7)
    small = branching_counts(steps * 1.0, senders, (pre, post), dt=1.0, t_stop=299.0)
    for a, b in zip(full, small):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- branching process


def simulate_branching_process(m, n=20000, k=10, n_steps=40000, seed_rate=0.25, lag=2, seed=0):
    """Spikes of a branching process on a random k-out graph (dt = 1 ms).

    Seeds: Poisson(``seed_rate``) spontaneous spikes per step at random neurons. Each spike at
    step s makes Binomial(k, m/k) of its k successors (drawn without replacement) fire at
    s + ``lag``. A neuron fires at most once per step (coincident triggers merge; rare here).
    """
    rng = np.random.default_rng(seed)
    succ = np.array([rng.choice(n - 1, k, replace=False) for _ in range(n)])
    succ += succ >= np.arange(n)[:, None]  # no self-loops
    pending = [np.zeros(0, np.int64) for _ in range(lag + 1)]
    all_steps, all_senders = [], []
    for s in range(n_steps):
        now = np.concatenate([pending[s % (lag + 1)],
                              rng.integers(0, n, rng.poisson(seed_rate))])
        now = np.unique(now)
        pending[s % (lag + 1)] = np.zeros(0, np.int64)
        if now.size:
            all_steps.append(np.full(now.size, s))
            all_senders.append(now)
            n_children = rng.binomial(k, m / k, now.size)
            kids = [succ[i, rng.permutation(k)[:c]] for i, c in zip(now, n_children) if c]
            if kids:
                pending[(s + lag) % (lag + 1)] = np.concatenate(kids)
    pre = np.repeat(np.arange(n), k)
    return (np.concatenate(all_steps).astype(float), np.concatenate(all_senders),
            (pre, succ.ravel()))


@pytest.mark.parametrize("m", [0.3, 0.5, 0.9])
def test_branching_process_recovers_m(m):
    # Children fire 2 ms after their parent, inside both default windows ([1, 5) after,
    # [-4, 0) before). With sparse activity each spike has at most its parent as ancestor
    # (seeds: none -> clipped to 1), so every anchor's ratio is its own offspring count,
    # E = m exactly. Contamination by unrelated spikes is ~ k * 4 ms * rate ~ 1e-4.
    # ~1.4e4 (m=0.3) to 1e5 (m=0.9) anchors, ratio sd <= 1: standard error < 0.01;
    # tolerance 0.03 (>= 3 standard errors).
    times, senders, conn = simulate_branching_process(m, seed=int(m * 10))
    sigma = branching_factor(times, senders, conn, dt=1.0, t_stop=float(times.max()))
    assert sigma == pytest.approx(m, abs=0.03)
    # over time: every 5-s bin estimates m too (looser: fewer anchors per bin)
    edges, sig = branching_factor_over_time(times, senders, conn, dt=1.0, bin_ms=5000.0,
                                            t_stop=float(times.max()))
    assert np.all(np.abs(sig[:-1] - m) < 0.1)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(times=[1.0, 2.0], senders=[0]), ValueError, "equal lengths"),
    (dict(times=[1.0], senders=[-1]), ValueError, "senders must be >= 0"),
    (dict(times=[1.0], senders=[0.5]), ValueError, "senders must be whole"),
    (dict(times=[np.nan], senders=[0]), ValueError, "times must be finite"),
    (dict(times=[1.05], senders=[0]), ValueError, "times must be multiples of dt"),
    (dict(times=[[1.0]], senders=[0]), ValueError, "times"),
    (dict(dt=0.0), ValueError, "dt"),
    (dict(dt=-1.0), ValueError, "dt"),
    (dict(window_after=(5.0, 1.0)), ValueError, "window_after must satisfy start < stop"),
    (dict(window_before=(-4.0, -4.0)), ValueError, "window_before"),
    (dict(window_before=(-4.5, 0.0)), ValueError, r"window_before\[0\]=-4.5 ms is not a multiple"),
    (dict(window_after=5.0), TypeError, "window_after must be a pair"),
    (dict(t_start=10.0, t_stop=5.0), ValueError, "t_stop must be >= t_start"),
    (dict(t_stop=5.5), ValueError, "t_stop=5.5 ms is not a multiple"),
    (dict(n_neurons=2), ValueError, "out of range for n_neurons=2"),
    (dict(connectivity=([0, 1], [1])), ValueError, "equal lengths"),
    (dict(connectivity=([0], [-3])), ValueError, "connectivity.*>= 0"),
    (dict(connectivity="abc"), TypeError, "connectivity must be"),
    (dict(connectivity=([0], [1], [2])), TypeError, "connectivity must be"),
    (dict(times=[1.0, 1.0], senders=[2, 2]), ValueError, "fires twice"),
])
def test_bad_input(kwargs, exc, match):
    args = dict(times=[1.0, 2.0], senders=[0, 1], connectivity=([0, 1], [1, 2]), dt=1.0)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        branching_factor(args.pop("times"), args.pop("senders"), args.pop("connectivity"), **args)


def test_bad_bin_width():
    with pytest.raises(ValueError, match="bin_ms must be > 0"):
        branching_factor_over_time([1.0], [0], ([0], [1]), dt=1.0, bin_ms=0.0)
    with pytest.raises(ValueError, match="bin_ms=2.5 ms is not a multiple"):
        branching_factor_over_time([1.0], [0], ([0], [1]), dt=1.0, bin_ms=2.5)


def test_bad_csr():
    class CSR:
        indptr = np.array([0, 3])
        post = np.array([1])

    with pytest.raises(ValueError, match="connectivity.indptr must be CSR"):
        branching_factor([1.0], [0], CSR(), dt=1.0)
