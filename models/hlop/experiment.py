"""Hebbian learning based orthogonal projection (HLOP) for continual learning of SNNs.

Reproduces Xiao, Meng, Zhang, Wang, Lin, "Hebbian Learning based Orthogonal Projection for
Continual Learning of Spiking Neural Networks", ICLR 2024, on permuted MNIST built from the
5,000-digit ``mnist5k`` set, with the baselines fine-tuning, EWC (Kirkpatrick et al. 2017),
a GPM-style exact-SVD projection (Saha et al. 2021) and multitask training. The SNN is
trained by DSR (Meng et al. 2022) or surrogate-gradient BPTT (:mod:`hlop_snn`); trained
networks run in the spikesim kernel through :func:`hlop_deploy.to_network`.

Metrics (Lopez-Paz & Ranzato 2017): with ``R[i, j]`` the accuracy on task ``j`` after
training task ``i`` and ``n`` tasks,

.. math::

    ACC = \\frac1n \\sum_j R_{n-1, j}, \\qquad
    BWT = \\frac{1}{n-1} \\sum_{j<n-1} (R_{n-1, j} - R_{j, j}).

torch is imported by this module (the ``learn`` extra).
"""
from __future__ import annotations

import gzip
import pathlib
import time

import numpy as np
import torch
import torch.nn.functional as F

from .baselines import make_method
from .snn import SpikingMLP

__all__ = ["load_mnist_idx", "permuted_mnist", "ContinualLearner", "run_experiment", "acc_bwt",
           "SpikingMLP"]


def _read_idx(path: pathlib.Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] or data[1] or data[2] != 8:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    nd = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * nd).reshape(shape)


def load_mnist_idx(directory) -> tuple[np.ndarray, np.ndarray]:
    """``(images (n, 784) float32 in [0, 1], labels (n,) int64)`` from an IDX directory."""
    d = pathlib.Path(directory)
    if not d.is_dir():
        raise FileNotFoundError(f"MNIST directory {str(d)!r} does not exist")
    def find(kind):
        hits = sorted(d.glob(f"*{kind}*idx*"))
        if not hits:
            raise FileNotFoundError(f"no {kind} IDX file in {str(d)!r}")
        return hits[0]
    X = _read_idx(find("images")).reshape(-1, 784).astype(np.float32) / 255.0
    y = _read_idx(find("labels")).astype(np.int64)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{X.shape[0]} images but {y.shape[0]} labels in {str(d)!r}")
    return X, y


def permuted_mnist(directory, n_tasks: int = 10, n_train: int = 4000, n_test: int = 1000,
                   seed: int = 0):
    """Task list ``[(Xtr, ytr, Xte, yte)]``: task 0 is the identity, the others fixed seeded
    pixel permutations; the same (seeded, class-shuffled) train/test split for every task."""
    if int(n_tasks) < 1:
        raise ValueError(f"n_tasks must be >= 1, got {n_tasks!r}")
    X, y = load_mnist_idx(directory)
    if n_train + n_test > X.shape[0]:
        raise ValueError(f"n_train + n_test = {n_train + n_test} exceeds the {X.shape[0]} images")
    rng = np.random.default_rng(seed)
    order = rng.permutation(X.shape[0])
    tr, te = order[:n_train], order[n_train:n_train + n_test]
    tasks = []
    for t in range(int(n_tasks)):
        perm = np.arange(784) if t == 0 else rng.permutation(784)
        Xp = torch.from_numpy(np.ascontiguousarray(X[:, perm]))
        yt = torch.from_numpy(y)
        tasks.append((Xp[tr], yt[tr], Xp[te], yt[te]))
    return tasks


def acc_bwt(R) -> tuple[float, float | None]:
    """ACC and BWT (fractions) from the accuracy matrix ``R`` (tasks x tasks)."""
    R = np.asarray(R, dtype=float)
    n = R.shape[1]
    acc = float(R[-1].mean())
    if R.shape[0] < n or n < 2:
        return acc, None
    return acc, float(np.mean([R[-1, j] - R[j, j] for j in range(n - 1)]))


class ContinualLearner:
    """Task-incremental training of a :class:`SpikingMLP` with one method's hooks.

    Call ``begin_task(t)``, ``train_task(X, y)``, ``end_task(X, y)`` per task. Biases and
    thresholds are frozen after the first task (Xiao et al. 2024, sec. 4.3). SGD with
    momentum; the momentum buffer is reset each task so that it stays in the projected space.
    """

    def __init__(self, model: SpikingMLP, method: str = "hlop", lr: float = 0.05,
                 momentum: float = 0.9, epochs: int = 3, batch_size: int = 64, seed: int = 0,
                 **method_kw):
        self.model, self.lr, self.momentum = model, float(lr), float(momentum)
        if int(epochs) < 1 or int(batch_size) < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {epochs!r}, {batch_size!r}")
        self.epochs, self.batch_size, self.seed = int(epochs), int(batch_size), seed
        self.method = make_method(method, model, seed=seed, **method_kw)
        self.task = None
        self._done = 0

    def begin_task(self, task: int) -> None:
        self.task = int(task)
        if self._done > 0:
            self.model.vth.requires_grad_(False)
            for lin in self.model.layers:
                lin.bias.requires_grad_(False)
        self.method.begin_task(self.task)
        self.opt = torch.optim.SGD([p for p in self.model.parameters() if p.requires_grad],
                                   lr=self.lr, momentum=self.momentum)

    def _check(self, X, y):
        if X.dim() != 2 or X.shape[1] != self.model.sizes[0]:
            raise ValueError(f"X must have shape (n, {self.model.sizes[0]}), got {tuple(X.shape)}")
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), got {tuple(y.shape)}")

    def train_task(self, X, y) -> list[float]:
        """Train the current task; returns the mean loss per epoch."""
        if self.task is None:
            raise RuntimeError("train_task called before begin_task(task)")
        self._check(X, y)
        torch.set_flush_denormal(True)     # denormals made a quick port ~40x slower
        try:
            return self._train(X, y)
        finally:
            torch.set_flush_denormal(False)  # do not leak process-wide FP state to the caller

    def _train(self, X, y):
        g = torch.Generator().manual_seed(self.seed * 1000 + self.task)
        losses = []
        self.model.train()
        for _ in range(self.epochs):
            order = torch.randperm(X.shape[0], generator=g)
            tot = 0.0
            for i in range(0, X.shape[0], self.batch_size):
                idx = order[i:i + self.batch_size]
                logits, acts, _ = self.model(X[idx], record=True)
                loss = F.cross_entropy(logits, y[idx])
                pen = self.method.penalty()
                full = loss if pen is None else loss + pen
                self.opt.zero_grad()
                full.backward()
                self.method.project()
                self.opt.step()
                self.method.observe(acts)
                tot += float(loss.detach()) * idx.numel()
            losses.append(tot / X.shape[0])
        return losses

    def end_task(self, X, y) -> None:
        if self.task is None:
            raise RuntimeError("end_task called before begin_task(task)")
        self._check(X, y)
        self.method.end_task(X, y, self.batch_size)
        self.task = None
        self._done += 1

    @torch.no_grad()
    def evaluate(self, X, y, batch_size: int = 500) -> float:
        self._check(X, y)
        self.model.eval()
        hits = sum(int((self.model(X[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
                   for i in range(0, X.shape[0], batch_size))
        return hits / X.shape[0]


def run_experiment(tasks, method: str = "hlop", trainer: str = "dsr", hidden=(256, 256),
                   T: int | None = None, epochs: int = 3, lr: float = 0.05, batch_size: int = 64,
                   seed: int = 0, threads: int = 2, reset: str = "subtract", verbose: bool = False,
                   **method_kw) -> dict:
    """Train ``tasks`` (from :func:`permuted_mnist`) in order; returns a JSON-ready dict with
    the accuracy matrix ``R``, ``acc``, ``bwt``, orthonormality errors and wall time."""
    torch.set_num_threads(max(1, min(2, int(threads))))
    torch.manual_seed(seed)
    T = T if T is not None else (20 if trainer == "dsr" else 6)
    n_in = tasks[0][0].shape[1]
    model = SpikingMLP([n_in, *hidden, 10], T=T, trainer=trainer, reset=reset, seed=seed)
    learner = ContinualLearner(model, method=method, lr=lr, epochs=epochs, batch_size=batch_size,
                               seed=seed, **method_kw)
    t0 = time.perf_counter()
    R = []
    if method == "multitask":
        Xa = torch.cat([t[0] for t in tasks])
        ya = torch.cat([t[1] for t in tasks])
        learner.begin_task(0)
        learner.train_task(Xa, ya)
        learner.end_task(Xa[:10], ya[:10])
        R.append([learner.evaluate(t[2], t[3]) for t in tasks])
    else:
        for i, (Xtr, ytr, _, _) in enumerate(tasks):
            learner.begin_task(i)
            learner.train_task(Xtr, ytr)
            learner.end_task(Xtr, ytr)
            R.append([learner.evaluate(t[2], t[3]) for t in tasks])
            if verbose:
                print(f"[{method}] task {i}: " + " ".join(f"{a:.3f}" for a in R[-1][:i + 1]),
                      flush=True)
    wall = time.perf_counter() - t0
    acc, bwt = acc_bwt(R)
    return {"method": method, "trainer": trainer, "tasks": len(tasks), "hidden": list(hidden),
            "T": T, "epochs": epochs, "lr": lr, "seed": seed, "R": R, "acc": acc, "bwt": bwt,
            "orthonormality_error": learner.method.orthonormality(), "wall_time_s": wall,
            "model": model}
