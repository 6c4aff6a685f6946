"""A conv SNN trained in snnTorch on mnist5k, exported with snnTorch's export_to_nir, read with
nir.read and run event-driven in spikesim (benchmarks/nir_mnist.py at a tiny size): the
predictions agree with snnTorch's and the accuracies are within 1 point. Skipped without
../shared/datasets/mnist5k, torch or snnTorch."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "mnist5k"


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/datasets/mnist5k is absent")
def test_snntorch_conv_snn_keeps_its_accuracy_in_spikesim():
    pytest.importorskip("torch")
    pytest.importorskip("snntorch.export_nir")
    spec = importlib.util.spec_from_file_location("nir_mnist", ROOT / "benchmarks" / "nir_mnist.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # a fixed number of epochs (not a time budget): the same training on any machine
    r = mod.main(["--minutes", "10", "--epochs", "8", "--train", "400", "--test", "100",
                  "--steps", "15", "--out", ""])
    assert r["accuracy_snntorch_pct"] > 50  # it learned something: chance is 10 %
    assert abs(r["accuracy_difference_points"]) <= 1.0
    assert r["same_prediction_pct"] >= 98.0
    assert r["output_spikes_spikesim"] > 100
    assert set(r["nir_nodes"].values()) == {"Input", "Conv2d", "LIF", "Flatten", "Linear",
                                           "Output"}
