"""Kernels that build CSR connectivity: counting sort, per-row de-duplication, row splits."""
import numpy as np

from ._config import jit


@jit
def csr_order(pre, n_pre):
    """Stable counting sort of connections by presynaptic index.

    Parameters
    ----------
    pre : int array, shape (M,)
        Presynaptic index of every connection, all in ``[0, n_pre)``.
    n_pre : int

    Returns
    -------
    indptr : int64 array, shape (n_pre + 1,)
    order : int64 array, shape (M,)
        ``order[k]`` is the input position of the connection stored at CSR
        position ``k``; connections of one row keep their input order.
    """
    m = pre.shape[0]
    indptr = np.zeros(n_pre + 1, np.int64)
    for k in range(m):
        indptr[pre[k] + 1] += 1
    for r in range(n_pre):
        indptr[r + 1] += indptr[r]
    fill = indptr[:-1].copy()
    order = np.empty(m, np.int64)
    for k in range(m):
        r = pre[k]
        order[fill[r]] = k
        fill[r] += 1
    return indptr, order


@jit
def sort_rows_find_duplicates(indptr, cols):
    """Sort every CSR row of ``cols`` in place; flag repeated entries.

    Returns a boolean array, True at the second and later copies of a column
    within one row (the first copy stays False).
    """
    dup = np.zeros(cols.shape[0], np.bool_)
    for r in range(indptr.shape[0] - 1):
        a = indptr[r]
        b = indptr[r + 1]
        if b - a > 1:
            cols[a:b].sort()
            for k in range(a + 1, b):
                if cols[k] == cols[k - 1]:
                    dup[k] = True
    return dup


@jit
def row_cuts(indptr, post, post_lo, bounds):
    """Split every CSR row at global neuron boundaries, for per-thread delivery.

    Rows must be sorted by target. For row ``r`` and part ``p``,
    ``cut[r, p]:cut[r, p+1]`` are the synapses whose global target
    ``post_lo + post[k]`` lies in ``[bounds[p], bounds[p+1])``: a binary search in
    each row per inner boundary. (The NumPy form it replaces, one cumulative sum over
    all of ``post`` per boundary, took 2.7 s for the full-scale microcircuit's 0.3
    billion synapses.)

    Parameters
    ----------
    indptr : int64 (n_rows + 1,)
    post : int32 (n_synapses,)
    post_lo : int, global index of the target population's neuron 0
    bounds : int64 (n_parts + 1,), ``bounds[0] = 0``, ``bounds[-1] = n_neurons``
    """
    n_rows = indptr.shape[0] - 1
    n_parts = bounds.shape[0] - 1
    cut = np.empty((n_rows, n_parts + 1), np.int64)
    for r in range(n_rows):
        lo = np.int64(indptr[r])
        hi = np.int64(indptr[r + 1])
        cut[r, 0] = lo
        cut[r, n_parts] = hi
        row = post[lo:hi]
        for p in range(1, n_parts):  # the first synapse onto part p (local target >= x)
            cut[r, p] = lo + np.searchsorted(row, bounds[p] - post_lo)
    return cut


@jit
def rows_sorted(indptr, post):
    """True if the targets of every CSR row are in non-decreasing order."""
    for r in range(indptr.shape[0] - 1):
        for k in range(indptr[r] + 1, indptr[r + 1]):
            if post[k] < post[k - 1]:
                return False
    return True


@jit
def csr_transpose(indptr, cols, n_cols):
    """The transpose of a CSR matrix of pattern only (counting sort, O(M + n_rows + n_cols)).

    Parameters
    ----------
    indptr : int64 (n_rows + 1,)
    cols : int array (M,), every entry in ``[0, n_cols)``
    n_cols : int

    Returns
    -------
    indptr_t : int64 (n_cols + 1,)
    rows_t : int32 (M,)
        Row ``c`` of the transpose lists the rows ``r`` with an entry ``c``, in
        increasing order (repeated entries repeated), so its rows are sorted.
    """
    m = cols.shape[0]
    indptr_t = np.zeros(n_cols + 1, np.int64)
    for k in range(m):
        indptr_t[cols[k] + 1] += 1
    for c in range(n_cols):
        indptr_t[c + 1] += indptr_t[c]
    fill = indptr_t[:-1].copy()
    rows_t = np.empty(m, np.int32)
    for r in range(indptr.shape[0] - 1):
        for k in range(indptr[r], indptr[r + 1]):
            c = cols[k]
            rows_t[fill[c]] = r
            fill[c] += 1
    return indptr_t, rows_t


@jit
def skip_own_index(indptr, cols):
    """Map targets drawn from ``[0, n - 1)`` to ``[0, n)`` without row ``r``'s own index ``r``.

    ``cols[k] >= r`` becomes ``cols[k] + 1`` for every entry of row ``r``, in
    place: a uniform draw over the ``n - 1`` other neurons (no autapse).
    """
    for r in range(indptr.shape[0] - 1):
        for k in range(indptr[r], indptr[r + 1]):
            if cols[k] >= r:
                cols[k] += 1
