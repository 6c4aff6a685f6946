"""AdEx neurons (EIF_cond_exp_isfa_ista, EIF_cond_alpha_isfa_ista) against NEST's aeif_cond_exp and
aeif_cond_alpha (spikesim.backends.nest.run), robustness and validation.

NEST integrates with GSL's adaptive RKF45 (tolerance 1e-6), spikesim with
sub-stepped RK4 (0.01 ms): the four firing patterns of Naud et al. (2008),
Biol. Cybern. 99:335, Table 1, driven by a DC step over 1 s, give the same
number of spikes with every spike within one step of NEST's.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import spikesim as ss

DT = 0.1
MODELS = [ss.EIF_cond_exp_isfa_ista, ss.EIF_cond_alpha_isfa_ista]
# Naud et al. 2008, Table 1: C (pF), g_L (nS), E_L, V_T (mV), Delta_T (mV), a (nS), tau_w (ms),
# b (pA), V_r (mV), I (pA)
NAUD = {"tonic": (200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
        "adaptation": (200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
        "initial_burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
        "regular_bursting": (200, 10, -58, -50, 2, 2, 120, 100, -46, 210)}


def naud_cell(cls, pattern):
    C, gL, EL, VT, dT, a, tw, b, Vr, _ = NAUD[pattern]
    return cls(cm=C / 1000.0, tau_m=C / gL, v_rest=EL, v_thresh=VT, delta_T=dT, a=a, tau_w=tw,
               b=b / 1000.0, v_reset=Vr, v_spike=0.0, tau_refrac=0.0)


@pytest.fixture(scope="module")
def nest_run():
    os.environ.setdefault("PYNEST_QUIET", "1")
    pytest.importorskip("nest")
    from spikesim.backends.nest import run

    return run


def naud_network(cls):
    net = ss.Network(dt=DT, seed=1, dtype="float64")
    recs = {}
    for name in NAUD:
        pop = net.add_population(1, naud_cell(cls, name), label=name)
        ss.DCSource(amplitude=NAUD[name][-1] / 1000.0, start=100.0, stop=1100.0).inject_into(pop)
        recs[name] = net.record(pop, ["spikes", "v", "w"], sampling_interval=1.0)
    return net, recs


def _steps(rec):
    return np.rint(rec.spikes.times / DT).astype(np.int64)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_naud_patterns_within_one_step_of_nest(nest_run, cls):
    net, recs = naud_network(cls)
    net.run(1200.0)
    net2, recs2 = naud_network(cls)
    nest_run(net2, 1200.0)
    for name in NAUD:
        ours, theirs = _steps(recs[name]), _steps(recs2[name])
        assert ours.size >= 5, (name, ours.size)
        assert ours.size == theirs.size, (name, ours.size, theirs.size)
        assert np.abs(ours - theirs).max() <= 1, (name, ours, theirs)
        assert (ours > 1000).all() and (ours <= 11000).all()   # only while the current flows
        w = recs[name].w.values
        assert np.isfinite(w).all() and np.isfinite(recs[name].v.values).all()
    # the patterns differ as the paper says: tonic settles to a regular rhythm, adaptation
    # lengthens the intervals, bursting alternates short and long ones
    isi = np.diff(_steps(recs["tonic"]))
    assert abs(int(isi[-1]) - int(isi[-2])) <= 1 and isi.max() < 1.2 * isi.min()
    isi = np.diff(_steps(recs["adaptation"]))
    assert isi[-1] > 2 * isi[0]
    isi = np.diff(_steps(recs["regular_bursting"]))
    assert isi.max() > 5 * isi.min()                            # bursts: short and long intervals


def synaptic_network(cls):
    net = ss.Network(dt=DT, seed=2, dtype="float64")
    post = net.add_population(3, cls(i_offset=[0.3, 0.5, 0.7], tau_syn_E=[2.0, 5.0, 3.0],
                                     tau_refrac=[0.0, 2.0, 0.5]), label="post")
    rng = np.random.default_rng(3)
    src = net.add_population(8, ss.SpikeSourceArray([np.unique(np.round(rng.uniform(1, 200, 40), 1))
                                                     for _ in range(8)]), label="src")
    net.connect(src[:6], post, ss.AllToAll(), weight=ss.RandomDistribution("uniform", low=0.002, high=0.01),
                delay=ss.RandomDistribution("uniform", low=0.1, high=2.0))
    net.connect(src[6:], post, ss.AllToAll(), weight=0.02, receptor_type="inhibitory", delay=0.5)
    rec = net.record(post, ["spikes", "v", "gsyn_exc", "gsyn_inh", "w"], sampling_interval=0.5)
    return net, rec


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_synaptic_input_matches_nest(nest_run, cls):
    net, rec = synaptic_network(cls)
    net.run(200.0)
    net2, rec2 = synaptic_network(cls)
    nest_run(net2, 200.0)
    assert len(rec.spikes) > 10
    assert len(rec.spikes) == len(rec2.spikes)
    for n in range(3):
        a = np.rint(rec.spikes.times[rec.spikes.senders == n] / DT)
        b = np.rint(rec2.spikes.times[rec2.spikes.senders == n] / DT)
        assert a.size == b.size and np.abs(a - b).max(initial=0) <= 1, (n, a, b)
    # conductances: exact here, RKF45 in NEST
    np.testing.assert_allclose(rec2.gsyn_exc.values, rec.gsyn_exc.values, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(rec2.gsyn_inh.values, rec.gsyn_inh.values, rtol=1e-5, atol=1e-8)
    assert rec.gsyn_inh.values.max() > 0.005


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_driven_very_hard_stays_finite(cls, dtype):
    """Huge currents, huge conductances, v above v_spike at the start, no refractoriness."""
    net = ss.Network(dt=DT, seed=4, dtype=dtype)
    pop = net.add_population(4, cls(i_offset=[1e4, -1e4, 50.0, 0.0], tau_refrac=0.0,
                                    delta_T=[0.5, 2.0, 2.0, 0.5], v_spike=[20.0, -40.0, 0.0, 10.0]),
                             initial_v=[1e3, -1e3, -40.0, 5.0])
    src = net.add_population(2, ss.SpikeSourcePoisson(rate=2000.0))
    net.connect(src[:1], pop, ss.AllToAll(), weight=50.0)
    net.connect(src[1:], pop, ss.AllToAll(), weight=50.0, receptor_type="inhibitory")
    rec = net.record(pop, ["spikes", "v", "w", "gsyn_exc"])
    net.run(20.0)
    for var in ("v", "w", "gsyn_exc"):
        assert np.isfinite(getattr(rec, var).values).all(), var
    assert len(rec.spikes) > 0


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kw, match", [
    (dict(delta_T=0.0), "delta_T"), (dict(delta_T=-1.0), "delta_T"), (dict(tau_w=0.0), "tau_w"),
    (dict(cm=-0.1), "cm"), (dict(tau_m=0.0), "tau_m"), (dict(tau_syn_E=0.0), "tau_syn_E"),
    (dict(tau_refrac=-1.0), "tau_refrac"), (dict(a=np.nan), "a"),
    (dict(v_reset=-30.0), "v_reset must be below v_spike"),
    (dict(v_thresh=-30.0), "v_thresh must not exceed v_spike"),
    (dict(delta_T=0.01, v_spike=0.0), "delta_T=0.01 mV is too small")])
def test_bad_parameters(cls, kw, match):
    with pytest.raises(ValueError, match=match):
        ss.Network(dt=DT).add_population(2, cls(**kw))


def test_defaults_are_pynn():
    from pyNN.standardmodels import cells

    for cls in MODELS:
        ref = getattr(cells, cls.__name__)
        assert cls().parameters == ref.default_parameters
        net = ss.Network(dt=DT)
        pop = net.add_population(1, cls())
        for var, val in ref.default_initial_values.items():
            assert pop._state(var)[0] == pytest.approx(val)


def test_through_spikesim_pynn():
    import spikesim.pynn as sim

    sim.setup(timestep=0.1)
    pops = [sim.Population(3, getattr(sim, cls.__name__)(i_offset=[0.8, 1.2, 2.0]))
            for cls in MODELS]
    for p in pops:
        p.record(["spikes", "w"])
    sim.run(100.0)
    counts = [[len(st) for st in p.get_data().segments[0].spiketrains] for p in pops]
    sim.end()
    for c in counts:
        assert 0 < c[0] < c[1] < c[2]
