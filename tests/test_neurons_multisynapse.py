"""The multisynapse models (LIFMultisynExp, AdExpMultisynAlpha) and PyNN's PointNeuron on them.

The kernel-vs-twin comparison is in tests/test_kernel_twins.py (both are in LIBRARY)."""
import numpy as np
import pytest

import spikesim as ss

DT = 0.1
TAUS = (1.0, 20.0, 1.5, 4.0)


def _net(cell, times, weights, delay=1.5, t=120.0, dt=DT):
    """One neuron; source k fires at ``times[k]`` onto receptor ``r<k>`` with ``weights[k]``."""
    net = ss.Network(dt=dt, dtype="float64")
    pop = net.add_population(1, cell)
    src = net.add_population(len(times), ss.SpikeSourceArray([[x] for x in times]))
    for k, w in enumerate(weights):
        net.connect(src[k:k + 1], pop, ss.AllToAll(), weight=w, delay=delay, receptor_type=f"r{k}")
    state = [v for v in cell.model.STATE if not v.startswith("dgsyn")]
    rec = net.record(pop, state)
    spk = net.record(pop, "spikes")
    net.run(t)
    return rec, spk


def test_lif_psp_of_each_receptor_is_the_analytic_one():
    """PSP of a current step w e^{-t/tau_s} onto the LIF membrane, receptor by receptor (exact)."""
    tau_m, cm, vr = 10.0, 0.5, -60.0
    p = dict(tau_m=tau_m, cm=cm, v_rest=vr, v_thresh=0.0, v_reset=-70.0,
             **{f"tau_syn_{k}": t for k, t in enumerate(TAUS)})
    weights = (0.3, -0.2, 0.5, 0.1)
    times = (5.0, 25.0, 50.0, 70.0)
    rec, _ = _net(ss.LIFMultisynExp(**p), times, weights)
    t, v = rec.v.times, rec.v.values[:, 0]
    expect = np.full_like(v, vr)
    for k, (t0, w) in enumerate(zip(times, weights)):
        s = t - (t0 + 1.5)  # the current jumps at the end of the step of arrival
        ts = TAUS[k]
        psp = w * ts * tau_m / (cm * (tau_m - ts)) * (np.exp(-s / tau_m) - np.exp(-s / ts))
        expect += np.where(s > 1e-9, psp, 0.0)
        i = getattr(rec, f"isyn_{k}").values[:, 0]
        np.testing.assert_allclose(i, np.where(s > -1e-9, w * np.exp(-np.maximum(s, 0) / ts), 0.0),
                                   rtol=0, atol=1e-12)
    np.testing.assert_allclose(v, expect, rtol=0, atol=1e-9)


def test_unused_receptors_stay_at_zero_and_negative_currents_are_allowed():
    rec, _ = _net(ss.LIFMultisynExp(), (5.0,), (-0.5,), t=20.0)
    assert rec.isyn_0.values.min() == pytest.approx(-0.5)
    for k in (1, 2, 3):
        assert not getattr(rec, f"isyn_{k}").values.any()


def test_adex_alpha_conductance_of_each_receptor_and_reversal():
    """g_k(t) = w (s/tau) e^{1 - s/tau}; a receptor with e_syn below v hyperpolarises."""
    p = dict(tau_m=10.0, v_rest=-60.0, **{f"tau_syn_{k}": t for k, t in enumerate(TAUS)},
             e_syn_0=0.0, e_syn_1=0.0, e_syn_2=-70.0, e_syn_3=-90.0)
    weights = (0.01, 0.005, 0.1, 0.02)
    times = (10.0, 40.0, 70.0, 100.0)
    rec, _ = _net(ss.AdExpMultisynAlpha(**p), times, weights, t=130.0)
    t = rec.v.times
    v = rec.v.values[:, 0]
    for k, (t0, w) in enumerate(zip(times, weights)):
        s = np.maximum(t - (t0 + 1.5), 0.0)
        g = getattr(rec, f"gsyn_{k}").values[:, 0]
        np.testing.assert_allclose(g, w * s / TAUS[k] * np.exp(1 - s / TAUS[k]), rtol=1e-9,
                                   atol=1e-15)
        window = (t > t0 + 1.5) & (t < t0 + 25.0)
        if k < 2:
            assert v[window].max() > -59.0  # depolarising
        else:
            assert v[window].min() < -60.5  # hyperpolarising


def test_bad_input():
    with pytest.raises(ValueError, match="tau_syn_2"):
        ss.LIFMultisynExp(tau_syn_2=-1.0)
    with pytest.raises(ValueError, match="v_reset must be below v_spike"):
        ss.AdExpMultisynAlpha(v_reset=-30.0).resolve(1, np.random.default_rng(0))
    net = ss.Network(dt=DT)
    pop = net.add_population(1, ss.AdExpMultisynAlpha())
    src = net.add_population(1, ss.SpikeSourceArray([[1.0]]))
    with pytest.raises(ValueError, match=">= 0"):
        net.connect(src, pop, ss.AllToAll(), weight=-0.1, receptor_type="r1")
    with pytest.raises(ValueError, match="r4|receptor"):
        net.connect(src, pop, ss.AllToAll(), weight=0.1, receptor_type="r4")


# ------------------------------------------------------------------------------------- NEST
def _nest_run(model, params, times, weights, delay=1.5, t=120.0, record=("V_m",)):
    nest = pytest.importorskip("nest")
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = DT
    n = nest.Create(model, params=params)
    mm = nest.Create("multimeter", params={"record_from": list(record), "interval": DT})
    sr = nest.Create("spike_recorder")
    for k, (x, w) in enumerate(zip(times, weights)):
        g = nest.Create("spike_generator", params={"spike_times": [x]})
        nest.Connect(g, n, syn_spec={"weight": w * 1000.0, "delay": delay, "receptor_type": k + 1})
    nest.Connect(mm, n)
    nest.Connect(n, sr)
    nest.Simulate(t)
    ev = mm.get("events")
    return np.asarray(ev["times"]), {r: np.asarray(ev[r]) for r in record}, \
        np.asarray(sr.get("events")["times"])


def _compare(rec, spk, tn, vn, sn, atol):
    t = rec.v.times
    v = rec.v.values[:, 0]
    common, i, j = np.intersect1d(np.round(t, 6), np.round(tn, 6), return_indices=True)
    assert common.size > 100
    s = spk.spikes.times
    assert len(s) == len(sn) and len(s) >= 2
    np.testing.assert_allclose(s, sn, rtol=0, atol=DT + 1e-9)
    # v away from spikes (a spike within one step moves the reset by a step)
    far = np.all(np.abs(common[:, None] - np.asarray(sn)[None, :]) > 2 * DT, axis=1)
    np.testing.assert_allclose(v[i][far], vn[j][far], rtol=0, atol=atol)


@pytest.mark.nest
def test_lif_multisyn_against_nest_iaf_psc_exp_multisynapse():
    pytest.importorskip("nest")
    p = dict(tau_m=10.0, cm=0.25, v_rest=-60.0, v_thresh=-55.0, v_reset=-65.0, tau_refrac=2.0,
             i_offset=0.1, **{f"tau_syn_{k}": t for k, t in enumerate(TAUS)})
    times, weights = (10.0, 30.0, 31.0, 60.0), (1.0, 0.3, -1.5, 2.0)
    rec, spk = _net(ss.LIFMultisynExp(**p), times, weights)
    tn, vn, sn = _nest_run("iaf_psc_exp_multisynapse", dict(
        tau_m=10.0, C_m=250.0, E_L=-60.0, V_th=-55.0, V_reset=-65.0, t_ref=2.0, I_e=100.0,
        V_m=-60.0, tau_syn=list(TAUS)), times, weights)
    _compare(rec, spk, tn, vn["V_m"], sn, atol=1e-9)


@pytest.mark.nest
def test_adex_multisyn_against_nest_aeif_cond_alpha_multisynapse():
    pytest.importorskip("nest")
    e = (0.0, 0.0, -70.0, -80.0)
    p = dict(tau_m=10.0, v_rest=-60.0, i_offset=0.3, **{f"tau_syn_{k}": t for k, t in enumerate(TAUS)},
             **{f"e_syn_{k}": x for k, x in enumerate(e)})
    times, weights = (10.0, 30.0, 60.0, 80.0), (0.05, 0.02, 0.1, 0.05)
    rec, spk = _net(ss.AdExpMultisynAlpha(**p), times, weights)
    d = ss.AdExpMultisynAlpha().parameters
    tn, vn, sn = _nest_run("aeif_cond_alpha_multisynapse", dict(
        C_m=d["cm"] * 1000.0, g_L=d["cm"] / 10.0 * 1000.0, E_L=-60.0, V_reset=d["v_reset"],
        V_th=d["v_thresh"], V_peak=d["v_spike"], Delta_T=d["delta_T"], a=d["a"], b=d["b"] * 1000.0,
        tau_w=d["tau_w"], t_ref=d["tau_refrac"], I_e=300.0, V_m=-60.0, w=0.0,
        tau_syn=list(TAUS), E_rev=list(e)), times, weights)
    _compare(rec, spk, tn, vn["V_m"], sn, atol=0.05)


# ------------------------------------------------------------------------------------- PyNN
def _pynn_scenario(sim):
    from pyNN.parameters import Sequence

    sim.setup(timestep=DT)
    c1 = sim.PointNeuron(sim.AdExp(tau_m=10.0, v_rest=-60.0),
                         AMPA=sim.AlphaPSR(tau_syn=1.0, e_syn=0.0),
                         NMDA=sim.AlphaPSR(tau_syn=20.0, e_syn=0.0),
                         GABAA=sim.AlphaPSR(tau_syn=1.5, e_syn=-70.0))
    c2 = sim.PointNeuron(sim.LIF(tau_m=10.0, v_rest=-60.0),
                         AMPA=sim.CurrExpPostSynapticResponse(tau_syn=1.0),
                         NMDA=sim.CurrExpPostSynapticResponse(tau_syn=20.0),
                         GABAA=sim.CurrExpPostSynapticResponse(tau_syn=1.5))
    n1 = sim.Population(1, c1, initial_values={"v": -60.0})
    n2 = sim.Population(1, c2, initial_values={"v": -60.0})
    both = n1 + n2
    n1.record(["v", "AMPA.gsyn", "NMDA.gsyn", "GABAA.gsyn"])
    n2.record(["v", "AMPA.isyn", "NMDA.isyn", "GABAA.isyn"])
    assert both.get("tau_m") == pytest.approx(10.0)
    assert n1.get("GABAA.e_syn") == -70.0
    assert n2.get("GABAA.tau_syn") == 1.5
    inputs = sim.Population(3, sim.SpikeSourceArray(
        spike_times=[Sequence([30.0]), Sequence([60.0]), Sequence([90.0])]))
    for pre, post, w, r in [(0, n1, 0.01, "AMPA"), (1, n1, 0.1, "GABAA"), (2, n1, 0.005, "NMDA"),
                            (0, n2, 0.01, "AMPA"), (1, n2, -0.1, "GABAA"),
                            (2, n2, 0.005, "NMDA")]:
        sim.Projection(inputs[pre:pre + 1], post, sim.AllToAllConnector(),
                       synapse_type=sim.StaticSynapse(weight=w, delay=1.5), receptor_type=r)
    sim.run(200.0)
    return n1, n2, {a.name + str(i): np.asarray(a)[:, 0] for i, seg in enumerate(
        [n1.get_data().segments[0], n2.get_data().segments[0]]) for a in seg.analogsignals}


def test_pynn_point_neuron_scenario():
    import spikesim.pynn as sim

    n1, n2, sig = _pynn_scenario(sim)
    t = np.arange(sig["v0"].shape[0]) * DT
    onset = {"AMPA": 31.5, "GABAA": 61.5, "NMDA": 91.5}
    for i, var in ((0, "gsyn"), (1, "isyn")):
        for r, t0 in onset.items():
            x = sig[f"{r}.{var}{i}"]
            assert not x[t <= t0 - 1e-9].any() and np.abs(x[t > t0 + 1e-9]).max() > 0, (r, var)
        v = sig[f"v{i}"]
        assert v[(t > 31.5) & (t < 45)].max() > v[t < 31].max() + 5e-3      # AMPA depolarises
        assert v[(t > 61.5) & (t < 80)].min() < v[(t > 55) & (t < 61)].min() - 5e-3  # GABAA
    assert sig["GABAA.isyn1"].min() == pytest.approx(-0.1)
    assert sig["AMPA.gsyn0"].max() == pytest.approx(0.01, rel=1e-3)
    # set / initialize through the nested names
    n2.set(**{"NMDA.tau_syn": 5.0})
    assert n2.get("NMDA.tau_syn") == 5.0 and n2.get("GABAA.tau_syn") == 1.5
    assert n2._ss.params["tau_syn_2"] == 5.0  # receptors sorted: AMPA, GABAA, NMDA
    n1.initialize(**{"NMDA.gsyn": 0.002})
    assert n1._ss._state("gsyn_2")[0] == 0.002
    sim.end()


def test_pynn_point_neuron_refusals():
    import spikesim.pynn as sim

    sim.setup(timestep=DT)
    psr = {f"R{k}": sim.CurrExpPostSynapticResponse() for k in range(5)}
    with pytest.raises(NotImplementedError, match="K_MAX = 4"):
        sim.PointNeuron(sim.LIF(), **psr)
    with pytest.raises(NotImplementedError, match="mixed"):
        sim.PointNeuron(sim.AdExp(), A=sim.AlphaPSR(), B=sim.CondExpPostSynapticResponse())
    with pytest.raises(NotImplementedError, match=r"PointNeuron\(LIF, CondAlphaPostSynapticResponse\)"):
        sim.PointNeuron(sim.LIF(), A=sim.AlphaPSR())
    with pytest.raises(NotImplementedError, match="CondExpPostSynapticResponse"):
        sim.PointNeuron(sim.AdExp(), A=sim.CondExpPostSynapticResponse())
    sim.end()
