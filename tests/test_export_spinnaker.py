"""SpiNNaker-style machine description: slicing, keys, routing, compression, weights, delays,
design rules, files, and the fixed-point reference run."""
import json
import math

import h5py
import numpy as np
import pytest

import spikesim as ss
from spikesim.examples import cuba
from spikesim.export import ExportError
from spikesim.export import spinnaker as SP
from spikesim.export import spinnaker_machine as M
from spikesim.export import spinnaker_synapses as S


def _mixed_net(dt=0.1, seed=4, recurrent=True):
    """Sources, current and conductance neurons, delays up to 14 ms (140 ticks: 8 stages)."""
    net = ss.Network(dt=dt, seed=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    times = [np.sort(rng.choice(np.arange(1, 300) * 1.0, 20, replace=False)) for _ in range(60)]
    src = net.add_population(60, ss.SpikeSourceArray(times), label="src")
    a = net.add_population(700, ss.IF_curr_exp(tau_refrac=2.0), label="a")
    b = net.add_population(90, ss.IF_cond_exp(tau_refrac=2.0), label="b")
    net.connect(src, a, ss.FixedProbability(0.2), weight=ss.RandomDistribution("uniform", low=0.3, high=1.5),
                delay=ss.RandomDistribution("uniform", low=dt, high=10.0))
    if recurrent:
        net.connect(a, a, ss.FixedProbability(0.03), weight=-0.2, receptor_type="inhibitory",
                    delay=ss.RandomDistribution("uniform", low=1.0, high=14.0))
    net.connect(a, b, ss.FixedProbability(0.1), weight=0.003, delay=2.0)
    return net


def _weights_by_pair(proj):
    pre, post = proj.connections()
    return {(int(i), int(j)): float(w) for i, j, w in zip(pre, post, proj.weight)}


def _global_synapses(desc):
    """``(matrix, pre index, post index, total delay in ticks)`` of every exported matrix."""
    mv = desc.machine_vertices
    out = []
    for m in desc.matrices:
        pre, post = mv[m.pre_vertex], mv[m.post_vertex]
        rows = np.repeat(np.arange(m.row_ptr.shape[0] - 1), np.diff(m.row_ptr))
        out.append((m, pre.lo + rows, post.lo + m.target.astype(np.int64),
                    16 * m.stage + m.delay.astype(np.int64)))
    return out


# ------------------------------------------------------------------ slicing and keys
def test_slicing_sizes():
    net = _mixed_net()
    for npc in (256, 100, 7):
        d = SP.describe(net, neurons_per_core=npc)
        for a in d.app_vertices:
            sl = [d.machine_vertices[i] for i in a.slices]
            assert sl[0].lo == 0 and sl[-1].hi == a.n_atoms
            assert all(s.n_atoms <= npc for s in sl)
            assert all(x.hi == y.lo for x, y in zip(sl, sl[1:]))
            assert len(sl) == math.ceil(a.n_atoms / npc)
    d = SP.describe(net)
    sizes = {a.label: [d.machine_vertices[i].n_atoms for i in a.slices] for a in d.app_vertices}
    assert sizes["a"] == [256, 256, 188] and sizes["src"] == [60] and sizes["b"] == [90]
    # delay extensions mirror their source's slices
    assert sizes["a_delayed"] == sizes["a"] and sizes["src_delayed"] == sizes["src"]


def test_keys_unique_and_disjoint():
    net = _mixed_net()
    d = SP.describe(net, neurons_per_core=50)
    mv = d.machine_vertices
    keys = np.array([v.key for v in mv], np.int64)
    masks = np.array([v.mask for v in mv], np.int64)
    assert np.all(keys & ~masks & 0xFFFFFFFF == 0)
    for v in mv:
        a = d.app_vertices[v.app_vertex]
        free = (~v.mask) & 0xFFFFFFFF
        bits = M.bits_for(v.n_atoms) + (M.bits_for(a.n_delay_stages) if a.kind == "delay" else 0)
        assert free == (1 << bits) - 1
        assert 0 <= v.key and v.key + free <= 0xFFFFFFFF
    # pairwise disjoint key spaces: no key matches two (key, mask) pairs
    overlap = ((keys[:, None] ^ keys[None, :]) & masks[:, None] & masks[None, :]) == 0
    assert (overlap == np.eye(len(mv), dtype=bool)).all()
    # every neuron key selects only its own vertex
    for v in mv[::7]:
        for i in (0, v.n_atoms - 1):
            hits = np.flatnonzero(((v.key | i) & masks) == keys)
            assert hits.tolist() == [v.index]


# ------------------------------------------------------------------ routing
def _check_all_routes(d):
    n = 0
    for v in d.machine_vertices:
        tg = d.targets(v.index)
        if not tg:
            continue
        a = d.app_vertices[v.app_vertex]
        keys = [v.key, v.key | (v.n_atoms - 1)]
        if a.kind == "delay":  # the last stage's keys too
            keys.append(v.key | ((a.n_delay_stages - 1) << M.bits_for(v.n_atoms)) | (v.n_atoms - 1))
        for k in keys:
            got, problems = d.route(k, v.index)
            assert problems == [] and got == tg, (v.label, hex(k), problems)
            n += 1
    return n


def test_every_route_reaches_exactly_its_targets():
    net = _mixed_net()
    d = SP.describe(net, neurons_per_core=16)  # 56 cores: spread over 4 chips of a SpiNN-5 board
    assert d.errors == []
    assert len({v.placement[:2] for v in d.machine_vertices}) > 2
    assert _check_all_routes(d) > 100
    # every entry's route names only existing links and application cores
    for t in d.tables.values():
        for e in t.entries:
            _, cores = M.route_parts(e.route)
            assert set(cores) <= set(M.APP_CORES) and e.route >> 24 == 0


def test_dimension_order_paths_stay_on_spinn5():
    b = M.board_layout("spinn5")
    assert len(b.chips) == 48 and b.n_cores == 768
    chips = set(b.chips)
    for s in b.chips:
        for t in b.chips:
            path = M.dor_path(s, t)
            assert all(c in chips for c, _ in path)
            assert len(path) == (max(abs(t[0] - s[0]), abs(t[1] - s[1])) if (t[0] - s[0]) * (t[1] - s[1]) >= 0
                                 else abs(t[0] - s[0]) + abs(t[1] - s[1]))


def _fan_in_net(random_routes):
    """1500 one-neuron cores converging on the 16 cores of chip (0, 0)."""
    net = ss.Network(dt=1.0, seed=2)
    dst = net.add_population(16, ss.IF_curr_exp(), label="dst")
    src = net.add_population(1500, ss.SpikeSourcePoisson(rate=5.0), label="src")
    if random_routes:  # every source a random subset of the targets: incompressible
        net.connect(src, dst, ss.FixedProbability(0.5), weight=0.1, delay=1.0)
    else:
        for i in range(16):
            net.connect(src[i * 94:(i + 1) * 94], dst[i:i + 1], ss.AllToAll(), weight=0.1, delay=1.0)
    return net


def test_compression_keeps_routes_and_fits():
    net = _fan_in_net(False)
    kw = {"neurons_per_core": 1, "board": (12, 12)}
    raw = SP.describe(net, compress=False, **kw)
    assert raw.max_entries() == 1500
    assert [v.rule for v in raw.errors] == ["routing-table-overflow"]
    d = SP.describe(net, **kw)
    assert d.errors == [] and d.max_entries() <= 1024
    assert d.tables[(0, 0)].merged and len(d.tables[(0, 0)].entries) < 1500
    assert sum(t.n_default_routed for t in d.tables.values()) > 0
    _check_all_routes(d)
    always = SP.describe(net, compress="always", **kw)
    assert sum(len(t.entries) for t in always.tables.values()) < sum(
        len(t.entries) for t in d.tables.values())
    _check_all_routes(always)


def test_merge_entries_never_captures_foreign_keys():
    rng = np.random.default_rng(0)
    keys = rng.permutation(512)[:300] << 4
    routes = rng.integers(1, 4, keys.size)
    ents = [(int(k), 0xFFFFFFF0, int(r) << 6) for k, r in zip(keys[:250], routes[:250])]
    protected = [(int(k), 0xFFFFFFF0) for k in keys[250:]]
    merged = M.merge_entries(ents, protected)
    assert len(merged) < len(ents)
    table = M.RoutingTable((0, 0), [M.RoutingEntry(*e) for e in merged])
    for k, _, r in ents:
        assert table.lookup(k | 5).route == r
    for k, _ in protected:
        assert table.lookup(k) is None


# ------------------------------------------------------------------ synapses
def test_weight_quantization_within_half_lsb():
    net = ss.Network(dt=0.1, seed=3)
    a = net.add_population(300, ss.IF_curr_exp(), label="a")
    b = net.add_population(300, ss.IF_curr_exp(), label="b")
    net.connect(a, b, ss.FixedProbability(0.1), weight=ss.RandomDistribution("uniform", low=0.0, high=3.7))
    net.connect(b, a, ss.FixedProbability(0.1), receptor_type="inhibitory",
                weight=ss.RandomDistribution("uniform", low=-0.02, high=0.0))
    net.connect(b, b, ss.FixedProbability(0.1), weight=ss.RandomDistribution("uniform", low=0.0, high=0.7))
    d = SP.describe(net)
    for m, pre, post, _ in _global_synapses(d):
        proj = net.projections[m.projection]
        ref = _weights_by_pair(proj)
        w = np.array([ref[(int(i), int(j))] for i, j in zip(pre, post)])
        err = np.abs(S.dequantize(m.weight, m.shift) - np.abs(w))
        assert err.max() <= 2.0 ** (m.shift - 16) * (1 + 1e-12)
    for (label, receptor), s in d.weight_shifts.items():
        pop = next(p for p in net.populations if p.label == label)
        projs = [j for j in net.projections if j.post_population is pop and j.receptor_type == receptor]
        wmax = max(float(np.abs(j.weight).max()) for j in projs)
        assert np.rint(wmax * 2.0 ** (15 - s)) <= 65535  # fits
        assert s == 0 or np.rint(wmax * 2.0 ** (16 - s)) > 65535  # and the shift is the smallest
    assert d.weight_shifts[("b", "excitatory")] == 1  # ~3.7 nA: 3.7 * 2^14 fits 16 bits, * 2^15 not
    assert d.weight_shifts[("a", "inhibitory")] == 0


def test_delay_extension_split():
    d = np.arange(1, 145)
    stage, row = S.delay_split(d)
    assert row.min() == 1 and row.max() == 16 and stage.max() == 8
    assert np.array_equal(16 * stage + row, d)
    assert S.delay_split(16) == (0, 16) and S.delay_split(17) == (1, 1) and S.delay_split(144) == (8, 16)
    net = _mixed_net()
    desc = SP.describe(net)
    mv, av = desc.machine_vertices, desc.app_vertices
    delays = {}
    for j in net.projections:
        pre, post = j.connections()
        delays[j.index] = dict(zip(zip(pre.tolist(), post.tolist()), j.delay.astype(int).tolist()))
    n_delayed = 0
    for m, pre, post, total in _global_synapses(desc):
        ref = delays[m.projection]
        assert all(ref[(int(i), int(j))] == t for i, j, t in zip(pre, post, total))
        pre_app = av[mv[m.pre_vertex].app_vertex]
        assert (pre_app.kind == "delay") == (m.stage > 0)
        assert m.delay.min() >= 1 and m.delay.max() <= 16
        n_delayed += m.stage > 0
        # packed words: weight | (delay & 0xF) | type | index (8 index bits at 256 per core)
        words = m.words.astype(np.int64)
        assert np.array_equal(words >> 16, m.weight)
        assert np.array_equal((words >> 9) & 0xF, m.delay & 0xF)
        assert np.array_equal((words >> 8) & 1, m.synapse_type)
        assert np.array_equal(words & 0xFF, m.target)
    assert n_delayed > 0
    stages = {a.label: a.n_delay_stages for a in av if a.kind == "delay"}
    assert stages == {"src_delayed": 6, "a_delayed": 8}  # 100 ticks -> stage 6, 140 -> stage 8
    # each source slice feeds its delay-extension slice
    feeds = {(e.pre, e.post) for e in desc.machine_edges if e.projection == -1}
    for a in av:
        if a.kind == "delay":
            assert {(s, t) for s, t in zip(av[a.population].slices, a.slices)} <= feeds


# ------------------------------------------------------------------ design rules
def _rule_cases():
    def timestep():
        net = ss.Network(dt=0.5)
        net.add_population(10, ss.IF_curr_exp())
        return net, {}

    def npc():
        net = ss.Network(dt=1.0)
        net.add_population(10, ss.IF_curr_exp())
        return net, {"neurons_per_core": 300}

    def astro():
        net = ss.Network(dt=0.1)
        net.add_population(10, ss.IF_curr_exp())
        net.add_astrocytes(2, ss.LiRinzel())
        return net, {}

    def model():
        class Izhikevich(ss.cells.CellType):
            pass
        net = ss.Network(dt=0.1)
        net.add_population(5, Izhikevich())
        return net, {}

    def triplet():
        net = ss.Network(dt=0.1)
        p = net.add_population(10, ss.IF_curr_exp())
        net.connect(p, p, ss.FixedProbability(0.5), weight=0.5, synapse=ss.STDP(
            ss.TripletRule(), ss.AdditiveWeightDependence(0.0, 1.0)))
        return net, {}

    def same_step():
        net = ss.Network(dt=0.1)
        p = net.add_population(10, ss.IF_curr_exp())
        net.connect(p, p, ss.FixedProbability(0.5), weight=0.5, delay=0.1, synapse=ss.STDP(
            ss.SpikePairRule(), ss.AdditiveWeightDependence(0.0, 1.0), same_step_pairs=False))
        return net, {}

    def params():
        net = ss.Network(dt=1.0)
        net.add_population(3, ss.IF_curr_exp(i_offset=70000.0))
        return net, {}

    def below_tick():
        net, _ = cuba(100, record=False, threads=1)
        return net, {"tick_ms": 1.0}

    def beyond():
        net = ss.Network(dt=0.1)
        p = net.add_population(10, ss.IF_curr_exp())
        net.connect(p, p, ss.OneToOne(), weight=0.1, delay=20.0)
        return net, {}

    def overflow():
        net = ss.Network(dt=1.0, dtype="float64")
        p = net.add_population(10, ss.IF_curr_exp())
        net.connect(p, p, ss.OneToOne(), weight=70000.0)
        return net, {}

    def capacity():
        net = ss.Network(dt=1.0)
        net.add_population(65, ss.IF_curr_exp())
        return net, {"board": "spinn3", "neurons_per_core": 1}

    def sdram():
        net, _ = cuba(500, record=False, threads=1)
        tiny = M.Board("tiny", ((0, 0),), sdram_bytes=M.SDRAM_RESERVED + 10000)
        return net, {"board": tiny}

    def table():
        return _fan_in_net(True), {"neurons_per_core": 1, "board": (12, 12)}

    return {"timestep": ("timestep", timestep), "npc": ("neurons-per-core", npc),
            "astrocytes": ("unsupported-neuron-model", astro),
            "model": ("unsupported-neuron-model", model),
            "triplet": ("unsupported-plasticity", triplet), "params": ("parameter-range", params),
            "same-step": ("unsupported-plasticity", same_step),
            "below-tick": ("delay-below-tick", below_tick),
            "beyond": ("delay-beyond-extension", beyond),
            "weight": ("weight-overflow-16bit", overflow), "capacity": ("board-capacity", capacity),
            "sdram": ("sdram-overflow", sdram), "table": ("routing-table-overflow", table)}


@pytest.mark.parametrize("case", sorted(_rule_cases()))
def test_design_rule_raised_by_name(case, tmp_path):
    rule, make = _rule_cases()[case]
    net, kw = make()
    assert rule in [v.rule for v in SP.check(net, **kw) if v.severity == "error"]
    with pytest.raises(ExportError) as exc:
        SP.to_spinnaker(net, tmp_path / "out", **kw)
    assert exc.value.rule == rule
    assert not (tmp_path / "out" / "machine.json").exists()


def test_weight_underflow_is_a_warning_and_key_space_is_checked(tmp_path):
    net = ss.Network(dt=1.0)
    p = net.add_population(4, ss.IF_curr_exp())
    net.connect(p, p, ss.FromList([0, 1], [1, 2], weight=[5.0, 1e-6]))
    v = SP.check(net)
    assert [(x.rule, x.severity) for x in v] == [("weight-underflow", "warning")]
    SP.to_spinnaker(net, tmp_path)  # warnings do not stop the export
    _, total = M.allocate_keys([[(2 ** 31, 0)], [(2 ** 31, 0)], [(4, 0)]])
    assert total > 2 ** 32  # what describe() reports as key-space-overflow


# ------------------------------------------------------------------ files
def test_json_and_hdf5_written_and_readable(tmp_path):
    net = _mixed_net()
    d = SP.to_spinnaker(net, tmp_path, neurons_per_core=64)
    doc = json.loads((tmp_path / "machine.json").read_text())
    assert doc["format"] == "spikesim-spinnaker" and doc["tick_ms"] == 0.1
    assert len(doc["board"]["chips"]) == 48
    vs = doc["machine_graph"]["vertices"]
    assert [(v["key"], v["mask"], tuple(v["placement"])) for v in vs] == [
        (v.key, v.mask, v.placement) for v in d.machine_vertices]
    assert {a["label"] for a in doc["application_graph"]["vertices"]} >= {"src", "a", "b", "a_delayed"}
    tables = {tuple(t["chip"]): t["entries"] for t in doc["routing_tables"]}
    for chip, t in d.tables.items():
        assert [(e["key"], e["mask"], e["route"]) for e in tables.get(chip, [])] == [
            (e.key, e.mask, e.route) for e in t.entries]
    assert doc["design_rules"]["violations"] == [] and "routing-table-overflow" in doc["design_rules"]["checked"]
    with h5py.File(tmp_path / "synapses.h5", "r") as f:
        g, s = f["matrices"], f["synapses"]
        assert g["edge"].shape[0] == len(d.matrices)
        for i in (0, len(d.matrices) // 2, len(d.matrices) - 1):
            m = d.matrices[i]
            r0, r1 = g["row_lo"][i], g["row_lo"][i + 1]
            s0, s1 = g["syn_lo"][i], g["syn_lo"][i + 1]
            assert np.array_equal(f["rows/row_ptr"][r0:r1], m.row_ptr)
            for name in ("words", "target", "weight", "delay", "synapse_type"):
                assert np.array_equal(s[name][s0:s1], getattr(m, name))
            assert (g["pre_vertex"][i], g["post_vertex"][i], g["stage"][i], g["shift"][i]) == (
                m.pre_vertex, m.post_vertex, m.stage, m.shift)


def test_package_entry_point(tmp_path):
    import spikesim.export as E

    net, _ = cuba(200, record=False, threads=1)
    d = E.to_spinnaker(net, tmp_path, neurons_per_core=128)
    assert isinstance(d, SP.MachineDescription) and d.files["json"].endswith("machine.json")


# ------------------------------------------------------------------ fixed point
def test_fixed_point_feedforward_matches_float():
    """Without recurrence the quantised twin reproduces nearly every spike to the tick."""
    net = _mixed_net(recurrent=False)
    rep = SP.fixed_point_run(net, 320.0)
    assert rep.saturations == 0
    for k in ("src", "a"):
        assert abs(rep.rate_rel_dev[k]) < 0.005, rep.summary()
    # IF_cond_exp: closed-form membrane with the step-mean conductance (not spikesim's integrator)
    assert abs(rep.rate_rel_dev["b"]) < 0.1, rep.summary()
    a, b = _tick_sets(rep.spikes_float, 60, 760), _tick_sets(rep.spikes_fixed, 60, 760)
    assert len(a) > 1000 and len(a & b) >= 0.97 * len(a)
    # sPyNNaker's order feeds input into v one tick earlier than spikesim / NEST
    rs = SP.fixed_point_run(_mixed_net(recurrent=False), 320.0, scheme="spynnaker")
    assert abs(rs.rate_rel_dev["a"]) < 0.005
    a, b = _tick_sets(rs.spikes_float, 60, 760), _tick_sets(rs.spikes_fixed, 60, 760, shift=1)
    assert len(a & b) >= 0.97 * len(a)


def _tick_sets(spikes, lo, hi, shift=0):
    t, i = spikes
    sel = (i >= lo) & (i < hi)
    return set(zip((np.rint(t[sel] * 10).astype(int) + shift).tolist(), i[sel].tolist()))


def test_fixed_point_cuba_rates_within_5_percent():
    """CUBA (1000 neurons, dt = tick = 0.1 ms), 2 s: population rates within 5 %.

    CUBA is chaotic, so spike times decorrelate within a few ms whatever the
    perturbation (float32 against float64 differ as much); rates are the measure.
    """
    net, _ = cuba(1000, seed=1, threads=1)
    rep = SP.fixed_point_run(net, 2000.0)
    assert rep.tick_ms == 0.1 and rep.saturations == 0
    assert rep.identical_until_ms is not None and rep.identical_until_ms > 1.0
    for k in ("exc", "inh"):
        assert rep.rate_float[k] > 2.0
        assert abs(rep.rate_rel_dev[k]) < 0.05, rep.summary()
    assert net.t == pytest.approx(2000.0)


def test_fixed_point_plastic_network_uses_weight_snapshot():
    net, _ = cuba(1000, seed=2, stdp=True, threads=1)
    net.run(200.0, progress=False)
    plastic = next(j for j in net.projections if j.plastic)
    w0 = plastic.weight.copy()
    d = SP.describe(net)
    assert d.app_edges[plastic.index].plastic and d.app_edges[plastic.index].stdp["timing"] == "SpikePairRule"
    rep = SP.fixed_point_run(net, 1000.0)  # frozen float reference
    assert np.array_equal(plastic.weight, w0)
    assert list(plastic._pstate["mod"][:2]) == [1.0, 1.0]
    assert rep.t0_ms == pytest.approx(200.0)
    for k in ("exc", "inh"):
        assert abs(rep.rate_rel_dev[k]) < 0.1, rep.summary()
    rep2 = SP.fixed_point_run(net, 200.0, plasticity="run")
    assert not np.array_equal(plastic.weight, w0)
    assert rep2.plasticity == "run"


def test_fixed_point_arithmetic():
    from spikesim.export.spinnaker_fixedpoint import mul_s, mul_u, s1615, u032

    assert s1615(1.0) == 32768 and s1615(-60.0) == -60 * 32768
    assert s1615(1e9) == 2 ** 31 - 1
    assert u032(0.5) == 2 ** 31
    v = s1615(np.array([-60.0, 12.5]))
    assert np.array_equal(mul_u(u032(0.5), v), v // 2)
    assert mul_s(s1615(2.0), s1615(-3.25)) == s1615(-6.5)
    with pytest.raises(ValueError):
        SP.fixed_point_run(_mixed_net(), 1.0, scheme="float")


def test_models_map_by_their_spinnaker_row():
    """Models with a ``spinnaker`` row and excitatory/inhibitory synapses get a machine
    description under sPyNNaker's name; three-receptor models, models sPyNNaker lacks and
    the fixed-point run (LIF only) are refused by rule, naming the reason."""
    net = ss.Network(dt=1.0, seed=1)
    src = net.add_population(20, ss.SpikeSourcePoisson(rate=10.0), label="src")
    izk = net.add_population(30, ss.IzkCurrExp(), label="izk")
    alpha = net.add_population(30, ss.IF_curr_alpha(), label="alpha")
    net.connect(src, izk, ss.FixedProbability(0.5), weight=0.5, delay=2.0)
    net.connect(izk, alpha, ss.FixedProbability(0.5), weight=0.2, delay=1.0)
    d = SP.describe(net)
    assert not [v for v in d.violations if v.severity == "error"]
    assert [v.model for v in d.app_vertices] == ["SpikeSourcePoisson", "Izhikevich", "IF_curr_alpha"]
    with pytest.raises(ExportError, match="integrates IF_curr_exp and IF_cond_exp only, not "
                                          "IzkCurrExp") as e:
        SP.fixed_point_run(net, 10.0)
    assert e.value.rule == "fixed-point-model"
    for cell, why in ((ss.IF_curr_dual_exp(), r"receptors \('excitatory', 'excitatory2', "
                                                r"'inhibitory'\)"),
                      (ss.HH_cond_exp(), "sPyNNaker has no such model")):
        bad = ss.Network(dt=1.0)
        bad.add_population(3, cell, label="x")
        errors = [v for v in SP.describe(bad).violations if v.rule == "unsupported-neuron-model"]
        assert len(errors) == 1 and __import__("re").search(why, errors[0].message)
