"""Single-neuron dynamics against closed-form solutions (float64)."""
import numpy as np
import pytest

import spikesim as ss

DT = 0.1


def one_neuron(cell, **kw):
    net = ss.Network(dt=DT, seed=0, dtype="float64")
    pop = net.add_population(1, cell, **kw)
    return net, pop


@pytest.mark.parametrize("celltype", [ss.IF_curr_exp, ss.IF_cond_exp])
def test_membrane_under_constant_current(celltype):
    tau_m, cm, v_rest, i = 12.0, 0.5, -65.0, 0.3
    net, pop = one_neuron(celltype(tau_m=tau_m, cm=cm, v_rest=v_rest, v_thresh=0.0, i_offset=i))
    rec = net.record(pop, "v")
    net.run(100.0)
    t = rec.v.times
    expected = v_rest + i * tau_m / cm * (1 - np.exp(-t / tau_m))
    np.testing.assert_allclose(rec.v.values[:, 0], expected, rtol=0, atol=1e-10)
    assert t[0] == pytest.approx(DT) and len(t) == 1000


def test_dc_source_switches_on_and_off_at_its_times():
    tau_m, cm, v_rest, amp = 10.0, 1.0, -70.0, 0.5
    net, pop = one_neuron(ss.IF_curr_exp(tau_m=tau_m, cm=cm, v_rest=v_rest, v_thresh=0.0))
    ss.DCSource(amplitude=amp, start=20.0, stop=60.0).inject_into(pop)
    rec = net.record(pop, "v")
    net.run(100.0)
    t = rec.v.times
    on = np.clip(t - 20.0, 0, 40.0)
    v_on = v_rest + amp * tau_m / cm * (1 - np.exp(-on / tau_m))
    expected = np.where(t <= 60.0, v_on, v_rest + (v_on - v_rest) * np.exp(-(t - 60.0) / tau_m))
    np.testing.assert_allclose(rec.v.values[:, 0], expected, atol=1e-10)


def test_step_current_source():
    net, pop = one_neuron(ss.IF_curr_exp(tau_m=10.0, v_rest=-70.0, v_thresh=0.0))
    net.inject(ss.StepCurrentSource(times=[10.0, 30.0], amplitudes=[1.0, -0.5]), pop)
    rec = net.record(pop, "v")
    net.run(50.0)
    v = rec.v.values[:, 0]
    t = rec.v.times
    v30 = -70.0 + 10.0 * (1 - np.exp(-20.0 / 10.0))
    assert v[np.isclose(t, 30.0)][0] == pytest.approx(v30, abs=1e-10)
    v50 = -75.0 + (v30 + 75.0) * np.exp(-20.0 / 10.0)
    assert v[-1] == pytest.approx(v50, abs=1e-10)


def _isi_closed_form(i, tau_m, cm, v_rest, v_reset, v_thresh):
    r = tau_m / cm
    return tau_m * np.log((r * i + v_rest - v_reset) / (r * i + v_rest - v_thresh))


@pytest.mark.parametrize("celltype", [ss.IF_curr_exp, ss.IF_cond_exp])
def test_f_i_curve_with_refractoriness(celltype):
    tau_m, cm, v_rest, v_reset, v_thresh, t_ref = 20.0, 1.0, -65.0, -70.0, -50.0, 2.0
    currents = np.array([0.5, 0.74, 0.76, 0.8, 1.0, 1.5, 2.0, 4.0])
    net = ss.Network(dt=DT, seed=0, dtype="float64")
    pop = net.add_population(len(currents), celltype(
        tau_m=tau_m, cm=cm, v_rest=v_rest, v_reset=v_reset, v_thresh=v_thresh,
        tau_refrac=t_ref, i_offset=currents))
    rec = net.record(pop, "spikes")
    net.run(2000.0)
    trains = rec.spikes.trains()
    rheobase = (v_thresh - v_rest) * cm / tau_m  # 0.75 nA
    for i, train in zip(currents, trains):
        if i <= rheobase:
            assert len(train) == 0, i
            continue
        charge = _isi_closed_form(i, tau_m, cm, v_rest, v_reset, v_thresh)
        # discrete time: refractory steps, then the first step at which v >= v_thresh
        isi_steps = round(t_ref / DT) + np.ceil(charge / DT - 1e-9)
        isis = np.diff(train)
        np.testing.assert_allclose(isis, isi_steps * DT, atol=1e-9)
        # and the rate is the continuous closed form within one step of ISI
        rate = 1000.0 / isis.mean()
        assert abs(rate - 1000.0 / (t_ref + charge)) <= 1000.0 / (t_ref + charge) ** 2 * DT * 1.01


@pytest.mark.parametrize("tau_s", [2.0, 5.0, 20.0])
def test_psp_shape_current_based(tau_s):
    """One input spike at T with delay d: current jumps at T + d; alpha-like difference of exponentials."""
    tau_m, cm, w, T, d = 10.0, 0.25, 0.4, 5.0, 1.5
    net = ss.Network(dt=DT, seed=0, dtype="float64")
    src = net.add_population(1, ss.SpikeSourceArray([T]))
    pop = net.add_population(1, ss.IF_curr_exp(tau_m=tau_m, cm=cm, v_rest=-65.0, tau_syn_E=tau_s))
    net.connect(src, pop, ss.AllToAll(), weight=w, delay=d)
    rec = net.record(pop, ["v", "isyn_exc"])
    net.run(60.0)
    s = np.clip(rec.v.times - (T + d), 0, None)
    psp = w / cm * tau_s * tau_m / (tau_m - tau_s) * (np.exp(-s / tau_m) - np.exp(-s / tau_s))
    np.testing.assert_allclose(rec.v.values[:, 0], -65.0 + psp, atol=1e-10)
    i_exp = np.where(rec.isyn_exc.times >= T + d - 1e-9, w * np.exp(-s / tau_s), 0.0)
    np.testing.assert_allclose(rec.isyn_exc.values[:, 0], i_exp, atol=1e-12)


def test_psp_equal_time_constants_limit():
    tau, cm, w = 10.0, 1.0, 1.0
    net = ss.Network(dt=DT, seed=0, dtype="float64")
    src = net.add_population(1, ss.SpikeSourceArray([1.0]))
    pop = net.add_population(1, ss.IF_curr_exp(tau_m=tau, cm=cm, v_rest=-65.0, tau_syn_E=tau))
    net.connect(src, pop, ss.AllToAll(), weight=w, delay=1.0)
    rec = net.record(pop, "v")
    net.run(50.0)
    s = np.clip(rec.v.times - 2.0, 0, None)
    np.testing.assert_allclose(rec.v.values[:, 0], -65.0 + w / cm * s * np.exp(-s / tau), atol=1e-10)


def _rk4_cond_psp(t_end, h, g0, tau_m, cm, v_rest, e_rev, tau_s):
    def f(y):
        v, g = y
        return np.array([((v_rest - v) * cm / tau_m + g * (e_rev - v)) / cm, -g / tau_s])

    y = np.array([v_rest, g0])
    out = [y[0]]
    for _ in range(int(round(t_end / h))):
        k1 = f(y)
        k2 = f(y + h / 2 * k1)
        k3 = f(y + h / 2 * k2)
        k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(y[0])
    return np.array(out)


def test_psp_shape_conductance_based_against_fine_rk4():
    """IF_cond_exp is not exactly integrable; its exponential integrator must stay
    within 1 uV of a 1e-4 ms RK4 solution for a 5 mV PSP (second-order scheme)."""
    tau_m, cm, w, tau_s, e_rev = 20.0, 1.0, 0.05, 5.0, 0.0
    net = ss.Network(dt=DT, seed=0, dtype="float64")
    src = net.add_population(1, ss.SpikeSourceArray([1.0]))
    pop = net.add_population(1, ss.IF_cond_exp(tau_m=tau_m, cm=cm, v_rest=-65.0, tau_syn_E=tau_s,
                                               e_rev_E=e_rev))
    net.connect(src, pop, ss.AllToAll(), weight=w, delay=1.0)
    rec = net.record(pop, "v")
    net.run(40.0)
    fine = _rk4_cond_psp(38.0, 1e-3, w, tau_m, cm, -65.0, e_rev, tau_s)[::100]
    got = rec.v.values[19:, 0]  # conductance jumps at t = 2.0 ms (sample index 19)
    assert got.max() + 65.0 > 1.0
    np.testing.assert_allclose(got[:len(fine)], fine[:len(got)], atol=2e-3)
    assert np.abs(got[:len(fine)] - fine[:len(got)]).max() < 2e-3


def test_refractory_period_holds_v_at_reset():
    net, pop = one_neuron(ss.IF_curr_exp(v_rest=-40.0, v_reset=-70.0, v_thresh=-50.0, tau_refrac=3.0))
    rec = net.record(pop, ["v", "spikes"])
    net.run(30.0)
    first = rec.spikes.times[0]
    held = (rec.v.times >= first) & (rec.v.times <= first + 3.0 + 1e-9)
    assert np.all(rec.v.values[held, 0] == -70.0)
    after = np.flatnonzero(rec.v.times > first + 3.0 + 1e-9)[0]
    assert rec.v.values[after, 0] > -70.0
