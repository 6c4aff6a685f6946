r"""Spike-train analysis: the branching factor of the NALSM paper.

Reference
---------
V. A. Ivanov and K. P. Michmizos, "Increasing Liquid State Machine
Performance with Edge-of-Chaos Dynamics Organized by Astrocyte-modulated
Plasticity", NeurIPS 2021 (arXiv:2111.01760). The measure below follows the
authors' released code (github.com/combra-lab/NALSM, ``compute_branching_factor.py``
and ``get_branching_factor.py``), which is the operational definition behind
the branching factors reported in the paper.

Definition
----------
Let :math:`\mathrm{post}(i)` be the set of neurons that neuron :math:`i`
projects to and :math:`\mathrm{pre}(i)` the set of neurons projecting to
:math:`i` (connectivity as a set of pairs: several synapses between one pair
count once). For every spike of neuron :math:`i` at time :math:`t` (the
*anchor*), count

.. math::

    D_{i,t} = \sum_{j \in \mathrm{post}(i)} \#\{\text{spikes of } j
              \text{ in } [t + a_0,\, t + a_1)\}, \qquad
    A_{i,t} = \sum_{j \in \mathrm{pre}(i)} \#\{\text{spikes of } j
              \text{ in } [t + b_0,\, t + b_1)\}

(descendants and ancestors; the paper's windows are :math:`[a_0, a_1) =
[1, 5)` ms and :math:`[b_0, b_1) = [-4, 0)` ms, so spikes in the anchor's own
millisecond belong to neither). The per-spike ratio, the per-neuron mean and
the branching factor are

.. math::

    r_{i,t} = \frac{D_{i,t}}{\max(A_{i,t},\, 1)}, \qquad
    \bar r_i = \frac{1}{|T_i|}\sum_{t \in T_i} r_{i,t}, \qquad
    \sigma = \frac{1}{|\{i : T_i \neq \emptyset\}|}
             \sum_{i : T_i \neq \emptyset} \bar r_i,

where :math:`T_i` are the anchor times of neuron :math:`i`. Three details of
the released code are kept on purpose:

* the ancestor count is clipped below at 1 (a spike without ancestors --
  e.g. driven by external input -- contributes its descendant count);
* it is a mean of per-neuron means (neurons without anchors are left out, as
  ``np.nanmean`` does), not a pooled ratio of sums;
* only anchors whose two windows lie entirely inside the observed interval
  ``[t_start, t_stop]`` count (the code keeps ``t`` in ``[start + 4,
  end - 4)`` for spikes recorded in ``[start, end)``), so edge spikes do not
  see truncated windows.

The paper averages :math:`\sigma` over input samples (one call per sample
interval here) and over liquid neurons only: pass only the liquid's spikes
and its recurrent connectivity. With excitatory and inhibitory populations,
put both in one index space::

    off = {"exc": 0, "inh": exc.size}
    pre = np.concatenate([p.connections()[0] + off[p.pre.label] for p in projs])
    post = np.concatenate([p.connections()[1] + off[p.post_population.label] for p in projs])
    times = np.concatenate([rec_e.spikes.times, rec_i.spikes.times])
    senders = np.concatenate([rec_e.spikes.senders, rec_i.spikes.senders + exc.size])
    sigma = branching_factor(times, senders, (pre, post), dt=net.dt, t_stop=duration)

For a branching process (each spike triggers on average :math:`m` spikes of
its postsynaptic neurons within the after-window) with sparse activity,
:math:`\sigma \approx m`: :math:`\sigma < 1` subcritical, :math:`\approx 1`
critical, :math:`> 1` supercritical. With dense *uncorrelated* activity the
windows also catch unrelated spikes, and because :math:`\sigma` averages a
ratio, it is then not 1 even when pre- and postsynaptic rates are equal
(e.g. Poisson counts with mean 4 in both windows give about
:math:`4\,\mathrm{E}[1/\max(A, 1)] \approx 1.4`).
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from . import _validate as V

__all__ = ["BranchingCounts", "branching_counts", "branching_factor", "branching_factor_over_time"]

_CHUNK = 1 << 20  # (anchor, neighbour) pairs handled at once: bounds memory


class BranchingCounts(NamedTuple):
    """Per-anchor counts behind the branching factor (one entry per counted spike).

    Attributes
    ----------
    times : float64 array
        Anchor spike times (ms), on the ``dt`` grid, sorted by neuron then time.
    senders : int64 array
        Anchor neuron indices.
    descendants : int64 array
        :math:`D_{i,t}`: spikes of the anchor's postsynaptic neurons in the after-window.
    ancestors : int64 array
        :math:`A_{i,t}`: spikes of the anchor's presynaptic neurons in the before-window.
    """

    times: np.ndarray
    senders: np.ndarray
    descendants: np.ndarray
    ancestors: np.ndarray

    @property
    def ratios(self) -> np.ndarray:
        """:math:`D / \\max(A, 1)` per anchor (float64)."""
        return self.descendants / np.maximum(self.ancestors, 1)


def branching_counts(times, senders, connectivity, *, dt, n_neurons=None,
                     window_before=(-4.0, 0.0), window_after=(1.0, 5.0),
                     t_start=0.0, t_stop=None) -> BranchingCounts:
    """Descendant and ancestor counts of every anchor spike (see the module docstring).

    Parameters
    ----------
    times : array of float, shape (n_spikes,)
        Spike times in ms. Every time must be a whole multiple of ``dt``
        (relative tolerance 1e-6 of a step), as recorded by a clocked simulator.
    senders : array of int, shape (n_spikes,)
        Index of the neuron that fired each spike (>= 0). A neuron may fire at
        most once per step.
    connectivity : (pre, post) pair of int arrays, or a recurrent Projection
        Directed connections in the same index space as ``senders``: either
        two equal-length arrays (synapse ``k`` goes from ``pre[k]`` to
        ``post[k]``), or an object with CSR attributes ``indptr`` (row
        pointers by presynaptic neuron) and ``post`` (targets), such as a
        :class:`spikesim.Projection` from a population onto itself.
        Repeated pairs count once.
    dt : float
        Time step in ms; times and window edges are converted to whole steps.
    n_neurons : int, optional
        Number of neurons (default: one more than the largest index in
        ``senders`` or ``connectivity``). Indices must be below it.
    window_before : (float, float)
        Ancestor window ``[b0, b1)`` relative to the anchor, ms (default the
        paper's ``(-4, 0)``). ``b0 < b1``; both multiples of ``dt``.
    window_after : (float, float)
        Descendant window ``[a0, a1)`` relative to the anchor, ms (default the
        paper's ``(1, 5)``). ``a0 < a1``; both multiples of ``dt``.
    t_start, t_stop : float, optional
        Observed interval ``[t_start, t_stop]`` (ms, both ends included;
        multiples of ``dt``). Spikes outside it are ignored, and only anchors
        whose two windows lie inside it are counted. ``t_stop`` defaults to
        the last spike time; pass the recording's end to use every spike.

    Returns
    -------
    BranchingCounts
        ``times, senders, descendants, ancestors`` of the counted anchors.
    """
    sp = _prepare(times, senders, connectivity, dt, n_neurons, window_before, window_after,
                  t_start, t_stop)
    return _counts(sp)


def branching_factor(times, senders, connectivity, *, dt, n_neurons=None,
                     window_before=(-4.0, 0.0), window_after=(1.0, 5.0),
                     t_start=0.0, t_stop=None) -> float:
    r"""Branching factor :math:`\sigma` of Ivanov & Michmizos (NeurIPS 2021).

    :math:`\sigma` is the mean over neurons of the mean over each neuron's
    anchor spikes of :math:`D_{i,t} / \max(A_{i,t}, 1)`: descendants (spikes
    of its postsynaptic neurons in ``[t+1, t+5)`` ms) over ancestors (spikes
    of its presynaptic neurons in ``[t-4, t)`` ms). The full definition and
    the source are in the docstring of :mod:`spikesim.analysis`.

    Parameters
    ----------
    times, senders, connectivity, dt, n_neurons, window_before, window_after, t_start, t_stop
        As in :func:`branching_counts`.

    Returns
    -------
    float
        :math:`\sigma`, or NaN when no spike qualifies as an anchor (no
        spikes, or none whose windows fit inside ``[t_start, t_stop]``).

    Examples
    --------
    A chain 0 -> 1 -> 2 firing at 10, 12 and 14 ms: neuron 0 has one
    descendant and no ancestor (ratio 1), neuron 1 one of each (1), neuron 2
    no postsynaptic neuron (0); :math:`\sigma = 2/3`.

    >>> branching_factor([10.0, 12.0, 14.0], [0, 1, 2], ([0, 1], [1, 2]), dt=1.0, t_stop=30.0)
    0.6666666666666666
    """
    c = branching_counts(times, senders, connectivity, dt=dt, n_neurons=n_neurons,
                         window_before=window_before, window_after=window_after,
                         t_start=t_start, t_stop=t_stop)
    if c.senders.shape[0] == 0:
        return float("nan")
    return _mean_of_neuron_means(c.senders, c.ratios)


def branching_factor_over_time(times, senders, connectivity, *, dt, bin_ms=50.0, n_neurons=None,
                               window_before=(-4.0, 0.0), window_after=(1.0, 5.0),
                               t_start=0.0, t_stop=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Branching factor per time bin, for plotting :math:`\sigma(t)`.

    Bin ``k`` holds the anchors with ``edges[k] <= t < edges[k+1]``; its value
    is :func:`branching_factor` restricted to those anchors (mean over the
    bin's neurons of their mean ratio). Windows may reach into neighbouring
    bins: every spike in ``[t_start, t_stop]`` is counted as a descendant or
    ancestor, only the anchors are binned.

    Parameters
    ----------
    times, senders, connectivity, dt, n_neurons, window_before, window_after, t_start, t_stop
        As in :func:`branching_counts`.
    bin_ms : float
        Bin width in ms (> 0, a multiple of ``dt``). Bins start at ``t_start``;
        the last one may extend past ``t_stop``.

    Returns
    -------
    edges : float64 array, shape (n_bins + 1,)
        Bin edges in ms.
    sigma : float64 array, shape (n_bins,)
        Branching factor per bin; NaN for a bin without anchors (including
        the first and last few ms of the interval, whose windows do not fit).
    """
    sp = _prepare(times, senders, connectivity, dt, n_neurons, window_before, window_after,
                  t_start, t_stop)
    width = _steps("bin_ms", bin_ms, sp.dt)
    if width <= 0:
        raise ValueError(f"bin_ms must be > 0, got {bin_ms!r}")
    span = sp.k1 - sp.k0 + 1
    n_bins = max(1, -(-span // width))
    edges = (sp.k0 + width * np.arange(n_bins + 1, dtype=np.int64)) * sp.dt
    out = np.full(n_bins, np.nan)
    c = _counts(sp)
    if c.senders.shape[0] == 0:
        return edges, out
    b = (np.rint(c.times / sp.dt).astype(np.int64) - sp.k0) // width
    group = b * sp.n + c.senders  # (bin, neuron) pairs
    uniq, inv = np.unique(group, return_inverse=True)
    neuron_mean = np.bincount(inv, weights=c.ratios) / np.bincount(inv)
    gb = uniq // sp.n
    tot = np.bincount(gb, weights=neuron_mean, minlength=n_bins)
    cnt = np.bincount(gb, minlength=n_bins)
    has = cnt > 0
    out[has] = tot[has] / cnt[has]
    return edges, out


# --------------------------------------------------------------------------- internals


class _Prepared(NamedTuple):
    steps: np.ndarray      # int64 spike steps inside [k0, k1], sorted by (sender, step)
    senders: np.ndarray    # int64
    n: int
    post_ptr: np.ndarray   # CSR by pre of unique pairs
    post_idx: np.ndarray
    pre_ptr: np.ndarray    # CSR by post of unique pairs
    pre_idx: np.ndarray
    before: tuple[int, int]
    after: tuple[int, int]
    k0: int
    k1: int
    dt: float


def _steps(name: str, value, dt: float) -> int:
    """A time in ms (any sign) as a whole number of steps of ``dt``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of milliseconds, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    s = v / dt
    k = int(round(s))
    if abs(s - k) > 1e-6 * max(1.0, abs(s)):
        raise ValueError(f"{name}={value!r} ms is not a multiple of dt={dt!r} ms ({s:.6g} steps)")
    return k


def _window(name: str, value, dt: float) -> tuple[int, int]:
    try:
        lo, hi = value
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a pair (start, stop) in ms, got {value!r}") from exc
    a, b = _steps(f"{name}[0]", lo, dt), _steps(f"{name}[1]", hi, dt)
    if a >= b:
        raise ValueError(f"{name} must satisfy start < stop (half-open window [start, stop) ms), "
                         f"got {value!r}")
    return a, b


def _index_array(name: str, value) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a 1-D array of integers, got {value!r}")
    a = np.asarray(value)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integers, got shape {a.shape}")
    if a.size == 0:
        return a.astype(np.int64)
    if a.dtype.kind == "b" or a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be integers, got dtype {a.dtype}")
    if a.dtype.kind == "f":
        if not np.isfinite(a).all() or (a != np.round(a)).any():
            bad = a[~np.isfinite(a) | (a != np.round(a))][0]
            raise ValueError(f"{name} must be whole numbers, got {bad!r}")
    a = a.astype(np.int64)
    if (a < 0).any():
        raise ValueError(f"{name} must be >= 0, got {int(a[a < 0][0])}")
    return a


def _connectivity(connectivity) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(connectivity, "indptr") and hasattr(connectivity, "post"):
        pre_pop = getattr(connectivity, "pre", None)
        post_pop = getattr(connectivity, "post_population", None)
        if pre_pop is not None and post_pop is not None and pre_pop is not post_pop:
            raise ValueError(
                f"connectivity {connectivity!r} is not recurrent (its source and target "
                "populations differ); pass (pre, post) index arrays in one index space")
        indptr = _index_array("connectivity.indptr", connectivity.indptr)
        post = _index_array("connectivity.post", connectivity.post)
        if indptr.shape[0] == 0 or indptr[0] != 0 or (np.diff(indptr) < 0).any() \
                or indptr[-1] != post.shape[0]:
            raise ValueError("connectivity.indptr must be CSR row pointers: start at 0, "
                             f"non-decreasing, end at len(post)={post.shape[0]}")
        pre = np.repeat(np.arange(indptr.shape[0] - 1, dtype=np.int64), np.diff(indptr))
        return pre, post
    if isinstance(connectivity, (tuple, list)) and len(connectivity) == 2:
        pre = _index_array("connectivity[0] (pre)", connectivity[0])
        post = _index_array("connectivity[1] (post)", connectivity[1])
        if pre.shape != post.shape:
            raise ValueError(f"connectivity pre and post must have equal lengths, got "
                             f"{pre.shape[0]} and {post.shape[0]}")
        return pre, post
    raise TypeError("connectivity must be a (pre, post) pair of index arrays or an object with "
                    f"CSR attributes indptr and post (e.g. a recurrent Projection), got {connectivity!r}")


def _csr(rows: np.ndarray, cols: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR of the unique (row, col) pairs, columns sorted within a row."""
    key = np.unique(rows * n + cols)
    r, c = key // n, key % n
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(r, minlength=n), out=ptr[1:])
    return ptr, c


def _prepare(times, senders, connectivity, dt, n_neurons, window_before, window_after,
             t_start, t_stop) -> _Prepared:
    dt = V.positive_scalar("dt", dt)
    t = V.finite_array("times", times)
    if t.ndim != 1:
        raise ValueError(f"times must be a 1-D array of spike times (ms), got {times!r}")
    s = _index_array("senders", senders)
    if t.shape != s.shape:
        raise ValueError(f"times and senders must have equal lengths, got {t.shape[0]} and {s.shape[0]}")
    pre, post = _connectivity(connectivity)
    before = _window("window_before", window_before, dt)
    after = _window("window_after", window_after, dt)

    biggest = max([int(a.max()) for a in (s, pre, post) if a.size], default=-1)
    if n_neurons is None:
        n = biggest + 1
    else:
        n = V.count("n_neurons", n_neurons, 0)
        for name, a in (("senders", s), ("connectivity pre", pre), ("connectivity post", post)):
            if a.size and int(a.max()) >= n:
                raise ValueError(f"{name} index {int(a.max())} is out of range for n_neurons={n}")

    steps_f = t / dt
    steps = np.rint(steps_f).astype(np.int64) if t.size else np.zeros(0, np.int64)
    off = np.abs(steps_f - steps) > 1e-6 * np.maximum(1.0, np.abs(steps_f))
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise ValueError(f"times must be multiples of dt={dt!r} ms, got {float(t[i])!r} "
                         f"at index {i} ({steps_f[i]:.6g} steps)")

    k0 = _steps("t_start", t_start, dt)
    if t_stop is None:
        k1 = int(steps.max()) if steps.size else k0
    else:
        k1 = _steps("t_stop", t_stop, dt)
    if k1 < k0:
        raise ValueError(f"t_stop must be >= t_start, got t_start={t_start!r}, t_stop={t_stop!r}")

    keep = (steps >= k0) & (steps <= k1)
    steps, s = steps[keep], s[keep]
    order = np.lexsort((steps, s))
    steps, s = steps[order], s[order]
    if steps.size > 1:
        dup = (np.diff(s) == 0) & (np.diff(steps) == 0)
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise ValueError(f"senders/times: neuron {int(s[i])} fires twice in the step at "
                             f"t={steps[i] * dt!r} ms; a neuron fires at most once per step")
    if n > 0 and (k1 - k0 + 2) * n >= 2 ** 62:
        raise ValueError("the interval [t_start, t_stop] is too long for this many neurons "
                         "(steps x neurons must stay below 2**62); analyse it in pieces")
    post_ptr, post_idx = _csr(pre, post, max(n, 1))
    pre_ptr, pre_idx = _csr(post, pre, max(n, 1))
    return _Prepared(steps, s, n, post_ptr, post_idx, pre_ptr, pre_idx, before, after, k0, k1, dt)


def _window_sums(nrn, step, ptr, nbr, keys, stride, k0, lo, hi) -> np.ndarray:
    """For each anchor: spikes of its neighbours ``nbr[ptr[i]:ptr[i+1]]`` in ``[step+lo, step+hi)``."""
    out = np.zeros(nrn.shape[0], np.int64)
    deg = ptr[nrn + 1] - ptr[nrn]
    cum = np.cumsum(deg)
    start = 0
    while start < nrn.shape[0]:
        base = int(cum[start - 1]) if start else 0
        end = max(start + 1, int(np.searchsorted(cum, base + _CHUNK, side="right")))
        d = deg[start:end]
        total = int(d.sum())
        if total:
            owner = np.repeat(np.arange(end - start), d)
            pos = np.arange(total) - np.repeat(np.cumsum(d) - d, d) + np.repeat(ptr[nrn[start:end]], d)
            origin = nbr[pos] * stride + (step[start:end][owner] - k0)
            c = np.searchsorted(keys, origin + hi) - np.searchsorted(keys, origin + lo)
            out[start:end] = np.bincount(owner, weights=c, minlength=end - start).astype(np.int64)
        start = end
    return out


def _counts(sp: _Prepared) -> BranchingCounts:
    (b0, b1), (a0, a1) = sp.before, sp.after
    lo, hi = min(b0, a0), max(b1, a1)
    ok = (sp.steps + lo >= sp.k0) & (sp.steps + hi - 1 <= sp.k1)
    nrn, step = sp.senders[ok], sp.steps[ok]
    stride = sp.k1 - sp.k0 + 2  # window offsets stay within [0, stride)
    keys = sp.senders * stride + (sp.steps - sp.k0)  # sorted, since spikes are sorted by (sender, step)
    desc = _window_sums(nrn, step, sp.post_ptr, sp.post_idx, keys, stride, sp.k0, a0, a1)
    anc = _window_sums(nrn, step, sp.pre_ptr, sp.pre_idx, keys, stride, sp.k0, b0, b1)
    return BranchingCounts(step * sp.dt, nrn, desc, anc)


def _mean_of_neuron_means(senders: np.ndarray, ratios: np.ndarray) -> float:
    n = int(senders.max()) + 1
    cnt = np.bincount(senders, minlength=n)
    tot = np.bincount(senders, weights=ratios, minlength=n)
    has = cnt > 0
    return float(np.mean(tot[has] / cnt[has]))
