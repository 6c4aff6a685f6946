"""Connectors: rules that decide which neuron pairs are connected.

Each connector returns the connections of a projection as CSR arrays by
presynaptic neuron (``indptr`` int64, ``post`` int32), rows sorted by target.
Randomness comes only from the generator passed in (the network's).
Names follow PyNN (``AllToAllConnector`` -> :class:`AllToAll`, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import os

import numpy as np

from . import _validate as V
from .kernels.connectivity import csr_order, csr_transpose, skip_own_index, sort_rows_find_duplicates

#: Bytes per synapse a projection holds once built (int32 target, float32 weight,
#: uint16 delay) plus the peak of building it (targets sorted in place, weights and
#: delays drawn in chunks): what :func:`check_memory` multiplies the count by.
BYTES_PER_SYNAPSE = 14
#: Synapses drawn per chunk when targets, weights and delays are generated.
CHUNK = 1 << 22


@dataclass
class Connections:
    """Connections in CSR form; ``weight``/``delay`` only when the connector fixes them."""

    indptr: np.ndarray
    post: np.ndarray
    weight: np.ndarray | None = None
    delay: np.ndarray | None = None


@dataclass
class Context:
    """What a connector may look at: sizes, positions, the generator."""

    n_pre: int
    n_post: int
    rng: np.random.Generator
    same_population: bool
    pre_positions: np.ndarray | None = None
    post_positions: np.ndarray | None = None


class Connector:
    """Base class of all connectors."""

    def build(self, ctx: Context) -> Connections:  # pragma: no cover - interface
        raise NotImplementedError


def available_memory() -> int:
    """Bytes of memory available to this process now (Linux ``MemAvailable``; else physical)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        return 1 << 62


def check_memory(name: str, n_synapses: float, bytes_per_synapse: int = BYTES_PER_SYNAPSE) -> None:
    """Refuse, before anything is allocated, a connector that would not fit in memory.

    Parameters
    ----------
    name : str
        The connector, for the message.
    n_synapses : float
        Synapses it will make (expected number for random connectors).
    bytes_per_synapse : int
        Bytes each costs while built and stored (:data:`BYTES_PER_SYNAPSE`).

    Raises
    ------
    MemoryError
        With the estimate in bytes and the memory available.
    """
    need = float(n_synapses) * bytes_per_synapse
    avail = available_memory()
    if need > avail:
        raise MemoryError(f"{name} would make {n_synapses:.4g} synapses, about {need:.4g} bytes "
                          f"({need / 2**30:.1f} GiB at {bytes_per_synapse} bytes per synapse), "
                          f"but only {avail} bytes ({avail / 2**30:.1f} GiB) are available")


def _csr_from_pairs(pre, post, n_pre, extra=()):
    indptr, order = csr_order(np.asarray(pre, np.int64), n_pre)
    post = np.asarray(post)[order].astype(np.int32)
    return indptr, post, [None if e is None else np.asarray(e)[order] for e in extra]


def _sample_rows(ctx: Context, counts: np.ndarray, exclude_self: bool) -> Connections:
    """Draw ``counts[r]`` distinct targets for every row ``r``, uniformly.

    Targets are drawn with replacement, sorted per row, and repeats (and
    self-connections when excluded) are redrawn until none remain, which is
    the same as sampling without replacement.
    """
    n_post = ctx.n_post
    indptr = np.zeros(counts.shape[0] + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    total = int(indptr[-1])
    rows = None
    post = np.empty(total, np.int32)
    chunk = 1 << 23
    for a in range(0, total, chunk):
        b = min(total, a + chunk)
        post[a:b] = ctx.rng.integers(0, n_post, b - a, dtype=np.int32)
    for _ in range(10000):
        bad = sort_rows_find_duplicates(indptr, post)
        if exclude_self:
            if rows is None:
                rows = np.repeat(np.arange(counts.shape[0], dtype=np.int32), counts)
            bad |= post == rows
        nbad = int(np.count_nonzero(bad))
        if nbad == 0:
            return Connections(indptr, post)
        post[bad] = ctx.rng.integers(0, n_post, nbad, dtype=np.int32)
    raise RuntimeError("could not draw distinct targets; the connector asks for nearly every target")


@dataclass
class AllToAll(Connector):
    """Every presynaptic neuron connects to every postsynaptic one.

    Parameters
    ----------
    allow_self : bool
        Whether neuron ``i`` connects to itself when pre and post are the same
        population (PyNN ``allow_self_connections``).
    """

    allow_self: bool = True

    def build(self, ctx: Context) -> Connections:
        n_pre, n_post = ctx.n_pre, ctx.n_post
        check_memory("AllToAll", float(n_pre) * n_post)
        cols = np.tile(np.arange(n_post, dtype=np.int32), n_pre)
        counts = np.full(n_pre, n_post, np.int64)
        if ctx.same_population and not self.allow_self:
            keep = cols != np.repeat(np.arange(n_pre, dtype=np.int32), n_post)
            cols = cols[keep]
            counts -= 1
        indptr = np.zeros(n_pre + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        return Connections(indptr, cols)


@dataclass
class OneToOne(Connector):
    """Neuron ``i`` of the source connects to neuron ``i`` of the target (equal sizes)."""

    def build(self, ctx: Context) -> Connections:
        if ctx.n_pre != ctx.n_post:
            raise ValueError(f"OneToOne needs populations of equal size, got {ctx.n_pre} and {ctx.n_post}")
        return Connections(np.arange(ctx.n_pre + 1, dtype=np.int64),
                           np.arange(ctx.n_post, dtype=np.int32))


@dataclass
class FixedProbability(Connector):
    """Each pair is connected independently with probability ``p_connect``.

    Row sizes are drawn from Binomial(n_post, p) and targets sampled without
    replacement, which is the same distribution as one coin per pair but
    costs O(connections), not O(n_pre * n_post).
    """

    p_connect: float
    allow_self: bool = True

    def __post_init__(self):
        self.p_connect = V.probability("FixedProbability.p_connect", self.p_connect)

    def build(self, ctx: Context) -> Connections:
        exclude = ctx.same_population and not self.allow_self
        n_avail = ctx.n_post - (1 if exclude else 0)
        check_memory("FixedProbability", float(ctx.n_pre) * max(n_avail, 0) * self.p_connect)
        counts = ctx.rng.binomial(max(n_avail, 0), self.p_connect, ctx.n_pre).astype(np.int64)
        return _sample_rows(ctx, counts, exclude)


@dataclass
class FixedNumberPost(Connector):
    """Each presynaptic neuron connects to exactly ``n`` distinct targets (fixed out-degree)."""

    n: int
    allow_self: bool = True

    def __post_init__(self):
        self.n = V.count("FixedNumberPost.n", self.n)

    def build(self, ctx: Context) -> Connections:
        exclude = ctx.same_population and not self.allow_self
        if self.n > ctx.n_post - (1 if exclude else 0):
            raise ValueError(f"FixedNumberPost.n={self.n} exceeds the {ctx.n_post} available targets")
        check_memory("FixedNumberPost", float(ctx.n_pre) * self.n)
        return _sample_rows(ctx, np.full(ctx.n_pre, self.n, np.int64), exclude)


@dataclass
class FixedNumberPre(Connector):
    """Each postsynaptic neuron receives exactly ``n`` distinct sources (fixed in-degree)."""

    n: int
    allow_self: bool = True

    def __post_init__(self):
        self.n = V.count("FixedNumberPre.n", self.n)

    def build(self, ctx: Context) -> Connections:
        exclude = ctx.same_population and not self.allow_self
        if self.n > ctx.n_pre - (1 if exclude else 0):
            raise ValueError(f"FixedNumberPre.n={self.n} exceeds the {ctx.n_pre} available sources")
        check_memory("FixedNumberPre", float(ctx.n_post) * self.n, BYTES_PER_SYNAPSE + 4)
        flipped = Context(ctx.n_post, ctx.n_pre, ctx.rng, ctx.same_population)
        by_post = _sample_rows(flipped, np.full(ctx.n_post, self.n, np.int64), exclude)
        # by target -> by source: one counting sort, rows come out sorted by target
        indptr, post = csr_transpose(by_post.indptr, by_post.post, ctx.n_pre)
        return Connections(indptr, post)


@dataclass
class FixedTotalNumber(Connector):
    """Exactly ``n`` synapses in total between the two populations (PyNN
    ``FixedTotalNumberConnector``; NEST ``fixed_total_number``).

    With replacement (multapses allowed, as NEST's rule and the Potjans &
    Diesmann 2014 microcircuit use it), every synapse picks its source and
    its target independently and uniformly: the out-degrees are
    Multinomial(n, 1/n_pre) and, given them, each row's targets are uniform
    draws. Without replacement the ``n`` pairs are a uniform sample of
    distinct pairs: out-degrees are multivariate hypergeometric and each
    row's targets are distinct. Building costs O(n) time, no Python loop per
    neuron, and about :data:`BYTES_PER_SYNAPSE` bytes per synapse at peak;
    requests that do not fit in memory are refused before anything is drawn.

    Parameters
    ----------
    n : int
        Total number of synapses (>= 0).
    allow_self : bool
        Whether neuron ``i`` may connect to itself when pre and post are the
        same population (PyNN ``allow_self_connections``; NEST ``autapses``).
    with_replacement : bool
        True: a pair may be drawn more than once (multapses). False (PyNN's
        default): every pair at most once.
    """

    n: int
    allow_self: bool = True
    with_replacement: bool = False

    def __post_init__(self):
        self.n = V.count("FixedTotalNumber.n", self.n)
        for name in ("allow_self", "with_replacement"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"FixedTotalNumber.{name} must be True or False, got "
                                f"{getattr(self, name)!r}")

    def build(self, ctx: Context) -> Connections:
        n_pre, n_post, n = ctx.n_pre, ctx.n_post, self.n
        exclude = ctx.same_population and not self.allow_self
        n_avail = n_post - (1 if exclude else 0)
        if n and n_avail <= 0:
            raise ValueError(f"FixedTotalNumber.n={n}: there is no pair to connect "
                             f"({n_pre} x {n_post} neurons, allow_self={self.allow_self})")
        if not self.with_replacement and n > n_pre * n_avail:
            raise ValueError(f"FixedTotalNumber.n={n} exceeds the {n_pre * n_avail} distinct pairs "
                             "(with_replacement=False)")
        check_memory("FixedTotalNumber", float(n))
        if n == 0:
            return Connections(np.zeros(n_pre + 1, np.int64), np.zeros(0, np.int32))
        if not self.with_replacement:
            counts = ctx.rng.multivariate_hypergeometric(np.full(n_pre, n_avail, np.int64), n,
                                                         method="marginals")
            return _sample_rows(ctx, counts.astype(np.int64), exclude)
        counts = ctx.rng.multinomial(n, np.full(n_pre, 1.0 / n_pre)).astype(np.int64)
        indptr = np.zeros(n_pre + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        post = np.empty(n, np.int32)
        for a in range(0, n, CHUNK):
            b = min(n, a + CHUNK)
            post[a:b] = ctx.rng.integers(0, n_avail, b - a, dtype=np.int32)
        if exclude:
            skip_own_index(indptr, post)
        sort_rows_find_duplicates(indptr, post)  # rows sorted by target; repeats are multapses
        return Connections(indptr, post)


@dataclass
class FromList(Connector):
    """Explicit connections (PyNN ``FromListConnector``).

    Parameters
    ----------
    pre, post : int arrays
        Indices within the source and target populations.
    weight, delay : arrays, optional
        Per-connection weight (nA or uS) and delay (ms). When given they
        take the place of the projection's ``weight``/``delay`` arguments.
    """

    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray | None = None
    delay: np.ndarray | None = None

    def __post_init__(self):
        self.pre = _index_array("FromList.pre", self.pre)
        self.post = _index_array("FromList.post", self.post)
        m = self.pre.shape[0]
        if self.post.shape[0] != m:
            raise ValueError(f"FromList.post has length {self.post.shape[0]}, expected {m} (as pre)")
        for name in ("weight", "delay"):
            val = getattr(self, name)
            if val is not None:
                a = V.finite_array(f"FromList.{name}", val)
                a = np.broadcast_to(a, (m,)) if a.ndim == 0 else a
                if a.shape[0] != m:
                    raise ValueError(f"FromList.{name} has length {a.shape[0]}, expected {m} (as pre)")
                setattr(self, name, a)

    def build(self, ctx: Context) -> Connections:
        for name, idx, n in (("pre", self.pre, ctx.n_pre), ("post", self.post, ctx.n_post)):
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                bad = idx[(idx < 0) | (idx >= n)][0]
                raise ValueError(f"FromList.{name} index {int(bad)} is out of range for a "
                                 f"population of {n} neurons")
        # sort each row by target so rows are in a canonical order
        order0 = np.lexsort((self.post, self.pre))
        pre, post = self.pre[order0], self.post[order0]
        w = None if self.weight is None else self.weight[order0]
        d = None if self.delay is None else self.delay[order0]
        indptr, post, (w, d) = _csr_from_pairs(pre, post, ctx.n_pre, (w, d))
        return Connections(indptr, post, w, d)


def _index_array(name, value) -> np.ndarray:
    try:
        a = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D array of integer indices, got {value!r}") from exc
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of indices, got shape {a.shape}")
    if a.size == 0:
        return a.astype(np.int64)
    if a.dtype.kind in "iu":
        if a.dtype.kind == "u" and a.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name} index {int(a.max())} is out of range")
        return a.astype(np.int64)
    if a.dtype.kind == "f":
        bad = ~np.isfinite(a) | (a != np.round(a)) | (np.abs(a) > 2.0 ** 62)
        if bad.any():
            raise TypeError(f"{name} must hold integer indices, got {float(a[bad][0])!r}")
        return a.astype(np.int64)
    raise TypeError(f"{name} must hold integer indices, got {a.dtype} values such as {a[0]!r}")


@dataclass
class DistanceDependent(Connector):
    """Connect with a probability that depends on the distance between neurons.

    The default rule is ``p(d) = C * exp(-(d / lambda_)**2)`` (Maass,
    Natschlaeger & Markram 2002, the liquid state machine); pass ``p_of_d``,
    a vectorised function of distance, for any other rule. Distances are
    Euclidean between the populations' ``positions`` (same unit as the
    positions, e.g. grid spacing). Cost is O(n_pre * n_post).
    """

    C: float = 1.0
    lambda_: float = 1.0
    allow_self: bool = True
    p_of_d: object = field(default=None, repr=False)

    def __post_init__(self):
        self.C = V.probability("DistanceDependent.C", self.C)
        self.lambda_ = V.positive_scalar("DistanceDependent.lambda_", self.lambda_)
        if self.p_of_d is not None and not callable(self.p_of_d):
            raise TypeError(f"DistanceDependent.p_of_d must be callable, got {self.p_of_d!r}")

    def probability(self, d: np.ndarray) -> np.ndarray:
        if self.p_of_d is not None:
            p = np.asarray(self.p_of_d(d), dtype=np.float64)
            if p.shape != d.shape or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
                raise ValueError("DistanceDependent.p_of_d must return probabilities in [0, 1] "
                                 "of the same shape as its input")
            return p
        return self.C * np.exp(-(d / self.lambda_) ** 2)

    def build(self, ctx: Context) -> Connections:
        if ctx.pre_positions is None or ctx.post_positions is None:
            raise ValueError("DistanceDependent needs positions on both populations "
                             "(add_population(..., positions=...))")
        pre_pos, post_pos = ctx.pre_positions, ctx.post_positions
        rows, cols = [], []
        block = max(1, (1 << 22) // max(1, ctx.n_post))
        for a in range(0, ctx.n_pre, block):
            b = min(ctx.n_pre, a + block)
            d = np.sqrt(((pre_pos[a:b, None, :] - post_pos[None, :, :]) ** 2).sum(-1))
            hit = ctx.rng.random(d.shape) < self.probability(d)
            if ctx.same_population and not self.allow_self:
                hit[np.arange(b - a), np.arange(a, b)] = False
            r, c = np.nonzero(hit)
            rows.append(r + a)
            cols.append(c)
        pre = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        post = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        indptr = np.zeros(ctx.n_pre + 1, np.int64)
        np.cumsum(np.bincount(pre, minlength=ctx.n_pre), out=indptr[1:])
        return Connections(indptr, post.astype(np.int32))


def draw_per_synapse(name: str, dist, rng: np.random.Generator, m: int, dtype,
                     check=None, convert=None) -> np.ndarray:
    """Per-synapse values of a :class:`~spikesim.RandomDistribution`, drawn in chunks.

    For ``m <= CHUNK`` this is one ``dist.draw(rng, m)`` (the realisation
    spikesim always drew); above, :data:`CHUNK` values at a time, each chunk
    checked (``check(name, values)``), converted (``convert(values)``, e.g.
    ms to delay steps) and stored straight into an array of ``dtype``, so the
    float64 draw never exists for the whole projection.

    Parameters
    ----------
    name : str
        ``"weight"`` or ``"delay"``, for error messages.
    dist : RandomDistribution
    rng : numpy.random.Generator
        The network's generator.
    m : int
        Number of synapses.
    dtype : numpy dtype
        Of the result (after ``convert``).
    """
    out = np.empty(m, dtype)
    for a in range(0, max(m, 1), CHUNK):
        b = min(m, a + CHUNK)
        v = V.finite_array(name, dist.draw(rng, b - a))
        if check is not None:
            check(name, v)
        out[a:b] = convert(v) if convert is not None else v
    return out
