"""Convolutional projections (spikesim.Convolution): the kernel stored once.

- the delivery kernel against its NumPy twin (tests/reference/convolution_ref.py);
- the expanded synapses against torch.nn.functional.conv1d/conv2d;
- a network with a convolution against the same network with its synapses as FromList:
  identical spikes and membrane traces, on one and two threads;
- save/load, refusals, and the NIR paper's CNN read with shared kernels.
"""
from pathlib import Path

import numpy as np
import pytest

import spikesim as ss
from spikesim.kernels.convolution import deliver_conv

from .reference import convolution_ref

PAPER = Path(__file__).resolve().parents[2] / "shared" / "nir-paper"

GEOMS = [  # kernel shape, input shape, stride, padding, dilation, groups, crop
    ((4, 2, 3, 3), (2, 7, 6), 1, 1, 1, 1, None),
    ((4, 2, 3, 3), (2, 9, 8), 2, 2, 2, 1, None),
    ((6, 1, 2, 3), (3, 8, 7), (2, 1), (0, 2), (1, 2), 3, None),
    ((4, 2, 4, 4), (2, 9, 9), 2, 0, 1, 1, (8, 8)),
    ((3, 2, 3), (2, 11), 2, 1, 2, 1, None),
]


def _kernel(shape, seed, zeros=0.3):
    rng = np.random.default_rng(seed)
    k = rng.normal(size=shape)
    k[rng.random(shape) < zeros] = 0.0
    return k


@pytest.mark.parametrize("g", range(len(GEOMS)))
def test_deliver_matches_twin(g):
    kshape, ishape, s, p, d, groups, crop = GEOMS[g]
    conv = ss.Convolution(_kernel(kshape, g), ishape, s, p, d, groups, input_crop=crop)
    geom = conv.geometry(3)
    n_in, n_out = int(np.prod(ishape)), int(np.prod(conv.output_shape))
    w = conv.kernel.ravel()
    for lo, hi in ((0, 10 ** 9), (5 + n_out // 4, 5 + 3 * n_out // 4)):  # whole / a part
        ring, ref = np.zeros((8, n_out + 9)), np.zeros((8, n_out + 9))
        for j in range(n_in):
            deliver_conv(ring, j, geom, w, 5, lo, hi, 7, 7)
            convolution_ref.deliver_conv(ref, j, geom, w, 5, lo, hi, 7, 7)
        assert np.array_equal(ring, ref)
        assert ring[(7 + 3) & 7].any() and not np.delete(ring, (7 + 3) & 7, axis=0).any()


@pytest.mark.parametrize("g", range(len(GEOMS)))
def test_synapses_are_torch_convolution(g):
    torch = pytest.importorskip("torch")
    kshape, ishape, s, p, d, groups, crop = GEOMS[g]
    k = _kernel(kshape, g)
    conv = ss.Convolution(k, ishape, s, p, d, groups, input_crop=crop)
    pre, post, w = conv.synapses()
    assert np.all(w != 0) and np.all(np.diff(pre) >= 0)
    m = np.zeros((int(np.prod(conv.output_shape)), int(np.prod(ishape))))
    np.add.at(m, (post, pre), w)
    x = np.random.default_rng(g).random(ishape)
    if crop is not None:  # cropped rows and columns have no synapses
        x[:, crop[0]:, :] = 0.0
        x[:, :, crop[1]:] = 0.0
    f = torch.nn.functional.conv2d if len(ishape) == 3 else torch.nn.functional.conv1d
    y = f(torch.tensor(x)[None], torch.tensor(k), stride=s, padding=p, dilation=d, groups=groups)
    assert y.shape[1:] == conv.output_shape
    np.testing.assert_allclose(m @ x.ravel(), y.numpy().ravel(), rtol=1e-12, atol=1e-12)


def _pair_of_networks(threads, kernel, ishape, **kw):
    out = []
    rs = np.random.default_rng(1)
    times = [np.unique(np.round(rs.uniform(0, 40, 4), 1)) for _ in range(int(np.prod(ishape)))]
    for shared in (True, False):
        net = ss.Network(dt=0.1, seed=3, threads=threads)
        conv = ss.Convolution(kernel, ishape, **kw)
        src = net.add_population(int(np.prod(ishape)), ss.SpikeSourceArray(times))
        tgt = net.add_population(int(np.prod(conv.output_shape)),
                                 ss.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=4.0, v_thresh=-62.0))
        for rec, k in (("excitatory", np.maximum(kernel, 0)), ("inhibitory", np.minimum(kernel, 0))):
            c = ss.Convolution(k, ishape, **kw)
            if shared:
                net.connect(src, tgt, c, delay=0.3, receptor_type=rec)
            else:
                pre, post, w = c.synapses()
                net.connect(src, tgt, ss.FromList(pre, post, weight=w, delay=0.3), receptor_type=rec)
        r = net.record(tgt, ["spikes", "v"])
        net.run(50.0, progress=False)
        out.append((net, r))
    return out


def test_two_part_network_on_alternating_engines_equals_one_thread(monkeypatch):
    """A 2-part runtime runs windows on its one-thread engine too (the thread governor's
    warm-up, probes and busy machines). That engine must deliver a convolution to every
    target: it was given the 2-part bounds and reached only the first part's neurons."""
    import itertools

    import spikesim.runtime as rt
    k = _kernel((4, 2, 3, 3), 5) * 3.0
    ((one, r1), _) = _pair_of_networks(1, k, (2, 12, 10), stride=2, padding=1)
    cycle = itertools.cycle([False, True, False, False])
    monkeypatch.setattr(rt, "CHUNK_STEPS", 32)  # many windows
    monkeypatch.setattr(rt.ThreadGovernor, "threaded", lambda self: next(cycle))
    ((two, r2), _) = _pair_of_networks(2, k, (2, 12, 10), stride=2, padding=1)
    if two._runtime.n_parts < 2:
        pytest.skip("no threaded engine here (threading layer without OpenMP/TBB)")
    assert r1.spikes.times.size > 20
    assert np.array_equal(r1.spikes.times, r2.spikes.times)
    assert np.array_equal(r1.spikes.senders, r2.spikes.senders)
    assert np.array_equal(r1.get("v").values, r2.get("v").values)


@pytest.mark.parametrize("threads", [1, 2])
def test_network_equals_its_synapses_as_fromlist(threads, monkeypatch):
    # both through the ring (the FromList network alone would be delivered into the state,
    # spikesim.direct_runtime, whose sums can differ in the last bit)
    monkeypatch.setenv("SPIKESIM_DIRECT", "0")
    k = _kernel((4, 2, 3, 3), 5) * 3.0
    (a, ra), (b, rb) = _pair_of_networks(threads, k, (2, 12, 10), stride=2, padding=1)
    assert ra.spikes.times.size > 20
    assert np.array_equal(ra.spikes.times, rb.spikes.times)
    assert np.array_equal(ra.spikes.senders, rb.spikes.senders)
    assert np.array_equal(ra.get("v").values, rb.get("v").values)
    for p, q in zip(a.projections, b.projections):  # the expanded CSR is the stored one
        assert p.convolution is not None and q.convolution is None
        assert np.array_equal(p.indptr, q.indptr) and np.array_equal(p.post, q.post)
        assert np.array_equal(p.weight, q.weight) and np.array_equal(p.delay, q.delay)
        assert p.nbytes == k.size * 4 + 2 < q.nbytes  # the kernel once, no synapses


def test_save_load_continues_exactly(tmp_path):
    k = _kernel((3, 2, 3, 3), 7) * 4.0
    runs = []
    for reload in (False, True):
        net = ss.Network(dt=0.1, seed=3)
        rs = np.random.default_rng(2)
        src = net.add_population(2 * 8 * 8, ss.SpikeSourcePoisson(rate=rs.uniform(20, 80, 128)))
        conv = ss.Convolution(np.abs(k), (2, 8, 8), padding=1)
        tgt = net.add_population(int(np.prod(conv.output_shape)), ss.IF_curr_exp())
        net.connect(src, tgt, conv, delay=0.5)
        net.run(20.0, progress=False)
        if reload:
            net.save(tmp_path / "c.h5")
            net = ss.load(tmp_path / "c.h5")
            assert net.projections[0].convolution is not None
            np.testing.assert_array_equal(net.projections[0].convolution.kernel,
                                          np.abs(k).astype(np.float32))
        r = net.record(net.populations[1], "spikes")
        net.run(30.0, progress=False)
        runs.append(r.spikes)
    assert runs[0].times.size > 10
    assert np.array_equal(runs[0].times, runs[1].times)
    assert np.array_equal(runs[0].senders, runs[1].senders)


def test_refusals_name_the_parameter():
    net = ss.Network(dt=0.1)
    src = net.add_population(2 * 5 * 5, ss.SpikeSourcePoisson(rate=10.0))
    k = np.ones((3, 2, 3, 3))
    conv = ss.Convolution(k, (2, 5, 5))
    tgt = net.add_population(3 * 3 * 3, ss.IF_curr_exp())
    with pytest.raises(ValueError, match="kernel must have 3 .* or 4"):
        ss.Convolution(np.ones((3, 3)), (2, 5, 5))
    with pytest.raises(ValueError, match="kernel must be finite"):
        ss.Convolution(np.full((3, 2, 3, 3), np.nan), (2, 5, 5))
    with pytest.raises(ValueError, match="groups=2 does not fit"):
        ss.Convolution(k, (2, 5, 5), groups=2)
    with pytest.raises(ValueError, match="stride must be 2 whole number"):
        ss.Convolution(k, (2, 5, 5), stride=0)
    with pytest.raises(ValueError, match="does not fit input"):
        ss.Convolution(k, (2, 1, 1))
    with pytest.raises(ValueError, match="post 'population1' has 27 neurons, the output"):
        net.connect(src, tgt, ss.Convolution(k, (2, 5, 5), padding=1))
    with pytest.raises(ValueError, match="pre 'population0' has 50 neurons"):
        net.connect(src, tgt, ss.Convolution(k, (2, 6, 6), stride=2))
    with pytest.raises(ValueError, match="whole Population"):
        net.connect(src[:50], tgt, conv)
    with pytest.raises(ValueError, match="static; synapse="):
        net.connect(src, tgt, conv, synapse=ss.STDP(ss.SpikePairRule(20, 20, 0.01, 0.01),
                                                    ss.AdditiveWeightDependence(0, 1)))
    with pytest.raises(ValueError, match="leave weight at its default"):
        net.connect(src, tgt, conv, weight=0.5)
    with pytest.raises(ValueError, match="leave weight at its default"):
        net.connect(src, tgt, conv, weight=ss.RandomDistribution("uniform", low=0, high=1))
    with pytest.raises(ValueError, match="delay must be one number"):
        net.connect(src, tgt, conv, delay=np.ones(27))
    with pytest.raises(ValueError, match="delay must be at least one step"):
        net.connect(src, tgt, conv, delay=0.01)
    with pytest.raises(ValueError, match="weight must be <= 0 for inhibitory"):
        net.connect(src, tgt, conv, receptor_type="inhibitory")
    assert net.projections == []  # nothing half-built


def test_set_weights_keeps_a_kernel_when_there_is_one():
    net = ss.Network(dt=0.1)
    src = net.add_population(2 * 5 * 5, ss.SpikeSourcePoisson(rate=10.0))
    k = np.abs(_kernel((3, 2, 3, 3), 4))
    tgt = net.add_population(3 * 5 * 5, ss.IF_curr_exp())
    proj = net.connect(src, tgt, ss.Convolution(k, (2, 5, 5), padding=1))
    n = proj.n_synapses
    proj.set_weights(proj.weight * 2.0)  # every entry's synapses scaled alike: still a kernel
    assert proj.convolution is not None and proj.n_synapses == n
    np.testing.assert_allclose(proj.convolution.kernel, 2.0 * k.astype(np.float32))
    with pytest.raises(ValueError, match="weight must be >= 0"):
        proj.set_weights(-1.0)
    assert proj.convolution is not None  # refused: unchanged
    w = proj.weight.copy()
    w[0] = 5.0  # one synapse differs from its kernel entry's others: stored synapses
    proj.set_weights(w)
    assert proj.convolution is None and proj.n_synapses == n
    assert np.array_equal(proj.weight, w.astype(np.float32))
    net.run(5.0, progress=False)


def _both_imports(g, monkeypatch, **kw):
    """The NIR graph read twice: convolutions as kernels, then synapse by synapse."""
    import spikesim.export.nir_graph as NG
    from spikesim.export import from_nir

    shared = from_nir(g, dt=0.1, time_unit="ms", **kw)
    with monkeypatch.context() as m:
        m.setattr(NG, "shared_kernel", lambda *a: None)
        stored = from_nir(g, dt=0.1, time_unit="ms", **kw)
    return shared, stored


def _run_recording(nets, ms: float) -> list:
    """Spike times and senders of every neuron population of each network after ``ms``."""
    out = []
    for net in nets:
        recs = [net.record(p, "spikes") for p in net.populations if p.celltype.kind != 0]
        net.run(ms, progress=False)
        out.append([(r.spikes.times, r.spikes.senders) for r in recs])
    return out


@pytest.mark.skipif(not PAPER.is_dir(), reason="../shared/nir-paper is absent")
def test_nir_cnn_convolutions_keep_one_kernel(monkeypatch):
    """The NIR paper's CNN: its three convolutions (one behind a sum pooling, folded into the
    kernel) are stored as kernels and run exactly as their synapses would."""
    nir = pytest.importorskip("nir")
    g = nir.read(PAPER / "cnn_sinabs.nir")
    hit = np.random.default_rng(3).random((150, 2312)) < 0.05
    times = [(np.flatnonzero(hit[:, j]) + 1) * 0.1 for j in range(2312)]
    nets = _both_imports(g, monkeypatch, spike_times={"input": times})
    shared = [p for p in nets[0].projections if p.convolution is not None]
    assert {p.label.split("_")[0] for p in shared} == {"0", "2", "4/5"}
    # per sign: float32 kernels of 16x2x5x5, 16x16x3x3 and the pooled 8x16x6x6, a uint16 delay
    assert sum(p.nbytes for p in shared) == 2 * (4 * (800 + 2304 + 4608) + 3 * 2)
    csr = [q for q in nets[1].projections if q.label in {p.label for p in shared}]
    assert sum(q.nbytes for q in csr) > 100 * sum(p.nbytes for p in shared)
    spikes = _run_recording(nets, 15.0)
    assert sum(t.size for t, _ in spikes[0]) > 100
    for (ta, sa), (tb, sb) in zip(*spikes):
        assert np.array_equal(ta, tb) and np.array_equal(sa, sb)
    for p, q in zip(*(n.projections for n in nets)):
        assert p.label == q.label and np.array_equal(p.weight, q.weight)


@pytest.mark.skipif(not PAPER.is_dir(), reason="../shared/nir-paper is absent")
def test_nir_network_saved_and_loaded_keeps_its_source(tmp_path):
    """net.save keeps from_nir's source graph: the loaded network continues exactly and
    to_nir writes the same nodes as the original."""
    nir = pytest.importorskip("nir")
    import spikesim.io as sio
    from spikesim.export import from_nir, to_nir

    g = nir.read(PAPER / "cnn_sinabs.nir")
    hit = np.random.default_rng(4).random((250, 2312)) < 0.05
    times = [(np.flatnonzero(hit[:, j]) + 1) * 0.1 for j in range(2312)]
    net = from_nir(g, dt=0.1, time_unit="ms", spike_times={"input": times})
    net.run(10.0, progress=False)
    net.save(tmp_path / "cnn.h5")
    back = ss.load(tmp_path / "cnn.h5")
    assert back.nir_source is not None
    assert set(back.nir_source.populations) == set(net.nir_source.populations)
    assert all(back.nir_source.populations[k] is back.populations[p.index]
               for k, p in net.nir_source.populations.items())
    runs = []
    for n in (net, back):
        recs = [n.record(p, "spikes") for p in n.populations[1:]]
        n.run(15.0, progress=False)
        runs.append([(r.spikes.times, r.spikes.senders) for r in recs])
    assert sum(t.size for t, _ in runs[0]) > 100
    for (ta, sa), (tb, sb) in zip(*runs):
        assert np.array_equal(ta, tb) and np.array_equal(sa, sb)
    a, b = to_nir(net), to_nir(back)
    assert list(a.nodes) == list(b.nodes)
    for name in a.nodes:
        for field in ("weight", "bias", "tau_mem", "v_threshold", "kernel_size", "stride"):
            if hasattr(a.nodes[name], field):
                assert np.array_equal(getattr(a.nodes[name], field),
                                      getattr(b.nodes[name], field)), (name, field)
    # a file whose graph does not make the stored network is refused, naming the group
    import h5py
    with h5py.File(tmp_path / "cnn.h5", "a") as f:
        f["projections/0"].attrs["label"] = "renamed"
    with pytest.raises(sio.FileFormatError, match="nir_source"):
        ss.load(tmp_path / "cnn.h5")


@pytest.mark.parametrize("pool", ["SumPool2d", "AvgPool2d"])
def test_nir_pooling_alone_is_a_grouped_kernel(pool, monkeypatch):
    """Input (2, 8, 8) -> pooling -> IF: a grouped convolution with unit weights (divided by
    the window for AvgPool2d), spiking exactly as its synapses would."""
    nir = pytest.importorskip("nir")

    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([2, 8, 8])),
                            "pool": getattr(nir, pool)(np.array([2, 2]), np.array([2, 2]),
                                                       np.array([0, 0])),
                            "if": nir.IF(r=np.ones((2, 4, 4)), v_threshold=np.full((2, 4, 4), 1.5)),
                            "output": nir.Output(np.array([2, 4, 4]))},
                     edges=[("input", "pool"), ("pool", "if"), ("if", "output")])
    rs = np.random.default_rng(0)
    times = [np.unique(np.round(rs.uniform(0.1, 20, 6), 1)) for _ in range(128)]
    nets = _both_imports(g, monkeypatch, spike_times={"input": times})
    assert [[p.convolution is not None for p in n.projections] for n in nets] == [[True], [False]]
    (ta, sa), = _run_recording(nets[:1], 25.0)[0]
    (tb, sb), = _run_recording(nets[1:], 25.0)[0]
    assert ta.size > 50
    assert np.array_equal(ta, tb) and np.array_equal(sa, sb)


def test_nir_flatten_before_a_convolution_keeps_its_synapses():
    """Input (2, 4, 4) -> Flatten(start_dim=1) -> Conv1d: the flattened layout is not the
    input's, so the path is connected synapse by synapse (it used to raise from Convolution)."""
    nir = pytest.importorskip("nir")
    from spikesim.export import from_nir

    w = np.random.default_rng(1).normal(size=(3, 2, 3))
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([2, 4, 4])),
                            "flat": nir.Flatten({"input": np.array([2, 4, 4])}, 1, 2),
                            "conv": nir.Conv1d(16, w, 1, 0, 1, 1, np.zeros(3)),
                            "if": nir.IF(r=np.ones((3, 14)), v_threshold=np.ones((3, 14))),
                            "output": nir.Output(np.array([3, 14]))},
                     edges=[("input", "flat"), ("flat", "conv"), ("conv", "if"), ("if", "output")])
    net = from_nir(g, dt=0.1, time_unit="ms")
    assert net.projections and all(p.convolution is None for p in net.projections)
    m = np.zeros((42, 32))
    for p in net.projections:
        pre, post = p.connections()
        np.add.at(m, (post, pre), p.weight.astype(np.float64))
    x = np.random.default_rng(2).random((2, 16))
    y = np.stack([sum(np.convolve(x[c], w[o, c][::-1], "valid") for c in range(2))
                  for o in range(3)])
    np.testing.assert_allclose(m @ x.ravel(), y.ravel(), rtol=1e-5)
