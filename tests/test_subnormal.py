"""Subnormal state values are set to 0 every FLUSH_EVERY steps (kernels.engine.flush_subnormal).

A current that decays without input becomes subnormal and, under round-to-nearest, stays
there; every update with it is then about ten times slower. The engines clear such values
after every 64th step. These tests check it against the NumPy twin, across thread counts and
in the plastic engine, and that nothing but subnormal values changes.
"""
import numpy as np
import pytest

import spikesim as ss
from spikesim.kernels.engine import FLUSH_EVERY

from .reference import engine_ref
from .test_kernel_twins import STATE_ARGS, _dyn_names, _names, _prepare, _snapshot

TINY32 = np.finfo(np.float32).tiny


def _decaying(dtype="float32", threads=1, n=50, stdp=False):
    """Neurons whose synaptic currents / conductances start a little above the smallest normal
    number and decay without input, so they turn subnormal within the first 300 steps, next
    to neurons that fire (normal values must stay untouched)."""
    net = ss.Network(dt=0.1, seed=3, dtype=dtype, threads=threads)
    a = net.add_population(n, ss.IF_curr_exp(tau_syn_E=5.0, tau_syn_I=10.0, i_offset=0.0))
    b = net.add_population(n, ss.IF_cond_exp(tau_syn_E=2.0, tau_syn_I=3.0, i_offset=0.0))
    c = net.add_population(n, ss.IF_curr_exp(v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0,
                                             tau_refrac=2.0))
    tiny = np.finfo(np.dtype(dtype)).tiny
    a.initialize(isyn_exc=np.linspace(2, 8, n) * tiny, isyn_inh=-np.linspace(2, 8, n) * tiny)
    b.initialize(gsyn_exc=np.linspace(2, 8, n) * tiny, gsyn_inh=np.linspace(2, 8, n) * tiny)
    if stdp:
        rule = ss.STDP(ss.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                        A_minus=0.012), ss.AdditiveWeightDependence(0.0, 0.1))
        net.connect(c, c, ss.FixedProbability(0.2), weight=0.05, synapse=rule)
    else:
        net.connect(c, c, ss.FixedProbability(0.2), weight=0.05)
    rec = net.record(c, "spikes")
    return net, (a, b, c), rec


def _subnormal(x):
    x = np.asarray(x)
    return (x != 0) & (np.abs(x) < np.finfo(x.dtype).tiny)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_flush_matches_numpy_twin(dtype):
    net, _, _ = _decaying(dtype)
    rt, args = _prepare(net, net.step, 300)
    S0 = args[3].copy()
    ref_args = _snapshot(args)
    out = rt.engine.run_chunk(*args, rt.fired[0], rt.spikes)
    ref_out = engine_ref.run_chunk(*ref_args, models=_names(rt), dynamics=_dyn_names(rt))
    assert out == ref_out and out[1] > 0
    for k, name in STATE_ARGS.items():
        np.testing.assert_array_equal(args[k], ref_args[k], err_msg=name)
    S = args[3]
    assert not _subnormal(S).any()
    # the decaying rows did reach the subnormal range and were cleared, not left there
    n = 50
    p11 = np.exp(-0.1 / 5.0)
    unflushed = S0[1, :n] * p11 ** 300
    assert np.all(np.abs(unflushed) < np.finfo(S.dtype).tiny)
    assert np.all(S[1:3, :2 * n] == 0)
    # firing neurons' state is normal and unchanged by the flush (the twin above has it too)
    assert np.all(np.abs(S[0, 2 * n:]) > 1.0)


def test_flush_happens_every_flush_every_steps_and_not_between():
    net, (a, _, _), _ = _decaying("float32")
    # the largest start value turns subnormal after k0 steps; run to just before the next
    # multiple of FLUSH_EVERY after it: it is still subnormal, one step later it is 0
    x0 = 8 * TINY32
    k0 = int(np.ceil(np.log(x0 / TINY32) / (0.1 / 5.0)))
    t_flush = (k0 // FLUSH_EVERY + 1) * FLUSH_EVERY
    net.run(t_flush * 0.1)  # steps 0 .. t_flush - 1
    s = net._state.S[1, :50]
    assert _subnormal(s).any()
    net.run(0.1)  # step t_flush
    assert np.all(net._state.S[1, :50] == 0)


def test_flush_is_bit_identical_on_two_threads():
    nets = [_decaying("float32", threads=t, n=600)[0] for t in (1, 2)]
    for net in nets:
        net.run(60.0)
    if nets[1]._runtime.n_parts != 2:
        pytest.skip("no OpenMP/TBB threading layer")
    np.testing.assert_array_equal(nets[0]._state.S, nets[1]._state.S)
    assert not _subnormal(nets[1]._state.S).any()
    assert np.all(nets[1]._state.S[1, :600] == 0)


@pytest.mark.parametrize("threads", [1, 2])
def test_plastic_engine_flushes_too(threads):
    net, _, _ = _decaying("float32", threads=threads, stdp=True)
    net.run(60.0)
    assert net._runtime.use_plastic
    assert not _subnormal(net._state.S).any()
    assert np.all(net._state.S[1:3, :100] == 0)


def test_spikes_and_membrane_are_unchanged_by_the_flush():
    """Flushing only removes values below 1.2e-38: the same network run in float64 (where
    the currents are still normal after 30 ms) fires the same spikes, and v agrees."""
    runs = {}
    for dtype in ("float32", "float64"):
        net, (a, b, c), rec = _decaying(dtype)
        vm = net.record(a, "v")
        net.run(30.0)
        runs[dtype] = (rec.spikes.times, rec.spikes.senders, vm.v.values)
    (t32, s32, v32), (t64, s64, v64) = runs["float32"], runs["float64"]
    np.testing.assert_allclose(t32, t64)
    np.testing.assert_array_equal(s32, s64)
    np.testing.assert_allclose(v32, v64, atol=1e-4)
