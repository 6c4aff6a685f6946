"""sPyNNaker's front-end idioms on spikesim.pynn.spynnaker (issue 16): each call as sPyNNaker's
own scripts write it, and a small script in their style run end to end."""
from __future__ import annotations

import numpy as np
import pytest
from pyNN import errors

import spikesim as ss
import spikesim.pynn.spynnaker as sim


@pytest.fixture(autouse=True)
def fresh():
    sim.setup(timestep=1.0)
    yield
    sim.end()


def test_name_and_machine_calls():
    assert "spikesim" in sim.name()
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 100)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 100.0)   # sPyNNaker takes floats
    sim.set_number_of_neurons_per_core(sim.SpikeSourcePoisson, (16, 16))
    sim.set_allow_delay_extensions(False)                      # older sPyNNaker
    sim.set_allow_delay_extensions(sim.IF_curr_exp, False)     # sPyNNaker 7 (microcircuit_model)
    sim.set_number_of_synapse_cores(sim.IF_curr_exp, 0)
    sim.set_number_of_synapse_cores(sim.IF_curr_exp, None)
    with pytest.raises(errors.InvalidParameterValueError, match="n_synapse_cores.*-1"):
        sim.set_number_of_synapse_cores(sim.IF_curr_exp, -1)
    with pytest.raises(errors.InvalidParameterValueError, match="allow_delay_extensions.*'no'"):
        sim.set_allow_delay_extensions(sim.IF_curr_exp, "no")
    for bad in (2.5, 0, -3, "100", (4, 0)):
        with pytest.raises(errors.InvalidParameterValueError, match="max_permitted"):
            sim.set_number_of_neurons_per_core(sim.IF_curr_exp, bad)
    with pytest.raises(errors.InvalidParameterValueError, match="allow"):
        sim.set_allow_delay_extensions("yes")
    with pytest.raises(NotImplementedError, match="get_machine"):
        sim.get_machine()
    with pytest.raises(NotImplementedError, match="external_devices.SpikeInjector.*SpiNNaker"):
        sim.external_devices.SpikeInjector
    sim.setup(timestep=1.0, n_chips_required=4)  # machine sizing: accepted


def test_extra_models_run_and_unknown_ones_are_named():
    cells = {"IFCurDelta": dict(), "IF_curr_dual_exp": dict(tau_syn_E2=2.0),
             "IFCurrExpCa2Adaptive": dict(), "IFCondExpStoc": dict(),
             "IF_curr_exp_sEMD": dict(), "Izhikevich_cond": dict()}
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[2.0, 4.0, 6.0]))
    pops = {}
    for name, kw in cells.items():
        pop = sim.Population(3, getattr(sim.extra_models, name)(**kw), label=name)
        pop.record("v")
        sim.Projection(src, pop, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.5 if "cond" not in name.lower() else 0.01,
                                         delay=1.0))
        if name == "IF_curr_exp_sEMD":  # the trigger (excitatory2) multiplies the facilitation
            sim.Projection(src, pop, sim.AllToAllConnector(),
                           sim.StaticSynapse(weight=0.5, delay=2.0), receptor_type="excitatory2")
        pops[name] = pop
    sim.run(20.0)
    for name, pop in pops.items():
        v = np.asarray(pop.get_data().segments[0].filter(name="v")[0])
        assert v.shape == (20, 3) and np.isfinite(v).all() and np.ptp(v) > 0, name  # t=0..19
    with pytest.raises(NotImplementedError, match="extra_models.IzhikevichNeuromodulation"):
        sim.extra_models.IzhikevichNeuromodulation
    # the dual-exponential model's second excitatory receptor, by name
    p = sim.Population(1, sim.extra_models.IF_curr_dual_exp())
    sim.Projection(src, p, sim.OneToOneConnector(), receptor_type="excitatory2")
    with pytest.raises(Exception, match="excitatory3"):
        sim.Projection(src, p, sim.OneToOneConnector(), receptor_type="excitatory3")


def test_izhikevich_is_spynnakers():
    """sPyNNaker's Izhikevich takes i_offset without PyNN's factor 1000: i_offset = 10 fires
    regularly, as spikesim's IzkCurrExp(i_offset=10) does."""
    pop = sim.Population(1, sim.Izhikevich(i_offset=10.0))
    pop.record("spikes")
    sim.run(200.0)
    n = len(pop.get_data().segments[0].spiketrains[0])
    net = ss.Network(dt=1.0)
    ref = net.add_population(1, ss.IzkCurrExp(i_offset=10.0))
    rec = net.record(ref, "spikes")
    net.run(200.0)
    assert n == len(rec.spikes) > 3


@pytest.mark.parametrize("how", ["keyword", "additional_parameters"])
def test_poisson_seed_gives_the_same_spikes(how):
    def spikes(seed):
        sim.setup(timestep=1.0)
        kw = ({"seed": seed} if how == "keyword" else
              {"additional_parameters": {"seed": seed, "max_rate": 40.0}})
        p = sim.Population(4, sim.SpikeSourcePoisson(rate=40.0), **kw)
        p.record("spikes")
        sim.run(300.0)
        return [np.asarray(t).tolist() for t in p.get_data().segments[0].spiketrains]

    a, b, c = spikes(7), spikes(7), spikes(8)
    assert a == b and a != c and sum(map(len, a)) > 20
    for bad in (-1, 2.5, "7"):
        with pytest.raises(errors.InvalidParameterValueError, match="seed"):
            sim.Population(2, sim.SpikeSourcePoisson(), seed=bad)
    with pytest.raises(NotImplementedError, match="bogus"):
        sim.Population(2, sim.SpikeSourcePoisson(), additional_parameters={"bogus": 1})


def test_population_views_take_every_selector_spynnaker_scripts_use():
    p = sim.Population(10, sim.IF_curr_exp(), label="p")
    for sel, want in ((range(2, 5), [2, 3, 4]), ([1, 3, 8], [1, 3, 8]), ((0, 9), [0, 9]),
                      (np.array([4, 5]), [4, 5]), (slice(7, None), [7, 8, 9]), (3, [3]),
                      (np.arange(10) % 3 == 0, [0, 3, 6, 9])):
        v = sim.PopulationView(p, sel)
        assert list(v.index_in_grandparent(np.arange(v.size))) == want, sel
    assert p[range(0, 10, 4)].size == 3 and p[range(2, 8)][range(1, 3)].size == 2
    with pytest.raises(errors.InvalidParameterValueError, match="selector"):
        sim.PopulationView(p, ["a", "b"])


def test_spike_source_array_repeats_and_order_as_spynnaker():
    """Unsorted times are sorted; a time listed twice is two spikes, both delivered."""
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 3.0, 5.0], [7.0]]))
    post = sim.Population(1, sim.IF_curr_exp(tau_syn_E=1e6, tau_m=1e6, v_thresh=1e3))
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0, delay=1.0))
    src.record("spikes")
    post.record("isyn_exc")
    sim.run(10.0)
    trains = src.get_data().segments[0].spiketrains
    assert sorted(np.asarray(trains[0]).tolist()) == [3.0, 5.0, 5.0]
    i = np.asarray(post.get_data().segments[0].filter(name="isyn_exc")[0])[:, 0]
    assert np.allclose(np.round(i[[4, 6, 8, 9]]), [1.0, 3.0, 4.0, 4.0])  # 1, then +2, then +1
    # plastic synapses from such a source are refused
    stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                             weight_dependence=sim.AdditiveWeightDependence(w_max=1.0),
                             weight=0.5, delay=1.0)
    with pytest.raises(errors.ConnectionError, match="fires twice in one step"):
        sim.Projection(src, post, sim.AllToAllConnector(), stdp)


def test_a_spynnaker_style_script_runs_to_the_end():
    """A script in sPyNNaker's style: per-core limits, delay extensions, seeded Poisson
    input with additional_parameters, views by range, an extra model, sPyNNaker's positive
    inhibitory weights, get_data / spinnaker-style segment access."""
    sim.setup(timestep=1.0, min_delay=1.0)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 50.0)
    sim.set_allow_delay_extensions(True)
    n = 100
    noise = sim.Population(n, sim.SpikeSourcePoisson(rate=20.0), label="noise",
                           additional_parameters={"seed": 42, "max_rate": 20.0})
    exc = sim.Population(n, sim.IF_curr_exp(tau_refrac=2.0), label="exc")
    inh = sim.Population(25, sim.extra_models.IF_curr_dual_exp(tau_syn_E2=10.0), label="inh")
    exc.set(v=-60.0)
    sim.Projection(noise, exc, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=2.5, delay=1.0))
    sim.Projection(sim.PopulationView(exc, range(0, 50)), inh, sim.FixedProbabilityConnector(0.2),
                   sim.StaticSynapse(weight=1.0, delay=20.0), receptor_type="excitatory2")
    sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=2.0, delay=2.0), receptor_type="inhibitory")
    exc.record(["spikes", "v"])
    inh[range(5)].record("spikes")
    sim.run(500.0)
    seg = exc.get_data().segments[0]
    n_exc = sum(len(t) for t in seg.spiketrains)
    n_inh = sum(len(t) for t in inh.get_data("spikes").segments[0].spiketrains)
    assert n_exc > 100 and n_inh > 0
    assert seg.filter(name="v")[0].shape == (500, n)  # as sPyNNaker: one sample per step


def test_spinnaker_get_data_returns_numpy_rows_as_spynnaker():
    src = sim.Population(3, sim.SpikeSourceArray(spike_times=[[2.0, 4.0], [3.0], []]))
    pop = sim.Population(2, sim.IF_curr_exp(i_offset=[2.0, 0.0]))
    src.record("spikes")
    pop.record("v")
    sim.run(10.0)
    np.testing.assert_array_equal(src.spinnaker_get_data("spikes"),
                                  [[0, 2.0], [0, 4.0], [1, 3.0]])
    rows = pop.spinnaker_get_data("v")
    assert rows.shape == (20, 3) and list(rows[:2, :2].ravel()) == [0, 0.0, 0, 1.0]
    matrix = pop.spinnaker_get_data("v", as_matrix=True)
    assert matrix.shape == (10, 2) and matrix[0, 0] == -65.0
    assert matrix[:, 0].max() > -60.0 and np.all(matrix[:, 1] == -65.0)  # only neuron 0 is driven
    np.testing.assert_array_equal(rows[:10, 2], matrix[:, 0])
    only = pop.spinnaker_get_data("v", view_indexes=[1])
    assert set(only[:, 0]) == {1.0}
    with pytest.raises(errors.InvalidParameterValueError, match="one variable"):
        pop.spinnaker_get_data(["v", "spikes"])


def test_all_but_me_connector():
    a = sim.Population(5, sim.SpikeSourcePoisson(rate=1.0))
    b = sim.Population(5, sim.IF_curr_exp())
    proj = sim.Projection(a, b, sim.extra_models.AllButMeConnector(),
                          sim.StaticSynapse(weight=0.5))
    w = proj.get("weight", format="array")
    assert len(proj) == 20 and np.isnan(np.diag(w)).all()
    assert np.all(w[~np.eye(5, dtype=bool)] == 0.5)
    with pytest.raises(NotImplementedError, match="n_neurons_per_group"):
        sim.extra_models.AllButMeConnector(n_neurons_per_group=2)


def test_delays_below_one_step_are_clipped_up_as_spynnaker_does():
    """sPyNNaker's AbstractConnector._clip_delays: drawn delays below the minimum (one time
    step) are set to it (and counted); PyNN's conventions refuse them, and a delay given as a
    number below one step stays bad input (tests/test_spynnaker_frontend2.py)."""
    from pyNN.random import NumpyRNG

    src = sim.Population(20, sim.SpikeSourceArray(spike_times=[1.0]))
    dst = sim.Population(20, sim.IF_curr_exp())  # 400 draws: about 124 below 0.5 ms
    d = sim.RandomDistribution("normal", mu=2.0, sigma=3.0, rng=NumpyRNG(seed=3))
    with pytest.warns(UserWarning, match="delays of .* below one time step"):
        prj = sim.Projection(src, dst, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0,
                                                                                  delay=d))
    delays = np.array(prj.get("delay", "list", with_address=False))
    assert delays.min() == 1.0 and (delays == 1.0).sum() > 80
    import spikesim.pynn as pynn

    pynn.setup(timestep=1.0)
    a = pynn.Population(2, pynn.SpikeSourceArray(spike_times=[1.0]))
    b = pynn.Population(2, pynn.IF_curr_exp())
    with pytest.raises(errors.ConnectionError, match="delay"):
        pynn.Projection(a, b, pynn.AllToAllConnector(), pynn.StaticSynapse(weight=1.0, delay=0.2))
    pynn.end()
    sim.setup(timestep=1.0)


def test_front_end_computes_in_float32_unless_asked_for_float64():
    """The sPyNNaker front end defaults to float32 (SpiNNaker's own arithmetic is 32-bit
    fixed point, coarser than float32 in the ranges of v and of the weights); a script's
    ``setup(dtype="float64")`` still gives float64. The two agree to float32's rounding."""
    from spikesim.pynn import simulator

    def run(**kw):
        sim.setup(timestep=0.1, **kw)
        src = sim.Population(1, sim.SpikeSourceArray([2.0, 9.0, 11.5]), label="src")
        pop = sim.Population(2, sim.IF_curr_exp(tau_syn_E=2.0), label="pop")
        proj = sim.Projection(src, pop, sim.AllToAllConnector(),
                              sim.StaticSynapse(weight=0.7, delay=1.0))
        pop.record("v")
        sim.run(30.0)
        v = np.asarray(pop.get_data().segments[0].filter(name="v")[0])[:, 0]
        return simulator.state.net.dtype, v, proj.get("weight", "list")[0][2]

    d32, v32, w32 = run()
    d64, v64, w64 = run(dtype="float64")
    assert (np.dtype(d32), np.dtype(d64)) == (np.float32, np.float64)
    assert w64 == 0.7 and w32 == float(np.float32(0.7)) != 0.7
    assert np.ptp(v64) > 2.0  # three inputs moved v
    np.testing.assert_allclose(v32, v64, rtol=1e-5, atol=1e-4)
