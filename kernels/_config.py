"""Numba flags for every spikesim kernel, kept in one place.

- ``cache=True``: compiled machine code is cached on disk, so only the first
  call in a fresh environment pays the JIT cost.
- ``fastmath`` is off: every kernel must give the same bits as its NumPy twin
  up to the order of floating-point sums, and bit-identical results for the
  same seed on the same machine.
- ``SPIKESIM_DEBUG=1`` in the environment turns Numba's bounds checking on.
"""
import os

from numba import njit

DEBUG: bool = os.environ.get("SPIKESIM_DEBUG", "0") not in ("", "0")

FLAGS = dict(cache=True, nogil=True, boundscheck=DEBUG, error_model="numpy")


def jit(fn=None, **extra):
    """``numba.njit`` with the project's flags; extra keywords override them."""
    opts = {**FLAGS, **extra}
    if fn is None:
        return njit(**opts)
    return njit(**opts)(fn)
