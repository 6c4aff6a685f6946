"""Counter-based Poisson sources (kernels/poisson_source.py): the kernel against its NumPy
twin, and the properties it gives: a rate changed by set() equals the same schedule given
up front, two sources with one key fire together, run splits and save/load change nothing."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import spikesim as ss
from spikesim.kernels.poisson_source import bernoulli_hits
from tests.reference.poisson_source import bernoulli_hits as bernoulli_hits_ref


def test_kernel_equals_twin():
    rng = np.random.default_rng(1)
    prob = rng.random((40, 257)) * 0.5
    prob[:, ::7] = 0.0
    steps = rng.integers(0, 1 << 40, 40)
    for key in (0, 1, 2**62 + 12345):
        np.testing.assert_array_equal(bernoulli_hits(np.uint64(key), steps, prob),
                                      bernoulli_hits_ref(key, steps, prob))


def test_hits_are_bernoulli_with_the_given_probability():
    prob = np.full((2000, 500), 0.02)
    hits = bernoulli_hits(np.uint64(99), np.arange(2000, dtype=np.int64), prob)
    k = int(hits.sum())
    assert stats.binomtest(k, hits.size, 0.02).pvalue > 1e-4
    # independent across neurons and steps: counts per neuron are Binomial(2000, 0.02)
    per_neuron = hits.sum(axis=0)
    assert stats.chisquare(np.bincount(per_neuron, minlength=80)[:80][
        stats.binom.pmf(np.arange(80), 2000, 0.02) * 500 > 5],
        (stats.binom.pmf(np.arange(80), 2000, 0.02) * 500)[
        stats.binom.pmf(np.arange(80), 2000, 0.02) * 500 > 5], sum_check=False).pvalue > 1e-4


def test_set_equals_schedule_and_same_key_fires_together():
    net = ss.Network(dt=1.0, seed=4)
    sched = net.add_population(50, ss.SpikeSourcePoisson(
        rate=5.0, rate_changes=([1000.0, 2000.0], [40.0, 200.0])))
    stepped = net.add_population(50, ss.SpikeSourcePoisson(rate=5.0))
    sched.rng = np.random.default_rng(123)  # one seed for both (spikesim.pynn's seed=)
    stepped.rng = np.random.default_rng(123)
    r1, r2 = net.record(sched, "spikes"), net.record(stepped, "spikes")
    net.run(1000.0)
    stepped.set(rate=40.0)
    net.run(1000.0)
    stepped.set(rate=200.0)
    net.run(1000.0)
    np.testing.assert_array_equal(r1.spikes.times, r2.spikes.times)
    np.testing.assert_array_equal(r1.spikes.senders, r2.spikes.senders)
    assert len(r1.spikes) > 10000


def test_run_splits_and_save_load_give_the_same_spikes(tmp_path):
    def build():
        net = ss.Network(dt=0.1, seed=11)
        src = net.add_population(30, ss.SpikeSourcePoisson(rate=80.0))
        return net, net.record(src, "spikes")

    net, rec = build()
    net.run(500.0)
    whole = rec.spikes.times.copy()
    net, rec = build()
    net.run(123.4)
    net.save(tmp_path / "n.h5")
    back = ss.load(tmp_path / "n.h5")
    rec2 = back.record(back.populations[0], "spikes")
    back.run(376.6)
    np.testing.assert_array_equal(np.concatenate([rec.spikes.times, rec2.spikes.times]), whole)


def test_very_high_rates_are_drawn_in_bounded_pieces_or_refused():
    """A source far above one spike per step (1e9 Hz: 1e5 spikes per 0.1 ms step) is drawn in
    blocks and kernel windows of at most MAX_EVENTS events, so memory stays bounded (it took
    the whole machine before); a rate no window can hold is refused naming the source."""
    from spikesim.sources import MAX_EVENTS

    net = ss.Network(dt=0.1, seed=1)
    src = net.add_population(3, ss.SpikeSourcePoisson(rate=[1.0, 1.0, 1e9]))
    tgt = net.add_population(2, ss.IF_curr_exp())
    net.connect(src, tgt, ss.AllToAll(), weight=1e-6)
    rec = net.record(src, "spikes")
    net.run(5.0, progress=False)
    rt = net._runtime
    per_step = rt.sources[src.index].events_per_step()
    assert per_step == pytest.approx(3e5)
    assert rt._window_steps() * per_step <= MAX_EVENTS
    assert rt.sources[src.index].block * per_step <= MAX_EVENTS
    n = rec.spikes.times.size
    assert abs(n - 5e6) < 5 * np.sqrt(5e6)  # Poisson count of 1e9 Hz x 5 ms
    big = ss.Network(dt=0.1, seed=1)
    big.add_population(1000, ss.SpikeSourcePoisson(rate=1e12), label="flood")
    with pytest.raises(ValueError, match="'flood'.*1e\\+12 Hz on 1000 neurons.*add_poisson_input"):
        big.run(1.0, progress=False)
    assert big.step == 0
