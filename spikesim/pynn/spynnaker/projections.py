"""sPyNNaker's Projection on spikesim: ``sim.Projection`` of :mod:`spikesim.pynn.spynnaker`.

The structural-plasticity Projection of :mod:`.structural` with what sPyNNaker's front end does differently:

- ``get(..., format="list")`` returns the connections sorted by source, then target (as
  sPyNNaker returns them; PyNN returns them in the order they were made), and every
  format other than ``"list"`` means ``"array"`` (scripts pass ``"nparray"``).
- ``OneToOneConnector`` between populations of different sizes connects ``i -> i`` for
  the first ``min(n_pre, n_post)`` neurons (PyNN refuses).
- A connector that cannot be realised (e.g. more connections without replacement than
  partners) raises :class:`~.exceptions.SpynnakerConnectionError`, a
  ``SpynnakerException`` that is also PyNN's ``ConnectionError``.
- Unlike sPyNNaker, plastic projections with different STDP rules onto one population
  are allowed (SpiNNaker keeps one rule per postsynaptic core and raises
  ``SynapticConfigurationException``; that is a limit of the board, not of the model).
- ``download_synapses=...`` (sPyNNaker's hint to read synapses back from the board) is
  accepted and changes nothing: synapses are always readable here.
"""
from __future__ import annotations

import numpy as np
from pyNN import connectors as _pynn_connectors
from pyNN import errors
from pyNN.space import Space

from spikesim.pynn.connectors import OneToOneConnector as _OneToOne

from .exceptions import SpynnakerConnectionError
from .structural import Projection as _Projection  # structural synapse types


class _DiagonalConnector(_OneToOne):
    """``i -> i`` for ``i < min(n_pre, n_post)`` (sPyNNaker's OneToOne of unequal sizes)."""

    def connect(self, projection):
        n = min(projection.pre.size, projection.post.size)
        params = self._parameters_from_synapse_type(projection)
        values = {}
        for name, lazy in params.items():
            lazy.shape = (projection.pre.size, projection.post.size)
            full = np.asarray(lazy.evaluate(simplify=False))
            values[name] = np.broadcast_to(full, lazy.shape)[np.arange(n), np.arange(n)] \
                if full.ndim else np.full(n, float(full))
        if self.safe and getattr(projection.synapse_type, "parameter_checks", None) and n:
            projection.synapse_type.parameter_checks["weight"](values["weight"], projection)
        for i in range(n):
            projection._convergent_connect(np.array([i]), i,
                                           **{k: v[i:i + 1] for k, v in values.items()})


class Projection(_Projection):
    __doc__ = _Projection.__doc__

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(), label=None,
                 download_synapses=None, partition_id=None):
        if partition_id is not None:
            raise NotImplementedError("Projection(partition_id=...) (sPyNNaker's outgoing "
                                      "partitions of a board vertex) is not available")
        if type(connector) in (_pynn_connectors.OneToOneConnector, _OneToOne) and \
                presynaptic_population.size != postsynaptic_population.size:
            connector = _DiagonalConnector(safe=connector.safe, callback=connector.callback)
        try:
            super().__init__(presynaptic_population, postsynaptic_population, connector,
                             synapse_type, source, receptor_type, space, label)
        except (errors.ConnectionError, ValueError) as exc:
            if isinstance(exc, (SpynnakerConnectionError, errors.InvalidParameterValueError)):
                raise
            raise SpynnakerConnectionError(
                f"{type(connector).__name__}: {exc}") from exc


    def get(self, attribute_names, format, gather=True, with_address=True,
            multiple_synapses="sum"):
        """PyNN's ``get``; a ``"list"`` comes sorted by source then target (sPyNNaker's
        order) and any other format is ``"array"``."""
        if format != "list":
            return super().get(attribute_names, "array", gather, with_address,
                               multiple_synapses)
        rows = super().get(attribute_names, "list", gather, True, multiple_synapses)
        order = sorted(range(len(rows)), key=lambda k: (rows[k][0], rows[k][1]))
        rows = [rows[k] for k in order]
        if with_address:
            return rows
        n_attr = 1 if isinstance(attribute_names, str) else len(attribute_names)
        if n_attr == 1:
            return [r[2] for r in rows]
        return [tuple(r[2:]) for r in rows]
