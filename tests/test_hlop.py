"""HLOP (Xiao et al., ICLR 2024): subspace circuit, training, baselines, deployment, CLI."""
import argparse
import json
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from spikesim.models import hlop  # noqa: E402
from spikesim.models.hlop import cli as hlop_cli, deploy as hlop_deploy  # noqa: E402
from spikesim.models.hlop.snn import SpikingMLP  # noqa: E402
from spikesim.models.hlop.subspace import Subspace, SVDSubspace  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist5k"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="mnist5k not present")


def _toy_tasks(n_tasks=2, n=300, dim=20, seed=0):
    """Linearly separable toy tasks on disjoint input coordinates."""
    g = torch.Generator().manual_seed(seed)
    tasks = []
    for t in range(n_tasks):
        X = torch.zeros(n, dim)
        y = torch.randint(0, 10, (n,), generator=g)
        base = (t * 10) % dim
        X[torch.arange(n), base + y % (dim - base if dim - base < 10 else 10)] = 1.0
        X += 0.05 * torch.rand(n, dim, generator=g)
        tasks.append((X[:200], y[:200], X[200:], y[200:]))
    return tasks


def test_oja_subspace_converges_to_principal_subspace():
    g = torch.Generator().manual_seed(1)
    basis, _ = torch.linalg.qr(torch.randn(30, 4, generator=g))
    s = Subspace(30, lr=0.05, seed=0)
    s.add_rows(4)
    for _ in range(300):
        x = torch.randn(64, 4, generator=g) @ basis.T * 2.0
        s.hebbian_step(x, iters=1)
    s.merge()
    # the learned rows span the data subspace and are orthonormal
    P = s.H_old.T @ s.H_old
    assert torch.allclose(P @ basis, basis, atol=0.05)
    assert s.orthonormality_error() < 0.05
    # projected gradients are orthogonal to the protected subspace
    G = torch.randn(5, 30, generator=g)
    assert float((s.project(G) @ basis).abs().max()) < 0.1


def test_new_rows_learn_residual_and_old_rows_frozen():
    s = Subspace(10, lr=0.05, seed=0)
    s.add_rows(2)
    x = torch.zeros(32, 10)
    x[:, :2] = torch.randn(32, 2)
    for _ in range(200):
        s.hebbian_step(x)
    s.merge()
    old = s.H_old.clone()
    s.add_rows(2)
    assert float((s.H_new @ old.T).abs().max()) < 1e-5   # orthogonal init
    s.hebbian_step(torch.randn(32, 10))
    assert torch.equal(s.H_old, old)


def test_svd_subspace_is_exact():
    s = SVDSubspace(8)
    s.add_rows(2)
    x = torch.zeros(50, 8)
    x[:, 3] = torch.randn(50)
    x[:, 5] = 0.5 * torch.randn(50)
    s.hebbian_step(x)
    s.merge()
    assert s.orthonormality_error() < 1e-5
    P = s.H_old.T @ s.H_old
    assert torch.allclose(P[[3, 5]][:, [3, 5]], torch.eye(2), atol=1e-5)


def test_bad_input_messages():
    with pytest.raises(ValueError, match="input dimension 10"):
        Subspace(10).add_rows(11)
    model = SpikingMLP([20, 8, 10], T=4)
    with pytest.raises(ValueError, match=r"k\[1\]=9 .*input dimension 8"):
        hlop.ContinualLearner(model, method="hlop", k=(5, 9))
    learner = hlop.ContinualLearner(model, method="hlop", k=(5, 4))
    X, y = torch.rand(10, 20), torch.zeros(10, dtype=torch.long)
    with pytest.raises(RuntimeError, match="before begin_task"):
        learner.train_task(X, y)
    learner.begin_task(0)
    with pytest.raises(ValueError, match=r"shape \(n, 20\)"):
        learner.train_task(torch.rand(10, 21), y)
    with pytest.raises(ValueError, match=r"input must have shape \(batch, 20\)"):
        model(torch.rand(3, 7))
    for T in (0, -1, 2.5):
        with pytest.raises(ValueError, match="T .*>= 1"):
            SpikingMLP([20, 8, 10], T=T)
    with pytest.raises(ValueError, match="method must be"):
        hlop.ContinualLearner(model, method="nope")


@pytest.mark.parametrize("trainer", ["dsr", "bptt"])
def test_trainers_learn(trainer):
    tasks = _toy_tasks(1)
    model = SpikingMLP([20, 32, 10], T=6, trainer=trainer, seed=0)
    learner = hlop.ContinualLearner(model, method="finetune", lr=0.1, epochs=15, batch_size=32)
    learner.begin_task(0)
    losses = learner.train_task(tasks[0][0], tasks[0][1])
    learner.end_task(tasks[0][0], tasks[0][1])
    assert losses[-1] < losses[0]
    assert learner.evaluate(tasks[0][2], tasks[0][3]) > 0.5


def test_dsr_identity():
    """theta sum beta^(T-t) s_t = (1-beta) sum beta^(T-t) I_t - u_T (Meng et al. 2022)."""
    m = SpikingMLP([3, 4, 2], T=20, beta=0.8)
    cur = torch.rand(20, 5, 4) * 3
    s = m._lif(cur, 0.5, 20)
    w = 0.8 ** torch.arange(19, -1, -1.0)
    lhs = 0.5 * torch.einsum("t,tbn->bn", w, s)
    rhs = 0.2 * torch.einsum("t,tbn->bn", w, cur)
    resid = rhs - lhs
    assert float(resid.min()) >= -1e-5 and float(resid.max()) < 0.5 + 1e-5


def test_freeze_biases_after_first_task_and_projection_protects():
    tasks = _toy_tasks(2)
    model = SpikingMLP([20, 16, 10], T=4, seed=0)
    learner = hlop.ContinualLearner(model, method="gpm", k=(10, 8), lr=0.1, epochs=3)
    learner.begin_task(0)
    learner.train_task(*tasks[0][:2])
    learner.end_task(*tasks[0][:2])
    b = [lin.bias.detach().clone() for lin in model.layers]
    learner.begin_task(1)
    learner.train_task(*tasks[1][:2])
    for lin, b0 in zip(model.layers, b):
        assert torch.equal(lin.bias, b0)
    assert not model.vth.requires_grad


def test_acc_bwt():
    R = [[0.9, 0.1], [0.7, 0.8]]
    acc, bwt = hlop.acc_bwt(R)
    assert acc == pytest.approx(0.75) and bwt == pytest.approx(-0.2)


@pytest.mark.parametrize("reset", ["zero", "subtract"])
def test_deploy_matches_torch_exactly(reset):
    torch.manual_seed(0)
    model = SpikingMLP([12, 10, 8, 4], T=8, beta=0.85, alpha=0.3, reset=reset, seed=3)
    X = torch.rand(30, 12)
    with torch.no_grad():
        lt = model(X).numpy()
    lk = hlop_deploy.kernel_logits(model, X, batch=15)
    S = (1 - 0.85) * sum(0.85 ** k for k in range(8))
    np.testing.assert_allclose(lk, lt * S, rtol=1e-3, atol=1e-3)
    net, info = hlop_deploy.to_network(model, X[:2], record_spikes=True)
    net.run(info["duration"])
    assert len(info["recorders"]) == 2
    with pytest.raises(ValueError, match=r"shape \(batch, 12\)"):
        hlop_deploy.to_network(model, torch.rand(2, 5))


@needs_data
def test_permuted_mnist_and_continual_run():
    tasks = hlop.permuted_mnist(DATA, n_tasks=2, n_train=600, n_test=200)
    assert tasks[0][0].shape == (600, 784) and tasks[1][2].shape == (200, 784)
    assert not torch.equal(tasks[0][0], tasks[1][0])
    assert torch.equal(tasks[0][1], tasks[1][1])
    res = hlop.run_experiment(tasks, method="hlop", hidden=(64, 64), T=8, epochs=4,
                              k=(30, 6, 6), threads=1)
    assert np.asarray(res["R"]).shape == (2, 2)
    assert res["R"][0][0] > 0.5
    assert max(max(e) for e in res["orthonormality_error"]) < 0.3
    model = res["model"]
    Xt, yt = tasks[1][2][:100], tasks[1][3][:100]
    ka = hlop_deploy.kernel_accuracy(model, Xt, yt, batch=50)
    with torch.no_grad():
        ta = float((model(Xt).argmax(1) == yt).float().mean())
    assert abs(ka - ta) <= 0.02   # the kernel resets by subtraction too, as the model


@needs_data
def test_cli_writes_json(tmp_path):
    sub = argparse.ArgumentParser().add_subparsers()
    p = hlop_cli.add_parser(sub)
    out = tmp_path / "r.json"
    args = p.parse_args(["--data", str(DATA), "--tasks", "2", "--method", "finetune",
                         "--hidden", "16", "--T", "4", "--epochs", "1", "--train", "200",
                         "--test", "100", "--json", str(out), "--quiet", "--threads", "1"])
    assert args.func(args) == 0
    res = json.loads(out.read_text())
    assert set(res) >= {"R", "acc", "bwt", "orthonormality_error", "wall_time_s"}
    with pytest.raises(SystemExit):
        p.parse_args(["--data", "x", "--T", "0"])


def test_spiking_lateral_neurons_learn_the_principal_subspace():
    """With y quantised to IF spike counts (the paper's spiking lateral neurons) the circuit
    still finds the data subspace, less precisely than with analog y."""
    g = torch.Generator().manual_seed(2)
    basis, _ = torch.linalg.qr(torch.randn(30, 4, generator=g))
    s = Subspace(30, lr=0.05, spiking=True, T=20, seed=0)
    s.add_rows(4)
    for _ in range(400):
        x = torch.randn(64, 4, generator=g) @ basis.T * 2.0
        s.hebbian_step(x, iters=1)
    s.merge()
    P = s.H_old.T @ s.H_old
    assert float((P @ basis - basis).abs().max()) < 0.2
    assert s.orthonormality_error() < 0.2
