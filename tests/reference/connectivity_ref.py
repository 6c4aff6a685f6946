"""NumPy twins of :mod:`spikesim.kernels.connectivity`."""
import numpy as np


def csr_order(pre, n_pre):
    order = np.argsort(pre, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=n_pre))]).astype(np.int64)
    return indptr, order


def sort_rows_find_duplicates(indptr, cols):
    dup = np.zeros(cols.shape[0], bool)
    for r in range(len(indptr) - 1):
        a, b = indptr[r], indptr[r + 1]
        cols[a:b] = np.sort(cols[a:b])
        if b - a > 1:
            dup[a + 1:b] = cols[a + 1:b] == cols[a:b - 1]
    return dup


def row_cuts(indptr, post, post_lo, bounds):
    rows = []
    for r in range(len(indptr) - 1):
        a, b = indptr[r], indptr[r + 1]
        tgt = post[a:b].astype(np.int64) + post_lo
        rows.append([a] + [a + int(np.count_nonzero(tgt < x)) for x in bounds[1:-1]] + [b])
    return np.array(rows, dtype=np.int64).reshape(len(indptr) - 1, len(bounds))


def rows_sorted(indptr, post):
    return all(np.all(np.diff(post[indptr[r]:indptr[r + 1]]) >= 0) for r in range(len(indptr) - 1))


def csr_transpose(indptr, cols, n_cols):
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    order = np.lexsort((rows, cols))
    indptr_t = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=n_cols))]).astype(np.int64)
    return indptr_t, rows[order].astype(np.int32)


def skip_own_index(indptr, cols):
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    cols += (cols >= rows).astype(cols.dtype)
