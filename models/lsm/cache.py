"""Resumable LSM runs: W_INI and per-sample liquid features kept on disk.

A whole mode on full MNIST simulates 70,000 samples (tens of minutes here). Each run
writes, under ``<root>/<key>/``:

- ``w_ini.npz``: the weights after the W_INI phase (with their summary statistics);
- ``block_<first>_<n>.npz``: the liquid spike counts and branching factors of the
  samples ``order[first:first + n]``, one file per finished block, written atomically.

``key`` is a hash of everything the features depend on: dataset, the data files
(names and sizes), mode, seed, split seed, liquid size and parameters, sample duration,
time bins, the sample subset and W_INI length, the branching-factor samples, and the
source text of the liquid model and of spikesim's kernels. A later run with the same
key loads W_INI and every finished block and simulates only what is missing, so an
interrupted run continues where it stopped; any change of code or settings starts a
new key. The default root is ``$SPIKESIM_CACHE/lsm`` (``~/.cache/spikesim/lsm``).
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib

import numpy as np


def default_root() -> pathlib.Path:
    """``$SPIKESIM_CACHE/lsm`` (default ``~/.cache/spikesim/lsm``)."""
    base = os.environ.get("SPIKESIM_CACHE") or os.path.join(os.path.expanduser("~"), ".cache",
                                                             "spikesim")
    return pathlib.Path(base) / "lsm"


def _sources_digest() -> str:
    """Hash of the source text of the liquid model and of spikesim's kernels."""
    import spikesim.kernels as K

    h = hashlib.sha256()
    for folder in (pathlib.Path(__file__).parent, pathlib.Path(K.__file__).parent):
        for f in sorted(folder.rglob("*.py")):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _data_digest(data_dir) -> list:
    p = pathlib.Path(data_dir)
    files = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
    if len(files) > 200:  # folders of recordings: their count and total size
        return [len(files), sum(f.stat().st_size for f in files)]
    return [[f.name, f.stat().st_size] for f in files]


def run_key(settings: dict, data_dir) -> str:
    """The cache key of a run (a hex digest)."""
    blob = json.dumps({"settings": settings, "data": _data_digest(data_dir),
                       "code": _sources_digest()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


class FeatureCache:
    """W_INI and liquid-feature blocks of one run, under ``root/key``.

    Parameters
    ----------
    root : path or None
        Cache root (default :func:`default_root`); ``False`` disables caching.
    settings : dict
        Everything that determines the features (JSON-serialisable).
    data_dir : path
        The data set's folder or file (names and sizes enter the key).
    """

    def __init__(self, root, settings: dict, data_dir) -> None:
        self.enabled = root is not False
        self.key = run_key(settings, data_dir)
        self.dir = (default_root() if root in (None, True) else pathlib.Path(root)) / self.key
        if self.enabled:
            self.dir.mkdir(parents=True, exist_ok=True)
            info = self.dir / "settings.json"
            if not info.exists():
                info.write_text(json.dumps(settings, indent=1, sort_keys=True, default=str))

    @classmethod
    def open(cls, run_dir) -> "FeatureCache":
        """The cache of a finished or stopped run, from its own folder ``<root>/<key>``
        (for reading its W_INI and blocks after the fact, whatever the code is now)."""
        run_dir = pathlib.Path(run_dir)
        if not (run_dir / "settings.json").exists():
            raise FileNotFoundError(f"run_dir: {run_dir} holds no settings.json; "
                                    f"not a run's cache folder")
        self = cls.__new__(cls)
        self.enabled, self.key, self.dir = True, run_dir.name, run_dir
        return self

    def _write(self, name: str, **arrays) -> None:
        tmp = self.dir / (name + ".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, self.dir / (name + ".npz"))

    def load_w_ini(self):
        """``(weights, stats)`` of a finished W_INI phase, or None."""
        f = self.dir / "w_ini.npz"
        if not self.enabled or not f.exists():
            return None
        with np.load(f) as z:
            weights = {k[2:]: z[k] for k in z.files if k.startswith("w_")}
            stats = json.loads(str(z["stats"]))
        return weights, stats

    def save_w_ini(self, weights: dict, stats: dict) -> None:
        if self.enabled:
            self._write("w_ini", stats=np.array(json.dumps(stats)),
                        **{"w_" + k: np.asarray(v) for k, v in weights.items()})

    def block_name(self, first: int, n: int) -> str:
        return f"block_{first:07d}_{n}"

    def load_block(self, first: int, n: int):
        """``(counts, bf)`` of a finished block, or None."""
        f = self.dir / (self.block_name(first, n) + ".npz")
        if not self.enabled or not f.exists():
            return None
        with np.load(f) as z:
            bf = {int(i): float(v) for i, v in zip(z["bf_samples"], z["bf_values"])}
            return z["counts"].astype(np.int64), bf

    def save_block(self, first: int, n: int, counts: np.ndarray, bf: dict) -> None:
        if self.enabled:
            self._write(self.block_name(first, n), counts=counts.astype(np.int32),
                        bf_samples=np.array(list(bf), np.int64),
                        bf_values=np.array(list(bf.values()), np.float64))
