"""PyNN connectors on spikesim's native, vectorised connectors (the default).

PyNN's own connectors call the backend once per target neuron and draw weights and
delays column by column in Python: the Potjans-Diesmann microcircuit at 10 % scale took
about 80 s to connect that way. Where a PyNN connector has a spikesim equivalent, the
projection is built natively instead (:mod:`spikesim.connectors`, no Python loop per
neuron):

==================================  ==========================================
PyNN                                spikesim
==================================  ==========================================
``AllToAllConnector``               :class:`spikesim.AllToAll`
``OneToOneConnector``               :class:`spikesim.OneToOne`
``FixedProbabilityConnector``       :class:`spikesim.FixedProbability`
``FixedNumberPreConnector``         :class:`spikesim.FixedNumberPre`
``FixedNumberPostConnector``        :class:`spikesim.FixedNumberPost`
``FixedTotalNumberConnector``       :class:`spikesim.FixedTotalNumber`
==================================  ==========================================

The connection rule and its distribution are PyNN's; the realisation is not the one
PyNN's generic code draws from the same ``NumpyRNG`` seed (a seeded connector still
gives the same connections on every run). Weights and delays given as numbers or as
``RandomDistribution`` are drawn once per synapse: the common distributions from a NumPy
``Generator`` seeded from their RNG (:func:`_draw`), the others by ``RandomDistribution.next``.
Everything else -- other connectors, ``with_replacement`` for the fixed-number
connectors, a random ``n``, weights given as arrays or distance expressions, views that
share neurons with the other side -- takes PyNN's own path, as does every projection
after ``setup(connectors="pynn")``, which reproduces PyNN's realisation exactly
(the connections ``pyNN.nest`` makes from the same seed).
"""
from __future__ import annotations

import numpy as np
from pyNN import connectors as P
from pyNN.random import RandomDistribution

import spikesim as ss

from .connectors import OneToOneConnector as _OurOneToOne

_NUMBER = (int, float, np.integer, np.floating)


def _native_rule(c):
    """The spikesim connector for PyNN connector ``c``, or None."""
    t = type(c)
    if t is P.AllToAllConnector:
        return ss.AllToAll(allow_self=bool(c.allow_self_connections))
    if t in (P.OneToOneConnector, _OurOneToOne):
        return ss.OneToOne()
    if t is P.FixedProbabilityConnector and isinstance(c.p_connect, _NUMBER):
        return ss.FixedProbability(float(c.p_connect), allow_self=bool(c.allow_self_connections))
    if t in (P.FixedNumberPreConnector, P.FixedNumberPostConnector) and \
            isinstance(c.n, (int, np.integer)) and not c.with_replacement:
        cls = ss.FixedNumberPre if t is P.FixedNumberPreConnector else ss.FixedNumberPost
        return cls(int(c.n), allow_self=bool(c.allow_self_connections))
    if t is P.FixedTotalNumberConnector and isinstance(c.n, (int, np.integer)):
        return ss.FixedTotalNumber(int(c.n), allow_self=bool(c.allow_self_connections),
                                   with_replacement=bool(c.with_replacement))
    return None


def _generator(c) -> np.random.Generator:
    """A NumPy generator from the connector's ``NumpyRNG`` seed (fresh entropy without one)."""
    seed = getattr(getattr(c, "rng", None), "seed", None)
    return np.random.default_rng(None if seed is None else [int(seed), 0x5C0])


def _values(name: str, value, m: int):
    """Per-synapse values of a synapse parameter, or None when only PyNN's path can do it."""
    base = getattr(value, "base_value", value)  # a lazyarray holds the user's value
    if getattr(value, "operations", None):
        return None
    if isinstance(base, _NUMBER):
        return np.full(m, float(base))
    if isinstance(base, RandomDistribution):
        if not m:
            return np.zeros(0)
        fast = _draw(base, m)
        return fast if fast is not None else np.asarray(base.next(m), np.float64).reshape(m)
    return None


def _draw(dist: RandomDistribution, m: int):
    """``m`` values of ``dist`` from a NumPy ``Generator`` kept on its RNG, or None.

    PyNN's ``NumpyRNG`` draws through the legacy ``RandomState`` (and rejection loops in
    Python for clipped normals), which dominated the microcircuit's build. The
    distribution is the same; the generator is seeded from the RNG's seed (fresh entropy
    without one) and advances from call to call, so projections sharing an RNG get
    different values and a seeded script repeats itself. ``setup(connectors="pynn")``
    keeps PyNN's own draws (its exact realisation).
    """
    rng = dist.rng
    if type(rng).__name__ not in ("NumpyRNG", "NativeRNG") or dist.name not in _FAST:
        return None
    g = rng.__dict__.get("_spikesim_generator")
    if g is None:
        seed = getattr(rng, "seed", None)
        g = np.random.default_rng(None if seed is None else [int(seed), 0xD15])
        rng.__dict__["_spikesim_generator"] = g
    return _FAST[dist.name](g, m, **dist.parameters)


def _normal_clipped(g, m, mu, sigma, low=-np.inf, high=np.inf):
    out = g.normal(mu, sigma, m)
    bad = np.flatnonzero((out < low) | (out > high))
    for _ in range(1000):  # PyNN's MAX_REDRAWS
        if not bad.size:
            return out
        out[bad] = g.normal(mu, sigma, bad.size)
        bad = bad[(out[bad] < low) | (out[bad] > high)]
    raise ValueError(f"normal_clipped(mu={mu}, sigma={sigma}, low={low}, high={high}): too "
                     "many redraws; check the distribution's parameters")


_FAST = {
    "normal": lambda g, m, mu, sigma: g.normal(mu, sigma, m),
    "normal_clipped": _normal_clipped,
    "normal_clipped_to_boundary": lambda g, m, mu, sigma, low, high: np.clip(
        g.normal(mu, sigma, m), low, high),
    "uniform": lambda g, m, low, high: g.uniform(low, high, m),
    "exponential": lambda g, m, beta: g.exponential(beta, m),
    "lognormal": lambda g, m, mu, sigma: g.lognormal(mu, sigma, m),
    "gamma": lambda g, m, k, theta: g.gamma(k, theta, m),
}


def native_connections(projection, connector) -> dict | None:
    """Connections of ``projection`` drawn natively: ``csr`` (``indptr`` over the
    projection's pre, int32 targets in its post; rows sorted by target), per-synapse
    ``weight``, ``delay`` and dynamic parameters, and the homogeneous other parameters;
    None when PyNN's own path must be used."""
    rule = _native_rule(connector)
    if rule is None or getattr(connector, "location_selector", None) is not None:
        return None
    pre, post = projection.pre, projection.post
    same = pre is post
    if not same:
        shared = np.intersect1d(np.asarray(pre.all_cells, np.int64), np.asarray(post.all_cells,
                                                                                 np.int64))
        if shared.size and not getattr(rule, "allow_self", True):
            return None  # self-connections of shared neurons: PyNN's rule compares IDs
    ctx = ss.connectors.Context(pre.size, post.size, _generator(connector), same)
    conns = rule.build(ctx)
    m = conns.post.shape[0]
    ps = projection.synapse_type.native_parameters
    # the connections as CSR (rows by source, targets sorted within a row): no per-synapse
    # source array is made unless the projection's connections are asked for
    out = {"csr": (conns.indptr, conns.post.astype(np.int32, copy=False)), "static": {}}
    dynamic = getattr(projection, "_dynamic", ())
    for name in ps.keys():
        if name == "dendritic_delay_fraction":
            continue
        value = ps[name]
        if name in ("weight", "delay") or name in dynamic:
            v = _values(name, value, m)
            if v is None:
                return None
            out[name] = v
        else:
            base = getattr(value, "base_value", value)
            if not isinstance(base, _NUMBER) or getattr(value, "operations", None):
                return None
            out["static"][name] = float(base)
    return out
