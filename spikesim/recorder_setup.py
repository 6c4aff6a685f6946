"""Helpers of :meth:`spikesim.Network.record` and :meth:`spikesim.Network.record_weights`:
the checks of what is recorded and how often, and the store (memory or HDF5 stream) of a
new recorder."""
from __future__ import annotations

import json

import numpy as np

from . import _validate as V, fusion
from .projection import Projection
from .recording import Recorder, WeightRecorder, _H5Store, _MemoryStore


def add_recorder(net, target, variables, sampling_interval, stream_to) -> Recorder:
    """Check and add a recorder to ``net`` (:meth:`~spikesim.Network.record`)."""
    net._own("target", target)
    if isinstance(variables, str):
        variables = [variables]
    variables = list(variables)
    allowed = set(target.population.celltype.recordables) | {"rate"}
    for var in variables:
        if var not in allowed:
            raise ValueError(f"cannot record {var!r} from {target.population.label!r}; "
                             f"valid: {sorted(allowed)}")
    fusion.check_record(target.population, variables)
    every = 1 if sampling_interval is None else V.time_to_steps(
        "sampling_interval", sampling_interval, net.dt, minimum=1)
    if stream_to is None:
        store = _MemoryStore()
    else:
        group = net._stream_group(str(stream_to), target.population.label)
        group.attrs.update(population=target.population.label, size=target.population.size,
                           variables=json.dumps(variables), every=every, start_step=net.step)
        group.create_dataset("indices", data=np.asarray(target.local_indices, np.int64))
        store = _H5Store(group)
    rec = Recorder(net, target, variables, every, store, net.step)
    net.recorders.append(rec)
    net._runtime.invalidate()
    return rec


def add_weight_recorder(net, projection, synapses, sampling_interval) -> WeightRecorder:
    """Check and add a weight recorder to ``net`` (:meth:`~spikesim.Network.record_weights`)."""
    if not isinstance(projection, Projection) or projection.pre.net is not net:
        raise ValueError(f"projection must be a Projection of this network, got {projection!r}")
    if not projection.plastic:
        raise ValueError(f"projection {projection.label!r} is static; its weights do not change")
    n = projection.n_synapses
    if synapses is None:
        idx = np.arange(n, dtype=np.int64)
    else:
        idx = np.asarray(synapses)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise TypeError(f"synapses must be a 1-D array of integer indices, got {synapses!r}")
        idx = idx.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            bad = idx[(idx < 0) | (idx >= n)][0]
            raise ValueError(f"synapses index {int(bad)} is out of range for {n} synapses")
    every = 1 if sampling_interval is None else V.time_to_steps(
        "sampling_interval", sampling_interval, net.dt, minimum=1)
    rec = WeightRecorder(net, projection, idx, every)
    net.weight_recorders.append(rec)
    net._runtime.invalidate()
    return rec
