"""The command line as a user runs it."""
import subprocess
import sys

import h5py
import pytest

from spikesim.cli import main


def test_demo_writes_raster_and_recording(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["demo", "--neurons", "800", "--duration-ms", "100", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "exc:" in text and "Hz mean rate" in text and "synaptic events/s" in text
    assert (out / "cuba_raster.png").stat().st_size > 10_000
    with h5py.File(out / "cuba_spikes.h5", "r") as f:
        assert f["exc/spikes/steps"].shape[0] > 0
        assert f.attrs["format"] == "spikesim-recording"


@pytest.mark.parametrize("args, message", [
    (["demo", "--neurons", "0"], "--neurons must be a finite number > 0, got '0'"),
    (["bench", "cuba", "--threads", "zero"], "--threads must be an integer, got 'zero'"),
    (["demo", "--neurons", "many"], "--neurons must be an integer, got 'many'"),
    (["demo", "--duration-ms", "-5"], "--duration-ms must be a finite number > 0, got '-5'"),
    (["demo", "--duration-ms", "10.05"], "not a multiple of dt"),
])
def test_bad_arguments_are_named(args, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "spikesim.cli", *args, "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_info_summarises_network_and_recording_files(tmp_path, capsys):
    from spikesim.cli import main
    from spikesim.examples import cuba

    net, _ = cuba(300, stdp=True, record=False)
    net.record(net.populations[0], "spikes", stream_to=str(tmp_path / "rec.h5"))
    net.run(20.0, progress=False)
    net.close()
    net.save(tmp_path / "net.h5")
    assert main(["info", str(tmp_path / "net.h5")]) == 0
    out = capsys.readouterr().out
    assert "2 populations, 300 neurons" in out and "'exc->exc'" in out and "SpikePairRule" in out
    assert "t=20 ms" in out
    assert main(["info", str(tmp_path / "rec.h5")]) == 0
    assert "spikes from 240 neurons" in capsys.readouterr().out
    (tmp_path / "bad.h5").write_bytes(b"nope")
    assert main(["info", str(tmp_path / "bad.h5")]) == 2
    assert "not a readable HDF5 file" in capsys.readouterr().err


def test_export_writes_pynn_script_and_spinnaker_description(tmp_path, capsys):
    from spikesim.cli import main
    from spikesim.examples import cuba

    net, _ = cuba(200, record=False)
    net.save(tmp_path / "net.h5")
    script = tmp_path / "net_pynn.py"
    assert main(["export", str(tmp_path / "net.h5"), "--to", "pynn", "-o", str(script)]) == 0
    compile(script.read_text(), str(script), "exec")  # a valid Python script
    assert "FromListConnector" in script.read_text()
    out = tmp_path / "spinn"
    assert main(["export", str(tmp_path / "net.h5"), "--to", "spinnaker", "-o", str(out)]) == 0
    assert (out / "machine.json").stat().st_size > 0 and (out / "synapses.h5").exists()
    assert main(["export", str(tmp_path / "missing.h5"), "--to", "pynn", "-o", str(script)]) == 2
    assert "missing.h5" in capsys.readouterr().err


def test_export_refusal_names_the_rule(tmp_path, capsys):
    import spikesim as ss
    from spikesim.cli import main

    net = ss.Network(dt=0.1, seed=1)
    a = net.add_population(5, ss.SpikeSourcePoisson(rate=10.0))
    b = net.add_population(5, ss.IF_curr_exp())
    net.connect(a, b, ss.AllToAll(), weight=0.1,
                synapse=ss.STDP(ss.TripletRule(), ss.AdditiveWeightDependence(0.0, 1.0)))
    net.save(tmp_path / "net.h5")
    assert main(["export", str(tmp_path / "net.h5"), "--to", "pynn", "-o",
                 str(tmp_path / "x.py")]) == 2
    assert "triplet-stdp" in capsys.readouterr().err
