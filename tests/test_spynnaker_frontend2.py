"""More of sPyNNaker's front-end idioms (issue 16), found by running sPyNNaker's own
integration tests (``benchmarks/spynnaker_scripts.py``): one test per idiom, each a small
script written in sPyNNaker's style."""
from __future__ import annotations

import numpy as np
import pytest
from pyNN import errors

import spikesim.pynn.spynnaker as sim
from spikesim.pynn.spynnaker import exceptions, plot_utils, spike_checker
from spikesim.pynn.spynnaker.models.neuron.synapse_dynamics import (
    calculate_spike_pair_additive_stdp_weight, calculate_spike_pair_multiplicative_stdp_weight)
from spikesim.pynn.spynnaker.models.spike_source.spike_source_poisson_vertex import \
    DURATION_FOREVER
from spikesim.pynn.spynnaker.utilities import neo_compare, neo_convertor


@pytest.fixture(autouse=True)
def fresh():
    # closed forms compared at float64 precision (the front end's default is float32:
    # tests/test_spynnaker_frontend.py)
    sim.setup(timestep=1.0, dtype="float64")
    yield
    sim.end()


def _driven(n=3, times=(5.0, 25.0)):
    src = sim.Population(1, sim.SpikeSourceArray(list(times)), label="src")
    pop = sim.Population(n, sim.IF_curr_exp(), label="cells")
    sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=4.0, delay=1.0))
    return src, pop


def test_record_all_records_every_recordable_variable():
    src, pop = _driven()
    pop.record("all")
    src.record("all")
    sim.run(40)
    block = pop.get_data("all")
    names = {s.name for s in block.segments[0].analogsignals}
    assert {"v", "gsyn_exc", "gsyn_inh"} <= names
    assert len(block.segments[0].spiketrains) == 3
    assert len(src.get_data("all").segments[0].spiketrains[0]) == 2


def test_gsyn_of_a_current_based_cell_is_its_synaptic_current():
    src, pop = _driven(times=(5.0,))
    pop.record(["gsyn_exc", "gsyn_inh"])
    sim.run(20)
    seg = pop.get_data().segments[0]
    exc = seg.filter(name="gsyn_exc")[0]
    assert str(exc.units.dimensionality) == "nA"
    g = np.asarray(exc)[:, 0]
    # sPyNNaker's exponential synapse (exp_synapse_utils.h): the weight enters scaled by
    # tau/dt (1 - exp(-dt/tau)), and is recorded in the tick it arrives: sent at t = 5,
    # delay 1 -> tick 6
    init = 5.0 * (1.0 - np.exp(-1.0 / 5.0))
    assert int(np.argmax(g)) == 6 and np.all(g[:6] == 0.0)
    assert g[6] == pytest.approx(4.0 * init, rel=1e-9)
    assert np.all(np.asarray(seg.filter(name="gsyn_inh")[0]) == 0.0)
    # decays with tau_syn_E = 5 ms after the jump
    assert g[11] == pytest.approx(4.0 * init * np.exp(-1.0), rel=1e-9)


def test_asking_for_an_unrecorded_variable_raises_configuration_exception():
    src, pop = _driven()
    pop.record("v")
    sim.run(10)
    with pytest.raises(exceptions.ConfigurationException, match="spikes"):
        pop.get_data("spikes")
    with pytest.raises(exceptions.ConfigurationException, match="gsyn_exc"):
        pop.write_data("/tmp/never_written.pkl", "gsyn_exc")
    assert issubclass(exceptions.ConfigurationException, exceptions.SpynnakerException)
    with pytest.raises(errors.RecordingError):   # still PyNN's error too
        pop.get_data(["v", "spikes"])


def test_signals_carry_channel_names_as_spynnaker():
    src, pop = _driven(n=6)
    pop[[1, 4, 5]].record("v")
    sim.run(5)
    v = pop.get_data("v").segments[0].filter(name="v")[0]
    assert list(v.annotations["channel_names"]) == [1, 4, 5]


def test_refractory_period_counts_whole_steps_rounded_up():
    """sPyNNaker holds v at v_reset for ceil(tau_refrac / dt) steps after the spike step:
    PyNN's default 0.1 ms is one whole step at dt = 1 ms."""
    pop = sim.Population(1, sim.IF_curr_exp(i_offset=2.0), label="cell")
    pop.record(["v", "spikes"])
    sim.run(40)
    v = np.asarray(pop.get_data().segments[0].filter(name="v")[0])[:, 0]
    resets = np.flatnonzero(v == -65.0)
    after_first = resets[resets > 0][:2]
    assert len(after_first) == 2 and after_first[1] == after_first[0] + 1  # two samples held
    assert pop.get("tau_refrac") == pytest.approx([0.1])   # the value given is kept (a list per neuron, as sPyNNaker)
    pop.set(tau_refrac=1.5)                               # -> 2 steps
    assert pop.get("tau_refrac") == pytest.approx([1.5])


def test_a_run_records_one_sample_per_step_as_spynnaker():
    """sPyNNaker samples a state variable at the start of every step: run(T) gives T/dt
    samples (t = 0 .. T - dt), and runs without a reset continue the same segment."""
    pop = sim.Population(2, sim.IF_curr_exp(i_offset=1.0), label="cells")
    pop.record("v")
    pop[0:1].record("gsyn_exc")
    sim.run(5)
    sim.run(5)
    v = pop.get_data("v").segments[0].filter(name="v")[0]
    assert v.shape == (10, 2) and float(v.times[-1]) == 9.0 and float(v[0, 0]) == -65.0
    assert pop.spinnaker_get_data("v").shape == (20, 3)
    assert pop.get_data("gsyn_exc").segments[0].filter(name="gsyn_exc")[0].shape == (10, 1)
    sim.reset()
    sim.run(3)
    assert pop.get_data("v").segments[1].filter(name="v")[0].shape == (3, 2)


def test_run_time_is_rounded_up_to_whole_steps():
    sim.setup(timestep=0.5)
    pop = sim.Population(1, sim.IF_curr_exp(), label="cell")
    sim.run(1.2)                       # 2.4 steps -> 3 steps, as sPyNNaker runs them
    assert sim.get_current_time() == pytest.approx(1.5)
    sim.run(0.5)
    assert sim.get_current_time() == pytest.approx(2.0)
    sim.run_until(3.1)
    assert sim.get_current_time() == pytest.approx(3.5)
    assert pop.size == 1


def test_placement_calls_are_accepted_and_checked():
    pop = sim.Population(20, sim.IF_curr_exp(), structure=sim.Grid2D(4 / 5), label="grid")
    pop.set_max_atoms_per_core((2, 5))
    pop.set_max_atoms_per_core(10.0)
    pop.add_placement_constraint(0, 0)
    pop.add_placement_constraint(x=1, y=2, p=3)
    for bad in ((0, 2), 2.5, -1):
        with pytest.raises(errors.InvalidParameterValueError):
            pop.set_max_atoms_per_core(bad)
    with pytest.raises(errors.InvalidParameterValueError, match="add_placement_constraint"):
        pop.add_placement_constraint(-1, 0)
    assert isinstance(sim.Grid3D(1.0, 1.0), sim.Grid3D) and sim.Line and sim.RandomStructure



def test_synapse_cores_and_splitters_are_accepted_and_checked():
    from spikesim.pynn.spynnaker.extra_algorithms.splitter_components import (
        SplitterAbstractPopulationVertexNeuronsSynapses)

    split = SplitterAbstractPopulationVertexNeuronsSynapses(1)
    a = sim.Population(2, sim.IF_curr_exp(), n_synapse_cores=0)
    b = sim.Population(2, sim.IF_curr_exp(), additional_parameters={"splitter": split})
    sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0))
    sim.run(5.0)
    assert repr(split) == "SplitterAbstractPopulationVertexNeuronsSynapses(1)"
    for bad in (-1, 1.5, True):
        with pytest.raises(errors.InvalidParameterValueError, match="n_synapse_cores"):
            sim.Population(2, sim.IF_curr_exp(), n_synapse_cores=bad)


def test_negative_amplitude_turns_its_side_of_the_window_around():
    """sPyNNaker adds ``-A_minus * o`` at a presynaptic spike whatever the sign: with
    ``A_minus=-1`` a post-then-pre pair raises the weight by ``exp(-lag / tau_minus)``."""
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[30.0]))
    kick = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=50.0))
    sim.Projection(kick, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=20.0))
    post.record("spikes")
    proj = sim.Projection(pre, post, sim.OneToOneConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=10.0, tau_minus=12.0, A_plus=1.0,
                                            A_minus=-1.0),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=20.0), weight=2.0))
    sim.run(60.0)
    t_post = float(post.get_data("spikes").segments[0].spiketrains[0][0])
    w = proj.get("weight", "list", with_address=False)[0]
    lag = 30.0 - (t_post + 1.0)  # the post spike reaches the synapse one delay later
    assert w == pytest.approx(2.0 + np.exp(-lag / 12.0), rel=1e-6)
    other = sim.Population(1, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match="negative amplitudes"):
        sim.Projection(pre, other, sim.OneToOneConnector(), sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(A_minus=-1.0),
            weight_dependence=sim.MultiplicativeWeightDependence(), weight=0.5))


def test_spike_source_array_takes_its_times_positionally():
    src = sim.Population(2, sim.SpikeSourceArray([3.0, 9.0]), label="src")
    src.record("spikes")
    sim.run(12)
    assert [list(st.magnitude) for st in src.get_data().segments[0].spiketrains] == \
        [[3.0, 9.0], [3.0, 9.0]]


def test_a_spike_given_at_zero_is_recorded_at_zero():
    """spikesim emits a time in [0, dt) in the first step (stamped dt); sPyNNaker records
    it at 0, and so does its front end here. A time of exactly dt stays dt."""
    src = sim.Population(3, sim.SpikeSourceArray([[0.0, 1.0, 4.0], [1.0], [0.0, 0.0]]),
                         label="src")
    src.record("spikes")
    sim.run(6)
    st = src.get_data().segments[0].spiketrains
    assert [list(t.magnitude) for t in st] == [[0.0, 1.0, 4.0], [1.0], [0.0, 0.0]]
    assert src.spinnaker_get_data("spikes")[:3].tolist() == [[0, 0.0], [0, 1.0], [0, 4.0]]


def test_projection_list_is_sorted_by_source_then_target_and_nparray_is_array():
    pre = sim.Population(4, sim.IF_curr_exp(), label="pre")
    post = sim.Population(3, sim.IF_curr_exp(), label="post")
    prj = sim.Projection(pre, post, sim.FromListConnector(
        [(3, 0, 1.0, 1.0), (0, 2, 2.0, 2.0), (3, 1, 3.0, 3.0), (0, 1, 4.0, 4.0)]))
    rows = prj.get(["weight", "delay"], "list")
    assert [tuple(r[:2]) for r in rows] == [(0, 1), (0, 2), (3, 0), (3, 1)]
    assert rows[0] == [0, 1, 4.0, 4.0]          # rows are lists, as sPyNNaker's
    assert all(isinstance(r[0], int) and isinstance(r[1], int) for r in rows)  # usable indices
    assert prj.get("weight", "list", with_address=False) == [4.0, 2.0, 1.0, 3.0]
    assert [tuple(r) for r in prj.get([], "list")] == [(0, 1), (0, 2), (3, 0), (3, 1)]
    arr = prj.get("delay", format="nparray")
    assert arr.shape == (4, 3) and arr[3, 1] == 3.0 and np.isnan(arr[1, 1])


def test_one_to_one_of_unequal_sizes_connects_the_shorter_range():
    a = sim.Population(5, sim.SpikeSourceArray([1.0]), label="a")
    b = sim.Population(3, sim.IF_curr_exp(), label="b")
    prj = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.5, delay=2))
    assert prj.get(["weight", "delay"], "list") == \
        [[0, 0, 0.5, 2.0], [1, 1, 0.5, 2.0], [2, 2, 0.5, 2.0]]
    views = sim.Projection(a[1:3], b[0:2], sim.AllToAllConnector(),
                           sim.StaticSynapse(weight=0.5, delay=2))
    assert views.get("weight", "list") == [[1, 0, 0.5], [1, 1, 0.5], [2, 0, 0.5], [2, 1, 0.5]]
    c = sim.Population(2, sim.IF_curr_exp(), label="c")
    back = sim.Projection(b, c, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0))
    assert [tuple(r[:2]) for r in back.get("weight", "list")] == [(0, 0), (1, 1)]


def test_impossible_connector_raises_spynnaker_exception():
    pre = sim.Population(5, sim.IF_curr_exp(), label="pre")
    post = sim.Population(10, sim.IF_curr_exp(), label="post")
    with pytest.raises(exceptions.SpynnakerException) as info:
        sim.Projection(pre, post, sim.FixedNumberPostConnector(13, with_replacement=False))
    assert isinstance(info.value, errors.ConnectionError)
    with pytest.raises(exceptions.SpynnakerException, match="only 9 targets"):
        sim.Projection(post, post, sim.FixedNumberPostConnector(10, with_replacement=False,
                                                                allow_self_connections=False))
    with pytest.raises(exceptions.SpynnakerException, match="only 50 distinct pairs"):
        sim.Projection(pre, post, sim.FixedTotalNumberConnector(60, with_replacement=False))
    with pytest.raises(errors.ConnectionError) as info:  # a bad value: PyNN's error
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(delay=-1.0))
    assert not isinstance(info.value, exceptions.SpynnakerException)


def test_fixed_number_with_replacement_without_self_connections():
    pop = sim.Population(10, sim.IF_curr_exp(), label="pop")
    post = sim.Projection(pop, pop, sim.FixedNumberPostConnector(
        7, with_replacement=True, allow_self_connections=False,
        rng=sim.NumpyRNG(seed=3)))
    rows = post.get([], "list")
    assert len(rows) == 70 and all(s != t for s, t in rows)
    pre = sim.Projection(pop, pop, sim.FixedNumberPreConnector(
        12, with_replacement=True, allow_self_connections=False,
        rng=sim.NumpyRNG(seed=4)))
    rows = pre.get([], "list")
    assert len(rows) == 120 and all(s != t for s, t in rows)
    targets = np.bincount([t for _, t in rows], minlength=10)
    assert np.all(targets == 12)


def test_small_world_connector_links_neighbours_then_rewires():
    grid = sim.Population(25, sim.IF_curr_exp(), structure=sim.Grid2D(1.0, dx=1.0, dy=1.0),
                          label="grid")
    local = sim.Projection(grid, grid, sim.SmallWorldConnector(1.5, 0.0))
    rows = local.get([], "list")
    out = np.bincount([s for s, _ in rows], minlength=25)
    # d < 1.5 on a unit grid: itself and its 8 (interior), 5 (edge), 3 (corner) neighbours
    assert out[12] == 9 and out[0] == 4 and out[2] == 6
    pos = grid.positions.T
    assert all(np.linalg.norm(pos[s] - pos[t]) < 1.5 for s, t in rows)
    rewired = sim.Projection(grid, grid, sim.SmallWorldConnector(
        1.5, 0.5, rng=sim.NumpyRNG(seed=7)), sim.StaticSynapse(weight=0.5, delay=2))
    rows2 = rewired.get(["weight", "delay"], "list")
    assert np.array_equal(np.bincount([r[0] for r in rows2], minlength=25), out)  # out-degree
    far = sum(np.linalg.norm(pos[int(r[0])] - pos[int(r[1])]) >= 1.5 for r in rows2)
    assert 0.2 * len(rows2) < far < 0.6 * len(rows2)   # about half, less the local draws
    assert {(r[2], r[3]) for r in rows2} == {(0.5, 2.0)}
    with pytest.raises(NotImplementedError, match="n_connections"):
        sim.SmallWorldConnector(1.5, 0.1, n_connections=3)


def test_reset_loads_the_initial_plastic_weights_again():
    """sPyNNaker loads the network anew on reset(): learnt weights start again from their
    initial values, so a deterministic run repeats exactly."""
    pre = sim.Population(1, sim.IF_curr_exp(i_offset=5.0), label="pre")
    post = sim.Population(1, sim.IF_curr_exp(i_offset=1.2), label="post")
    pre.record("spikes")
    stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                             weight_dependence=sim.AdditiveWeightDependence(),
                             weight=sim.RandomDistribution("uniform", low=0.3, high=0.7,
                                                           rng=sim.NumpyRNG(seed=1)))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    w0 = prj.get("weight", "list", with_address=False)
    sim.run(100)
    w1 = prj.get("weight", "list", with_address=False)
    assert w1 != w0
    sim.reset()
    assert prj.get("weight", "list", with_address=False) == pytest.approx(w0)
    sim.run(100)
    assert prj.get("weight", "list", with_address=False) == pytest.approx(w1)


def test_array_connector_reads_any_truth_values():
    pre = sim.Population(4, sim.IF_curr_exp(), label="pre")
    post = sim.Population(3, sim.IF_curr_exp(), label="post")
    for dtype in (np.uint, np.int64, float, bool):
        m = np.zeros((4, 3), dtype=dtype)
        m[0, 2] = m[3, 0] = m[3, 1] = 1
        prj = sim.Projection(pre, post, sim.ArrayConnector(m), sim.StaticSynapse(weight=0.5))
        assert prj.get([], "list") == [(0, 2), (3, 0), (3, 1)], dtype


def test_reset_repeats_the_spikes_of_a_seeded_source():
    seeded = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0), label="seeded",
                            additional_parameters={"seed": 11})
    free = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0), label="free")
    seeded.record("spikes")
    free.record("spikes")
    sim.run(200)
    sim.reset()
    sim.run(200)
    s = seeded.get_data().segments
    f = free.get_data().segments
    neo_compare.compare_segments(s[0], s[1])            # the same spikes again
    assert sum(len(t) for t in s[0].spiketrains) > 100
    assert any(len(a) != len(b) or np.any(np.asarray(a) != np.asarray(b))
               for a, b in zip(f[0].spiketrains, f[1].spiketrains))   # unseeded: new ones


def test_one_to_one_offset_connector_shifts_within_groups():
    pop = sim.Population(6, sim.IF_curr_exp(), label="ring")
    wrap = sim.Projection(pop, pop, sim.OneToOneOffsetConnector(1, True),
                          sim.StaticSynapse(weight=0.3, delay=2))
    assert wrap.get([], "list") == [(i, (i + 1) % 6) for i in range(6)]
    cut = sim.Projection(pop, pop, sim.OneToOneOffsetConnector(-2, False))
    assert cut.get([], "list") == [(i, i - 2) for i in range(2, 6)]
    groups = sim.Projection(pop, pop, sim.OneToOneOffsetConnector(1, True,
                                                                  n_neurons_per_group=3))
    assert groups.get([], "list") == [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)]
    assert {tuple(r[2:]) for r in wrap.get(["weight", "delay"], "list")} == {(0.3, 2.0)}
    with pytest.raises(NotImplementedError, match="groups of 4"):
        sim.Projection(pop, pop, sim.OneToOneOffsetConnector(1, True, n_neurons_per_group=4))
    with pytest.raises(NotImplementedError, match="one size"):
        sim.Projection(pop, pop[0:3], sim.extra_models.OneToOneOffsetConnector(1, True))
    with pytest.raises(ValueError, match="offset"):
        sim.Projection(pop, pop, sim.extra_models.OneToOneOffsetConnector(
            3, True, n_neurons_per_group=3))
    with pytest.raises(errors.InvalidParameterValueError, match="offset"):
        sim.OneToOneOffsetConnector(1.5, True)


def test_download_synapses_and_space_none_are_accepted():
    pre = sim.Population(2, sim.IF_curr_exp(), label="pre")
    prj = sim.Projection(pre, pre, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1),
                         receptor_type="excitatory", source=None, space=None,
                         download_synapses=True)   # sPyNNaker's defaults written out
    assert len(prj.get("weight", "list")) == 4


def test_neo_convertor_tables():
    src, pop = _driven(n=2, times=(2.0,))
    pop.record(["v", "spikes"])
    src.record("spikes")
    sim.run(10)
    sim.reset()
    sim.run(5)
    block = pop.get_data()
    v0, v1 = neo_convertor.convert_data(block, "v", run=0), neo_convertor.convert_data(
        block, "v", run=1)
    assert v0.shape == (2 * 10, 3) and v1.shape == (2 * 5, 3)
    assert list(np.unique(v0[:, 0])) == [0, 1] and list(v0[:10, 1]) == list(range(10))
    assert len(neo_convertor.convert_v_list(block)) == 2
    spikes = neo_convertor.convert_spikes(src.get_data())
    assert spikes.tolist() == [[0.0, 2.0]]
    assert neo_convertor.count_spikes(src.get_data()) == 1
    with pytest.raises(ValueError, match="run 3"):
        neo_convertor.convert_data(block, "v", run=3)
    with pytest.raises(ValueError, match="one variable"):
        neo_convertor.convert_data(block, "all")


def test_neo_compare_sees_equal_and_different_data():
    src, pop = _driven(n=2, times=(2.0, 7.0))
    pop.record(["v", "spikes"])
    sim.run(10)
    early = pop.get_data()
    sim.run(10)
    late = pop.get_data()
    neo_compare.compare_blocks(late, early, same_length=False)   # a prefix: equal
    with pytest.raises(AssertionError):
        neo_compare.compare_blocks(late, early)                  # not the same length
    sim.reset()
    sim.run(20)
    both = pop.get_data()
    neo_compare.compare_segments(both.segments[0], both.segments[1])  # reset: same again


def test_reference_stdp_weights_follow_the_pair_rule():
    pre, post = np.array([10.0, 30.0]), np.array([15.0])
    w = calculate_spike_pair_additive_stdp_weight(pre, post, 1.0, 1.0, 0.1, 0.2, 20.0, 10.0)
    # post (arriving at 16) after pre 10: +0.1 e^(-6/20); before pre 30: -0.2 e^(-14/10)
    assert w == pytest.approx(1.0 + 0.1 * np.exp(-6 / 20) - 0.2 * np.exp(-14 / 10))
    wm = calculate_spike_pair_multiplicative_stdp_weight(pre, post, 1.0, 1.0, 0.0, 2.0, 0.1,
                                                         0.2, 20.0, 10.0)
    assert wm == pytest.approx(1.0 + 1.0 * 0.1 * np.exp(-6 / 20) - 1.0 * 0.2 * np.exp(-14 / 10))
    # post spikes after the last pre spike are not counted
    assert calculate_spike_pair_additive_stdp_weight(pre, np.array([40.0]), 1.0, 1.0, 0.1,
                                                     0.2, 20.0, 10.0) == 1.0
    assert DURATION_FOREVER == 0xFFFFFFFF


def test_plot_utils_draw_the_tables(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    monkeypatch.setattr(plt, "show", lambda: None)
    spikes = np.array([[0, 1.0], [1, 2.0], [0, 5.0]])
    plot_utils.plot_spikes([spikes, spikes + [0, 1]])
    table = np.array([[0, 0.0, -65.0], [0, 1.0, -64.0], [1, 0.0, -65.0], [1, 1.0, -63.0]])
    plot_utils.heat_plot(table, title="v")
    plot_utils.line_plot(table)
    assert len(plt.get_fignums()) >= 3
    plt.close("all")


def test_synfire_spike_checkers():
    ring = np.array([[0, 1.0], [1, 3.0], [2, 5.0], [0, 7.0]])
    spike_checker.synfire_spike_checker(ring, 3)
    with pytest.raises(ValueError, match="neuron 2"):
        spike_checker.synfire_spike_checker(np.array([[0, 1.0], [2, 3.0]]), 3)
    two = np.array([[0, 1.0], [0, 2.0], [1, 3.0], [1, 4.0]])
    spike_checker.synfire_multiple_lines_spike_checker(two, 3, 2, wrap_around=False)
    with pytest.raises(ValueError, match="expected 3 waves"):
        spike_checker.synfire_multiple_lines_spike_checker(two, 3, 3)


def test_spynnaker_style_script_with_the_new_idioms_end_to_end(tmp_path):
    """A small synfire chain as sPyNNaker's test scripts build it: placement calls, a
    float neurons-per-core, 'all' recording, numpy tables, a reset and a second run."""
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 5.0)
    n = 10
    chain = sim.Population(n, sim.IF_curr_exp(), label="chain")
    chain.add_placement_constraint(0, 0)
    kick = sim.Population(1, sim.SpikeSourceArray([0]), label="kick")
    loop = [(i, (i + 1) % n, 5.0, 2) for i in range(n)]
    sim.Projection(chain, chain, sim.FromListConnector(loop), sim.StaticSynapse(weight=5.0))
    sim.Projection(kick, chain, sim.FromListConnector([(0, 0, 5.0, 1)]),
                   sim.StaticSynapse(weight=5.0))
    chain.record("all")
    sim.run(100)
    sim.reset()
    sim.run(100)
    block = chain.get_data("all")
    first, second = (neo_convertor.convert_spikes(block, run=r) for r in (0, 1))
    assert len(first) > n and np.array_equal(first, second)
    spike_checker.synfire_spike_checker(first, n)
    chain.write_data(str(tmp_path / "chain.pkl"), "spikes")
    assert (tmp_path / "chain.pkl").exists()
    weights = sim.Projection(kick, chain, sim.OneToOneConnector()).get("weight", "list")
    assert len(weights) == 1


def test_population_of_a_cell_class_without_parameters_takes_its_defaults():
    # sPyNNaker scripts pass the class: Population(n, sim.IF_curr_exp, label=...)
    pop = sim.Population(3, sim.IF_curr_exp, label="cls")
    assert pop.get("tau_m") == [20.0, 20.0, 20.0] and pop.size == 3
    pop2 = sim.Population(2, sim.IF_curr_exp, {"tau_m": 12.0})
    assert pop2.get("tau_m") == [12.0, 12.0]


@pytest.mark.parametrize("variables", ["v", ["v", "spikes"], "all"])
def test_earlier_segments_keep_the_variables_asked_for(variables):
    """After reset(), get_data(<variable>) returns every run's segment with that variable
    (PyNN 0.13's own filter dropped it from the earlier segments) and leaves the record intact."""
    src, pop = _driven(n=2, times=(5.0, 25.0))
    pop.record(["v", "spikes"])
    sim.run(40)
    sim.reset()
    sim.run(40)
    for _ in range(2):    # asking twice: the first call must not change the record
        segs = pop.get_data(variables).segments
        assert len(segs) == 2
        for seg in segs:
            assert [s.name for s in seg.analogsignals] == ["v"]
            assert np.asarray(seg.analogsignals[0]).shape == (40, 2)
            assert len(seg.spiketrains) == (0 if variables == "v" else 2)


def test_population_made_after_reset_can_be_reset_again():
    src, pop = _driven(n=1)
    pop.record("v")
    sim.run(10)
    sim.reset()
    late = sim.Population(1, sim.IF_curr_exp(), label="late")
    late.record("v")
    sim.run(10)
    sim.reset()
    sim.run(10)
    segs = late.get_data("v").segments
    assert len(segs) == 3 and not segs[0].analogsignals
    assert [len(s.analogsignals) for s in segs[1:]] == [1, 1]
