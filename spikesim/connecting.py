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
