"""Spike events of source populations, produced per run chunk."""
from __future__ import annotations

import numpy as np

from .spike_sources import RenewalSource, SpikeSourceArray, SpikeSourcePoisson, rate_at_steps


class ArrayEvents:
    """Pre-computed sorted events of a :class:`SpikeSourceArray` population."""

    def __init__(self, pop, dt: float) -> None:
        steps, ids = pop.celltype.events(pop.params, dt)
        self.steps, self.ids, self.pop = steps, ids, pop

    def window(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = np.searchsorted(self.steps, [t0, t1])
        return self.steps[a:b], self.ids[a:b] + self.pop.first


class PoissonEvents:
    """Bernoulli-per-step Poisson spikes, drawn in blocks aligned to absolute time.

    Block ``k`` covers steps ``[k B, (k+1) B)`` and is drawn only once, in
    order, from the population's own generator, so the events of any step do
    not depend on how the run is cut into ``run()`` calls.
    """

    def __init__(self, pop, dt: float, rng: np.random.Generator) -> None:
        self.pop, self.dt, self.rng = pop, dt, rng
        self.block = int(np.clip((1 << 22) // max(1, pop.size), 16, 4096))
        self.next_block = 0
        self.steps = np.zeros(0, np.int64)
        self.ids = np.zeros(0, np.int64)
        self.floor = 0  # events before this step are never drawn (see restart)

    def restart(self, step: int) -> None:
        """Forget every event drawn for ``step`` and later (parameters changed, or a reset)."""
        keep = self.steps < step
        self.steps, self.ids = self.steps[keep], self.ids[keep]
        self.next_block = step // self.block
        self.floor = step

    def _draw_block(self) -> None:
        b = self.next_block
        steps = np.arange(max(b * self.block, self.floor), (b + 1) * self.block, dtype=np.int64)
        prob = rate_at_steps(self.pop.params, steps, self.dt) * (self.dt * 1e-3)
        hit = self.rng.random(prob.shape) < prob
        s, i = np.nonzero(hit)
        self.steps = np.concatenate([self.steps, steps[s]])
        self.ids = np.concatenate([self.ids, i.astype(np.int64)])
        self.next_block += 1

    def skip_to(self, t0: int) -> None:
        """Drop events before ``t0`` (already delivered)."""
        a = np.searchsorted(self.steps, t0)
        self.steps, self.ids = self.steps[a:], self.ids[a:]

    def window(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        while self.next_block * self.block < t1:
            self._draw_block()
        self.skip_to(t0)
        b = np.searchsorted(self.steps, t1)
        return self.steps[:b], self.ids[:b] + self.pop.first


class RenewalEvents(PoissonEvents):
    """Spikes of a renewal-process source (:class:`~spikesim.spike_sources.RenewalSource`).

    Each neuron's process runs in continuous time (``next_t``: the time, ms, of
    its next spike; ``inf`` once it has stopped). Blocks of steps are drawn in
    order, once each, as for :class:`PoissonEvents`: within block ``[k B, (k+1) B)``
    every neuron whose next spike falls in the block emits it in step
    ``floor(t / dt)`` and draws its next interval, until no next spike is left in
    the block. The draws depend only on the blocks, never on how the run is cut.
    ``restart(step)`` (``set()``, ``reset()``) forgets the processes' state; the
    next block starts them afresh, stationary, at ``max(start, step dt)``.
    """

    def __init__(self, pop, dt: float, rng: np.random.Generator) -> None:
        super().__init__(pop, dt, rng)
        self.next_t = None  # None: the processes start at the next block

    def restart(self, step: int) -> None:
        super().restart(step)
        self.next_t = None

    def _draw_block(self) -> None:
        p, ct, n, dt = self.pop.params, self.pop.celltype, self.pop.size, self.dt
        start = np.broadcast_to(np.asarray(p["start"], np.float64), (n,))
        stop = start + np.broadcast_to(np.asarray(p["duration"], np.float64), (n,))
        if self.next_t is None:
            self.next_t = np.maximum(start, self.floor * dt) + ct.first_intervals(p, n, self.rng)
            self.next_t[~(self.next_t < stop)] = np.inf
        t = self.next_t
        hi = (self.next_block + 1) * self.block
        idx = np.flatnonzero(np.floor(t / dt) < hi)
        steps, ids = [], []
        while idx.size:
            steps.append(np.maximum(np.floor(t[idx] / dt).astype(np.int64), self.floor))
            ids.append(idx)
            t[idx] += ct.intervals(p, idx, n, self.rng)
            t[idx[~(t[idx] < stop[idx])]] = np.inf
            idx = idx[np.floor(t[idx] / dt) < hi]
        if steps:
            s, i = np.concatenate(steps), np.concatenate(ids)
            order = np.lexsort((i, s))
            s, i = s[order], i[order]
            first = np.ones(s.shape[0], bool)  # one spike per neuron and step
            first[1:] = (s[1:] != s[:-1]) | (i[1:] != i[:-1])
            self.steps = np.concatenate([self.steps, s[first]])
            self.ids = np.concatenate([self.ids, i[first]])
        self.next_block += 1


def make_events(pop, dt: float, rng):
    if isinstance(pop.celltype, SpikeSourceArray):
        return ArrayEvents(pop, dt)
    if isinstance(pop.celltype, SpikeSourcePoisson):
        return PoissonEvents(pop, dt, rng)
    if isinstance(pop.celltype, RenewalSource):
        return RenewalEvents(pop, dt, rng)
    return None


def merged_window(sources: list, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
    """Events of all sources in ``[t0, t1)``, sorted by step (ties by global index)."""
    parts = [s.window(t0, t1) for s in sources]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    steps = np.concatenate([p[0] for p in parts])
    ids = np.concatenate([p[1] for p in parts])
    order = np.lexsort((ids, steps))
    return steps[order], ids[order]
