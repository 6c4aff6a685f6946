"""IF_curr_alpha, IF_cond_alpha, IF_curr_delta, IF_curr_dual_exp against closed forms; validation,
refusals by the exporters, and a run through spikesim.pynn. No NEST needed (see
tests/test_neurons_lif_family.py for the NEST comparisons).

One spike of weight ``w`` arrives at ``t0 = t_spike + delay``; the recorded
traces at ``t >= t0`` are compared with the closed forms at ``t - t0``.
"""
from __future__ import annotations

import numpy as np
import pytest

import spikesim as ss
from spikesim.export import ExportError

DT = 0.1
T_SPIKE, DELAY = 1.0, 0.5
T0 = T_SPIKE + DELAY


def one_spike(cell, receptor="excitatory", weight=1.0, record=("v",), duration=40.0):
    net = ss.Network(dt=DT, dtype="float64")
    src = net.add_population(1, ss.SpikeSourceArray([T_SPIKE]))
    pop = net.add_population(1, cell)
    net.connect(src, pop, ss.AllToAll(), weight=weight, delay=DELAY, receptor_type=receptor)
    rec = net.record(pop, list(record))
    net.run(duration)
    return rec


def exp_psp(t, w, tau_s, tau_m, cm):
    """PSP of an exponential current ``w e^{-t/tau_s}`` (mV)."""
    return w / cm * tau_s * tau_m / (tau_m - tau_s) * (np.exp(-t / tau_m) - np.exp(-t / tau_s))


def alpha_psp(t, w, tau_s, tau_m, cm):
    """PSP of the alpha current ``w t/tau_s e^{1 - t/tau_s}`` (mV)."""
    a = 1.0 / tau_s - 1.0 / tau_m
    return (w * np.e / (tau_s * cm) * np.exp(-t / tau_m)
            * (1.0 - np.exp(-a * t) * (1.0 + a * t)) / a ** 2)


@pytest.mark.parametrize("receptor, sign", [("excitatory", 1.0), ("inhibitory", -1.0)])
def test_alpha_current_and_psp_closed_form(receptor, sign):
    tau_s, tau_m, cm, w = 2.0, 15.0, 0.5, 1.5 * sign
    key = "E" if receptor == "excitatory" else "I"
    cell = ss.IF_curr_alpha(tau_m=tau_m, cm=cm, v_thresh=100.0, **{f"tau_syn_{key}": tau_s})
    var = "isyn_exc" if receptor == "excitatory" else "isyn_inh"
    rec = one_spike(cell, receptor, w, ("v", var))
    t = rec.v.times
    after = t >= T0 - 1e-9
    s = t[after] - T0
    i = getattr(rec, var).values[:, 0]
    np.testing.assert_allclose(i[after], w * s / tau_s * np.exp(1.0 - s / tau_s), rtol=0, atol=1e-12)
    assert np.all(i[~after] == 0.0)
    assert t[np.argmax(np.abs(i))] == pytest.approx(T0 + tau_s)      # peak w at t = tau_syn
    assert np.abs(i).max() == pytest.approx(abs(w), rel=1e-12)
    v = rec.v.values[:, 0]
    np.testing.assert_allclose(v[after] + 65.0, alpha_psp(s, w, tau_s, tau_m, cm), rtol=0, atol=1e-9)
    assert abs(v + 65.0).max() > 1.0


def test_alpha_psp_with_tau_syn_equal_tau_m():
    """``tau_syn = tau_m``: the propagators' limit, ``w e/(tau cm) t^2/2 e^{-t/tau}``."""
    tau, cm, w = 10.0, 1.0, 1.0
    rec = one_spike(ss.IF_curr_alpha(tau_m=tau, tau_syn_E=tau, cm=cm, v_thresh=100.0), weight=w)
    s = rec.v.times - T0
    after = s >= -1e-9
    expect = w * np.e / (tau * cm) * s[after] ** 2 / 2.0 * np.exp(-s[after] / tau)
    np.testing.assert_allclose(rec.v.values[after, 0] + 65.0, expect, rtol=0, atol=1e-9)


@pytest.mark.parametrize("receptor, var, tau", [("excitatory", "isyn_exc", 1.0),
                                                ("excitatory2", "isyn_exc2", 7.0),
                                                ("inhibitory", "isyn_inh", 3.0)])
def test_dual_exp_psp_closed_form(receptor, var, tau):
    """Each receptor has its own time constant; the other two stay at zero."""
    tau_m, cm = 20.0, 0.8
    w = -0.7 if receptor == "inhibitory" else 0.9
    cell = ss.IF_curr_dual_exp(tau_m=tau_m, cm=cm, tau_syn_E=1.0, tau_syn_E2=7.0, tau_syn_I=3.0,
                               v_thresh=100.0)
    rec = one_spike(cell, receptor, w, ("v", "isyn_exc", "isyn_exc2", "isyn_inh"))
    s = rec.v.times - T0
    after = s >= -1e-9
    np.testing.assert_allclose(getattr(rec, var).values[after, 0], w * np.exp(-s[after] / tau),
                               rtol=0, atol=1e-12)
    for other in {"isyn_exc", "isyn_exc2", "isyn_inh"} - {var}:
        assert np.all(getattr(rec, other).values == 0.0)
    np.testing.assert_allclose(rec.v.values[after, 0] + 65.0, exp_psp(s[after], w, tau, tau_m, cm),
                               rtol=0, atol=1e-9)
    assert np.abs(rec.v.values + 65.0).max() > 0.1


def test_dual_exp_receptors_superpose():
    """Spikes on all three receptors: v is the sum of the three closed-form PSPs."""
    tau_m, cm = 20.0, 1.0
    net = ss.Network(dt=DT, dtype="float64")
    src = net.add_population(3, ss.SpikeSourceArray([[1.0], [2.0], [3.5]]))
    pop = net.add_population(1, ss.IF_curr_dual_exp(tau_syn_E=0.5, tau_syn_E2=8.0, tau_syn_I=2.0,
                                                     v_thresh=100.0))
    for k, (rec_t, w) in enumerate([("excitatory", 2.0), ("excitatory2", 1.0), ("inhibitory", -1.5)]):
        net.connect(src[k:k + 1], pop, ss.AllToAll(), weight=w, delay=0.1, receptor_type=rec_t)
    rec = net.record(pop, "v")
    net.run(30.0)
    t = rec.v.times
    expect = sum(np.where(t >= t0 - 1e-9, exp_psp(np.maximum(t - t0, 0.0), w, tau, tau_m, cm), 0.0)
                 for t0, w, tau in [(1.1, 2.0, 0.5), (2.1, 1.0, 8.0), (3.6, -1.5, 2.0)])
    np.testing.assert_allclose(rec.v.values[:, 0] + 65.0, expect, rtol=0, atol=1e-9)


def test_delta_jump_decay_and_refractory_input():
    """A weight moves v by itself (mV); input while refractory is lost unless the neuron
    integrates while refractory."""
    tau_m = 10.0
    for integ in (0, 1):
        net = ss.Network(dt=DT, dtype="float64")
        src = net.add_population(3, ss.SpikeSourceArray([[1.0], [5.0], [6.0]]))
        pop = net.add_population(1, ss.IF_curr_delta(tau_m=tau_m, tau_refrac=3.0,
                                                     integrate_refractory=integ))
        for k, w in enumerate([4.0, 20.0, 5.0]):
            net.connect(src[k:k + 1], pop, ss.AllToAll(), weight=w, delay=0.1)
        rv, rs = net.record(pop, "v"), net.record(pop, "spikes")
        net.run(12.0)
        t, v = rv.v.times, rv.v.values[:, 0] + 65.0
        first = (t >= 1.1 - 1e-9) & (t < 5.1 - 1e-9)
        np.testing.assert_allclose(v[first], 4.0 * np.exp(-(t[first] - 1.1) / tau_m), atol=1e-12)
        np.testing.assert_allclose(rs.spikes.times, [5.1])
        kicked = v[np.isclose(t, 6.1)][0]
        assert kicked == (pytest.approx(5.0, abs=1e-9) if integ else 0.0)  # clamped: exactly v_reset
        assert v[np.isclose(t, 8.1)][0] == pytest.approx(5.0 * np.exp(-0.2) if integ else 0.0)


def test_cond_alpha_conductance_closed_form():
    """g(t) = w t/tau e^{1 - t/tau}: RKF45 with NEST's tolerance (1e-6 uS per sub-step) is
    within 1.6e-5 w of it here (measured), as NEST's iaf_cond_alpha."""
    tau, w = 0.3, 0.02
    rec = one_spike(ss.IF_cond_alpha(tau_syn_E=tau, v_thresh=100.0), "excitatory", w,
                    ("v", "gsyn_exc", "gsyn_inh"), duration=10.0)
    s = rec.gsyn_exc.times - T0
    after = s >= -1e-9
    g = rec.gsyn_exc.values[:, 0]
    np.testing.assert_allclose(g[after], w * s[after] / tau * np.exp(1.0 - s[after] / tau),
                               rtol=0, atol=3e-5 * w)
    assert np.all(g[~after] == 0.0) and np.all(rec.gsyn_inh.values == 0.0)
    assert rec.v.values.max() > -64.9  # depolarised by the excitatory conductance


def test_cond_alpha_against_fine_reference():
    """v after one strong conductance input, against the same ODE solved with a tiny fixed
    RK4 step (and exact conductances)."""
    tau, w, e_rev, cm, tau_m = 0.3, 0.05, 0.0, 1.0, 20.0
    rec = one_spike(ss.IF_cond_alpha(tau_syn_E=tau, v_thresh=100.0), "excitatory", w,
                    ("v",), duration=6.0)
    gl = cm / tau_m

    def f(t, v):
        g = w * t / tau * np.exp(1.0 - t / tau) if t > 0 else 0.0
        return (gl * (-65.0 - v) + g * (e_rev - v)) / cm

    h, v, t, ref = 1e-4, -65.0, 0.0, {}
    grid = np.round(np.arange(0.0, 4.5 + 1e-9, DT), 10)
    for k in range(int(round(4.5 / h))):
        k1 = f(t, v)
        k2 = f(t + h / 2, v + h / 2 * k1)
        k3 = f(t + h / 2, v + h / 2 * k2)
        k4 = f(t + h, v + h * k3)
        v += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t = (k + 1) * h
        if np.any(np.isclose(t, grid, atol=1e-9)):
            ref[round(t, 6)] = v
    times = np.round(rec.v.times - T0, 6)
    ours = {tt: vv for tt, vv in zip(times, rec.v.values[:, 0]) if tt in ref}
    assert len(ours) > 40
    for tt, vv in ours.items():
        assert vv == pytest.approx(ref[tt], rel=1e-7, abs=0), tt
    assert max(ours.values()) > -63.0


@pytest.mark.parametrize("cls, bad", [
    (ss.IF_curr_alpha, dict(tau_syn_E=0.0)), (ss.IF_curr_alpha, dict(cm=-1.0)),
    (ss.IF_cond_alpha, dict(tau_syn_I=-0.5)), (ss.IF_cond_alpha, dict(tau_refrac=-1.0)),
    (ss.IF_curr_delta, dict(tau_m=0.0)), (ss.IF_curr_dual_exp, dict(tau_syn_E2=0.0)),
])
def test_bad_parameters_are_refused(cls, bad):
    (name, value), = bad.items()
    with pytest.raises(ValueError, match=name):
        cls(**bad)


@pytest.mark.parametrize("cls", [ss.IF_curr_alpha, ss.IF_cond_alpha, ss.IF_curr_delta,
                                 ss.IF_curr_dual_exp])
def test_reset_must_be_below_threshold(cls):
    net = ss.Network(dt=DT)
    with pytest.raises(ValueError, match="v_reset"):
        net.add_population(2, cls(v_reset=-50.0, v_thresh=-55.0))


def test_defaults_are_pynn_and_spynnaker():
    cells = pytest.importorskip("pyNN.standardmodels.cells")
    for cls in (ss.IF_curr_alpha, ss.IF_cond_alpha, ss.IF_curr_delta):
        ours = {k: v for k, v in cls.default_parameters.items()
                if k not in cls.model.EXTENSIONS}
        assert ours == getattr(cells, cls.__name__).default_parameters, cls.__name__
    assert ss.IF_curr_dual_exp.default_parameters["tau_syn_E2"] == 5.0
    assert ss.IF_curr_dual_exp().receptor_types == ("excitatory", "excitatory2", "inhibitory")


def test_dual_exp_is_refused_by_pynn_export_and_nest_backend(tmp_path):
    from spikesim.backends.nest import run as nest_run
    from spikesim.export import to_pynn_script

    def build():
        net = ss.Network(dt=DT, seed=1)
        src = net.add_population(2, ss.SpikeSourcePoisson(rate=10.0))
        pop = net.add_population(3, ss.IF_curr_dual_exp(), label="dual")
        net.connect(src, pop, ss.AllToAll(), weight=0.5, receptor_type="excitatory2")
        net.record(pop, "spikes")
        return net
    for f in (lambda n: to_pynn_script(n, str(tmp_path / "x.py")), lambda n: nest_run(n, 10.0)):
        with pytest.raises(ExportError) as exc:
            f(build())
        assert exc.value.rule == "cell-type" and "IF_curr_dual_exp" in str(exc.value)


def test_new_models_through_spikesim_pynn():
    pytest.importorskip("pyNN")
    import spikesim.pynn as sim

    sim.setup(timestep=0.1)
    try:
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[2.0, 4.0, 6.0]))
        pops = {name: sim.Population(3, getattr(sim, name)(i_offset=1.0), label=name)
                for name in ("IF_curr_alpha", "IF_cond_alpha", "IF_curr_delta")}
        weights = {"IF_curr_alpha": 1.0, "IF_cond_alpha": 0.02, "IF_curr_delta": 2.0}
        for name, p in pops.items():
            sim.Projection(src, p, sim.AllToAllConnector(), sim.StaticSynapse(weight=weights[name],
                                                                              delay=0.5))
            p.record(["spikes", "v"])
        sim.run(50.0)
        for name, p in pops.items():
            block = p.get_data().segments[0]
            assert sum(len(st) for st in block.spiketrains) >= 3, name
            v = np.asarray(block.filter(name="v")[0])
            assert v.shape == (501, 3) and np.isfinite(v).all() and v.max() > -60.0, name
    finally:
        sim.end()
    assert not hasattr(sim, "IF_curr_dual_exp")  # not a PyNN standard cell
