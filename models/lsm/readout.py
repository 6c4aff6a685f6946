"""The linear readout of a liquid: L1-normalised spike counts into softmax regression (NumPy).

The paper trains a linear softmax layer on the liquid's spike counts, each
sample's counts divided by their sum. Here the layer is fitted full-batch
with Adam on standardised features (the standardisation is linear, so the
model stays a linear readout) for several L2 strengths; the strength and the
number of iterations with the best validation accuracy are kept.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Readout", "confusion_matrix", "fit_readout", "l1_normalise"]


def l1_normalise(counts) -> np.ndarray:
    """Each row divided by its sum (rows that sum to 0 stay 0), float64."""
    x = np.asarray(counts, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"counts must be 2-D (samples, features), got shape {x.shape}")
    s = x.sum(1, keepdims=True)
    return np.divide(x, s, out=np.zeros_like(x), where=s > 0)


@dataclass
class Readout:
    """A fitted softmax layer: ``argmax((x - mean) / std @ W + b)``."""

    W: np.ndarray
    b: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    l2: float
    iterations: int
    val_accuracy: float

    def scores(self, X) -> np.ndarray:
        return ((np.asarray(X, np.float64) - self.mean) / self.std) @ self.W + self.b

    def predict(self, X) -> np.ndarray:
        return np.argmax(self.scores(X), axis=1)

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))


def _check(X, y, name):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(f"{name}: features must be (n, d) and labels (n,), got {X.shape} and {y.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name}: features must be finite")
    if y.dtype.kind not in "iu" or y.min() < 0:
        raise ValueError(f"{name}: labels must be non-negative integers")
    return X, y.astype(np.int64)


def fit_readout(X_train, y_train, X_val, y_val, l2=(1e-4, 1e-3, 1e-2), iterations=200,
                lr=0.05, check_every=10, n_classes=None) -> Readout:
    """Fit softmax regression for each L2 strength; keep the best on validation.

    Parameters
    ----------
    X_train, y_train, X_val, y_val : arrays
        Features ``(n, d)`` and integer labels ``(n,)``.
    l2 : sequence of float
        L2 penalties on ``W`` (per sample, i.e. ``l2 / 2 * |W|^2`` added to the mean loss).
    iterations : int
        Full-batch Adam steps per strength (validation is checked every ``check_every``).
    lr : float
        Adam step size.
    """
    Xtr, ytr = _check(X_train, y_train, "train")
    Xva, yva = _check(X_val, y_val, "validation")
    if Xva.shape[1] != Xtr.shape[1]:
        raise ValueError(f"validation has {Xva.shape[1]} features, train {Xtr.shape[1]}")
    k = int(n_classes or max(ytr.max(), yva.max()) + 1)
    mean = Xtr.mean(0)
    std = Xtr.std(0)
    std[std < 1e-12] = 1.0
    Ztr = ((Xtr - mean) / std).astype(np.float32)  # float32 halves the cost of the products
    Zva = ((Xva - mean) / std).astype(np.float32)
    Y = np.zeros((Ztr.shape[0], k), np.float32)
    Y[np.arange(Ztr.shape[0]), ytr] = 1.0
    best = None
    for lam in l2:
        W = np.zeros((Ztr.shape[1], k), np.float32)
        b = np.zeros(k, np.float32)
        mW, vW, mb, vb = (np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b))
        for it in range(1, iterations + 1):
            s = Ztr @ W + b
            s -= s.max(1, keepdims=True)
            e = np.exp(s)
            G = (e / e.sum(1, keepdims=True) - Y) / Ztr.shape[0]
            gW = Ztr.T @ G + lam * W
            gb = G.sum(0)
            for prm, g, m, v in ((W, gW, mW, vW), (b, gb, mb, vb)):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                prm -= lr * (m / (1 - 0.9 ** it)) / (np.sqrt(v / (1 - 0.999 ** it)) + 1e-8)
            if it % check_every == 0 or it == iterations:
                acc = float(np.mean(np.argmax(Zva @ W + b, 1) == yva))
                if best is None or acc > best.val_accuracy:
                    best = Readout(W.astype(np.float64), b.astype(np.float64), mean, std,
                                   float(lam), it, acc)
    return best


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Counts ``C[true, predicted]``."""
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    k = int(n_classes or max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    C = np.zeros((k, k), np.int64)
    np.add.at(C, (y_true, y_pred), 1)
    return C
