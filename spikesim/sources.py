"""Spike events of source populations, produced per run chunk."""
from __future__ import annotations

import numpy as np

from .kernels.poisson_drive import poisson_counts_block
from .kernels.poisson_source import bernoulli_hits
from .spike_sources import RenewalSource, SpikeSourceArray, SpikeSourcePoisson, rate_at_steps


class ArrayEvents:
    """Pre-computed sorted events of a :class:`SpikeSourceArray` population."""

    def __init__(self, pop, dt: float) -> None:
        steps, ids = pop.celltype.events(pop.params, dt)
        self.steps, self.ids, self.pop = steps, ids, pop

    def window(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = np.searchsorted(self.steps, [t0, t1])
        return self.steps[a:b], self.ids[a:b] + self.pop.first


def source_key(rng: np.random.Generator) -> int:
    """A 63-bit key from a generator's current state, without advancing it."""
    probe = np.random.Generator(type(rng.bit_generator)())
    probe.bit_generator.state = rng.bit_generator.state
    return int(probe.integers(0, 1 << 63))


MAX_EVENTS = 1 << 22  # Poisson spike events drawn at once (per block and per runtime window)


class PoissonEvents:
    """Bernoulli-per-step Poisson spikes (a Poisson count per step where ``rate dt > 1``),
    drawn in blocks aligned to absolute time.

    Whether neuron ``i`` fires in step ``t`` is a counter-based draw of the source's
    ``key`` (taken from its generator when the source is first run; a population
    ``seed`` fixes it), ``i`` and ``t`` (:mod:`spikesim.kernels.poisson_source`), so the
    spikes of a step do not depend on how the run is cut into ``run()`` calls or on
    whether a rate was changed by ``set()`` or scheduled up front. A ``reset()`` takes a
    new key from the generator (new spikes), unless the generator was seeded again.
    Block ``k`` covers steps ``[k B, (k+1) B)``. Above one spike per step the count is a
    counter-based Poisson draw of the same key, neuron and step
    (:func:`spikesim.kernels.poisson_drive.poisson_counts_block`).
    """

    def __init__(self, pop, dt: float, rng: np.random.Generator) -> None:
        self.pop, self.dt, self.rng = pop, dt, rng
        self._new_key()
        self.block = self._block_size()
        self.next_block = 0
        self.steps = np.zeros(0, np.int64)
        self.ids = np.zeros(0, np.int64)
        self.floor = 0  # events before this step are never drawn (see restart)

    def _new_key(self) -> None:
        """Key the draws by the generator's state, then move the generator on (so that a
        later reset draws new spikes, unless the generator was seeded again)."""
        self.key = source_key(self.rng)
        self.rng.integers(0, 1 << 63)

    def restart(self, step: int, new_draws: bool = False) -> None:
        """Forget every event drawn for ``step`` and later (parameters changed, or a reset;
        ``new_draws``: a reset, after which the source draws new spikes)."""
        if new_draws:
            self._new_key()
        keep = self.steps < step
        self.steps, self.ids = self.steps[keep], self.ids[keep]
        self.block = self._block_size()  # the rates may have changed
        self.next_block = step // self.block
        self.floor = step

    def events_per_step(self) -> float:
        """At most this many events in one step, on average: ``n max(1, rate dt)`` at the
        largest rate of the source (its rate and every scheduled change)."""
        p = self.pop.params
        ch = p.get("rate_changes")
        top = max(float(np.max(p.get("rate", 0.0), initial=0.0)),
                  0.0 if ch is None else float(np.max(ch[1], initial=0.0)))
        return self.pop.size * max(1.0, top * self.dt * 1e-3)

    @property
    def held_per_step(self) -> float:
        """Events per step the runtime's window must make room for: :attr:`per_step`, or 0
        while muted (its input delivered as counts, :mod:`spikesim.pynn.poisson_fold`)."""
        return 0.0 if getattr(self.pop, "events_muted", False) else self.per_step

    def _block_size(self) -> int:
        """Steps per block, so that a block holds about MAX_EVENTS events at most (the draws
        are counter-based: the block size never changes the spikes)."""
        per = self.per_step = self.events_per_step()  # kept for the runtime's window size
        if per > MAX_EVENTS:
            raise ValueError(
                f"SpikeSourcePoisson {self.pop.label!r}: its rates (up to "
                f"{per / self.pop.size * 1e3 / self.dt:.4g} Hz on {self.pop.size} neurons) ask for "
                f"about {per:.3g} spike events in every {self.dt} ms step, more than the "
                f"{MAX_EVENTS} spikesim holds at once; deliver such input as counts with "
                "Network.add_poisson_input")
        return int(np.clip(MAX_EVENTS // max(1.0, per), 1, 4096))

    def _draw_block(self) -> None:
        b = self.next_block
        steps = np.arange(max(b * self.block, self.floor), (b + 1) * self.block, dtype=np.int64)
        prob = rate_at_steps(self.pop.params, steps, self.dt) * (self.dt * 1e-3)
        hit = bernoulli_hits(np.uint64(self.key), steps, np.ascontiguousarray(prob, np.float64))
        many = prob > 1.0  # above one spike per step: a Poisson number of spikes
        if many.any():
            k = hit.astype(np.int64)
            k[many] = poisson_counts_block(np.uint64(self.key), steps,
                                           np.ascontiguousarray(prob, np.float64))[many]
            s, i = np.nonzero(k)
            reps = k[s, i]
            s, i = np.repeat(s, reps), np.repeat(i, reps)
        else:
            s, i = np.nonzero(hit)
        self.steps = np.concatenate([self.steps, steps[s]])
        self.ids = np.concatenate([self.ids, i.astype(np.int64)])
        self.next_block += 1

    def skip_to(self, t0: int) -> None:
        """Drop events before ``t0`` (already delivered)."""
        a = np.searchsorted(self.steps, t0)
        self.steps, self.ids = self.steps[a:], self.ids[a:]

    def window(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        if getattr(self.pop, "events_muted", False):
            # its input is delivered as counts instead (spikesim.pynn.poisson_fold): no events,
            # and none drawn, so that the source resumes at its current step when unmuted
            self.restart(t1)
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
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

    def _new_key(self) -> None:
        """Renewal sources draw their intervals from the generator in order; no key."""
        self.key = 0

    def restart(self, step: int, new_draws: bool = False) -> None:
        super().restart(step, new_draws)
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


class PoissonInput:
    """Poisson background input delivered as per-step counts, not as spike events.

    Every target neuron receives its own independent Poisson spike train of
    ``rate`` Hz through a synapse of weight ``weight`` and delay ``delay``.
    In each step the number of input spikes, ``k ~ Poisson(rate dt / 1000)``,
    is drawn and ``k * weight`` is added straight into the neuron's synaptic
    input ``delay`` later, as NEST's ``poisson_generator`` does (one draw per
    target and step, sent with that multiplicity): the same process as one
    ``SpikeSourcePoisson`` per neuron connected one-to-one (or a generator
    connected all-to-all), at a cost of one draw per neuron and step whatever
    the rate -- 13 kHz per neuron (the microcircuit's background) costs what
    1 Hz does. The input itself is not recorded.

    Create with :meth:`spikesim.Network.add_poisson_input`. Counts are
    counter-based random numbers of the network seed, the input and the
    neuron (:mod:`spikesim.kernels.poisson_drive`): the same seed gives the
    same counts, whatever the thread count or how ``run()`` is split.

    Attributes
    ----------
    population : Population
    indices : int64 array, local indices of the target neurons
    rate : float64 array (Hz), one per target
    weight : float64 array (nA or uS), one per target
    receptor_type : str
    delay_steps : int
    start, stop : int, emission steps ``[start, stop)``
    """

    def __init__(self, net, index: int, target, rate, weight, receptor_type: str, delay,
                 start: float, duration: float, label: str | None, seed: int | None = None) -> None:
        from . import _validate as V
        from .projection import MAX_DELAY_STEPS, check_weights

        pop = target.population
        n = len(target)
        if pop.celltype.kind == 0:
            raise ValueError(f"target ({pop.label!r}) is a spike source; Poisson input goes into "
                             "neurons")
        valid = pop.celltype.receptor_types
        if receptor_type not in valid:
            raise ValueError(f"receptor_type must be one of {valid} for {type(pop.celltype).__name__}"
                             f" population {pop.label!r}, got {receptor_type!r}")
        rate = np.broadcast_to(V.non_negative("PoissonInput.rate", rate, n), (n,)).astype(np.float64)
        weight = np.broadcast_to(V.finite_array("PoissonInput.weight", weight, n), (n,)).astype(
            np.float64)
        V.fits_dtype("PoissonInput.weight", weight, net.dtype)
        check_weights(weight, receptor_type, pop.celltype)
        if delay is None:
            delay = net.dt
        d = float(V.positive_scalar("PoissonInput.delay", delay))
        steps = int(np.rint(d / net.dt))
        if not 1 <= steps <= MAX_DELAY_STEPS:
            raise ValueError(f"PoissonInput.delay must be 1 to {MAX_DELAY_STEPS} steps of dt="
                             f"{net.dt} ms, got {delay!r} ms")
        start = float(V.non_negative("PoissonInput.start", start))
        if isinstance(duration, (bool, np.bool_)) or not isinstance(duration, (int, float)) or \
                not duration >= 0:
            raise ValueError(f"PoissonInput.duration must be >= 0 ms (inf: no end), got {duration!r}")
        self.net, self.index, self.population = net, index, pop
        self.indices = np.asarray(target.local_indices, np.int64).copy()
        self.rate, self.weight, self.receptor_type = rate, weight, receptor_type
        self.delay_steps = steps
        # emission step u is on when start <= (u + 1/2) dt < start + duration (as SpikeSourcePoisson)
        # an input added to a network that has run emits from the current step on
        self.start = max(int(np.ceil(start / net.dt - 0.5)), net.step)
        stop = start + duration
        self.stop = int(np.ceil(stop / net.dt - 0.5)) if np.isfinite(stop) else np.iinfo(np.int64).max
        if seed is not None and (isinstance(seed, (bool, np.bool_)) or
                                 not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"PoissonInput.seed must be an integer >= 0 or None, got {seed!r}")
        self.own_seed = None if seed is None else int(seed)
        self.label = label or f"poisson_input{index}->{pop.label}"
        ent = net._seedseq.entropy
        self._ent = ent
        self.epoch = 0  # Network.reset() starts a new epoch: new counts, as a generator goes on

    @property
    def seed(self) -> np.uint64:
        """Seed of this input's counter-based counts: (network seed, input index, epoch), or
        the input's own seed alone (the same after a reset)."""
        if self.own_seed is not None:
            return np.uint64(np.random.SeedSequence(self.own_seed, spawn_key=(0x9D15E,))
                             .generate_state(1, np.uint64)[0])
        return np.uint64(np.random.SeedSequence(self._ent, spawn_key=(0x9D15E, self.index, self.epoch))
                         .generate_state(1, np.uint64)[0])

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __repr__(self) -> str:
        return (f"PoissonInput({self.label!r}, {len(self)} neurons, rate {float(self.rate.mean()):g} Hz "
                f"mean, {self.receptor_type})")


def drive_arrays(net, inputs: list, n_parts: int, fused=frozenset()) -> dict | None:
    """Kernel arrays of the Poisson inputs (:mod:`spikesim.kernels.poisson_drive`), or None.

    Each input becomes segments of contiguous target neurons (one per run of
    consecutive indices); ``bounds`` splits the driven neurons into ``n_parts``
    ranges of about equal numbers of entries. ``fused``: indices of the populations
    whose receptors share ring planes (:func:`spikesim.fusion.plane`).
    """
    from .fusion import plane

    from .kernels.poisson_drive import LAM_SWITCH, cdf_table

    if not inputs:
        return None
    dt = net.dt
    seg = {k: [] for k in ("lo", "n", "rec", "delay", "start", "stop", "seed", "key0", "e0")}
    lam, w, tabs, tab_len = [], [], [], []
    e0 = 0
    for p in inputs:
        glob = p.population.first + p.indices
        lam_p = p.rate * (dt * 1e-3)
        breaks = np.flatnonzero(np.diff(glob) != 1) + 1
        rec = plane(p.population, p.receptor_type, fused)
        for a, b in zip(np.concatenate([[0], breaks]), np.concatenate([breaks, [len(glob)]])):
            for k, v in (("lo", glob[a]), ("n", b - a), ("rec", rec), ("delay", p.delay_steps),
                         ("start", p.start), ("stop", p.stop), ("seed", p.seed),
                         ("key0", p.indices[a]), ("e0", e0 + a)):
                seg[k].append(v)
            la = lam_p[a:b]
            if la.size and (la == la[0]).all() and la[0] < LAM_SWITCH:
                tabs.append(cdf_table(float(la[0])) if la[0] > 0 else np.ones(1))
            else:
                tabs.append(np.zeros(0))
            tab_len.append(tabs[-1].shape[0])
        lam.append(lam_p)
        w.append(p.weight)
        e0 += len(glob)
    a = {k: np.array(v, np.uint64 if k == "seed" else np.int64) for k, v in seg.items()}
    a["lam"] = np.concatenate(lam)
    a["elam"] = np.exp(-a["lam"])
    a["w"] = np.concatenate(w).astype(net.dtype)
    a["tab"] = np.concatenate(tabs) if tabs else np.zeros(0)
    a["g_tab"] = np.zeros(len(tab_len) + 1, np.int64)
    np.cumsum(tab_len, out=a["g_tab"][1:])
    targets = np.sort(np.concatenate([p.population.first + p.indices for p in inputs]))
    k = max(n_parts, 1)
    inner = targets[(np.arange(1, k) * targets.shape[0]) // k] if targets.size else []
    a["bounds"] = np.concatenate([[0], inner, [net.n_neurons]]).astype(np.int64)
    a["max_delay"] = int(a["delay"].max(initial=1))
    return a


def drive_args(a: dict) -> tuple:
    """The kernel arguments after ``(buf, slot_mask, s0, s1)``, in order."""
    return (a["bounds"], a["lo"], a["n"], a["rec"], a["delay"], a["start"], a["stop"], a["seed"],
            a["key0"], a["e0"], a["g_tab"], a["tab"], a["lam"], a["elam"], a["w"])
