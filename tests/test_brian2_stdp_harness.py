"""The Brian2 STDP reference harness (``tests/brian2_stdp.py``) against hand-computed weights.

Every check is a closed-form value of the rule as specified in the harness's
module docstring, so the harness is trustworthy as a reference for spikesim.
Each Brian2 run (numpy target) takes about a second; independent cases share
a run by giving every case its own pre/post neurons and synapse.
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("brian2")

from .brian2_stdp import brian2_stdp_trajectory  # noqa: E402

pytestmark = pytest.mark.brian2

DT = 0.1
PAIR = dict(kind="pair", tau_plus=16.8, tau_minus=33.7, A_plus=0.01, A_minus=0.0125,
            w_min=0.0, w_max=1.0)
TRIPLET = dict(kind="triplet", tau_plus=16.8, tau_minus=33.7, tau_x=101.0, tau_y=125.0,
               A2_plus=5e-3, A3_plus=6.2e-3, A2_minus=7e-3, A3_minus=2.3e-4, w_min=0.0, w_max=1.0)


def run(pre, post, rule, w0=0.5, delays=0.0, syn=None, duration=None, sample_every=1):
    """One synapse per (pre[k], post[k]) case unless ``syn=(syn_pre, syn_post)`` is given."""
    pre = [np.atleast_1d(np.asarray(p, float)) for p in pre]
    post = [np.atleast_1d(np.asarray(p, float)) for p in post]
    if syn is None:
        syn = (np.arange(len(pre)), np.arange(len(post)))
    if duration is None:
        last = max(float(np.max(a, initial=0.0)) for a in pre + post)
        duration = last + float(np.max(delays)) + 5.0
    return brian2_stdp_trajectory(pre, post, syn[0], syn[1], delays, w0, rule, DT, duration,
                                  sample_every)


def pair_change(dt_post_minus_arrival, r=PAIR, scale=1.0):
    d = np.asarray(dt_post_minus_arrival, float)
    return np.where(d >= 0, scale * r["A_plus"] * np.exp(-d / r["tau_plus"]),
                    -scale * r["A_minus"] * np.exp(d / r["tau_minus"]))


# --------------------------------------------------------------------------- pair rule


def test_single_pairs_with_and_without_delay_and_sampling_times():
    # Cases: (delay, post - arrival). Arrival = 30 + delay; post = arrival + lag.
    lags = [-20.0, -2.5, -0.1, 0.0, 0.1, 3.0, 15.0]
    cases = [(d, lag) for d in (0.0, 1.5) for lag in lags]
    delays = np.array([d for d, _ in cases])
    pre = [[30.0] for _ in cases]
    post = [[30.0 + d + lag] for d, lag in cases]
    rule = dict(PAIR, scale=2.0)
    t, W = run(pre, post, rule, w0=0.5, delays=delays)
    expected = 0.5 + pair_change([lag for _, lag in cases], scale=2.0)
    np.testing.assert_allclose(W[-1], expected, rtol=0, atol=1e-14)

    # Sampling: times are m * dt; sample m holds the weight after every event of step m.
    np.testing.assert_allclose(t, np.arange(W.shape[0]) * DT, rtol=0, atol=1e-12)
    for k, (d, lag) in enumerate(cases):
        arrival = 30.0 + d
        change_at = max(arrival, arrival + lag)  # the second event of the pair changes w
        m = int(round(change_at / DT))
        assert W[m - 1, k] == 0.5 and W[m, k] == pytest.approx(expected[k], abs=1e-14), (d, lag)
        assert np.all(W[m:, k] == W[-1, k])


def test_presynaptic_spike_acts_at_T_plus_delay():
    # One presynaptic neuron, four synapses onto one post neuron with delays 0, 2, 4, 6 ms:
    # pre 10, post 14 -> post - arrival = 4, 2, 0, -2.
    delays = np.array([0.0, 2.0, 4.0, 6.0])
    t, W = run([[10.0]], [[14.0]], PAIR, w0=0.5, delays=delays,
               syn=(np.zeros(4, int), np.zeros(4, int)))
    np.testing.assert_allclose(W[-1], 0.5 + pair_change([4.0, 2.0, 0.0, -2.0]), atol=1e-14)
    # the depression of the last synapse happens at the arrival 16 ms, not at the spike 10 ms
    assert W[int(round(15.9 / DT)), 3] == 0.5 and W[int(round(16.0 / DT)), 3] < 0.5


def test_sample_every_subsamples():
    pre, post = [[10.0], [20.0]], [[13.0], [12.0]]
    t1, W1 = run(pre, post, PAIR, duration=30.0)
    t7, W7 = run(pre, post, PAIR, duration=30.0, sample_every=7)
    np.testing.assert_allclose(t7, np.arange(W7.shape[0]) * 0.7, atol=1e-12)
    assert W7.shape[0] == -(-300 // 7)
    np.testing.assert_array_equal(W7, W1[::7])


def test_all_to_all_vs_nearest_bursts():
    # synapse 0: pre burst 0, 5, 10 then post 12 (potentiation);
    # synapse 1: post burst 0, 5, 10 then pre 12 (depression).
    pre = [[0.0, 5.0, 10.0], [12.0]]
    post = [[12.0], [0.0, 5.0, 10.0]]
    tp, tm = PAIR["tau_plus"], PAIR["tau_minus"]
    lags = np.array([2.0, 7.0, 12.0])
    _, Wa = run(pre, post, dict(PAIR, interaction="all_to_all"))
    _, Wn = run(pre, post, dict(PAIR, interaction="nearest"))
    np.testing.assert_allclose(Wa[-1], [0.5 + PAIR["A_plus"] * np.exp(-lags / tp).sum(),
                                        0.5 - PAIR["A_minus"] * np.exp(-lags / tm).sum()], atol=1e-14)
    np.testing.assert_allclose(Wn[-1], [0.5 + PAIR["A_plus"] * np.exp(-2.0 / tp),
                                        0.5 - PAIR["A_minus"] * np.exp(-2.0 / tm)], atol=1e-14)
    assert Wa[-1, 0] > Wn[-1, 0] and Wa[-1, 1] < Wn[-1, 1]


@pytest.mark.parametrize("window, sign_post, sign_pre", [("anti_hebbian", -1, +1),
                                                          ("symmetric", +1, +1)])
def test_windows(window, sign_post, sign_pre):
    # synapse 0: post 4 ms after pre (post event acts); synapse 1: pre 4 ms after post.
    _, W = run([[10.0], [14.0]], [[14.0], [10.0]], dict(PAIR, window=window))
    np.testing.assert_allclose(W[-1], [0.5 + sign_post * PAIR["A_plus"] * np.exp(-4 / PAIR["tau_plus"]),
                                       0.5 + sign_pre * PAIR["A_minus"] * np.exp(-4 / PAIR["tau_minus"])],
                               atol=1e-14)


def test_clipping_additive():
    # 0: 0.95 + 0.1 -> 1.0; 1: 0.05 - 0.1 -> 0.0; 2: repeated same-step pairs, clipped at w_max
    # on the way (the clip is applied at every event, no overshoot is remembered).
    rule = dict(PAIR, A_plus=0.1, A_minus=0.1)
    pre = [[10.0], [10.0], [10.0, 30.0, 50.0]]
    post = [[10.0], [9.0], [10.0, 30.0, 50.0]]
    _, W = run(pre, post, rule, w0=np.array([0.95, 0.05, 0.85]))
    assert W[-1, 0] == 1.0
    assert W[-1, 1] == 0.0
    assert W[-1, 2] <= 1.0 and W[-1, 2] > 0.85
    # synapse 2 by hand: at each same-step pair, pre (depress with the decayed post trace)
    # then post (potentiate with the pre trace).
    tp, tm, w = PAIR["tau_plus"], PAIR["tau_minus"], 0.85
    xpre = xpost = 0.0
    for k in range(3):
        if k:
            xpre *= np.exp(-20 / tp)
            xpost *= np.exp(-20 / tm)
        w = min(max(w - 0.1 * xpost, 0.0), 1.0)
        xpre += 1
        w = min(max(w + 0.1 * xpre, 0.0), 1.0)
        xpost += 1
    assert W[-1, 2] == pytest.approx(w, abs=1e-14)


def test_multiplicative_and_bounds():
    rule = dict(PAIR, weight_dependence="multiplicative", A_plus=0.5, A_minus=0.5,
                w_min=0.2, w_max=1.0, scale=123.0)  # scale is unused by the multiplicative rule
    tp, tm = rule["tau_plus"], rule["tau_minus"]
    # 0: potentiation at lag 0: 0.8 + 0.5 (1 - 0.8) = 0.9
    # 1: depression at lag -3: 0.8 - 0.5 e^{-3/tm} (0.8 - 0.2)
    # 2: potentiation at lag 2: 0.5 + 0.5 e^{-2/tp} (1 - 0.5)
    # 3: w0 = 0.1 below w_min is clipped up by the first event (the pre event, which changes
    #    nothing else: x_post = 0), then potentiated: 0.2 + 0.5 (1 - 0.2) = 0.6
    pre = [[10.0], [10.0], [10.0], [10.0]]
    post = [[10.0], [7.0], [12.0], [10.0]]
    _, W = run(pre, post, rule, w0=np.array([0.8, 0.8, 0.5, 0.1]))
    np.testing.assert_allclose(W[-1], [0.9, 0.8 - 0.5 * np.exp(-3 / tm) * 0.6,
                                       0.5 + 0.5 * np.exp(-2 / tp) * 0.5, 0.6], atol=1e-14)


def test_multiplicative_overshoot_is_clipped():
    rule = dict(PAIR, weight_dependence="multiplicative", A_plus=1.5, A_minus=1.5)
    _, W = run([[10.0], [10.0]], [[10.0], [8.0]], rule, w0=0.8)
    np.testing.assert_allclose(W[-1], [1.0, 0.0], atol=0)


# --------------------------------------------------------------------------- triplet rule


def test_triplet_by_hand():
    r = TRIPLET
    e = np.exp
    tp, tm, tx, ty = r["tau_plus"], r["tau_minus"], r["tau_x"], r["tau_y"]
    # 0: pre-post-post: pre 10, post 15, 25
    w0 = 0.5 + e(-5 / tp) * r["A2_plus"] + e(-15 / tp) * (r["A2_plus"] + r["A3_plus"] * e(-10 / ty))
    # 1: post-pre-pre: post 10, pre 15, 25
    w1 = 0.5 - e(-5 / tm) * r["A2_minus"] - e(-15 / tm) * (r["A2_minus"] + r["A3_minus"] * e(-10 / tx))
    # 2: pre-post-pre: pre 10, post 15, pre 20
    w2 = 0.5 + e(-5 / tp) * r["A2_plus"] - e(-5 / tm) * (r["A2_minus"] + r["A3_minus"] * e(-10 / tx))
    # 3: same-step pre and post at 10, post again at 13: the second post sees o2 = e^{-3/ty}
    #    and r1 = e^{-3/tp} (pre pathway ran first at 10, so the first post sees r1 = 1, o2 = 0;
    #    the pre event at 10 sees o1 = 0).
    w3 = 0.5 + r["A2_plus"] + e(-3 / tp) * (r["A2_plus"] + r["A3_plus"] * e(-3 / ty))
    pre = [[10.0], [15.0, 25.0], [10.0, 20.0], [10.0]]
    post = [[15.0, 25.0], [10.0], [15.0], [10.0, 13.0]]
    _, W = run(pre, post, r)
    np.testing.assert_allclose(W[-1], [w0, w1, w2, w3], rtol=0, atol=1e-14)


def test_triplet_nearest():
    # pre 0, 5; post 10, 20. Nearest: every trace is reset to 1 at its spike.
    r = dict(TRIPLET, interaction="nearest")
    e = np.exp
    tp, ty = r["tau_plus"], r["tau_y"]
    w = 0.5 + e(-5 / tp) * r["A2_plus"]                                        # post 10: o2 = 0
    w += e(-15 / tp) * (r["A2_plus"] + r["A3_plus"] * e(-10 / ty))             # post 20
    w_all = 0.5 + (e(-5 / tp) + e(-10 / tp)) * r["A2_plus"]
    w_all += (e(-15 / tp) + e(-20 / tp)) * (r["A2_plus"] + r["A3_plus"] * e(-10 / ty))
    _, Wn = run([[0.0, 5.0]], [[10.0, 20.0]], r)
    _, Wa = run([[0.0, 5.0]], [[10.0, 20.0]], TRIPLET)
    assert Wn[-1, 0] == pytest.approx(w, abs=1e-14)
    assert Wa[-1, 0] == pytest.approx(w_all, abs=1e-14)


# --------------------------------------------------------------------------- input checks


@pytest.mark.parametrize("kwargs, match", [
    (dict(pre_times=[[10.05]]), "pre_times\\[0\\] must be multiples of dt"),
    (dict(post_times=[[-1.0]]), "post_times\\[0\\] must be >= 0"),
    (dict(post_times=[[1.0, 1.0]]), "two spikes in one step"),
    (dict(delays_ms=0.05), "delays_ms must be multiples of dt"),
    (dict(delays_ms=-0.1), "delays_ms must be >= 0"),
    (dict(duration=10.05), "duration must be multiples of dt"),
    (dict(syn_post=np.array([1])), "syn_post must index"),
    (dict(syn_pre=np.array([0, 0])), "same length"),
    (dict(sample_every=0), "sample_every"),
    (dict(rule=dict(PAIR, kind="quad")), "kind"),
    (dict(rule=dict(PAIR, tau_x=3.0)), "unknown pair rule keys"),
    (dict(rule={k: v for k, v in PAIR.items() if k != "A_minus"}), "needs rule\\['A_minus'\\]"),
    (dict(rule=dict(PAIR, tau_plus=0.0)), "tau_plus'\\] must be > 0"),
    (dict(rule=dict(PAIR, interaction="nearest_pair")), "interaction"),
    (dict(rule=dict(PAIR, window="causal")), "window"),
    (dict(rule=dict(PAIR, w_min=2.0)), "w_min <= w_max"),
])
def test_bad_input(kwargs, match):
    args = dict(pre_times=[[10.0]], post_times=[[12.0]], syn_pre=np.array([0]),
                syn_post=np.array([0]), delays_ms=0.0, w0=0.5, rule=PAIR, dt=DT, duration=20.0)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        brian2_stdp_trajectory(**args)


def test_silent_neuron_keeps_w0():
    # neuron 1 never fires: its synapse (onto the same post neuron) keeps w0 exactly
    _, W = run([[1.0], []], [[3.0]], PAIR, w0=0.3, syn=(np.array([0, 1]), np.array([0, 0])))
    assert W[-1, 0] == pytest.approx(0.3 + PAIR["A_plus"] * np.exp(-2 / PAIR["tau_plus"]), abs=1e-14)
    assert np.all(W[:, 1] == 0.3)
