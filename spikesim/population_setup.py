"""Helpers of :meth:`spikesim.Network.add_population`: the checks of size, cell type, label,
positions and parameters, and each neuron's initial state."""
from __future__ import annotations

import numpy as np

from . import _validate as V
from .cells import (CellType, SpikeSourceArray, SpikeSourcePoisson, check_columns,
                    check_poisson_rate)
from .population import Population
from .random import RandomDistribution

MAX_POPULATION = np.iinfo(np.int32).max


def make_population(net, size, celltype, label, positions, initial_v) -> Population:
    """Check the arguments of :meth:`~spikesim.Network.add_population` and add the population
    to ``net`` (its generator is restored by the caller if this refuses)."""
    size = V.count("size", size, 1)
    if size > MAX_POPULATION:
        raise ValueError(f"size must be at most {MAX_POPULATION} (int32 neuron indices), "
                         f"got {size}")
    if not isinstance(celltype, CellType):
        raise TypeError("celltype must be a spikesim cell type such as IF_curr_exp(), "
                        f"got {celltype!r}")
    label = f"population{len(net.populations)}" if label is None else str(label)
    if any(p.label == label for p in net.populations):
        raise ValueError(f"label {label!r} is already used by another population")
    if positions is not None:
        try:
            positions = np.asarray(positions, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"positions must be an (n, 3) array of numbers, got {positions!r}") \
                from exc
        if positions.shape != (size, 3):
            raise ValueError(f"positions must have shape ({size}, 3), got {positions.shape}")
        V.finite_array("positions", positions.ravel())
    params = celltype.resolve(size, net.rng)
    if isinstance(celltype, SpikeSourceArray):
        celltype.events(params, net.dt)  # refuse bad spike times now, not at run()
    if isinstance(celltype, SpikeSourcePoisson):
        check_poisson_rate(params, net.dt)
    if hasattr(celltype, "check_grid"):  # renewal sources: mean rate <= one spike per step
        celltype.check_grid(params, net.dt)
    if celltype.kind == 0:
        if initial_v is not None:
            raise TypeError(f"initial_v: {type(celltype).__name__} has no membrane potential, "
                            f"got initial_v={initial_v!r}")
        init = np.zeros((1, size))
    else:
        for name, value in params.items():
            V.fits_dtype(f"{type(celltype).__name__}.{name}", np.asarray(value), net.dtype)
        check_columns(celltype, celltype.columns(params, net.dt), net.dtype)
        state0 = celltype.initial_state(params, size)  # the model's INITIAL values
        v0 = state0["v"] if initial_v is None else initial_v
        if isinstance(v0, RandomDistribution):
            v0 = v0.draw(net.rng, size)
        v0 = V.fits_dtype("initial_v", V.finite_array("initial_v", v0, size), net.dtype)
        state0["v"] = np.broadcast_to(np.asarray(v0, np.float64), (size,))
        for var, a in state0.items():
            V.fits_dtype(f"initial {var}", a, net.dtype)
        init = np.stack([state0[var] for var in celltype.model.STATE])
    pop = Population(net, len(net.populations), size, celltype, label, params, positions)
    pop.first = net.n_neurons
    net._state.grow(init)
    net.populations.append(pop)
    if celltype.kind == 0:
        pop.rng = np.random.default_rng(net._seedseq.spawn(1)[0])
    net._runtime.invalidate()
    return pop
