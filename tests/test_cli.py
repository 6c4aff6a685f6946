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
