"""Lateral subspace circuit of HLOP (Xiao et al., ICLR 2024, sec. 4.1-4.2) and the
exact-SVD projection reference in the style of GPM (Saha et al., ICLR 2021).

Lateral neurons ``y = H x`` (H: M x N), feedback output ``x - H^T y``. Oja's subspace rule
(Oja 1989; Xiao et al. 2024 eq. 3), averaged over the batch:

.. math::

    \\Delta H = \\overline{y (x - H^T y)^T}

Entries of the update are clamped to +-10 and applied with momentum 0.9; new rows start
orthonormal (and orthogonal to the old ones). Old rows are frozen but take part in the
reconstruction ``x - H^T y`` so that new rows learn the residual subspace. Gradients of the
protected weight ``W`` (out x in) are projected (Xiao et al. 2024 eq. 5)

.. math::

    \\Delta W = g^T (x - H_{old}^T H_{old} x) = G (I - H_{old}^T H_{old}).
"""
from __future__ import annotations

import torch


class Subspace:
    """Lateral circuit for one layer of presynaptic dimension ``dim``.

    ``spiking=True`` quantises ``y`` to spike counts over ``T`` steps of an IF neuron
    with threshold ``y_scale / T`` (the paper's spiking lateral neurons).
    """

    def __init__(self, dim: int, lr: float = 0.01, momentum: float = 0.9, clamp: float = 10.0,
                 spiking: bool = False, T: int = 20, seed: int = 0, name: str = "layer"):
        if int(dim) < 1:
            raise ValueError(f"dim must be >= 1, got {dim!r}")
        self.dim, self.lr, self.momentum, self.clamp = int(dim), float(lr), float(momentum), float(clamp)
        self.spiking, self.T, self.name = bool(spiking), int(T), name
        self.H_old = torch.zeros(0, self.dim)
        self.H_new = torch.zeros(0, self.dim)
        self._buf = torch.zeros(0, self.dim)
        self._g = torch.Generator().manual_seed(seed)

    @property
    def M(self) -> int:
        return self.H_old.shape[0] + self.H_new.shape[0]

    @property
    def H(self) -> torch.Tensor:
        return torch.cat([self.H_old, self.H_new])

    def add_rows(self, k: int) -> None:
        """Add ``k`` new rows, orthonormal and orthogonal to the existing ones."""
        k = int(k)
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k!r}")
        if self.M + k > self.dim:
            raise ValueError(f"subspace of {self.name} would have {self.M + k} rows, more than the "
                             f"layer's input dimension {self.dim} (k={k}, existing {self.M})")
        self.merge()
        R = torch.randn(self.dim, k, generator=self._g)
        if self.M:
            Q0, _ = torch.linalg.qr(self.H_old.T)
            R = R - Q0 @ (Q0.T @ R)
        Q, _ = torch.linalg.qr(R)
        self.H_new = Q.T.contiguous()
        self._buf = torch.zeros_like(self.H_new)

    def merge(self) -> None:
        """Merge the new rows into the frozen old subspace (end of a task)."""
        if self.H_new.shape[0]:
            self.H_old = torch.cat([self.H_old, self.H_new])
            self.H_new = torch.zeros(0, self.dim)
            self._buf = torch.zeros(0, self.dim)

    def _y(self, H, x):
        y = x @ H.T
        if self.spiking:  # spike counts of IF lateral neurons, signed (rate coding of +-y)
            q = y.abs().amax().clamp_min(1e-12) / self.T
            y = torch.round(y / q) * q
        return y

    @torch.no_grad()
    def hebbian_step(self, x: torch.Tensor, iters: int = 1) -> None:
        """``iters`` Oja-subspace updates of the new rows on a batch ``x`` (B, dim)."""
        if x.shape[-1] != self.dim:
            raise ValueError(f"{self.name}: activity has {x.shape[-1]} features, the subspace "
                             f"expects {self.dim}")
        if not self.H_new.shape[0]:
            return
        x = x.reshape(-1, self.dim).float()
        n = self.H_old.shape[0]
        for _ in range(iters):
            H = torch.cat([self.H_old, self.H_new])
            y = self._y(H, x)
            resid = x - y @ H                               # x - H^T y
            dH = (y[:, n:].T @ resid) / x.shape[0]
            dH.clamp_(-self.clamp, self.clamp)
            self._buf.mul_(self.momentum).add_(dH)
            self.H_new.add_(self.lr * self._buf)

    @torch.no_grad()
    def project(self, grad: torch.Tensor) -> torch.Tensor:
        """``G (I - H_old^T H_old)`` for a weight gradient ``G`` (out, dim)."""
        if not self.H_old.shape[0]:
            return grad
        return grad - (grad @ self.H_old.T) @ self.H_old

    def orthonormality_error(self) -> float:
        """``max |H H^T - I|`` over all rows (0 when empty)."""
        H = self.H
        if not H.shape[0]:
            return 0.0
        return float((H @ H.T - torch.eye(H.shape[0])).abs().max())


class SVDSubspace(Subspace):
    """GPM-style reference: the new rows are the top-``k`` left singular vectors of the
    residual activity ``(I - U U^T) R`` computed exactly at the end of the task
    (Saha et al. 2021, eq. 8-9), instead of being learned by Oja's rule."""

    def __init__(self, dim: int, **kw):
        super().__init__(dim, **kw)
        self._k = 0
        self._acts = []

    def add_rows(self, k: int) -> None:
        if self.M + int(k) > self.dim:
            raise ValueError(f"subspace of {self.name} would have {self.M + int(k)} rows, more "
                             f"than the layer's input dimension {self.dim} (k={k})")
        self._k, self._acts = int(k), []

    @torch.no_grad()
    def hebbian_step(self, x, iters: int = 1) -> None:
        if x.shape[-1] != self.dim:
            raise ValueError(f"{self.name}: activity has {x.shape[-1]} features, the subspace "
                             f"expects {self.dim}")
        self._acts.append(x.reshape(-1, self.dim).float())

    def merge(self) -> None:
        if not self._k or not self._acts:
            return
        R = torch.cat(self._acts[-40:]).T                    # (dim, samples), latest activity
        if self.H_old.shape[0]:
            R = R - self.H_old.T @ (self.H_old @ R)
        U, _, _ = torch.linalg.svd(R, full_matrices=False)
        self.H_old = torch.cat([self.H_old, U[:, :self._k].T])
        self._k, self._acts = 0, []
