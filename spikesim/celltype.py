"""The base of every cell type: named parameters with defaults, checked by name.

Units (PyNN): ms, mV, nA, nF, uS, Hz. Every parameter may be a scalar, a
per-neuron array, or a :class:`~spikesim.random.RandomDistribution`.
"""
from __future__ import annotations

import numpy as np

from . import _validate as V
from .random import RandomDistribution

KIND_SOURCE, KIND_NEURON = 0, 1


class CellType:
    """Base class: a neuron model with named parameters and defaults."""

    kind: int = KIND_SOURCE
    default_parameters: dict = {}
    recordables: tuple = ("spikes",)
    positive_parameters: tuple = ()
    non_negative_parameters: tuple = ()
    flag_parameters: tuple = ()

    def __init__(self, **parameters) -> None:
        unknown = set(parameters) - set(self.default_parameters)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}; "
                            f"valid: {sorted(self.default_parameters)}")
        self.parameters = {**self.default_parameters, **parameters}
        for name, value in self.parameters.items():
            if not isinstance(value, RandomDistribution):
                self._check(name, value, None)

    def _check(self, name: str, value, n: int | None) -> np.ndarray:
        label = f"{type(self).__name__}.{name}"
        if name in self.flag_parameters:
            a = np.asarray(value)
            if a.dtype == object or a.ndim > 1 or not np.isin(a, (0, 1)).all():
                raise ValueError(f"{label} must be 0 or 1 (False or True), got {value!r}")
            if n is not None and a.ndim and a.shape != (n,):
                raise ValueError(f"{label} has {a.shape[0]} values for {n} neurons")
            return (np.broadcast_to(a, (n,)) if n is not None and a.ndim else a).astype(np.float64)
        if name in self.positive_parameters:
            return V.positive(label, value, n)
        if name in self.non_negative_parameters:
            return V.non_negative(label, value, n)
        return V.finite_array(label, value, n)

    def resolve(self, n: int, rng: np.random.Generator) -> dict:
        """Per-population parameter values: float for homogeneous, array(n) otherwise."""
        out = {}
        for name, value in self.parameters.items():
            if isinstance(value, RandomDistribution):
                value = value.draw(rng, n)
            a = self._check(name, value, n)
            out[name] = float(a) if a.ndim == 0 else a.astype(np.float64)
        self._check_relations(out)
        return out

    def _check_relations(self, p: dict) -> None:
        pass

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items()
                         if not isinstance(v, np.ndarray))
        return f"{type(self).__name__}({args})"
