"""Reading any NIR graph (spikesim.export.nir_graph): convolutions and pooling as connectivity,
the discretisation of NIR's neuron nodes against a NumPy twin written from their equations,
subgraphs, recurrent cycles, delays, reset and refractory rules, bad input, and the graphs
published with the NIR paper (../shared/nir-paper; skipped when absent)."""
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import spikesim as ss

nir = pytest.importorskip("nir")
from spikesim.export import ExportError, from_nir  # noqa: E402
from spikesim.export.nir_conv import conv_matrix, pool_matrix  # noqa: E402
from spikesim.export.nir_graph import NIRImportWarning  # noqa: E402

PAPER = Path(__file__).resolve().parents[2] / "shared" / "nir-paper"
needs_paper = pytest.mark.skipif(not PAPER.is_dir(), reason="../shared/nir-paper is absent")


# ------------------------------------------------------------------ convolution as connectivity
def _naive_conv(x, w, stride, pad, dil, groups):
    """Direct loops over torch.nn.Conv2d's definition (zero padding)."""
    c_in, h, wd = x.shape
    c_out, cg, kh, kw = w.shape
    ho = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((c_out, ho, wo))
    for co in range(c_out):
        g = co // (c_out // groups)
        for ci in range(cg):
            for i in range(ho):
                for j in range(wo):
                    for a in range(kh):
                        for b in range(kw):
                            yy = i * stride[0] - pad[0] + a * dil[0]
                            xx = j * stride[1] - pad[1] + b * dil[1]
                            if 0 <= yy < h and 0 <= xx < wd:
                                y[co, i, j] += w[co, ci, a, b] * x[g * cg + ci, yy, xx]
    return y


@pytest.mark.parametrize("c_in,c_out,groups,k,stride,pad,dil,h,w", [
    (2, 4, 1, (5, 5), (2, 2), (1, 1), (1, 1), 12, 12),   # the NIR paper CNN's first layer, small
    (4, 6, 2, (3, 3), (1, 1), (1, 1), (2, 2), 9, 7),     # groups and dilation
    (3, 3, 3, (3, 2), (2, 1), (0, 1), (1, 1), 8, 9),     # depthwise, rectangular
])
def test_conv_matrix_equals_the_convolution_definition(c_in, c_out, groups, k, stride, pad, dil,
                                                        h, w):
    rng = np.random.default_rng(1)
    wt = rng.normal(size=(c_out, c_in // groups) + k)
    x = rng.normal(size=(c_in, h, w))
    m, out = conv_matrix(wt, (c_in, h, w), stride, pad, dil, groups, "c")
    y = _naive_conv(x, wt, stride, pad, dil, groups)
    assert out == y.shape
    np.testing.assert_allclose(m @ x.ravel(), y.ravel(), atol=1e-12)


def test_conv1d_same_padding_and_pools():
    rng = np.random.default_rng(2)
    wt, x = rng.normal(size=(5, 3, 4)), rng.normal(size=(3, 11))
    m, out = conv_matrix(wt, (3, 11), 1, "same", 1, 1, "c1")
    # 'same': total padding k - 1 = 3, one before and two after
    y = _naive_conv(np.pad(x, ((0, 0), (1, 2)))[:, None, :], wt[:, :, None, :], (1, 1), (0, 0),
                    (1, 1), 1)[:, 0, :]
    assert out == (5, 11)
    np.testing.assert_allclose(m @ x.ravel(), y.ravel(), atol=1e-12)
    x = rng.normal(size=(2, 6, 6))
    s, out = pool_matrix((2, 2), (2, 2), (0, 0), (2, 6, 6), False, "p")
    a, _ = pool_matrix((2, 2), (2, 2), (0, 0), (2, 6, 6), True, "p")
    want = x.reshape(2, 3, 2, 3, 2).sum(axis=(2, 4))
    assert out == (2, 3, 3)
    np.testing.assert_allclose(s @ x.ravel(), want.ravel(), atol=1e-12)
    np.testing.assert_allclose(a @ x.ravel(), want.ravel() / 4, atol=1e-12)


# ------------------------------------------------------------------ discretisation: NumPy twin
H = 1e-4  # s: the graph's step (dt = 0.1 ms)


def _rnn_graph(rng, n_in=6, n_hid=9, n_out=4, subgraph=True):
    """Input -> Linear -> CubaLIF (recurrent through Linear, in a subgraph) -> Linear -> LIF."""
    p = dict(tau_syn=rng.uniform(3e-4, 1e-3, n_hid), tau_mem=rng.uniform(1e-3, 3e-3, n_hid),
             r=rng.uniform(0.5, 2.0, n_hid), v_leak=np.zeros(n_hid),
             v_threshold=np.full(n_hid, 1.0), v_reset=np.zeros(n_hid),
             w_in=rng.uniform(1.0, 3.0, n_hid))
    w1 = rng.uniform(-2, 14, (n_hid, n_in))
    wr = rng.uniform(-6, 4, (n_hid, n_hid))
    w2 = rng.uniform(-3, 20, (n_out, n_hid))
    lif = dict(tau=rng.uniform(1e-3, 4e-3, n_out), r=rng.uniform(0.5, 2.0, n_out),
               v_leak=np.full(n_out, 0.1), v_threshold=np.full(n_out, 0.5),
               v_reset=np.zeros(n_out))
    inner = {"lif": nir.CubaLIF(**p), "w_rec": nir.Linear(wr)}
    if subgraph:
        inner.update(input=nir.Input(np.array([n_hid])), output=nir.Output(np.array([n_hid])))
        rnn = nir.NIRGraph(nodes=inner, edges=[("input", "lif"), ("lif", "w_rec"),
                                               ("w_rec", "lif"), ("lif", "output")])
        nodes = {"rnn": rnn}
        hid_in, hid_out = "rnn", "rnn"
    else:
        nodes = {"rnn.lif": inner["lif"], "rnn.w_rec": inner["w_rec"]}
        hid_in = hid_out = "rnn.lif"
    nodes.update(input=nir.Input(np.array([n_in])), fc1=nir.Linear(w1), fc2=nir.Linear(w2),
                 out=nir.LIF(**lif), output=nir.Output(np.array([n_out])))
    edges = [("input", "fc1"), ("fc1", hid_in), (hid_out, "fc2"), ("fc2", "out"),
             ("out", "output")]
    if not subgraph:
        edges += [("rnn.lif", "rnn.w_rec"), ("rnn.w_rec", "rnn.lif")]
    return nir.NIRGraph(nodes=nodes, edges=edges), p, lif, (w1, wr, w2)


def _twin(p, lif, ws, s_in, scheme, reset="value"):
    """spikesim.export.nir_nodes' recursion, step by step (float64): a spike of step k reaches
    its targets in step k + 1, threshold v > v_threshold; with "exact" v moves with I of the
    previous step (IF_curr_exp), with "euler" with the new I (CubaLIFStep, Norse's order)."""
    w1, wr, w2 = ws
    if scheme == "exact":
        p22, p11 = np.exp(-H / p["tau_mem"]), np.exp(-H / p["tau_syn"])
        p21 = p["r"] * p["tau_syn"] * (np.exp(-H / p["tau_syn"]) - np.exp(-H / p["tau_mem"])) / (
            p["tau_syn"] - p["tau_mem"])
        cs, q, c_out = 1 - p11, np.exp(-H / lif["tau"]), 1 - np.exp(-H / lif["tau"])
    else:
        p22, p11 = 1 - H / p["tau_mem"], 1 - H / p["tau_syn"]
        p21, cs = p["r"] * H / p["tau_mem"], H / p["tau_syn"]
        q, c_out = 1 - H / lif["tau"], H / lif["tau"]
    n_hid, n_out = len(p22), len(q)
    v, i, u = p["v_leak"].copy(), np.zeros(n_hid), lif["v_leak"].copy()  # start at rest
    z_in_prev, z_prev, zo = np.zeros(s_in.shape[1]), np.zeros(n_hid), []
    zh = []
    for k in range(s_in.shape[0]):
        x = w1 @ z_in_prev + wr @ z_prev
        if scheme == "exact":
            v = p22 * v + p21 * i + (1 - p22) * p["v_leak"]
            i = p11 * i + cs * p["w_in"] * x
        else:
            i = p11 * i + cs * p["w_in"] * x
            v = p22 * v + p21 * i + (1 - p22) * p["v_leak"]
        spk = v > p["v_threshold"]
        v = np.where(spk, v - p["v_threshold"] if reset == "subtract" else p["v_reset"], v)
        u = q * u + (1 - q) * lif["v_leak"] + lif["r"] * c_out * (w2 @ z_prev)
        so = u > lif["v_threshold"]
        u = np.where(so, u - (lif["v_threshold"] - lif["v_reset"]) if reset == "subtract"
                     else lif["v_reset"], u)
        zh.append(spk)
        zo.append(so)
        z_in_prev, z_prev = s_in[k].astype(float), spk.astype(float)
    return np.array(zh), np.array(zo)


def _spike_matrix(rec, n, steps, dt=0.1):
    m = np.zeros((steps, n), bool)
    m[np.round(rec.spikes.times / dt).astype(int) - 1, rec.spikes.senders] = True
    return m


@pytest.mark.parametrize("scheme,reset,subgraph", [("euler", "value", True),
                                                   ("exact", "value", False),
                                                   ("euler", "subtract", False)])
def test_recurrent_graph_fires_as_the_twin_of_its_equations(scheme, reset, subgraph):
    rng = np.random.default_rng(7)
    graph, p, lif, ws = _rnn_graph(rng, subgraph=subgraph)
    steps = 400
    s_in = rng.random((steps, 6)) < 0.08
    times = [(np.flatnonzero(s_in[:, j]) + 1) * 0.1 for j in range(6)]
    net = from_nir(graph, dt=0.1, time_unit="s", scheme=scheme, dtype="float64", reset=reset,
                   spike_times={"input": times})
    src = net.nir_source
    hid, out = src.populations["rnn.lif"], src.outputs["output"]
    assert out is src.populations["out"]
    rh, ro = net.record(hid, "spikes"), net.record(out, "spikes")
    net.run(steps * 0.1, progress=False)
    zh, zo = _twin(p, lif, ws, s_in, scheme, reset)
    assert 20 < zh.sum() and 20 < zo.sum(), (zh.sum(), zo.sum())  # the test is not vacuous
    np.testing.assert_array_equal(_spike_matrix(rh, 9, steps), zh)
    np.testing.assert_array_equal(_spike_matrix(ro, 4, steps), zo)


def test_reset_and_refractory_from_node_metadata_and_arguments():
    lif = nir.LIF(tau=np.array([0.02]), r=np.array([1.0]), v_leak=np.array([2.0]),
                  v_threshold=np.array([1.0]), v_reset=np.array([0.0]),
                  metadata={"reset": "subtract", "t_ref": 0.5})
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1])), "w": nir.Linear(np.eye(1)),
                            "n": lif, "output": nir.Output(np.array([1]))},
                     edges=[("input", "w"), ("w", "n"), ("n", "output")])
    pop = from_nir(g, dt=0.1, time_unit="ms").nir_source.populations["n"]
    assert pop.get("reset_subtract")[0] == 1.0 and pop.get("tau_refrac")[0] == pytest.approx(0.5)
    # subtraction removes exactly v_threshold - v_reset although v_thresh is one float above
    assert pop.get("v_thresh")[0] - pop.get("v_reset")[0] == pytest.approx(1.0, abs=1e-12)
    pop = from_nir(g, dt=0.1, time_unit="ms", reset="value", refractory={"n": 2.0}
                   ).nir_source.populations["n"]
    assert pop.get("reset_subtract")[0] == 0.0 and pop.get("tau_refrac")[0] == 2.0
    assert pop.get("v_thresh")[0] == np.nextafter(np.float32(1.0), np.float32(2.0))


def test_delay_node_adds_whole_steps_per_element():
    """Input -> Delay([0, 0.3 ms]) -> Linear -> IF: a spike emitted in step k reaches the IF
    neuron in step k + 1 + round(d / dt) and, with a weight above threshold, fires it there."""
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([2])),
                            "d": nir.Delay(np.array([0.0, 0.3])),
                            "w": nir.Linear(np.array([[2.0, 0.0], [0.0, 2.0]])),
                            "n": nir.IF(r=np.ones(2), v_threshold=np.ones(2),
                                        v_reset=np.zeros(2)),
                            "output": nir.Output(np.array([2]))},
                     edges=[("input", "d"), ("d", "w"), ("w", "n"), ("n", "output")])
    net = from_nir(g, dt=0.1, time_unit="ms", spike_times={"input": [[1.0], [1.0]]})
    rec = net.record(net.nir_source.outputs["output"], "spikes")
    net.run(3.0, progress=False)
    got = dict(zip(rec.spikes.senders.tolist(), np.round(rec.spikes.times, 6).tolist()))
    assert got == {0: pytest.approx(1.1), 1: pytest.approx(1.4)}


def test_readout_nodes_integrate_without_spiking():
    """LI (tau dv/dt = -v + r x), held input of one step: v = r w (1 - e^{-h/tau}) then decays."""
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1])), "w": nir.Linear(np.array([[3.0]])),
                            "li": nir.LI(tau=np.array([2.0]), r=np.array([1.5]),
                                         v_leak=np.array([0.0])),
                            "output": nir.Output(np.array([1]))},
                     edges=[("input", "w"), ("w", "li"), ("li", "output")])
    net = from_nir(g, dt=0.1, time_unit="ms", dtype="float64", spike_times={"input": [[0.1]]})
    pop = net.nir_source.outputs["output"]
    rec = net.record(pop, ["spikes", "v"])
    net.run(1.0, progress=False)
    v = rec.v.values[:, 0]
    jump = 1.5 * 3.0 * -np.expm1(-0.1 / 2.0)
    assert type(pop.celltype).__name__ == "CubaLIStep"  # the library's non-spiking readout
    assert rec.spikes.times.size == 0
    np.testing.assert_allclose(v[1:], jump * np.exp(-0.1 / 2.0) ** np.arange(v.size - 1),
                               rtol=1e-12)


def test_integrator_and_cubali_readouts():
    """I: dv/dt = r x, so v counts r w per input spike and keeps it; CubaLI (Euler): the twin's
    recursion I = (1 - h/tau_syn) I + w_in w h/tau_syn s, v = (1 - h/tau_mem) v + r h/tau_mem I."""
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1])),
                            "w": nir.Linear(np.array([[2.0], [3.0]])),
                            "i": nir.I(r=np.array([0.5, 0.25])),
                            "output": nir.Output(np.array([2]))},
                     edges=[("input", "w"), ("w", "i"), ("i", "output")])
    net = from_nir(g, dt=0.1, time_unit="ms", dtype="float64",
                   spike_times={"input": [[0.1, 0.5, 0.6]]})
    rec = net.record(net.nir_source.outputs["output"], "v")
    net.run(1.0, progress=False)
    v = rec.v.values
    np.testing.assert_allclose(v[[0, 1, 4, 5, 9]], [[0, 0], [1, 0.75], [1, 0.75], [2, 1.5],
                                                    [3, 2.25]], atol=1e-12)
    cubali = nir.CubaLI(tau_syn=np.array([0.4]), tau_mem=np.array([1.0]), r=np.array([2.0]),
                        v_leak=np.array([0.0]), w_in=np.array([1.5]))
    g = nir.NIRGraph(nodes={"input": nir.Input(np.array([1])), "w": nir.Linear(np.array([[2.0]])),
                            "li": cubali, "output": nir.Output(np.array([1]))},
                     edges=[("input", "w"), ("w", "li"), ("li", "output")])
    net = from_nir(g, dt=0.1, time_unit="ms", dtype="float64", scheme="euler",
                   spike_times={"input": [[0.1, 0.3]]})
    rec = net.record(net.nir_source.outputs["output"], "v")
    net.run(2.0, progress=False)
    i = u = 0.0
    want = []
    for k in range(20):  # spikes emitted in steps 0 and 2 arrive in steps 1 and 3
        x = 2.0 if k in (1, 3) else 0.0
        i = (1 - 0.1 / 0.4) * i + 1.5 * x * 0.1 / 0.4
        u = (1 - 0.1 / 1.0) * u + 2.0 * 0.1 / 1.0 * i
        want.append(u)
    np.testing.assert_allclose(rec.v.values[:, 0], want, rtol=1e-12)


# ------------------------------------------------------------------ bad input
def _chain(*mid, n=2):
    nodes = {"input": nir.Input(np.array([n])), "output": nir.Output(np.array([n]))}
    names = ["input"]
    for k, node in enumerate(mid):
        nodes[f"n{k}"] = node
        names.append(f"n{k}")
    names.append("output")
    # type_check=False: NIR's own check would refuse the mismatched shapes tested below
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names[:-1], names[1:])), type_check=False)


def _lif(n=2, tau=1.0):
    return nir.LIF(tau=np.full(n, tau), r=np.ones(n), v_leak=np.zeros(n),
                   v_threshold=np.ones(n), v_reset=np.zeros(n))


def test_bad_graphs_are_refused_naming_the_node(monkeypatch):
    @dataclass(eq=False)
    class Conv3d(nir.NIRNode):  # a node type spikesim does not read
        weight: np.ndarray

        def __post_init__(self):
            self.input_type = {"input": np.array([2])}
            self.output_type = {"output": np.array([2])}

    built = []
    monkeypatch.setattr(ss, "Network", lambda *a, **k: built.append(1))
    cases = [
        (_chain(nir.Linear(np.ones((2, 2))), Conv3d(np.ones(3))), "n1", "nir-node-type"),
        (_chain(nir.Linear(np.ones((3, 2))), _lif(2)), "n0", "nir-shape"),
        (_chain(nir.Linear(np.ones((2, 2))), _lif(2, tau=-1.0)), "n1", "nir-parameter"),
        (_chain(nir.Linear(np.ones((2, 2))), nir.LI(np.ones(2), np.ones(2), np.zeros(2)),
                nir.Linear(np.ones((2, 2))), _lif(2)), "n1", "nir-readout"),
    ]
    g = _chain(nir.Linear(np.ones((2, 2))), _lif(2))
    g.nodes["loop"] = nir.Linear(np.eye(2))
    g.nodes["n0"] = nir.Affine(np.ones((2, 2)), np.zeros(2))
    g.edges += [("n0", "loop"), ("loop", "n0")]
    cases.append((g, "loop", "nir-cycle"))
    for graph, name, rule in cases:
        with pytest.raises(ExportError) as e:
            from_nir(graph, dt=0.1, time_unit="ms")
        assert f"'{name}'" in str(e.value) and e.value.rule == rule, str(e.value)
    with pytest.raises(ExportError, match="forward Euler needs tau"):
        from_nir(_chain(nir.Linear(np.eye(2)), _lif(2, tau=0.05)), dt=0.1, time_unit="ms",
                 scheme="euler")
    assert not built  # nothing was built for any refused graph


def test_unstated_time_unit_of_second_scale_graph_is_warned():
    g = _chain(nir.Linear(np.eye(2)), _lif(2, tau=0.0025))
    with pytest.warns(NIRImportWarning, match="read in seconds"):
        net = from_nir(g, dt=0.1)
    assert net.nir_source.options["time_unit"] == "s"
    assert net.populations[1].get("tau_m")[0] == pytest.approx(2.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert from_nir(g, dt=0.1, time_unit="ms").nir_source.options["time_unit"] == "ms"


# ------------------------------------------------------------------ the NIR paper's graphs
@needs_paper
def test_paper_lif_graph_matches_the_exact_reference():
    """lif_norse.nir against lif_exact.csv (columns: input spikes, v, output spikes; one row per
    0.1 ms step). Input spikes are held for their step (one spike moves v by
    r (1 - e^{-h/tau})), so the exact scheme reproduces the subthreshold trace to rounding
    and every output spike in its step (spikesim's one-step delay: a spike emitted in step
    k - 1 is integrated in step k). After a spike the reference resets at the crossing inside
    the step and integrates the rest of that step's input; spikesim resets at the step's end,
    so v differs there by less than one step's input r w (1 - e^{-h/tau}), decaying after."""
    ref = np.loadtxt(PAPER / "lif_exact.csv", delimiter=",")
    k_in = np.flatnonzero(ref[:, 0])
    g = nir.read(PAPER / "lif_norse.nir")
    net = from_nir(g, dt=0.1, time_unit="s", dtype="float64",
                   spike_times={"input": [k_in * 0.1]})  # emitted in step k - 1
    rec = net.record(net.nir_source.outputs["output"], ["spikes", "v"])
    net.run(len(ref) * 0.1, progress=False)
    steps = np.round(rec.spikes.times / 0.1).astype(int) - 1
    np.testing.assert_array_equal(steps, np.flatnonzero(ref[:, 2]))
    v = rec.v.values[:, 0]
    first = steps[0]
    np.testing.assert_allclose(v[:first], ref[:first, 1], atol=1e-12)
    lif = g.nodes["1"]
    one_step = float(lif.r[0] * g.nodes["0"].weight[0, 0] * -np.expm1(-1e-4 / lif.tau[0]))
    assert np.abs(v - ref[:, 1]).max() < one_step


@needs_paper
@pytest.mark.parametrize("name", ["cnn_sinabs.nir", "braille_noDelay_bias_zero.nir",
                                  "braille_noDelay_noBias_subtract.nir"])
def test_paper_graphs_load_build_and_run(name):
    g = nir.read(PAPER / name)
    n_in = int(np.prod(g.nodes["input"].input_type["input"]))
    rng = np.random.default_rng(3)
    hit = rng.random((200, n_in)) < 0.05
    times = [(np.flatnonzero(hit[:, j]) + 1) * 0.1 for j in range(n_in)]
    cnn = name.startswith("cnn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NIRImportWarning)  # the Braille bias fold
        net = from_nir(g, dt=0.1, time_unit="ms" if cnn else "s",
                       scheme="exact" if cnn else "euler",
                       reset="subtract" if "subtract" in name else None,
                       spike_times={"input": times})
    out = net.nir_source.outputs["output"]
    assert out.size == (10 if cnn else 7)
    recs = [net.record(p, "spikes") for p in net.populations if p.celltype.kind != 0]
    net.run(25.0, progress=False)
    assert all(r.spikes.times.size for r in recs)  # every layer is driven and fires
    if cnn:  # convolutions became sparse connectivity: 5x5x2 inputs per first-layer neuron
        first = net.projections[0]
        assert first.pre.size == 2312 and first.post_population.size == 4096
        assert sum(p.n_synapses for p in net.projections[:2]) <= 4096 * 50


def test_threshold_scale_and_avgpool_nodes():
    """Input (1, 4, 4) -> AvgPool2d(2) -> Flatten -> Scale -> Threshold: a Threshold neuron
    spikes in the step its summed input exceeds the threshold, from that step's input alone."""
    g = nir.NIRGraph(
        nodes={"input": nir.Input(np.array([1, 4, 4])),
               "pool": nir.AvgPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0])),
               "flat": nir.Flatten({"input": np.array([1, 2, 2])}, 0, -1),
               "scale": nir.Scale(np.array([1.0, 2.0, 4.0, 8.0])),
               "thr": nir.Threshold(np.full(4, 0.9)),
               "output": nir.Output(np.array([4]))},
        edges=[("input", "pool"), ("pool", "flat"), ("flat", "scale"), ("scale", "thr"),
               ("thr", "output")])
    # step 0: one pixel in each 2x2 window (avg 0.25): scaled 0.25, 0.5, 1, 2 -> windows 2, 3
    # step 1: three pixels in window 0 (avg 0.75 < 0.9): no spike; with step 0's 0.25 carried
    # over it would reach 1.0
    times = [[] for _ in range(16)]
    for pix in (0, 2, 8, 10):
        times[pix].append(0.1)
    for pix in (1, 4, 5):
        times[pix].append(0.2)
    net = from_nir(g, dt=0.1, time_unit="ms", spike_times={"input": times})
    rec = net.record(net.nir_source.outputs["output"], "spikes")
    net.run(1.0, progress=False)
    assert sorted(rec.spikes.senders.tolist()) == [2, 3]
    np.testing.assert_allclose(rec.spikes.times, 0.2)  # emitted in step 0, integrated in step 1
