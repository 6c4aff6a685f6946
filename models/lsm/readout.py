"""The linear readout of a liquid: L1-normalised spike counts into softmax regression (NumPy).

The paper trains a linear softmax layer on the liquid's spike counts, each
sample's counts divided by their sum. :func:`fit_readout` (spikesim's default) fits the
layer full-batch with Adam on standardised features (the standardisation is linear, so the
model stays a linear readout) for several L2 strengths; the strength and the number of
iterations with the best validation accuracy are kept.

:func:`fit_paper_readout` is the authors' own readout, as their released code
(combra-lab/NALSM: ``NALSM_OUTPUT_LAYER.py`` ``initialize_layer_ops``,
``LSM_RUN_MAIN_SIM_MNIST.py`` ``train_loop_v0``, ``get_test_accuracy.py``) trains it:
features divided by the largest value of their mini-batch of 250 (:func:`paper_features`),
zero-initialised weights, the softmax of a +1/-1 label vector as target, L2 5e-10,
TensorFlow's Adadelta at learning rate 0.1 over mini-batches of 250 in data order, up to
5,000 passes, and the pass with the best validation accuracy (the last pass excluded).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["Readout", "confusion_matrix", "fit_paper_readout", "fit_readout", "l1_normalise",
           "paper_features"]


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
    with threadpool_limits(limits=1, user_api="blas"):  # OpenBLAS's threads collapse under load
        return _adam_fit(Ztr, Y, Zva, yva, mean, std, l2, iterations, lr, check_every, k)


def _adam_fit(Ztr, Y, Zva, yva, mean, std, l2, iterations, lr, check_every, k) -> Readout:
    """The L2 strengths and Adam steps of :func:`fit_readout` (arguments checked there)."""
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


def paper_features(counts, batch: int = 250) -> np.ndarray:
    """The authors' readout input: L1 per sample, then divided by the largest value of each
    run of ``batch`` consecutive samples (a shorter last run by its own maximum), float32.

    The scale of a sample therefore depends on the other samples of its mini-batch, as in
    the authors' code; pass each split in its own order."""
    batch = int(batch)
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    x = l1_normalise(counts)
    out = np.empty(x.shape, np.float32)
    for a in range(0, x.shape[0], batch):
        m = x[a:a + batch].max(initial=0.0)
        out[a:a + batch] = x[a:a + batch] / m if m > 0 else 0.0
    return out


def fit_paper_readout(X_train, y_train, X_val, y_val, passes: int = 5000, batch: int = 250,
                      lr: float = 0.1, l2: float = 5e-10, n_classes: int = 10, log=None) -> Readout:
    """Train the authors' readout (module docstring) on :func:`paper_features` output.

    Float32 throughout. The loss is the mean softmax cross-entropy against
    ``softmax(2 onehot - 1)`` plus ``l2 * |W|^2 / 2``; each mini-batch step is TensorFlow's
    ApplyAdadelta with rho 0.95 and epsilon 1e-8 (``accum = rho accum + (1 - rho) g^2``,
    ``u = sqrt(accum_u + eps) / sqrt(accum + eps) g``, ``v -= lr u``,
    ``accum_u = rho accum_u + (1 - rho) u^2``). Validation accuracy is computed after every
    pass; the returned :class:`Readout` (identity standardisation) holds the weights of the
    best pass before the last one, and ``iterations`` is that pass.
    """
    Xtr, ytr = _check(X_train, y_train, "train")
    Xva, yva = _check(X_val, y_val, "validation")
    passes, batch = int(passes), int(batch)
    if passes < 2:
        raise ValueError(f"passes must be at least 2 (the last pass is never chosen), got {passes}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    Xtr, Xva = Xtr.astype(np.float32), Xva.astype(np.float32)
    z = np.exp(2.0 * np.eye(n_classes) - 1.0)
    target = (z / z.sum(1, keepdims=True)).astype(np.float32)
    with threadpool_limits(limits=1, user_api="blas"):  # small products: threads only cost
        return _paper_passes(Xtr, ytr, Xva, yva, passes, batch, lr, l2, target, log)


def _paper_passes(Xtr, ytr, Xva, yva, passes, batch, lr, l2, target, log) -> Readout:
    """The passes of :func:`fit_paper_readout` (arguments checked there)."""
    f32 = np.float32
    rho, eps, lr32, l2_32 = f32(0.95), f32(1e-8), f32(lr), f32(l2)
    n_classes = target.shape[0]
    prm = [np.zeros((Xtr.shape[1], n_classes), np.float32), np.zeros(n_classes, np.float32)]
    acc_g = [np.zeros_like(q) for q in prm]
    acc_u = [np.zeros_like(q) for q in prm]
    best = None
    for ep in range(1, passes + 1):
        for a in range(0, Xtr.shape[0], batch):
            xb = Xtr[a:a + batch]
            s = xb @ prm[0] + prm[1]
            s -= s.max(1, keepdims=True)
            e = np.exp(s)
            G = (e / e.sum(1, keepdims=True) - target[ytr[a:a + batch]]) / f32(xb.shape[0])
            for q, g in enumerate((xb.T @ G + l2_32 * prm[0], G.sum(0))):
                acc_g[q] *= rho
                acc_g[q] += (1 - rho) * g * g
                u = np.sqrt(acc_u[q] + eps) / np.sqrt(acc_g[q] + eps) * g
                prm[q] -= lr32 * u
                acc_u[q] *= rho
                acc_u[q] += (1 - rho) * u * u
        acc = float(np.mean(np.argmax(Xva @ prm[0] + prm[1], 1) == yva))
        if ep < passes and (best is None or acc > best.val_accuracy):
            d = Xtr.shape[1]
            best = Readout(prm[0].astype(np.float64), prm[1].astype(np.float64), np.zeros(d),
                           np.ones(d), float(l2), ep, acc)
        if log and ep % max(1, passes // 10) == 0:
            log(f"  paper readout: pass {ep}/{passes}, validation {acc:.4f}")
    return best


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Counts ``C[true, predicted]``."""
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    k = int(n_classes or max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    C = np.zeros((k, k), np.int64)
    np.add.at(C, (y_true, y_pred), 1)
    return C
