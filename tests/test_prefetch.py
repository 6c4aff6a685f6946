"""The prefetch hint compiles to LLVM's prefetch and never changes a result."""
import numpy as np
from numba import njit

from spikesim.kernels.prefetch import AHEAD, prefetch, prefetch_read


@njit
def _gather_sum(x, idx, hint):
    s = 0.0
    for e in range(idx.shape[0]):
        if hint and e + AHEAD < idx.shape[0]:
            prefetch(x, idx[e + AHEAD])
        s += x[idx[e]]
    return s


@njit
def _rows(h, idx):
    s = 0.0
    for e in range(idx.shape[0]):
        prefetch_read(h, idx[e])  # 2-D: the row's first element
        s += h[idx[e], 1]
    return s


def test_prefetch_is_emitted_and_changes_nothing():
    rng = np.random.default_rng(0)
    x = rng.random(100_000)
    idx = rng.integers(0, x.shape[0], 5_000).astype(np.int32)
    with_hint = _gather_sum(x, idx, True)
    assert with_hint == _gather_sum(x, idx, False)  # same order of sums: same bits
    assert np.isclose(with_hint, x[idx].sum(), rtol=1e-12)
    ir = next(iter(_gather_sum.inspect_llvm().values()))
    assert "call void @llvm.prefetch" in ir and "i32 1, i32 3, i32 1)" in ir  # write intent
    h = rng.random((1_000, 4))
    rows = rng.integers(0, 1_000, 300)
    assert np.isclose(_rows(h, rows), h[rows, 1].sum(), rtol=1e-12)
    ir = next(iter(_rows.inspect_llvm().values()))
    assert "call void @llvm.prefetch" in ir and "i32 0, i32 3, i32 1)" in ir  # read intent
