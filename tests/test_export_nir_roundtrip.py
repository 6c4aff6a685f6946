"""NIR graphs read by spikesim and written again (spikesim.export.nir_write): node for node,
convolutions stay convolutions, changes in spikesim reach the graph, refusals name the rule."""
import warnings
from pathlib import Path

import numpy as np
import pytest

import spikesim as ss

nir = pytest.importorskip("nir")
from spikesim.export import ExportError, from_nir, to_nir  # noqa: E402

PAPER = Path(__file__).resolve().parents[2] / "shared" / "nir-paper"


def _fields(node):
    return {k: v for k, v in vars(node).items() if k not in ("input_type", "output_type")}


def assert_same_graph(a, b, prefix=""):
    """Same node names and types, equal fields (arrays exactly), same edges; recursive."""
    assert sorted(a.nodes) == sorted(b.nodes), prefix
    assert sorted(map(tuple, a.edges)) == sorted(map(tuple, b.edges)), prefix
    for name in a.nodes:
        x, y = a.nodes[name], b.nodes[name]
        assert type(x) is type(y), prefix + name
        if isinstance(x, nir.NIRGraph):
            assert_same_graph(x, y, prefix + name + ".")
            continue
        fx, fy = _fields(x), _fields(y)
        assert sorted(fx) == sorted(fy), prefix + name
        for k in fx:
            if isinstance(fx[k], dict):
                assert fx[k] == fy[k], (prefix + name, k)
            else:
                np.testing.assert_array_equal(np.asarray(fx[k]), np.asarray(fy[k]),
                                              err_msg=f"{prefix}{name}.{k}")


def _conv_graph():
    """Input (2, 8, 8) -> Conv2d -> IF -> SumPool2d -> Conv2d (stride 2) -> IF -> Flatten ->
    Delay -> Affine -> CubaLIF in a subgraph, recurrent -> Output."""
    rng = np.random.default_rng(4)
    c1 = nir.Conv2d(input_shape=(8, 8), weight=rng.normal(0, 1, (4, 2, 3, 3)), stride=1,
                    padding=1, dilation=1, groups=1, bias=np.zeros(4))
    # groups=1: nir 1.0.8's type inference takes weight.shape[1] as the input channels, so a
    # grouped convolution fails NIRGraph's own check (groups: tests/test_export_nir_graph.py)
    c2 = nir.Conv2d(input_shape=(4, 4), weight=rng.normal(0, 1, (4, 4, 3, 3)), stride=2,
                    padding=(1, 0), dilation=1, groups=1, bias=np.full(4, 0.1))
    if1 = nir.IF(r=np.ones((4, 8, 8)), v_threshold=np.ones((4, 8, 8)), v_reset=np.zeros((4, 8, 8)))
    if2 = nir.IF(r=np.ones((4, 2, 1)), v_threshold=np.ones((4, 2, 1)), v_reset=np.zeros((4, 2, 1)))
    n = 3
    cuba = nir.CubaLIF(tau_syn=np.full(n, 2.0), tau_mem=np.full(n, 5.0), r=np.ones(n),
                       v_leak=np.zeros(n), v_threshold=np.ones(n), v_reset=np.zeros(n),
                       w_in=np.ones(n))
    sub = nir.NIRGraph(nodes={"in": nir.Input(np.array([n])), "lif": cuba,
                              "rec": nir.Linear(rng.normal(0, 1, (n, n))),
                              "out": nir.Output(np.array([n]))},
                       edges=[("in", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")])
    nodes = {"input": nir.Input(np.array([2, 8, 8])), "c1": c1, "if1": if1,
             "pool": nir.SumPool2d(np.array([2, 2]), np.array([2, 2]), np.array([0, 0])),
             "c2": c2, "if2": if2, "flat": nir.Flatten({"input": np.array([4, 2, 1])}, 0, -1),
             "delay": nir.Delay(np.full(8, 0.2)),
             "fc": nir.Affine(rng.normal(0, 1, (n, 8)), np.zeros(n)), "rnn": sub,
             "output": nir.Output(np.array([n]))}
    edges = [("input", "c1"), ("c1", "if1"), ("if1", "pool"), ("pool", "c2"), ("c2", "if2"),
             ("if2", "flat"), ("flat", "delay"), ("delay", "fc"), ("fc", "rnn"),
             ("rnn", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def _read(g, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_nir(g, dt=0.1, time_unit="ms", **kw)


def test_conv_pool_delay_subgraph_graph_round_trips_node_for_node(tmp_path):
    g = _conv_graph()
    net = _read(g)
    # the delay node put 2 extra steps on the Affine path
    fc = [p for p, (_, _, path, _) in zip(net.projections, net.nir_source.paths)
          if path == ("flat", "delay", "fc")]
    assert fc and all(np.allclose(p.get_delays(), 0.3) for p in fc)
    back = to_nir(net)
    assert_same_graph(g, back)
    nir.write(tmp_path / "g.nir", back)
    assert_same_graph(g, nir.read(tmp_path / "g.nir"))


@pytest.mark.skipif(not PAPER.is_dir(), reason="../shared/nir-paper is absent")
@pytest.mark.parametrize("name", ["lif_norse.nir", "cnn_sinabs.nir",
                                  "braille_noDelay_bias_zero.nir",
                                  "braille_noDelay_noBias_subtract.nir"])
def test_paper_graphs_round_trip_node_for_node(name):
    g = nir.read(PAPER / name)
    unit = "ms" if name.startswith("cnn") else "s"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = from_nir(g, dt=0.1, time_unit=unit, scheme="euler" if "braille" in name else "exact")
    assert_same_graph(g, to_nir(net))


def test_changes_in_spikesim_reach_the_graph():
    from spikesim.export.nir import NIRExportWarning

    g = _conv_graph()
    net = _read(g, reset="subtract", refractory=0.5)
    src = net.nir_source
    # a uniformly rescaled convolution is still a convolution: its kernel is read back
    conv_projs = [p for p, (_, _, path, _) in zip(net.projections, src.paths) if path == ("c1",)]
    for p in conv_projs:
        p.set_weights(p.weight * 2.0)
    lif = src.populations["rnn.lif"]
    lif.set(tau_m=10.0, v_thresh=1.5)
    with pytest.warns(NIRExportWarning, match="metadata"):
        back = to_nir(net)
    np.testing.assert_allclose(back.nodes["c1"].weight, 2.0 * g.nodes["c1"].weight, rtol=1e-6)
    node = back.nodes["rnn"].nodes["lif"]
    np.testing.assert_allclose(node.tau_mem, 10.0, rtol=1e-12)
    np.testing.assert_allclose(node.v_threshold, 1.5, rtol=1e-6)
    np.testing.assert_allclose(node.v_reset, 0.0, atol=1e-6)
    assert node.metadata == {"reset": "subtract", "t_ref": 0.5}
    assert back.nodes["if1"].metadata == {"reset": "subtract", "t_ref": 0.5}
    assert g.nodes["c1"].metadata == {} and g.nodes["if1"].metadata == {}  # source untouched
    # and they come back in
    again = _read(back)
    pop = again.nir_source.populations["rnn.lif"]
    assert pop.get("reset_subtract")[0] == 1 and pop.get("tau_refrac")[0] == 0.5
    np.testing.assert_allclose(pop.get("tau_m"), 10.0)


def test_what_nir_cannot_hold_is_refused_naming_the_rule():
    net = _read(_conv_graph())
    src = net.nir_source
    pool_conv = [p for p, (_, _, path, _) in zip(net.projections, src.paths)
                 if path == ("pool", "c2")][0]
    w = pool_conv.weight.copy()
    w[0] *= 3.0
    pool_conv.set_weights(w)
    with pytest.raises(ExportError) as e:
        to_nir(net)
    assert e.value.rule == "nir-path-weights" and "'pool', 'c2'" in str(e.value)
    net = _read(_conv_graph())
    conv = [p for p, (_, _, path, _) in zip(net.projections, net.nir_source.paths)
            if path == ("c1",)][0]
    w = conv.weight.copy()
    w[0] += 1.0  # one synapse: the kernel is no longer shared
    conv.set_weights(w)
    with pytest.raises(ExportError) as e:
        to_nir(net)
    assert e.value.rule == "nir-shared-weights" and "'c1'" in str(e.value)
    net = _read(_conv_graph())
    net.nir_source.populations["if1"].set(integrate_refractory=1.0)
    with pytest.raises(ExportError) as e:
        to_nir(net)
    assert e.value.rule == "integrate-refractory"
    net = _read(_conv_graph())
    net.add_population(3, ss.IF_curr_exp())
    with pytest.raises(ExportError) as e:
        to_nir(net)
    assert e.value.rule == "nir-source-changed"


@pytest.mark.parametrize("scheme", ["exact", "euler"])
def test_readout_graph_round_trips_node_for_node(scheme):
    """LI, CubaLI and I readouts (CubaLIStep) behind one LIF layer, both schemes."""
    rng = np.random.default_rng(5)
    lif = nir.LIF(tau=np.full(4, 5.0), r=np.ones(4), v_leak=np.zeros(4), v_threshold=np.ones(4),
                  v_reset=np.zeros(4))
    nodes = {"input": nir.Input(np.array([3])), "w0": nir.Linear(rng.normal(0, 1, (4, 3))),
             "lif": lif, "w1": nir.Affine(rng.normal(0, 1, (2, 4)), np.array([0.1, -0.2])),
             "w2": nir.Linear(rng.normal(0, 1, (2, 4))), "w3": nir.Linear(rng.normal(0, 1, (2, 4))),
             "li": nir.LI(np.full(2, 3.0), np.full(2, 2.0), np.full(2, -1.0)),
             "cubali": nir.CubaLI(np.full(2, 2.0), np.full(2, 4.0), np.ones(2), np.zeros(2),
                                  np.full(2, 0.5)),
             "int": nir.I(np.full(2, 0.5)),
             "o1": nir.Output(np.array([2])), "o2": nir.Output(np.array([2])),
             "o3": nir.Output(np.array([2]))}
    edges = [("input", "w0"), ("w0", "lif"), ("lif", "w1"), ("lif", "w2"), ("lif", "w3"),
             ("w1", "li"), ("w2", "cubali"), ("w3", "int"), ("li", "o1"), ("cubali", "o2"),
             ("int", "o3")]
    g = nir.NIRGraph(nodes=nodes, edges=edges)
    net = _read(g, scheme=scheme)
    assert {type(net.nir_source.populations[n].celltype).__name__
            for n in ("li", "cubali", "int")} == {"CubaLIStep"}
    assert_same_graph(g, to_nir(net))
