"""Per-method hooks of the continual learner: HLOP, GPM-style exact SVD, EWC, fine-tuning.

- HLOP (Xiao et al., ICLR 2024): lateral subspaces learned by Oja's rule; gradients projected
  by ``G (I - H^T H)`` (see :mod:`hlop_subspace`).
- GPM-style reference (Saha et al., ICLR 2021): the same projection with a subspace from an
  exact SVD of the task's activity.
- EWC (Kirkpatrick et al., PNAS 2017): penalty
  ``lambda/2 sum_i F_i (theta_i - theta*_i)^2`` with the diagonal empirical Fisher
  ``F_i = E[(d log p(y|x)/d theta_i)^2]``, summed over past tasks.
- fine-tuning: nothing.  multitask: joint training on all tasks (handled by the runner).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .subspace import Subspace, SVDSubspace


class Method:
    name = "finetune"

    def __init__(self, model, **kw):
        self.model = model

    def begin_task(self, task: int) -> None: ...

    def observe(self, acts) -> None: ...

    def penalty(self):
        return None

    def project(self) -> None: ...

    def end_task(self, X, y, batch_size: int) -> None: ...

    def orthonormality(self):
        return []


class Projection(Method):
    """HLOP (``svd=False``) or the GPM-style exact-SVD reference (``svd=True``)."""

    def __init__(self, model, k=(60, 20, 20), k_first=None, svd: bool = False, lr: float = 0.01,
                 hebb_iters: int = 2, spiking: bool = False, seed: int = 0):
        super().__init__(model)
        self.name = "gpm" if svd else "hlop"
        dims = [lin.in_features for lin in model.layers]
        if len(k) != len(dims):
            raise ValueError(f"k must give one subspace size per layer ({len(dims)}), got {list(k)}")
        for i, (kk, d) in enumerate(zip(list(k) + list(k_first or k), dims + dims)):
            if kk > d:
                raise ValueError(f"k[{i % len(dims)}]={kk} is larger than layer {i % len(dims)}'s "
                                 f"input dimension {d}")
        self.k, self.k_first, self.hebb_iters = list(k), list(k_first or k), int(hebb_iters)
        cls = SVDSubspace if svd else Subspace
        self.subspaces = [cls(d, lr=lr / 1.0, spiking=spiking, T=model.T, seed=seed + i,
                              name=f"layer {i}") for i, d in enumerate(dims)]
        self._ortho = []

    def begin_task(self, task):
        ks = self.k_first if task == 0 else self.k
        for s, kk in zip(self.subspaces, ks):
            s.add_rows(min(kk, s.dim - s.M))

    def observe(self, acts):
        for s, a in zip(self.subspaces, acts):
            s.hebbian_step(a, self.hebb_iters)

    def project(self):
        for s, lin in zip(self.subspaces, self.model.layers):
            if lin.weight.grad is not None:
                lin.weight.grad.copy_(s.project(lin.weight.grad))

    def end_task(self, X, y, batch_size):
        for s in self.subspaces:
            s.merge()
        self._ortho.append([s.orthonormality_error() for s in self.subspaces])

    def orthonormality(self):
        return self._ortho


class EWC(Method):
    name = "ewc"

    def __init__(self, model, lam: float = 500.0, fisher_samples: int = 500):
        super().__init__(model)
        self.lam, self.n = float(lam), int(fisher_samples)
        self.fisher, self.anchor = None, None

    def penalty(self):
        if self.fisher is None:
            return None
        return 0.5 * self.lam * sum((f * (p - a) ** 2).sum() for p, f, a in
                                    zip(self.model.parameters(), self.fisher, self.anchor))

    def end_task(self, X, y, batch_size):
        params = list(self.model.parameters())
        fisher = [torch.zeros_like(p) for p in params]
        n = min(self.n, X.shape[0])
        mb = 10  # squared mini-batch gradients of size 10 approximate the per-sample Fisher
        for i in range(0, n, mb):
            self.model.zero_grad()
            loss = F.cross_entropy(self.model(X[i:i + mb]), y[i:i + mb])
            loss.backward()
            for f, p in zip(fisher, params):
                if p.grad is not None:
                    f += p.grad.detach() ** 2 * (min(mb, n - i))
        fisher = [f / n for f in fisher]
        self.fisher = fisher if self.fisher is None else [a + b for a, b in zip(self.fisher, fisher)]
        self.anchor = [p.detach().clone() for p in params]
        self.model.zero_grad()


def make_method(name: str, model, **kw) -> Method:
    if name in ("hlop", "gpm"):
        return Projection(model, svd=(name == "gpm"), **{k: v for k, v in kw.items() if k in
                          ("k", "k_first", "lr", "hebb_iters", "spiking", "seed")})
    if name == "ewc":
        return EWC(model, **{k: v for k, v in kw.items() if k in ("lam", "fisher_samples")})
    if name in ("finetune", "multitask"):
        return Method(model)
    raise ValueError(f"method must be one of hlop, finetune, ewc, gpm, multitask; got {name!r}")
