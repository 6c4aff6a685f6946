"""Populations of neurons and views onto parts of them."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import _validate as V, fusion
from .celltype import CellType
from .random import RandomDistribution

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

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
        return np.broadcast_to(np.rint(np.asarray(self.params.get("tau_refrac", 0.0)) / dt)
                               .astype(np.int64), (self.size,))

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
        return self.net._state.S[self.celltype.model.STATE.index(var),
                                 self.first:self.first + self.size]

    @property
    def v(self) -> np.ndarray:
        """Membrane potential (mV), a live view into the simulation state."""
        return self._state("v")

    def initialize(self, **values) -> None:
        """Set state variables, e.g. ``initialize(v=RandomDistribution('uniform', low=-60, high=-50))``.

        Values may be scalars, arrays of length ``size`` or distributions
        (drawn from the network's generator). The values set also become the
        ones :meth:`Network.reset_state` returns to.
        """
        self._initialize(np.arange(self.size), values)

    def _initialize(self, idx: np.ndarray, values: dict) -> None:
        checked = {}
        for var, value in values.items():
            target = self._state(var)
            if isinstance(value, RandomDistribution):
                value = value.draw(self.net.rng, idx.shape[0])
            a = V.finite_array(f"initialize: {var}", value, idx.shape[0])
            checked[var] = V.fits_dtype(f"initialize: {var}", a, target.dtype)
        for var, a in checked.items():
            self._state(var)[idx] = a
            self.net._state.S0[self.celltype.model.STATE.index(var), self.first + idx] = a

    def set(self, **parameters) -> None:
        """Change parameters from now on, e.g. ``pop.set(tau_m=15.0)`` or ``src.set(rate=20.0)``.

        Values are scalars, arrays of length ``size`` or distributions, checked as at
        creation; nothing changes if any value is refused. ``v`` sets the membrane
        potential now and as the initial value (sPyNNaker's idiom). Spike sources:
        ``SpikeSourceArray.set(spike_times=...)`` replaces the spike times (times up
        to the current time are ignored); ``SpikeSourcePoisson`` rates, ``start``,
        ``duration`` and ``rate_changes`` apply from the current step (new spikes are
        drawn from there); so do the parameters of ``SpikeSourceGamma`` and
        ``SpikeSourcePoissonRefractory``, whose processes restart, stationary, there.
        """
        self._set(np.arange(self.size), parameters)

    def _set(self, idx: np.ndarray, parameters: dict) -> None:
        from .cells import SpikeSourceArray, SpikeSourcePoisson, check_columns, check_poisson_rate

        parameters = dict(parameters)
        v = parameters.pop("v", None)
        if v is not None and self.celltype.kind == 0:
            raise ValueError(f"{self.label!r} is a spike source and has no v")
        ct = self.celltype
        new = dict(self.params)
        net = self.net
        state = net.rng.bit_generator.state
        try:
            for name, value in parameters.items():
                if name not in ct.default_parameters:
                    raise ValueError(f"{type(ct).__name__} has no parameter {name!r}; valid: "
                                     f"{sorted(ct.default_parameters)}")
                if isinstance(ct, SpikeSourceArray):
                    lists = SpikeSourceArray(spike_times=value).resolve(idx.shape[0], net.rng)
                    full = list(new["spike_times"])
                    for k, i in enumerate(idx):
                        full[i] = lists["spike_times"][k]
                    new["spike_times"] = full
                    ct.events(new, net.dt)
                    continue
                if isinstance(ct, SpikeSourcePoisson):
                    if name in ("start", "duration", "rate_changes") and idx.shape[0] != self.size:
                        raise ValueError(f"{name} applies to a whole SpikeSourcePoisson population")
                    probe = SpikeSourcePoisson(**{**{k: new[k] for k in ("start", "duration",
                                                                           "rate_changes")},
                                                  "rate": new["rate"], name: value})
                    res = probe.resolve(self.size, net.rng) if name != "rate" else None
                    if name == "rate":
                        if isinstance(value, RandomDistribution):
                            value = value.draw(net.rng, idx.shape[0])
                        r = np.array(new["rate"], dtype=np.float64)
                        r[idx] = V.non_negative("SpikeSourcePoisson.rate", value, idx.shape[0])
                        new["rate"] = r
                    else:
                        new[name] = res[name]
                    check_poisson_rate(new, net.dt, plastic=any(
                        j.plastic and j.pre is self for j in net.projections))
                    continue
                if isinstance(value, RandomDistribution):
                    value = value.draw(net.rng, idx.shape[0])
                a = ct._check(name, value, idx.shape[0])
                full = np.broadcast_to(np.asarray(new[name], np.float64), (self.size,)).copy()
                full[idx] = a
                new[name] = float(full[0]) if (full == full[0]).all() else full
            if hasattr(ct, "check_grid"):  # renewal sources
                ct._check_relations(new)
                ct.check_grid(new, net.dt)
            if ct.kind != 0:
                ct._check_relations(new)
                for name, value in new.items():
                    V.fits_dtype(f"{type(ct).__name__}.{name}", np.asarray(value), net.dtype)
                check_columns(ct, ct.columns(new, net.dt), net.dtype)
                self._check_histories(new)
            if v is not None:
                self._initialize(idx, {"v": v})
            fusion.check_params(self, new)
        except BaseException:
            net.rng.bit_generator.state = state
            raise
        self.params = new
        rt = net._runtime
        if self.celltype.kind == 0:
            ev = rt.sources.get(self.index)
            if hasattr(ev, "restart"):
                ev.restart(net.step)
            elif ev is not None:
                rt.sources.pop(self.index)  # array sources are rebuilt from the new times
        rt.invalidate()

    def _check_histories(self, new: dict) -> None:
        """A shorter refractory period may need longer plastic trace histories: refuse that."""
        ref = int(np.min(np.rint(np.asarray(new.get("tau_refrac", 0.0)) / self.net.dt), initial=0))
        for j in self.net.projections:
            if j.plastic and j.pre is self:
                need = int(j.delay.max(initial=1)) // (ref + 1) + 2
                if need > j._pstate["h_len"]:
                    raise ValueError(f"tau_refrac cannot be shortened to {ref * self.net.dt!r} ms: "
                                     f"{self.label!r} is presynaptic to plastic projection {j.label!r}")


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

    def set(self, **parameters) -> None:
        """:meth:`Population.set` for this view's neurons only."""
        self.population._set(self.local_indices, parameters)

    def initialize(self, **values) -> None:
        """:meth:`Population.initialize` for this view's neurons only."""
        self.population._initialize(self.local_indices, values)

    def __repr__(self) -> str:
        return f"PopulationView({self.population.label!r}, {self.size} neurons)"
