"""The whole (NA)LSM experiment: data, W_INI initialisation, liquid features on both cores, readout.

:func:`run_lsm` is what ``spikesim lsm`` and ``benchmarks/lsm.py`` call. Samples
are independent (each starts from a reset state and the W_INI weights), so
they are spread over worker processes, each with its own :class:`Liquid`
built from the same seed. Every sample's input draws come from its own
generator (``seed``, phase, sample index), so results do not depend on the
number of workers.
"""
from __future__ import annotations

import hashlib
import json
import math
import multiprocessing as mp
import os
import sys
import time
from dataclasses import asdict, replace

import numpy as np

from spikesim import _validate as V
from spikesim.analysis import branching_factor

from .liquid import (
    MODES,
    Liquid,
    LSMParams,
    bernoulli_events,
    grid_for,
    init_params,
    input_neuron_spikes,
)
from .cache import FeatureCache
from .readout import fit_paper_readout, fit_readout, l1_normalise, paper_features

DATASETS = ("mnist", "fsdd", "nmnist")
BLOCK = 50  # samples per worker task (one SpikeSourceArray update each)
SPLIT_SEED = 1  # the train/validation/test split's seed (fixed: the network seed does not move it)
EDGE_MS = 25  # branching factor: the first and last 25 ms of a sample are ignored


#: What ``spikesim lsm --protocol`` sets: the authors' model and readout, or spikesim's.
#: ``weight_scale`` acts in mode ``lsm`` only; 0.2 is the scale validation chose on full
#: MNIST for every seed (benchmarks/README.md), the paper's LSM being a tuned one.
PROTOCOLS = {
    "paper": dict(hop_ms=1, same_step_pairs=False, init_keeps_traces=True, readout="paper",
                  weight_scale=0.2),
    "spikesim": dict(hop_ms=2, same_step_pairs=True, init_keeps_traces=False, readout="ours",
                     weight_scale=1.0),
}


def default_protocol(dataset: str, data_dir, n_samples: int | None = None) -> str:
    """``"paper"`` when the run is the paper's MNIST protocol, ``"spikesim"`` otherwise.

    The paper's protocol (Ivanov & Michmizos 2021; combra-lab/NALSM) is full MNIST:
    the four standard files, split 50,000/10,000/10,000 (:func:`load_dataset`), with no
    ``n_samples`` subset. Its settings are :data:`PROTOCOLS` ``["paper"]``.
    """
    V.choice("dataset", dataset, DATASETS)
    if dataset != "mnist" or n_samples:
        return "spikesim"
    from spikesim.datasets.mnist import standard_train_count

    return "paper" if standard_train_count(data_dir) == 60000 else "spikesim"


class Source:
    """Input events of every sample of a data set: ``events(i, phase, n_steps, start)``."""

    def __init__(self, kind: str, data, n_inputs: int, duration_ms: int, seed: int) -> None:
        self.kind, self.data, self.n_inputs, self.duration_ms, self.seed = kind, data, n_inputs, duration_ms, seed

    def events(self, i: int, phase: int, n_steps: int | None = None, start: int = 0) -> np.ndarray:
        T = n_steps or self.duration_ms
        rng = np.random.default_rng([self.seed, phase, int(i)])
        if self.kind == "rates":  # (n_inputs,) per sample
            return bernoulli_events(self.data[i], T, rng)
        if self.kind == "rates_t":  # (duration, n_inputs) per sample
            return bernoulli_events(self.data[i][start:start + T], T, rng)
        from spikesim.datasets.nmnist import event_raster, read_events
        r = event_raster(read_events(self.data[i]), self.duration_ms).reshape(self.duration_ms, -1)
        return r[start:start + T]

    def spikes(self, idx, phase: int, n_steps: int | None = None, starts=None) -> list:
        ev = np.stack([self.events(i, phase, n_steps, 0 if starts is None else s)
                       for i, s in zip(idx, starts if starts is not None else [0] * len(idx))])
        return list(input_neuron_spikes(ev))


def load_dataset(dataset: str, data_dir, seed: int, n_samples: int | None = None,
                 duration_ms: int | None = None, fsdd_options: dict | None = None,
                 split_seed: int | None = None) -> dict:
    """Labels, the train/validation/test split, the input :class:`Source` and raw features.

    ``seed`` fixes the input spike draws; ``split_seed`` (default :data:`SPLIT_SEED`)
    the split and the ``n_samples`` subset, so runs with different seeds share one split.
    mnist: a single IDX pair (e.g. mnist5k) is shuffled with ``split_seed`` and split
    70/10/20 % (3,500/500/1,000 of 5,000); the four standard files give the
    paper's 50k/10k/10k (first 50k of the training file, its last 10k, ``t10k``).
    fsdd: stratified 80/20 train/test, and 1/8 of the training part (stratified)
    as validation; front end :func:`spikesim.datasets.speech_rates` with 32 mel
    channels, 4 input neurons each, ``p_max`` 0.5 (``fsdd_options`` overrides). nmnist: ``Train``/``Test`` folders, 1/6 of ``Train`` as validation.
    ``n_samples`` keeps a random subset (for quick runs).
    """
    from spikesim import datasets as D

    V.choice("dataset", dataset, DATASETS)
    split_seed = SPLIT_SEED if split_seed is None else int(split_seed)
    rng = np.random.default_rng([split_seed, 99])
    if dataset == "mnist":
        dig = D.load_mnist(data_dir)
        T = duration_ms or 250
        p, _ = D.nalsm_rates(dig.images)
        y = dig.labels
        if dig.n_train == 60000 and not n_samples:
            split = (np.arange(50000), np.arange(50000, 60000), np.arange(60000, 70000))
        else:
            order = rng.permutation(y.shape[0])[:n_samples or None]
            a, b = int(round(0.7 * order.shape[0])), int(round(0.8 * order.shape[0]))
            split = (order[:a], order[a:b], order[b:])
        src = Source("rates", p.astype(np.float32), p.shape[1], T, seed)
        raw = dig.images.reshape(dig.images.shape[0], -1) / 255.0
        return dict(y=y, split=split, source=src, raw=raw, init_ms=20)
    if dataset == "fsdd":
        rec = D.load_fsdd(data_dir)
        T = duration_ms or 250
        opts = {**dict(n_mels=32, p_max=0.5, repeat=4), **(fsdd_options or {})}
        y = rec.labels
        keep = np.sort(rng.permutation(y.shape[0])[:n_samples]) if n_samples else np.arange(y.shape[0])
        rates = [None] * y.shape[0]
        for i in keep:
            rates[i] = D.speech_rates(rec.signals[i], rec.rate, T, **opts).astype(np.float32)
        tr, te = D.stratified_split(y[keep], 0.2, split_seed)
        tr2, va = D.stratified_split(y[keep][tr], 0.125, split_seed + 1)
        split = (keep[tr][tr2], keep[tr][va], keep[te])
        n_in = rates[keep[0]].shape[1]
        raw = np.zeros((y.shape[0], n_in))
        for i in keep:
            raw[i] = rates[i].mean(0)
        return dict(y=y, split=split, source=Source("rates_t", rates, n_in, T, seed), raw=raw, init_ms=20)
    paths, y_tr = D.list_nmnist(data_dir, "Train")
    tpaths, y_te = D.list_nmnist(data_dir, "Test")
    T = duration_ms or 300
    y = np.concatenate([y_tr, y_te])
    order = rng.permutation(y_tr.shape[0])
    nv = y_tr.shape[0] // 6
    test = np.arange(y_tr.shape[0], y.shape[0])
    split = (order[nv:], order[:nv], test)
    if n_samples:
        k = [int(round(f * n_samples)) for f in (0.7, 0.1, 0.2)]
        split = tuple(s[:m] for s, m in zip(split, k))
    return dict(y=y, split=split, source=Source("events", list(paths) + list(tpaths), 2 * 34 * 34, T, seed),
                raw=None, init_ms=20)


def initialise(src: Source, tr, mode: str, P: LSMParams, seed: int, n_init: int,
               init_ms: int, progress: bool = False) -> tuple[dict, dict]:
    """W_INI: ``n_init`` random training samples (of ``tr``) x ``init_ms``, plasticity on,
    weights carried over, no learning-rate decay. Returns the weights and, per projection,
    their mean, initial mean and fraction at 0. ``progress``: a tqdm bar with an ETA."""
    rng = np.random.default_rng([seed, 1])
    pick = rng.choice(tr, size=n_init, replace=n_init > len(tr))
    starts = rng.integers(0, src.duration_ms - init_ms + 1, size=n_init)
    L0 = Liquid(src.n_inputs, mode, init_params(P), seed)
    w0 = L0.get_weights()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_init, unit="sample", desc=f"  {mode} W_INI", mininterval=2.0,
                   dynamic_ncols=True)
    for a in range(0, n_init, 500):
        L0.initialise(src.spikes(pick[a:a + 500], 1, init_ms, starts[a:a + 500]), init_ms)
        if bar is not None:
            bar.update(min(500, n_init - a))
    if bar is not None:
        bar.close()
    w_ini = L0.get_weights()
    return w_ini, {k: dict(mean=float(w.mean()), mean_initial=float(w0[k].mean()),
                           at_zero=float(np.mean(w == 0.0))) for k, w in w_ini.items()}


# ------------------------------------------------------------------ worker processes
_W: dict = {}


def _worker_init(mode, params, seed, source, w_ini, time_bins, bf_samples):
    _W.update(liquid=Liquid(source.n_inputs, mode, params, seed), source=source, w_ini=w_ini,
              time_bins=time_bins, bf_samples=set(bf_samples))
    if w_ini is not None:
        _W["liquid"].set_weights(w_ini)


def _worker_block(idx):
    cpu0 = time.process_time()
    L, src = _W["liquid"], _W["source"]
    keep = [k for k, i in enumerate(idx) if int(i) in _W["bf_samples"]]
    counts, kept = L.run_samples(src.spikes(idx, phase=2), src.duration_ms, _W["w_ini"], keep,
                                 _W["time_bins"])
    bf = {}
    if keep:
        pre, post = L.recurrent_pairs()
        T = src.duration_ms
        for k in keep:
            steps, senders = kept[k]
            bf[int(idx[k])] = branching_factor(steps.astype(np.float64), senders, (pre, post), dt=1.0,
                                               n_neurons=L.liquid.size, t_start=float(EDGE_MS),
                                               t_stop=float(T - EDGE_MS))
    return counts, bf, time.process_time() - cpu0


def simulate(source: Source, idx, mode: str, params: LSMParams, seed: int, w_ini, workers: int = 2,
             time_bins: int = 1, bf_samples=(), log=None, cache=None) -> tuple[np.ndarray, dict, float]:
    """Liquid spike counts ``(len(idx), time_bins, N)`` of samples ``idx`` and the branching
    factors of ``bf_samples`` (dict sample -> value), on ``workers`` processes, and the
    workers' CPU time (s) for the samples simulated now. ``log`` (optional) turns on a tqdm
    progress bar with an ETA. ``cache`` (a :class:`.cache.FeatureCache`, optional): blocks
    already on disk are loaded instead of simulated, and each new block is saved as it
    finishes, so an interrupted run resumes."""
    idx = np.asarray(idx)
    firsts = list(range(0, idx.shape[0], BLOCK))
    done_blocks = {}
    if cache is not None:
        for a in firsts:
            got = cache.load_block(a, min(BLOCK, idx.shape[0] - a))
            if got is not None:
                done_blocks[a] = got
    todo = [a for a in firsts if a not in done_blocks]
    init = (mode, params, seed, source, w_ini, time_bins, tuple(int(i) for i in bf_samples))
    cpu = 0.0
    bar = None
    if log:
        from tqdm import tqdm

        n_done = sum(c.shape[0] for c, _ in done_blocks.values())
        bar = tqdm(total=idx.shape[0], initial=n_done, unit="sample", desc=f"  {mode} liquid",
                   mininterval=2.0, dynamic_ncols=True)
        if n_done:
            log(f"  {n_done} samples loaded from {cache.dir}")
    pool = None
    if todo:
        blocks = [idx[a:a + BLOCK] for a in todo]
        if workers <= 1:
            _worker_init(*init)
            results = map(_worker_block, blocks)
        else:
            from concurrent.futures import ProcessPoolExecutor

            ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
            # a worker that dies (e.g. out of memory) raises BrokenProcessPool here instead of
            # leaving the run waiting forever; the blocks finished so far stay in the cache
            pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init,
                                       initargs=init)
            results = pool.map(_worker_block, blocks)
    else:
        results = iter(())
    try:
        for a, (c, bf, cpu_k) in zip(todo, results):
            done_blocks[a] = (c, bf)
            if cache is not None:
                cache.save_block(a, c.shape[0], c, bf)
            cpu += cpu_k
            if bar is not None:
                bar.update(c.shape[0])
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    out = [done_blocks[a][0] for a in firsts]
    bfs = {k: v for a in firsts for k, v in done_blocks[a][1].items()}
    counts = np.concatenate(out) if out else np.zeros((0, time_bins, params.n_neurons), np.int64)
    return counts, bfs, cpu


def run_lsm(dataset: str, data_dir, mode: str = "nalsm", neurons: int = 1000, seed: int = 1,
            workers: int = 2, json_path=None, params: LSMParams | None = None,
            n_samples: int | None = None, init_samples: int | None = None,
            duration_ms: int | None = None, time_bins: int = 1, n_bf: int = 50,
            baseline: bool = True, log=print, fsdd_options: dict | None = None,
            features_path=None, split_seed: int | None = None, readout_l2=None,
            cache=None, readout: str = "ours", readout_passes: int = 5000) -> dict:
    """Run one mode end to end and return (and optionally write as JSON) every figure.

    Returns a dict with ``accuracy`` (train / validation / test), ``branching_factor``
    (mean over ``n_bf`` test samples, each the paper's measure over [25, T-25] ms),
    ``mean_rate_hz`` of the liquid, ``wall_time_s`` per phase, the readout's choice,
    the raw-feature baseline (logistic regression on pixels / mean input rates) and the set-up.
    ``features_path``: also save the spike counts, labels and split there (``.npz``).
    ``seed`` fixes the liquid (placement, connectivity, signs) and the input draws;
    ``split_seed`` the data split (default :data:`SPLIT_SEED`, the same for every ``seed``).
    ``readout_l2``: the readout's L2 grid (default: :func:`fit_readout`'s), chosen on validation.
    ``readout``: ``"ours"`` (:func:`fit_readout`, the default) or ``"paper"`` (the authors'
    readout, :func:`fit_paper_readout`, trained for ``readout_passes`` passes; the pass is
    chosen on validation).
    ``init_samples`` defaults to the training set size, at least 10,000 (the paper
    presents its 50,000 training digits once; mnist5k's 3,500 are drawn with repetition).
    ``cache``: None or False (no cache), True (under ``$SPIKESIM_CACHE/lsm``) or a folder:
    W_INI and the liquid features are kept there (:mod:`.cache`) and a run with the same
    settings loads them instead of simulating again (interrupted runs resume).
    """
    V.choice("mode", mode, MODES)
    V.choice("readout", readout, ("ours", "paper"))
    readout_passes = V.count("readout_passes", readout_passes, 2)
    workers = V.count("workers", workers, 1)
    time_bins = V.count("time_bins", time_bins, 1)
    show = log is not None  # progress bars too
    log = log or (lambda *a: None)
    t_start = time.perf_counter()
    load0 = os.getloadavg()
    P = params or LSMParams()
    P = replace(P, grid=grid_for(neurons))
    split_seed = SPLIT_SEED if split_seed is None else int(split_seed)
    data = load_dataset(dataset, data_dir, seed, n_samples, duration_ms, fsdd_options, split_seed)
    src, y, (tr, va, te) = data["source"], data["y"], data["split"]
    log(f"spikesim lsm: {dataset} ({len(tr)}/{len(va)}/{len(te)} train/val/test), mode {mode}, "
        f"{P.n_neurons} neurons {P.grid}, {src.n_inputs} inputs, {src.duration_ms} ms per sample")
    t_load = time.perf_counter() - t_start
    n_init = 0
    if mode != "lsm":
        n_init = max(len(tr), 10000) if init_samples is None else V.count("init_samples", init_samples, 0)
    order = np.concatenate([tr, va, te])
    bf_samples = te[np.linspace(0, len(te) - 1, min(n_bf, len(te))).astype(int)] if n_bf else []
    store = None
    if cache not in (None, False):
        settings = dict(dataset=dataset, mode=mode, seed=seed, split_seed=split_seed,
                        n_samples=n_samples, duration_ms=src.duration_ms, time_bins=time_bins,
                        init_samples=n_init, init_ms=data["init_ms"], fsdd_options=fsdd_options,
                        params=repr(P), order=hashlib.sha256(order.tobytes()).hexdigest(),
                        bf_samples=[int(i) for i in bf_samples])
        store = FeatureCache(None if cache is True else cache, settings, data_dir)
        log(f"  cache: {store.dir}")
    # W_INI: random training samples, init_ms each, plasticity on, weights carried over
    t0, c0 = time.perf_counter(), time.process_time()
    w_ini, init_stats = None, {}
    cached = store.load_w_ini() if store is not None and mode != "lsm" else None
    if cached is not None:
        w_ini, init_stats = cached
        log(f"  W_INI loaded from {store.dir}")
    elif mode != "lsm":
        w_ini, init_stats = initialise(src, tr, mode, P, seed, n_init, data["init_ms"],
                                       progress=show)
        if store is not None:
            store.save_w_ini(w_ini, init_stats)
        log(f"  W_INI from {n_init} samples x {data['init_ms']} ms: {time.perf_counter() - t0:.1f} s")
    t_init, cpu_init = time.perf_counter() - t0, time.process_time() - c0
    # liquid features of every sample
    t0 = time.perf_counter()
    counts, bfs, cpu_sim = simulate(src, order, mode, P, seed, w_ini, workers, time_bins, bf_samples,
                                    log if show else None, store)
    t_sim = time.perf_counter() - t0
    if features_path:
        np.savez_compressed(features_path, counts=counts.astype(np.int32), labels=y[order],
                            samples=order, n_train=len(tr), n_validation=len(va))
    pos = {"train": slice(0, len(tr)), "validation": slice(len(tr), len(tr) + len(va)),
           "test": slice(len(tr) + len(va), None)}
    labels = y[order]
    t0, c0 = time.perf_counter(), time.process_time()
    l2_grid = {} if readout_l2 is None else dict(l2=tuple(readout_l2))
    flat = counts.reshape(counts.shape[0], -1)
    if readout == "paper":  # each split scaled by its own mini-batches, as the authors do
        feats = {k: paper_features(flat[s]) for k, s in pos.items()}
        ro = fit_paper_readout(feats["train"], labels[pos["train"]], feats["validation"],
                               labels[pos["validation"]], passes=readout_passes, log=log)
    else:
        F = l1_normalise(flat)
        feats = {k: F[s] for k, s in pos.items()}
        ro = fit_readout(feats["train"], labels[pos["train"]], feats["validation"],
                         labels[pos["validation"]], n_classes=10, **l2_grid)
    acc = {k: ro.accuracy(feats[k], labels[s]) for k, s in pos.items()}
    pred = ro.predict(feats["test"])
    t_readout, cpu_readout = time.perf_counter() - t0, time.process_time() - c0
    base = None
    if baseline and data["raw"] is not None:
        X = data["raw"][order]
        rb = fit_readout(X[pos["train"]], labels[pos["train"]], X[pos["validation"]],
                         labels[pos["validation"]], n_classes=10, **l2_grid)
        base = {k: rb.accuracy(X[s], labels[s]) for k, s in pos.items()}
        base.update(l2=rb.l2, iterations=rb.iterations)
    bf = np.array([bfs[i] for i in bf_samples if i in bfs and math.isfinite(bfs[i])])
    total = counts.sum()
    res = dict(
        dataset=dataset, data=str(data_dir), mode=mode, neurons=P.n_neurons, grid=list(P.grid),
        seed=seed, split_seed=split_seed, workers=workers,
        split=dict(train=len(tr), validation=len(va), test=len(te)),
        duration_ms=src.duration_ms, time_bins=time_bins, accuracy=acc,
        readout=dict(kind=readout, l2=ro.l2, iterations=ro.iterations),
        branching_factor=dict(mean=float(bf.mean()) if bf.size else None,
                              std=float(bf.std()) if bf.size else None, samples=int(bf.size),
                              window_ms=[EDGE_MS, src.duration_ms - EDGE_MS]),
        mean_rate_hz=float(total / (counts.shape[0] * P.n_neurons * src.duration_ms * 1e-3)),
        wall_time_s=dict(load=t_load, init=t_init, simulate=t_sim, readout=t_readout,
                         total=time.perf_counter() - t_start),
        cpu_time_s=dict(init=cpu_init, simulate=cpu_sim, readout=cpu_readout),
        unloaded_estimate_s=t_load + cpu_init + cpu_sim / workers + cpu_readout,
        cpu_ms_per_sample=1e3 * cpu_sim / max(1, counts.shape[0]),
        init_samples=0 if mode == "lsm" else int(n_init), w_ini=init_stats,
        cache=None if store is None else str(store.dir),
        baseline_raw=base, test_predictions=pred.tolist(), test_labels=labels[pos["test"]].tolist(),
        load_average=dict(start=list(load0), end=list(os.getloadavg())), cpu_count=os.cpu_count(),
        params={k: (v if not isinstance(v, dict) else {"".join(kk): vv for kk, vv in v.items()})
                for k, v in asdict(P).items()})
    log(f"  accuracy train {acc['train']:.4f} val {acc['validation']:.4f} test {acc['test']:.4f}; "
        f"branching factor {res['branching_factor']['mean']}; rate {res['mean_rate_hz']:.1f} Hz; "
        f"total {res['wall_time_s']['total']:.1f} s (CPU-time estimate on an idle machine "
        f"{res['unloaded_estimate_s']:.1f} s)")
    if base:
        log(f"  raw-feature logistic regression: test {base['test']:.4f}")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(res, f, indent=1)
    return res
