"""HDF5 network files: checkpoint/resume identity, atomic saves, refusals; streamed recordings."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest

import spikesim as ss
from spikesim.examples import cuba
from spikesim.io import FileFormatError


def _build():
    net, _ = cuba(600, stdp=True, record=False, seed=3)
    exc, inh = net.populations
    src = net.add_population(20, ss.SpikeSourcePoisson(rate=50.0, rate_changes=([30.0], [80.0])),
                             label="src")
    arr = net.add_population(3, ss.SpikeSourceArray(spike_times=[[5.0, 60.0], [45.0], []]), label="arr")
    net.connect(src, exc, ss.FixedProbability(0.1), weight=0.3, delay=ss.RandomDistribution(
        "uniform", low=0.1, high=2.0))
    net.connect(arr, inh, ss.AllToAll(), weight=0.5, delay=3.0)
    group = net.add_astrocytes(1, ss.NALSMAstrocyte(w_A=0.001), positive=[exc], negative=[src])
    plastic = [p for p in net.projections if p.plastic][0]
    plastic.modulate(depression=group, potentiation=group, potentiation_decay=0.999)
    net.inject(ss.DCSource(amplitude=0.1, start=30.0, stop=80.0), inh)
    net.inject(ss.StepCurrentSource([10.0, 50.0], [0.05, -0.02]), exc[np.arange(10)])
    return net


def test_save_load_continue_is_bit_identical(tmp_path):
    a = _build()
    ra = [a.record(p, "spikes") for p in a.populations]
    a.run(100.0)
    b = _build()
    b.run(40.0)
    path = tmp_path / "net.h5"
    b.save(path)
    c = ss.load(path)
    assert c.t == pytest.approx(40.0)
    rc = [c.record(p, "spikes") for p in c.populations]
    c.run(60.0)
    for x, y in zip(ra, rc):
        keep = x.spikes.times > 40.0 + 1e-9
        np.testing.assert_array_equal(x.spikes.times[keep], y.spikes.times)
        np.testing.assert_array_equal(x.spikes.senders[keep], y.spikes.senders)
    for pa, pc in zip(a.projections, c.projections):
        np.testing.assert_array_equal(pa.weight, pc.weight)
    np.testing.assert_array_equal(a._state.v, c._state.v)
    np.testing.assert_array_equal(a.astrocytes[0].A, c.astrocytes[0].A)
    assert [p._astro_sides for p in c.projections if p.plastic] == [3]  # both sides kept
    assert sum(len(r.spikes) for r in rc) > 100


def test_loaded_network_keeps_structure_and_parameters(tmp_path):
    a = _build()
    a.save(tmp_path / "net.h5")
    c = ss.load(tmp_path / "net.h5")
    assert [p.label for p in c.populations] == [p.label for p in a.populations]
    for pa, pc in zip(a.populations, c.populations):
        assert type(pa.celltype) is type(pc.celltype)
        for k, v in pa.params.items():
            if k == "spike_times":
                assert all(np.array_equal(x, y) for x, y in zip(v, pc.params[k]))
            elif k == "rate_changes":
                assert all(np.array_equal(x, y) for x, y in zip(v, pc.params[k]))
            else:
                np.testing.assert_array_equal(v, pc.params[k])
    for ja, jc in zip(a.projections, c.projections):
        np.testing.assert_array_equal(ja.get_weights("list"), jc.get_weights("list"))
        np.testing.assert_array_equal(ja.delay, jc.delay)
        assert ja.receptor_type == jc.receptor_type and ja.synapse == jc.synapse


def test_a_failing_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "net.h5"
    net = _build()
    net.save(path)
    before = path.read_bytes()
    import spikesim.io as io

    def boom(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(io, "_write_projection", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        net.save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["net.h5"]  # no temporary file left behind


def _corrupt(path, edit):
    with h5py.File(path, "r+") as f:
        edit(f)


def _set_astro_sides(f, value):
    linked = [g for g in f["projections"].values() if g.attrs.get("astro", -1) >= 0]
    assert len(linked) == 1
    linked[0].attrs["astro_sides"] = value


@pytest.mark.parametrize("edit,match", [
    (lambda f: f.attrs.__setitem__("format", "something-else"), "not a spikesim network"),
    (lambda f: f.attrs.__setitem__("version", 99), "schema version 99"),
    (lambda f: f["projections/0/post"].__setitem__(0, 10_000), "out of range"),
    (lambda f: f["state/S"].__setitem__((0, 0), np.nan), "non-finite"),
    (lambda f: f["populations/0"].attrs.__setitem__("celltype", "os.system"), "unknown cell type"),
    (lambda f: f["projections/0/weight"].__setitem__(0, np.inf), "finite"),
    (lambda f: f.attrs.__setitem__("rng", "{not json"), "damaged"),
    (lambda f: f["projections"].__delitem__("1"), "damaged"),
    (lambda f: _set_astro_sides(f, 5), "astro_sides is 5"),
    (lambda f: _set_astro_sides(f, 1.9), "astro_sides is 1.9"),
    (lambda f: f.attrs.__setitem__("version", 5), "schema version 5"),
])
def test_corrupt_and_foreign_files_are_refused_by_name(tmp_path, edit, match):
    path = tmp_path / "net.h5"
    _build().save(path)
    _corrupt(path, edit)
    with pytest.raises((FileFormatError, ValueError, TypeError), match=match):
        ss.load(path)


def test_version_1_files_link_astrocytes_to_the_depression(tmp_path):
    """A version-1 file (before astro_sides) loads with its astrocyte link on the depression."""
    net = _build()
    plastic = [p for p in net.projections if p.plastic][0]
    plastic._astro_sides = 1  # what a version-1 network could express
    path = tmp_path / "v1.h5"
    net.save(path)

    def to_v1(f):
        f.attrs["version"] = 1
        linked = [g for g in f["projections"].values() if g.attrs.get("astro", -1) >= 0]
        del linked[0].attrs["astro_sides"]
    _corrupt(path, to_v1)
    c = ss.load(path)
    [q] = [p for p in c.projections if p.plastic]
    assert q._astro_link is c.astrocytes[0] and q._astro_sides == 1


def test_truncated_and_non_hdf5_files_are_refused(tmp_path):
    path = tmp_path / "net.h5"
    _build().save(path)
    data = path.read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="not a readable HDF5"):
        ss.load(tmp_path / "cut.h5")
    (tmp_path / "junk.h5").write_bytes(b"\x89HDF not really" * 10)
    with pytest.raises(FileFormatError, match="not a readable HDF5"):
        ss.load(tmp_path / "junk.h5")
    with pytest.raises(FileNotFoundError):
        ss.load(tmp_path / "missing.h5")


WRITER = textwrap.dedent("""
    import sys
    from spikesim.examples import cuba
    net, _ = cuba(2000, record=False)
    net.record(net.populations[0], "spikes", stream_to=sys.argv[1])
    net.record(net.populations[1][list(range(20))], ["v"], stream_to=sys.argv[1])
    net.run(20.0, progress=False)
    print("ready", flush=True)
    net.run(1e7, progress=False)
""")


def test_recording_survives_sigkill(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    path = tmp_path / "rec.h5"
    proc = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(1.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    data = ss.load_recording(path)
    spikes, v = data["exc"]["spikes"], data["inh"]["v"]
    assert len(spikes) > 0 and v.values.shape[1] == 20 and v.values.shape[0] >= 200
    assert spikes.times.max() <= v.times.max() + 100.0  # both streams reach well past 20 ms
    assert np.all(np.diff(v.times) > 0) and np.isfinite(v.values).all()
    assert spikes.senders.max() < 1600


def test_load_recording_refuses_other_files(tmp_path):
    path = tmp_path / "net.h5"
    _build().save(path)
    with pytest.raises(FileFormatError, match="not a spikesim recording"):
        ss.load_recording(path)


def test_save_is_json_and_numbers_only(tmp_path):
    """Nothing in a network file needs unpickling: every attribute is a number or text."""
    path = tmp_path / "net.h5"
    _build().save(path)
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for k, v in obj.attrs.items():
                assert isinstance(v, (str, int, float, np.integer, np.floating)), (name, k, v)
            if isinstance(obj, h5py.Dataset):
                assert obj.dtype.kind in "biuf", (name, obj.dtype)
        f.visititems(visit)
        json.loads(f.attrs["rng"])


def test_li_rinzel_astrocytes_resume_bit_identically(tmp_path):
    def build():
        net = ss.Network(dt=0.1, seed=9)
        inp = net.add_population(40, ss.SpikeSourcePoisson(rate=30.0), label="inp")
        cells = net.add_population(10, ss.IF_curr_exp(), label="cells")
        astro = net.add_astrocytes(2, ss.LiRinzel(delta_IP3=0.01, astro_dt=0.5), label="astro")
        net.connect_tripartite(inp, cells, astro, ss.FixedProbability(0.3), weight=0.4,
                               delay=1.0, weight_sic=40.0)
        return net, astro

    a, ga = build()
    va = a.record(a.populations[1], "v")
    a.run(300.0)
    b, _ = build()
    b.run(123.0)
    b.save(tmp_path / "tri.h5")
    c = ss.load(tmp_path / "tri.h5")
    vc = c.record(c.populations[1], "v")
    c.run(177.0)
    gc = c.astrocytes[0]
    np.testing.assert_array_equal(ga.Ca_astro, gc.Ca_astro)
    np.testing.assert_array_equal(ga.IP3, gc.IP3)
    np.testing.assert_array_equal(va.v.values[-vc.v.values.shape[0]:], vc.v.values)
    assert ga.IP3.max() > ss.LiRinzel().parameters["IP3_0"]  # the input really drove IP3
