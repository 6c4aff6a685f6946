"""The Potjans & Diesmann (2014) microcircuit (spikesim.models.microcircuit): parameters and
scaling rule, a small-scale network whose rates are sane, the statistics, and the benchmark."""
import json

import numpy as np
import pytest
from scipy import stats as sst

from spikesim.models.microcircuit import microcircuit, params as P
from spikesim.models.microcircuit import stats as S


def test_full_scale_numbers_are_the_published_ones():
    d = P.derive(1.0)
    assert d["num_neurons"].sum() == 77169
    assert d["num_synapses"].sum() == pytest.approx(2.9888e8, rel=1e-3)  # "0.3 billion"
    assert d["weight_ext"] == pytest.approx(87.8, abs=0.05)  # PD14 Table 5: w = 87.8 pA
    w = d["weight_mean"]
    assert w[0, 2] == pytest.approx(2 * 87.8, abs=0.1)  # L4E -> L2/3E doubled
    assert np.allclose(w[:, 1::2], -4 * d["weight_ext"])
    assert np.all(d["dc_amp"] == 0) and np.all(d["poisson_rate"] == 8.0 * P.K_EXT)
    # K from C: 1 - (1 - 1/(Npre Npost))^K = C
    n = P.FULL_NUM_NEURONS
    k = P.full_num_synapses()
    np.testing.assert_allclose(1 - (1 - 1 / np.outer(n, n)) ** k, P.CONN_PROBS, atol=1e-12)
    dc = P.derive(1.0, drive="dc")
    np.testing.assert_allclose(dc["dc_amp"], 8.0 * P.K_EXT * d["weight_ext"] * 0.5e-3)


def test_down_scaling_rule():
    d = P.derive(0.1)
    assert d["k_scale"] == 0.1 and d["num_neurons"].sum() == 7717
    assert d["weight_ext"] == pytest.approx(87.8 / np.sqrt(0.1), abs=0.2)
    np.testing.assert_array_equal(d["ext_indegrees"], np.round(P.K_EXT * 0.1).astype(int))
    assert np.all(d["dc_amp"] > 0)  # the lost mean input comes back as DC
    full = P.derive(1.0)
    np.testing.assert_array_equal(d["num_synapses"],
                                  np.round(P.full_num_synapses() * 0.01).astype(np.int64))
    assert P.derive(0.5, k_scale=1.0)["weight_ext"] == full["weight_ext"]


@pytest.mark.parametrize("kw, msg", [(dict(scale=0.0), "scale must be in"),
                                     (dict(scale=1.5), "scale must be in"),
                                     (dict(k_scale=-1.0), "k_scale must be in"),
                                     (dict(drive="noise"), "drive must be 'poisson' or 'dc'")])
def test_bad_parameters_are_refused(kw, msg):
    with pytest.raises(ValueError, match=msg):
        microcircuit(**kw)


def test_dc_drive_down_scaled_warns_and_fires_at_full_in_degree():
    with pytest.warns(RuntimeWarning, match="sub-threshold with the down-scaled DC"):
        P.derive(0.05, drive="dc")
    net, info = microcircuit(scale=0.02, k_scale=1.0, seed=3, drive="dc")
    assert not net.poisson_inputs
    net.run(300.0, progress=False)
    for name, rec in info["recorders"].items():
        r = np.count_nonzero(rec.get("spikes").times > 100.0) / info["populations"][name].size / 0.2
        assert 0.05 < r < 40.0, (name, r)


def test_small_scale_rates_are_sane():
    net, info = microcircuit(scale=0.05, seed=3)
    assert len(net.populations) == 8 and net.n_neurons == 3858
    assert sum(p.n_synapses for p in net.projections) == info["params"]["num_synapses"].sum()
    per_syn = sum(p.nbytes - p.indptr.nbytes for p in net.projections) / \
        sum(p.n_synapses for p in net.projections)
    assert per_syn == 10.0  # int32 target, float32 weight, uint16 delay
    net.run(500.0, progress=False)
    rates = {}
    for name, rec in info["recorders"].items():
        sp = rec.get("spikes")
        rates[name] = np.count_nonzero(sp.times > 200.0) / info["populations"][name].size / 0.3
    # asynchronous irregular, low rates; inhibitory above excitatory in each layer (PD14 Fig. 6)
    assert all(0.05 < r < 25.0 for r in rates.values()), rates
    for layer in ("L23", "L4", "L5", "L6"):
        assert rates[layer + "I"] > rates[layer + "E"], rates
    # the published full-scale rates, within a factor of 5 at 5 % scale (NEST gives 0.25 Hz
    # for L2/3E at this scale too: the down-scaled network is not the full one)
    for name, pub in zip(P.POPULATIONS, P.PUBLISHED_RATES):
        assert pub / 5 < rates[name] < pub * 5, (name, rates[name], pub)


def test_same_seed_same_spikes():
    out = []
    for _ in range(2):
        net, info = microcircuit(scale=0.02, seed=7, threads=1)
        net.run(100.0, progress=False)
        out.append(info["recorders"]["L4E"].get("spikes").times)
    np.testing.assert_array_equal(out[0], out[1])


def test_examples_name_builds_the_model():
    """``spikesim.examples.microcircuit``, the name issue 17 gives, builds the model's network:
    same sizes, same parameters, the same spikes for the same seed; bad input is refused."""
    from spikesim import examples

    nets = [examples.microcircuit(scale=0.02, seed=7, threads=1, drive="dc"),
            microcircuit(scale=0.02, seed=7, threads=1, drive="dc")]
    times = []
    for net, info in nets:
        # PD14's population sizes (Table 5), each rounded at 2 %
        sizes = np.rint(np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]) * 0.02)
        assert net.n_neurons == sizes.sum() == 1544 and not net.poisson_inputs
        net.run(100.0, progress=False)
        times.append(info["recorders"]["L4E"].get("spikes").times)
    assert nets[0][1]["params"]["num_synapses"].sum() == nets[1][1]["params"]["num_synapses"].sum()
    assert times[0].size > 0
    np.testing.assert_array_equal(times[0], times[1])
    with pytest.raises(ValueError, match="scale must be in"):
        examples.microcircuit(scale=2.0)


def test_statistics_on_known_trains():
    rng = np.random.default_rng(0)
    n, T = 50, 10000.0
    times, senders = [], []
    for i in range(n):
        t = np.cumsum(rng.exponential(1000.0 / 20.0, 400))
        t = t[t < T]
        times.append(t)
        senders.append(np.full(t.size, i))
    st = S.population_stats(np.concatenate(times), np.concatenate(senders), n + 5, 0.0, T)
    assert st["rates"].shape == (n + 5,) and np.all(st["rates"][n:] == 0)
    np.testing.assert_allclose(st["rates"][:n], [t.size / 10.0 for t in times])
    assert st["cv_mean"] == pytest.approx(1.0, abs=0.05)  # Poisson
    assert abs(st["cc_mean"]) < 0.01 and st["n_cc"] == n * (n - 1) // 2
    a, b = rng.normal(size=300), rng.normal(0.3, 1, size=200)
    assert S.ks_distance(a, b) == pytest.approx(sst.ks_2samp(a, b).statistic)


def test_bench_side_by_side_with_nest(tmp_path):
    pytest.importorskip("nest")
    from spikesim.models.microcircuit.bench import run_microcircuit_bench

    path = tmp_path / "mc.json"
    out = run_microcircuit_bench(scale=0.02, duration_ms=100.0, against=["nest"],
                                 json_path=str(path), threads=1, warmup_ms=50.0, verbose=False)
    res = out["results"]
    assert res["spikesim"]["status"] == "ok", res["spikesim"]
    assert res["nest"]["status"] == "ok", res["nest"]
    assert res["spikesim"]["synapses"] == res["nest"]["synapses"]
    assert res["spikesim"]["neurons"] == res["nest"]["neurons"] == 1544
    for r in res.values():
        assert r["real_time_factor"] == pytest.approx(r["loop_s"] / 0.1)
        assert set(r["populations"]) == set(P.POPULATIONS)
    assert set(out["ks"]["nest"]["L4E"]) == {"rates", "cvs", "ccs"}
    saved = json.loads(path.read_text())
    assert saved["config"]["threads"] == 1 and "table" in saved
    assert "distributions" not in saved["results"]["spikesim"]


def test_nest_bench_splits_synapse_models_only_past_nests_limit(monkeypatch):
    """Full scale on 2 threads passes NEST's 134,217,726 connections per virtual process and
    synapse model; the bench then puts the inhibitory synapses on a copy of static_synapse.
    The copy must not change the network: same synapses, same spikes as with one model."""
    pytest.importorskip("nest")
    from spikesim.models.microcircuit import bench as B

    cfg = dict(scale=0.02, k_scale=None, drive="poisson", duration_ms=60.0, warmup_ms=10.0,
               seed=3, threads=1, precision="float32")
    one = B.run_nest(cfg)
    assert one["detail"]["synapse_models"] == ["static_synapse"]
    full = P.derive(1.0, None, "poisson")
    assert full["num_synapses"].sum() / 2 > B.NEST_MAX_CONNECTIONS_PER_VP_AND_MODEL
    monkeypatch.setattr(B, "NEST_MAX_CONNECTIONS_PER_VP_AND_MODEL", 1000)
    split = B.run_nest(cfg)
    assert split["detail"]["synapse_models"] == ["static_synapse", "static_synapse_inh"]
    assert split["synapses"] == one["synapses"]
    assert split["populations"] == one["populations"]
    assert sum(p["rate_mean"] for p in one["populations"].values()) > 0


@pytest.mark.nest
def test_deterministic_slice_spike_for_spike_against_nest():
    """A 0.5 % slice at full in-degree with DC drive (no random input), float64: NEST
    (``iaf_psc_exp`` through :mod:`spikesim.backends.nest`, the same synapses, multapses
    included, and the same initial potentials) fires exactly the same spikes for 200 ms.
    spikesim runs it as microcircuit() builds it, with fused receptors (spikesim.fusion)."""
    pytest.importorskip("nest")
    import warnings

    from spikesim.backends.nest import run

    def build():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return microcircuit(scale=0.005, k_scale=1.0, drive="dc", seed=11, dtype="float64",
                                threads=1)

    net, info = build()
    assert sum(p.n_synapses for p in net.projections) == 1494402
    net.run(200.0, progress=False)
    assert len(net._runtime.fused) == 8 and net._runtime.buf.shape[0] == 1
    net2, info2 = build()
    run(net2, 200.0)
    total = 0
    for name in info["recorders"]:
        a, b = info["recorders"][name].get("spikes"), info2["recorders"][name].get("spikes")
        sa = sorted(zip(np.round(a.times, 6).tolist(), a.senders.tolist()))
        sb = sorted(zip(np.round(b.times, 6).tolist(), b.senders.tolist()))
        assert sa == sb, name
        total += len(sa)
    assert total > 500
