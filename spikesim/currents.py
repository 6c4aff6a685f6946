"""Current injection: constant (DC) and stepped currents, named as in PyNN.

A current that changes at time ``T`` (rounded to the nearest step) is
applied from the integration step that starts at ``T``, i.e. it acts on the
interval ``(T, T + dt]``. Between changes it is constant, so the membrane
stays exactly integrated.
"""
from __future__ import annotations

import numpy as np

from . import _validate as V


class CurrentSource:
    """Base class: a piecewise-constant current, in nA."""

    def schedule(self) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - interface
        """``(times_ms, amplitudes_nA)``: from each time on, the current has that amplitude."""
        raise NotImplementedError

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

    def schedule(self):
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

    def schedule(self):
        return self.times, self.amplitudes

    def __repr__(self) -> str:
        return f"StepCurrentSource({len(self.times)} steps)"


def amplitude_at(times_steps: np.ndarray, amplitudes: np.ndarray, step: int) -> float:
    """Amplitude in force during ``step`` (0 before the first change)."""
    j = np.searchsorted(times_steps, step, side="right") - 1
    return float(amplitudes[j]) if j >= 0 else 0.0
