"""Simulator state of the spikesim PyNN backend: one :class:`spikesim.Network` per ``setup()``.

This is the module that PyNN's common machinery knows as ``_simulator``: it
holds ``state`` (time, step, delays, recorders, conventions) and the ``ID``
class of cells. Time is the network's integer step count times ``dt``.
"""
from __future__ import annotations

import numbers

import numpy as np
from pyNN import common, errors

name = "spikesim"  # used by PyNN to annotate recorded data

CONVENTIONS = ("pynn", "spynnaker")


class ID(int, common.IDMixin):
    """A cell: an integer id with PyNN's per-cell parameter access (``p[3].tau_m``)."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


#: ``setup(connectors=...)`` when a script does not say (see :mod:`.native_connect`); a
#: harness that runs unchanged PyNN scripts against pyNN.nest's realisation sets "pynn"
DEFAULT_CONNECTORS = "native"


class State(common.control.BaseState):
    """The simulation state shared by every object of one ``setup()``."""

    def __init__(self):
        super().__init__()
        self.mpi_rank = 0
        self.num_processes = 1
        self.net = None
        self.configure()

    # ------------------------------------------------------------------ set-up
    @property
    def spynnaker(self) -> bool:
        """sPyNNaker's conventions are in force (``setup(conventions="spynnaker")``): the
        front end reports data as sPyNNaker does (see :mod:`spikesim.pynn.spynnaker`)."""
        return self.inhibitory_weights == "spynnaker"

    @property
    def spynnaker_sources(self) -> bool:
        """sPyNNaker's conventions: spike source arrays take unsorted and repeated times (each
        repeat is a spike)."""
        return self.inhibitory_weights == "spynnaker"

    def configure(self, timestep=0.1, min_delay="auto", max_delay="auto", rng_seed=42,
                  dtype="float64", threads="auto", stdp_amplitudes="pynn",
                  inhibitory_weights="pynn", connectors=None, poisson_inputs="counts",
                  fuse_receptors=False):
        """A fresh, empty network (called by ``setup()``)."""
        import spikesim as ss

        for label, value in (("stdp_amplitudes", stdp_amplitudes),
                             ("inhibitory_weights", inhibitory_weights)):
            if value not in CONVENTIONS:
                raise errors.InvalidParameterValueError(
                    f"setup({label}=...) must be one of {CONVENTIONS}, got {value!r}")
        connectors = DEFAULT_CONNECTORS if connectors is None else connectors
        if connectors not in ("native", "pynn"):
            raise errors.InvalidParameterValueError(
                f"setup(connectors=...) must be 'native' or 'pynn', got {connectors!r}")
        self.connectors = connectors
        from .poisson_fold import MODES

        if poisson_inputs not in MODES:
            raise errors.InvalidParameterValueError(
                f"setup(poisson_inputs=...) must be one of {MODES}, got {poisson_inputs!r}")
        self.poisson_inputs = poisson_inputs
        self.poisson_folds = {}      # folded Poisson sources (spikesim.pynn.poisson_fold)
        self.projections = []        # PyNN Projections, in creation order
        self.net = ss.Network(dt=timestep, seed=rng_seed, dtype=dtype, threads=threads,
                              fuse_receptors=fuse_receptors)
        self._min_delay = min_delay
        self._max_delay = max_delay
        self.stdp_amplitudes = stdp_amplitudes
        self.inhibitory_weights = inhibitory_weights
        self._initial_weights = {}   # sPyNNaker's reset: id -> (projection, weights)
        self.populations = []        # PyNN Populations, in creation order
        self._first_ids = []         # first ID of each population (ascending)
        self.id_counter = 1
        self.recorders = set()
        self.write_on_end = []
        self.segment_counter = -1
        self.running = False
        self.t_start = 0.0
        self.segment_counter += 1

    @property
    def dt(self) -> float:
        return self.net.dt

    @property
    def t(self) -> float:
        return self.net.step * self.net.dt

    @property
    def min_delay(self) -> float:
        """ms. With setup(min_delay='auto') (as in NEST): the shortest delay of the network's
        connections, or one time step while there are none."""
        if self._min_delay != "auto":
            return float(self._min_delay)
        steps = [int(p.delay.min()) for p in self.net.projections if p.n_synapses]
        return min(steps) * self.dt if steps else self.dt

    def default_delay(self) -> float:
        """The delay of a synapse type given none: min_delay, or one step for 'auto'."""
        return self.dt if self._min_delay == "auto" else float(self._min_delay)

    @property
    def max_delay(self) -> float:
        """ms; 'auto' at setup() means spikesim's longest delay, 65,535 steps."""
        from spikesim.projection import MAX_DELAY_STEPS

        return MAX_DELAY_STEPS * self.dt if self._max_delay == "auto" else float(self._max_delay)

    # ------------------------------------------------------------------ cells
    def allocate_ids(self, population, size: int) -> np.ndarray:
        first = self.id_counter
        self.id_counter += size
        self.populations.append(population)
        self._first_ids.append(first)
        return np.arange(first, first + size)

    def locate(self, ids) -> tuple[np.ndarray, np.ndarray]:
        """``(population number, index within it)`` of every ID in ``ids``."""
        ids = np.asarray(ids, dtype=np.int64)
        k = np.searchsorted(np.asarray(self._first_ids, np.int64), ids, side="right") - 1
        first = np.asarray(self._first_ids, np.int64)[k]
        return k, ids - first

    # ------------------------------------------------------------------ running
    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        dt = self.dt
        span = (float(tstop) - self.t) / dt
        n = int(round(span))
        if self.spynnaker and abs(span - n) > 1e-6 * max(1.0, abs(span)):
            n = int(np.ceil(span))  # sPyNNaker runs whole time steps, rounding up
        elif abs(span - n) > 1e-6 * max(1.0, abs(span)):
            raise ValueError(f"run: the simulation can only stop on a time step; {tstop!r} ms is "
                             f"not a multiple of the time step {dt!r} ms (now t = {self.t!r} ms)")
        n = max(n, 0)
        for rec in self.recorders:
            rec._before_run()
        if self.spynnaker:
            for proj in self.net.projections:   # the weights a reset goes back to
                if proj.plastic and id(proj) not in self._initial_weights:
                    self._initial_weights[id(proj)] = (proj, proj.weight.copy())
        from .poisson_fold import fold

        fold(self)
        self.net.run(n * dt, progress=False)
        self.running = True

    def reset(self):
        """Time back to 0, state to its initial values, a new segment. Weights are kept
        (PyNN), except under sPyNNaker's conventions: sPyNNaker loads the network again, so
        plastic weights go back to the values they had before the first run (a projection
        whose synapses were rewired since keeps its present ones) and spike sources given a
        seed start over from it, repeating their spikes."""
        if self.spynnaker:
            for pop in self.populations:
                getattr(pop, "_reseed", lambda: None)()
        self.net.reset()
        for proj, weights in self._initial_weights.values():
            if proj.n_synapses == weights.shape[0]:
                proj.set_weights(weights)
        for pop in self.populations:
            pop._reapply_initial_state()
        for rec in self.recorders:
            rec._new_segment()
        self.running = False
        self.t_start = 0.0
        self.segment_counter += 1

    def clear(self):
        self.configure()


def check_count(name: str, value) -> None:
    """A positive integer or a tuple of them (sPyNNaker's per-core limits)."""
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise errors.InvalidParameterValueError(
                f"{name} must be a positive integer or a tuple of them, got {value!r}")


state = State()
