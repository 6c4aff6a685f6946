"""Population, PopulationView and Assembly of the spikesim PyNN backend.

Each PyNN ``Population`` owns one :class:`spikesim.Population`, created at once
with the evaluated parameters. Parameters are kept on the PyNN side as well (as
the values given, e.g. spike times at 0), and every change is pushed to spikesim
(:meth:`spikesim.Population.set` / ``initialize``), which checks it.
"""
from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.parameters import LazyArray, ParameterSpace, Sequence, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .recording import Recorder, spynnaker_alias
from .simulator import check_count, state
from .standardmodels import SpikeSourceArray, poisson_parameters, spike_time_lists



def _spikesim_errors(func, *args, **kwargs):
    """Call into spikesim; its refusals become PyNN's InvalidParameterValueError."""
    try:
        return func(*args, **kwargs)
    except errors.InvalidParameterValueError:
        raise
    except (TypeError, ValueError) as exc:
        raise errors.InvalidParameterValueError(str(exc)) from None


def split_by_population(cells):
    """``[(Population, index array)]`` for a Population, view, Assembly or list of IDs."""
    if isinstance(cells, (common.Population, common.PopulationView)) and hasattr(cells, "grandparent"):
        return [(cells.grandparent, np.asarray(cells.index_in_grandparent(np.arange(cells.size))))]
    if isinstance(cells, common.Population):
        return [(cells, np.arange(cells.size))]
    ids = cells.all_cells if isinstance(cells, common.Assembly) else np.asarray(
        [int(c) for c in cells], dtype=np.int64)
    k, local = state.locate(ids)
    return [(state.populations[i], local[k == i]) for i in np.unique(k)]


def _values(lazy: LazyArray, n: int, mask=None):
    lazy.shape = (n,)
    v = lazy.evaluate(simplify=True) if mask is None else lazy[mask]
    return v


class Assembly(common.Assembly):
    __doc__ = common.Assembly.__doc__
    _simulator = simulator


class _Mixin:
    """What Population and PopulationView share: parameters, initial values, sPyNNaker's v."""

    def spinnaker_get_data(self, variable: str, as_matrix: bool = False, view_indexes=None):
        """sPyNNaker's accessor: the recorded ``variable`` of the current segment as numpy.

        ``"spikes"``: rows ``[neuron index, time ms]``, by neuron then time. Other variables:
        rows ``[neuron index, time ms, value]`` by neuron then time, or with ``as_matrix``
        the ``(times, neurons)`` matrix. ``view_indexes``: only these neurons (indices in
        this population or view).
        """
        if not isinstance(variable, str):
            raise errors.InvalidParameterValueError(
                f"spinnaker_get_data takes one variable name, got {variable!r}")
        seg = self.get_data(variable, clear=False).segments[-1]
        keep = None if view_indexes is None else set(int(i) for i in view_indexes)
        if variable == "spikes":
            rows = [(int(st.annotations.get("source_index", k)), float(t))
                    for k, st in enumerate(seg.spiketrains) for t in np.asarray(st)]
            rows = [r for r in rows if keep is None or r[0] in keep]
            out = np.array(sorted(rows), dtype=np.float64).reshape(-1, 2)
            return out
        sig = seg.filter(name=variable)
        if not sig:
            raise errors.RecordingError(variable, f"{variable!r} was not recorded")
        sig = sig[0]
        ids = np.asarray(sig.array_annotations.get("channel_index", np.arange(sig.shape[1])))
        cols = [c for c, i in enumerate(ids) if keep is None or int(i) in keep]
        values = np.asarray(sig)[:, cols]
        if as_matrix:
            return values
        times = np.asarray(sig.times.rescale("ms"))
        return np.array([(float(ids[c]), float(t), float(v)) for j, c in enumerate(cols)
                         for t, v in zip(times, values[:, j])]).reshape(-1, 3)

    # ------------------------------------------------------------ recording (sPyNNaker)
    def record(self, variables, to_file=None, sampling_interval=None, locations=None):
        """PyNN's ``record``; ``"all"`` records every variable the cell type can record (as
        sPyNNaker does; PyNN 0.13 would read the string letter by letter)."""
        if (isinstance(variables, str) and variables == "all") or \
                (isinstance(variables, (list, tuple)) and "all" in variables):
            variables = list(self.celltype.recordable)
            if simulator.state.spynnaker:   # sPyNNaker's names of the synaptic inputs
                variables = [v if spynnaker_alias(self.celltype, "g" + v[1:]) != v else
                             "g" + v[1:] for v in variables]
        return common.BasePopulation.record(self, variables, to_file, sampling_interval,
                                            locations)

    def can_record(self, variable, location=None):
        return self.celltype.can_record(spynnaker_alias(self.celltype, variable), location)

    def find_units(self, variable):
        name = getattr(variable, "name", variable)
        return self.celltype.units[spynnaker_alias(self.celltype, name)]

    def get_data(self, variables="all", gather=True, clear=False, locations=None):
        """PyNN's ``get_data``. Under sPyNNaker's conventions, as sPyNNaker: asking for a
        variable that was not recorded raises ``ConfigurationException`` (PyNN leaves it
        out), and each signal is annotated with ``channel_names``, the indices of its
        neurons in the population."""
        if simulator.state.spynnaker:
            self._check_recorded(variables)
        block = common.BasePopulation.get_data(self, variables, gather, clear, locations)
        if simulator.state.spynnaker:
            for seg in block.segments:
                for sig in seg.analogsignals:
                    ids = sig.array_annotations.get("channel_index")
                    if ids is not None and "channel_names" not in sig.annotations:
                        sig.annotations["channel_names"] = [int(i) for i in ids]
        return block

    def write_data(self, io, variables="all", gather=True, clear=False, annotations=None,
                   locations=None):
        if simulator.state.spynnaker:
            self._check_recorded(variables)
        return common.BasePopulation.write_data(self, io, variables, gather, clear,
                                                annotations, locations)

    def _check_recorded(self, variables):
        if isinstance(variables, str):
            if variables == "all":
                return
            variables = [variables]
        recorded = {v.name for v in self.recorder.recorded if self.recorder.recorded[v]}
        for name in variables:
            if name != "all" and name not in recorded:
                from .spynnaker.exceptions import SpynnakerRecordingError

                raise SpynnakerRecordingError(
                    f"{self.label}: {name!r} was not recorded (recorded: {sorted(recorded)})")

    # -------------------------------------------------------------- placement (sPyNNaker)
    def set_max_atoms_per_core(self, max_atoms_per_core):
        """sPyNNaker: the most neurons of this population per core (an int or a tuple for a
        grid). Checked and accepted; it changes nothing here (no cores)."""
        values = max_atoms_per_core if isinstance(max_atoms_per_core, tuple) \
            else (max_atoms_per_core,)
        for v in values:
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            check_count("set_max_atoms_per_core", v)

    def add_placement_constraint(self, x, y, p=None):
        """sPyNNaker: place this population on chip (x, y) (core p). Accepted; it changes
        nothing here (no chips)."""
        for name, v in (("x", x), ("y", y)) + ((("p", p),) if p is not None else ()):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise errors.InvalidParameterValueError(
                    f"add_placement_constraint: {name} must be an integer >= 0, got {v!r}")

    def __getitem__(self, index):
        """PyNN's indexing, plus sPyNNaker's ``pop[range(a, b)]``."""
        if isinstance(index, range):
            index = np.arange(self.size)[slice(index.start, index.stop, index.step)]
        return super().__getitem__(index)

    def set(self, **parameters):
        """Set parameters; ``v`` (and other state variables) set initial values, as sPyNNaker does."""
        initial = {k: parameters.pop(k) for k in list(parameters)
                   if k in self.celltype.default_initial_values}
        if initial:
            self.initialize(**initial)
        if parameters:
            common.BasePopulation.set(self, **parameters)

    def get(self, parameter_names, gather=False, simplify=True):
        """PyNN's ``get``; a cell type's list-valued parameters (sPyNNaker's variable-rate
        Poisson ``rates``/``starts``/``durations``) come back as one array per neuron.

        Under sPyNNaker's conventions (:mod:`spikesim.pynn.spynnaker`) values are never
        simplified, as sPyNNaker's ``ParameterHolder``: one name gives a list with a value
        per neuron, several names a dict of such lists."""
        lists = getattr(self.celltype, "list_parameter_names", ())
        names = (parameter_names,) if isinstance(parameter_names, str) else tuple(parameter_names)
        root, idx = self._root()

        def values(n, simple):
            if n in lists:
                return [self.celltype.list_parameter(n, root.size)[i] for i in np.atleast_1d(idx)]
            return common.BasePopulation.get(self, n, gather, simple)

        if state.spynnaker:
            shown = getattr(self.celltype, "spynnaker_reported", lambda n, v: v)
            out = {n: list(values(n, False)) if n in lists else
                   shown(n, np.asarray(values(n, False)).tolist()) for n in names}
            return out[names[0]] if isinstance(parameter_names, str) else out
        if lists and any(n in lists for n in names):
            out = [values(n, simplify) for n in names]
            return out[0] if isinstance(parameter_names, str) else out
        return common.BasePopulation.get(self, parameter_names, gather, simplify)

    def _get_parameters(self, *names):
        native = self.celltype.get_native_names(*names)
        return self.celltype.reverse_translate(self._get_native_parameters(*native))

    def _get_native_parameters(self, *names):
        root, idx = self._root()
        out = {}
        for name in names:
            if name not in root._parameters:
                raise errors.NonExistentParameterError(name, self.celltype.__class__.__name__,
                                                       self.celltype.get_parameter_names())
            value = root._parameters[name]
            if isinstance(value, np.ndarray):
                value = value[idx]
            out[name] = simplify(value)
        return ParameterSpace(out, shape=(len(idx),))

    def _set_parameters(self, parameter_space):
        root, idx = self._root()
        parameter_space.shape = (self.size,)
        parameter_space.evaluate(simplify=False)
        new = {}
        for name, value in parameter_space.items():
            if isinstance(root.celltype, SpikeSourceArray):
                lists = spike_time_lists(value, len(idx), ordered=not state.spynnaker_sources,
                                         spinnaker=state.spynnaker_sources)
                # the parameter keeps the times as given (sorted under sPyNNaker's rules)
                shown = spike_time_lists(value, len(idx), ordered=not state.spynnaker_sources,
                                         clip=False) if state.spynnaker_sources else lists
                full = np.empty(root.size, dtype=object)
                full[:] = root._parameters[name]
                for k, i in enumerate(idx):
                    full[i] = Sequence(shown[k])
                new[name] = full
                _spikesim_errors(root._ss._set, idx, {name: lists})
                continue
            full = np.array(root._parameters[name], dtype=np.float64)
            full[idx] = value
            new[name] = full
            if type(root.celltype).__name__ == "SpikeSourcePoisson":
                continue  # pushed below, with the other two parameters
            if hasattr(root._ss.celltype, "check_grid"):
                continue  # renewal sources: pushed below together (rate * tau_refrac < 1)
            kernel = np.asarray(value, np.float64)
            if name == "tau_refrac" and root.celltype.injectable:
                kernel = spynnaker_refractory(kernel)
            _spikesim_errors(root._ss._set, idx, {name: kernel})
        if hasattr(root._ss.celltype, "check_grid") and new:
            _spikesim_errors(root._ss._set, idx, {k: v[idx] for k, v in new.items()})
        if type(root.celltype).__name__ == "SpikeSourcePoisson":
            p = {**root._parameters, **new}
            _spikesim_errors(root._ss.set, **poisson_parameters(p["rate"], p["start"],
                                                                p["duration"], root.size))
        root._parameters.update(new)

    def _set_initial_value_array(self, variable, value):
        root, idx = self._root()
        if variable not in root.celltype.default_initial_values:
            raise errors.NonExistentParameterError(variable, root.celltype.__class__.__name__,
                                                   list(root.celltype.default_initial_values))
        if not root.celltype.injectable:  # spike sources have no state
            return
        v = np.asarray(_values(value, self.size), dtype=np.float64)
        v = np.broadcast_to(v, (len(idx),)).copy()
        # a PointNeuron's "AMPA.gsyn" is the state row gsyn_<k> of its spikesim model
        variable = getattr(root.celltype, "ss_variable", str)(variable)
        _spikesim_errors(root._ss._initialize, idx, {variable: v})
        if variable != "v":
            root._extra_initial[variable] = root._extra_initial.get(
                variable, np.zeros(root.size))
            root._extra_initial[variable][idx] = v


class PopulationView(_Mixin, common.PopulationView):
    __doc__ = common.PopulationView.__doc__ + """
    spikesim (as sPyNNaker): the selector may also be a ``range``, a list or tuple of
    indices, or an integer, besides PyNN's slices, integer arrays and boolean masks.
    """
    _assembly_class = Assembly
    _simulator = simulator

    def __init__(self, parent, selector, label=None):
        super().__init__(parent, _selector(selector, parent.size), label)

    def _root(self):
        return self.grandparent, np.asarray(self.index_in_grandparent(np.arange(self.size)))

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def initialize(self, **initial_values):
        root, idx = self._root()
        for variable, value in initial_values.items():
            lazy = LazyArray(value, shape=(self.size,), dtype=float)
            self._set_initial_value_array(variable, lazy)
            full = np.array(_values(root.initial_values[variable], root.size), dtype=np.float64)
            full = np.broadcast_to(full, (root.size,)).copy()
            full[idx] = np.broadcast_to(_values(lazy, self.size), (self.size,))
            root.initial_values[variable] = LazyArray(full, shape=(root.size,), dtype=float)


class Population(_Mixin, common.Population):
    __doc__ = common.Population.__doc__ + """
    sPyNNaker compatibility: ``neurons_per_core=n`` (or ``additional_parameters=
    {"neurons_per_core": n}``) is accepted and ignored; spikesim has no cores.
    ``seed=s`` (or ``additional_parameters={"seed": s}``) seeds a spike source's own
    generator, so the same seed gives the same spikes; neuron populations draw nothing
    from it (their randomness comes from the network's generator, ``setup(rng_seed=...)``).
    ``additional_parameters={"max_rate": r}`` (sPyNNaker sizes its buffers with it),
    ``"splitter"`` and ``n_synapse_cores=n`` (cores for a population's synapses, 0: on the
    neuron cores) are accepted and change nothing.
    """
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def __init__(self, size, cellclass, cellparams=None, structure=None, initial_values={},
                 label=None, neurons_per_core=None, additional_parameters=None, seed=None,
                 n_synapse_cores=None, **kwargs):
        if kwargs:
            raise NotImplementedError(f"Population arguments {sorted(kwargs)} are not supported by "
                                      "spikesim.pynn")
        extra = dict(additional_parameters or {})
        if "neurons_per_core" in extra:
            neurons_per_core = extra.pop("neurons_per_core")
        if "seed" in extra:
            seed = extra.pop("seed")
        max_rate = extra.pop("max_rate", None)  # sPyNNaker sizes its buffers with it
        extra.pop("splitter", None)  # sPyNNaker's partitioning across cores
        if extra:
            raise NotImplementedError(f"Population additional_parameters {sorted(extra)} are not "
                                      "supported by spikesim.pynn (neurons_per_core, seed, "
                                      "max_rate and splitter are accepted)")
        if neurons_per_core is not None:
            check_count("neurons_per_core", neurons_per_core)
        if n_synapse_cores is not None and (isinstance(n_synapse_cores, bool) or not isinstance(
                n_synapse_cores, (int, np.integer)) or n_synapse_cores < 0):
            raise errors.InvalidParameterValueError(
                f"n_synapse_cores must be an integer >= 0, got {n_synapse_cores!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise errors.InvalidParameterValueError(f"seed must be an integer >= 0, got {seed!r}")
        if max_rate is not None and not (isinstance(max_rate, (int, float)) and max_rate >= 0):
            raise errors.InvalidParameterValueError(f"max_rate must be a rate >= 0 Hz, got "
                                                    f"{max_rate!r}")
        if cellparams is None and isinstance(cellclass, type):
            cellparams = {}  # a cell class without parameters: its defaults (as sPyNNaker)
        self._extra_initial = {}
        super().__init__(size, cellclass, cellparams, structure, initial_values, label)
        self._seed = None
        if seed is not None and not self.celltype.injectable:
            # a spike source draws from its own generator: seed it (sPyNNaker's idiom)
            self._ss.rng = np.random.default_rng(seed)
            self._seed = int(seed)

    def _reseed(self):
        """sPyNNaker's reset loads a seeded source again: it starts over from its seed and
        repeats its spikes (called by ``reset()`` under sPyNNaker's conventions)."""
        if self._seed is not None:
            self._ss.rng.bit_generator.state = \
                np.random.default_rng(self._seed).bit_generator.state

    def _root(self):
        return self, np.arange(self.size)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _create_cells(self):
        ct = self.celltype
        if not isinstance(ct, StandardCellType) or getattr(ct, "_ss_class", None) is None:
            from .standardmodels import STANDARD_CELL_TYPES

            raise NotImplementedError(f"cell type {type(ct).__name__} is not available in "
                                      f"spikesim.pynn ({', '.join(STANDARD_CELL_TYPES)} are)")
        ps = ct.native_parameters
        ps.shape = (self.size,)
        ps.evaluate(simplify=False)
        self._parameters = {}
        for name, value in ps.items():
            if isinstance(ct, SpikeSourceArray):
                seqs = np.empty(self.size, dtype=object)
                seqs[:] = [v if isinstance(v, Sequence) else Sequence(v)
                           for v in np.broadcast_to(value, (self.size,))]
                self._parameters[name] = seqs
            else:
                self._parameters[name] = np.broadcast_to(
                    np.asarray(value, dtype=np.float64), (self.size,)).copy()
        params = {k: (v if isinstance(ct, SpikeSourceArray) else simplify(v))
                  for k, v in self._parameters.items()}
        params = ct.to_spikesim_parameters({**params, "_size": self.size})
        if "tau_refrac" in params and ct.injectable:
            params["tau_refrac"] = spynnaker_refractory(params["tau_refrac"])
        sscell = _spikesim_errors(ct._ss_class, **params)
        label = f"{len(state.populations)}:{self.label}"
        self._ss = _spikesim_errors(state.net.add_population, self.size, sscell, label=label)
        ids = state.allocate_ids(self, self.size)
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        for cell in self.all_cells:
            cell.parent = self
        self._mask_local = np.ones(self.size, dtype=bool)

    def _set_initial_value_array(self, variable, value):
        _Mixin._set_initial_value_array(self, variable, value)

    def _reapply_initial_state(self):
        """After a reset: state variables other than v back to their initial values."""
        for variable, values in self._extra_initial.items():
            self._ss._initialize(np.arange(self.size), {variable: values})


def spynnaker_refractory(tau_refrac):
    """The refractory period the kernel is given. sPyNNaker counts it in whole time steps,
    rounded up (``ceil(tau_refrac / dt)``; PyNN's default 0.1 ms is one step at dt = 1 ms),
    held after the step of the spike; under its conventions spikesim does the same. PyNN's
    conventions keep the value as given. ``get("tau_refrac")`` returns the value given."""
    if not state.spynnaker:
        return tau_refrac
    dt = state.dt
    value = np.asarray(tau_refrac, dtype=np.float64)
    steps = np.ceil(value / dt - 1e-9)
    return steps * dt if value.ndim else float(steps * dt)


def _selector(selector, size: int):
    """PyNN's PopulationView selectors (slice, integer array, boolean mask) from what
    sPyNNaker scripts also pass: ``range``, lists, tuples and single integers."""
    if isinstance(selector, slice) or isinstance(selector, np.ndarray):
        return selector
    if isinstance(selector, range):
        return np.arange(size)[slice(selector.start, selector.stop, selector.step)] \
            if selector.step != 0 else selector
    if isinstance(selector, (int, np.integer)):
        return np.array([int(selector)])
    if isinstance(selector, (list, tuple)):
        a = np.asarray(selector)
        if a.dtype == object or a.ndim != 1 or not (a.dtype.kind in "iub" or a.size == 0):
            raise errors.InvalidParameterValueError(
                f"PopulationView selector must be indices or a boolean mask, got {selector!r}")
        return a.astype(bool) if a.dtype.kind == "b" else a.astype(np.int64)
    return selector
