"""ACSource: the sinusoid sampled per step, exactly integrated by IF_curr_exp; run in pieces,
saved and loaded; bad input."""
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
    amps = np.where((t >= 5.0) & (t < 80.0),
                    0.1 + 0.8 * np.sin(2 * np.pi * 40.0 * t / 1000 + np.pi * 30 / 180), 0.0)
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
