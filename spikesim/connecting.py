"""Helpers of :meth:`spikesim.Network.connect`: connections built on views mapped back to
whole populations, and the checks of the receptor type and of sources that drive plastic
synapses."""
from __future__ import annotations

import numpy as np

from .connectors import Connections
from .kernels.connectivity import csr_order
from .population import Population, PopulationView
from .spike_sources import SpikeSourcePoisson, check_poisson_rate


def inverse(view: PopulationView) -> np.ndarray:
    """Position in ``view`` of every neuron of its population (-1: not in the view)."""
    inv = np.full(view.population.size, -1, np.int64)
    inv[view.local_indices] = np.arange(view.size)
    return inv


def to_full_populations(conn: Connections, pre, post) -> Connections:
    """Map connections built on views back to indices of the whole populations."""
    if isinstance(pre, Population) and isinstance(post, Population):
        return conn
    pre_v = np.repeat(np.arange(len(pre)), np.diff(conn.indptr))
    pre_full = np.asarray(pre.local_indices)[pre_v]
    post_full = np.asarray(post.local_indices)[conn.post]
    order0 = np.lexsort((post_full, pre_full))
    pre_full, post_full = pre_full[order0], post_full[order0]
    indptr, order = csr_order(pre_full, pre.population.size)
    pick = order0[order]
    return Connections(indptr, post_full[order].astype(np.int32),
                       None if conn.weight is None else conn.weight[pick],
                       None if conn.delay is None else conn.delay[pick])


def check_receptor(receptor_type, post) -> None:
    valid = post.celltype.receptor_types
    if receptor_type not in valid:
        raise ValueError(f"receptor_type must be one of {valid} for {type(post.celltype).__name__} "
                         f"population {post.label!r}, got {receptor_type!r}")


def check_plastic_source(pre, dt: float) -> None:
    """Plastic synapses need a presynaptic neuron that fires at most once per step."""
    if isinstance(pre.celltype, SpikeSourcePoisson):
        check_poisson_rate(pre.params, dt, plastic=True)
    if getattr(pre.celltype, "same_step", "refuse") == "all":
        steps, ids = pre.celltype.events(pre.params, dt)
        order = np.lexsort((steps, ids))
        if np.any((np.diff(steps[order]) == 0) & (np.diff(ids[order]) == 0)):
            raise ValueError(f"pre ({pre.label!r}) is a SpikeSourceArray that fires twice in one "
                             "step (same_step='all'); it cannot drive plastic synapses")


def check_stored_csr(pre, post, receptor_type: str, label, indptr, targets, weight, delay,
                     dtype) -> tuple:
    """Check a projection given as stored CSR arrays (:meth:`Network._restore_projection`).

    Returns ``(indptr int64, targets, weight float64, delay)``; raises ``TypeError`` /
    ``ValueError`` naming the projection and the array at fault.
    """
    from . import _validate as V
    from .projection import check_weights

    if post.celltype.kind != 0:
        check_receptor(receptor_type, post)
    indptr = np.asarray(indptr)
    targets = np.asarray(targets)
    if indptr.dtype.kind not in "iu" or targets.dtype.kind not in "iu":
        raise TypeError("indptr and post must be integer arrays")
    indptr = indptr.astype(np.int64)
    m = targets.shape[0]
    if indptr.shape != (pre.size + 1,) or indptr[0] != 0 or indptr[-1] != m or \
            (np.diff(indptr) < 0).any():
        raise ValueError(f"projection {label!r}: indptr is not a valid CSR row pointer for "
                         f"{pre.size} sources and {m} synapses")
    if m and (targets.min() < 0 or targets.max() >= post.size):
        raise ValueError(f"projection {label!r}: a target index is out of range for {post.size} neurons")
    w = V.finite_array("weight", np.asarray(weight, np.float64).ravel())
    V.fits_dtype("weight", w, dtype)
    check_weights(w, receptor_type, post.celltype)
    d = np.asarray(delay).ravel()
    if d.dtype.kind not in "iu" or d.size == 0 or d.min() < 1 or d.max() > np.iinfo(np.uint16).max:
        raise ValueError(f"projection {label!r}: delays must be whole steps in [1, 65535]")
    if w.shape[0] not in (1, m) or d.shape[0] not in (1, m):
        raise ValueError(f"projection {label!r}: weight/delay lengths do not match {m} synapses")
    if post.celltype.kind == 0:
        raise ValueError(f"post ({post.label!r}) is a spike source and cannot receive synapses")
    return indptr, targets, w, d
