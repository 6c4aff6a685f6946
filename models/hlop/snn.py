"""Spiking MLP for HLOP, trained by DSR or by surrogate-gradient BPTT (torch).

Neuron (discrete LIF of Xiao et al., ICLR 2024, after Meng et al., CVPR 2022 "DSR"):

.. math::

    u_t = \\beta u_{t-1} + (1-\\beta) I_t, \\qquad
    s_t = H(u_t - \\theta), \\qquad u_t \\leftarrow u_t - \\theta s_t \\;(\\text{or } 0),
    \\qquad \\theta = \\alpha V_{th}

Unrolling with ``u_0 = 0`` gives the DSR identity (Meng et al. 2022, eq. 6-8)

.. math::

    \\theta \\sum_t \\beta^{T-t} s_t = (1-\\beta) \\sum_t \\beta^{T-t} I_t - u_T,

so the *weighted firing rate* ``a = sum_t beta^(T-t) s_t / S`` (``S = sum_t beta^(T-t)``)
is ``clamp((1-beta) I_hat / theta, 0, 1)`` up to ``u_T``, where ``I_hat`` is the weighted
mean input. DSR uses the real spikes in the forward pass and differentiates through that
clamp (straight-through); the next layer's weighted mean input is ``W a + b`` exactly.

BPTT: the same neuron unrolled over ``T`` steps with a sigmoid surrogate
``ds/du = k sig(k(u-theta)) (1-sig(k(u-theta)))`` (Neftci et al. 2019).

Both readouts are the weighted mean input of the (non-spiking) output layer,
``W_L a_{L-1} + b_L``, which a kernel LIF integrator reproduces (see hlop_deploy).
"""
from __future__ import annotations

import math

import torch
from torch import nn


def _check_T(T) -> int:
    if isinstance(T, bool) or not isinstance(T, int) or T < 1:
        raise ValueError(f"T (time steps) must be an integer >= 1, got {T!r}")
    return T


class _SigmoidSpike(torch.autograd.Function):
    """Heaviside forward, sigmoid-derivative backward (slope k)."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = torch.sigmoid(ctx.k * x)
        return g * ctx.k * s * (1 - s), None


class SpikingMLP(nn.Module):
    """``sizes = [n_in, h1, ..., n_out]``; all hidden layers are LIF, the output integrates.

    Parameters
    ----------
    T : int, time steps (DSR default 20, BPTT about 6).
    beta : leak per step in (0, 1).  alpha : threshold scale, theta = alpha * V_th.
    trainer : "dsr" or "bptt".  reset : "subtract" (paper) or "zero" (as the kernel's LIF).
    The thresholds ``V_th`` (one per hidden layer) are trainable, like the biases.
    """

    def __init__(self, sizes, T: int = 20, beta: float = 0.9, alpha: float = 0.3,
                 trainer: str = "dsr", reset: str = "subtract", surrogate_k: float = 4.0,
                 seed: int = 0):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list >= 2 positive layer widths, got {sizes!r}")
        if not 0.0 < beta < 1.0:
            raise ValueError(f"beta must be in (0, 1), got {beta!r}")
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha!r}")
        if trainer not in ("dsr", "bptt"):
            raise ValueError(f"trainer must be 'dsr' or 'bptt', got {trainer!r}")
        if reset not in ("subtract", "zero"):
            raise ValueError(f"reset must be 'subtract' or 'zero', got {reset!r}")
        self.sizes, self.T, self.beta, self.alpha = sizes, _check_T(T), float(beta), float(alpha)
        self.trainer, self.reset, self.k = trainer, reset, float(surrogate_k)
        g = torch.Generator().manual_seed(seed)
        self.layers = nn.ModuleList()
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            lin = nn.Linear(a, b)
            gain = 2.0 if i == 0 else 3.0   # so that sparse spike rates still drive the next layer
            with torch.no_grad():
                lin.weight.normal_(0.0, gain * math.sqrt(2.0 / a), generator=g)
                lin.bias.zero_()
            self.layers.append(lin)
        self.vth = nn.Parameter(torch.ones(len(sizes) - 2))

    def theta(self, i: int) -> torch.Tensor:
        return self.alpha * self.vth[i].clamp_min(1e-3)

    def _weights(self, T):
        w = self.beta ** torch.arange(T - 1, -1, -1, dtype=torch.float32)
        return w / w.sum()

    def _lif(self, cur, theta, T):
        """Spike trains (T, B, n) of a LIF layer driven by currents (T, B, n) (no autograd)."""
        u = torch.zeros_like(cur[0])
        out = torch.empty_like(cur)
        for t in range(T):
            u = self.beta * u + (1 - self.beta) * cur[t]
            s = (u >= theta).to(u.dtype)
            u = u - theta * s if self.reset == "subtract" else u * (1 - s)
            out[t] = s
        return out

    def forward(self, x, record: bool = False):
        """Logits ``(B, n_out)``; with ``record`` also the list of presynaptic activities
        (the weighted firing rates, input first) and the hidden spike trains."""
        if x.dim() != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"input must have shape (batch, {self.sizes[0]}), got {tuple(x.shape)}")
        T = self.T
        wts = self._weights(T)
        acts, spikes = [x], []
        if self.trainer == "dsr":
            a = x
            for i, lin in enumerate(self.layers[:-1]):
                ihat = lin(a)                           # weighted mean input (exact)
                th = self.theta(i)
                with torch.no_grad():
                    if i == 0:
                        cur = ihat.detach().expand(T, *ihat.shape)
                    else:
                        cur = torch.einsum("tbi,oi->tbo", s, lin.weight) + lin.bias
                    s = self._lif(cur, th.detach(), T)
                    rate = torch.einsum("t,tbn->bn", wts, s)
                sur = torch.clamp(ihat * (1 - self.beta) / th, 0.0, 1.0)
                a = rate + (sur - sur.detach())         # DSR straight-through
                acts.append(a.detach())
                spikes.append(s)
            return (self.layers[-1](a), acts, spikes) if record else self.layers[-1](a)
        # BPTT with a sigmoid surrogate
        s_in = None
        for i, lin in enumerate(self.layers[:-1]):
            th = self.theta(i)
            cur0 = lin(x) if i == 0 else None
            u = torch.zeros(x.shape[0], lin.out_features)
            out = []
            for t in range(T):
                c = cur0 if i == 0 else lin(s_in[t])
                u = self.beta * u + (1 - self.beta) * c
                s = _SigmoidSpike.apply(u - th, self.k / th.detach())
                u = u - th * s if self.reset == "subtract" else u * (1 - s.detach())
                out.append(s)
            s_in = torch.stack(out)
            acts.append(torch.einsum("t,tbn->bn", wts, s_in).detach())
            spikes.append(s_in.detach())
        rate = torch.einsum("t,tbn->bn", wts, s_in)
        logits = self.layers[-1](rate)
        return (logits, acts, spikes) if record else logits
