"""The authors' readout (models/lsm/readout.py: paper_features, fit_paper_readout).

Checked against the authors' description written out by hand (features) and against
torch.optim.Adadelta, an independent implementation of the optimiser the authors use
(TensorFlow's AdadeltaOptimizer computes the same update), on the same mini-batches.
"""
import argparse
import json

import numpy as np
import pytest

from spikesim.models.lsm.readout import fit_paper_readout, paper_features


def test_paper_features_are_l1_then_batch_max():
    counts = np.array([[1, 3], [2, 2], [0, 0], [4, 0], [1, 1]], float)
    got = paper_features(counts, batch=2)
    l1 = np.array([[0.25, 0.75], [0.5, 0.5], [0, 0], [1, 0], [0.5, 0.5]])
    want = np.vstack([l1[:2] / 0.75, l1[2:4] / 1.0, l1[4:] / 0.5])  # the short last run by its own max
    np.testing.assert_allclose(got, want, rtol=1e-7)
    assert got.dtype == np.float32
    with pytest.raises(ValueError, match="batch"):
        paper_features(counts, batch=0)


def _torch_reference(Xtr, ytr, Xva, yva, passes, batch, l2):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    W = torch.zeros(Xtr.shape[1], 10, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.Adadelta([W, b], lr=0.1, rho=0.95, eps=1e-8)
    tgt = torch.softmax(2.0 * torch.eye(10) - 1.0, dim=1)
    xt, yt = torch.from_numpy(Xtr), torch.from_numpy(ytr)
    best = None
    for ep in range(1, passes + 1):
        for a in range(0, xt.shape[0], batch):
            logits = xt[a:a + batch] @ W + b
            loss = -(tgt[yt[a:a + batch]] * torch.log_softmax(logits, 1)).sum(1).mean() \
                + l2 * (W * W).sum() / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = float((torch.argmax(torch.from_numpy(Xva) @ W + b, 1).numpy() == yva).mean())
        if ep < passes and (best is None or acc > best[0]):
            best = (acc, ep, W.detach().numpy().copy(), b.detach().numpy().copy())
    return best


def test_paper_readout_equals_torch_adadelta():
    rng = np.random.default_rng(5)
    X = paper_features(rng.poisson(3.0, (700, 30)) + np.eye(10).repeat(3, 1)[rng.integers(0, 10, 700)] * 6)
    y = np.argmax(X.reshape(700, 10, 3).sum(2), 1)
    ro = fit_paper_readout(X[:500], y[:500], X[500:600], y[500:600], passes=40, batch=50, l2=1e-3)
    acc, ep, W, b = _torch_reference(X[:500], y[:500], X[500:600], y[500:600], 40, 50, 1e-3)
    assert ro.iterations == ep and ro.val_accuracy == acc
    np.testing.assert_allclose(ro.W, W, rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(ro.b, b, rtol=2e-4, atol=1e-6)
    assert ro.accuracy(X[600:], y[600:]) > 0.5  # it learns (chance is 0.1)
    with pytest.raises(ValueError, match="passes"):
        fit_paper_readout(X[:50], y[:50], X[50:60], y[50:60], passes=1)


def test_cli_runs_with_the_paper_readout(tmp_path):
    from spikesim.models.lsm.cli import add_parser
    from tests.test_lsm import _tiny_mnist

    parser = argparse.ArgumentParser(prog="spikesim")
    add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "r.json"
    args = parser.parse_args(["lsm", "--dataset", "mnist", "--data", str(_tiny_mnist(tmp_path)),
                              "--mode", "lsm", "--neurons", "27", "--json", str(out), "--workers", "1",
                              "--duration-ms", "60", "--bf-samples", "3", "--readout", "paper",
                              "--readout-passes", "20", "--no-cache", "--quiet"])
    assert args.func(args) == 0
    res = json.loads(out.read_text())
    assert res["readout"]["kind"] == "paper" and 1 <= res["readout"]["iterations"] < 20
    assert 0 <= res["accuracy"]["test"] <= 1
    with pytest.raises(SystemExit):
        parser.parse_args(["lsm", "--dataset", "mnist", "--data", "d", "--readout", "mine"])
    with pytest.raises(SystemExit):
        parser.parse_args(["lsm", "--dataset", "mnist", "--data", "d", "--readout-passes", "1"])
