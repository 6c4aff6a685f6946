"""A network's NIR source graph in its HDF5 file (:func:`spikesim.save` / :func:`spikesim.load`).

A network read with :func:`~spikesim.export.from_nir` keeps its source graph
(``net.nir_source``), so that :func:`~spikesim.export.to_nir` writes the same
nodes back. :func:`spikesim.save` stores it in the group ``/nir_source``:

- ``graph``: the graph as NIR's own HDF5 file (``nir.write``), as bytes;
- attribute ``options``: JSON of what the import was asked (time unit, scheme,
  reset mode and refractory period per neuron node, spike convention, label prefix).

On load, the graph is read with ``nir.read`` (nothing is unpickled or evaluated)
and imported again with those options into a scratch network, whose source record
then points at the loaded network's populations. The loaded network must have
the populations and projections the graph makes; otherwise the file is refused.
"""
from __future__ import annotations

import io
import json
import warnings

import numpy as np


def save_source(src, h) -> None:
    """Write ``src`` (:class:`~spikesim.export.nir_graph.NIRSource`) into the HDF5 group ``h``."""
    import nir

    buf = io.BytesIO()
    nir.write(buf, src.graph)
    h.create_dataset("graph", data=np.frombuffer(buf.getvalue(), np.uint8))
    opt = src.options
    h.attrs["options"] = json.dumps({k: opt[k] for k in ("time_unit", "scheme", "reset", "t_ref",
                                                          "spikes", "label_prefix")})


def load_source(net, h):
    """The :class:`~spikesim.export.nir_graph.NIRSource` stored in group ``h``, for ``net``.

    Raises
    ------
    ValueError
        When the stored graph does not make ``net``'s populations and projections.
    """
    import nir

    from .nir_graph import NIRImportWarning, read_graph

    graph = nir.read(io.BytesIO(h["graph"][()].tobytes()))
    opt = json.loads(h.attrs["options"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NIRImportWarning)  # shown when the graph was imported
        scratch = read_graph(graph, nir, dt=net.dt, time_unit=opt["time_unit"],
                             scheme=opt["scheme"], reset=opt["reset"], refractory=opt["t_ref"],
                             dtype=str(np.dtype(net.dtype)), label_prefix=opt["label_prefix"],
                             spikes=opt["spikes"])
    src = scratch.nir_source
    mine = [(p.label, p.size) for p in net.populations[:len(scratch.populations)]]
    theirs = [(p.label, p.size) for p in scratch.populations]
    if mine != theirs or len(net.projections) < len(scratch.projections) or any(
            (a.label, a.pre.index, a.post_population.index) != (b.label, b.pre.index,
                                                                b.post_population.index)
            for a, b in zip(net.projections, scratch.projections)):
        raise ValueError("nir_source: the stored NIR graph does not make this network's "
                         "populations and projections")
    src.populations = {name: net.populations[p.index] for name, p in src.populations.items()}
    src.outputs = {name: net.populations[p.index] for name, p in src.outputs.items()}
    return src
