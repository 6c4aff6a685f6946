"""Current injection: constant (DC), stepped and sinusoidal currents, named as in PyNN.

A current that changes at time ``T`` (rounded to the nearest step) is
applied from the integration step that starts at ``T``, i.e. it acts on the
interval ``(T, T + dt]``. Between changes it is constant, so the membrane
stays exactly integrated. A sinusoidal current (:class:`ACSource`) is
sampled at the start of every step and held over the step.
"""
from __future__ import annotations

import numpy as np

from . import _validate as V


def _start_stop(name: str, start, stop) -> tuple[float, float | None]:
    """Validated ``(start, stop)`` of a current source (ms; ``stop`` None: never)."""
    start = float(V.non_negative(f"{name}.start", start))
    if stop is not None:
        stop = float(V.finite_array(f"{name}.stop", stop))
        if stop < start:
            raise ValueError(f"{name}.stop must be >= start ({start} ms), got {stop!r}")
    return start, stop


class CurrentSource:
    """Base class: a piecewise-constant current, in nA."""

    sampled = False  # True: the schedule is sampled per step and has no end of its own

    def schedule(self, dt: float | None = None,
                 until: float | None = None) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        """``(times_ms, amplitudes_nA)``: from each time on, the current has that amplitude.

        ``dt`` (ms) and ``until`` (ms) matter only to sampled sources (:class:`ACSource`),
        which return their samples on the time grid up to ``until``.
        """
        raise NotImplementedError

    def bound(self) -> float:
        """Largest magnitude of the current (nA)."""
        return float(np.max(np.abs(self.schedule()[1]), initial=0.0))

    def inject_into(self, target) -> None:
        """Inject into a population or a view of one (PyNN style)."""
        target.net.inject(self, target)


class DCSource(CurrentSource):
    """A constant current ``amplitude`` (nA) from ``start`` to ``stop`` (ms)."""

    def __init__(self, amplitude: float = 1.0, start: float = 0.0, stop: float | None = None) -> None:
        self.amplitude = float(V.finite_array("DCSource.amplitude", amplitude))
        self.start, self.stop = _start_stop("DCSource", start, stop)

    def schedule(self, dt=None, until=None):
        if self.stop is None:
            return np.array([self.start]), np.array([self.amplitude])
        return np.array([self.start, self.stop]), np.array([self.amplitude, 0.0])

    def __repr__(self) -> str:
        return f"DCSource(amplitude={self.amplitude}, start={self.start}, stop={self.stop})"


class StepCurrentSource(CurrentSource):
    """A current that jumps to ``amplitudes[k]`` (nA) at ``times[k]`` (ms)."""

    def __init__(self, times, amplitudes) -> None:
        t = V.non_negative("StepCurrentSource.times", times)
        a = V.finite_array("StepCurrentSource.amplitudes", amplitudes)
        t, a = np.atleast_1d(t), np.atleast_1d(a)
        if t.shape != a.shape:
            raise ValueError(f"StepCurrentSource.amplitudes has length {a.shape[0]}, "
                             f"expected {t.shape[0]} (one per time)")
        if (np.diff(t) <= 0).any():
            raise ValueError("StepCurrentSource.times must be strictly increasing")
        self.times, self.amplitudes = t, a

    def schedule(self, dt=None, until=None):
        return self.times, self.amplitudes

    def __repr__(self) -> str:
        return f"StepCurrentSource({len(self.times)} steps)"


class ACSource(CurrentSource):
    r"""A sinusoidal current (PyNN ``ACSource``, NEST ``ac_generator``), in nA.

    .. math::

        I(t) = \text{offset} + \text{amplitude}
               \sin(2 \pi f (t - t_{start}) / 1000 + \pi \phi / 180)

    for ``start <= t < stop`` (ms; ``f`` in Hz, phase ``\phi`` in degrees), 0 outside.
    The phase holds at ``start``, as PyNN specifies (NEST's ``ac_generator`` counts it
    from ``t = 0``).
    spikesim samples ``I`` at the start of every step and holds it over the step
    (each sample is a current change, so a long run with an AC source costs one kernel
    call per step).
    """

    sampled = True

    def __init__(self, amplitude: float = 1.0, offset: float = 0.0, frequency: float = 10.0,
                 phase: float = 0.0, start: float = 0.0, stop: float | None = None) -> None:
        self.amplitude = float(V.finite_array("ACSource.amplitude", amplitude))
        self.offset = float(V.finite_array("ACSource.offset", offset))
        self.frequency = float(V.non_negative("ACSource.frequency", frequency))
        self.phase = float(V.finite_array("ACSource.phase", phase))
        self.start, self.stop = _start_stop("ACSource", start, stop)

    def bound(self) -> float:
        return abs(self.offset) + abs(self.amplitude)

    def schedule(self, dt=None, until=None):
        if dt is None or until is None:
            raise ValueError("ACSource.schedule needs the time step dt and a time until which "
                             "to sample (ms)")
        end = until if self.stop is None else min(self.stop, until)
        k0 = int(np.rint(self.start / dt))
        k1 = max(int(np.rint(end / dt)), k0)
        t = np.arange(k0, k1) * dt
        amps = self.offset + self.amplitude * np.sin(
            2.0 * np.pi * self.frequency * (t - k0 * dt) / 1000.0 + np.pi * self.phase / 180.0)
        if self.stop is not None and self.stop <= until:
            t = np.append(t, max(self.stop, self.start))
            amps = np.append(amps, 0.0)
        return t, amps

    def __repr__(self) -> str:
        return (f"ACSource(amplitude={self.amplitude}, offset={self.offset}, "
                f"frequency={self.frequency}, phase={self.phase}, start={self.start}, "
                f"stop={self.stop})")


class NoisyCurrentSource(CurrentSource):
    """Gaussian noise current (PyNN ``NoisyCurrentSource``, NEST ``noise_generator``), in nA.

    From ``start`` to ``stop`` (ms) the current is ``mean + stdev * xi``, a new standard
    normal ``xi`` every ``dt`` ms (a whole number of simulation steps; default one step),
    independent for every target neuron, as NEST's ``noise_generator`` gives each target
    its own noise. The draws are counter-based (splitmix64 of the seed, the target and the
    interval; Box-Muller), so a run in pieces, a reloaded network and any thread count
    draw the same values. ``seed``: default derived from the network's seed.
    """

    sampled = True
    per_target = True  # independent noise per target neuron: schedule(dt, until, targets, seed)

    def __init__(self, mean: float = 0.0, stdev: float = 1.0, start: float = 0.0,
                 stop: float | None = None, dt: float | None = None,
                 seed: int | None = None) -> None:
        self.mean = float(V.finite_array("NoisyCurrentSource.mean", mean))
        self.stdev = float(V.non_negative("NoisyCurrentSource.stdev", stdev))
        self.start, self.stop = _start_stop("NoisyCurrentSource", start, stop)
        self.dt = None if dt is None else float(V.positive_scalar("NoisyCurrentSource.dt", dt))
        self.seed = None if seed is None else V.count("NoisyCurrentSource.seed", seed, 0)

    def bound(self) -> float:
        return abs(self.mean) + 10.0 * self.stdev  # |xi| < 10 in practice (p < 1e-22)

    def schedule(self, dt=None, until=None, targets=None, seed=0):
        if dt is None or until is None:
            raise ValueError("NoisyCurrentSource.schedule needs the time step dt and a time "
                             "until which to sample (ms)")
        every = 1 if self.dt is None else int(np.rint(self.dt / dt))
        if every < 1 or abs(every * dt - (self.dt or dt)) > 1e-9 * dt:
            raise ValueError(f"NoisyCurrentSource.dt must be a whole number of steps of "
                             f"{dt} ms, got {self.dt!r}")
        end = until if self.stop is None else min(self.stop, until)
        k0 = int(np.rint(self.start / dt))
        k1 = max(int(np.rint(end / dt)), k0)
        steps = np.arange(k0, k1, every)
        targets = np.zeros(1, np.int64) if targets is None else np.asarray(targets, np.int64)
        key = self.seed if self.seed is not None else seed
        xi = standard_normal(key, targets[None, :], (steps - k0)[:, None] // every)
        amps = self.mean + self.stdev * xi
        t = steps * dt
        if self.stop is not None and self.stop <= until:
            t = np.append(t, max(self.stop, self.start))
            amps = np.vstack([amps, np.zeros((1, targets.shape[0]))])
        return t, amps

    def __repr__(self) -> str:
        return (f"NoisyCurrentSource(mean={self.mean}, stdev={self.stdev}, start={self.start}, "
                f"stop={self.stop}, dt={self.dt})")


_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def standard_normal(seed: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Standard normal numbers keyed by ``(seed, a, b)`` (arrays broadcast): Box-Muller on two
    splitmix64 uniforms (counter-based, Salmon et al. 2011)."""
    with np.errstate(over="ignore"):
        base = (np.uint64(seed) ^ (np.asarray(a).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
                ^ (np.asarray(b).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)))
        u1 = (_mix(base) >> np.uint64(11)).astype(np.float64) / 9007199254740992.0
        u2 = (_mix(base ^ np.uint64(0xD1B54A32D192ED03)) >> np.uint64(11)).astype(np.float64) \
            / 9007199254740992.0
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


def injection_schedule(net, k: int, until_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """Schedule ``(times_ms, amplitudes)`` of the network's injection ``k`` up to ``until_ms``.

    Per-target sources (:class:`NoisyCurrentSource`) get their targets' global indices and a
    seed derived from the network's and the injection's index, so the same network draws the
    same noise in any run, after loading, and on the NEST backend.
    """
    source, q, idx = net.injections[k]
    if getattr(source, "per_target", False):
        seed = (net._dynamics_seed() + 7919 * (k + 1)) % 2 ** 63
        return source.schedule(net.dt, until_ms, q.first + np.asarray(idx), seed)
    return source.schedule(net.dt, until_ms)


def amplitude_at(times_steps: np.ndarray, amplitudes: np.ndarray, step: int):
    """Amplitude in force during ``step`` (0 before the first change).

    ``amplitudes`` of shape ``(k,)`` give a float; ``(k, n)`` (one column per target
    neuron) an array of ``n``.
    """
    j = np.searchsorted(times_steps, step, side="right") - 1
    if amplitudes.ndim == 2:
        return amplitudes[j] if j >= 0 else np.zeros(amplitudes.shape[1])
    return float(amplitudes[j]) if j >= 0 else 0.0
