"""The benchmark harness (``spikesim bench cuba`` / ``stdp``): fields, failure reporting, reference runners.

Speed is never asserted here (see DESIGN.md); only that the figures exist,
are sane, and that a missing or crashing simulator is reported, not raised.
"""
import json
import math

import pytest

from spikesim.bench import run_cuba_bench
from spikesim.bench.runner import run_stdp_bench
from spikesim.cli import main as cli_main

TIMES = ("import_s", "build_s", "loop_s", "child_wall_s")


def _check_ok(r, neurons, duration_ms):
    assert r["status"] == "ok", r.get("error")
    assert r["neurons"] == neurons and r["n_exc"] + r["n_inh"] == neurons
    for key in TIMES:
        assert r[key] > 0, key
    assert r["spikes"] > 0
    assert 0.5 < r["rate_hz"] < 50, r["rate_hz"]  # CUBA fires at ~5-6 Hz
    assert r["simulated_ms"] >= duration_ms
    assert math.isclose(r["rate_hz"], r["spikes"] / neurons / (r["simulated_ms"] / 1000))
    assert 60 < r["mean_out_degree"] < 100  # 80 synapses per neuron at every size
    assert r["events_per_s"] > 0
    assert r["peak_rss_mb"] > r["import_rss_mb"] > 5


def test_spikesim_alone_fields_table_and_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    out = run_cuba_bench(neurons=500, duration_ms=50.0, against=[], json_path=str(path))
    assert list(out["results"]) == ["spikesim"]
    r = out["results"]["spikesim"]
    _check_ok(r, 500, 50.0)
    assert r["compile_s"] > 0 and r["jit_cache"] in ("warm", "cold", "partial")
    assert r["precision"] == "float32" and r["threads"] == 1
    assert r["synapses"] == round(r["mean_out_degree"] * 500)
    # DESIGN.md: at most 10 bytes per static synapse (+ one int64 row pointer per neuron)
    assert r["bytes_per_synapse"] <= 10 + 8 * 500 / r["synapses"]
    assert out["config"]["p_connect"] == pytest.approx(80 / 500)
    printed = capsys.readouterr().out
    assert "CUBA benchmark: 500 neurons" in printed and "loop [s]" in printed
    assert printed.strip() == out["table"].strip()
    saved = json.loads(path.read_text())  # strict JSON: no NaN
    assert saved["results"]["spikesim"]["spikes"] == r["spikes"]
    assert saved["config"] == out["config"]


def test_unknown_simulator_is_reported_not_raised(capsys):
    out = run_cuba_bench(neurons=200, duration_ms=10.0, against=["bogus", "spikesim", ""],
                         json_path=None)
    assert list(out["results"]) == ["spikesim", "bogus"]
    bogus = out["results"]["bogus"]
    assert bogus["status"] == "unknown"
    assert bogus["error"] == "unknown simulator 'bogus' (known: brian2, nest)"
    assert "vs_spikesim" not in bogus
    assert "bogus: unknown simulator 'bogus'" in capsys.readouterr().out


def _fake_package(root, name, body):
    pkg = root / name
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(body)


def test_missing_and_crashing_simulators_are_reported(tmp_path, monkeypatch, capsys):
    """A reference simulator that cannot be imported, or kills its process, leaves the others running.

    Fake ``brian2`` / ``nest`` packages on PYTHONPATH shadow the real ones in the children.
    """
    _fake_package(tmp_path, "brian2", "raise ModuleNotFoundError(\"No module named 'brian2'\", "
                                      "name='brian2')\n")
    _fake_package(tmp_path, "nest", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    out = run_cuba_bench(neurons=200, duration_ms=10.0, against="brian2,nest", json_path=None)
    res = out["results"]
    assert res["spikesim"]["status"] == "ok"
    assert res["brian2"]["status"] == "not installed"
    assert res["brian2"]["error"].startswith("brian2 not installed")
    assert res["nest"]["status"] == "crashed"
    assert "killed by signal 11" in res["nest"]["error"]
    printed = capsys.readouterr().out
    assert "brian2: brian2 not installed" in printed and "nest: nest child process" in printed


@pytest.mark.parametrize("kwargs, message", [
    (dict(neurons=0), "neurons must be >= 2"),
    (dict(duration_ms=0.05), "duration_ms"),
    (dict(threads=0), "threads must be >= 1"),
])
def test_bad_arguments_raise_before_any_child(kwargs, message):
    args = dict(neurons=100, duration_ms=10.0, against=[], json_path=None) | kwargs
    with pytest.raises(ValueError, match=message):
        run_cuba_bench(**args)


@pytest.mark.nest
def test_nest_runner_at_tiny_n():
    pytest.importorskip("nest")
    out = run_cuba_bench(neurons=400, duration_ms=100.0, against=["nest"], json_path=None,
                         verbose=False)
    r = out["results"]["nest"]
    _check_ok(r, 400, 100.0)
    assert r["compile_s"] is None and r["threads"] == 1
    assert r["vs_spikesim"]["loop_s"] > 0 and r["vs_spikesim"]["compile_s"] is None


@pytest.mark.slow
@pytest.mark.brian2
def test_brian2_runner_at_tiny_n():
    """Brian2 cpp_standalone: code generation and a C++ compile (~20 s on two cores)."""
    pytest.importorskip("brian2")
    out = run_cuba_bench(neurons=400, duration_ms=100.0, against=["brian2"], json_path=None,
                         verbose=False)
    r = out["results"]["brian2"]
    _check_ok(r, 400, 100.0)
    assert r["compile_s"] > r["detail"]["make_s"] > 0
    assert r["binary_peak_rss_mb"] > 0
    # the loop timer inserted into main.cpp agrees with Brian2's own (processor-time) figure
    assert r["detail"]["loop_brian2_reported_s"] == pytest.approx(r["loop_s"], rel=0.5, abs=0.01)
    assert r["vs_spikesim"]["loop_s"] > 0 and r["vs_spikesim"]["compile_s"] > 0


@pytest.mark.slow
def test_fresh_numba_cache_measures_a_cold_jit():
    out = run_cuba_bench(neurons=200, duration_ms=10.0, against=[], json_path=None,
                         fresh_numba_cache=True, verbose=False)
    r = out["results"]["spikesim"]
    assert r["status"] == "ok" and r["jit_cache"] == "cold"
    assert r["detail"]["numba_cache_first_run"]["misses"] > 0


def test_a_hanging_child_is_killed_at_the_timeout(tmp_path, monkeypatch):
    from spikesim.bench.runner import _run_child

    _fake_package(tmp_path / "fake", "nest", "import time\ntime.sleep(600)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "fake"))
    config = dict(neurons=100, duration_ms=10.0, seed=1, threads="auto")
    r = _run_child("nest", config, str(tmp_path), False, timeout_s=3.0)
    assert r["status"] == "timeout" and "within 3 s" in r["error"]
    assert r["wall_s"] < 30


# ----------------------------------------------------------------- CUBA + STDP
STDP_WEIGHT_FIELDS = ("plastic_weight_mean", "plastic_weight_mean_mV", "plastic_weight_sd",
                      "plastic_weight_at_zero", "plastic_weight_at_max")


def _check_stdp(r, neurons, duration_ms):
    _check_ok(r, neurons, duration_ms)
    n_exc = r["n_exc"]
    # E->E is (0.8)^2 of all synapses; the plastic rule is weak, so weights stay near w_exc
    assert 0.5 * r["synapses"] < r["plastic_synapses"] < 0.8 * r["synapses"]
    assert r["plastic_synapses"] < n_exc * n_exc
    assert 0.9 < r["plastic_weight_mean"] < 1.1
    assert r["plastic_weight_mean_mV"] == pytest.approx(1.62 * r["plastic_weight_mean"])
    assert 0 <= r["plastic_weight_at_zero"] <= 1 and 0 <= r["plastic_weight_at_max"] <= 1
    assert r["plastic_weight_sd"] >= 0


def test_cli_parses_bench_stdp(monkeypatch):
    import spikesim.bench.runner as runner

    calls = []
    monkeypatch.setattr(runner, "run_stdp_bench", lambda **kw: calls.append(("stdp", kw)))
    monkeypatch.setattr(runner, "run_cuba_bench", lambda **kw: calls.append(("cuba", kw)))
    assert cli_main(["bench", "stdp", "--neurons", "800", "--duration-ms", "20", "--against",
                     "brian2", "--json", "x.json", "--fresh-numba-cache", "--timeout-s", "9"]) == 0
    assert cli_main(["bench", "cuba", "--against", "", "--threads", "2", "--precision",
                     "float64", "--repeat", "3"]) == 0
    (name, kw), (name2, kw2) = calls
    assert name == "stdp" and name2 == "cuba"
    assert kw == dict(neurons=800, duration_ms=20.0, against=["brian2"], json_path="x.json",
                      seed=1, threads="auto", fresh_numba_cache=True, timeout_s=9.0,
                      precision=None, repeat=1)
    assert kw2["against"] == [] and kw2["threads"] == 2 and kw2["fresh_numba_cache"] is False
    assert kw2["repeat"] == 3
    assert kw2["precision"] == "float64"


def test_stdp_spikesim_alone_via_cli_writes_the_json_fields(tmp_path, capsys):
    path = tmp_path / "stdp.json"
    assert cli_main(["bench", "stdp", "--neurons", "400", "--duration-ms", "50", "--against", "",
                     "--json", str(path)]) == 0
    out = json.loads(path.read_text())
    assert out["benchmark"] == "stdp" and out["config"]["benchmark"] == "stdp"
    assert out["config"]["stdp"] == dict(
        rule="additive pair STDP (all-to-all) on exc -> exc", tau_plus_ms=20.0,
        tau_minus_ms=20.0, A_plus=0.01, A_minus=pytest.approx(0.0105), w_max_over_w_exc=2.0)
    assert list(out["results"]) == ["spikesim"]
    r = out["results"]["spikesim"]
    _check_stdp(r, 400, 50.0)
    assert r["threads"] == 1  # plastic networks run on one thread
    # int32 target + float32 weight + int32 col_pre + int32 col_syn; static: DESIGN.md's <= 10
    assert r["plastic_bytes_per_synapse"] == 16.0
    assert r["static_bytes_per_synapse"] <= 10 + 8 * 400 / (r["synapses"] - r["plastic_synapses"])
    printed = capsys.readouterr().out
    assert "CUBA + STDP (E->E) benchmark: 400 neurons" in printed
    assert "plastic [B/synapse]" in printed and "final E->E weight / initial" in printed


def test_stdp_reports_absent_brian2_and_children_do_not_import_spikesim(tmp_path, monkeypatch,
                                                                        capsys):
    """The stdp child module loads its cuba sibling by file path: no spikesim, no Numba."""
    _fake_package(tmp_path, "brian2", (
        "import sys\nheavy = sorted(m for m in ('spikesim', 'numba') if m in sys.modules)\n"
        "raise ModuleNotFoundError(f\"No module named 'brian2' (loaded: {heavy})\", "
        "name='brian2')\n"))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    out = run_stdp_bench(neurons=200, duration_ms=10.0, against="brian2,bogus", json_path=None)
    res = out["results"]
    assert res["spikesim"]["status"] == "ok"
    assert res["brian2"]["status"] == "not installed"
    assert res["brian2"]["error"].startswith("brian2 not installed")
    assert "(loaded: [])" in res["brian2"]["error"]
    assert res["bogus"]["status"] == "unknown"
    printed = capsys.readouterr().out
    assert "brian2: brian2 not installed" in printed


@pytest.mark.slow
@pytest.mark.brian2
def test_brian2_stdp_runner_at_tiny_n():
    """Brian2 cpp_standalone with event-driven STDP traces (a C++ compile, ~30 s on two cores)."""
    pytest.importorskip("brian2")
    out = run_stdp_bench(neurons=400, duration_ms=100.0, against=["brian2"], json_path=None,
                         verbose=False)
    r = out["results"]["brian2"]
    _check_stdp(r, 400, 100.0)
    assert r["compile_s"] > r["detail"]["make_s"] > 0
    assert r["vs_spikesim"]["plastic_weight_mean"] == pytest.approx(1.0, abs=0.1)
    assert "plastic_bytes_per_synapse" not in r


@pytest.mark.nest
def test_nest_stdp_runner_at_tiny_n():
    pytest.importorskip("nest")
    out = run_stdp_bench(neurons=400, duration_ms=100.0, against=["nest"], json_path=None,
                         verbose=False)
    r = out["results"]["nest"]
    _check_stdp(r, 400, 100.0)
    assert r["vs_spikesim"]["loop_s"] > 0


def test_threads_and_precision_reach_every_simulator(tmp_path, monkeypatch):
    """--threads N and --precision go to spikesim, Brian2 and NEST alike; the results say them."""
    import spikesim.bench.runner as runner

    seen = {}

    def fake_child(sim, config, tmp, fresh, timeout_s, module=None):
        seen[sim] = config
        return dict(simulator=sim, status="ok", loop_s=1.0, spikes=1,
                    threads=config["threads"] if sim == "spikesim" else config["reference_threads"],
                    precision=config["precision"])

    monkeypatch.setattr(runner, "_run_child", fake_child)
    monkeypatch.setattr(runner, "format_table", lambda out: "")
    out = runner.run_cuba_bench(1000, 10.0, ["brian2", "nest"], None, threads=2,
                                precision="float32", verbose=False)
    assert {s: (c["threads"], c["reference_threads"], c["precision"]) for s, c in seen.items()} \
        == {s: (2, 2, "float32") for s in ("spikesim", "brian2", "nest")}
    assert out["config"]["equal_threads"] is True
    out = runner.run_cuba_bench(1000, 10.0, [], None, verbose=False)
    assert out["config"]["reference_threads"] == 1 and out["config"]["equal_threads"] is False
    with pytest.raises(ValueError, match="precision must be 'float32' or 'float64', got 'half'"):
        runner.run_cuba_bench(1000, 10.0, [], None, precision="half", verbose=False)


def test_repeat_runs_rounds_side_by_side_and_keeps_the_median_round(monkeypatch):
    """--repeat K: K rounds of every simulator in turn; each column is the round with the median
    loop, and the loop ratio of every round is kept (a failed round is None, not a ratio)."""
    import spikesim.bench.runner as runner

    loops = {"spikesim": [1.0, 3.0, 2.0, 5.0], "brian2": [4.0, 6.0, None, 20.0]}
    order = []

    def fake_child(sim, config, tmp, fresh, timeout_s, module=None):
        k = sum(1 for s in order if s == sim)
        order.append(sim)
        x = loops[sim][k]
        if x is None:
            return dict(simulator=sim, status="crashed", error="killed")
        return dict(simulator=sim, status="ok", loop_s=x, spikes=k, threads=1,
                    precision="float32")

    monkeypatch.setattr(runner, "_run_child", fake_child)
    monkeypatch.setattr(runner, "_rows",
                        lambda res, benchmark="cuba": [("x", {s: "" for s in res})])
    out = runner.run_cuba_bench(1000, 10.0, ["brian2"], None, threads=1, precision="float32",
                                verbose=False, repeat=4)
    assert order == ["spikesim", "brian2"] * 4
    ss, b2 = out["results"]["spikesim"], out["results"]["brian2"]
    assert (ss["round"], ss["loop_s"], ss["spikes"]) == (2, 2.0, 2)  # 1, 2, 3, 5: lower middle
    assert (b2["round"], b2["loop_s"]) == (1, 6.0)  # 4, 6, 20 (round 2 crashed)
    assert ss["loop_s_rounds"] == [1.0, 3.0, 2.0, 5.0]
    assert b2["loop_s_rounds"] == [4.0, 6.0, None, 20.0]
    assert b2["loop_ratio_rounds"] == [4.0, 2.0, None, 4.0]
    assert b2["loop_ratio_median"] == 4.0 and b2["vs_spikesim"]["loop_s"] == 3.0
    assert out["config"]["repeat"] == 4
    assert "brian2 loop / spikesim's, round by round: 4.00x, 2.00x, -, 4.00x" in out["table"]
    with pytest.raises(ValueError, match="repeat must be >= 1"):
        runner.run_cuba_bench(1000, 10.0, [], None, verbose=False, repeat=0)


def test_cli_repeat_is_refused_for_the_microcircuit(capsys):
    with pytest.raises(SystemExit, match="--repeat is for cuba and stdp, got --repeat 3"):
        cli_main(["bench", "microcircuit", "--repeat", "3", "--against", ""])
