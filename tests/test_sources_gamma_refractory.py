"""SpikeSourceGamma and SpikeSourcePoissonRefractory against their closed forms.

Statistics (seeded, so each check is deterministic; tolerances are what a correct
source passes with room and a wrong one cannot):

- mean rate: the spike count of ``n`` neurons over ``T`` against ``n T r`` within 4
  standard deviations of a renewal count (variance ``n T r CV^2``);
- ISI distribution: a Kolmogorov-Smirnov distance against the closed-form CDF put
  on the grid. A spike at continuous ``t`` is stamped at the end of step
  ``floor(t / dt)``, so with a uniform phase an interval of ``k`` steps has the CDF
  ``G(k) = (1/dt) * integral of F over [k dt, (k+1) dt]`` (``F``: gamma /
  shifted exponential, scipy.stats). ``kstwo`` gives the p-value (conservative for a
  discrete law); each test also shows the power: the same intervals against a
  wrong law with the same mean are rejected;
- coefficient of variation: ``1/sqrt(alpha)`` (gamma), ``1 - rate tau_refrac``
  (dead time), within 0.02;
- no interval below ``tau_refrac`` (a multiple of dt here).
"""
from __future__ import annotations

import numpy as np
import pytest

import spikesim as ss
from spikesim.export import ExportError
from spikesim.export.pynn_script import to_pynn_script

scipy_stats = pytest.importorskip("scipy.stats")

DT = 0.1
N, T = 200, 2000.0  # neurons, ms: ~20,000 spikes at 50 Hz


def _run(celltype, durations=(T,), n=N, seed=11, dt=DT):
    net = ss.Network(dt=dt, seed=seed)
    pop = net.add_population(n, celltype)
    rec = net.record(pop, "spikes")
    for d in durations:
        net.run(d)
    return net, pop, rec


def _isi_steps(rec, dt=DT) -> np.ndarray:
    """Intervals (whole steps) between consecutive spikes of each neuron."""
    steps = np.rint(rec.spikes.times / dt).astype(np.int64) - 1
    senders = rec.spikes.senders
    order = np.lexsort((steps, senders))
    s, i = steps[order], senders[order]
    same = i[1:] == i[:-1]
    return (s[1:] - s[:-1])[same]


def _grid_cdf(cdf, k: np.ndarray, dt=DT, m=64) -> np.ndarray:
    """P(interval <= k steps) for a continuous CDF put on the grid (uniform phase)."""
    u = (np.arange(m) + 0.5) / m
    return cdf((k[:, None] + u[None, :]) * dt).mean(axis=1)


def _ks(isi: np.ndarray, cdf) -> tuple[float, float]:
    """Kolmogorov-Smirnov distance and p-value of whole-step intervals against ``cdf`` (ms)."""
    k = np.arange(isi.max() + 1)
    ecdf = np.cumsum(np.bincount(isi, minlength=k.shape[0])) / isi.shape[0]
    d = float(np.max(np.abs(ecdf - _grid_cdf(cdf, k))))
    return d, float(scipy_stats.kstwo.sf(d, isi.shape[0]))


def _rate_z(rec, rate: float, cv: float, n=N, t=T) -> float:
    expected = n * t * 1e-3 * rate
    return (len(rec.spikes) - expected) / np.sqrt(expected * cv ** 2)


# ---------------------------------------------------------------------------- statistics
def test_gamma_rate_isi_distribution_and_cv():
    alpha, beta = 3.0, 150.0  # 50 Hz, mean interval 20 ms, CV 0.577
    _, _, rec = _run(ss.SpikeSourceGamma(alpha=alpha, beta=beta))
    z = _rate_z(rec, beta / alpha, 1 / np.sqrt(alpha))
    assert abs(z) < 4, z
    isi = _isi_steps(rec)
    assert isi.shape[0] > 15000 and isi.min() >= 1
    d, p = _ks(isi, lambda x: scipy_stats.gamma.cdf(x, alpha, scale=1000.0 / beta))
    assert p > 1e-3, (d, p)
    cv = isi.std() / isi.mean()
    assert abs(cv - 1 / np.sqrt(alpha)) < 0.02, cv
    # power: the same intervals against a gamma of the same mean but alpha = 2 are rejected
    d_wrong, p_wrong = _ks(isi, lambda x: scipy_stats.gamma.cdf(x, 2.0, scale=1000.0 / 100.0))
    assert p_wrong < 1e-6 and d_wrong > 3 * d, (d_wrong, d)


def test_gamma_real_shape_and_alpha_one_is_poisson():
    for alpha, beta in ((2.5, 100.0), (1.0, 40.0)):
        _, _, rec = _run(ss.SpikeSourceGamma(alpha=alpha, beta=beta), n=100, seed=4)
        isi = _isi_steps(rec)
        d, p = _ks(isi, lambda x: scipy_stats.gamma.cdf(x, alpha, scale=1000.0 / beta))
        assert p > 1e-3, (alpha, d, p)
        assert abs(_rate_z(rec, beta / alpha, 1 / np.sqrt(alpha), n=100)) < 4


def test_refractory_rate_isi_distribution_cv_and_dead_time():
    rate, tau = 80.0, 4.0  # mean interval 12.5 ms = 4 ms dead + 8.5 ms exponential; CV 0.68
    _, _, rec = _run(ss.SpikeSourcePoissonRefractory(rate=rate, tau_refrac=tau))
    cv_expected = 1 - rate * tau * 1e-3
    assert abs(_rate_z(rec, rate, cv_expected)) < 4
    isi = _isi_steps(rec)
    assert isi.shape[0] > 25000
    assert isi.min() * DT >= tau - 1e-9  # no interval below the dead time
    scale = 1000.0 / rate - tau
    d, p = _ks(isi, lambda x: scipy_stats.expon.cdf(x, loc=tau, scale=scale))
    assert p > 1e-3, (d, p)
    cv = isi.std() / isi.mean()
    assert abs(cv - cv_expected) < 0.02, cv
    # power: a plain Poisson process of the same rate is rejected
    d_wrong, p_wrong = _ks(isi, lambda x: scipy_stats.expon.cdf(x, scale=1000.0 / rate))
    assert p_wrong < 1e-6 and d_wrong > 3 * d, (d_wrong, d)


def test_refractory_without_dead_time_is_poisson():
    _, _, rec = _run(ss.SpikeSourcePoissonRefractory(rate=30.0), n=150, seed=8)
    isi = _isi_steps(rec)
    d, p = _ks(isi, lambda x: scipy_stats.expon.cdf(x, scale=1000.0 / 30.0))
    assert p > 1e-3, (d, p)
    assert abs(isi.std() / isi.mean() - 1.0) < 0.03


def test_processes_start_stationary():
    """Spikes right after start come at the mean rate: no dead time or gamma build-up at t = 0
    (a process started at a spike would give no spikes at all in the first 4 ms here)."""
    n, window = 4000, 4.0
    for ct, rate in ((ss.SpikeSourcePoissonRefractory(rate=80.0, tau_refrac=4.0), 80.0),
                     (ss.SpikeSourceGamma(alpha=5, beta=250.0, start=50.0), 50.0)):
        start = ct.parameters["start"]
        _, _, rec = _run(ct, durations=(start + window,), n=n, seed=2)
        e = n * window * 1e-3 * rate
        assert abs(len(rec.spikes) - e) < 4 * np.sqrt(e), (type(ct).__name__, len(rec.spikes), e)


def test_start_duration_and_silent_sources():
    _, _, rec = _run(ss.SpikeSourceGamma(alpha=2, beta=[200.0] * 10 + [0.0] * 10, start=100.0,
                                         duration=[50.0] * 5 + [np.inf] * 15), durations=(400.0,),
                     n=20)
    t, s = rec.spikes.times, rec.spikes.senders
    assert t.min() > 100.0 and (s < 10).all()  # beta = 0: silent
    assert (t[s < 5] <= 150.0 + DT + 1e-9).all() and (t[(s >= 5) & (s < 10)] > 200.0).any()
    _, _, rec = _run(ss.SpikeSourcePoissonRefractory(rate=0.0, tau_refrac=3.0), durations=(100.0,),
                     n=5)
    assert len(rec.spikes) == 0


# ---------------------------------------------------------------------------- run splits, set, reset, io
CELLS = [lambda: ss.SpikeSourceGamma(alpha=[2, 3, 4, 5] * 10, beta=300.0, start=20.0),
         lambda: ss.SpikeSourcePoissonRefractory(rate=120.0, tau_refrac=np.linspace(0, 6, 40))]


def _spikes(rec):
    return rec.spikes.times.copy(), rec.spikes.senders.copy()


@pytest.mark.parametrize("make", CELLS, ids=["gamma", "refractory"])
def test_run_split_equals_one_run(make):
    whole = _spikes(_run(make(), durations=(1500.0,), n=40)[2])
    split = _spikes(_run(make(), durations=(0.1, 333.3, 7.0, 1159.6), n=40)[2])
    assert whole[0].shape[0] > 3000
    np.testing.assert_array_equal(whole[0], split[0])
    np.testing.assert_array_equal(whole[1], split[1])
    other = _spikes(_run(make(), durations=(1500.0,), n=40, seed=12)[2])
    assert not np.array_equal(whole[0][:100], other[0][:100])  # the seed matters


@pytest.mark.parametrize("make", CELLS, ids=["gamma", "refractory"])
def test_save_load_continues_bit_identically(make, tmp_path):
    ref_net, ref_pop, ref_rec = _run(make(), durations=(200.0,), n=40)
    ref_pop.set(start=0.0)
    ref_net.run(700.0)
    net, pop, rec = _run(make(), durations=(200.0,), n=40)
    pop.set(start=0.0)  # restart pending: the file holds no next_t, only the floor
    net.run(100.0)
    net.save(tmp_path / "a.h5")
    first = _spikes(rec)
    b = ss.load(tmp_path / "a.h5")
    b.save(tmp_path / "b.h5")  # and again, with the processes mid-flight
    c = ss.load(tmp_path / "b.h5")
    rc = c.record(c.populations[0], "spikes")
    c.run(600.0)
    got = (np.concatenate([first[0], rc.spikes.times]), np.concatenate([first[1], rc.spikes.senders]))
    want = _spikes(ref_rec)
    assert want[0].shape[0] > 1000
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_saved_mid_run_state_round_trips(tmp_path):
    net, pop, rec = _run(CELLS[0](), durations=(250.0,), n=40)
    net.save(tmp_path / "n.h5")
    ev = net._runtime.sources[pop.index]
    loaded = ss.load(tmp_path / "n.h5")
    ev2 = loaded._runtime.sources[0]
    np.testing.assert_array_equal(ev.next_t, ev2.next_t)
    assert (ev.next_block, ev.floor) == (ev2.next_block, ev2.floor)


def test_set_restarts_from_now_with_new_parameters():
    net, pop, rec = _run(ss.SpikeSourcePoissonRefractory(rate=20.0, tau_refrac=2.0),
                         durations=(500.0,))
    before = len(rec.spikes)
    pop.set(rate=100.0, tau_refrac=5.0)
    net.run(500.0)
    t = rec.spikes.times
    after = t[t > 500.0]
    assert abs(before - N * 0.5 * 20.0) < 4 * np.sqrt(N * 0.5 * 20.0)
    assert abs(after.shape[0] - N * 0.5 * 100.0) < 4 * np.sqrt(N * 0.5 * 100.0 * 0.25)
    isi = _isi_steps(rec)
    # intervals wholly after the change respect the new dead time
    s = np.rint(rec.spikes.times / DT).astype(np.int64) - 1
    order = np.lexsort((s, rec.spikes.senders))
    ss_, ii = s[order], rec.spikes.senders[order]
    late = (ii[1:] == ii[:-1]) & (ss_[:-1] >= 5000)
    assert ((ss_[1:] - ss_[:-1])[late] >= 50).all() and isi.min() >= 20
    # a view: only its neurons change
    pop[:100].set(rate=0.0)
    net.run(300.0)
    t, snd = rec.spikes.times, rec.spikes.senders
    assert not (snd[t > 1000.0 + DT] < 100).any() and (snd[t > 1000.0] >= 100).sum() > 1000


def test_reset_replays_from_zero_with_new_draws():
    net, pop, rec = _run(ss.SpikeSourceGamma(alpha=4, beta=200.0), durations=(300.0,), n=50)
    first = _spikes(rec)
    net.reset()
    net.run(300.0)
    t = rec.spikes.times[first[0].shape[0]:]
    assert t.min() < 50.0 and t.max() <= 300.0
    assert abs(t.shape[0] - first[0].shape[0]) < 4 * np.sqrt(50 * 0.3 * 50 / 4) * 1.5
    assert not np.array_equal(t, first[0][:t.shape[0]])


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls, kwargs, words", [
    (ss.SpikeSourceGamma, dict(alpha=0.5), ["alpha", ">= 1", "0.5"]),
    (ss.SpikeSourceGamma, dict(alpha=[2, 0.0]), ["alpha", "0.0"]),
    (ss.SpikeSourceGamma, dict(beta=-1.0), ["beta", "-1.0"]),
    (ss.SpikeSourceGamma, dict(beta=np.nan), ["beta", "finite"]),
    (ss.SpikeSourceGamma, dict(start=-5.0), ["start", "-5.0"]),
    (ss.SpikeSourceGamma, dict(duration=-1.0), ["duration", "-1.0"]),
    (ss.SpikeSourcePoissonRefractory, dict(rate=-3.0), ["rate", "-3.0"]),
    (ss.SpikeSourcePoissonRefractory, dict(tau_refrac=-1.0), ["tau_refrac", "-1.0"]),
    (ss.SpikeSourcePoissonRefractory, dict(rate=200.0, tau_refrac=5.0),
     ["rate * tau_refrac", "200.0", "5.0"]),
    (ss.SpikeSourcePoissonRefractory, dict(duration=np.nan), ["duration", "finite"]),
])
def test_bad_parameters_are_refused_by_name(cls, kwargs, words):
    with pytest.raises(ValueError) as err:
        cls(**kwargs)
    for w in words:
        assert w in str(err.value), str(err.value)


def test_bad_input_at_population_and_set():
    with pytest.raises(TypeError, match="rate"):
        ss.SpikeSourceGamma(rate=3.0)
    with pytest.raises(TypeError, match="duration"):
        ss.SpikeSourceGamma(duration="long")
    net = ss.Network(dt=DT, seed=1)
    with pytest.raises(ValueError, match="exceeds one spike per step"):
        net.add_population(3, ss.SpikeSourceGamma(alpha=1, beta=20000.0))
    with pytest.raises(ValueError, match="length 2, expected 3"):
        net.add_population(3, ss.SpikeSourcePoissonRefractory(rate=[1.0, 2.0]))
    pop = net.add_population(3, ss.SpikeSourcePoissonRefractory(rate=50.0, tau_refrac=2.0))
    with pytest.raises(ValueError, match="rate \\* tau_refrac"):
        pop.set(tau_refrac=25.0)
    with pytest.raises(ValueError, match="exceeds one spike per step"):
        pop[1:].set(rate=20000.0, tau_refrac=0.0)
    with pytest.raises(ValueError, match="has no parameter 'alpha'"):
        pop.set(alpha=2.0)
    assert pop.params["tau_refrac"] == 2.0 and pop.params["rate"] == 50.0  # nothing changed


# ---------------------------------------------------------------------------- export
def test_pynn_script_exports_and_refuses(tmp_path):
    net = ss.Network(dt=DT, seed=1)
    net.add_population(3, ss.SpikeSourceGamma(alpha=[6, 4, 2], beta=[100.0, 200.0, 1000.0]))
    net.add_population(2, ss.SpikeSourcePoissonRefractory(rate=40.0, tau_refrac=3.0))
    text = to_pynn_script(net, None, duration=100.0)
    assert "sim.SpikeSourceGamma(alpha=data['p0_alpha'], beta=data['p0_beta'])" in text
    assert "sim.SpikeSourcePoissonRefractory(rate=40.0, tau_refrac=3.0)" in text
    bad = ss.Network(dt=DT)
    bad.add_population(2, ss.SpikeSourceGamma(alpha=2.5, beta=10.0))
    with pytest.raises(ExportError) as err:
        to_pynn_script(bad, None, duration=10.0)
    assert err.value.rule == "gamma-shape" and "2.5" in str(err.value)
    late = ss.Network(dt=DT)
    late.add_population(2, ss.SpikeSourcePoissonRefractory(rate=10.0, start=5.0))
    with pytest.raises(ExportError) as err:
        to_pynn_script(late, None, duration=10.0)
    assert err.value.rule == "source-start-duration"


@pytest.mark.nest
@pytest.mark.parametrize("make, rate", [
    (lambda: ss.SpikeSourceGamma(alpha=3, beta=150.0), 50.0),
    (lambda: ss.SpikeSourcePoissonRefractory(rate=[40.0] * 100 + [80.0] * 100, tau_refrac=4.0,
                                             start=100.0, duration=1500.0), None),
], ids=["gamma", "refractory"])
def test_nest_backend_rates_agree(make, rate):
    """NEST (gamma_sup_generator / ppd_sup_generator through parrots) and spikesim.

    Both counts within 4 standard deviations of the expected count plus 1 % (NEST's
    generators advance per step: whole-step stages make its gamma rate ~0.7 % low at
    50 Hz, alpha 3, dt 0.1 ms).
    """
    pytest.importorskip("nest")
    from spikesim.backends import nest as nest_backend

    counts = {}
    for backend in ("nest", "spikesim"):
        net = ss.Network(dt=DT, seed=5)
        pop = net.add_population(N, make())
        rec = net.record(pop, "spikes")
        if backend == "nest":
            nest_backend.run(net, T)
        else:
            net.run(T)
        t, s = rec.spikes.times, rec.spikes.senders
        if rate is None:  # refractory: on in [100, 1600) ms, 40 Hz for the first half
            assert t.min() > 100.0 and t.max() <= 1600.0 + 2 * DT
            counts[backend] = ((s < 100).sum(), (s >= 100).sum())
        else:
            counts[backend] = (len(t),)
    if rate is None:
        expected, cv2 = (100 * 1.5 * 40.0, 100 * 1.5 * 80.0), ((1 - 0.16) ** 2, (1 - 0.32) ** 2)
    else:
        expected, cv2 = (N * T * 1e-3 * rate,), (1 / 3,)
    for backend, got in counts.items():
        for g, e, c in zip(got, expected, cv2):
            assert abs(g - e) < 4 * np.sqrt(e * c) + 0.01 * e, (backend, g, e)


def test_pynn_cell_types_build_set_and_refuse():
    sim = pytest.importorskip("spikesim.pynn")
    from pyNN.errors import InvalidParameterValueError

    sim.setup(timestep=DT)
    try:
        p = sim.Population(4, sim.SpikeSourcePoissonRefractory(rate=50.0, tau_refrac=5.0))
        g = sim.Population(3, sim.SpikeSourceGamma(alpha=[6, 4, 2], beta=[100.0, 200.0, 1000.0]))
        g.record("spikes")
        sim.run(100.0)
        p.set(rate=200.0, tau_refrac=2.0)  # valid together, not one at a time
        with pytest.raises(InvalidParameterValueError, match="rate \\* tau_refrac"):
            p[1:].set(tau_refrac=6.0)
        np.testing.assert_array_equal(p.get("tau_refrac"), [2.0] * 4)
        with pytest.raises(InvalidParameterValueError, match="alpha"):
            sim.Population(2, sim.SpikeSourceGamma(alpha=0.5))
        sim.run(900.0)
        counts = [len(st) for st in g.get_data().segments[0].spiketrains]
        assert [abs(c - e) < 4 * np.sqrt(e) for c, e in zip(counts, (16.7, 50.0, 500.0))] == [True] * 3
    finally:
        sim.end()
