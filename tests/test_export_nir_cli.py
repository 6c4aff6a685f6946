"""``spikesim import-nir FILE.nir -o net.h5``: the saved network is the one from_nir builds."""
import warnings

import numpy as np
import pytest

import spikesim as ss
from spikesim.cli import main

nir = pytest.importorskip("nir")
from spikesim.export import from_nir  # noqa: E402


def _graph():
    rng = np.random.default_rng(0)
    n = 5
    cuba = nir.CubaLIF(tau_syn=np.full(n, 3e-4), tau_mem=np.full(n, 1e-3), r=np.full(n, 10.0),
                       v_leak=np.zeros(n), v_threshold=np.ones(n), v_reset=np.zeros(n),
                       w_in=np.full(n, 3.0))
    return nir.NIRGraph(
        nodes={"input": nir.Input(np.array([4])), "fc": nir.Linear(rng.uniform(-1, 3, (n, 4))),
               "lif": cuba, "rec": nir.Linear(rng.uniform(-1, 1, (n, n))),
               "output": nir.Output(np.array([n]))},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"),
               ("lif", "output")])


def test_import_nir_writes_the_network_from_nir_builds(tmp_path, capsys):
    path, out = tmp_path / "g.nir", tmp_path / "net.h5"
    nir.write(path, _graph())
    assert main(["import-nir", str(path), "-o", str(out), "--time-unit", "s", "--scheme",
                 "euler", "--reset", "subtract", "--refractory-ms", "0.2"]) == 0
    text = capsys.readouterr().out
    assert "lif: 5 x CubaLIFStep" in text and "outputs: output <- lif" in text
    saved = ss.load(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = from_nir(nir.read(path), dt=0.1, time_unit="s", scheme="euler",
                          reset="subtract", refractory=0.2)
    assert [p.label for p in saved.populations] == [p.label for p in direct.populations]
    a, b = saved.populations[1], direct.populations[1]
    for k in ("tau_m", "cm", "tau_syn_E", "v_thresh", "v_reset", "tau_refrac", "reset_subtract",
              "i_bias_E"):
        np.testing.assert_array_equal(a.get(k), b.get(k), err_msg=k)
    for p, q in zip(saved.projections, direct.projections):
        np.testing.assert_array_equal(p.weight, q.weight)
        np.testing.assert_array_equal(p.get_delays(), q.get_delays())


def test_import_nir_reports_a_bad_graph_without_writing(tmp_path, capsys):
    g = _graph()
    g.nodes["lif"].tau_mem = np.full(5, -1e-3)
    path, out = tmp_path / "bad.nir", tmp_path / "net.h5"
    nir.write(path, g)
    assert main(["import-nir", str(path), "-o", str(out), "--time-unit", "s"]) == 2
    err = capsys.readouterr().err
    assert "'lif'" in err and "tau_mem" in err and not out.exists()
