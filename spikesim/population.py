"""Populations of neurons and views onto parts of them."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import _validate as V
from .cells import CellType
from .random import RandomDistribution

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

_STATE = {"v": "v", "isyn_exc": "ie", "isyn_inh": "ii", "gsyn_exc": "ie", "gsyn_inh": "ii"}


def grid_positions(shape: tuple[int, ...], spacing: float = 1.0) -> np.ndarray:
    """Positions of neurons on a regular 1-, 2- or 3-D grid, as an ``(n, 3)`` array.

    Parameters
    ----------
    shape : tuple of int
        Grid size along each axis, e.g. ``(10, 10, 10)`` for 1,000 neurons.
    spacing : float
        Distance between neighbouring grid points (any length unit).
    """
    shape = tuple(V.count("grid_positions.shape", s, 1) for s in shape)
    if not 1 <= len(shape) <= 3:
        raise ValueError(f"grid_positions.shape must have 1 to 3 axes, got {shape!r}")
    spacing = V.positive_scalar("grid_positions.spacing", spacing)
    axes = np.meshgrid(*[np.arange(s, dtype=np.float64) for s in shape], indexing="ij")
    pos = np.zeros((int(np.prod(shape)), 3))
    for k, ax in enumerate(axes):
        pos[:, k] = ax.ravel() * spacing
    return pos


class Population:
    """A group of neurons of one cell type inside one :class:`~spikesim.Network`.

    Create with :meth:`Network.add_population`. State variables (``v``,
    ``isyn_exc`` ...) read and write the live simulation state.
    """

    def __init__(self, net: "Network", index: int, size: int, celltype: CellType, label: str,
                 params: dict, positions: np.ndarray | None) -> None:
        self.net = net
        self.index = index
        self.size = size
        self.celltype = celltype
        self.label = label
        self.params = params
        self.positions = positions
        self.first = 0  # global index of neuron 0, set by the network

    def __len__(self) -> int:
        return self.size

    def refractory_steps(self, dt: float) -> np.ndarray:
        """Refractory period of each neuron in whole steps (0 for spike sources)."""
        if self.celltype.kind == 0:
            return np.zeros(self.size, np.int64)
        return np.broadcast_to(np.rint(np.asarray(self.params["tau_refrac"]) / dt).astype(np.int64),
                               (self.size,))

    def __repr__(self) -> str:
        return f"Population({self.size}, {type(self.celltype).__name__}, label={self.label!r})"

    def __getitem__(self, index) -> "PopulationView":
        return PopulationView(self, np.arange(self.size)[index])

    @property
    def population(self) -> "Population":
        return self

    @property
    def local_indices(self) -> np.ndarray:
        return np.arange(self.size)

    def get(self, name: str) -> np.ndarray:
        """Per-neuron values of parameter ``name`` (float64 array of length ``size``)."""
        if name not in self.params:
            raise KeyError(f"{self.label} has no parameter {name!r}; valid: {sorted(self.params)}")
        return np.broadcast_to(np.asarray(self.params[name], dtype=np.float64), (self.size,)).copy()

    def _state(self, var: str) -> np.ndarray:
        if var not in self.celltype.recordables or var == "spikes":
            raise ValueError(f"{type(self.celltype).__name__} has no state variable {var!r}; "
                             f"valid: {[r for r in self.celltype.recordables if r != 'spikes']}")
        arr = getattr(self.net._state, _STATE[var])
        return arr[self.first:self.first + self.size]

    @property
    def v(self) -> np.ndarray:
        """Membrane potential (mV), a live view into the simulation state."""
        return self._state("v")

    def initialize(self, **values) -> None:
        """Set state variables, e.g. ``initialize(v=RandomDistribution('uniform', low=-60, high=-50))``.

        Values may be scalars, arrays of length ``size`` or distributions
        (drawn from the network's generator).
        """
        for var, value in values.items():
            target = self._state(var)
            if isinstance(value, RandomDistribution):
                value = value.draw(self.net.rng, self.size)
            a = V.finite_array(f"initialize: {var}", value, self.size)
            target[:] = V.fits_dtype(f"initialize: {var}", a, target.dtype)


class PopulationView:
    """A subset of a population's neurons, as ``pop[10:20]`` or ``pop[[1, 5, 7]]``."""

    def __init__(self, population: Population, indices: np.ndarray) -> None:
        indices = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        self.population = population
        self.local_indices = indices
        self.size = indices.shape[0]
        self.label = f"{population.label}[view]"

    @property
    def net(self):
        return self.population.net

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"PopulationView({self.population.label!r}, {self.size} neurons)"
