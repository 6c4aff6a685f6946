"""sPyNNaker's Projection on spikesim: ``sim.Projection`` of :mod:`spikesim.pynn.spynnaker`.

The structural-plasticity Projection of :mod:`.structural` with what sPyNNaker's front
end does differently:

- ``get(..., format="list")`` returns the connections sorted by source, then target, each
  a list (as sPyNNaker returns them; PyNN gives tuples in the order they were made), and every
  format other than ``"list"`` means ``"array"`` (scripts pass ``"nparray"``).
- ``OneToOneConnector`` between populations of different sizes connects ``i -> i`` for
  the first ``min(n_pre, n_post)`` neurons (PyNN refuses).
- A fixed-number connector that cannot be realised (more connections without
  replacement than partners) raises :class:`~.exceptions.SpynnakerConnectionError`, a
  ``SpynnakerException`` that is also PyNN's ``ConnectionError``, before connecting.
- ``FixedNumberPre/PostConnector(n, with_replacement=True, allow_self_connections=False)``
  draws the other neurons directly (PyNN 0.13 fails there with an IndexError).
- ``get(..., "list")`` addresses neurons by their index in the whole population when the
  projection is between views (``pop[2:4]``), as sPyNNaker does.
- ``get([], "list")`` gives the ``(source, target)`` pairs.
- Plastic projections onto one population must share one STDP rule (the same timing and
  weight dependence with the same parameters), as sPyNNaker's ``SynapseDynamicsSTDP.merge``
  demands; a different rule raises :class:`~.exceptions.SynapticConfigurationException`
  before anything is connected. ``spikesim.pynn`` and the core API allow several rules.
- ``space=None`` (sPyNNaker's default) means PyNN's default ``Space()``.
- ``download_synapses=...`` (sPyNNaker's hint to read synapses back from the board) is
  accepted and changes nothing: synapses are always readable here.
"""
from __future__ import annotations

import numpy as np
from pyNN import connectors as _pynn_connectors
from pyNN.space import Space

from spikesim.pynn.connectors import FixedNumberPostConnector as _FixedPost
from spikesim.pynn.connectors import FixedNumberPreConnector as _FixedPre
from spikesim.pynn.connectors import OneToOneConnector as _OneToOne

from spikesim.pynn.simulator import state
from spikesim.pynn.standardmodels import STDPMechanism

from .exceptions import SpynnakerConnectionError, SynapticConfigurationException
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


def _check_realisable(connector, pre, post) -> None:
    """sPyNNaker refuses, before connecting, a fixed number of connections without
    replacement that exceeds the partners there are (fewer by one per neuron when a
    population projects onto itself without self-connections)."""
    same = getattr(pre, "grandparent", pre) is getattr(post, "grandparent", post) and \
        pre.size == post.size
    no_self = same and not getattr(connector, "allow_self_connections", True)
    kind = type(connector).__name__
    n = getattr(connector, "n", None)
    if getattr(connector, "with_replacement", True) or not isinstance(n, (int, np.integer)):
        return
    if kind == "FixedNumberPostConnector":
        available, what = post.size - no_self, "targets per source"
    elif kind == "FixedNumberPreConnector":
        available, what = pre.size - no_self, "sources per target"
    elif kind == "FixedTotalNumberConnector":
        available, what = pre.size * post.size - (pre.size if no_self else 0), "distinct pairs"
    else:
        return
    if n > available:
        raise SpynnakerConnectionError(
            f"{kind}({n}, with_replacement=False): only {available} {what} exist")


def _rule_key(synapse_type):
    """What sPyNNaker compares to merge plastic synapse dynamics (``is_same_as``), or None
    for a static synapse type."""
    if not isinstance(synapse_type, STDPMechanism):
        return None
    key = [getattr(synapse_type, "dendritic_delay_fraction", 1.0)]
    for part in (synapse_type.timing_dependence, synapse_type.weight_dependence):
        ps = part.parameter_space
        key.append((type(part).__name__, tuple((k, repr(ps[k].base_value))
                                               for k in sorted(ps.keys()))))
    return tuple(key)


def _check_one_rule(synapse_type, post) -> None:
    """sPyNNaker keeps one STDP rule per postsynaptic population: a second, different one
    raises SynapticConfigurationException (its message)."""
    key = _rule_key(synapse_type)
    if key is None:
        return
    target = getattr(post, "grandparent", None) or getattr(post, "parent", None) or post
    for other in state.projections:
        o_post = other.post
        o_target = getattr(o_post, "grandparent", None) or getattr(o_post, "parent", None) \
            or o_post
        other_key = _rule_key(other.synapse_type)
        if o_target is target and other_key is not None and other_key != key:
            raise SynapticConfigurationException(
                "Synapse dynamics must match exactly when using multiple edges to the same "
                f"population: {post.label!r} already receives {other.synapse_type!r} "
                f"({other.label!r}), not {synapse_type!r}")


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
        fixed = {_pynn_connectors.FixedNumberPostConnector: _FixedPost,
                 _pynn_connectors.FixedNumberPreConnector: _FixedPre}.get(type(connector))
        if fixed is not None and connector.with_replacement and \
                not connector.allow_self_connections:
            connector = fixed(connector.n, allow_self_connections=False, with_replacement=True,
                              rng=connector.rng, safe=connector.safe, callback=connector.callback)
        _check_realisable(connector, presynaptic_population, postsynaptic_population)
        _check_one_rule(synapse_type, postsynaptic_population)
        super().__init__(presynaptic_population, postsynaptic_population, connector,
                         synapse_type, source, receptor_type,
                         Space() if space is None else space, label)


    def get(self, attribute_names, format, gather=True, with_address=True,
            multiple_synapses="sum"):
        """PyNN's ``get``; a ``"list"`` comes sorted by source then target (sPyNNaker's
        order) and any other format is ``"array"``."""
        if format != "list":
            arrays = super().get(attribute_names, "array", gather, with_address,
                                 multiple_synapses)
            if not isinstance(attribute_names, str) and len(attribute_names) == 1:
                return arrays[0]   # sPyNNaker: one attribute, its matrix itself
            return arrays
        if not isinstance(attribute_names, str) and len(attribute_names) == 0:
            pairs = self._in_populations(
                super().get(["weight"], "list", gather, True, multiple_synapses))
            return sorted((int(r[0]), int(r[1])) for r in pairs)
        rows = self._in_populations(
            super().get(attribute_names, "list", gather, True, multiple_synapses))
        order = sorted(range(len(rows)), key=lambda k: (rows[k][0], rows[k][1]))
        rows = [list(rows[k]) for k in order]   # sPyNNaker's rows are lists
        if with_address:
            return rows
        n_attr = 1 if isinstance(attribute_names, str) else len(attribute_names)
        if n_attr == 1:
            return [r[2] for r in rows]
        return [r[2:] for r in rows]

    def _in_populations(self, rows):
        """Rows addressed as sPyNNaker addresses them: integer indices in the whole
        populations, not in the views projected from or to."""
        maps = [np.asarray(p.index_in_grandparent(np.arange(p.size)))
                if hasattr(p, "index_in_grandparent") else None for p in (self.pre, self.post)]
        out = []
        for r in rows:
            r = list(r)
            for k in (0, 1):   # sPyNNaker's addresses are integers (PyNN gives floats)
                r[k] = int(r[k]) if maps[k] is None else int(maps[k][int(r[k])])
            out.append(tuple(r))
        return out
