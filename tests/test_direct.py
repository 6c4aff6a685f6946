"""Delivery straight into the synaptic state (kernels.direct, spikesim.direct_runtime)."""
import numpy as np
import pytest

import spikesim as ss
from spikesim.examples import cuba
from spikesim.kernels.codegen import model_module

from .reference import engine_ref
from .test_kernel_twins import SPK_ID, SPK_STEP, _names, _prepare, _snapshot

MODELS_WITH_INPUT_STATE = ["if_curr_exp"]


@pytest.mark.parametrize("name", MODELS_WITH_INPUT_STATE)
def test_input_state_is_the_steps_last_addition(name):
    """What kernels.direct relies on: a step with inputs gives the bits of the step without,
    plus each input added to its INPUT_STATE variable; nothing else depends on the inputs."""
    m = model_module(name)
    rng = np.random.default_rng(3)
    cols = m.columns({k: np.asarray(v) for k, v in m.PARAMETERS.items()}, 0.1)
    for dtype in (np.float32, np.float64):
        c = [np.int16(x) if col in m.INT_COLUMNS else (bool(x) if col in m.SWITCH_COLUMNS
                                                         else dtype(x))
             for col, x in zip(m.COLUMNS, cols)]
        for _ in range(300):
            state = [dtype(x) for x in rng.normal(-55.0, 8.0, 1)] + \
                [dtype(x) for x in rng.normal(0.0, 2.0, len(m.STATE) - 1)]
            r = np.int16(rng.integers(0, 3))
            inputs = [dtype(x) for x in rng.normal(0.0, 1.5, len(m.RECEPTORS))]
            zero = [dtype(0)] * len(m.RECEPTORS)
            # Numba returns Python floats: back to the dtype they were computed in (exact)
            with_in = [dtype(a) if isinstance(a, float) else a
                       for a in m.step(*state, r, *inputs, *c)]
            without = [dtype(a) if isinstance(a, float) else a
                       for a in m.step(*state, r, *zero, *c)]
            for q, var in enumerate(m.INPUT_STATE):
                x = m.STATE.index(var)
                without[x] = without[x] + inputs[q]  # in the dtype
            assert [np.asarray(a).tobytes() for a in with_in] == \
                [np.asarray(a).tobytes() for a in without]


def _net(delay=0.3, threads=1, dtype="float32", n=300):
    """A recurrent network with Poisson sources, one delay for all projections."""
    net = ss.Network(dt=0.1, seed=4, dtype=dtype, threads=threads)
    src = net.add_population(40, ss.SpikeSourcePoisson(rate=80.0))
    a = net.add_population(n, ss.IF_curr_exp(tau_syn_I=10.0, tau_refrac=2.0),
                           initial_v=ss.RandomDistribution("uniform", low=-65, high=-50))
    net.connect(src, a, ss.FixedProbability(0.3), weight=ss.RandomDistribution(
        "uniform", low=0.5, high=1.5), delay=delay)
    net.connect(a, a, ss.FixedProbability(0.05), weight=0.2, delay=delay)
    net.connect(a, a, ss.FixedProbability(0.05), weight=-0.4, delay=delay,
                receptor_type="inhibitory")
    recs = [net.record(p, "spikes") for p in (src, a)]
    return net, recs


def test_direct_is_used_where_it_applies_only(monkeypatch):
    net, _ = cuba(500, 80.0, seed=1, threads=1, record=True)
    net.run(0.1)
    d = net._runtime.direct
    assert d is not None and d.delay[0] == 1 and list(d.rows) == [1, 2]
    for change in ("two delays", "delay per synapse", "cond model", "drive"):
        net, _ = _net()
        a = net.populations[1]
        if change == "two delays":
            net.connect(a, a, ss.OneToOne(), weight=0.1, delay=0.5)
        elif change == "delay per synapse":
            net.connect(a, a, ss.FixedProbability(0.01), weight=0.1,
                        delay=ss.RandomDistribution("uniform", low=0.1, high=1.0))
        elif change == "cond model":
            b = net.add_population(5, ss.IF_cond_exp())
            net.connect(a, b, ss.AllToAll(), weight=0.01, delay=0.3)
        else:
            net.add_poisson_input(a, rate=1000.0, weight=0.1)
        net.run(0.1)
        assert net._runtime.direct is None, change
    # the history may not outweigh the ring beyond the bound: delay 16 steps, a history of 32
    # steps x 340 spikes x 8 B = 87,040 B, a ring of 2 x 16 x 340 values (43,520 / 87,040 B)
    import spikesim.direct_runtime as dr
    monkeypatch.setattr(dr, "HISTORY_MAX_BYTES", 0)
    for dtype, used in (("float32", False), ("float64", True)):
        net, _ = _net(delay=1.6, dtype=dtype)
        net.run(0.1)
        assert (net._runtime.direct is not None) == used, dtype
    monkeypatch.setenv("SPIKESIM_DIRECT", "0")
    net, _ = _net()
    net.run(0.1)
    assert net._runtime.direct is None


def test_run_chunk_with_direct_matches_numpy_twin():
    net, _ = _net(delay=0.3)
    net.run(2.0)
    net._runtime.settle()  # the spikes still to be delivered into the ring: read for 3 steps
    rt, args = _prepare(net, net.step, 300)  # one thread: the whole rows
    d = rt.direct
    assert d is not None and d.ring_until[0] == net.step + 3 and (rt.buf != 0).any()
    ref_args = _snapshot(args)
    ref_direct = d._replace(**{f: getattr(d, f).copy() for f in d._fields})
    out = rt.engine.run_chunk(*args, rt.fired[0], rt.spikes, None, None, None, d)
    ref_out = engine_ref.run_chunk(*ref_args, models=_names(rt), direct=ref_direct)
    assert out == ref_out and out[1] > 50
    for k in (3, 4, 5):  # S, ref, ring
        np.testing.assert_array_equal(args[k], ref_args[k])
    n_spk = out[1]
    np.testing.assert_array_equal(args[SPK_STEP][:n_spk], ref_args[SPK_STEP][:n_spk])
    np.testing.assert_array_equal(args[SPK_ID][:n_spk], ref_args[SPK_ID][:n_spk])
    for f in d._fields:
        np.testing.assert_array_equal(getattr(d, f), getattr(ref_direct, f), err_msg=f)


def _spikes(recs):
    return [np.concatenate([r.spikes.times, r.spikes.senders]) for r in recs]


def test_threads_and_split_runs_give_the_same_bits():
    runs = []
    for threads, pieces in ((1, (30.0,)), (1, (13.7, 0.1, 16.2)), (2, (30.0,)), (2, (12.0, 18.0))):
        net, recs = cuba(20000, 80.0, seed=2, threads=threads, record=True)
        for ms in pieces:
            net.run(ms, progress=False)
        assert net._runtime.direct is not None
        runs.append((net._state.S.copy(), _spikes(recs), net._runtime.n_parts))
    assert len(runs[0][1][0]) > 2000
    for S, spikes, _ in runs[1:]:
        np.testing.assert_array_equal(S, runs[0][0])
        for a, b in zip(spikes, runs[0][1]):
            np.testing.assert_array_equal(a, b)
    assert runs[2][2] == 2 or pytest.skip("no threading layer: one part")


def test_matches_the_ring_to_rounding_and_settles_into_it(monkeypatch):
    """Against the ring path (SPIKESIM_DIRECT=0): the same spikes and states to rounding;
    after settle() the ring holds exactly what the ring path's does, and runs go on alike."""
    nets = []
    for flag in ("1", "0"):
        monkeypatch.setenv("SPIKESIM_DIRECT", flag)
        net, recs = _net(delay=0.4, dtype="float64")
        net.run(80.0)
        nets.append((net, recs))
    (nd, rd), (nr, rr) = nets
    assert nd._runtime.direct is not None and nr._runtime.direct is None
    for a, b in zip(_spikes(rd), _spikes(rr)):
        np.testing.assert_array_equal(a, b)
    assert len(_spikes(rd)[1]) > 500
    np.testing.assert_allclose(nd._state.S, nr._state.S, rtol=1e-12, atol=1e-12)
    assert (nd._runtime.buf == 0).all() and (nr._runtime.buf != 0).any()
    nd._runtime.settle()
    np.testing.assert_array_equal(nd._runtime.buf, nr._runtime.buf)  # same sums, same order
    assert (nd._runtime.direct.hist_t < 0).all()
    # a change of the network after the settle (rebuild), then on with both
    for net, _ in nets:
        net.projections[1].set_weights(0.25)
        net.run(40.0)
    for a, b in zip(_spikes(rd), _spikes(rr)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(nd._state.S, nr._state.S, rtol=1e-12, atol=1e-12)


def test_reset_drops_the_spikes_still_to_be_delivered(monkeypatch):
    """After net.reset() nothing of the spikes in the history is delivered: as the ring path,
    whose reset clears the ring (the sources go on drawing, so both differ from the first run)."""
    out = []
    for flag in ("1", "0"):
        monkeypatch.setenv("SPIKESIM_DIRECT", flag)
        net, recs = _net(delay=1.0, dtype="float64")
        net.run(30.0)
        if flag == "1":
            assert (net._runtime.direct.hist_t >= 0).any()
        net.reset()
        net.run(30.0)
        out.append(_spikes(recs))
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


def _plastic_net(threads=1, n=2000, dendritic=False):
    """CUBA with STDP on exc -> exc, plus a plastic projection with a delay per synapse and
    multiplicative bounds from a Poisson source (the general depression loop)."""
    net, recs = cuba(n, 80.0, seed=5, dtype="float64", threads=threads, record=True, stdp=True)
    src = net.add_population(50, ss.SpikeSourcePoisson(rate=30.0))
    syn = ss.STDP(ss.SpikePairRule(tau_plus=15.0, tau_minus=25.0, A_plus=0.02, A_minus=0.02),
                  ss.MultiplicativeWeightDependence(0.0, 0.3),
                  delay_model="dendritic" if dendritic else "axonal")
    net.connect(src, net.populations[0], ss.FixedProbability(0.1), synapse=syn,
                weight=ss.RandomDistribution("uniform", low=0.05, high=0.2),
                delay=ss.RandomDistribution("uniform", low=0.1, high=2.0))
    recs.append(net.record(src, "spikes"))
    return net, recs


def _plastic_weights(net):
    return [np.asarray(j.weight).copy() for j in net.projections if j.plastic]


def test_plastic_networks_deliver_into_the_state(monkeypatch):
    """Depression at arrival adds into the state after the update (kernels.plastic_engine):
    the same spikes and weights as through the ring, states to rounding, at 1 and 2 threads;
    not with dendritic delays, which deliver into later steps."""
    net, _ = _plastic_net(dendritic=True)
    net.run(0.1)
    assert net._runtime.use_plastic and net._runtime.direct is None
    runs = {}
    for flag, threads in (("1", 1), ("0", 1), ("1", 2), ("0", 2)):
        monkeypatch.setenv("SPIKESIM_DIRECT", flag)
        net, recs = _plastic_net(threads=threads)
        for ms in (70.0, 0.3, 79.7):
            net.run(ms, progress=False)
        rt = net._runtime
        assert rt.use_plastic and (rt.direct is not None) == (flag == "1")
        runs[flag, threads] = (_spikes(recs), _plastic_weights(net), net._state.S.copy(),
                               rt.n_parts)
    ref = runs["0", 1]
    assert len(ref[0][0]) > 3000 and len(ref[1]) == 2
    moved = [np.abs(w - w0).max() for w, w0 in zip(ref[1], _plastic_weights(_plastic_net()[0]))]
    assert min(moved) > 1e-3  # both rules changed weights
    for key, (spikes, weights, S, _) in runs.items():
        for a, b in zip(spikes, ref[0]):
            np.testing.assert_array_equal(a, b, err_msg=str(key))
        for a, b in zip(weights, ref[1]):
            np.testing.assert_array_equal(a, b, err_msg=str(key))
        np.testing.assert_allclose(S, ref[2], rtol=1e-12, atol=1e-12, err_msg=str(key))
    # one thread and two give the same bits with delivery into the state
    np.testing.assert_array_equal(runs["1", 2][2], runs["1", 1][2])
    assert runs["1", 2][3] == 2 or pytest.skip("no threading layer: one part")
