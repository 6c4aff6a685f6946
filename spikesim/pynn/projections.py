"""Projection of the spikesim PyNN backend.

PyNN's own connectors decide the connections: ``connector.connect(self)`` calls
:meth:`Projection._convergent_connect` once per target neuron (as in every PyNN
backend), so the same connector with the same ``NumpyRNG`` seed gives exactly the
connections ``pyNN.nest`` gives. The collected lists become one spikesim CSR
projection per pair of (pre, post) populations (several when an Assembly is
involved). Connection ``c`` of this projection is synapse ``pos[c]`` of spikesim
projection ``part[c]``; ``get``/``set`` read and write the spikesim arrays.
"""
from __future__ import annotations

import warnings

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace
from pyNN.random import RandomDistribution
from pyNN.space import Space

from spikesim.projection import delays_to_steps

from . import simulator
from .simulator import state
from .native_connect import native_connections
from .standardmodels import StaticSynapse, STDPMechanism, _DynamicSynapse


class Connection(common.Connection):
    """One connection of a projection: ``weight``, ``delay`` and the plasticity parameters."""

    def __init__(self, projection, index):
        self.projection = projection
        self.index = index

    @property
    def presynaptic_index(self):
        return int(self.projection._pre_idx[self.index])

    @property
    def postsynaptic_index(self):
        return int(self.projection._post_idx[self.index])

    def __getattr__(self, name):
        if name in ("weight", "delay") or name in self.projection._static_params:
            return self.projection._values(name)[self.index]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name in ("projection", "index"):
            object.__setattr__(self, name, value)
            return
        prj = self.projection
        values = prj._values(name).copy()
        values[self.index] = value
        prj._set_attributes(ParameterSpace({name: values}, shape=(len(prj),)))

    def as_tuple(self, *attribute_names):
        return tuple(getattr(self, name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(), label=None):
        if source is not None:
            raise NotImplementedError("Projection(source=...) is not available in spikesim")
        # sPyNNaker's Neuromodulation targets "reward" / "punishment", which are no receptor
        # of the cell: PyNN checks the projection as excitatory (spikesim.neuromodulation)
        dopamine = receptor_type in ("reward", "punishment") and hasattr(
            synapse_type, "spikesim_neuromodulation")
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source,
                                   "excitatory" if dopamine else receptor_type, space, label)
        if dopamine:
            self.receptor_type = receptor_type
        if not isinstance(self.synapse_type, (StaticSynapse, STDPMechanism, _DynamicSynapse)):
            raise NotImplementedError(f"synapse type {type(self.synapse_type).__name__} is not "
                                      "available in spikesim (StaticSynapse, STDPMechanism, "
                                      "TsodyksMarkramSynapse, SimpleStochasticSynapse are)")
        if getattr(self.synapse_type, "rewiring_rule", None) is not None and \
                getattr(self, "_rewiring_rule", None) is None:
            raise NotImplementedError(f"{type(self.synapse_type).__name__} (synaptic rewiring) "
                                      "needs spikesim.pynn.spynnaker's Projection")
        self._dynamic = (self.synapse_type.dynamic_parameters()
                         if isinstance(self.synapse_type, _DynamicSynapse) else ())
        self._chunks = {"pre": [], "post": [], "weight": [], "delay": [],
                        **{name: [] for name in self._dynamic}}
        self._static_params = {}
        native = native_connections(self, connector) if state.connectors == "native" else None
        if native is None:
            connector.connect(self)  # PyNN's own machinery, one call per target neuron
        else:
            self._take_native(native, connector)
        self._build()
        state.projections.append(self)

    # ---------------------------------------------------------------- connecting
    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("location_selector (multicompartment) is not available in "
                                      "spikesim")
        pre = np.atleast_1d(np.asarray(presynaptic_indices, dtype=np.int64))
        n = pre.shape[0]
        self._chunks["pre"].append(pre)
        self._chunks["post"].append(np.full(n, int(postsynaptic_index), np.int64))
        for name in ("weight", "delay") + self._dynamic:
            v = np.asarray(connection_parameters.pop(name), dtype=np.float64)
            self._chunks[name].append(np.broadcast_to(v, (n,)) if v.ndim == 0 else v.ravel())
        connection_parameters.pop("dendritic_delay_fraction", None)
        for name, value in connection_parameters.items():
            v = np.unique(np.asarray(value, dtype=np.float64))
            old = self._static_params.get(name)
            if v.size > 1 or (old is not None and v.size and v[0] != old):
                raise NotImplementedError(f"STDP parameter {name} must be the same for every "
                                          "connection of a projection in spikesim")
            if v.size:
                self._static_params[name] = float(v[0])

    def _take_native(self, native: dict, connector) -> None:
        """Connections drawn by :func:`.native_connect.native_connections`."""
        if getattr(connector, "safe", True):
            syn = self.synapse_type
            for name, check in getattr(syn, "parameter_checks", {}).items():
                if name in native:
                    check(native[name], self)
        self._csr = native["csr"]
        for name in ("weight", "delay") + self._dynamic:
            self._chunks[name].append(native[name])
        self._static_params.update(native["static"])

    # connection i joins _pre_idx[i] and _post_idx[i]; computed from the stored synapses on
    # first use when the projection is one part in connection order (_idx is None)
    def _indices(self) -> tuple:
        if self._idx is None:
            p = self._parts[0]
            self._idx = (np.repeat(np.arange(p.pre.size, dtype=np.int64), np.diff(p.indptr)),
                         p.post.astype(np.int64))
        return self._idx

    @property
    def _pre_idx(self):
        return self._indices()[0]

    @_pre_idx.setter
    def _pre_idx(self, value):
        self._idx = (value, None if self._idx is None else self._idx[1])
        self._m = value.shape[0]

    @property
    def _post_idx(self):
        return self._indices()[1]

    @_post_idx.setter
    def _post_idx(self, value):
        self._idx = (self._idx[0], value)

    def _native_weights(self, w: np.ndarray) -> np.ndarray:
        """PyNN weights -> signed spikesim weights (sPyNNaker: the receptor gives the sign)."""
        if state.inhibitory_weights == "spynnaker":
            if self.receptor_type == "inhibitory" and not self.post.conductance_based:
                return -np.abs(w)
            return np.abs(w)
        return w

    def _user_weights(self, w: np.ndarray) -> np.ndarray:
        return np.abs(w) if state.inhibitory_weights == "spynnaker" else w

    def _build(self):
        cat = {k: (v[0] if len(v) == 1 else np.concatenate(v) if v else  # native: one chunk
                   np.zeros(0, np.int64 if k in ("pre", "post") else np.float64))
               for k, v in self._chunks.items()}
        del self._chunks
        csr = getattr(self, "_csr", None)
        self._csr = None
        if csr is None:
            self._idx = (cat["pre"], cat["post"])
        else:  # native: CSR, expanded to index arrays only for views/assemblies (below)
            self._idx = None if csr[1].shape[0] else (np.zeros(0, np.int64),) * 2
        m = cat["pre"].shape[0] if csr is None else csr[1].shape[0]
        self._m = m
        if csr is None and m and (cat["pre"].min() < 0 or cat["pre"].max() >= self.pre.size):
            raise errors.ConnectionError("presynaptic index out of range")
        weight = self._native_weights(cat["weight"])
        delay = cat["delay"]
        drawn = isinstance(getattr(self.synapse_type.native_parameters["delay"], "base_value",
                                   None), RandomDistribution)
        if getattr(state, "spynnaker", False) and drawn and delay.size and delay.min() < state.dt:
            # sPyNNaker clips drawn delays below its minimum (one time step) up to it and counts
            # them (AbstractConnector._clip_delays); PyNN's rule refuses them, and so does
            # spikesim for delays given as numbers (bad input)
            short = delay < state.dt
            warnings.warn(f"{int(short.sum())} delays of {self.label!r} below one time step "
                          f"({state.dt} ms) set to it, as sPyNNaker does", stacklevel=3)
            delay = np.where(short, state.dt, delay)
        try:
            steps = delays_to_steps(delay, state.dt).astype(np.uint16)
        except ValueError as exc:
            raise errors.ConnectionError(f"{exc} (delay)") from None
        if self._dynamic:
            synapse = None  # one per part, below, with its connections' parameters
        elif isinstance(self.synapse_type, STDPMechanism):
            synapse = self.synapse_type.to_spikesim(self._static_params, self.receptor_type,
                                                    self.post.celltype if hasattr(self.post, "celltype")
                                                    else self.post.populations[0].celltype)
        else:  # static, or the dopamine of sPyNNaker's Neuromodulation
            synapse = getattr(self.synapse_type, "spikesim_neuromodulation", lambda: None)()
        self._parts = []
        whole = [isinstance(x, common.Population) and hasattr(x, "_ss")
                 for x in (self.pre, self.post)]
        if m == 0:
            pairs = []
        elif csr is not None and all(whole):  # stored as drawn: CSR in connection order
            pairs = [(csr, self.pre, self.post, None, csr[1])]
        elif all(whole):  # two whole populations: the indices are the local ones
            pairs = [(None, self.pre, self.post, self._pre_idx, self._post_idx)]
        else:  # views or assemblies: IDs as integers (one conversion per neuron), then located
            if csr is not None:
                self._idx = (np.repeat(np.arange(self.pre.size, dtype=np.int64),
                                       np.diff(csr[0])), csr[1].astype(np.int64))
            pre_k, pre_local = state.locate(
                np.asarray(self.pre.all_cells, np.int64)[self._pre_idx])
            post_k, post_local = state.locate(
                np.asarray(self.post.all_cells, np.int64)[self._post_idx])
            pair = pre_k * (len(state.populations) + 1) + post_k
            pairs = []
            for key in np.unique(pair):
                sel = np.flatnonzero(pair == key)
                pairs.append((sel, state.populations[int(pre_k[sel[0]])],
                              state.populations[int(post_k[sel[0]])], pre_local[sel],
                              post_local[sel]))
        # connection i is synapse _pos[i] of part _part[i]; None: one part, in connection order
        self._part = self._pos = None
        for sel, ppop, qpop, a, b in pairs:
            if isinstance(sel, tuple):  # native CSR
                indptr, order, sel = sel[0], slice(None), slice(None)
            elif sel is None and (a.size < 2 or np.all(np.diff(a * (qpop.size + 1) + b) >= 0)):
                order = sel = slice(None)  # already by source, then target
                indptr = None
            else:
                if sel is None:
                    sel = np.arange(m)
                order = np.lexsort((b, a))  # CSR: by source, then target (stable)
                if self._part is None:
                    self._part, self._pos = np.zeros(m, np.int64), np.zeros(m, np.int64)
                self._part[sel[order]] = len(self._parts)
                self._pos[sel[order]] = np.arange(sel.shape[0])
                indptr = None
            if indptr is None:
                indptr = np.zeros(ppop.size + 1, np.int64)
                np.cumsum(np.bincount(a, minlength=ppop.size), out=indptr[1:])
            part_synapse = synapse
            if self._dynamic:
                try:
                    part_synapse = self.synapse_type._ss_dynamic(
                        **{name: cat[name][sel][order] for name in self._dynamic})
                except ValueError as exc:
                    raise errors.InvalidParameterValueError(str(exc)) from None
            try:
                receptor = getattr(qpop.celltype, "ss_receptor", str)(self.receptor_type)
                ssproj = state.net._restore_projection(
                    ppop._ss, qpop._ss, receptor, str(self.label), indptr,
                    b[order].astype(np.int32, copy=False), weight[sel][order], steps[sel][order],
                    part_synapse, weights_outside_bounds=True)
            except ValueError as exc:
                raise errors.ConnectionError(str(exc)) from None
            self._parts.append(ssproj)

    def _where(self, k: int) -> tuple:
        """``(connections, their synapse positions)`` of part ``k`` (indices or slices)."""
        if self._part is None:
            return slice(None), slice(None)
        sel = self._part == k
        return sel, self._pos[sel]

    # ---------------------------------------------------------------- access
    def __len__(self):
        return int(self._m)

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            if not -len(self) <= i < len(self):
                raise IndexError(f"connection {i} out of range for {len(self)} connections")
            return Connection(self, int(i) % len(self))
        if isinstance(i, slice):
            return [Connection(self, j) for j in range(*i.indices(len(self)))]
        raise TypeError(f"connection index must be an int or a slice, got {i!r}")

    @property
    def connections(self):
        return (Connection(self, i) for i in range(len(self)))

    def _values(self, name: str) -> np.ndarray:
        """Current values of ``name`` for every connection, in connection order."""
        m = len(self)
        if name in self._static_params:
            return np.full(m, self._static_params[name])
        out = np.zeros(m)
        for k, ssproj in enumerate(self._parts):
            sel, pos = self._where(k)
            if name == "weight":
                out[sel] = np.asarray(ssproj.weight, np.float64)[pos]
            elif name == "delay":
                out[sel] = ssproj.get_delays()[pos]
            elif name in self._dynamic:
                out[sel] = ssproj.get_dynamics(name)[pos]
            else:
                raise errors.NonExistentParameterError(name, type(self.synapse_type).__name__,
                                                       self.synapse_type.get_parameter_names())
        if name == "weight":
            out = self._user_weights(out)
        return out

    def _get_attributes_as_list(self, names):
        cols = []
        for name in names:
            if name == "presynaptic_index":
                cols.append(self._pre_idx.astype(float))
            elif name == "postsynaptic_index":
                cols.append(self._post_idx.astype(float))
            else:
                cols.append(self._values(name))
        return [tuple(row) for row in np.column_stack(cols).tolist()] if cols else []

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        op = common.Projection.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        key = self._pre_idx * self.post.size + self._post_idx
        unique = np.unique(key).shape[0] == key.shape[0]
        out = []
        for name in names:
            if name in ("weights", "delays"):  # PyNN's old plural names
                name = name[:-1]
            values = self._values(name)
            arr = np.full((self.pre.size, self.post.size), np.nan)
            if unique:
                arr[self._pre_idx, self._post_idx] = values
            else:
                for i, j, v in zip(self._pre_idx, self._post_idx, values):
                    arr[i, j] = v if np.isnan(arr[i, j]) else op(arr[i, j], v)
            out.append(arr)
        return out

    def _set_attributes(self, parameter_space):
        parameter_space.evaluate(simplify=True)
        for name, value in parameter_space.items():
            value = np.asarray(value, dtype=np.float64)
            if value.ndim == 2:
                vals = value[self._pre_idx, self._post_idx]
            else:
                vals = np.broadcast_to(value, (len(self),)).astype(np.float64)
            if np.isnan(vals).any():
                raise errors.InvalidParameterValueError(f"{name}: a value is missing (NaN) for an "
                                                        "existing connection")
            if name == "weight":
                self._set_weights(vals)
            elif name == "delay":
                self._set_delays(vals)
            elif name in self._dynamic:
                for k, ssproj in enumerate(self._parts):
                    sel, pos = self._where(k)
                    new = ssproj.get_dynamics(name)
                    new[pos] = vals[sel]
                    try:
                        ssproj.set_dynamics(name, new)
                    except ValueError as exc:
                        raise errors.InvalidParameterValueError(str(exc)) from None
            elif name in self._static_params:
                if not np.all(vals == self._static_params[name]):
                    raise NotImplementedError(f"changing the STDP parameter {name} of an existing "
                                              "projection is not available in spikesim")
            else:
                raise errors.NonExistentParameterError(name, type(self.synapse_type).__name__,
                                                       self.synapse_type.get_parameter_names())

    def _set_weights(self, vals: np.ndarray) -> None:
        if hasattr(self.synapse_type, "parameter_checks") and self.synapse_type.parameter_checks:
            self.synapse_type.parameter_checks["weight"](vals, self)
        native = self._native_weights(vals)
        for k, ssproj in enumerate(self._parts):
            sel, pos = self._where(k)
            new = np.empty(ssproj.n_synapses)
            new[pos] = native[sel]
            try:
                ssproj.set_weights(new)
            except ValueError as exc:
                raise errors.InvalidParameterValueError(f"{exc} (weight)") from None

    def _set_delays(self, vals: np.ndarray) -> None:
        from spikesim.projection import _compress

        try:
            steps = delays_to_steps(vals, state.dt).astype(np.uint16)
        except ValueError as exc:
            raise errors.InvalidParameterValueError(f"{exc} (delay)") from None
        for k, ssproj in enumerate(self._parts):
            sel, pos = self._where(k)
            new = np.empty(ssproj.n_synapses, np.uint16)
            new[pos] = steps[sel]
            if ssproj.plastic:
                if not np.array_equal(new, ssproj.delay):
                    raise NotImplementedError("changing the delays of a plastic projection is not "
                                              "available in spikesim")
                continue
            ssproj._delay = _compress(new)  # no public Projection.set_delays in spikesim yet
        state.net._runtime.invalidate()
