"""Deploy a trained :class:`~spikesim.models.hlop.snn.SpikingMLP` into the spikesim kernel.

Mapping of the DSR/BPTT neuron ``u_t = beta u_{t-1} + (1-beta) I_t`` (Xiao et al., ICLR 2024;
Meng et al., CVPR 2022) onto ``IF_curr_exp`` (exact integration, NEST ``iaf_psc_exp``):

- one model step = ``dt`` = 1 ms; ``tau_m = -dt / ln(beta)`` so that ``P22 = beta``;
  ``v_rest = 0``, ``v_thresh = theta = alpha V_th`` (mV, model units), ``cm = 1 nF``.
- synapses: ``tau_syn = dt / 50`` so the current of a spike is gone after one step
  (``P11 = e^{-50}``); the kernel adds ``P21 w`` to ``v`` one step after arrival, hence
  ``w = (1-beta) W / P21`` (nA), with
  ``P21 = (e^{-h/tau_m} - e^{-h/tau_s}) / (cm (1/tau_s - 1/tau_m))``. A signed weight matrix
  becomes an excitatory (``W > 0``) and an inhibitory (``W < 0``) projection.
- each layer lags its input by 2 steps (1 step of axonal delay + 1 of the synaptic current);
  biases arrive through a bias source that fires at every model step, with delay
  ``1 + 2 (l - 2)`` steps for hidden layer ``l >= 2`` so that they line up with the spikes.
- input by constant current (exact): ``i_offset = (W_1 x + b_1) cm / tau_m`` gives the
  kernel's ``v_const = (1-beta) I``. Input by rate (approximate): Poisson sources at
  ``x * max_rate`` feeding ``W_1``.
- output layer: the same LIF with an unreachable threshold; its final ``v`` equals
  ``(1-beta) sum_t beta^(T-t) (W s_t + b)``, proportional to the torch logits.
- reset: the model's own. ``reset="subtract"`` (the paper's neuron, ``u -= theta`` at a spike)
  deploys as ``IF_curr_exp(reset="subtract")`` with ``v_reset = 0``, so that ``v -= v_thresh``;
  ``reset="zero"`` as the default reset to ``v_reset = 0``. Either is reproduced spike for spike
  (up to float32 rounding).
- models with ``deploy_view()`` (the paper-protocol :class:`~spikesim.models.hlop.paper.PaperSNN`)
  are deployed through that view: its spikes carry the value ``Vth/dt``, folded into the next
  layer's weights, and its neuron fires at ``alpha Vth`` but subtracts ``Vth``, given to the
  kernel as ``v_reset = alpha Vth - Vth`` (``reset_value``) so that ``v -= v_thresh - v_reset``.

Several samples run at once as disconnected copies of the network (block-diagonal synapses).
"""
from __future__ import annotations

import math

import numpy as np

import spikesim as ss


def _p21(tau_m, tau_s, cm, h):
    return (math.exp(-h / tau_m) - math.exp(-h / tau_s)) / (cm * (1.0 / tau_s - 1.0 / tau_m))


def _block(n_copies, n_pre, n_post, W):
    """FromList arrays of ``n_copies`` disconnected copies of a dense (n_pre, n_post) matrix."""
    pre, post = np.nonzero(W)
    w = W[pre, post]
    off = np.arange(n_copies)[:, None]
    return ((pre[None] + off * n_pre).ravel(), (post[None] + off * n_post).ravel(),
            np.tile(w, n_copies))


def to_network(model, X, dt: float = 1.0, input: str = "current", max_rate: float = 500.0,
               seed: int = 0, record_spikes: bool = False):
    """Build a spikesim Network that runs ``model`` on the samples ``X`` (B, n_in) in parallel.

    Returns ``(net, info)``; ``info`` has ``"layers"`` (the populations), ``"output"``,
    ``"duration"`` (ms to run), ``"recorders"`` (with ``record_spikes``) and ``"sizes"``.
    """
    import torch

    if hasattr(model, "deploy_view"):
        model = model.deploy_view()
    X = np.asarray(X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else X, np.float64)
    sizes = model.sizes
    if X.ndim != 2 or X.shape[1] != sizes[0]:
        raise ValueError(f"X must have shape (batch, {sizes[0]}), got {X.shape}")
    if input not in ("current", "rate"):
        raise ValueError(f"input must be 'current' or 'rate', got {input!r}")
    if not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt!r}")
    B, beta, T = X.shape[0], model.beta, model.T
    tau_m = -dt / math.log(beta)
    tau_s = dt / 50.0
    cm = 1.0
    scale = (1.0 - beta) / _p21(tau_m, tau_s, cm, dt)
    Ws = [lin.weight.detach().double().numpy().T for lin in model.layers]   # (pre, post)
    bs = [lin.bias.detach().double().numpy() for lin in model.layers]
    thetas = [float(model.theta(i).detach()) for i in range(len(sizes) - 2)]
    nh = len(sizes) - 2

    net = ss.Network(dt=dt, seed=seed, dtype="float32")
    layers, recs = [], []
    common = dict(tau_m=tau_m, cm=cm, v_rest=0.0, tau_refrac=0.0, tau_syn_E=tau_s,
                  tau_syn_I=tau_s)
    for l in range(nh + 1):
        n = B * sizes[l + 1]
        vth = thetas[l] if l < nh else 1e9
        i_off = 0.0
        if l == 0 and input == "current":
            i_off = ((X @ Ws[0] + bs[0]) * cm / tau_m).ravel()
        reset = "subtract" if getattr(model, "reset", "zero") == "subtract" else "value"
        v_reset = model.reset_value(l) if l < nh and hasattr(model, "reset_value") else 0.0
        pop = net.add_population(n, ss.IF_curr_exp(v_thresh=vth, i_offset=i_off, reset=reset,
                                                   v_reset=v_reset, **common),
                                 label=f"hidden{l + 1}" if l < nh else "output")
        layers.append(pop)
        if record_spikes and l < nh:
            recs.append(net.record(pop, "spikes"))

    def connect(pre, post, pre_i, post_i, w, delay):
        for sign, rec in ((1, "excitatory"), (-1, "inhibitory")):
            m = (w * sign) > 0
            if m.any():
                net.connect(pre, post, ss.FromList(pre_i[m], post_i[m], weight=w[m],
                                                   delay=np.full(m.sum(), delay)),
                            receptor_type=rec)

    if input == "rate":
        src = net.add_population(B * sizes[0], ss.SpikeSourcePoisson(
            rate=np.clip(X, 0, 1).ravel() * max_rate), label="input")
        # a Poisson rate r (Hz) gives r dt/1000 spikes per step; scale so the mean drive is W x
        pi, po, w = _block(B, sizes[0], sizes[1], Ws[0])
        connect(src, layers[0], pi, po, w * scale * 1000.0 / (max_rate * dt), dt)
        bias0 = np.tile(bs[0], B) * cm / tau_m
        layers[0].set(i_offset=bias0)
    bias = net.add_population(1, ss.SpikeSourceArray(np.arange(1, T + 1) * dt), label="bias")
    for l in range(1, nh + 1):
        pi, po, w = _block(B, sizes[l], sizes[l + 1], Ws[l])
        connect(layers[l - 1], layers[l], pi, po, w * scale, dt)
        n = B * sizes[l + 1]
        connect(bias, layers[l], np.zeros(n, np.int64), np.arange(n), np.tile(bs[l], B) * scale,
                (1 + 2 * (l - 1)) * dt)
    info = {"layers": layers[:-1], "output": layers[-1], "recorders": recs, "sizes": sizes,
            "duration": (T + 2 * nh) * dt, "batch": B}
    return net, info


def kernel_logits(model, X, batch: int = 50, **kw) -> np.ndarray:
    """Logits (up to a positive factor) of ``model`` on ``X`` computed in the spikesim kernel."""
    out = []
    for i in range(0, X.shape[0], batch):
        net, info = to_network(model, X[i:i + batch], **kw)
        net.run(info["duration"], progress=False)
        out.append(np.asarray(info["output"].v, np.float64).reshape(-1, model.sizes[-1]))
    return np.concatenate(out)


def kernel_accuracy(model, X, y, batch: int = 50, **kw) -> float:
    """Test accuracy of the deployed network in the event-driven kernel."""
    y = np.asarray(y)
    return float((kernel_logits(model, X, batch, **kw).argmax(1) == y).mean())


def check_deploy_request(tasks, samples: int, n_tasks: int, n_test: int,
                         names: tuple[str, str] = ("tasks", "samples")) -> list[int]:
    """Validate which tasks and how many test images a deployment comparison uses.

    Parameters
    ----------
    tasks : iterable of int
        Task indices, each in ``0 .. n_tasks - 1``; duplicates are an error.
    samples : int
        Test images per task, ``1 <= samples <= n_test``.
    n_tasks, n_test : int
        Number of tasks trained, and test images per task available.
    names : (str, str)
        How errors name the two parameters (e.g. ``("--deploy-tasks", "--deploy-samples")``).

    Returns
    -------
    list of int
        The task indices in the order given.

    Raises
    ------
    ValueError
        Naming the parameter and the value that is out of range.
    """
    tasks = list(tasks)
    if not tasks:
        raise ValueError(f"{names[0]} must name at least one task, got {tasks!r}")
    for t in tasks:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t < n_tasks:
            raise ValueError(f"{names[0]}: task index {t!r} is not one of the {n_tasks} tasks "
                             f"trained (0..{n_tasks - 1}), got {tasks!r}")
    if len(set(tasks)) != len(tasks):
        raise ValueError(f"{names[0]} lists a task twice, got {tasks!r}")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"{names[1]} must be an integer >= 1, got {samples!r}")
    if samples > n_test:
        raise ValueError(f"{names[1]} must be at most the {n_test} test images of a task, "
                         f"got {samples!r}")
    return [int(t) for t in tasks]


def compare_deployed(model, data, tasks, samples: int = 1000, seed: int = 0, batch: int = 50,
                     verbose: bool = False) -> dict:
    """Accuracy of ``model`` in torch and deployed in the spikesim kernel, on the same images.

    The same ``samples`` test images (drawn without replacement with
    ``numpy.random.RandomState(seed)``, in their test-set order; all of them when ``samples``
    equals the test set) are taken from each task, permuted as that task permutes its pixels.

    Parameters
    ----------
    model : torch.nn.Module
        A trained :class:`~spikesim.models.hlop.paper.PaperSNN` or
        :class:`~spikesim.models.hlop.snn.SpikingMLP`; ``model(X)`` gives its logits.
    data : object
        ``data.test(t)`` returns the test images ``(n_test, n_in)`` and labels of task ``t``,
        ``data.perms`` holds one pixel permutation per task
        (:class:`~spikesim.models.hlop.paper.PermutedMNIST`).
    tasks : iterable of int
        Task indices (see :func:`check_deploy_request`).
    samples : int
        Test images per task.
    seed : int
        Seed of the image selection.
    batch : int
        Images simulated at once in the kernel (disconnected copies of the network).
    verbose : bool
        Print progress per kernel batch.

    Returns
    -------
    dict
        ``tasks``, ``samples``, ``seed``, ``batch``, ``indices`` (test-set rows used) and
        ``per_task``: one dict per task with ``task``, ``torch`` and ``kernel`` accuracy
        (fractions), ``diff_points`` (kernel - torch, percentage points), ``agree`` (fraction of
        images with the same predicted class), ``images_logits_differ`` (images whose kernel
        logits, divided by their common factor to torch's, differ from torch's by more than
        1e-3 of that image's largest torch logit), ``logit_factor``, ``torch_s`` and
        ``kernel_s`` (wall time, s), ``loadavg_start`` / ``loadavg_end`` (1, 5, 15 min).
    """
    import os
    import time

    import torch

    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
    n_test = int(data.test(0)[0].shape[0])
    tasks = check_deploy_request(tasks, samples, n_tasks=len(data.perms), n_test=n_test)
    rows = np.arange(n_test) if samples == n_test else \
        np.sort(np.random.RandomState(seed).choice(n_test, int(samples), replace=False))
    sel = torch.from_numpy(rows)
    out = {"tasks": tasks, "samples": int(samples), "seed": int(seed), "batch": int(batch),
           "indices": rows.tolist(), "per_task": []}
    model.eval()
    for t in tasks:
        X, y = data.test(t)
        X, y = X[sel], np.asarray(y[sel])
        load0 = os.getloadavg()
        t0 = time.perf_counter()
        with torch.no_grad():
            tl = model(X).double().numpy()
        t1 = time.perf_counter()
        parts = []
        for i in range(0, X.shape[0], batch):
            parts.append(kernel_logits(model, X[i:i + batch], batch=batch))
            if verbose:
                print(f"[deploy] task {t}: {min(i + batch, X.shape[0])}/{X.shape[0]} images in "
                      f"the kernel, {time.perf_counter() - t1:.0f} s", flush=True)
        kl = np.concatenate(parts)
        t2 = time.perf_counter()
        c = float((kl * tl).sum() / max((tl * tl).sum(), 1e-300))
        scale = np.maximum(np.abs(tl).max(1), 1e-12)
        dev = np.abs(kl / c - tl).max(1) / scale
        acc_t = float((tl.argmax(1) == y).mean())
        acc_k = float((kl.argmax(1) == y).mean())
        rec = {"task": t, "torch": acc_t, "kernel": acc_k, "diff_points": 100.0 * (acc_k - acc_t),
               "agree": float((kl.argmax(1) == tl.argmax(1)).mean()),
               "images_logits_differ": int((dev > 1e-3).sum()), "logit_factor": c,
               "torch_s": t1 - t0, "kernel_s": t2 - t1, "loadavg_start": list(load0),
               "loadavg_end": list(os.getloadavg())}
        out["per_task"].append(rec)
        if verbose:
            print(f"[deploy] task {t}: torch {100 * acc_t:.2f} %  kernel {100 * acc_k:.2f} %  "
                  f"agree {100 * rec['agree']:.1f} %  ({samples} images, {t2 - t1:.0f} s in the "
                  "kernel)", flush=True)
    return out
