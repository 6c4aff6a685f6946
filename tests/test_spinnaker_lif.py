"""sPyNNaker's LIF (IFCurrExpSpiNNaker / IFCondExpSpiNNaker) and the sPyNNaker front end's timing.

Expected values come from the equations of sPyNNaker's C code (neuron_model_lif_impl.h,
exp_synapse_utils.h, neuron_impl_standard.h, spike_source_array_vertex.py), written out
here, not from a spikesim run.
"""
from __future__ import annotations

import numpy as np
import pytest

import spikesim as ss
import spikesim.pynn.spynnaker as sim


def test_constant_current_trace_is_the_closed_form():
    """With a constant current the exponential-Euler step is exact: v(t) = v_inf + (v0 - v_inf) e^{-t/tau}."""
    dt, tau_m, cm, i = 0.1, 10.0, 0.5, 1.2
    net = ss.Network(dt=dt, dtype="float64")
    pop = net.add_population(1, ss.IFCurrExpSpiNNaker(tau_m=tau_m, cm=cm, i_offset=i,
                                                       v_thresh=100.0))
    rec = net.record(pop, "v")
    net.run(50.0)
    t = rec.v.times
    v_inf = -65.0 + tau_m / cm * i
    np.testing.assert_allclose(rec.v.values[:, 0], v_inf + (-65.0 - v_inf) * np.exp(-t / tau_m),
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize("tau_refrac", [0.0, 0.1, 0.25, 2.0])
def test_interspike_interval_and_refractory_ticks(tau_refrac):
    """Regular firing: the ISI is ceil(tau_refrac/dt) held ticks plus the ticks needed to reach
    threshold from v_reset, counted with the closed form above."""
    dt, tau_m, cm, i = 0.1, 20.0, 1.0, 1.0
    vth, vreset = -55.0, -70.0
    net = ss.Network(dt=dt, dtype="float64")
    pop = net.add_population(1, ss.IFCurrExpSpiNNaker(tau_m=tau_m, cm=cm, i_offset=i,
                                                       v_thresh=vth, v_reset=vreset,
                                                       v_rest=-65.0, tau_refrac=tau_refrac))
    rec = net.record(pop, "spikes")
    net.run(300.0)
    steps = np.round(rec.spikes.times / dt).astype(int)
    v_inf = -65.0 + tau_m / cm * i
    k = np.arange(1, 10_000)
    climb = int(k[np.argmax(v_inf + (vreset - v_inf) * np.exp(-k * dt / tau_m) >= vth)])
    held = int(np.ceil(tau_refrac / dt - 1e-9))
    assert steps.size > 5
    assert np.all(np.diff(steps) == held + climb)


def test_conductance_input_uses_the_voltage_at_the_start_of_the_tick():
    """One excitatory input of g (uS) in tick 0: I = g init (E_e - v0), then the closed form."""
    dt, g, tau_e = 1.0, 0.01, 5.0
    net = ss.Network(dt=dt, dtype="float64")
    src = net.add_population(1, ss.SpikeSourceArray(spike_times=[1.0]))   # sent in step 0
    pop = net.add_population(1, ss.IFCondExpSpiNNaker(tau_syn_E=tau_e))
    net.connect(src, pop, ss.AllToAll(), weight=g, delay=1.0)             # arrives in step 1
    rec = net.record(pop, "v")
    net.run(3.0)
    init = tau_e / dt * (1 - np.exp(-dt / tau_e))
    v0 = -65.0
    alpha = g * init * (0.0 - v0) * 20.0 + v0                              # R = tau_m / cm = 20
    v2 = alpha - np.exp(-dt / 20.0) * (alpha - v0)
    assert rec.v.values[0, 0] == v0                                         # after step 0
    assert rec.v.values[1, 0] == pytest.approx(v2, abs=1e-12)               # after step 1


@pytest.mark.parametrize("dt,cm", [(1.0, 1.0), (0.1, 0.5)])
def test_delta_input_is_the_tick_charge_held_over_the_tick(dt, cm):
    """sPyNNaker's IF_curr_delta: the weights of a tick over h, held for the tick, then the
    closed form; then free decay. Recorded isyn_exc / isyn_inh are the tick's weights."""
    net = ss.Network(dt=dt, dtype="float64")
    src = net.add_population(2, ss.SpikeSourceArray(spike_times=[[dt], [dt]]))  # step 0
    pop = net.add_population(1, ss.IFCurrDeltaSpiNNaker(cm=cm, tau_m=20.0))
    net.connect(src[0:1], pop, ss.AllToAll(), weight=2.0, delay=dt)                 # step 1
    net.connect(src[1:2], pop, ss.AllToAll(), weight=-0.5, delay=dt,
                receptor_type="inhibitory")
    rec = net.record(pop, ["v", "isyn_exc", "isyn_inh"])
    net.run(4 * dt)
    v0, r = -65.0, 20.0 / cm
    alpha = (2.0 - 0.5) / dt * r + v0
    v1 = alpha - np.exp(-dt / 20.0) * (alpha - v0)
    expect = [v0, v1, v0 + (v1 - v0) * np.exp(-dt / 20.0), v0 + (v1 - v0) * np.exp(-2 * dt / 20.0)]
    np.testing.assert_allclose(rec.v.values[:, 0], expect, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rec.isyn_exc.values[:, 0], [0.0, 2.0, 0.0, 0.0])
    np.testing.assert_allclose(rec.isyn_inh.values[:, 0], [0.0, -0.5, 0.0, 0.0])
    # one weight w moves v by (w / cm)(tau_m / h)(1 - exp(-h / tau_m)), a little less than w / cm
    assert v1 - v0 == pytest.approx(1.5 / cm * 20.0 / dt * -np.expm1(-dt / 20.0), rel=1e-12)


def test_front_end_delta_cell_records_gsyn_as_spynnaker():
    sim.setup(timestep=1.0)
    try:
        src = sim.Population(1, sim.SpikeSourceArray([5.0]))
        pop = sim.Population(1, sim.extra_models.IFCurDelta())
        sim.Projection(src, pop, sim.OneToOneConnector(), sim.StaticSynapse(weight=3.0))
        pop.record("all")
        sim.run(10.0)
        seg = pop.get_data().segments[0]
        gsyn = np.asarray(seg.filter(name="gsyn_exc")[0]).ravel()
        assert gsyn.max() == 3.0 and np.count_nonzero(gsyn) == 1
        assert sim.extra_models.IFCurDelta is sim.IF_curr_delta
    finally:
        sim.end()


@pytest.mark.parametrize("delay", [1.0, 3.0])
def test_front_end_hop_is_the_delay(delay):
    """On SpiNNaker a spike sent in tick t with delay d is added in tick t + d before the membrane
    step, so a strong enough input makes the target fire in tick t + d; spikes are recorded at
    the start of their tick. A source time T is sent in tick ceil(T / dt)."""
    sim.setup(timestep=1.0)
    try:
        src = sim.Population(1, sim.SpikeSourceArray([0, 10.0, 20.5]), label="src")
        # a 0.1 ms synapse at dt = 1 ms: the input acts in one tick only (init 0.1, decay e^-10)
        pop = sim.Population(1, sim.IF_curr_exp(tau_syn_E=0.1), label="pop")
        sim.Projection(src, pop, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=200.0, delay=delay))
        src.record("spikes")
        pop.record("spikes")
        sim.run(50)
        sent = np.asarray(src.get_data("spikes").segments[0].spiketrains[0])
        fired = np.asarray(pop.get_data("spikes").segments[0].spiketrains[0])
    finally:
        sim.end()
    np.testing.assert_array_equal(sent, [0.0, 10.0, 21.0])
    np.testing.assert_array_equal(fired, sent + delay)


def test_front_end_records_v_before_and_input_of_the_tick():
    """sPyNNaker records, at tick t, v before the tick's update and the synaptic input used in it."""
    sim.setup(timestep=1.0, dtype="float64")  # compared with the closed form to 1e-12
    try:
        src = sim.Population(1, sim.SpikeSourceArray([2.0]), label="src")
        pop = sim.Population(1, sim.IF_curr_exp(), label="pop")
        sim.Projection(src, pop, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0, delay=1))
        pop.record(["v", "gsyn_exc"])
        sim.run(6)
        seg = pop.get_data().segments[0]
        v = np.asarray(seg.filter(name="v")[0])[:, 0]
        i = np.asarray(seg.filter(name="gsyn_exc")[0])[:, 0]
    finally:
        sim.end()
    init = 5.0 * (1 - np.exp(-1 / 5.0))
    i3 = init                                   # arrives in tick 3 (sent in tick 2, delay 1)
    expect_i = [0, 0, 0, i3, i3 * np.exp(-0.2), i3 * np.exp(-0.4)]
    np.testing.assert_allclose(i, expect_i, rtol=1e-12, atol=0)
    v4 = -65.0 + 20.0 * i3 * (1 - np.exp(-1 / 20.0))   # alpha - e^{-h/tau}(alpha - v_rest)
    assert v.shape == (6,)
    np.testing.assert_array_equal(v[:4], -65.0)
    assert v[4] == pytest.approx(v4, abs=1e-9)


def test_bad_parameters_are_refused_with_the_name():
    net = ss.Network(dt=0.1)
    with pytest.raises(ValueError, match="v_reset"):
        net.add_population(2, ss.IFCurrExpSpiNNaker(v_reset=-40.0, v_thresh=-50.0))
    assert not net.populations
    with pytest.raises(ValueError, match="tau_m"):
        ss.IFCondExpSpiNNaker(tau_m=-1.0)
