"""The Network: owns populations, projections, recorders and the simulation state."""
from __future__ import annotations

import numbers

import numpy as np

from . import _validate as V, fusion
from .cells import CellType
from .connecting import (check_plastic_source, check_receptor, check_stored_csr, inverse,
                         to_full_populations)
from .connectors import CHUNK, Connector, Context, draw_per_synapse
from .convolution import Convolution, connect_convolution
from .currents import CurrentSource
from .neuromodulation import MODULATORY, connect_modulatory
from .population import Population, PopulationView
from .plastic_runtime import projection_state
from .plasticity import STDP
from .population_setup import MAX_POPULATION, make_population  # noqa: F401 (re-exported)
from .projection import (Projection, check_bounds, check_one_step, check_weights,
                         delays_to_steps, resolve_values)
from .random import RandomDistribution
from .recorder_setup import add_recorder, add_weight_recorder
from .recording import Recorder, WeightRecorder, stream_group
from .resetting import clear_state, rewind
from .synapses import SynapseDynamics, dynamic_state
from .runtime import Runtime
from .sources import PoissonInput
from .state import State

MIN_DT = 1e-6  # ms; smaller steps make propagators and step counts meaningless


class Network:
    """A spiking network simulated with a fixed time step.

    Parameters
    ----------
    dt : float
        Time step in ms (> 0).
    seed : int, optional
        Seed of the network's own random generator; the same seed gives
        bit-identical connectivity, initial values and spikes.
    dtype : {"float32", "float64"}
        Precision of state and weights. float64 is for validation runs.
    threads : int or "auto"
        Threads for the simulation loop. ``"auto"`` uses all of Numba's
        threads for networks of 20,000 neurons or more (when an OpenMP or
        TBB threading layer is available) and one thread below that, where
        the per-step synchronisation would cost more than it saves. Results
        are bit-identical for any number of threads.
    fuse_receptors : bool
        Where ``tau_syn_E == tau_syn_I``, ``IF_curr_exp`` keeps its two currents summed in
        ``isyn_exc`` and one ring plane (:mod:`spikesim.fusion`; ``isyn_inh`` reads 0).

    Examples
    --------
    >>> import spikesim as ss
    >>> net = ss.Network(dt=0.1, seed=1)
    >>> exc = net.add_population(100, ss.IF_curr_exp(), label="exc")
    >>> net.connect(exc, exc, ss.FixedProbability(0.1), weight=0.1, delay=1.0)  # doctest: +ELLIPSIS
    Projection(...)
    >>> rec = net.record(exc, "spikes")
    >>> net.run(100.0)
    """

    def __init__(self, dt: float = 0.1, seed: int | None = None, dtype: str = "float32",
                 threads: int | str = "auto", fuse_receptors: bool = False) -> None:
        self.dt = V.positive_scalar("dt", dt)
        if self.dt < MIN_DT:
            raise ValueError(f"dt must be at least {MIN_DT} ms, got {dt!r}")
        try:
            self.dtype = np.dtype(dtype) if dtype is not None else None
        except TypeError:
            self.dtype = None
        # not ``in``: numpy compares a dtype equal to None (float64), so a name it cannot
        # parse would pass
        if self.dtype is None or self.dtype.type not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        if threads != "auto":
            threads = V.count("threads", threads, 1)
        self.threads = threads
        self.fuse_receptors = fusion.check_flag(fuse_receptors)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                                 or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.seed = seed
        self._seedseq = np.random.SeedSequence(seed)
        self.rng = np.random.default_rng(self._seedseq.spawn(1)[0])
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        self.recorders: list[Recorder] = []
        self.injections: list[tuple[CurrentSource, Population, np.ndarray]] = []
        self.astrocytes: list = []
        self.weight_recorders: list[WeightRecorder] = []
        self.poisson_inputs: list[PoissonInput] = []
        self._poisson_inputs_made = 0  # input numbers (their random streams) are never reused
        self.step = 0
        self._state = State(self.dtype)
        self._files: dict = {}
        self._runtime = Runtime(self)

    # ---------------------------------------------------------------- time
    @property
    def t(self) -> float:
        """Current simulation time in ms."""
        return self.step * self.dt

    @property
    def n_neurons(self) -> int:
        return int(self._state.S.shape[1])

    # ---------------------------------------------------------------- building
    def add_population(self, size: int, celltype: CellType, label: str | None = None,
                       positions=None, initial_v=None) -> Population:
        """Add ``size`` neurons of ``celltype``.

        Parameters
        ----------
        size : int
            Number of neurons (>= 1).
        celltype : CellType
            e.g. ``IF_curr_exp(tau_m=20.0)``; parameters may be per-neuron arrays
            or :class:`RandomDistribution` (drawn now, from the network's generator).
        label : str, optional
        positions : array (size, 3), optional
            Spatial positions, e.g. from :func:`grid_positions`, for
            :class:`DistanceDependent`.
        initial_v : float, array or RandomDistribution, optional
            Initial membrane potential (mV); default ``v_rest``.
        """
        state = self.rng.bit_generator.state
        try:
            return make_population(self, size, celltype, label, positions, initial_v)
        except BaseException:
            self.rng.bit_generator.state = state  # a refused call draws nothing
            raise

    def _own(self, name: str, target):
        if not isinstance(target, (Population, PopulationView)):
            raise TypeError(f"{name} must be a Population or PopulationView, got {target!r}")
        if target.population.net is not self:
            raise ValueError(f"{name} ({target.population.label!r}) belongs to a different Network")
        return target

    def connect(self, pre, post, connector: Connector, weight=0.0, delay=None,
                receptor_type: str = "excitatory", label: str | None = None,
                synapse: STDP | SynapseDynamics | None = None) -> Projection:
        """Create synapses from ``pre`` to ``post``.

        Parameters
        ----------
        pre, post : Population or PopulationView
            Source and target; both must belong to this network. ``post``
            must not be a spike source.
        connector : Connector
            e.g. ``FixedProbability(0.02)``, or a :class:`~spikesim.Convolution` (kernel once).
        weight : float, array, or RandomDistribution
            nA for ``IF_curr_exp`` targets (inhibitory weights <= 0), uS for
            ``IF_cond_exp`` (>= 0). An array has one value per synapse in
            storage order (by source, then target) or is a dense
            ``(len(pre), len(post))`` matrix.
        delay : float, array, or RandomDistribution, optional
            ms, rounded to the nearest step; at least one step (the default).
        receptor_type : {"excitatory", "inhibitory", "reward", "punishment"}
            "reward" / "punishment": dopamine for STDP onto ``post``, with
            ``synapse=Neuromodulation(...)`` (:mod:`spikesim.neuromodulation`).
        synapse : STDP, SynapseDynamics or Neuromodulation, optional
            ``STDP`` makes the projection plastic (see :mod:`spikesim.plasticity`); initial
            weights must lie in the rule's ``[w_min, w_max]``. Plastic networks use
            threads as static ones do, except with weight recorders (one thread).
            A synapse dynamic (:class:`~spikesim.TsodyksMarkram`, :class:`~spikesim.Tsodyks2`,
            :class:`~spikesim.SimpleStochastic`) scales each transmitted spike; see
            :mod:`spikesim.synapses`.
        """
        if receptor_type in MODULATORY:  # reward / punishment: spikesim.neuromodulation
            return connect_modulatory(self, pre, post, connector, weight, delay, receptor_type,
                                      label, synapse)
        if synapse is not None and not isinstance(synapse, (STDP, SynapseDynamics)):
            raise TypeError("synapse must be None (static), a spikesim.STDP or a synapse dynamic "
                            f"(TsodyksMarkram, Tsodyks2, SimpleStochastic), got {synapse!r}")
        state = self.rng.bit_generator.state
        try:
            return self._connect(pre, post, connector, weight, delay, receptor_type, label,
                                 synapse)
        except BaseException:
            self.rng.bit_generator.state = state  # a refused call draws nothing
            raise

    def _connect(self, pre, post, connector, weight, delay, receptor_type, label,
                 synapse=None) -> Projection:
        self._own("pre", pre)
        self._own("post", post)
        if isinstance(connector, Convolution):  # no synapses stored: spikesim.convolution
            return connect_convolution(self, pre, post, connector, weight, delay, receptor_type,
                                       label, synapse)
        if not isinstance(connector, Connector):
            raise TypeError(f"connector must be a spikesim Connector, got {connector!r}")
        ppop, qpop = pre.population, post.population
        if qpop.celltype.kind == 0:
            raise ValueError(f"post ({qpop.label!r}) is a spike source and cannot receive synapses")
        check_receptor(receptor_type, qpop)
        ctx = Context(len(pre), len(post), self.rng, same_population=(ppop is qpop and
                      np.array_equal(pre.local_indices, post.local_indices)),
                      pre_positions=(None if ppop.positions is None
                                     else ppop.positions[pre.local_indices]),
                      post_positions=(None if qpop.positions is None
                                      else qpop.positions[post.local_indices]))
        conn = connector.build(ctx)
        conn = to_full_populations(conn, pre, post)
        m = conn.post.shape[0]
        shape = (len(pre), len(post))

        def pairs():  # (pre, post) indices within the views, only for (n_pre, n_post) matrices
            pre_idx = np.repeat(np.arange(ppop.size), np.diff(conn.indptr))
            return (inverse(pre)[pre_idx] if isinstance(pre, PopulationView) else pre_idx,
                    inverse(post)[conn.post] if isinstance(post, PopulationView) else conn.post)

        chunked = m > CHUNK  # large projections: distributions drawn chunk by chunk
        w_drawn = chunked and conn.weight is None and isinstance(weight, RandomDistribution)
        d_drawn = chunked and conn.delay is None and isinstance(delay, RandomDistribution)
        if conn.weight is not None:
            w = conn.weight
        elif w_drawn:  # checked chunk by chunk
            w = draw_per_synapse("weight", weight, self.rng, m, self.dtype, lambda name, v: (
                V.fits_dtype(name, v, self.dtype), check_weights(v, receptor_type, qpop.celltype)))
        else:
            w = resolve_values("weight", weight, m, self.rng, pairs, shape)
        if not w_drawn:
            V.fits_dtype("weight", V.finite_array("weight", w), self.dtype)
            check_weights(w, receptor_type, qpop.celltype)
        if conn.delay is not None:
            d = conn.delay
        elif delay is None:
            d = np.array([self.dt])
        elif d_drawn:  # converted to steps chunk by chunk
            d = draw_per_synapse("delay", delay, self.rng, m, np.uint16,
                                 convert=lambda v: delays_to_steps(v, self.dt))
        else:
            d = resolve_values("delay", delay, m, self.rng, pairs, shape)
        if not d_drawn:
            d = delays_to_steps(np.asarray(d, np.float64), self.dt)
        label = label or f"{ppop.label}->{qpop.label}"
        dstate = None
        if isinstance(synapse, SynapseDynamics):
            dstate = dynamic_state(synapse, m, self.rng, qpop, receptor_type, conn.post)
            synapse = None
        if synapse is not None:
            check_plastic_source(ppop, self.dt)
            wd = synapse.weight
            try:
                check_weights(np.array([wd.w_min, wd.w_max]) * synapse.sign, receptor_type,
                              qpop.celltype)
            except ValueError as exc:
                raise ValueError(f"STDP bounds [w_min, w_max] = [{wd.w_min!r}, {wd.w_max!r}] "
                                 f"do not fit receptor_type={receptor_type!r}: {exc}") from None
            w = np.broadcast_to(w, (m,)).copy()
            check_bounds(w, synapse)
            check_one_step(d, synapse)
        proj = Projection(len(self.projections), ppop, qpop, receptor_type, conn.indptr,
                          conn.post.astype(np.int32, copy=False),
                          w.astype(self.dtype, copy=not w_drawn), d, label)
        if synapse is not None:
            proj._weight = np.broadcast_to(proj._weight, (m,)).copy()
            proj.synapse = synapse
            proj._pstate = projection_state(proj, self.dt)
        proj._dstate = dstate
        self.projections.append(proj)
        self._runtime.invalidate()
        return proj

    def add_poisson_input(self, target, rate, weight, receptor_type: str = "excitatory",
                          delay: float | None = None, start: float = 0.0,
                          duration: float = np.inf, label: str | None = None,
                          seed: int | None = None) -> PoissonInput:
        """Drive every neuron of ``target`` with its own Poisson input, delivered as counts.

        The same process as a ``SpikeSourcePoisson`` per neuron connected one-to-one
        (NEST: a ``poisson_generator`` connected all-to-all), at one draw per neuron and
        step whatever the rate; see :class:`spikesim.sources.PoissonInput`.

        Parameters
        ----------
        target : Population or PopulationView
        rate : float or array (one per target neuron), Hz
            Any rate >= 0 (e.g. the microcircuit's 8 Hz x 1,600 inputs = 12.8 kHz).
        weight : float or array, nA (current synapses) or uS (conductance synapses)
            Signs as for :meth:`connect`.
        receptor_type : str
        delay : float, ms, optional
            At least one step (the default).
        start, duration : float, ms
            Input spikes are emitted from ``start`` to ``start + duration``.
        seed : int, optional
            The input's own seed: inputs with one seed draw the same counts (per target
            index and step), and :meth:`reset` repeats them, as a seeded sPyNNaker
            ``SpikeSourcePoisson`` repeats its spikes. Default: a stream of the network's
            seed, with new counts after a reset.
        """
        self._own("target", target)
        inp = PoissonInput(self, self._poisson_inputs_made, target, rate, weight, receptor_type,
                           delay, start, duration, label, seed=seed)
        self._poisson_inputs_made += 1
        self.poisson_inputs.append(inp)
        self._runtime.invalidate()
        return inp

    def remove_poisson_input(self, inp: PoissonInput) -> None:
        """Stop a Poisson input from the current step on (:meth:`add_poisson_input`).

        Input spikes it emitted before now still arrive after their delay; none are
        emitted from the current step on. Removing an input and adding one with other
        rates or weights changes an input between two runs.

        Parameters
        ----------
        inp : PoissonInput
            An input of this network, as returned by :meth:`add_poisson_input`.
        """
        pos = next((k for k, x in enumerate(self.poisson_inputs) if x is inp), None)
        if pos is None:
            raise ValueError(f"remove_poisson_input: {inp!r} is not a Poisson input of this "
                             "network")
        self._runtime.withdraw_drive(inp, pos)
        self.poisson_inputs.pop(pos)
        self._runtime.invalidate()

    def add_astrocytes(self, n: int, model, label: str | None = None, **kwargs):
        """Add ``n`` astrocytes of ``model`` (e.g. :class:`spikesim.LiRinzel`); returns the group.

        Keyword arguments go to the model (see its documentation).
        """
        n = V.count("n", n, 1)
        if not hasattr(model, "_add_to"):
            raise TypeError(f"model must be a spikesim astrocyte model, got {model!r}")
        group = model._add_to(self, n, label, **kwargs)
        self._runtime.invalidate()
        return group

    def connect_tripartite(self, *args, **kwargs):
        """Synapses with astrocytes attached; see :func:`spikesim.lirinzel.connect_tripartite`."""
        from .lirinzel import connect_tripartite

        return connect_tripartite(self, *args, **kwargs)

    def _restore_projection(self, pre, post, receptor_type, label, indptr, targets, weight, delay,
                            synapse, weights_outside_bounds: bool = False) -> Projection:
        """A projection from stored CSR arrays (:func:`spikesim.load`), checked like connect().

        ``weights_outside_bounds``: accept plastic weights outside ``[w_min, w_max]`` (as
        NEST and sPyNNaker do; the first weight change brings them back into the bounds).
        """
        if receptor_type in MODULATORY:  # reward / punishment (spikesim.neuromodulation)
            return connect_modulatory(self, pre, post, None, weight, delay, receptor_type, label,
                                      synapse, stored=(indptr, targets))
        indptr, targets, w, d = check_stored_csr(pre, post, receptor_type, label, indptr,
                                                 targets, weight, delay, self.dtype)
        proj = Projection(len(self.projections), pre, post, receptor_type, indptr,
                          targets.astype(np.int32), w.astype(self.dtype), d.astype(np.uint16),
                          label)
        if isinstance(synapse, SynapseDynamics):
            proj._dstate = dynamic_state(synapse, len(targets), self.rng, post, receptor_type,
                                         targets)
        elif synapse is not None:
            check_plastic_source(pre, self.dt)
            proj._weight = np.broadcast_to(proj._weight, (len(targets),)).copy()
            if not weights_outside_bounds:
                check_bounds(proj._weight, synapse)
            check_one_step(d, synapse)
            proj.synapse = synapse
            proj._pstate = projection_state(proj, self.dt)
        self.projections.append(proj)
        self._runtime.invalidate()
        return proj

    def _dynamics_seed(self) -> int:
        """Seed (uint64) of the counter-based draws of synapse dynamics; fixed per network."""
        if getattr(self, "_dyn_seed", None) is None:
            self._dyn_seed = int(np.random.SeedSequence(self.seed).generate_state(1, np.uint64)[0])
        return self._dyn_seed

    def reset_state(self, keep_traces: bool = False) -> None:
        """Return every dynamic variable to its initial value; time and weights are kept.

        State variables go back to their initial values (``initial_v``, the model's
        defaults, or the last :meth:`Population.initialize`), refractory counts to 0;
        synaptic input in flight is dropped; plastic traces and histories are cleared
        (``keep_traces=True``: kept, so that they decay on from the spikes before the reset,
        as in per-step codes that never reset them) and learning-rate factors set back to 1
        (their decay rates stay); astrocytes return to their initial state. Weights are not
        touched (restore them with :meth:`Projection.set_weights`). Recorders keep recording.
        """
        if not isinstance(keep_traces, bool):
            raise TypeError(f"keep_traces must be True or False, got {keep_traces!r}")
        clear_state(self, keep_traces)

    def reset(self) -> None:
        """PyNN's ``reset()``: time back to 0 and :meth:`reset_state`.

        Spike sources replay from time 0 (Poisson sources draw new spikes, continuing their
        generators). Recorders keep what they hold; later samples are stamped from 0 again.
        """
        rewind(self)

    def save(self, path) -> None:
        """Save the whole network and its state to an HDF5 file (see :func:`spikesim.io.save`)."""
        from .io import save
        save(self, path)

    def inject(self, source: CurrentSource, target) -> None:
        """Inject a :class:`DCSource` or :class:`StepCurrentSource` into neurons of ``target``."""
        self._own("target", target)
        if not isinstance(source, CurrentSource):
            raise TypeError(f"source must be a DCSource or StepCurrentSource, got {source!r}")
        if target.population.celltype.kind == 0:
            raise ValueError(f"target ({target.population.label!r}) is a spike source; "
                             "currents go into neurons")
        V.fits_dtype(f"{type(source).__name__}.amplitude", np.asarray(source.bound()), self.dtype)
        self.injections.append((source, target.population, np.asarray(target.local_indices)))
        self._runtime.invalidate()

    def record(self, target, variables, sampling_interval: float | None = None,
               stream_to: str | None = None) -> Recorder:
        """Record ``variables`` of ``target`` from now on.

        Parameters
        ----------
        target : Population or PopulationView
            The neurons to record (a view records a subset).
        variables : str or list of str
            ``"spikes"``, ``"rate"`` (population rate), or state variables
            of the cell type (``"v"``, ``"isyn_exc"``, ``"gsyn_inh"``, ...).
        sampling_interval : float, optional
            ms between state samples; a multiple of ``dt`` (default ``dt``).
        stream_to : str, optional
            Path of an HDF5 file; data is appended there chunk by chunk and
            flushed, instead of being kept in memory.
        """
        return add_recorder(self, target, variables, sampling_interval, stream_to)

    def record_weights(self, projection: Projection, synapses=None,
                       sampling_interval: float | None = None) -> WeightRecorder:
        """Record weights of a plastic projection over time.

        Parameters
        ----------
        projection : Projection
            A plastic projection of this network.
        synapses : array of int, optional
            Synapse indices in storage order (see :meth:`Projection.connections`);
            default all.
        sampling_interval : float, optional
            ms between samples, a multiple of ``dt`` (default ``dt``). A sample is
            taken at the end of a step, after that step's weight updates.
        """
        return add_weight_recorder(self, projection, synapses, sampling_interval)

    def _stream_group(self, path: str, label: str):
        return stream_group(self._files, path, label, self.dt)

    def close(self) -> None:
        """Close HDF5 files opened by streaming recorders.

        Data stays readable in memory until then.
        """
        for f in self._files.values():
            f.close()
        self._files.clear()

    # ---------------------------------------------------------------- running
    def run(self, duration: float, progress: bool | None = None) -> None:
        """Advance the simulation by ``duration`` ms.

        ``duration`` must be a whole number of steps (see
        :func:`spikesim._validate.time_to_steps`). ``run(a); run(b)`` gives
        bit-identical results to ``run(a + b)``.

        Parameters
        ----------
        progress : bool, optional
            ``None`` (default) shows a tqdm bar only once a run has taken more
            than 3 s of wall time; ``True`` always; ``False`` never.
        """
        n = V.time_to_steps("duration", duration, self.dt, minimum=0)
        self._runtime.run(n, progress)

    def __repr__(self) -> str:
        return (f"Network(dt={self.dt}, {len(self.populations)} populations, {self.n_neurons} "
                f"neurons, {len(self.projections)} projections, t={self.t} ms)")
