"""Numba flags for every spikesim kernel, kept in one place.

- ``cache=True``: compiled machine code is cached on disk, so only the first
  call in a fresh environment pays the JIT cost. The cache lives in
  ``$SPIKESIM_CACHE/numba/<hash of every kernel source>`` (default
  ``~/.cache/spikesim``; with ``NUMBA_CACHE_DIR`` set, in ``spikesim-<hash>`` under it): Numba checks only a function's own file before reusing its
  cached code, so a kernel compiled against an older version of a function in another
  module (after an edit or an upgrade) would otherwise run stale code. A folder that
  cannot be written leaves Numba's default (``__pycache__`` beside the sources).
- ``fastmath`` is off: every kernel must give the same bits as its NumPy twin
  up to the order of floating-point sums, and bit-identical results for the
  same seed on the same machine.
- ``SPIKESIM_DEBUG=1`` in the environment turns Numba's bounds checking on.
"""
import functools
import hashlib
import os
import pathlib
import tempfile

import numba
from numba import njit

DEBUG: bool = os.environ.get("SPIKESIM_DEBUG", "0") not in ("", "0")

FLAGS = dict(cache=True, nogil=True, boundscheck=DEBUG, error_model="numpy")

_KERNELS = pathlib.Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def kernel_hash() -> str:
    """sha256 of every kernel source file (names and bytes), read once per process (the
    Numba cache folder is chosen with it at import)."""
    h = hashlib.sha256()
    for p in sorted(_KERNELS.rglob("*.py")):
        h.update(str(p.relative_to(_KERNELS)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _cache_dir() -> str | None:
    if os.environ.get("NUMBA_CACHE_DIR"):  # the user's (or a benchmark's) own Numba cache
        path = os.path.join(os.environ["NUMBA_CACHE_DIR"], "spikesim-" + kernel_hash()[:16])
    else:
        base = os.environ.get("SPIKESIM_CACHE") or os.path.join(os.path.expanduser("~"),
                                                                ".cache", "spikesim")
        path = os.path.join(base, "numba", kernel_hash()[:16])
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return None
    return path


CACHE_DIR = _cache_dir()


def _decorate(opts: dict, fn):
    old = numba.config.CACHE_DIR
    if CACHE_DIR is not None and opts.get("cache"):
        numba.config.CACHE_DIR = CACHE_DIR  # read when the dispatcher picks its cache folder
    try:
        return njit(**opts)(fn)
    finally:
        numba.config.CACHE_DIR = old


def jit(fn=None, **extra):
    """``numba.njit`` with the project's flags; extra keywords override them."""
    opts = {**FLAGS, **extra}
    if fn is None:
        return lambda f: _decorate(opts, f)
    return _decorate(opts, fn)
