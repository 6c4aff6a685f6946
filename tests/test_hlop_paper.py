"""HLOP with the protocol of the authors' released code (spikesim.models.hlop.paper)."""
import argparse
import gzip
import json
import math
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from spikesim.models.hlop import cli as hlop_cli, deploy as hlop_deploy  # noqa: E402
from spikesim.models.hlop import paper as P  # noqa: E402
from spikesim.models.hlop.experiment import acc_bwt  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist5k"


def _write_idx(path, arr):
    arr = np.ascontiguousarray(arr, np.uint8)
    head = bytes([0, 0, 8, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(head + arr.tobytes())


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """mnist5k when present, else a synthetic learnable IDX pair (class templates + noise)."""
    if DATA.is_dir():
        return DATA
    d = tmp_path_factory.mktemp("mnist_synth")
    rng = np.random.default_rng(0)
    templ = rng.random((10, 784)) < 0.2
    y = np.repeat(np.arange(10), 120)
    X = np.where(templ[y] ^ (rng.random((y.size, 784)) < 0.05), 255, 0)
    _write_idx(d / "images-idx3-ubyte.gz", X.reshape(-1, 28, 28))
    _write_idx(d / "labels-idx1-ubyte.gz", y)
    return d


TINY = dict(tasks=3, train_samples=640, test_samples=300, epochs=1)


@pytest.fixture(scope="module")
def tiny_runs(data_dir):
    cfg = P.PaperConfig(**TINY)
    data = P.paper_tasks(data_dir, cfg)
    return {m: P.run_paper(data_dir, m, cfg, threads=1, data=data)
            for m in ("hlop", "finetune")}


# ----------------------------------------------------------------------- parameters and bookkeeping

AUTHORS = {  # read from pkuxmq/HLOP-SNN (spiking_train_pmnist.py and the modules it imports)
    "tasks": 10, "train_samples": 60000, "test_samples": 10000, "mean": 0.1307, "std": 0.3081,
    "seed": 2022, "hidden": 800, "bias": False, "T": 20, "Vth": 0.3, "train_Vth": True,
    "Vth_bound": 0.0005, "tau": 1.0, "delta_t": 0.05, "alpha": 0.3, "reset": "subtract",
    "optimizer": "SGD", "lr": 0.1, "lr_step_size": 100, "lr_gamma": 0.1, "batch_size": 64,
    "epochs": 1, "lateral_first": (80, 200, 100), "lateral_inc": (70, 70, 70), "lateral_dec": 20,
    "hebb_lr": (0.001, 0.01, 0.01), "hebb_iters": 5, "hebb_momentum": 0.9, "hebb_clamp": 10.0,
    "hebb_start_epoch": 0, "hlop_spiking": False,
}


def test_parameter_table_is_the_authors():
    assert {k: v for k, (v, _) in P.PAPER_PARAMS.items()} == AUTHORS
    for name, (_, src) in P.PAPER_PARAMS.items():
        assert src.startswith("pkuxmq/HLOP-SNN@"), name
    # every parameter is listed in the module docstring's table with its value
    for text in ("0.1307", "0.3081", "2022", "784-800-800-10", "[80, 200, 100]", "[70, 70, 70]",
                 "0.001, 0.01, 0.01", "StepLR(step 100, gamma 0.1)", "u -= Vth"):
        assert text in P.__doc__, text
    cfg = P.PaperConfig().as_dict()
    for k, v in AUTHORS.items():
        assert cfg[k] == (list(v) if isinstance(v, tuple) else v), k


def test_runner_uses_the_table(tiny_runs):
    res = tiny_runs["hlop"]
    used = res["used"]
    for k, v in AUTHORS.items():
        expect = TINY.get(k, v)
        assert used[k] == (list(v) if isinstance(v, tuple) else expect), k
    assert math.isclose(used["T"] * used["delta_t"], 1.0)
    assert res["lateral_added"] == [list(k) for k in P.lateral_schedule(3)]


def test_lateral_schedule():
    a, b, c, d = (80, 200, 100), (70,) * 3, (50,) * 3, (30,) * 3
    assert P.lateral_schedule(10) == [a, b, b, c, c, c, d, d, d, (10,) * 3]
    assert np.sum(P.lateral_schedule(10), axis=0).tolist() == [470, 590, 490]


def test_acc_bwt_by_hand():
    R = [[0.90, 0.00, 0.00],
         [0.85, 0.95, 0.00],
         [0.80, 0.90, 0.97]]
    acc, bwt = P.paper_acc_bwt(R)
    assert acc == pytest.approx((0.80 + 0.90 + 0.97) / 3)
    assert bwt == pytest.approx(((0.80 - 0.90) + (0.90 - 0.95)) / 2)      # -0.075
    assert (acc, bwt) == pytest.approx(acc_bwt(R))
    with pytest.raises(ValueError, match="square"):
        P.paper_acc_bwt([[0.9, 0.1]])


def test_task_permutations():
    perms = P.task_permutations(10, 2022)
    assert len({p.tobytes() for p in perms}) == 10
    for p in perms:
        assert sorted(p.tolist()) == list(range(784))
        assert not np.array_equal(p, np.arange(784))          # task 0 is permuted too


def test_task_permutations_are_sklearns():
    perms = P.task_permutations(10, 2022)
    sk = pytest.importorskip("sklearn.utils")
    seeds = sk.shuffle(np.arange(10), random_state=2022)
    a = np.arange(784)
    for i, r in enumerate(seeds):
        assert np.array_equal(sk.shuffle(a, random_state=int(r) * 100 + i), perms[i])


def test_official_split_is_used(tmp_path):
    rng = np.random.default_rng(1)
    for pre, n in (("train", 50), ("t10k", 20)):
        _write_idx(tmp_path / f"{pre}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(tmp_path / f"{pre}-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
    data = P.paper_tasks(tmp_path, P.PaperConfig(tasks=2))
    assert data.split == "official"
    assert data.Xtr.shape == (50, 784) and data.Xte.shape == (20, 784)
    X, _ = data.test(1)
    raw = np.frombuffer(gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz").read()[16:],
                        np.uint8).reshape(20, 784)
    expect = (raw[:, data.perms[1].numpy()] / 255.0 - 0.1307) / 0.3081
    assert np.allclose(X.numpy(), expect, atol=1e-5)


def test_config_validation():
    with pytest.raises(ValueError, match="tasks"):
        P.PaperConfig(tasks=11)
    with pytest.raises(ValueError, match="epochs"):
        P.PaperConfig(epochs=0)


# ------------------------------------------------------- the fast DSR against a literal implementation

def _wrate(a, T, tau, dt):
    """weighted firing rate over the leading (T*B) axis, time-major."""
    w = torch.tensor([math.exp(-(dt * T - k * dt) / tau) for k in range(1, T + 1)])
    a = a.reshape(T, -1, *a.shape[1:])
    return torch.einsum("t,tb...->b...", w, a) / w.sum()


class _LitLIF(torch.autograd.Function):
    @staticmethod
    def forward(ctx, cur, T, V, tau, dt, alpha):
        ctx.save_for_backward(cur)
        ctx.c = (T, V, tau, dt)
        beta = torch.exp(torch.tensor(-dt / tau))
        c = cur.reshape(T, -1, cur.shape[-1])
        u = torch.zeros_like(c[0])
        out = []
        for t in range(T):
            u = beta * u + (1 - beta) * c[t]
            s = (u >= alpha * V).float() * V
            u = u - s
            out.append(s / dt)
        return torch.cat(out, 0)

    @staticmethod
    def backward(ctx, g):
        (cur,) = ctx.saved_tensors
        T, V, tau, dt = ctx.c
        rin = _wrate(cur, T, tau, dt)
        code = _wrate(g, T, tau, dt) * T
        top = V / dt * tau
        gin = torch.where((rin > 0) & (rin < top), code / tau, torch.zeros_like(code))
        gV = (code * (rin > top)).sum() * dt
        return torch.cat([gin] * T, 0) / T, None, gV, None, None, None


class _LitProj(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, orth, W):
        ctx.save_for_backward(orth, W)
        return x @ W.T

    @staticmethod
    def backward(ctx, g):
        orth, W = ctx.saved_tensors
        return g @ W, None, g.T @ orth


def _literal(x, W1, W2, W3, V1, V2, Hs, T=20, tau=1.0, dt=0.05, alpha=0.3):
    """Step by step over (T*B) rows, as the authors' modules compute it."""
    def lin(a, W, H):
        orth = a if H is None else (a - (a @ H.T) @ H)
        return _LitProj.apply(a, orth.detach(), W)
    xs = torch.cat([x] * T, 0)
    a1 = _LitLIF.apply(lin(xs, W1, Hs[0] if Hs else None), T, V1, tau, dt, alpha)
    a2 = _LitLIF.apply(lin(a1, W2, Hs[1] if Hs else None), T, V2, tau, dt, alpha)
    return _wrate(lin(a2, W3, Hs[2] if Hs else None), T, tau, dt)


@pytest.mark.parametrize("project", [False, True])
def test_fast_dsr_equals_literal_implementation(project):
    torch.manual_seed(0)
    m = P.PaperSNN(P.PaperConfig(hidden=40))
    with torch.no_grad():
        m.fc1.weight.mul_(8.0)           # drive some units into saturation (Vth gradients)
        m.fc2.weight.mul_(0.5)
    x = torch.randn(16, 784) * 0.8
    y = torch.randint(0, 10, (16,))
    Hs = None
    if project:
        Hs = [torch.linalg.qr(torch.randn(d, k))[0].T.contiguous()
              for d, k in ((784, 30), (40, 12), (40, 9))]
    out = m(x, Hs)
    F = torch.nn.functional
    F.cross_entropy(out, y).backward()
    fast = [p.grad.clone() for p in (m.fc1.weight, m.fc2.weight, m.fc3.weight, m.Vth1, m.Vth2)]
    params = [p.detach().clone().requires_grad_(True) for p in
              (m.fc1.weight, m.fc2.weight, m.fc3.weight, m.Vth1, m.Vth2)]
    ref_out = _literal(x, *params, Hs)
    assert torch.allclose(ref_out, out.detach(), rtol=1e-4, atol=1e-4)
    F.cross_entropy(ref_out, y).backward()
    for name, a, p in zip(("W1", "W2", "W3", "Vth1", "Vth2"), fast, params):
        b = p.grad
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-6 + 1e-4 * float(b.abs().max())), name
    assert float(fast[3].abs() + fast[4].abs()) > 0          # the saturation path is exercised
    if project:                                              # gradients avoid the protected rows
        for g, H in zip(fast[:3], Hs):
            assert float((g @ H.T).abs().max()) < 1e-4 * max(1.0, float(g.abs().max()))


def test_hebbian_rule_keeps_old_rows_and_learns_subspace():
    torch.manual_seed(0)
    s = P.PaperHLOP(30, lr=0.05)
    basis = torch.linalg.qr(torch.randn(30, 3))[0]
    assert s.add(3) == 3
    for _ in range(200):
        s.update(torch.randn(64, 3) @ basis.T, iters=5)
    s.merge()
    old = s.H.clone()
    P_ = s.old.T @ s.old
    assert torch.allclose(P_ @ basis, basis, atol=0.05)
    assert s.add(2) == 2 and s.H.shape == (5, 30)
    s.update(torch.randn(64, 30), iters=5)
    assert torch.equal(s.H[:3], old)
    assert s.add(100) == 25                                   # never more rows than inputs


# ------------------------------------------------------------------------------------- tiny runs

def test_tiny_protocol_runs_and_hlop_protects(tiny_runs):
    h, f = tiny_runs["hlop"], tiny_runs["finetune"]
    for r in (h, f):
        R = np.array(r["R"])
        assert R.shape == (3, 3) and np.all(np.triu(R, 1) == 0)
        assert (r["acc"], r["bwt"]) == pytest.approx(P.paper_acc_bwt(R))
        assert R[0, 0] > 0.3                                  # learns (chance 0.1)
    assert h["bwt"] > f["bwt"]
    assert h["bwt"] > -0.05
    assert max(h["orthonormality_error"]) < 0.5


def test_tiny_ewc_and_multitask(data_dir):
    cfg = P.PaperConfig(tasks=2, train_samples=256, test_samples=200)
    data = P.paper_tasks(data_dir, cfg)
    e = P.run_paper(data_dir, "ewc", cfg, threads=1, data=data)
    assert len(e["R"]) == 2 and e["bwt"] is not None
    m = P.run_paper(data_dir, "multitask", cfg, threads=1, data=data)
    assert len(m["R"]) == 1 and m["bwt"] is None and m["acc"] == pytest.approx(np.mean(m["R"][0]))
    with pytest.raises(ValueError, match="method"):
        P.run_paper(data_dir, "gpm", cfg, data=data)


def test_cli_paper_protocol(data_dir, tmp_path):
    parser = argparse.ArgumentParser()
    p = hlop_cli.add_parser(parser.add_subparsers())
    out = tmp_path / "p.json"
    args = p.parse_args(["--data", str(data_dir), "--protocol", "paper", "--tasks", "2",
                         "--train-samples", "128", "--test-samples", "100", "--hidden", "32",
                         "--method", "finetune", "--threads", "1", "--quiet", "--json", str(out)])
    assert hlop_cli.run(args) == 0
    res = json.loads(out.read_text())
    assert res["protocol"] == "paper" and res["used"]["hidden"] == 32
    assert res["used"]["lr"] == 0.1 and res["used"]["batch_size"] == 64
    for bad in (["--k", "1,2,3"], ["--T", "4"], ["--trainer", "bptt"], ["--method", "gpm"]):
        with pytest.raises(SystemExit, match="paper"):
            hlop_cli.run(p.parse_args(["--data", "x", "--protocol", "paper", *bad]))
    with pytest.raises(SystemExit, match="paper only"):
        hlop_cli.run(p.parse_args(["--data", "x", "--train-samples", "5"]))


# ------------------------------------------------------------------------------------ deployment

def test_deploy_paper_network_matches_torch(data_dir):
    """The paper's neuron (threshold alpha Vth, reset by subtracting Vth) in the kernel."""
    cfg = P.PaperConfig(tasks=2, train_samples=640, test_samples=100, hidden=48)
    data = P.paper_tasks(data_dir, cfg)
    res = P.run_paper(data_dir, "hlop", cfg, threads=1, data=data, keep_model=True)
    m = res["model"]
    for t in (0, 1):
        X, y = data.test(t)
        X, y = X[:40], y[:40].numpy()
        kl = hlop_deploy.kernel_logits(m, X, batch=40)
        with torch.no_grad():
            tl = m(X).numpy()
        ratio = kl / np.where(np.abs(tl) > 1e-6, tl, np.nan)
        # logits proportional to the torch ones, spike for spike up to float32 rounding
        assert np.nanmax(ratio) - np.nanmin(ratio) < 1e-3 * np.nanmean(np.abs(ratio))
        acc_k = float((kl.argmax(1) == y).mean())
        acc_t = float((tl.argmax(1) == y).mean())
        assert abs(acc_k - acc_t) <= 0.005


def _hlop_parser():
    return hlop_cli.add_parser(argparse.ArgumentParser().add_subparsers())


def test_cli_deploy_tasks_compares_kernel_with_torch(data_dir, tmp_path):
    """``--deploy-tasks`` / ``--deploy-samples``: the trained paper network in the kernel, the
    same images in torch, per task."""
    out = tmp_path / "d.json"
    p = _hlop_parser()
    args = p.parse_args(["--data", str(data_dir), "--protocol", "paper", "--tasks", "3",
                         "--train-samples", "320", "--test-samples", "150", "--hidden", "32",
                         "--threads", "1", "--quiet", "--deploy-tasks", "2,0",
                         "--deploy-samples", "45", "--json", str(out)])
    assert hlop_cli.run(args) == 0
    res = json.loads(out.read_text())
    assert "model" not in res
    d = res["deploy"]
    assert d["tasks"] == [2, 0] and d["samples"] == 45 and d["seed"] == 2022
    rows = np.array(d["indices"])
    assert rows.size == 45 and np.all(np.diff(rows) > 0) and 0 <= rows[0] and rows[-1] < 150
    assert [r["task"] for r in d["per_task"]] == [2, 0]
    for r in d["per_task"]:
        assert r["agree"] == 1.0 and r["images_logits_differ"] == 0
        assert r["kernel"] == r["torch"] and r["diff_points"] == 0.0
        assert r["logit_factor"] > 0 and r["kernel_s"] > 0 and len(r["loadavg_end"]) == 3


def test_compare_deployed_against_an_independent_evaluation(data_dir):
    cfg = P.PaperConfig(tasks=2, train_samples=320, test_samples=120, hidden=24)
    data = P.paper_tasks(data_dir, cfg)
    m = P.run_paper(data_dir, "hlop", cfg, threads=1, data=data, keep_model=True)["model"]
    d = hlop_deploy.compare_deployed(m, data, [1], samples=30, seed=5, batch=7)
    rows = np.sort(np.random.RandomState(5).choice(120, 30, replace=False))
    assert d["indices"] == rows.tolist()
    X, y = data.test(1)
    with torch.no_grad():
        tl = m(X[torch.from_numpy(rows)]).numpy()
    kl = hlop_deploy.kernel_logits(m, X[torch.from_numpy(rows)], batch=30)
    r = d["per_task"][0]
    assert r["torch"] == pytest.approx(float((tl.argmax(1) == y.numpy()[rows]).mean()))
    assert r["kernel"] == pytest.approx(float((kl.argmax(1) == y.numpy()[rows]).mean()))
    assert r["logit_factor"] == pytest.approx(float(np.median(kl[np.abs(tl) > 1e-3]
                                                             / tl[np.abs(tl) > 1e-3])), rel=1e-3)
    whole = hlop_deploy.compare_deployed(m, data, [0], samples=120)
    assert whole["indices"] == list(range(120))


def test_deploy_request_errors_name_the_parameter(data_dir, capsys):
    check = hlop_deploy.check_deploy_request
    assert check([0, 4, 9], 1000, 10, 10000) == [0, 4, 9]
    for tasks, samples, match in (([10], 5, "task index 10"), ([-1], 5, "task index -1"),
                                  ([1, 1], 5, "twice"), ([], 5, "at least one"),
                                  ([0], 0, "samples must be an integer >= 1, got 0"),
                                  ([0], 11, "at most the 10 test images of a task, got 11"),
                                  ([0], True, "samples")):
        with pytest.raises(ValueError, match=match):
            check(tasks, samples, 10, 10)
    p = _hlop_parser()
    base = ["--data", str(data_dir), "--protocol", "paper", "--tasks", "3",
            "--test-samples", "100", "--quiet"]
    # caught before any training (the data is loaded, nothing is trained)
    for extra, match in ((["--deploy-tasks", "0,3"], r"--deploy-tasks: task index 3 .*3 tasks"),
                         (["--deploy-tasks", "0", "--deploy-samples", "101"],
                          "--deploy-samples must be at most the 100 test images of a task, got 101"),
                         (["--deploy-samples", "5"], "--deploy-samples needs --deploy-tasks"),
                         (["--deploy-tasks", "0", "--estimate-time", "2"], "--estimate-time")):
        with pytest.raises(SystemExit, match=match):
            hlop_cli.run(p.parse_args(base + extra))
    with pytest.raises(SystemExit, match="paper only"):
        hlop_cli.run(p.parse_args(["--data", "x", "--deploy-tasks", "0"]))
    for extra, text in ((["--deploy-samples", "0"], "--deploy-samples must be >= 1, got '0'"),
                        (["--deploy-samples", "-3"], "--deploy-samples must be >= 1, got '-3'"),
                        (["--deploy-tasks", "0,-2"], "task indices start at 0, got '0,-2'"),
                        (["--deploy-tasks", "zero"], "--deploy-tasks must be comma-separated")):
        with pytest.raises(SystemExit):
            p.parse_args(base + extra)
        assert text in capsys.readouterr().err
