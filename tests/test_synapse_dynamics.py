"""Synapse dynamics (spikesim.synapses): Tsodyks-Markram against NEST, stochastic release
against its binomial statistics, bad input, save/load and reset."""
from __future__ import annotations

import os

import numpy as np
import pytest

import spikesim as ss

SPIKES = [2.0, 7.5, 9.0, 15.0, 16.1, 30.0, 31.0, 32.0, 80.0, 81.5, 200.0, 203.0]


def _net(dynamic, n_post=3, seed=1):
    """One irregular spike train onto ``n_post`` current-based neurons through ``dynamic``."""
    net = ss.Network(dt=0.1, seed=seed, dtype="float64")
    src = net.add_population(1, ss.SpikeSourceArray([SPIKES]))
    post = net.add_population(n_post, ss.IF_curr_exp(tau_syn_E=3.0, tau_m=10.0, v_thresh=100.0))
    proj = net.connect(src, post, ss.AllToAll(), weight=0.5, delay=1.0, synapse=dynamic)
    rec = net.record(post, "isyn_exc")
    return net, proj, rec


def _release_reference(dynamic_params, variant, times):
    """Transmitted factor per spike, from the published update equations in plain Python."""
    U, tau_rec, tau_fac = dynamic_params["U"], dynamic_params["tau_rec"], dynamic_params["tau_facil"]
    out, last = [], 0.0
    if variant == "tsodyks":
        tau_psc = dynamic_params["tau_psc"]
        u, x, y = 0.0, 1.0, 0.0
        for t in times:
            h = t - last
            z = 1 - x - y
            pzz, pyy = np.exp(-h / tau_rec), np.exp(-h / tau_psc)
            pxy = ((pzz - 1) * tau_rec - (pyy - 1) * tau_psc) / (tau_psc - tau_rec)
            u = u * (np.exp(-h / tau_fac) if tau_fac else 0.0)
            x, y = x + pxy * y + (1 - pzz) * z, y * pyy
            u += U * (1 - u)
            d = u * x
            x, y = x - d, y + d
            out.append(d)
            last = t
    else:  # the first spike finds x = 1, u = U
        u, x = U, 1.0
        for n, t in enumerate(times):
            if n:
                h = t - last
                x = 1 + (x - x * u - 1) * np.exp(-h / tau_rec)
                u = U + u * (1 - U) * (np.exp(-h / tau_fac) if tau_fac else 0.0)
            out.append(u * x)
            last = t
    return np.array(out)


@pytest.mark.parametrize("variant, params", [
    ("tsodyks", dict(U=0.5, tau_rec=100.0, tau_facil=0.0, tau_psc=3.0)),
    ("tsodyks", dict(U=0.1, tau_rec=50.0, tau_facil=200.0, tau_psc=3.0)),
    ("tsodyks2", dict(U=0.3, tau_rec=120.0, tau_facil=40.0)),
])
def test_efficacies_follow_the_equations(variant, params):
    """The current jump at each arrival is ``w`` times the factor of the published recursion."""
    dyn = (ss.TsodyksMarkram(**params) if variant == "tsodyks"
           else ss.Tsodyks2(**params))
    net, proj, rec = _net(dyn)
    net.run(250.0)
    i = rec.isyn_exc.values[:, 0]
    t = np.rint(rec.isyn_exc.times / 0.1).astype(int)
    # a spike at T (ms) arrives after the 1 ms delay: the current jumps in the step ending at
    # T + 1, the sample stamped T + 1
    jumps = []
    decay = np.exp(-0.1 / 3.0)
    for T in SPIKES:
        k = int(round((T + 1.0) / 0.1))
        a, b = np.flatnonzero(t == k - 1)[0], np.flatnonzero(t == k)[0]
        jumps.append(i[b] - i[a] * decay)
    want = 0.5 * _release_reference(params, variant, np.array(SPIKES))
    np.testing.assert_allclose(jumps, want, rtol=1e-9, atol=1e-12)
    assert want.min() < 0.7 * want.max()  # the dynamics really changed the efficacy


def test_tau_psc_defaults_to_the_target_tau_syn():
    net, proj, _ = _net(ss.TsodyksMarkram(U=0.4))
    assert np.all(proj.get_dynamics("tau_psc") == 3.0)
    # per-neuron tau_syn_E: each synapse takes its own target's
    net = ss.Network(dt=0.1)
    src = net.add_population(2, ss.SpikeSourcePoisson(rate=1.0))
    post = net.add_population(3, ss.IF_curr_exp(tau_syn_E=[1.0, 2.0, 4.0]))
    j = net.connect(src, post, ss.AllToAll(), weight=0.1, synapse=ss.TsodyksMarkram())
    np.testing.assert_array_equal(j.get_dynamics("tau_psc"), [1.0, 2.0, 4.0] * 2)


@pytest.mark.nest
@pytest.mark.parametrize("variant", ["tsodyks", "tsodyks2"])
def test_tsodyks_on_nest_equals_spikesim(variant):
    """NEST's tsodyks_synapse / tsodyks2_synapse driven by the same spikes: currents to 1e-9 nA.

    Per-synapse U and tau_rec (heterogeneous), facilitation on.
    """
    os.environ.setdefault("PYNEST_QUIET", "1")
    pytest.importorskip("nest")
    from spikesim.backends.nest import run

    U = np.array([0.2, 0.5, 0.8])
    tau_rec = np.array([30.0, 100.0, 400.0])

    def build():
        dyn = (ss.TsodyksMarkram(U=U, tau_rec=tau_rec, tau_facil=60.0) if variant == "tsodyks"
               else ss.Tsodyks2(U=U, tau_rec=tau_rec, tau_facil=60.0))
        return _net(dyn)

    net, _, rec = build()
    net.run(250.0)
    net2, _, rec2 = build()
    run(net2, 250.0)
    a, b = rec.isyn_exc.values, rec2.isyn_exc.values
    assert a.shape == b.shape and np.abs(a).max() > 0.1
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-9)
    # the three synapses differ (per-synapse parameters reached both simulators)
    assert np.ptp(a.max(axis=0)) > 0.05


def test_stochastic_release_is_binomial_and_thread_independent():
    """Each spike passes with probability p: counts over many synapses and spikes are
    binomial (within 4 s.d.), and the draw is the same with one or two threads."""
    p, n_post, n_spk = 0.3, 400, 50
    times = list(np.arange(1, n_spk + 1) * 4.0)

    def run(threads):
        net = ss.Network(dt=0.1, seed=7, threads=threads, dtype="float64")
        src = net.add_population(1, ss.SpikeSourceArray([times]))
        post = net.add_population(n_post, ss.IF_curr_exp(tau_syn_E=0.5, v_thresh=1e3))
        net.connect(src, post, ss.AllToAll(), weight=1.0, synapse=ss.SimpleStochastic(p=p))
        rec = net.record(post, "isyn_exc")
        net.run(n_spk * 4.0 + 2.0)
        return rec.isyn_exc.values

    vals = run(1)
    # a transmitted spike makes the current jump by 1 nA in its arrival step
    jumps = np.diff(vals, axis=0) > 0.5
    n = jumps.sum()
    mean, sd = p * n_post * n_spk, np.sqrt(n_post * n_spk * p * (1 - p))
    assert abs(n - mean) < 4 * sd
    per_synapse = jumps.sum(axis=0)
    assert per_synapse.std() > 0  # synapses draw independently
    np.testing.assert_array_equal(vals, run(2))


@pytest.mark.parametrize("make, match", [
    (lambda: ss.TsodyksMarkram(U=0.0), r"TsodyksMarkram\.U must lie in \(0, 1\], got 0.0"),
    (lambda: ss.TsodyksMarkram(U=1.5), r"TsodyksMarkram\.U"),
    (lambda: ss.TsodyksMarkram(tau_rec=0.0), r"TsodyksMarkram\.tau_rec"),
    (lambda: ss.TsodyksMarkram(tau_rec=-5.0), r"TsodyksMarkram\.tau_rec"),
    (lambda: ss.TsodyksMarkram(tau_facil=-1.0), r"TsodyksMarkram\.tau_facil"),
    (lambda: ss.TsodyksMarkram(tau_psc=np.nan), r"TsodyksMarkram\.tau_psc"),
    (lambda: ss.Tsodyks2(U=-0.1), r"Tsodyks2\.U"),
    (lambda: ss.SimpleStochastic(p=1.2), r"SimpleStochastic\.p must lie in \[0, 1\], got 1.2"),
    (lambda: ss.SimpleStochastic(p=-0.01), r"SimpleStochastic\.p"),
])
def test_bad_parameters_are_refused_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_per_synapse_values_are_refused_and_nothing_is_added():
    net = ss.Network(dt=0.1, seed=1)
    a = net.add_population(2, ss.SpikeSourcePoisson(rate=5.0))
    b = net.add_population(3, ss.IF_curr_exp())
    with pytest.raises(ValueError, match=r"TsodyksMarkram\.U needs a scalar or 6 values"):
        net.connect(a, b, ss.AllToAll(), weight=0.1, synapse=ss.TsodyksMarkram(U=[0.5, 0.2]))
    with pytest.raises(ValueError, match=r"TsodyksMarkram\.U must lie in \(0, 1\]"):
        net.connect(a, b, ss.AllToAll(), weight=0.1,
                    synapse=ss.TsodyksMarkram(U=ss.RandomDistribution("uniform", low=0.5, high=2.0)))
    with pytest.raises(TypeError, match="synapse must be"):
        net.connect(a, b, ss.AllToAll(), weight=0.1, synapse="tsodyks")
    assert net.projections == []


def test_save_load_continue_and_reset_state(tmp_path):
    """The per-synapse state is part of a network file; run(a); save; load; run(b) == run(a + b);
    reset_state() returns the state to its initial values."""
    dyn = ss.TsodyksMarkram(U=ss.RandomDistribution("uniform", low=0.2, high=0.8), tau_rec=80.0,
                            tau_facil=30.0)
    net, proj, rec = _net(dyn, seed=3)
    net.run(100.0)
    path = tmp_path / "tm.h5"
    ss.io.save(net, path)
    net.run(150.0)
    other = ss.load(path)
    rec2 = other.record(other.populations[1], "isyn_exc")
    other.run(150.0)
    np.testing.assert_array_equal(rec2.isyn_exc.values, rec.isyn_exc.values[-1500:])
    np.testing.assert_array_equal(other.projections[0].get_dynamics("x"), proj.get_dynamics("x"))
    assert type(other.projections[0].dynamics) is ss.TsodyksMarkram
    net.reset_state()
    assert np.all(proj.get_dynamics("x") == 1.0) and np.all(proj.get_dynamics("u") == 0.0)
