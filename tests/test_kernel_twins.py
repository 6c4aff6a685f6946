"""Every kernel against its NumPy twin in tests/reference, on random small networks."""

import numpy as np
import pytest

import spikesim as ss
from spikesim.kernels import connectivity as KC
from spikesim.kernels import engine as KE
from spikesim.kernels.codegen import engine_for, model_module
from spikesim.kernels.neurons import LIBRARY
from spikesim.sources import merged_window

from .reference import connectivity_ref, engine_ref
from .reference.neurons import columns_by_name, twin


def random_network(seed, dtype="float64", threads=1):
    """A small network exercising every kernel path: curr/cond, homogeneous/heterogeneous,
    sources, per-synapse and uniform weights/delays, several delays, both receptors, synapse
    dynamics."""
    rng = np.random.default_rng(seed)
    net = ss.Network(dt=0.1, seed=seed, dtype=dtype, threads=threads)
    n1, n2, n3 = rng.integers(5, 40, 3)
    a = net.add_population(int(n1), ss.IF_curr_exp(tau_m=15.0, v_rest=-52.0, v_thresh=-50.0,
                                                    tau_refrac=2.0, i_offset=0.2),
                           initial_v=ss.RandomDistribution("uniform", low=-60, high=-50))
    b = net.add_population(int(n2), ss.IF_cond_exp(
        tau_m=rng.uniform(10, 30, int(n2)), v_rest=-60.0, v_thresh=-52.0, tau_refrac=1.0,
        i_offset=rng.uniform(0.5, 1.5, int(n2))),
        initial_v=ss.RandomDistribution("uniform", low=-65, high=-52))
    c = net.add_population(int(n3), ss.IF_curr_exp(tau_syn_E=rng.uniform(1, 8, int(n3)),
                                                    v_rest=-49.0, v_reset=-60.0, tau_refrac=0.0))
    src = net.add_population(10, ss.SpikeSourcePoisson(rate=200.0))
    arr = net.add_population(3, ss.SpikeSourceArray([[0.5, 1.0, 3.3], [0.1], [2.0, 2.1, 2.2]]))
    net.connect(src, a, ss.FixedProbability(0.5), weight=ss.RandomDistribution("uniform", low=0.1, high=1.0),
                delay=ss.RandomDistribution("uniform", low=0.1, high=2.0))
    net.connect(src, b, ss.AllToAll(), weight=0.01, delay=0.3)
    net.connect(arr, c, ss.AllToAll(), weight=2.0)
    net.connect(a, b, ss.FixedNumberPost(4), weight=0.02, delay=1.0)
    net.connect(b, a, ss.FixedNumberPre(3), weight=-0.5, receptor_type="inhibitory",
                delay=ss.RandomDistribution("uniform", low=0.1, high=0.8))
    net.connect(a, c, ss.FromList(rng.integers(0, n1, 30), rng.integers(0, n3, 30),
                                  weight=rng.uniform(0, 1, 30), delay=rng.uniform(0.1, 1.5, 30)))
    net.connect(c, c, ss.FixedProbability(0.2, allow_self=False), weight=-0.3,
                receptor_type="inhibitory")
    net.connect(b, b, ss.FixedProbability(0.3), weight=0.005, receptor_type="inhibitory")
    # synapse dynamics: per-synapse Tsodyks-Markram, two-variable form, stochastic release
    net.connect(src, c, ss.FixedProbability(0.5), weight=0.8, synapse=ss.TsodyksMarkram(
        U=ss.RandomDistribution("uniform", low=0.1, high=0.9), tau_rec=50.0, tau_facil=20.0))
    net.connect(a, c, ss.FixedProbability(0.3), weight=0.5, delay=0.4,
                synapse=ss.Tsodyks2(U=0.4, tau_rec=ss.RandomDistribution("uniform", low=10, high=90)))
    net.connect(src, a, ss.FixedProbability(0.3), weight=-0.4, receptor_type="inhibitory",
                synapse=ss.SimpleStochastic(p=0.5))
    # a convolution (kernel stored once, spikesim.convolution), excitatory and inhibitory halves
    grid = net.add_population(2 * 4 * 4, ss.SpikeSourcePoisson(rate=300.0))
    maps = net.add_population(3 * 4 * 4, ss.IF_curr_exp(v_thresh=-62.0))
    k = rng.normal(size=(3, 2, 3, 3)) * 3.0
    for rec, half in (("excitatory", np.maximum(k, 0)), ("inhibitory", np.minimum(k, 0))):
        net.connect(grid, maps, ss.Convolution(half, (2, 4, 4), padding=1), delay=0.2,
                    receptor_type=rec)
    net.connect(maps, a, ss.FixedNumberPost(2), weight=0.3)
    recs = [net.record(p, "spikes") for p in (a, b, c, src, arr, maps)]
    net.record(a[:5], "v", sampling_interval=0.2)
    net.record(b, ["gsyn_exc", "gsyn_inh"])
    return net, recs


# positions in Runtime.kernel_args
SPK_STEP, SPK_ID, COUNTS = 35, 36, 38
STATE_ARGS = {3: "S", 4: "ref", 5: "buf"}


def _prepare(net, t0, n):
    rt = net._runtime
    if not rt.valid:
        rt._build()
    ev_step, ev_id = merged_window(list(rt.sources.values()), t0, t0 + n)
    counts = np.zeros((n, len(net.populations)), np.int32)
    sizes = [(((t0 + np.arange(n) + 1) % s[0].every) == 0).sum() * (s[3] - s[2]) for s in rt.state_recs]
    sr_ptr = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    sv_out = np.zeros(int(sum(sizes)), np.float64)
    return rt, rt.kernel_args(t0, n, ev_step, ev_id, 0, counts, sr_ptr, sv_out)


DYN = 26  # position of the synapse dynamics (a namedtuple of arrays) in kernel_args


def _snapshot(args):
    out = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    if args[DYN] is not None:
        out[DYN] = type(args[DYN])(*[a.copy() for a in args[DYN]])
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_run_chunk_matches_numpy_twin(seed, dtype):
    net, _ = random_network(seed, dtype)
    net.run(1.0)  # warm up, leaves spikes in flight in the ring buffer
    rt, args = _prepare(net, net.step, 300)
    assert args[SPK_STEP] is rt.spk_step and args[COUNTS].shape == (300, len(net.populations))
    ref_args = _snapshot(args)
    out = rt.engine.run_chunk(*args, rt.fired[0], rt.spikes)
    ref_out = engine_ref.run_chunk(*ref_args, models=_names(rt), dynamics=_dyn_names(rt))
    assert out == ref_out
    for k, name in STATE_ARGS.items():
        if name == "ref":
            np.testing.assert_array_equal(args[k], ref_args[k], err_msg=name)
        else:  # Numba's exp (cond neurons) and NumPy's may differ in the last bit
            tol = 1e-12 if dtype == "float64" else 1e-5
            np.testing.assert_allclose(args[k], ref_args[k], rtol=tol, atol=tol, err_msg=name)
    n_spk = out[1]
    assert n_spk > 0
    assert args[DYN] is not None
    np.testing.assert_allclose(args[DYN].S, ref_args[DYN].S, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(args[DYN].last, ref_args[DYN].last)
    for pj in np.flatnonzero(args[DYN].kind >= 0):  # each dynamic projection transmitted
        o, m = args[DYN].off[pj], net.projections[pj].n_synapses
        assert (args[DYN].last[o:o + m] > 0).mean() > 0.2
    np.testing.assert_array_equal(args[SPK_STEP][:n_spk], ref_args[SPK_STEP][:n_spk])
    np.testing.assert_array_equal(args[SPK_ID][:n_spk], ref_args[SPK_ID][:n_spk])
    np.testing.assert_array_equal(args[COUNTS], ref_args[COUNTS])
    np.testing.assert_allclose(args[-1], ref_args[-1], rtol=1e-6)           # sampled state


@pytest.mark.parametrize("seed", [0, 5])
def test_parallel_kernel_is_bit_identical_to_serial(seed):
    nets = [random_network(seed, "float32", threads=t) for t in (1, 2)]
    for net, _ in nets:
        net.run(1.0)
    (rt1, a1), (rt2, a2) = [_prepare(net, net.step, 200) for net, _ in nets]
    assert rt2.n_parts == 2 or pytest.skip("no OpenMP/TBB threading layer")
    o1 = rt1.engine.run_chunk(*a1, rt1.fired[0], rt1.spikes)
    o2 = rt2.engine.run_chunk_parallel(*a2, rt2.fired, rt2.spikes, rt2.bounds, rt2.part_spikes,
                                       rt2.part_n)
    assert o1 == o2
    for k in STATE_ARGS:
        np.testing.assert_array_equal(a1[k], a2[k])
    np.testing.assert_array_equal(a1[SPK_ID][:o1[1]], a2[SPK_ID][:o2[1]])


def _names(rt):
    return tuple(m.__name__.rsplit(".", 1)[1] for m in rt.engine_models)


def _dyn_names(rt):
    return tuple(m.__name__.rsplit(".", 1)[1] for m in rt.engine_dynamics)


def _switch_cases(name):
    """(het, {switch column: value or "mixed"}) cases covering every compiled loop of a model."""
    m = model_module(name)
    cases = [(False, {})]
    for c in m.SWITCH_COLUMNS:
        cases += [(False, {c: 1.0}), (True, {c: 1.0}), (True, {c: "mixed"})]
    cases.append((True, {}))
    return cases


@pytest.mark.parametrize("name, het, switches",
                         [(n, h, s) for n in LIBRARY for h, s in _switch_cases(n)])
def test_neuron_update_matches_twin(name, het, switches):
    """Each model's generated block loop (homogeneous and per-neuron) against its NumPy twin."""
    rng = np.random.default_rng(7)
    n = 300
    m = model_module(name)
    cell = next(c for c in ss.cells.CELL_TYPES if getattr(c, "model", None) is m)()
    p = cell.resolve(n, rng)
    if "tau_refrac" in p:
        p["tau_refrac"] = 2.0
    for c, val in switches.items():
        p[c] = (rng.random(n) < 0.5).astype(float) if val == "mixed" else val
    T = twin(name)
    if het:  # per-neuron values of the parameters the twin names (default: the threshold)
        ranges = getattr(T, "HET_RANGES", {"v_thresh": (-55.0, -45.0)})
        p.update({k: rng.uniform(lo, hi, n) for k, (lo, hi) in ranges.items()})
    cols = cell.columns(p, 0.1)
    if het and cols.ndim == 1:
        cols = np.repeat(cols[:, None], n, axis=1)
    rows = T.random_state(rng, n)
    S = np.array(rows)
    ref = rng.integers(0, 4, n).astype(np.int16)
    buf = rng.uniform(0, 1, (len(m.RECEPTORS), 1, n))
    exp_rows, exp_ref, exp_spike = T.step([r.copy() for r in rows], ref.copy(),
                                          [buf[q, 0].copy() for q in range(buf.shape[0])],
                                          columns_by_name(m, cols))
    eng = engine_for((name,))
    fired = np.zeros(n + 8, bool)
    fn = eng.m0_het if het else eng.m0_hom
    nf = fn(0, n, S, ref, buf, 0, fired, cols)
    for k, var in enumerate(m.STATE):
        np.testing.assert_allclose(S[k], exp_rows[k], rtol=1e-13, atol=1e-12, err_msg=var)
    np.testing.assert_array_equal(ref, exp_ref)
    np.testing.assert_array_equal(fired[:n], exp_spike)
    # some neurons fire in the step, except in a non-spiking readout (twin: SPIKES = False)
    # the loop returns whether any neuron fired (update_range then scans ``fired``)
    assert nf == exp_spike.any() and bool(nf) == getattr(T, "SPIKES", True)
    assert np.all(buf == 0)


@pytest.mark.parametrize("integ", [0, 1, "mixed"])
@pytest.mark.parametrize("name", ["if_curr_exp", "if_cond_exp"])
def test_refractory_clamp_or_integrate(name, integ):
    """Clamped (NEST) refractory neurons keep v; integrating ones move and cannot fire."""
    rng = np.random.default_rng(7)
    n = 300
    m = model_module(name)
    cell = next(c for c in ss.cells.CELL_TYPES if getattr(c, "model", None) is m)()
    p = cell.resolve(n, rng)
    p["tau_refrac"] = 2.0
    p["integrate_refractory"] = (rng.random(n) < 0.5).astype(float) if integ == "mixed" else integ
    cols = cell.columns(p, 0.1)
    S = np.array(twin(name).random_state(rng, n))
    v0 = S[0].copy()
    ref0 = rng.integers(0, 4, n).astype(np.int16)
    buf = rng.uniform(0, 1, (2, 1, n))
    fired = np.zeros(n + 8, bool)
    eng = engine_for((name,))
    (eng.m0_het if cols.ndim == 2 else eng.m0_hom)(0, n, S, ref0.copy(), buf, 0, fired, cols)
    v = S[0]
    flag = np.broadcast_to(np.asarray(p["integrate_refractory"]) != 0, (n,))
    held = (ref0 > 0) & ~flag & ~fired[:n]  # (as NEST, a clamped v at threshold still fires)
    assert held.any() == (integ != 1) and np.array_equal(v[held], v0[held])  # clamped: v kept
    moving = (ref0 > 0) & flag
    assert moving.any() == (integ != 0)
    if moving.any():  # integrating ones move, and may be above threshold without firing
        assert (v[moving] != v0[moving]).all() and not fired[:n][moving].any()
        assert (v[moving] >= np.broadcast_to(p["v_thresh"], (n,))[moving]).any()


@pytest.mark.parametrize("integrate", [False, True])
def test_integrate_refractory_interspike_interval(integrate):
    """Constant drive from reset: ``v_k = v_inf + (v_reset - v_inf) P22^k`` reaches threshold after
    ``k`` steps; holding ``v`` for ``r`` refractory steps gives intervals ``r + k``, integrating
    through them gives ``max(r + 1, k)`` steps (the neuron cannot fire while refractory)."""
    dt, tau_m, cm, r = 1.0, 10.0, 1.0, 2
    v_rest, v_th, i = -65.0, -50.0, 1.8
    net = ss.Network(dt=dt, dtype="float64")
    pop = net.add_population(1, ss.IF_curr_exp(tau_m=tau_m, cm=cm, v_rest=v_rest, v_reset=v_rest,
                                               v_thresh=v_th, tau_refrac=r * dt, i_offset=i,
                                               integrate_refractory=integrate))
    rec = net.record(pop, "spikes")
    net.run(300.0)
    v_inf, p22 = v_rest + i * tau_m / cm, np.exp(-dt / tau_m)
    k = int(np.ceil(np.log((v_th - v_inf) / (v_rest - v_inf)) / np.log(p22)))
    assert k > r + 1  # the two rules then differ
    isi = np.diff(np.rint(rec.spikes.times / dt).astype(int))
    assert isi.size > 10
    assert set(isi.tolist()) == {max(r + 1, k) if integrate else r + k}


def test_connectivity_kernels_match_twins():
    rng = np.random.default_rng(3)
    pre = rng.integers(0, 50, 2000)
    ip, order = KC.csr_order(pre, 50)
    ip2, order2 = connectivity_ref.csr_order(pre, 50)
    np.testing.assert_array_equal(ip, ip2)
    np.testing.assert_array_equal(order, order2)
    cols = rng.integers(0, 30, 2000).astype(np.int32)
    c1, c2 = cols.copy(), cols.copy()
    np.testing.assert_array_equal(KC.sort_rows_find_duplicates(ip, c1),
                                  connectivity_ref.sort_rows_find_duplicates(ip, c2))
    np.testing.assert_array_equal(c1, c2)
    assert KC.rows_sorted(ip, c1) and connectivity_ref.rows_sorted(ip, c1)
    assert not KC.rows_sorted(ip, cols) and not connectivity_ref.rows_sorted(ip, cols)
    for lo, b in ((20, [0, 17, 40, 60, 100]), (0, [0, 0, 15, 15, 100]), (70, [0, 50, 100]),
                  (0, [0, 100]), (5, [0, 5, 6, 34, 35, 100])):
        bounds = np.array(b, np.int64)  # empty parts, parts outside the targets, one part
        np.testing.assert_array_equal(KC.row_cuts(ip, c1, lo, bounds),
                                      connectivity_ref.row_cuts(ip, c1, lo, bounds))


def test_scan_fired_ignores_stale_flags():
    fired = np.ones(24, bool)
    fired[:10] = [0, 1, 0, 0, 0, 0, 0, 1, 0, 1]
    out = np.zeros(24, np.int64)
    n = KE.scan_fired(fired, fired.view(np.uint64), 10, 100, out, 0)
    assert list(out[:n]) == [101, 107, 109]


def test_scan_fired_matches_flatnonzero_across_its_word_groups():
    # flags in skipped groups of 16 words, in the tail after the last whole group, and
    # stale flags past n in the last word; n on and off word and group boundaries
    rng = np.random.default_rng(5)
    for n in (0, 1, 7, 8, 127, 128, 129, 1000, 8191, 8192):
        for dense in (0.0, 0.002, 0.3):
            fired = rng.random(8200) < dense
            fired[n:] |= rng.random(8200 - n) < 0.5
            want = np.flatnonzero(fired[:n]) + 9
            out = np.full(8200, -1, np.int64)
            got = KE.scan_fired(fired, fired.view(np.uint64), n, 9, out, 2)
            assert got == 2 + want.size
            np.testing.assert_array_equal(out[2:got], want)
            assert not fired[n:(n + 7) & ~7].any()
