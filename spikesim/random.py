"""Random distributions for parameters, weights, delays and initial values.

Named as PyNN's :class:`pyNN.random.RandomDistribution`; values are always
drawn from the generator of the network that uses them, never from global
state.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_PARAMS = {
    "uniform": ("low", "high"),
    "normal": ("mu", "sigma"),
    "normal_clipped": ("mu", "sigma", "low", "high"),
    "lognormal": ("mu", "sigma"),
    "exponential": ("beta",),
    "gamma": ("k", "theta"),
}


@dataclass(frozen=True)
class RandomDistribution:
    """A distribution to draw per-neuron or per-synapse values from.

    Parameters
    ----------
    name : str
        One of ``uniform(low, high)``, ``normal(mu, sigma)``,
        ``normal_clipped(mu, sigma, low, high)`` (redrawn until inside
        ``[low, high]``), ``lognormal(mu, sigma)`` (of the underlying
        normal), ``exponential(beta)`` (mean ``beta``), ``gamma(k, theta)``.
    **params : float
        The distribution's parameters, in the unit of the quantity drawn.

    Examples
    --------
    >>> RandomDistribution("uniform", low=-60.0, high=-50.0)   # doctest: +SKIP
    """

    name: str
    params: dict = field(default_factory=dict)

    def __init__(self, name: str, **params: float) -> None:
        if name not in _PARAMS:
            raise ValueError(f"RandomDistribution name must be one of {sorted(_PARAMS)}, got {name!r}")
        expected = set(_PARAMS[name])
        if set(params) != expected:
            raise TypeError(f"RandomDistribution({name!r}) takes parameters {sorted(expected)}, "
                            f"got {sorted(params)}")
        for k, v in params.items():
            if isinstance(v, bool) or not np.isfinite(np.asarray(v, dtype=float)).all():
                raise ValueError(f"RandomDistribution({name!r}) parameter {k} must be finite, got {v!r}")
        if name in ("uniform", "normal_clipped") and not params["low"] < params["high"]:
            raise ValueError(f"RandomDistribution({name!r}) needs low < high, got low={params['low']!r}, "
                             f"high={params['high']!r}")
        for k in ("sigma", "beta", "k", "theta"):
            if k in params and params[k] < 0:
                raise ValueError(f"RandomDistribution({name!r}) parameter {k} must be >= 0, got {params[k]!r}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "params", dict(params))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` float64 values from ``rng``."""
        p = self.params
        if self.name == "uniform":
            return rng.uniform(p["low"], p["high"], n)
        if self.name == "normal":
            return rng.normal(p["mu"], p["sigma"], n)
        if self.name == "lognormal":
            return rng.lognormal(p["mu"], p["sigma"], n)
        if self.name == "exponential":
            return rng.exponential(p["beta"], n)
        if self.name == "gamma":
            return rng.gamma(p["k"], p["theta"], n)
        out = rng.normal(p["mu"], p["sigma"], n)
        bad = (out < p["low"]) | (out > p["high"])
        for _ in range(1000):
            if not bad.any():
                return out
            out[bad] = rng.normal(p["mu"], p["sigma"], int(bad.sum()))
            bad = (out < p["low"]) | (out > p["high"])
        raise ValueError(f"normal_clipped(mu={p['mu']}, sigma={p['sigma']}) almost never falls in "
                         f"[{p['low']}, {p['high']}]; widen the interval")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"RandomDistribution({self.name!r}, {args})"
