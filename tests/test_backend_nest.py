"""The NEST backend (spikesim.backends.nest.run): the network built in PyNEST fills spikesim's recorders.

Tolerances as in ``tests/test_export_pynn.py`` (same reasoning): deterministic
networks agree within one step (they agree exactly, and ``v`` of
``IF_curr_exp`` to 1e-9 mV: both integrate exactly); CUBA rates within 5 %
(here with spikesim in float32, so the two runs decorrelate early and only
statistics can agree: <= 2.5 % measured for seeds 1-3); Poisson counts within
4 standard deviations of the expected count (NEST draws its own spikes);
STDP weights equal spikesim's at NEST's pairing intervals to 1e-9.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import spikesim as ss
from spikesim.examples import cuba
from spikesim.export import ExportError

from .test_export_pynn import (DT, STDP_T, assert_spikes_within_one_step, deterministic_network,
                               spike_set, stdp_reference, stdp_toy)

pytestmark = pytest.mark.nest


@pytest.fixture(scope="module")
def nest_run():
    os.environ.setdefault("PYNEST_QUIET", "1")  # before the first import of nest
    pytest.importorskip("nest")
    from spikesim.backends.nest import run

    return run


def test_deterministic_network_same_spikes_and_v(nest_run):
    net, recs = deterministic_network()
    vrec = net.record(net.populations[1][[7, 0, 3]], ["v", "isyn_inh"], sampling_interval=0.5)
    grec = net.record(net.populations[2], ["gsyn_exc", "rate"])
    net.run(100.0)
    net2, recs2 = deterministic_network()
    vrec2 = net2.record(net2.populations[1][[7, 0, 3]], ["v", "isyn_inh"], sampling_interval=0.5)
    grec2 = net2.record(net2.populations[2], ["gsyn_exc", "rate"])
    out = nest_run(net2, 100.0)
    assert out["recorders"] == net2.recorders and net2.step == 0
    for a, b in zip(recs, recs2):
        assert_spikes_within_one_step((a.spikes.times, a.spikes.senders),
                                      (b.spikes.times, b.spikes.senders), a.population.label,
                                      exact=a.population.label != "cond")
    assert sum(len(r.spikes) for r in recs2[1:]) > 20
    np.testing.assert_array_equal(vrec.v.times, vrec2.v.times)
    np.testing.assert_allclose(vrec2.v.values, vrec.v.values, rtol=0, atol=1e-9)
    np.testing.assert_allclose(vrec2.isyn_inh.values, vrec.isyn_inh.values, rtol=0, atol=1e-9)
    # conductance cells: RK45 in NEST, spikesim's exponential scheme; same spikes, close traces
    np.testing.assert_allclose(grec2.gsyn_exc.values, grec.gsyn_exc.values, rtol=0, atol=1e-6)
    assert grec2.rate.counts.shape == grec.rate.counts.shape
    assert grec2.rate.counts.sum() == grec.rate.counts.sum()


def test_cuba_rates_match(nest_run):
    net, recs = cuba(n_neurons=1600, seed=1)  # float32 spikesim
    net.run(1000.0)
    net2, recs2 = cuba(n_neurons=1600, seed=1)
    nest_run(net2, 1000.0)
    for a, b in zip(recs, recs2):
        n = a.population.size
        ours, theirs = len(a.spikes) / n, len(b.spikes) / n
        assert ours > 2.0
        assert abs(theirs / ours - 1.0) < 0.05, (a.population.label, ours, theirs)


def test_poisson_start_duration_rate_changes(nest_run):
    net = ss.Network(dt=DT, seed=4)
    rates = np.array([[20.0] * 100 + [60.0] * 100, [5.0] * 200])
    pop = net.add_population(200, ss.SpikeSourcePoisson(rate=40.0, start=50.0, duration=550.0,
                                                        rate_changes=([250.0, 450.0], rates)), label="p")
    hom = net.add_population(300, ss.SpikeSourcePoisson(rate=30.0), label="hom")
    post = net.add_population(1, ss.IF_curr_exp(), label="post")
    net.connect(hom, post, ss.AllToAll(), weight=0.001)
    rec, rec_h = net.record(pop, "spikes"), net.record(hom, ["spikes", "rate"])
    nest_run(net, 700.0, seed=11)
    t, s = rec.spikes.times, rec.spikes.senders
    for (lo, hi), sel, rate in [((0, 50), slice(0, 200), 0.0), ((50, 250), slice(0, 200), 40.0),
                                ((250, 450), slice(0, 100), 20.0), ((250, 450), slice(100, 200), 60.0),
                                ((450, 600), slice(0, 200), 5.0), ((600, 700), slice(0, 200), 0.0)]:
        idx = np.arange(200)[sel]
        n = np.sum((t > lo) & (t <= hi) & np.isin(s, idx))
        expect = rate * idx.size * (hi - lo) * 1e-3
        assert abs(n - expect) <= 4.0 * np.sqrt(max(expect, 1.0)), ((lo, hi), rate, n, expect)
    # one generator relayed by 300 parrots: independent trains, not copies
    trains = rec_h.spikes.trains()
    assert len(set(tuple(x) for x in trains)) > 290
    expect = 30.0 * 300 * 0.7
    assert abs(len(rec_h.spikes) - expect) <= 4.0 * np.sqrt(expect)
    assert rec_h.rate.counts.sum() == len(rec_h.spikes)


@pytest.mark.parametrize("multiplicative", [False, True])
def test_pair_stdp_weights(nest_run, multiplicative):
    w0, w_ss, w_ref, post_rec = stdp_reference(multiplicative)
    net, proj, recs = stdp_toy(multiplicative)
    out = nest_run(net, STDP_T)
    w_nest = out["weights"][proj.index]
    assert spike_set(recs[2].spikes.times, recs[2].spikes.senders) == \
        spike_set(post_rec.spikes.times, post_rec.spikes.senders)
    np.testing.assert_allclose(w_nest, w_ref, rtol=0, atol=1e-9)
    assert (np.sign(w_nest - w0) == np.sign(w_ss - w0)).all()
    np.testing.assert_array_equal(proj.weight, w0)  # the network itself is not advanced


def test_refusals(nest_run):
    from spikesim.backends import run as backend_run

    net, _ = deterministic_network()
    net.run(1.0)
    with pytest.raises(RuntimeError, match="already run"):
        nest_run(net, 10.0)
    net, _ = deterministic_network()
    backend_run(net, 5.0, backend="nest")
    with pytest.raises(RuntimeError, match="already hold data"):
        nest_run(net, 5.0)
    with pytest.raises(ValueError, match="backend"):
        backend_run(net, 5.0, backend="brian3")
    net = ss.Network(dt=DT, seed=1)
    pre = net.add_population(3, ss.SpikeSourcePoisson(rate=5.0), label="pre")
    post = net.add_population(3, ss.IF_curr_exp(), label="post")
    net.connect(pre, post, ss.AllToAll(), weight=0.1,
                synapse=ss.STDP(ss.TripletRule(), ss.AdditiveWeightDependence(0.0, 1.0)))
    with pytest.raises(ExportError) as exc:
        nest_run(net, 10.0)
    assert exc.value.rule == "triplet-stdp"
    with pytest.raises(ValueError):
        nest_run(ss.Network(dt=DT), 10.05)


def test_nest_loaded_first_gives_one_thread_and_a_warning_not_a_crash():
    """NEST's wheel has its own OpenMP runtime: if NEST is imported before spikesim starts
    Numba's threads, spikesim runs on one thread (and warns) instead of letting NEST's next
    ResetKernel crash the process. In a fresh interpreter, as a user's script would be."""
    import subprocess
    import sys

    pytest.importorskip("nest")
    code = """
import os, warnings
os.environ["PYNEST_QUIET"] = "1"
import nest
import spikesim as ss
from spikesim.backends.nest import run
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    net = ss.Network(dt=0.1, threads=2)
    pop = net.add_population(100, ss.IF_curr_exp(i_offset=1.0))
    net.run(1.0, progress=False)
print("parts", net._runtime.n_parts, any("one thread" in str(x.message) for x in w))
net2 = ss.Network(dt=0.1)
net2.add_population(3, ss.IF_curr_exp(i_offset=1.0))
run(net2, 5.0)
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "parts 1 True" in r.stdout and "ok" in r.stdout
