"""HLOP on permuted MNIST with the protocol of the authors' released code.

``spikesim hlop --data ../shared/datasets/mnist --protocol paper`` trains and evaluates as
``spiking_train_pmnist.py`` of pkuxmq/HLOP-SNN (Xiao et al., ICLR 2024) does with its defaults
(the DSR-trained spiking MLP; the repository's ``*_bptt.py`` / ``*_ottt.py`` variants are not
reproduced). Facts and numbers were read from that repository (commit 530b89a); no code was
taken from it. Line numbers below are those of the stored files at that commit.

Protocol parameters (``PAPER_PARAMS`` holds the same table; the runner records what it used):

=======================  ================================  =====================================
parameter                value                             source (pkuxmq/HLOP-SNN)
=======================  ================================  =====================================
tasks                    10                                dataloader/pmnist.py L16 ``nperm``;
                                                           spiking_train_pmnist.py L169
split                    official 60,000 train / 10,000    dataloader/pmnist.py L28-31 (train=
                         test, no validation set           True / False; validation commented)
normalisation            (x - 0.1307) / 0.3081             dataloader/pmnist.py L25-26
task order               seeds 0..9 shuffled by            dataloader/pmnist.py L17-19; seed
                         sklearn.utils.shuffle(seed=2022)  2022 from spiking_train_pmnist.py L167
pixel permutation        task i: shuffle(784 pixels,       dataloader/pmnist.py L43 (every task
                         random_state=100 r_i + i)         is permuted, task 0 included)
seed                     2022 (torch, numpy, random)       spiking_train_pmnist.py L22-32
network                  784-800-800-10 MLP, no biases,    spiking_train_pmnist.py L239
                         one shared classifier             (n_hidden=800); models/
                                                           spiking_mlp_hlop.py L19, L51-52, L72
weight init              torch nn.Linear default           models/spiking_mlp_hlop.py L51-52, L72
neuron                   LIF, u = b u + (1-b) I,           modules/neuron_dsr.py LIFFunction.
                         b = exp(-dt/tau); spike if        forward; spiking_mlp_hlop.py L55-56
                         u >= alpha Vth; reset by
                         subtraction u -= Vth; spike
                         value Vth/dt
time steps T             20                                spiking_train_pmnist.py L144
Vth (init, trainable)    0.3, trainable on task 0          L145, L149 (train_Vth=1)
Vth lower bound          0.0005 (clamped every forward)    L150; neuron_dsr.py LIFNeuron.forward
tau, delta_t             1.0, 0.05 (b = e^-0.05)           L146-147
alpha                    0.3 (threshold alpha Vth)         L148
input                    analog pixels as a constant       L304-306 (input repeated T times)
                         current at every step
readout                  weighted firing rate              spiking_mlp_hlop.py forward
                         sum_t b^(T-t) o_t / sum_t b^(T-t)  (weight_avg for LIF, L38);
                         of the classifier outputs         neuron_dsr.py L16-20
training                 DSR: backward through the         neuron_dsr.py LIFFunction.backward,
                         weighted rate (d/dI = 1/tau on    lif_grad
                         0 < I_w < Vth tau/dt), Vth grad
                         from the saturated units
loss                     cross entropy                     spiking_train_pmnist.py L327
optimiser                SGD, no momentum, no decay        L118, L257-258
learning rate            0.1                               L119
lr schedule              StepLR(step 100, gamma 0.1)       L120-122, L265-266, L367
batch size               64                                L110
epochs per task          1                                 L111
lateral neurons, task 0  [80, 200, 100] (per layer)        L175
lateral neurons, task t  [70, 70, 70], minus 20 each       L176, L243-247
                         when t % 3 == 0 (t >= 1)
Hebbian lr per layer     0.001, 0.01, 0.01                 spiking_mlp_hlop.py L63-64, L66
Hebbian iterations       5 per batch                       modules/hlop_module.py
                                                           forward_with_update(iteration=5)
Hebbian rule             dH = y^T (x - H^T y) / B over all hlop_module.py update_weights
                         rows, clamped to +-10, applied
                         with momentum 0.9 and dampening
                         (buf = 0.9 buf + 0.1 dH),
                         H += lr buf; old rows frozen
lateral init             orthogonal_ (new rows only)       hlop_module.py add_subspace
Hebbian input            weighted firing rate of the       L234-236 (hlop_with_wfr);
                         layer's input                     spiking_mlp_hlop.py forward
Hebbian start            first epoch of every task         L127 (hlop_start_epochs=0)
projection               tasks >= 1: weight gradient from  L326 (proj_id_list=[0],
                         x - H_old^T H_old x (rows of the  fix_subspace_id_list=[0]);
                         merged old subspace); none in     modules/proj_linear.py LinearProj
                         task 0                            ._forward_with_proj; L318
subspace merge           after every task                  L391 merge_hlop_subspace
frozen after task 0      thresholds Vth                    L249-256, L277-278 (fix_bn)
lateral neurons spiking  off                               L154 (-hlop_spiking store_true)
evaluation               after task t on tasks 0..t        L377-383
ACC, BWT                 mean of the last row;             end of main(): "Final Avg
                         mean_{j<n-1} (R[n-1,j] - R[j,j])  Accuracy", ``bwt``
fine-tuning baseline     same run without projection and   L132 (-baseline), L312-313, L320-321
                         without Hebbian updates
=======================  ================================  =====================================

Not in the authors' permuted-MNIST script, defined here on the same network and optimiser:
EWC (``method="ewc"``: no projection, penalty ``lambda/2 sum F (theta - theta*)^2`` of
:class:`~spikesim.models.hlop.baselines.EWC`, lambda ``--ewc-lambda``, default ``EWC_LAMBDA`` =
50: with plain SGD at lr 0.1 and the Fisher summed over tasks, lambda = 500 diverged at task 8
on permuted mnist5k (every accuracy at chance); 50 and 5 were stable, 50 forgot less; no other
value was tried) and the multitask bound
(``method="multitask"``: one run over the union of all tasks' training sets for the same
number of epochs, thresholds trainable; ACC over the tasks, no BWT).

Equivalences used for speed (exact up to float rounding; ``tests/test_hlop_paper.py``
compares the gradients with a literal step-by-step implementation): the input current is
the same at every step, so the first layer's product is computed once; the projection and the
weight gradients are linear in the per-step inputs and the per-step gradients of the DSR
backward are equal over time, so the projections act on time-averaged activities.

torch is imported by this module (the ``learn`` extra).
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from spikesim.datasets import load_mnist

from .baselines import EWC

__all__ = ["PAPER_PARAMS", "PaperConfig", "paper_tasks", "PaperSNN", "PaperHLOP", "run_paper",
           "paper_acc_bwt", "lateral_schedule", "estimate_time"]

from .paper_params import (EWC_LAMBDA, OVERRIDABLE, PAPER_PARAMS, PaperConfig,  # noqa: F401
                           lateral_schedule)


# ----------------------------------------------------------------------------------------- data

def _sk_shuffle_indices(n: int, random_state: int) -> np.ndarray:
    """The order ``sklearn.utils.shuffle(a, random_state=s)`` gives (it shuffles ``arange(n)``
    in place with ``numpy.random.RandomState(s)``)."""
    idx = np.arange(n)
    np.random.RandomState(int(random_state)).shuffle(idx)
    return idx


def task_permutations(n_tasks: int = 10, seed: int = 2022) -> list[np.ndarray]:
    """Pixel permutations of the tasks, as dataloader/pmnist.py L17-19 and L43."""
    seeds = np.arange(10)[_sk_shuffle_indices(10, seed)]
    return [_sk_shuffle_indices(784, int(r) * 100 + i) for i, r in enumerate(seeds[:n_tasks])]


def _load_split(directory):
    """``(train, test, how)``: MNIST's official split when the four standard files are there
    (:func:`spikesim.datasets.load_mnist`), else a seeded 80/20 split of a single IDX pair."""
    digits = load_mnist(directory)
    X, y = digits.images.reshape(-1, 784), digits.labels
    if digits.n_train is not None:
        n = digits.n_train
        return (X[:n], y[:n]), (X[n:], y[n:]), "official"
    order = np.random.RandomState(0).permutation(X.shape[0])
    n_tr = int(round(0.8 * X.shape[0]))
    return ((X[order[:n_tr]], y[order[:n_tr]]), (X[order[n_tr:]], y[order[n_tr:]]),
            "seeded 80/20 split of a single IDX set")


class PermutedMNIST:
    """The normalised images once, and one pixel permutation per task (applied per batch)."""

    def __init__(self, directory, cfg: PaperConfig):
        (Xtr, ytr), (Xte, yte), self.split = _load_split(directory)
        rng = np.random.RandomState(cfg.seed)
        if cfg.train_samples < Xtr.shape[0]:
            pick = np.sort(rng.choice(Xtr.shape[0], cfg.train_samples, replace=False))
            Xtr, ytr = Xtr[pick], ytr[pick]
        if cfg.test_samples < Xte.shape[0]:
            pick = np.sort(rng.choice(Xte.shape[0], cfg.test_samples, replace=False))
            Xte, yte = Xte[pick], yte[pick]
        norm = lambda X: torch.from_numpy(((X.astype(np.float32) / 255.0 - np.float32(cfg.mean))
                                           / np.float32(cfg.std)).astype(np.float32))
        self.Xtr, self.ytr = norm(Xtr), torch.from_numpy(ytr.astype(np.int64))
        self.Xte, self.yte = norm(Xte), torch.from_numpy(yte.astype(np.int64))
        self.perms = [torch.from_numpy(p) for p in task_permutations(cfg.tasks, cfg.seed)]

    def train(self, t, idx=None):
        X = self.Xtr if idx is None else self.Xtr[idx]
        y = self.ytr if idx is None else self.ytr[idx]
        return X[:, self.perms[t]], y

    def test(self, t):
        return self.Xte[:, self.perms[t]], self.yte


def paper_tasks(directory, cfg: PaperConfig | None = None) -> PermutedMNIST:
    """The permuted-MNIST tasks of the authors' data loader."""
    return PermutedMNIST(directory, cfg or PaperConfig())


# -------------------------------------------------------------------------------------- network

def _lif(cur, Vth, beta, alpha, T):
    """Spikes (T, B, n) in {0, 1} of the authors' LIF driven by ``cur`` ((B, n) constant or
    (T, B, n)); float32, their order of operations."""
    const = cur.dim() == 2
    u = torch.zeros(cur.shape[-2:], dtype=cur.dtype)
    out = torch.empty((T, *cur.shape[-2:]), dtype=cur.dtype)
    th = alpha * Vth
    for t in range(T):
        u = beta * u + (1 - beta) * (cur if const else cur[t])
        s = (u >= th).to(cur.dtype)
        u = u - s * Vth
        out[t] = s
    return out


class _DSRNet(torch.autograd.Function):
    """Forward of the 3-layer SNN and the authors' DSR backward, with optional projection of
    the weight gradients onto the complement of ``H_old`` per layer."""

    @staticmethod
    def forward(ctx, x, W1, W2, W3, V1, V2, net, Hs):
        T, alpha, dt = net.T, net.alpha, net.delta_t
        w = net.step_weights                              # normalised b^(T-t), t = 1..T
        i1 = x @ W1.T                                     # the same current at every step
        s1 = _lif(i1, V1, net._beta_t, alpha, T)
        a1 = s1 * V1 / dt                                 # spike value Vth/dt
        c2 = (a1.reshape(-1, a1.shape[-1]) @ W2.T).reshape(T, x.shape[0], -1)
        s2 = _lif(c2, V2, net._beta_t, alpha, T)
        a2 = s2 * V2 / dt
        r1w = torch.einsum("t,tbn->bn", w, a1)           # weighted firing rates
        r2w = torch.einsum("t,tbn->bn", w, a2)
        logits = r2w @ W3.T
        ctx.save_for_backward(x, W1, W2, W3, V1, V2, i1, a1.mean(0), r1w, r2w)
        ctx.net, ctx.Hs = net, Hs
        net._last = ((s1, s2) if net.keep_spikes else None, (x, r1w, r2w))
        return logits

    @staticmethod
    def backward(ctx, g):
        x, W1, W2, W3, V1, V2, i1, m1, r1w, r2w = ctx.saved_tensors
        net, Hs = ctx.net, ctx.Hs
        dt, tau, T = net.delta_t, net.tau, net.T
        w = net.step_weights
        kappa = T * float((w * w).sum())

        def orth(a, l):
            H = Hs[l] if Hs is not None else None
            return a if H is None or not H.shape[0] else a - (a @ H.T) @ H

        gW3 = g.T @ orth(r2w, 2)
        code2 = kappa * (g @ W3)                          # T x weighted rate of dL/d(output_t)
        I2w = r1w @ W2.T                                  # weighted rate of the input current
        top2 = V2 / dt * tau
        gin2 = torch.where((I2w > 0) & (I2w < top2), code2 / tau, torch.zeros_like(code2))
        gV2 = (code2 * (I2w > top2)).sum() * dt
        gW2 = gin2.T @ orth(m1, 1)                        # per-step gradient gin2 / T
        code1 = gin2 @ W2
        top1 = V1 / dt * tau
        gin1 = torch.where((i1 > 0) & (i1 < top1), code1 / tau, torch.zeros_like(code1))
        gV1 = (code1 * (i1 > top1)).sum() * dt
        gW1 = gin1.T @ orth(x, 0)
        gx = gin1 @ W1 if ctx.needs_input_grad[0] else None
        return gx, gW1, gW2, gW3, gV1.reshape(V1.shape), gV2.reshape(V2.shape), None, None


class PaperSNN(nn.Module):
    """784-H-H-10 spiking MLP of the authors (no biases, LIF with reset by subtraction, DSR)."""

    def __init__(self, cfg: PaperConfig | None = None):
        super().__init__()
        cfg = cfg or PaperConfig()
        n = cfg.hidden
        self.sizes = [784, n, n, 10]
        self.fc1 = nn.Linear(784, n, bias=False)          # construction order of the authors
        self.fc2 = nn.Linear(n, n, bias=False)
        self.fc3 = nn.Linear(n, 10, bias=False)
        self.Vth1 = nn.Parameter(torch.tensor(float(cfg.Vth)))
        self.Vth2 = nn.Parameter(torch.tensor(float(cfg.Vth)))
        self.T, self.tau, self.delta_t, self.alpha = cfg.T, cfg.tau, cfg.delta_t, cfg.alpha
        self.Vth_bound = cfg.Vth_bound
        beta = torch.exp(torch.tensor(-self.delta_t / self.tau))
        self.beta = float(beta)
        self._beta_t = beta
        k = torch.arange(1, self.T + 1, dtype=torch.float64)
        w = torch.exp(-(self.delta_t * self.T - k * self.delta_t) / self.tau)
        self.step_weights = (w / w.sum()).float()
        self.reset = "subtract"
        self._last = None
        self.keep_spikes = False

    @property
    def layers(self):
        return [self.fc1, self.fc2, self.fc3]

    def forward(self, x, Hs=None):
        """Logits for ``x`` (B, 784); ``Hs`` (one (M, n_in) tensor per layer, or None): the
        weight gradients are projected onto the complement of their rows."""
        if x.dim() != 2 or x.shape[1] != 784:
            raise ValueError(f"input must have shape (batch, 784), got {tuple(x.shape)}")
        with torch.no_grad():
            for V in (self.Vth1, self.Vth2):
                V.copy_(F.relu(V - self.Vth_bound) + self.Vth_bound)
        return _DSRNet.apply(x, self.fc1.weight, self.fc2.weight, self.fc3.weight, self.Vth1,
                             self.Vth2, self, Hs)

    def activities(self):
        """Weighted firing rates of the three layers' inputs in the last forward pass."""
        return self._last[1]

    # deployment into the spikesim kernel (see hlop.deploy.to_network)
    def deploy_view(self):
        return _DeployView(self)


class _Lin:
    def __init__(self, W):
        self.weight = W
        self.bias = torch.zeros(W.shape[0], dtype=W.dtype)
        self.in_features, self.out_features = W.shape[1], W.shape[0]


class _DeployView:
    """What :func:`hlop.deploy.to_network` reads: unit spikes, the amplitude Vth/dt folded into
    the next layer's weights, threshold alpha Vth, reset by subtracting Vth."""

    def __init__(self, m: PaperSNN):
        V = [float(m.Vth1.detach()), float(m.Vth2.detach())]
        self.sizes, self.T, self.beta, self.reset = m.sizes, m.T, m.beta, "subtract"
        self._theta = [m.alpha * v for v in V]
        self._V = V
        W = [l.weight.detach().clone() for l in m.layers]
        self.layers = [_Lin(W[0]), _Lin(W[1] * V[0] / m.delta_t), _Lin(W[2] * V[1] / m.delta_t)]

    def theta(self, i):
        return torch.tensor(self._theta[i])

    def reset_value(self, i):
        """``v_reset`` such that the kernel's ``v -= v_thresh - v_reset`` subtracts Vth."""
        return self._theta[i] - self._V[i]


# ------------------------------------------------------------------------------------- subspace

class PaperHLOP:
    """Lateral weights of one layer as the authors' HLOP module: rows added per task with
    ``orthogonal_`` init, Oja-subspace updates over all rows with the old rows frozen,
    momentum 0.9 with dampening, clamp +-10; projection with the merged rows ``H^T H``."""

    def __init__(self, dim, lr, momentum=0.9, clamp=10.0):
        self.dim, self.lr, self.m, self.clamp = int(dim), float(lr), float(momentum), float(clamp)
        self.H = torch.zeros(0, self.dim)
        self.buf = torch.zeros(0, self.dim)
        self.n_old = 0

    def add(self, k):
        k = int(min(k, self.dim - self.H.shape[0]))
        if k <= 0:
            return 0
        new = torch.zeros(k, self.dim)
        nn.init.orthogonal_(new)
        self.H = torch.cat([self.H, new])
        self.buf = torch.cat([self.buf, torch.zeros(k, self.dim)])
        return k

    def merge(self):
        self.n_old = self.H.shape[0]

    @property
    def old(self):
        return self.H[:self.n_old]

    @torch.no_grad()
    def update(self, x, iters):
        n = self.n_old
        if self.H.shape[0] == n:
            return
        for _ in range(iters):
            y = x @ self.H.T
            resid = x - y @ self.H
            d = (y[:, n:].T @ resid / x.shape[0]).clamp_(-self.clamp, self.clamp)
            self.buf[n:] = self.m * self.buf[n:] + (1 - self.m) * d
            self.H[n:] += self.lr * self.buf[n:]

    def orthonormality_error(self):
        H = self.H
        return 0.0 if not H.shape[0] else float((H @ H.T - torch.eye(H.shape[0])).abs().max())


# --------------------------------------------------------------------------------------- runner

def paper_acc_bwt(R):
    """ACC and BWT as the authors' script prints them: the mean of the last row of ``R``
    (accuracy on task j after training task i) and the mean of ``R[-1, j] - R[j, j]`` over
    ``j < n-1``."""
    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1]:
        raise ValueError(f"R must be a square matrix, got shape {R.shape}")
    acc = float(R[-1].mean())
    bwt = float(np.mean((R[-1] - np.diag(R))[:-1])) if R.shape[0] > 1 else None
    return acc, bwt


@torch.no_grad()
def _evaluate(model, X, y, batch=1000):
    model.eval()
    hits = 0
    for i in range(0, X.shape[0], batch):
        hits += int((model(X[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    return hits / X.shape[0]


class _Trainer:
    def __init__(self, cfg, method, lam=EWC_LAMBDA, fisher_samples=500):
        if method not in ("hlop", "finetune", "ewc", "multitask"):
            raise ValueError(f"method must be hlop, finetune, ewc or multitask; got {method!r}")
        self.cfg, self.method = cfg, method
        torch.manual_seed(cfg.seed)
        self.rng = np.random.RandomState(cfg.seed)       # the authors' np.random.shuffle
        self.model = PaperSNN(cfg)
        self.subs = [PaperHLOP(d, lr) for d, lr in zip(self.model.sizes[:3], cfg.hebb_lr)]
        self.ewc = EWC(self.model, lam=lam, fisher_samples=fisher_samples) if method == "ewc" \
            else None
        self.used_lateral = []
        self.done = 0

    def begin_task(self, t, k):
        self.used_lateral.append([s.add(kk) for s, kk in zip(self.subs, k)])
        first = self.done == 0
        for V in (self.model.Vth1, self.model.Vth2):
            V.requires_grad_(first and self.cfg.train_Vth)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.SGD(params, lr=self.cfg.lr)
        self.sched = torch.optim.lr_scheduler.StepLR(self.opt, step_size=self.cfg.lr_step_size,
                                                     gamma=self.cfg.lr_gamma)

    def step(self, X, y):
        m = self.model
        m.train()
        project = self.method == "hlop" and self.done > 0
        Hs = [s.old for s in self.subs] if project else None
        out = m(X, Hs)
        if self.method == "hlop":
            for s, a in zip(self.subs, m.activities()):
                s.update(a, self.cfg.hebb_iters)
        loss = F.cross_entropy(out, y)
        pen = self.ewc.penalty() if self.ewc is not None else None
        self.opt.zero_grad()
        (loss if pen is None else loss + pen).backward()
        self.opt.step()
        return float(loss.detach())

    def train_epochs(self, data, t_list, epochs, max_batches=None, progress=None):
        n = data.Xtr.shape[0]
        bs = self.cfg.batch_size
        losses = []
        for _ in range(epochs):
            if len(t_list) == 1:
                r = np.arange(n)
                self.rng.shuffle(r)
                batches = [(t_list[0], r[i:i + bs]) for i in range(0, n, bs)]
            else:                                         # multitask: the union of the tasks
                r = np.arange(n * len(t_list))
                self.rng.shuffle(r)
                batches = [(None, r[i:i + bs]) for i in range(0, len(r), bs)]
            tot = 0.0
            for b, (t, idx) in enumerate(batches):
                if max_batches is not None and b >= max_batches:
                    break
                if t is None:
                    tt, ii = idx // n, idx % n
                    X = torch.empty(len(idx), 784)
                    for task in np.unique(tt):
                        sel = tt == task
                        X[torch.from_numpy(np.nonzero(sel)[0])] = data.train(
                            t_list[task], torch.from_numpy(ii[sel]))[0]
                    y = data.ytr[torch.from_numpy(ii)]
                else:
                    X, y = data.train(t, torch.from_numpy(idx))
                tot += self.step(X, y) * len(idx)
                if progress is not None:
                    progress(b, len(batches))
            self.sched.step()
            losses.append(tot / max(1, min(len(batches), max_batches or len(batches)) * bs))
        return losses

    def end_task(self, data, t):
        if self.ewc is not None:
            n = min(self.ewc.n, data.Xtr.shape[0])
            X, y = data.train(t, torch.arange(n))
            self.ewc.end_task(X, y, self.cfg.batch_size)
        for s in self.subs:
            s.merge()
        self.done += 1


def run_paper(data_dir, method: str = "hlop", cfg: PaperConfig | None = None, threads: int = 2,
              lam: float = EWC_LAMBDA, verbose: bool = False, data: PermutedMNIST | None = None,
              keep_model: bool = False) -> dict:
    """Run the authors' permuted-MNIST protocol with ``method`` (hlop, finetune, ewc,
    multitask); returns a JSON-ready dict (accuracy matrix ``R``, ``acc``, ``bwt``, the
    protocol values used, per-task lateral neurons, wall time)."""
    cfg = cfg or PaperConfig()
    torch.set_num_threads(max(1, int(threads)))
    data = data or paper_tasks(data_dir, cfg)
    torch.set_flush_denormal(True)
    t0 = time.perf_counter()
    try:
        tr = _Trainer(cfg, method, lam=lam)
        sched = lateral_schedule(cfg.tasks, cfg.lateral_first, cfg.lateral_inc, cfg.lateral_dec)
        n = cfg.tasks
        R = np.zeros((n, n))
        losses = []
        if method == "multitask":
            tr.begin_task(0, sched[0])
            losses.append(tr.train_epochs(data, list(range(n)), cfg.epochs))
            row = [_evaluate(tr.model, *data.test(j)) for j in range(n)]
            R = np.array([row])
            acc, bwt = float(np.mean(row)), None
        else:
            for t in range(n):
                tr.begin_task(t, sched[t])
                losses.append(tr.train_epochs(data, [t], cfg.epochs))
                for j in range(t + 1):
                    R[t, j] = _evaluate(tr.model, *data.test(j))
                tr.end_task(data, t)
                if verbose:
                    print(f"[paper/{method}] task {t}: " + " ".join(f"{a:.3f}" for a in
                                                                     R[t, :t + 1]), flush=True)
            acc, bwt = paper_acc_bwt(R)
    finally:
        torch.set_flush_denormal(False)
    wall = time.perf_counter() - t0
    used = cfg.as_dict()
    used.update(train_samples=int(data.Xtr.shape[0]), test_samples=int(data.Xte.shape[0]))
    used.update(T=tr.model.T, tau=tr.model.tau, delta_t=tr.model.delta_t, alpha=tr.model.alpha,
                hidden=tr.model.sizes[1], lr=tr.opt.defaults["lr"],
                optimizer=type(tr.opt).__name__, hebb_lr=[s.lr for s in tr.subs],
                hebb_momentum=tr.subs[0].m, hebb_clamp=tr.subs[0].clamp,
                bias=any(l.bias is not None for l in tr.model.layers))
    res = {"protocol": "paper", "method": method, "split": data.split, "R": R.tolist(),
           "acc": acc, "bwt": bwt, "used": used, "lateral_added": tr.used_lateral,
           "orthonormality_error": [s.orthonormality_error() for s in tr.subs],
           "loss": losses, "threads": int(threads), "wall_time_s": wall}
    if method == "ewc":
        res["ewc_lambda"] = float(lam)
    if keep_model:
        res["model"] = tr.model
    return res


def estimate_time(data_dir, threads: int = 1, batches: int = 20, eval_samples: int = 2000,
                  cfg: PaperConfig | None = None) -> dict:
    """Time ``batches`` training batches of the full-size network at the first and at the
    last task's subspace sizes, and the test-set evaluation; extrapolate to the protocol.

    The Hebbian cost grows with the number of lateral rows M (linear interpolation between the
    two measured points); training batches per task = ceil(60000/64); evaluations: after task t
    on tasks 0..t (55 test sets of 10,000 for 10 tasks).
    """
    cfg = cfg or PaperConfig()
    full = PaperConfig(seed=cfg.seed)
    data = paper_tasks(data_dir, PaperConfig(train_samples=batches * full.batch_size + 64,
                                             test_samples=eval_samples, seed=cfg.seed))
    torch.set_num_threads(max(1, int(threads)))
    sched = lateral_schedule(full.tasks)
    totals = np.cumsum(np.array(sched), axis=0)
    torch.set_flush_denormal(True)
    try:
        tr = _Trainer(full, "hlop")
        tr.begin_task(0, sched[0])
        tr.train_epochs(data, [0], 1, max_batches=2)                 # warm-up
        t0 = time.perf_counter()
        tr.train_epochs(data, [0], 1, max_batches=batches)
        first = (time.perf_counter() - t0) / batches
        # the last task: merged rows of tasks 0..8 (random orthonormal) + the new rows
        for s, M in zip(tr.subs, totals[-2]):
            s.H = torch.linalg.qr(torch.randn(s.dim, int(M)))[0].T.contiguous()
            s.buf = torch.zeros_like(s.H)
            s.merge()
        tr.done = 1
        tr.begin_task(9, sched[-1])
        tr.train_epochs(data, [0], 1, max_batches=2)
        t0 = time.perf_counter()
        tr.train_epochs(data, [0], 1, max_batches=batches)
        last = (time.perf_counter() - t0) / batches
        t0 = time.perf_counter()
        _evaluate(tr.model, *data.test(0))
        ev = (time.perf_counter() - t0) / eval_samples
    finally:
        torch.set_flush_denormal(False)
    nb = math.ceil(full.train_samples / full.batch_size)
    M = totals.sum(axis=1)
    per_batch = first + (last - first) * (M - M[0]) / max(1, M[-1] - M[0])
    train = float(nb * per_batch.sum())
    n_eval = full.tasks * (full.tasks + 1) // 2
    evaluate = float(n_eval * full.test_samples * ev)
    return {"threads": int(threads), "dtype": "float32", "batch_s_first_task": first,
            "batch_s_last_task": last, "eval_s_per_sample": ev, "batches_per_task": nb,
            "train_s": train, "eval_s": evaluate, "total_s": train + evaluate,
            "timed_batches": batches}
