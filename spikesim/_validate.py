"""Argument checks shared by the API layer. Every error names the parameter and the value."""
from __future__ import annotations

import numbers

import numpy as np


def _show(value) -> str:
    a = np.asarray(value)
    if a.ndim == 0:
        return repr(value)
    return f"array(shape={a.shape}, first bad value shown below)"


def finite_array(name: str, value, n: int | None = None, dtype=np.float64) -> np.ndarray:
    """Return ``value`` as a float array (scalar or length ``n``), refusing NaN/inf."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}")
    try:
        a = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number or an array of numbers, got {value!r}") from exc
    if a.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {a.shape}")
    if a.ndim == 1 and n is not None and a.shape[0] != n:
        raise ValueError(f"{name} has length {a.shape[0]}, expected {n} (one value per neuron)")
    bad = ~np.isfinite(a)
    if bad.any():
        first = float(a.flat[int(np.flatnonzero(bad.ravel())[0])])
        raise ValueError(f"{name} must be finite, got {first!r}" +
                         ("" if a.ndim == 0 else f" at index {int(np.flatnonzero(bad)[0])}"))
    return a


def fits_dtype(name: str, a: np.ndarray, dtype) -> np.ndarray:
    """Refuse finite values that would overflow to +-inf when stored as ``dtype``."""
    big = np.finfo(dtype).max
    over = np.abs(a) > big
    if np.any(over):
        first = float(np.asarray(a)[over].flat[0]) if np.ndim(a) else float(a)
        raise ValueError(f"{name}={first!r} does not fit in the network's {np.dtype(dtype)} "
                         f"(|value| <= {float(big):.3g})")
    return a


def positive(name: str, value, n: int | None = None) -> np.ndarray:
    """Finite and strictly positive (scalar or per-neuron array)."""
    a = finite_array(name, value, n)
    if (a <= 0).any():
        first = float(a.flat[int(np.flatnonzero((a <= 0).ravel())[0])])
        raise ValueError(f"{name} must be > 0, got {first!r}")
    return a


def non_negative(name: str, value, n: int | None = None) -> np.ndarray:
    """Finite and >= 0 (scalar or per-neuron array)."""
    a = finite_array(name, value, n)
    if (a < 0).any():
        first = float(a.flat[int(np.flatnonzero((a < 0).ravel())[0])])
        raise ValueError(f"{name} must be >= 0, got {first!r}")
    return a


def positive_scalar(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def count(name: str, value, minimum: int = 0) -> int:
    """An integer count >= ``minimum`` (rejects bools and floats with a fraction)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def probability(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, 1], got {value!r}")
    p = float(value)
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return p


def time_to_steps(name: str, value, dt: float, minimum: int = 0) -> int:
    """Convert a duration in ms to a whole number of steps of ``dt``.

    Rule: the duration must be a whole multiple of ``dt`` up to a relative
    tolerance of 1e-9 (so ``0.3 / 0.1`` is accepted as 3 steps); anything
    else is refused rather than silently rounded.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of milliseconds, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if v < minimum * dt:
        raise ValueError(f"{name} must be >= {minimum * dt!r} ms, got {value!r}")
    steps = v / dt
    n = int(round(steps))
    if abs(steps - n) > 1e-9 * max(1.0, abs(steps)):
        raise ValueError(f"{name}={value!r} ms is not a multiple of dt={dt!r} ms "
                         f"({steps:.6g} steps); pass a whole number of steps")
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum * dt!r} ms, got {value!r}")
    return n


def finite_scalar(name: str, value) -> float:
    """A finite real number (bools and strings refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def non_negative_scalar(name: str, value) -> float:
    v = finite_scalar(name, value)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return v


def choice(name: str, value, allowed: tuple) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
