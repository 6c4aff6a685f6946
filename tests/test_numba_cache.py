"""Numba's on-disk cache of the kernels is keyed by every kernel source file.

Numba reuses a function's cached code when that function's own file is unchanged, even if
a function it calls, in another module, has changed since (an edit, or an upgrade of
spikesim): the caller then runs the callee's old code. kernels/_config.py therefore puts
the cache in a folder named by a hash of all kernel sources.
"""
from __future__ import annotations

import os
import subprocess
import sys

from spikesim.kernels import _config, lazy_rules


def test_cache_folder_is_keyed_by_all_kernel_sources():
    assert _config.CACHE_DIR is not None
    assert os.path.basename(_config.CACHE_DIR) == _config.kernel_hash()[:16]
    # a kernel that calls into other modules caches under that folder
    assert lazy_rules.lazy_step._cache._cache_path.startswith(_config.CACHE_DIR)


def _cache_dir_in_subprocess(cache_env: str, numba_env: str | None = None) -> str:
    env = dict(os.environ, SPIKESIM_CACHE=cache_env)
    env.pop("NUMBA_CACHE_DIR", None)
    if numba_env is not None:
        env["NUMBA_CACHE_DIR"] = numba_env
    code = ("from spikesim.kernels import _config, lazy_rules; import spikesim;"
            "print(_config.CACHE_DIR); print(lazy_rules.lazy_step._cache._cache_path)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return out


def test_cache_follows_spikesim_cache_and_falls_back_when_unwritable(tmp_path):
    got = _cache_dir_in_subprocess(str(tmp_path / "c"))
    assert got[0] == str(tmp_path / "c" / "numba" / _config.kernel_hash()[:16])
    assert got[1].startswith(got[0])
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    got = _cache_dir_in_subprocess(str(blocker))  # cannot hold a folder: Numba's default
    assert got[0] == "None" and "__pycache__" in got[1]
    # a Numba cache folder of the user's (the benchmarks' cold-JIT runs set one) is honoured
    got = _cache_dir_in_subprocess(str(tmp_path / "c"), str(tmp_path / "nb"))
    assert got[0] == str(tmp_path / "nb" / ("spikesim-" + _config.kernel_hash()[:16]))
