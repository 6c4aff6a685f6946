"""sPyNNaker's extra models: IFCurrExpCa2Adaptive, IF_curr_exp_sEMD, IFCondExpStoc.

Closed forms: the Ca2+ current after k spikes and the interspike intervals under
DC (against a step-by-step scalar recursion written here from the equations);
the sEMD response to facilitator-then-trigger (against the exponential-current
PSP formula) and its silence in the null direction; the stochastic threshold's
firing probability at fixed v (against sPyNNaker's formula, over many trials).
"""
from __future__ import annotations

import numpy as np
import pytest

import spikesim as ss

DT = 0.1


def _psp_kernel(t, tau_m, tau_s, cm):
    """Membrane response (mV per nA) to a current ``e^{-t/tau_s}`` switched on at t = 0."""
    t = np.maximum(t, 0.0)
    return tau_s * tau_m / (cm * (tau_m - tau_s)) * (np.exp(-t / tau_m) - np.exp(-t / tau_s))


# ----------------------------------------------------------------------------- Ca2+ adaptation
def _ca2_run(i_alpha, T=400.0, i_offset=2.0, tau_ca2=80.0):
    net = ss.Network(dt=DT, dtype="float64")
    pop = net.add_population(1, ss.IFCurrExpCa2Adaptive(i_offset=i_offset, i_alpha=i_alpha,
                                                        tau_ca2=tau_ca2, tau_refrac=2.0))
    rec = net.record(pop, ["spikes", "i_ca2", "v"])
    net.run(T)
    return rec


def test_ca2_current_after_k_spikes_closed_form():
    i_alpha, tau = 0.05, 80.0
    rec = _ca2_run(i_alpha, tau_ca2=tau)
    spikes = rec.spikes.times
    assert len(spikes) > 10
    t = rec.i_ca2.times
    expect = np.array([i_alpha * np.exp(-(s - spikes[spikes <= s]) / tau).sum() for s in t])
    np.testing.assert_allclose(rec.i_ca2.values[:, 0], expect, rtol=1e-10, atol=1e-14)


def _ca2_reference_isis(i_alpha, T=400.0, i_offset=2.0, tau_ca2=80.0, tau_m=20.0, cm=1.0,
                        v_rest=-65.0, v_th=-50.0, n_ref=20):
    """Step-by-step scalar recursion of the model's equations (exact within a step)."""
    h = DT
    p22 = np.exp(-h / tau_m)
    pca = np.exp(-h / tau_ca2)
    # response of v to a current decaying with tau_ca2 from 1 nA, over one step
    p21 = tau_ca2 * tau_m / (cm * (tau_m - tau_ca2)) * (np.exp(-h / tau_m) - np.exp(-h / tau_ca2))
    vinf = v_rest + i_offset * tau_m / cm
    v, ca, r, out = v_rest, 0.0, 0, []
    for s in range(int(round(T / h))):
        vn = vinf + (v - vinf) * p22 - p21 * ca
        if r > 0:  # refractory: v held at v_reset (< v_th)
            vn, r = v, r - 1
        ca *= pca
        if vn >= v_th:
            out.append(s)
            vn, r, ca = v_rest, n_ref, ca + i_alpha
        v = vn
    return np.diff(out)


def test_ca2_interspike_intervals_grow_as_reference():
    rec = _ca2_run(0.05)
    isi = np.diff(np.rint(rec.spikes.times / DT).astype(int))
    ref = _ca2_reference_isis(0.05)
    assert isi.size > 10
    np.testing.assert_array_equal(isi, ref[:isi.size])
    assert isi[-1] > isi[0] + 5 and (np.diff(isi[:5]) >= 0).all()  # adaptation
    flat = np.diff(np.rint(_ca2_run(0.0).spikes.times / DT).astype(int))
    assert len(set(flat.tolist())) == 1 and flat[0] < isi[0]  # no Ca2+: regular, faster


@pytest.mark.parametrize("bad", [dict(tau_ca2=0.0), dict(i_alpha=-0.1), dict(tau_m=-1.0),
                                 dict(i_alpha=np.inf)])
def test_ca2_bad_parameters(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        ss.IFCurrExpCa2Adaptive(**bad)


# ----------------------------------------------------------------------------- sEMD
def _semd(t_fac, t_trig, w_fac=1.0, w_trig=1.0, sf=10.0, v_thresh=-50.0, T=60.0):
    net = ss.Network(dt=DT, dtype="float64")
    src = net.add_population(2, ss.SpikeSourceArray([[t_fac], [t_trig]]))
    pop = net.add_population(1, ss.IF_curr_exp_sEMD(scaling_factor=sf, v_thresh=v_thresh,
                                                    tau_syn_E=5.0, tau_syn_E2=3.0))
    net.connect(src[[0]], pop, ss.AllToAll(), weight=w_fac, receptor_type="excitatory", delay=DT)
    net.connect(src[[1]], pop, ss.AllToAll(), weight=w_trig, receptor_type="excitatory2", delay=DT)
    rec = net.record(pop, ["spikes", "v", "multiplicator"])
    net.run(T)
    return rec


def test_semd_preferred_direction_closed_form():
    t1, t2, w1, w2, sf = 10.0, 16.0, 1.0, 0.8, 10.0
    rec = _semd(t1, t2, w1, w2, sf)
    a1, a2 = t1 + DT, t2 + DT  # the currents jump when the spikes arrive (delay one step)
    mult = w1 * np.exp(-(a2 - a1) / 5.0)
    t = rec.v.times
    expect = -65.0 + sf * mult * w2 * _psp_kernel(t - a2, 20.0, 3.0, 1.0)
    on = t <= a2 + 3.0 * np.log(w2 / 0.001)  # until I_2 decays below 0.001 nA (mu -> 0)
    assert on.sum() > 150
    np.testing.assert_allclose(rec.v.values[on, 0], expect[on], rtol=0, atol=1e-10)
    assert rec.v.values.max() > -60.0  # a response of several mV
    on = rec.multiplicator.values[:, 0]
    assert np.isclose(on.max(), mult, rtol=1e-12) and on[-1] == 0.0  # reset when I_2 < 0.001


def test_semd_null_direction_is_silent():
    rec = _semd(16.0, 10.0, sf=100.0)  # trigger first, then the facilitator: nothing
    np.testing.assert_array_equal(rec.v.values[:, 0], -65.0)
    assert (rec.multiplicator.values == 0).all()


def test_semd_direction_selective_spikes():
    pref = _semd(10.0, 14.0, sf=40.0)
    null = _semd(14.0, 10.0, sf=40.0)
    assert len(pref.spikes) >= 1 and len(null.spikes) == 0


def test_semd_bad_parameters():
    with pytest.raises(ValueError, match="tau_syn_E2"):
        ss.IF_curr_exp_sEMD(tau_syn_E2=0.0)
    with pytest.raises(ValueError, match="v_reset"):
        ss.Network(dt=DT).add_population(1, ss.IF_curr_exp_sEMD(v_reset=-40.0))


# ----------------------------------------------------------------------------- stochastic threshold
def _p_formula(v, v_thresh, du_th, tau_th, dt):
    x = (v - v_thresh) / du_th
    return 0.8 if x >= 5.0 else 0.8 * (1.0 - np.exp(-dt / 10.0 * np.exp(x) / tau_th))


@pytest.mark.parametrize("x", [-2.0, 0.0, 1.0, 6.0])
def test_stochastic_firing_probability_at_fixed_v(x):
    """20,000 neurons at v0 = v_rest (no input, so v stays at v0 in the step) each draw once: the
    fraction that fires estimates p(v0); within 5 standard errors of sPyNNaker's formula."""
    du, tau_th, vth, n = 0.5, 0.02, -50.0, 20000
    v0 = vth + x * du
    net = ss.Network(dt=DT, seed=11, dtype="float64")
    pop = net.add_population(n, ss.IFCondExpStoc(v_rest=v0, v_reset=vth - 10.0, v_thresh=vth,
                                                 du_th=du, tau_th=tau_th))
    rec = net.record(pop, "spikes")
    net.run(DT)
    p = _p_formula(v0, vth, du, tau_th, DT)
    got = len(rec.spikes) / n
    se = np.sqrt(p * (1 - p) / n)
    assert 0.03 < p <= 0.8
    assert abs(got - p) < 5 * se, (x, got, p, se)


def test_stochastic_probability_over_many_steps():
    """Held at v0 < v_thresh (v_reset = v0, no refractory period) for 200 steps: spike count of
    each neuron is Binomial(200, p); the total is within 5 standard errors of 200 n p."""
    du, tau_th, vth, n, k = 0.5, 0.02, -50.0, 1000, 200
    v0 = vth - 0.5
    net = ss.Network(dt=DT, seed=4, dtype="float64")
    pop = net.add_population(n, ss.IFCondExpStoc(v_rest=v0, v_reset=v0, v_thresh=vth, du_th=du,
                                                 tau_th=tau_th, tau_refrac=0.0))
    rec = net.record(pop, "spikes")
    net.run(k * DT)
    p = _p_formula(v0, vth, du, tau_th, DT)
    trials = n * k
    assert abs(len(rec.spikes) / trials - p) < 5 * np.sqrt(p * (1 - p) / trials)


def _stoc_net(seed, threads=1):
    net = ss.Network(dt=DT, seed=seed, threads=threads)
    pop = net.add_population(500, ss.IFCondExpStoc(i_offset=0.8, du_th=2.0, tau_th=1.0,
                                                   tau_refrac=1.0))
    return net, net.record(pop, "spikes")


def test_stochastic_reproducible_and_split_invariant():
    runs = []
    for seed, threads, chunks in [(1, 1, [50.0]), (1, 1, [20.0, 30.0]), (1, 2, [50.0]),
                                  (2, 1, [50.0])]:
        net, rec = _stoc_net(seed, threads)
        for c in chunks:
            net.run(c)
        runs.append((rec.spikes.times.copy(), rec.spikes.senders.copy()))
    (t0, s0), others = runs[0], runs[1:]
    assert len(t0) > 200
    for t, s in others[:2]:  # run(a); run(b) == run(a + b); two threads == one
        np.testing.assert_array_equal(t, t0)
        np.testing.assert_array_equal(s, s0)
    assert not (len(others[2][0]) == len(t0) and np.array_equal(others[2][1], s0))  # other seed
    # neurons draw independent streams: their first spikes are not all in one step
    firsts = {int(s): t for t, s in zip(t0[::-1], s0[::-1])}
    assert len(set(firsts.values())) > 20


def test_stochastic_bad_parameters():
    for bad in (dict(du_th=0.0), dict(tau_th=-1.0), dict(e_rev_E=np.nan)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ss.IFCondExpStoc(**bad)
