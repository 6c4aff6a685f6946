"""Threads that do not collapse under load.

A threaded run advances all threads in lock step: every time step ends at a barrier.
When another process takes one of the cores, a thread waiting at that barrier waits
for a thread the operating system has descheduled, and with OpenMP's default
spin-then-sleep barrier a run on 2 threads next to one busy process was measured here
30x slower than on 1 thread. Two measures keep it graceful:

1. Waiting threads spin only briefly, then sleep: unless the user has set
   ``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT`` or ``KMP_BLOCKTIME``, spikesim sets
   ``GOMP_SPINCOUNT=30000`` (GNU OpenMP) and ``KMP_BLOCKTIME=1`` (ms; Intel and LLVM
   OpenMP) when it is imported (before Numba starts its OpenMP threads; a process that
   already ran a Numba parallel function keeps its settings). A short spin catches the
   partner thread of a quiet machine at the barrier without a sleep and a wake-up;
   ``OMP_WAIT_POLICY=PASSIVE``, used until 2026-12-06, slept at every barrier and made
   the threaded engine no faster than one thread on CUBA 80k (benchmarks/README.md).
2. :class:`ThreadGovernor` times every run window of the threaded engine and, from time
   to time, one window of the one-thread engine, and runs each window with whichever
   is faster per step now. The two engines give bit-identical results (each thread
   delivers into its own targets in spike order, and a window ends with all spikes
   delivered), so switching between windows changes the speed only.

And which threads there are: :func:`parallel_ok` (a threading layer that pays off, and not
beside NEST's own OpenMP runtime) and :func:`balanced_bounds` (where the threads split the
neurons).
"""
from __future__ import annotations

import functools
import os
import sys
import time
import warnings
from collections import deque

import numpy as np


#: The OpenMP settings spikesim makes at import when the user has made none
WAIT_SETTINGS = {"GOMP_SPINCOUNT": "30000", "KMP_BLOCKTIME": "1"}
#: Variables by which the user chooses how OpenMP threads wait (any one: spikesim sets none)
USER_WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
#: What :func:`bound_spin_waits` set in this process
SET_AT_IMPORT: dict = {}


def bound_spin_waits() -> None:
    """Let waiting OpenMP threads spin briefly, then sleep, unless the user chose how."""
    if not any(k in os.environ for k in USER_WAIT_VARIABLES):
        for k, v in WAIT_SETTINGS.items():
            os.environ[k] = v
            SET_AT_IMPORT[k] = v


def environment_for_others(env) -> dict:
    """``env`` without the OpenMP settings spikesim made for itself, for another simulator.

    Brian2's and NEST's OpenMP loops meet at several barriers per time step. With the
    ``OMP_WAIT_POLICY=PASSIVE`` that spikesim set until 2026-12-06, inherited by
    ``spikesim bench``'s children, each wait became a sleep and a wake-up, and Brian2's
    CUBA on two threads ran 4-16x slower than on one (benchmarks/README.md). What the user
    set is passed on unchanged.
    """
    env = dict(env)
    for k, v in SET_AT_IMPORT.items():
        if env.get(k) == v:
            del env[k]
    return env


class ThreadGovernor:
    """Choose, window by window, between the threaded and the one-thread engine.

    Parameters
    ----------
    n_parts : int
        Threads of the threaded engine; with 1 there is nothing to choose.
    probe_every : int
        Every this many windows, the engine not in use runs one short window, so that a
        change of load is noticed. Each engine's first window runs no step
        (:meth:`window_steps` gives 0): it only compiles the engine or loads it from Numba's
        cache, so that both engines are ready after a network's first ``run``, whose
        compile time users and benchmarks set apart from the loop's, and no measured window
        includes loading.
    keep : int
        Per-step times remembered per engine (the median decides).
    short_steps : int
        Longest window, in steps, of an engine's warm-up or of a probe (:meth:`window_steps`):
        what runs on the engine not preferred costs that engine's speed for this long only.
        A 1 s CUBA 80k run on two threads spent two of its ten 1,000-step windows on one
        thread for the warm-up alone.
    max_backoff : int
        While the threaded engine is in use and every probe confirms it, the interval
        between probes doubles, up to ``max_backoff * probe_every`` windows: a probe
        runs a window at the slower engine's speed (on a quiet machine about 2.7 % of
        the full-scale microcircuit's loop at every 24th window). Load that arrives is
        still seen at once, in the threaded engine's own times: its median per step
        rises above the one-thread engine's and the next window runs on one thread.
        On one thread the interval stays ``probe_every``, because only a probe can
        show that the load has gone.
    """

    def __init__(self, n_parts: int, probe_every: int = 24, keep: int = 5,
                 max_backoff: int = 8, short_steps: int = 128) -> None:
        self.n_parts = int(n_parts)
        self.short_steps = int(short_steps)
        self._short = False
        self._load = False
        self.probe_every = int(probe_every)
        self.max_interval = int(probe_every) * max(1, int(max_backoff))
        self.interval = self.probe_every
        self.next_probe = self.probe_every
        self.times = {True: deque(maxlen=keep), False: deque(maxlen=keep)}
        self.calls = {True: 0, False: 0}
        self.windows = 0
        self._t0 = 0.0
        self._mode = self.n_parts > 1
        self._probing = False

    @staticmethod
    def _median(values) -> float:
        v = sorted(values)
        return v[len(v) // 2]

    def threaded(self) -> bool:
        """Whether the next window runs on the threaded engine; starts its clock."""
        self._t0 = time.perf_counter()
        if self.n_parts <= 1:
            return False
        self.windows += 1
        self._short = True
        self._load = min(self.calls.values()) == 0
        if self._load:  # load the threaded engine, then the one-thread engine
            self._mode = self.calls[True] == 0
        elif min(self.calls.values()) < 2:  # warm up each, in the same order
            self._mode = self.calls[True] < 2
        elif self.windows >= self.next_probe:  # probe the engine not in use
            self._mode = not self.best()
            self._probing = True
        else:
            self._short = False
            mode = self.best()
            if mode != self._mode and not mode:  # threads lost: probe them at the base rate
                self.interval = self.probe_every
                self.next_probe = min(self.next_probe, self.windows + self.interval)
            self._mode = mode
        return self._mode

    def window_steps(self, steps: int) -> int:
        """How many of ``steps`` the window just chosen by :meth:`threaded` should run: at
        most ``short_steps`` for a warm-up or a probe, none to load an engine, else all."""
        if self._load:
            return 0
        return min(steps, self.short_steps) if self._short else steps

    def start(self) -> None:
        """Restart the window's clock (just before the kernel runs)."""
        self._t0 = time.perf_counter()

    def best(self) -> bool:
        """True when the threaded engine is at least as fast per step as one thread."""
        if not self.times[True] or not self.times[False]:
            return self.n_parts > 1
        return self._median(self.times[True]) <= self._median(self.times[False])

    def done(self, steps: int) -> None:
        """Record the wall time of the window just run (``steps`` steps)."""
        if self.n_parts <= 1:
            return
        mode = self._mode
        if self._load:  # the engine is loaded: its first call, not timed
            self._load = False
            self.calls[mode] += 1
            return
        if steps <= 0:
            return
        self.calls[mode] += 1
        if steps < max(1, self.short_steps // 4):
            return  # a window cut short by the end of a run: its fixed costs would dominate
        per_step = (time.perf_counter() - self._t0) / steps
        self.times[mode].append(per_step)
        if self._probing:
            self._probing = False
            confirmed = not mode and self.best()  # one thread probed, and threads still win
            self.interval = min(2 * self.interval, self.max_interval) if confirmed \
                else self.probe_every
            self.next_probe = self.windows + self.interval
        elif self.next_probe <= self.windows:  # warm-up done: schedule the first probe
            self.next_probe = self.windows + self.interval


# ------------------------------------------------ how many threads, and where they split
PARALLEL_MIN_NEURONS = 20000  # threads="auto": one thread below this many neurons
PLASTIC_SYNAPSES_PER_UPDATE = 40.0  # incoming plastic synapses that cost one neuron update
# (CUBA + STDP at ~6 Hz, one thread, before the prefetching kernel: ~10 us per neuron and
# ~0.25 us per plastic synapse per simulated second; with it the busy times suggest ~75, which
# measured no faster on 80k neurons, so 40 stays)


def balanced_bounds(n: int, n_parts: int, plastic, sources=()) -> np.ndarray:
    """Neuron boundaries of the per-thread parts, ``(n_parts + 1,)`` int64.

    Equal numbers of neurons that have dynamics: the spike sources (``sources``, their
    ``(first, size)`` ranges) are neither updated nor targeted, so they count for
    nothing. A PyNN script that gives each neuron its own ``SpikeSourcePoisson`` holds as
    many sources as neurons, and an equal split of all indices left one thread with all of
    sPyNNaker's microcircuit. With plastic projections a thread also depresses and
    potentiates the plastic synapses onto its neurons, so the parts then get equal
    estimated cost (one update per neuron plus ``1 / PLASTIC_SYNAPSES_PER_UPDATE`` per
    incoming plastic synapse). Any split gives the same results (tested); only the speed
    changes.
    """
    if n_parts <= 1 or not (plastic or sources):
        return np.linspace(0, n, n_parts + 1).astype(np.int64)
    cost = np.ones(n)
    for first, size in sources:
        cost[first:first + size] = 0.0
    if not cost.any():
        return np.linspace(0, n, n_parts + 1).astype(np.int64)
    for j in plastic:
        lo = j.post_population.first
        cost[lo:lo + j.post_population.size] += (
            np.bincount(j.post, minlength=j.post_population.size) / PLASTIC_SYNAPSES_PER_UPDATE)
    cum = np.cumsum(cost)
    inner = np.searchsorted(cum, cum[-1] * np.arange(1, n_parts) / n_parts)
    return np.concatenate([[0], inner, [n]]).astype(np.int64)


def parallel_ok() -> bool:
    """Threads pay off only with a low-overhead threading layer (OpenMP or TBB).

    Not after NEST was imported while Numba's threads were not yet started: NEST's pip wheel
    carries its own OpenMP runtime, and starting Numba's OpenMP layer beside it makes NEST's
    next ``ResetKernel`` crash the process (seen with NEST 3.10). spikesim then runs on one
    thread and says so once. Started the other way round, both work.
    """
    from numba.np.ufunc import parallel as _p

    if "nest" in sys.modules and not getattr(_p, "_is_initialized", True):
        if not _warned_nest:
            _warned_nest.append(True)
            warnings.warn("NEST is loaded in this process and Numba's threads were not started "
                          "before it: spikesim runs on one thread (two OpenMP runtimes in one "
                          "process crash NEST); start a threaded spikesim run before importing "
                          "NEST to use threads", RuntimeWarning, stacklevel=4)
        return False
    return launch_layer()


_warned_nest: list = []


@functools.cache
def launch_layer() -> bool:
    import numba

    try:
        numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]
        from numba.np.ufunc import parallel as _p

        _p._launch_threads()
        return numba.threading_layer() in ("omp", "tbb")
    except Exception:  # noqa: BLE001 - no usable layer: run serially
        return False
