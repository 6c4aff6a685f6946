"""ACSource and NoisyCurrentSource: sampled per step, exactly integrated by IF_curr_exp; run in
pieces, saved and loaded, the same on the NEST backend; statistics of the noise; bad input."""
import numpy as np
import pytest

import spikesim as ss


def _membrane_reference(amps, dt, tau_m, cm, v0):
    """v after each step with a current held constant over the step (exact for each step)."""
    p22 = np.exp(-dt / tau_m)
    v, out = v0, []
    for i in amps:
        v = p22 * v + (1 - p22) * (-65.0) + (1 - p22) * tau_m / cm * i
        out.append(v)
    return np.array(out)


def test_membrane_follows_the_sampled_sinusoid():
    dt, tau_m, cm = 0.1, 10.0, 0.5
    net = ss.Network(dt=dt, dtype="float64")
    pop = net.add_population(1, ss.IF_curr_exp(tau_m=tau_m, cm=cm, v_thresh=100.0))
    ac = ss.ACSource(amplitude=0.8, offset=0.1, frequency=40.0, phase=30.0, start=5.0, stop=80.0)
    ac.inject_into(pop)
    rec = net.record(pop, "v")
    net.run(60.0)
    net.run(40.0)  # a second run continues the sampling
    t = np.arange(1000) * dt
    # PyNN: the phase holds at start
    amps = np.where((t >= 5.0) & (t < 80.0),
                    0.1 + 0.8 * np.sin(2 * np.pi * 40.0 * (t - 5.0) / 1000 + np.pi * 30 / 180), 0.0)
    want = _membrane_reference(amps, dt, tau_m, cm, -65.0)
    np.testing.assert_allclose(rec.v.values[:, 0], want, rtol=0, atol=1e-9)
    assert np.ptp(rec.v.values[:, 0]) > 1.0


def test_saved_and_loaded(tmp_path):
    net = ss.Network(dt=0.1, dtype="float64")
    pop = net.add_population(2, ss.IF_curr_exp(v_thresh=100.0))
    ss.ACSource(amplitude=0.5, frequency=25.0).inject_into(pop)
    net.run(20.0)
    net.save(tmp_path / "ac.h5")
    net.run(20.0)
    other = ss.load(tmp_path / "ac.h5")
    other.run(20.0)
    np.testing.assert_array_equal(other.populations[0].v, pop.v)


@pytest.mark.parametrize("kw, match", [
    (dict(amplitude=np.nan), r"ACSource\.amplitude"),
    (dict(frequency=-1.0), r"ACSource\.frequency"),
    (dict(start=-1.0), r"ACSource\.start"),
    (dict(start=10.0, stop=5.0), r"ACSource\.stop must be >= start"),
])
def test_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        ss.ACSource(**kw)


def _noise_net(seed=3, n=400, noise_dt=None):
    net = ss.Network(dt=0.1, seed=seed, dtype="float64")
    pop = net.add_population(n, ss.IF_curr_exp(v_thresh=1e3, tau_m=10.0))
    ss.NoisyCurrentSource(mean=0.3, stdev=0.2, start=2.0, stop=80.0, dt=noise_dt).inject_into(pop)
    return net, pop


def test_noise_statistics_and_independence():
    """Samples are mean + stdev N(0, 1): their mean and s.d. within 4 standard errors, the same
    for every dt interval of a target, independent between targets (correlation ~ 0)."""
    net, pop = _noise_net(noise_dt=0.5)
    k = 0
    t, amps = ss.currents.injection_schedule(net, k, 100.0)
    a = amps[:-1]  # the last row is the switch-off at stop
    assert a.shape == (156, 400) and np.all(amps[-1] == 0) and t[0] == 2.0
    n = a.size
    assert abs(a.mean() - 0.3) < 4 * 0.2 / np.sqrt(n)
    assert abs(a.std() - 0.2) < 4 * 0.2 / np.sqrt(2 * n)
    c = np.corrcoef(a[:, 0], a[:, 1])[0, 1]
    assert abs(c) < 4 / np.sqrt(a.shape[0])
    assert np.all(np.diff(t[:-1]) == 0.5)  # one value per 0.5 ms


def test_noise_runs_in_pieces_reloads_and_matches_nest(tmp_path):
    net, pop = _noise_net(n=3)
    net.run(40.0)
    net.save(tmp_path / "noise.h5")
    net.run(60.0)
    whole, pop2 = _noise_net(n=3)
    whole.run(100.0)
    np.testing.assert_array_equal(pop.v, pop2.v)
    other = ss.load(tmp_path / "noise.h5")
    other.run(60.0)
    np.testing.assert_array_equal(other.populations[0].v, pop.v)
    assert len(set(pop.v.tolist())) == 3 and np.ptp(pop.v) > 1e-3  # each its own noise


@pytest.mark.nest
def test_noise_and_ac_on_the_nest_backend_equal_spikesim():
    pytest.importorskip("nest")
    from spikesim.backends.nest import run

    def build():
        net, pop = _noise_net(n=3)
        ss.ACSource(amplitude=0.3, frequency=30.0, start=10.0, stop=90.0).inject_into(pop[1:])
        return net, net.record(pop, "v")

    a_net, a = build()
    a_net.run(100.0)
    b_net, b = build()
    run(b_net, 100.0)
    np.testing.assert_allclose(b.v.values, a.v.values, rtol=0, atol=1e-9)
    assert np.ptp(a.v.values) > 1.0


@pytest.mark.parametrize("kw, match", [
    (dict(stdev=-1.0), r"NoisyCurrentSource\.stdev"),
    (dict(mean=np.inf), r"NoisyCurrentSource\.mean"),
    (dict(dt=0.0), r"NoisyCurrentSource\.dt"),
    (dict(start=5.0, stop=1.0), r"NoisyCurrentSource\.stop must be >= start"),
])
def test_noise_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        ss.NoisyCurrentSource(**kw)


def test_noise_dt_off_the_step_grid_is_refused_at_run():
    net = ss.Network(dt=0.1)
    pop = net.add_population(1, ss.IF_curr_exp())
    ss.NoisyCurrentSource(dt=0.25).inject_into(pop)
    with pytest.raises(ValueError, match=r"NoisyCurrentSource\.dt must be a whole number of steps"):
        net.run(1.0)
    assert net.step == 0
