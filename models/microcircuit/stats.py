"""Spike statistics of the PD14 reference-data workflow, in plain NumPy.

As INM-6/microcircuit-PD14-model ``PyNEST/src/microcircuit/helpers.py``
(``time_averaged_single_neuron_firing_rates``, ``single_neuron_isi_cvs``,
``pairwise_spike_count_correlations``) and ``reference_data``: per population,
the time-averaged rate of every neuron, the ISI CV of every neuron with more
than two spikes, and the Pearson correlation of spike counts (2 ms bins) for
every pair of a subsample of neurons; two simulations are compared by the
Kolmogorov-Smirnov distance between these distributions. No spikesim import (the
NEST child of the benchmark loads this file by path).
"""
from __future__ import annotations

import numpy as np

CC_BIN_MS = 2.0        # bin of the spike counts [INM6 reference data: 2 ms]
CC_NEURONS = 200       # neurons per population whose pairs are correlated


def population_stats(times: np.ndarray, senders: np.ndarray, n: int, t0: float, t1: float,
                     cc_neurons: int = CC_NEURONS, binsize: float = CC_BIN_MS) -> dict:
    """Rates (Hz), ISI CVs and pairwise count correlations of one population in ``[t0, t1)``.

    Parameters
    ----------
    times : float array, ms
    senders : int array, local neuron indices ``0 <= i < n``
    n : int, population size
    t0, t1 : float, ms, the analysis window
    cc_neurons : int, neurons (the first ones) whose pairs are correlated
    binsize : float, ms

    Returns
    -------
    dict with arrays ``rates`` (n,), ``cvs`` (neurons with > 2 spikes), ``ccs`` (pairs of
    the subsample whose counts vary) and their means.
    """
    times = np.asarray(times, np.float64)
    senders = np.asarray(senders, np.int64)
    keep = (times >= t0) & (times < t1)
    times, senders = times[keep], senders[keep]
    dur = (t1 - t0) * 1e-3
    rates = np.bincount(senders, minlength=n)[:n] / dur
    order = np.lexsort((times, senders))
    ts, ss = times[order], senders[order]
    isi = np.diff(ts)
    same = ss[1:] == ss[:-1]
    isi, who = isi[same], ss[1:][same]
    cnt = np.bincount(who, minlength=n)
    s1 = np.bincount(who, weights=isi, minlength=n)
    s2 = np.bincount(who, weights=isi * isi, minlength=n)
    ok = cnt >= 2  # more than two spikes
    mean = s1[ok] / cnt[ok]
    var = np.maximum(s2[ok] / cnt[ok] - mean ** 2, 0.0)
    cvs = np.sqrt(var) / mean
    m = min(n, cc_neurons)
    nb = int(np.floor((t1 - t0) / binsize))
    sel = senders < m
    b = np.floor((times[sel] - t0) / binsize).astype(np.int64)
    okb = b < nb
    counts = np.zeros((m, max(nb, 1)))
    np.add.at(counts, (senders[sel][okb], b[okb]), 1.0)
    var_ok = counts.std(axis=1) > 0
    c = counts[var_ok]
    if c.shape[0] >= 2:
        cc = np.corrcoef(c)
        ccs = cc[np.triu_indices(c.shape[0], 1)]
    else:
        ccs = np.zeros(0)
    return dict(rates=rates, cvs=cvs, ccs=ccs, rate_mean=float(rates.mean()),
                rate_std=float(rates.std()), cv_mean=float(cvs.mean()) if cvs.size else None,
                cc_mean=float(ccs.mean()) if ccs.size else None, n_cv=int(cvs.size),
                n_cc=int(ccs.size))


def ks_distance(a, b) -> float | None:
    """Two-sample Kolmogorov-Smirnov distance (sup of the difference of the empirical CDFs)."""
    a, b = np.sort(np.asarray(a, np.float64)), np.sort(np.asarray(b, np.float64))
    if a.size == 0 or b.size == 0:
        return None
    x = np.concatenate([a, b])
    fa = np.searchsorted(a, x, side="right") / a.size
    fb = np.searchsorted(b, x, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))
