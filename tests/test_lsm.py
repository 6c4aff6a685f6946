"""(NA)LSM model: the paper's STDP / astrocyte equations vs spikesim, encoder, protocol, CLI.

The reference (:func:`paper_stdp`) is a direct NumPy implementation of the
discrete per-millisecond equations of the NALSM code (Ivanov & Michmizos 2021,
combra-lab/NALSM ``NALSM_STDP.py`` / ``NALSM_ASTRO.py``), run on the spikes the
spikesim liquid produced.
"""
import argparse
from dataclasses import replace
import json
import pathlib

import numpy as np
import pytest
from spikesim.models.lsm import (
    Liquid,
    LSMParams,
    bernoulli_events,
    grid_for,
    init_params,
    input_neuron_spikes,
)
from spikesim.models.lsm.readout import confusion_matrix, fit_readout, l1_normalise

from spikesim.analysis import branching_factor


def paper_stdp(W0, lo, hi, S, exc_pre, liquid, inputs, mode, P, same_step=False, astro_lag=False,
               clip_astro=False, A_seen=None):
    """The paper's STDP (and astrocyte) per 1 ms step on a dense weight matrix ``W[pre, post]``.

    ``S`` (T, n) spikes; ``W0`` with NaN where there is no synapse. Each step:
    ``dw = eta x_pre s_post - A x_post s_pre`` (excitatory / input presynaptic),
    ``dw = -A x_pre s_post + eta x_post s_pre`` (inhibitory presynaptic), clip, then
    ``x <- d (x + c s)``, ``A <- A + (w_A (liquid - input spikes) + b_A - A) / tau_A``,
    and ``eta, A, w_A, b_A`` decay by ``g``. ``same_step`` also pairs a pre and a
    post spike of the same step (``x`` then includes ``c s``), ``astro_lag`` uses
    the ``A`` after the step's update in the depression of excitatory synapses,
    and drops the pre-arrival term of presynaptic spikes in the last step (their
    arrival falls after the run): the documented differences of spikesim's
    event-driven mapping. ``clip_astro``: both ``A`` factors stop at 0 (the sparse-mask
    variant's scalar factors). ``A_seen``: a list that receives ``A``
    of every step.
    """
    mask = ~np.isnan(W0)
    W = np.where(mask, W0, 0.0)
    d, c, g = P.trace_decay, P.trace_jump, P.lr_decay
    eta, A, wA, bA = P.eta, P.b_A, P.astro_w, P.b_A
    x = np.zeros(S.shape[1])
    for t in range(S.shape[0]):
        s = S[t].astype(float)
        xs = x + c * s if same_step else x  # spikesim: a pre spike's arrival sees its step's post spike
        A_next = A + (wA * (s[liquid].sum() - s[inputs].sum()) + bA - A) / P.tau_A
        if A_seen is not None:
            A_seen.append(A)
        rate_astro = (max(A, 0.0) if clip_astro else A) if mode == "nalsm" else eta
        rate_dep = (A_next * g if astro_lag else A) if mode == "nalsm" else eta
        if clip_astro and mode == "nalsm":
            rate_dep = max(rate_dep, 0.0)
        pot = np.outer(x, s)    # x_pre s_post
        dep = np.outer(s, xs)   # s_pre x_post
        if astro_lag and t == S.shape[0] - 1:
            dep[:] = 0.0
        dw = np.where(exc_pre[:, None], eta * pot - rate_dep * dep, -rate_astro * pot + eta * dep)
        W = np.clip(W + dw * mask, lo, hi)
        x = d * (x + c * s)
        A = A_next * g
        eta, wA, bA = eta * g, wA * g, bA * g
    return np.where(mask, W, np.nan)


def _dense(L, w):
    N, n_in = L.liquid.size, L.n_inputs
    n = N + n_in
    W = np.full((n, n), np.nan)
    lo, hi = np.zeros((n, n)), np.zeros((n, n))
    for name, j in L.projections.items():
        pre, post = j.connections()
        if name.startswith("input"):
            pre = pre + N
        W[pre, post] = w[name]
        b = j.synapse.weight
        lo[pre, post], hi[pre, post] = b.w_min, b.w_max
    return W, lo, hi


def _tiny(mode, seed=3, density=1.0, w_A=None, hop_ms=2, same_step_pairs=True):
    P = LSMParams(grid=(3, 3, 3), input_fraction=0.5, astro_density=density, w_A=w_A,
                  hop_ms=hop_ms, same_step_pairs=same_step_pairs)
    return Liquid(12, mode, P, seed), P


@pytest.mark.parametrize("mode, density, w_A, hop_ms, same", [
    ("stdp", 1.0, None, 2, True), ("nalsm", 1.0, None, 2, True), ("nalsm", 1.0, 0.3, 2, True),
    ("nalsm", 0.5, None, 2, True), ("nalsm", 0.5, 0.6, 2, True), ("stdp", 1.0, None, 1, True),
    ("nalsm", 1.0, None, 1, True), ("stdp", 1.0, None, 1, False), ("nalsm", 1.0, None, 1, False),
    ("nalsm", 1.0, 0.3, 1, False)])
def test_stdp_and_astrocyte_match_the_papers_equations(mode, density, w_A, hop_ms, same):
    """``w_A = 0.3`` (0.6 for the sparse astrocyte): the input outnumbers the liquid's spikes and ``A`` goes negative,
    which reverses both astrocyte terms (the full-density astrocyte is linked in the kernel);
    the sparse-mask variant's scalar factors stop at 0 instead. ``hop_ms=1`` emits the
    input neurons' spikes one step before their flags (the raster is shifted as a whole).
    ``same=False`` (``same_step_pairs=False``): spikes of the same step do not pair, as in
    the authors' code."""
    L, P = _tiny(mode, density=density, w_A=w_A, hop_ms=hop_ms, same_step_pairs=same)
    N, n_in, T = L.liquid.size, L.n_inputs, 120
    mid = {k: np.sign(w) * 1.5 for k, w in L.get_weights().items()}  # away from the bounds
    rng = np.random.default_rng(5)
    inp = input_neuron_spikes(rng.random((T, n_in)) < 0.35)
    _, kept = L.run_samples([inp], T, w_ini=mid, keep_spikes=[0])
    steps, senders = kept[0]
    assert steps.shape[0] > 50  # the liquid is active
    S = np.zeros((T, N + n_in), bool)
    S[steps, senders] = True
    S[:T - (2 - hop_ms), N:] = inp[2 - hop_ms:]
    exc_pre = np.concatenate([L.is_exc, np.ones(n_in, bool)])
    W0, lo, hi = _dense(L, mid)
    got, _, _ = _dense(L, L.get_weights())
    liquid, inputs = np.arange(N), np.arange(N, N + n_in)
    if density < 1.0:  # the neurons the sparse-mask astrocyte counts
        heard = L.astrocyte._listen_gid
        assert 0 < heard.shape[0] < N + n_in
        liquid, inputs = heard[heard < N], heard[heard >= N]
    args = (W0, lo, hi, S, exc_pre, liquid, inputs, mode, P)
    A_seen = []
    mapped = paper_stdp(*args, same_step=same, astro_lag=True, clip_astro=density < 1.0,
                        A_seen=A_seen)
    if w_A is not None:
        assert (np.array(A_seen) < -1e-3).mean() > 0.3  # A is negative for much of the run
    m = ~np.isnan(W0)
    assert ((mapped[m] > lo[m]) & (mapped[m] < hi[m])).all()  # no clipping: the sum is order-free
    assert np.abs(got[m] - W0[m]).max() > 0.01  # weights did change
    np.testing.assert_allclose(got[m], mapped[m], rtol=0, atol=1e-5)
    # synapses without a same-step pre/post pair follow the paper's rule exactly
    # (nalsm: up to the one-step lag of A in the excitatory depression)
    coincident = (S[:, :, None] & S[:, None, :]).sum(0)[m]
    if not same:  # the spikes of a step did pair in some synapses by default
        other = paper_stdp(*args, same_step=True, astro_lag=True, clip_astro=density < 1.0)
        assert np.abs(other[m] - mapped[m]).max() > 1e-4
        coincident[:] = 0
    last = S[-1][:, None] & m  # presynaptic spike in the last step: its arrival is after the run
    ok = (coincident == 0) & ~last[m]
    exact = paper_stdp(*args, clip_astro=density < 1.0)
    if mode == "nalsm":
        ok &= ~exc_pre[:, None].repeat(m.shape[1], 1)[m]  # excitatory depression: A one step later
    assert ok.sum() > 10
    np.testing.assert_allclose(got[m][ok], exact[m][ok], rtol=0, atol=1e-5)


@pytest.mark.parametrize("excitatory", [True, False])
def test_single_pairs_give_the_papers_change(excitatory):
    """One pre and one post spike at many intervals: spikesim's change is the paper's
    ``eta g^t c d^|dt|`` (sign by window), except for spikes in the same step."""
    from spikesim.models.lsm import paper_synapse

    import spikesim as ss

    P = LSMParams()
    cell = ss.IF_curr_exp(tau_m=64.0, cm=1 - np.exp(-1), v_rest=0.0, v_reset=0.0, v_thresh=20.0,
                          tau_refrac=2.0, tau_syn_E=1.0, tau_syn_I=1.0)
    for lag in (-6, -2, -1, 0, 1, 2, 7):
        net = ss.Network(dt=1.0, seed=1, dtype="float64")
        t_pre = 30
        teach = net.add_population(2, ss.SpikeSourceArray(spike_times=[[t_pre - 1.0], [t_pre + lag - 1.0]]))
        pre, post = net.add_population(1, cell), net.add_population(1, cell)
        net.connect(teach[[0]], pre, ss.AllToAll(), weight=200.0)
        net.connect(teach[[1]], post, ss.AllToAll(), weight=200.0)
        w0 = 1.5 if excitatory else -1.5
        syn = paper_synapse("stdp", excitatory, excitatory, P)
        proj = net.connect(pre, post, ss.AllToAll(), weight=w0, synapse=syn,
                           receptor_type="excitatory" if excitatory else "inhibitory")
        proj.modulate(potentiation_decay=P.lr_decay, depression_decay=P.lr_decay)
        r_pre, r_post = net.record(pre, "spikes"), net.record(post, "spikes")
        net.run(80.0, progress=False)
        s_pre, s_post = int(r_pre.spikes.times[0]) - 1, int(r_post.spikes.times[0]) - 1  # steps
        assert (s_pre, s_post - s_pre) == (t_pre, lag) and len(r_pre.spikes) == len(r_post.spikes) == 1
        t = max(s_pre, s_post)
        size = P.eta * P.lr_decay ** t * P.trace_jump * P.trace_decay ** abs(lag)
        sign = (1 if lag > 0 else -1) * (1 if excitatory else -1)
        want = 0.0 if lag == 0 else sign * size
        if lag == 0:  # spikesim pairs a same-step pre spike's arrival with the post spike
            want = -(1 if excitatory else -1) * P.eta * P.lr_decay ** t * P.trace_jump
        assert proj.weight[0] - w0 == pytest.approx(want, rel=1e-9, abs=1e-15), lag


def test_input_neurons_follow_the_papers_lif():
    ev = np.zeros((12, 1), bool)
    ev[[3, 4, 5, 9], 0] = True
    out = input_neuron_spikes(ev)[:, 0]
    # event at 3 -> spike at 4; events at 4, 5 wait for the refractory steps 5, 6 -> spike at 7
    np.testing.assert_array_equal(np.flatnonzero(out), [4, 7, 10])
    rng = np.random.default_rng(0)
    ev = rng.random((300, 50)) < 0.4
    v = np.zeros(50)
    ref = np.zeros(50)
    want = np.zeros_like(ev)
    for t in range(300):  # the paper's neuron: spike check, reset, v update, refractory countdown
        s = (v >= 20.0) & (ref <= 0)
        want[t] = s
        v[s] = 0.0
        v = v - v / 64.0 + 100.0 * ev[t]
        ref = np.where(s, 2.0, ref - 1.0)
    np.testing.assert_array_equal(input_neuron_spikes(ev), want)
    np.testing.assert_array_equal(input_neuron_spikes(ev[None])[0], want)  # batched


def _authors_liquid(W, inp):
    """The liquid of ``NALSM_LIF_v1.py`` in its own order, per 1 ms step: spike check at the
    start of the step, reset, synaptic current ``I <- e^-1 I + W s`` (this step's spikes of
    liquid and input neurons), ``v <- v - v/64 + I``, refractory countdown. Returns the
    flags ``(T, N)``. The code keeps one current per synapse and replaces it at a new
    presynaptic spike; summing them, as here and in spikesim, adds at most e^-3 of a
    synapse's charge (a neuron fires at most every third step), but in a chaotic liquid
    such a difference changes the raster after ~20 steps (checked), so it is not compared."""
    T, N = inp.shape[0], W.shape[1]
    v, cur, ref = np.zeros(N), np.zeros(N), np.zeros(N)
    flagged = np.zeros((T, N), bool)
    for t in range(T):
        s = (v >= 20.0) & (ref <= 0)
        flagged[t] = s
        v[s] = 0.0
        cur = np.exp(-1.0) * cur + np.concatenate([s, inp[t]]) @ W
        v = v - v / 64.0 + cur
        ref = np.where(s, 2.0, ref - 1.0)
    return flagged


@pytest.mark.parametrize("weight_scale", [1.0, 0.3])
def test_one_ms_hop_liquid_is_the_authors_liquid_step_for_step(weight_scale):
    """``hop_ms=1`` against the authors' liquid written out in its own order
    (:func:`_authors_liquid`). spikesim stamps a spike in the step in which ``v`` crossed,
    the code flags it one step later: the rasters must be equal up to that shift."""
    P = LSMParams(grid=(3, 3, 3), input_fraction=0.5, hop_ms=1, weight_scale=weight_scale)
    L = Liquid(12, "lsm", P, seed=3)
    N, n_in, T = L.liquid.size, L.n_inputs, 200
    rng = np.random.default_rng(5)
    inp = input_neuron_spikes(rng.random((T, n_in)) < 0.3)
    _, kept = L.run_samples([inp], T, keep_spikes=[0])
    ours = np.zeros((T, N), bool)
    ours[kept[0]] = True
    W = np.zeros((N + n_in, N))
    for name, w in L.get_weights().items():
        pre, post = L.projections[name].connections()
        np.add.at(W, (pre + (N if name.startswith("input") else 0), post), w)
    want = _authors_liquid(W, inp)
    assert want.sum() > 40 and want[T // 2:].sum() > 10  # active throughout
    np.testing.assert_array_equal(ours[:-1], want[1:])
    assert not want[0].any()


def test_bernoulli_events_rates_and_shapes():
    rng = np.random.default_rng(1)
    ev = bernoulli_events(np.array([0.0, 0.5, 1.0]), 4000, rng)
    assert ev.shape == (4000, 3)
    assert ev[:, 0].sum() == 0 and ev[:, 2].all() and abs(ev[:, 1].mean() - 0.5) < 0.03
    p_t = np.zeros((10, 2))
    p_t[5:, 1] = 1.0
    ev = bernoulli_events(p_t, 10, rng)
    np.testing.assert_array_equal(ev[:, 1], np.arange(10) >= 5)
    with pytest.raises(ValueError, match="rates"):
        bernoulli_events(np.zeros((3, 2)), 10, rng)


def test_liquid_structure_follows_the_paper():
    L = Liquid(40, "nalsm", LSMParams(grid=(5, 5, 4)), seed=2)
    N = 100
    assert L.is_exc.sum() == 80
    pairs = sum(L.projections[k].n_synapses for k in ("input+", "input-"))
    assert pairs == round(0.15 * 40 * N)
    assert L.projections["input+"].n_synapses > 0.4 * pairs < L.projections["input-"].n_synapses
    pre, post = L.recurrent_pairs()
    assert not np.any(pre == post)
    w = L.get_weights()
    assert (w["EE"] == 3).all() and (w["IE"] == -3).all() and (w["input-"] == -3).all()
    assert L.astrocyte is not None and L.astrocyte.A[0] == pytest.approx(0.15)
    assert LSMParams().astro_w == pytest.approx(0.015)
    assert LSMParams(grid=(20, 20, 20)).astro_w == pytest.approx(0.0075)
    assert grid_for(1000) == (10, 10, 10) and grid_for(8000) == (20, 20, 20)
    assert np.prod(grid_for(150)) == 150
    # the same seed builds the same liquid; another seed another one
    L2 = Liquid(40, "nalsm", LSMParams(grid=(5, 5, 4)), seed=2)
    np.testing.assert_array_equal(L2.recurrent_pairs()[1], post)
    assert not np.array_equal(Liquid(40, "nalsm", LSMParams(grid=(5, 5, 4)), seed=3).is_exc, L.is_exc)
    lsm = Liquid(40, "lsm", LSMParams(grid=(5, 5, 4), weight_scale=0.5), seed=2)
    assert not lsm.projections["EE"].plastic and (lsm.get_weights()["EE"] == 1.5).all()


def test_protocol_resets_to_w_ini_and_is_deterministic():
    L, _ = _tiny("nalsm")
    rng = np.random.default_rng(8)
    samples = [input_neuron_spikes(rng.random((60, 12)) < 0.3) for _ in range(2)]
    w_ini = L.get_weights()
    c1, _ = L.run_samples(samples + samples[:1], 60, w_ini=w_ini, time_bins=3)
    assert c1.shape == (3, 3, 27)
    np.testing.assert_array_equal(c1[0], c1[2])  # same input from W_INI and a reset state
    assert c1.sum() > 0
    L.set_weights(w_ini)
    # without the reset to W_INI the weights are carried over (the W_INI initialisation)
    L.run_samples(samples[:1], 60)
    assert any(not np.array_equal(a, L.get_weights()[k]) for k, a in w_ini.items())
    c2, _ = L.run_samples(samples[:1], 60, w_ini=w_ini)
    np.testing.assert_array_equal(c2[0], c1[0].sum(0, keepdims=True))
    assert len(L.spikes.spikes) == 0  # read and forgotten: a long protocol keeps no spike history
    # a second liquid from the same seed gives the same counts
    L3, _ = _tiny("nalsm")
    c3, _ = L3.run_samples(samples[:1], 60, w_ini=w_ini)
    np.testing.assert_array_equal(c3, c2)
    init = Liquid(12, "stdp", init_params(LSMParams(grid=(3, 3, 3), input_fraction=0.5)), 3)
    assert init.projections["EE"].synapse.timing.A_minus > 0


def test_branching_factor_of_a_liquid_sample():
    L, _ = _tiny("lsm")
    rng = np.random.default_rng(2)
    _, kept = L.run_samples([input_neuron_spikes(rng.random((200, 12)) < 0.3)], 200, keep_spikes=[0])
    steps, senders = kept[0]
    bf = branching_factor(steps.astype(float), senders, L.recurrent_pairs(), dt=1.0, n_neurons=27,
                          t_start=25.0, t_stop=175.0)
    assert np.isfinite(bf) and bf >= 0


def test_readout_learns_a_linear_problem():
    rng = np.random.default_rng(0)
    X = rng.random((600, 20))
    y = (X[:, 0] > X[:, 1]).astype(int) + 2 * (X[:, 2] > 0.5)
    ro = fit_readout(X[:400], y[:400], X[400:500], y[400:500], iterations=150)
    assert ro.accuracy(X[500:], y[500:]) > 0.9
    np.testing.assert_allclose(l1_normalise([[1, 3], [0, 0]]), [[0.25, 0.75], [0, 0]])
    C = confusion_matrix([0, 1, 1], [0, 1, 0], 2)
    np.testing.assert_array_equal(C, [[1, 0], [1, 1]])
    with pytest.raises(ValueError, match="labels"):
        fit_readout(X[:10], -np.ones(10, int), X[:5], y[:5])


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="mode"):
        Liquid(10, "foo")
    with pytest.raises(ValueError, match="grid"):
        LSMParams(grid=(2, 2))
    with pytest.raises(ValueError, match="trace_decay"):
        LSMParams(trace_decay=1.5)
    with pytest.raises(ValueError, match="input_fraction"):
        LSMParams(input_fraction=2.0)
    with pytest.raises(TypeError, match="n_inputs"):
        Liquid(2.5, "lsm")
    L, _ = _tiny("lsm")
    with pytest.raises(ValueError, match="input_spikes"):
        L.run_samples([np.zeros((10, 3), bool)], 10)
    with pytest.raises(ValueError, match="hop_ms must be 1 .* got 3"):
        LSMParams(hop_ms=3)
    with pytest.raises(ValueError, match="tau_m must be above 1 ms with hop_ms=1"):
        LSMParams(hop_ms=1, tau_m=0.5)
    for name in ("same_step_pairs", "init_keeps_traces"):
        with pytest.raises(TypeError, match=name):
            LSMParams(**{name: "yes"})
    L1 = Liquid(12, "lsm", LSMParams(grid=(3, 3, 3), hop_ms=1), 3)
    early = np.zeros((10, 12), bool)
    early[0, 4] = True
    with pytest.raises(ValueError, match=r"input_spikes\[0\] has spikes in step 0"):
        L1.run_samples([early], 10)


# ------------------------------------------------------------------ pipeline and CLI
def _tiny_mnist(tmp_path, n=60):
    import gzip

    rng = np.random.default_rng(0)
    y = np.arange(n) % 10
    x = np.zeros((n, 28, 28), np.uint8)
    for i, c in enumerate(y):  # a bar whose position encodes the class
        x[i, 4 + 2 * c:6 + 2 * c, 5:23] = 200 + rng.integers(0, 50)
    with gzip.open(tmp_path / "images-idx3-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + n.to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + x.tobytes())
    with gzip.open(tmp_path / "labels-idx1-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + y.astype(np.uint8).tobytes())
    return tmp_path


def test_workers_do_not_change_features(tmp_path):
    from spikesim.models.lsm.pipeline import load_dataset, simulate

    d = load_dataset("mnist", _tiny_mnist(tmp_path), seed=1, duration_ms=60)
    P = LSMParams(grid=(4, 4, 4))
    idx = np.arange(12)
    c1, bf1, _ = simulate(d["source"], idx, "nalsm", P, 1, None, workers=1, bf_samples=[3])
    c2, bf2, _ = simulate(d["source"], idx, "nalsm", P, 1, None, workers=2, bf_samples=[3])
    np.testing.assert_array_equal(c1, c2)
    assert bf1 == bf2 and 3 in bf1


def _die(idx):
    import os

    os._exit(3)  # a worker killed mid-block (e.g. by the out-of-memory killer)


def test_a_dying_worker_stops_the_run_with_an_error(tmp_path, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    from spikesim.models.lsm import pipeline

    d = pipeline.load_dataset("mnist", _tiny_mnist(tmp_path), seed=1, duration_ms=60)
    monkeypatch.setattr(pipeline, "_worker_block", _die)   # inherited by the forked workers
    with pytest.raises(BrokenProcessPool):
        pipeline.simulate(d["source"], np.arange(12), "nalsm", LSMParams(grid=(4, 4, 4)), 1,
                          None, workers=2)


def test_cache_resumes_a_stopped_run_with_identical_results(tmp_path, monkeypatch):
    """A run keeps W_INI and every finished block of features; a second run with the same
    settings simulates nothing, and one whose blocks were partly lost (a stopped run)
    simulates only those, with features and accuracies identical to the first run."""
    from spikesim.models.lsm import pipeline

    (tmp_path / "data").mkdir()
    data = _tiny_mnist(tmp_path / "data")
    monkeypatch.setattr(pipeline, "BLOCK", 8)
    kw = dict(neurons=27, workers=1, duration_ms=60, init_samples=20, n_bf=2, log=None,
              cache=tmp_path / "cache")
    first = pipeline.run_lsm("mnist", data, "nalsm", features_path=tmp_path / "a.npz", **kw)
    (key,) = list((tmp_path / "cache").iterdir())
    blocks = sorted(key.glob("block_*.npz"))
    assert len(blocks) == 8 and (key / "w_ini.npz").exists()  # 60 samples in blocks of 8
    simulated = []
    real = pipeline._worker_block
    monkeypatch.setattr(pipeline, "_worker_block", lambda idx: simulated.append(len(idx)) or real(idx))
    again = pipeline.run_lsm("mnist", data, "nalsm", features_path=tmp_path / "b.npz", **kw)
    assert simulated == [] and again["cpu_time_s"]["init"] < first["cpu_time_s"]["init"]
    for f in blocks[2:5]:  # as if the run had stopped there
        f.unlink()
    resumed = pipeline.run_lsm("mnist", data, "nalsm", features_path=tmp_path / "c.npz", **kw)
    assert simulated == [8, 8, 8]
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "c.npz") as c:
        np.testing.assert_array_equal(a["counts"], c["counts"])
    assert first["accuracy"] == again["accuracy"] == resumed["accuracy"]
    assert first["branching_factor"] == resumed["branching_factor"]
    other = pipeline.run_lsm("mnist", data, "nalsm", **{**kw, "duration_ms": 70})
    assert other["cache"] != first["cache"]  # other settings, other key


def test_split_is_fixed_across_network_seeds(tmp_path):
    from spikesim.models.lsm.pipeline import load_dataset

    data = _tiny_mnist(tmp_path)
    a = load_dataset("mnist", data, seed=1, duration_ms=60)
    b = load_dataset("mnist", data, seed=2, duration_ms=60)
    c = load_dataset("mnist", data, seed=1, duration_ms=60, split_seed=5)
    for s, t in zip(a["split"], b["split"]):
        np.testing.assert_array_equal(s, t)
    assert not np.array_equal(a["split"][0], c["split"][0])
    assert sorted(np.concatenate(c["split"]).tolist()) == list(range(60))
    assert (a["source"].seed, b["source"].seed) == (1, 2)  # the seed still sets the input draws


def test_cli_parses_and_runs_a_tiny_experiment(tmp_path):
    from spikesim.models.lsm.cli import add_parser

    parser = argparse.ArgumentParser(prog="spikesim")
    add_parser(parser.add_subparsers(dest="command"))
    data = _tiny_mnist(tmp_path)
    out = tmp_path / "r.json"
    args = parser.parse_args(["lsm", "--dataset", "mnist", "--data", str(data), "--mode", "nalsm",
                              "--neurons", "27", "--seed", "2", "--json", str(out), "--workers", "1",
                              "--duration-ms", "60", "--init-samples", "10", "--bf-samples", "3",
                              "--hop-ms", "1", "--no-same-step-pairs", "--init-keeps-traces",
                              "--quiet"])
    assert args.func(args) == 0
    res = json.loads(out.read_text())
    assert res["params"]["hop_ms"] == 1
    assert res["params"]["same_step_pairs"] is False and res["params"]["init_keeps_traces"] is True
    assert set(res["accuracy"]) == {"train", "validation", "test"}
    assert res["split"] == {"train": 42, "validation": 6, "test": 12}
    assert res["neurons"] == 27 and res["mean_rate_hz"] > 0 and res["branching_factor"]["samples"] <= 3
    assert res["baseline_raw"]["test"] >= 0 and res["wall_time_s"]["total"] > 0
    for bad, word in ((["--mode", "x"], "mode"), (["--neurons", "-3"], "--neurons"),
                      (["--workers", "two"], "--workers"), (["--hop-ms", "3"], "--hop-ms")):
        with pytest.raises(SystemExit):
            parser.parse_args(["lsm", "--dataset", "mnist", "--data", "d"] + bad)
    args = parser.parse_args(["lsm", "--dataset", "mnist", "--data", str(tmp_path / "none")])
    with pytest.raises(ValueError, match="does not exist"):
        args.func(args)


SHARED = pathlib.Path(__file__).resolve().parents[2] / "shared" / "datasets"


def test_default_protocol_is_the_papers_on_full_mnist_only(tmp_path):
    from spikesim.models.lsm.pipeline import PROTOCOLS, default_protocol

    data = _tiny_mnist(tmp_path)
    assert default_protocol("mnist", data) == "spikesim"  # a single pair: not the paper's split
    assert default_protocol("fsdd", data) == "spikesim"
    assert PROTOCOLS["paper"] == dict(hop_ms=1, same_step_pairs=False, init_keeps_traces=True,
                                      readout="paper", weight_scale=0.2)
    with pytest.raises(ValueError, match="dataset"):
        default_protocol("cifar", data)
    full = SHARED / "mnist"
    if not (full / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("../shared/datasets/mnist (full MNIST) is absent")
    assert default_protocol("mnist", full) == "paper"
    assert default_protocol("mnist", full, n_samples=500) == "spikesim"


def test_cli_protocol_sets_the_authors_model_and_flags_override_it(tmp_path, capsys):
    from spikesim.models.lsm.cli import add_parser

    parser = argparse.ArgumentParser(prog="spikesim")
    add_parser(parser.add_subparsers(dest="command"))
    data = _tiny_mnist(tmp_path)
    base = ["lsm", "--dataset", "mnist", "--data", str(data), "--mode", "stdp", "--neurons", "27",
            "--workers", "1", "--duration-ms", "60", "--init-samples", "10", "--bf-samples", "2",
            "--readout-passes", "3", "--no-cache", "--quiet"]
    seen = {}
    for extra in ([], ["--protocol", "paper"],
                  ["--protocol", "paper", "--hop-ms", "2", "--same-step-pairs", "--readout", "ours"],
                  ["--no-init-keeps-traces", "--protocol", "paper"]):
        out = tmp_path / f"r{len(seen)}.json"
        args = parser.parse_args(base + extra + ["--json", str(out)])
        assert args.func(args) == 0
        res = json.loads(out.read_text())
        seen[" ".join(extra)] = (res["params"]["hop_ms"], res["params"]["same_step_pairs"],
                                 res["params"]["init_keeps_traces"], res["readout"]["kind"])
    assert list(seen.values()) == [(2, True, False, "ours"), (1, False, True, "paper"),
                                   (2, True, True, "ours"), (1, False, False, "paper")]
    scales = []
    for extra in (["--protocol", "paper"], ["--protocol", "paper", "--weight-scale", "0.5"], []):
        args = parser.parse_args(base + extra + ["--mode", "lsm", "--json", str(out)])
        assert args.func(args) == 0
        scales.append(json.loads(out.read_text())["params"]["weight_scale"])
    assert scales == [0.2, 0.5, 1.0]
    assert "liquid" not in capsys.readouterr().err  # --quiet: no progress bars
    loud = [a for a in base if a != "--quiet"] + ["--protocol", "paper", "--json", str(out)]
    for mode in ("stdp", "lsm"):  # the weight scale is named only where it acts
        args = parser.parse_args(loud + ["--mode", mode])
        assert args.func(args) == 0
        got = capsys.readouterr()
        line = got.out.splitlines()[0]
        assert line.startswith("spikesim lsm: protocol paper (hop_ms=1,")
        assert ("weight_scale=0.2" in line) == (mode == "lsm")
        # tqdm bars: W_INI (plastic modes only) and the liquid
        assert f"{mode} liquid" in got.err and (f"{mode} W_INI" in got.err) == (mode != "lsm")
    with pytest.raises(SystemExit):
        parser.parse_args(base + ["--protocol", "nest"])


def test_nmnist_pipeline_on_files_the_test_writes(tmp_path):
    from spikesim.datasets.nmnist import write_events
    from spikesim.models.lsm.pipeline import run_lsm

    rng = np.random.default_rng(4)
    for split, n in (("Train", 12), ("Test", 4)):
        for digit in range(2):
            d = tmp_path / split / str(digit)
            d.mkdir(parents=True)
            for k in range(n // 2):
                m = 400
                x = rng.integers(0, 17, m) + 17 * digit  # the class is the half of the sensor
                write_events(d / f"{k:05d}.bin", x, rng.integers(0, 34, m), rng.integers(0, 2, m),
                             np.sort(rng.integers(0, 60_000, m)))
    res = run_lsm("nmnist", tmp_path, "lsm", neurons=27, workers=1, duration_ms=60, n_bf=2, log=None)
    assert res["split"] == {"train": 10, "validation": 2, "test": 4}
    assert res["mean_rate_hz"] > 0 and res["baseline_raw"] is None


def test_cache_folder_opens_for_reading_after_the_fact(tmp_path):
    from spikesim.models.lsm.cache import FeatureCache

    (tmp_path / "d").mkdir()
    c = FeatureCache(tmp_path / "c", {"mode": "lsm", "seed": 3}, _tiny_mnist(tmp_path / "d"))
    counts = np.arange(12).reshape(3, 1, 4)
    c.save_block(0, 3, counts, {7: 1.5})
    c.save_w_ini({"ee": np.ones(5)}, {"ee": {"mean": 1.0}})
    o = FeatureCache.open(c.dir)
    got, bf = o.load_block(0, 3)
    np.testing.assert_array_equal(got, counts)
    assert bf == {7: 1.5} and o.load_block(3, 3) is None
    np.testing.assert_array_equal(o.load_w_ini()[0]["ee"], np.ones(5))
    with pytest.raises(FileNotFoundError, match="run_dir"):
        FeatureCache.open(tmp_path)


def test_w_ini_keeps_the_traces_from_sample_to_sample_on_request():
    """``init_keeps_traces``: W_INI samples share one trace history (the authors' code), so the
    weights differ from W_INI with the traces cleared; feature extraction (``w_ini`` given)
    clears them either way, so its counts do not depend on the option."""
    rng = np.random.default_rng(8)
    inp = [input_neuron_spikes(rng.random((30, 12)) < 0.3) for _ in range(6)]
    got = {}
    for keep in (False, True):
        P = init_params(LSMParams(grid=(3, 3, 3), input_fraction=0.5, hop_ms=1,
                                  same_step_pairs=False, init_keeps_traces=keep))
        L = Liquid(12, "nalsm", P, 3)
        got[keep] = L.initialise(inp, 30)
        F = Liquid(12, "nalsm", replace(P, lr_decay=0.99), 3)
        got[keep, "features"] = F.run_samples(inp, 30, w_ini=got[False])[0]
    assert max(np.abs(got[True][k] - got[False][k]).max(initial=0.0) for k in got[True]) > 1e-3
    np.testing.assert_array_equal(got[True, "features"], got[False, "features"])
