"""A conv SNN trained in snnTorch on mnist5k, exported to NIR, run event-driven in spikesim.

Network (snnTorch, no biases): ``Conv2d(1, 8, 5, stride 2) -> Leaky -> Conv2d(8, 16, 3,
stride 2) -> Leaky -> Flatten -> Linear(400, 10) -> Leaky``, ``beta = 0.9``, threshold 1,
reset to zero (``reset_delay=False``); per-neuron ``beta`` and threshold tensors, because
snnTorch 1.0.0's ``export_to_nir`` writes scalar ones as shape-``()`` LIF nodes that NIR's
type check refuses after a convolution. Input: each pixel's intensity (0..1) as a Bernoulli
spike probability per step, ``--steps`` steps, drawn once from a seeded generator, so
snnTorch and spikesim see the same spikes. Prediction: the output neuron with most spikes
(first one on ties, in both). Trained with ``snntorch.functional.ce_rate_loss`` and Adam on
``--train`` digits of a seeded permutation of mnist5k (which is sorted by label), tested on
the last ``--test`` digits of that permutation.

Export with ``snntorch.export_to_nir`` (LIF nodes with ``tau = h/(1-beta)``, ``r = tau/h``,
``h = 1e-4 s``), written with ``nir.write`` and read back with ``nir.read``, then imported
with ``spikesim.export.from_nir(..., time_unit="s", scheme="euler")`` at ``dt = 0.1 ms``.
spikesim runs the test digits one after another in one network (``reset_state`` between
digits); its output lags snnTorch's by the 3 projections (3 steps), removed before counting.

Writes ``benchmarks/results/nir_mnist.json``. Run:
``python benchmarks/nir_mnist.py [--minutes 3] [--train 4000] [--test 1000]``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path

if __name__ == "__main__":  # one thread when run as a script; an import (the tests) changes nothing
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "datasets" / "mnist5k"
DT = 0.1  # ms
LAG = 3   # steps: one per projection


def build_model(beta: float = 0.9):
    """The snnTorch network of the module docstring."""
    import snntorch as snn
    import torch

    def leaky(shape, **kw):
        return snn.Leaky(beta=torch.full(shape, beta), threshold=torch.ones(shape),
                         init_hidden=True, reset_mechanism="zero", reset_delay=False, **kw)

    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 5, stride=2, bias=False), leaky((8, 12, 12)),
        torch.nn.Conv2d(8, 16, 3, stride=2, bias=False), leaky((16, 5, 5)),
        torch.nn.Flatten(), torch.nn.Linear(400, 10, bias=False), leaky((10,), output=True))


def encode(images: np.ndarray, steps: int, seed: int) -> np.ndarray:
    """Bernoulli rate code: ``(steps, n, 1, 28, 28)`` float32 0/1."""
    rng = np.random.default_rng(seed)
    p = images.astype(np.float32) / 255.0
    return (rng.random((steps,) + p.shape, dtype=np.float32) < p).astype(np.float32)[:, :, None]


def run_torch(model, spikes: np.ndarray, batch: int = 250) -> np.ndarray:
    """Output spike counts ``(n, 10)`` of the snnTorch model on encoded input."""
    import snntorch.utils as su
    import torch

    out = []
    with torch.no_grad():
        for s in range(0, spikes.shape[1], batch):
            su.reset(model)
            x = torch.from_numpy(spikes[:, s:s + batch])
            c = 0
            for t in range(x.shape[0]):
                spk, _ = model(x[t])
                c = c + spk
            out.append(c.numpy())
    return np.concatenate(out).astype(np.int64)


def train(model, images, labels, steps, minutes, epochs, seed, batch=64):
    """Surrogate-gradient training; stops after ``epochs`` or ``minutes``."""
    import snntorch.functional as sf
    import snntorch.utils as su
    import torch

    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = sf.ce_rate_loss()
    rng = np.random.default_rng(seed)
    t0, done = time.perf_counter(), 0
    for ep in range(epochs):
        order = rng.permutation(len(labels))
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            x = torch.from_numpy(encode(images[idx], steps, int(rng.integers(1 << 31))))
            su.reset(model)
            rec = []
            for t in range(steps):
                spk, _ = model(x[t])
                rec.append(spk)
            loss = loss_fn(torch.stack(rec), torch.from_numpy(labels[idx].astype(np.int64)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += len(idx)
            if time.perf_counter() - t0 > minutes * 60:
                return {"epochs": ep + s / len(order), "samples_seen": done,
                        "train_s": time.perf_counter() - t0}
    return {"epochs": epochs, "samples_seen": done, "train_s": time.perf_counter() - t0}


def export(model):
    """snnTorch -> NIR file -> ``nir.read`` (the path a user's graph takes)."""
    import nir
    import torch
    from snntorch.export_nir import export_to_nir

    graph = export_to_nir(model, torch.zeros(1, 1, 28, 28), ignore_dims=[0])
    with tempfile.TemporaryDirectory() as d:
        nir.write(Path(d) / "mnist_cnn.nir", graph)
        return nir.read(Path(d) / "mnist_cnn.nir")


def run_spikesim(graph, spikes: np.ndarray, dtype: str = "float32"):
    """Output spike counts ``(n, 10)`` in spikesim, digits one after another."""
    from spikesim.export import from_nir

    steps, n = spikes.shape[:2]
    window = steps + LAG + 1
    flat = spikes.reshape(steps, n, -1)
    times = []
    for j in range(flat.shape[2]):
        k, t = np.nonzero(flat[:, :, j].T)  # digit, step
        times.append(np.sort((k * window + t + 1) * DT))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        net = from_nir(graph, dt=DT, time_unit="s", scheme="euler", dtype=dtype,
                       spike_times={"input": times})
        build = time.perf_counter() - t0
    out = net.nir_source.outputs["output"]
    rec = net.record(out, "spikes")
    t0 = time.perf_counter()
    for _ in range(n):
        net.run(window * DT, progress=False)
        net.reset_state()
    run = time.perf_counter() - t0
    step = np.round(rec.spikes.times / DT).astype(np.int64) - 1
    k, t = step // window, step % window
    keep = (t >= LAG) & (t < steps + LAG)
    counts = np.zeros((n, out.size), np.int64)
    np.add.at(counts, (k[keep], rec.spikes.senders[keep]), 1)
    return counts, build, run


def main(argv=None):
    import torch

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--train", type=int, default=4000)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--out", default=str(HERE / "results" / "nir_mnist.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    from spikesim.datasets import load_mnist

    d = load_mnist(args.data)
    x, y = np.asarray(d.images), np.asarray(d.labels)
    order = np.random.default_rng(args.seed).permutation(len(y))  # mnist5k is sorted by label
    tr, te = order[:args.train], order[len(y) - args.test:]
    xtr, ytr, xte, yte = x[tr], y[tr], x[te], y[te]
    model = build_model()
    info = train(model, xtr, ytr, args.steps, args.minutes, args.epochs, args.seed)
    test_spikes = encode(xte, args.steps, args.seed + 12345)
    c_torch = run_torch(model, test_spikes)
    graph = export(model)
    c_ss, build, run = run_spikesim(graph, test_spikes)
    acc_t = float((c_torch.argmax(1) == yte).mean() * 100)
    acc_s = float((c_ss.argmax(1) == yte).mean() * 100)
    report = {
        "train_digits": args.train, "test_digits": args.test, "steps": args.steps, **info,
        "accuracy_snntorch_pct": acc_t, "accuracy_spikesim_pct": acc_s,
        "accuracy_difference_points": acc_s - acc_t,
        "same_prediction_pct": float((c_torch.argmax(1) == c_ss.argmax(1)).mean() * 100),
        "identical_count_vectors_pct": float((c_torch == c_ss).all(1).mean() * 100),
        "mean_abs_count_diff": float(np.abs(c_torch - c_ss).mean()),
        "output_spikes_snntorch": int(c_torch.sum()), "output_spikes_spikesim": int(c_ss.sum()),
        "spikesim_build_s": build, "spikesim_run_s": run, "spikesim_precision": "float32",
        "nir_nodes": {k: type(v).__name__ for k, v in graph.nodes.items()},
        "machine": platform.platform(), "torch": torch.__version__, "threads": 1,
    }
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "nir_nodes"}, indent=1))
    return report


if __name__ == "__main__":
    main()
