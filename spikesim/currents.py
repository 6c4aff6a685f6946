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
        self.start = float(V.non_negative("DCSource.start", start))
        if stop is not None:
            stop = float(V.finite_array("DCSource.stop", stop))
            if stop < self.start:
                raise ValueError(f"DCSource.stop must be >= start ({self.start} ms), got {stop!r}")
        self.stop = stop

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

        I(t) = \text{offset} + \text{amplitude} \sin(2 \pi f t / 1000 + \pi \phi / 180)

    for ``start <= t < stop`` (ms; ``f`` in Hz, phase ``\phi`` in degrees), 0 outside.
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
        self.start = float(V.non_negative("ACSource.start", start))
        if stop is not None:
            stop = float(V.finite_array("ACSource.stop", stop))
            if stop < self.start:
                raise ValueError(f"ACSource.stop must be >= start ({self.start} ms), got {stop!r}")
        self.stop = stop

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
        amps = self.offset + self.amplitude * np.sin(2.0 * np.pi * self.frequency * t / 1000.0
                                                     + np.pi * self.phase / 180.0)
        if self.stop is not None and self.stop <= until:
            t = np.append(t, max(self.stop, self.start))
            amps = np.append(amps, 0.0)
        return t, amps

    def __repr__(self) -> str:
        return (f"ACSource(amplitude={self.amplitude}, offset={self.offset}, "
                f"frequency={self.frequency}, phase={self.phase}, start={self.start}, "
                f"stop={self.stop})")


def amplitude_at(times_steps: np.ndarray, amplitudes: np.ndarray, step: int) -> float:
    """Amplitude in force during ``step`` (0 before the first change)."""
    j = np.searchsorted(times_steps, step, side="right") - 1
    return float(amplitudes[j]) if j >= 0 else 0.0
