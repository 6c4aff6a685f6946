"""Recorders: spikes, sampled state variables and population rates.

Results come back as numpy arrays. With ``stream_to`` a recorder appends
each chunk of the run to resizable HDF5 datasets and flushes, so memory
stays bounded however long the run, and the file is readable up to the last
flushed chunk.
"""
from __future__ import annotations

import numpy as np

from .population import Population


class _MemoryStore:
    def __init__(self):
        self._parts: dict[str, list] = {}
        self._cache: dict[str, np.ndarray] = {}

    def append(self, name: str, arr: np.ndarray) -> None:
        self._parts.setdefault(name, []).append(np.array(arr))
        self._cache.pop(name, None)

    def read(self, name: str, empty: np.ndarray) -> np.ndarray:
        if name not in self._cache:
            parts = self._parts.get(name)
            self._cache[name] = np.concatenate(parts) if parts else empty
            self._parts[name] = [self._cache[name]] if parts else []
        return self._cache[name]

    def flush(self) -> None:
        pass


def stream_group(files: dict, path: str, label: str, dt: float):
    """A new HDF5 group named after ``label`` in the recording file ``path`` (opened once
    and kept in ``files``; :meth:`Network.close` closes them)."""
    import h5py

    f = files.get(path)
    if f is None:
        f = h5py.File(path, "w")
        f.attrs["format"] = "spikesim-recording"
        f.attrs["version"] = 1
        f.attrs["dt"] = dt
        files[path] = f
    name, k = label, 1
    while name in f:
        name, k = f"{label}_{k}", k + 1
    return f.create_group(name)


class _H5Store:
    def __init__(self, group):
        self.group = group

    def append(self, name: str, arr: np.ndarray) -> None:
        arr = np.asarray(arr)
        if name not in self.group:
            chunk = (max(1, min(65536, 1 << 20 // max(1, arr[0].size if arr.ndim > 1 else 1))),) + arr.shape[1:]
            self.group.create_dataset(name, data=arr, maxshape=(None,) + arr.shape[1:], chunks=chunk)
            return
        ds = self.group[name]
        n = ds.shape[0]
        ds.resize(n + arr.shape[0], axis=0)
        ds[n:] = arr

    def read(self, name: str, empty: np.ndarray) -> np.ndarray:
        return self.group[name][()] if name in self.group else empty

    def flush(self) -> None:
        self.group.file.flush()


class SpikeTrains:
    """Recorded spikes: ``times`` (ms, float64) and ``senders`` (index within the population)."""

    def __init__(self, times: np.ndarray, senders: np.ndarray, n: int) -> None:
        self.times, self.senders, self.n = times, senders, n

    def __len__(self) -> int:
        return int(self.times.shape[0])

    def counts(self) -> np.ndarray:
        """Spike count of every population neuron (length = population size)."""
        return np.bincount(self.senders, minlength=self.n)

    def trains(self) -> list[np.ndarray]:
        """One sorted array of spike times per population neuron."""
        order = np.argsort(self.senders, kind="stable")
        splits = np.cumsum(self.counts())[:-1]
        return np.split(self.times[order], splits)

    def __repr__(self) -> str:
        return f"SpikeTrains({len(self)} spikes)"


class StateTrace:
    """A sampled state variable: ``times`` (ms), ``values`` (n_samples, n_neurons), ``indices``."""

    def __init__(self, name, times, values, indices) -> None:
        self.name, self.times, self.values, self.indices = name, times, values, indices

    def __repr__(self) -> str:
        return f"StateTrace({self.name!r}, {self.values.shape[0]} samples x {self.values.shape[1]} neurons)"


class PopulationRate:
    """Population rate per step: ``times`` (bin starts, ms) and ``values`` (Hz)."""

    def __init__(self, counts: np.ndarray, n: int, dt: float, t0_step: int) -> None:
        self.counts, self.n, self.dt = counts, n, dt
        self.times = (t0_step + np.arange(counts.shape[0])) * dt
        self.values = counts / (n * dt * 1e-3)

    def binned(self, bin_ms: float) -> tuple[np.ndarray, np.ndarray]:
        """Rates (Hz) in bins of ``bin_ms``: returns ``(bin_starts_ms, rates_Hz)``."""
        k = int(round(bin_ms / self.dt))
        if k < 1 or abs(k * self.dt - bin_ms) > 1e-9 * bin_ms:
            raise ValueError(f"bin_ms must be a positive multiple of dt={self.dt}, got {bin_ms!r}")
        m = self.counts.shape[0] // k
        c = self.counts[: m * k].reshape(m, k).sum(1)
        return self.times[: m * k: k], c / (self.n * k * self.dt * 1e-3)


class Recorder:
    """What :meth:`Network.record` returns; holds the recorded data of one target.

    Access data as attributes named after the variables: ``rec.spikes``
    (:class:`SpikeTrains`), ``rec.v`` / ``rec.isyn_exc`` / ... (:class:`StateTrace`),
    ``rec.rate`` (:class:`PopulationRate`).
    """

    def __init__(self, net, target, variables: list[str], every: int, store, start_step: int) -> None:
        self.net = net
        self.population: Population = target.population
        self.indices = np.asarray(target.local_indices, dtype=np.int64)
        self.variables = variables
        self.every = every
        self.start_step = start_step
        self._store = store
        self._mask = np.zeros(self.population.size, bool)
        self._mask[self.indices] = True

    def clear(self) -> None:
        """Forget the data recorded so far and go on recording (memory stays bounded in long
        runs that read and discard their data as they go). A recorder streaming to a file
        keeps its file: ``clear()`` refuses it."""
        if not isinstance(self._store, _MemoryStore):
            raise ValueError(f"clear(): recorder of {self.population.label!r} streams to a file; "
                             "its data stays in the file")
        self._store = _MemoryStore()

    # --- called by the network after each chunk -------------------------------------------
    def _add_spikes(self, steps: np.ndarray, gids: np.ndarray) -> None:
        local = gids - self.population.first
        ok = (local >= 0) & (local < self.population.size)
        ok[ok] = self._mask[local[ok]]
        self._store.append("spikes/steps", steps[ok])
        self._store.append("spikes/senders", local[ok])

    def _add_samples(self, var: str, steps: np.ndarray, block: np.ndarray) -> None:
        self._store.append(f"{var}/steps", steps)
        self._store.append(f"{var}/values", block)

    def _add_counts(self, counts: np.ndarray) -> None:
        self._store.append("rate/counts", counts)

    # --- user access ----------------------------------------------------------------------
    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self.__dict__.get("variables", ()):
            raise AttributeError(f"this recorder has no variable {name!r}; it records "
                                 f"{self.__dict__.get('variables')}")
        return self.get(name)

    def get(self, var: str):
        """The recorded data of ``var`` (see the class docstring)."""
        dt = self.net.dt
        st = self._store
        if var == "spikes":
            steps = st.read("spikes/steps", np.zeros(0, np.int64))
            return SpikeTrains((steps + 1) * dt, st.read("spikes/senders", np.zeros(0, np.int64)),
                               self.population.size)
        if var == "rate":
            return PopulationRate(st.read("rate/counts", np.zeros(0, np.int32)), self.population.size,
                                  dt, self.start_step)
        if var in self.variables:
            steps = st.read(f"{var}/steps", np.zeros(0, np.int64))
            vals = st.read(f"{var}/values", np.zeros((0, self.indices.shape[0])))
            return StateTrace(var, (steps + 1) * dt, vals, self.indices)
        raise KeyError(f"this recorder has no variable {var!r}; it records {self.variables}")

    def __repr__(self) -> str:
        return f"Recorder({self.population.label!r}, {self.variables}, {self.indices.shape[0]} neurons)"


class WeightRecorder:
    """Weights of chosen synapses of a plastic projection over time (:meth:`Network.record_weights`).

    Attributes
    ----------
    synapses : int array
        The recorded synapses (storage order of the projection).
    pre, post : int arrays
        Their source and target neurons (local indices).
    times : float array (n_samples,)
        ms; a sample after step ``t`` has time ``(t + 1) * dt``.
    weights : float array (n_samples, n_synapses)
    """

    def __init__(self, net, projection, synapses: np.ndarray, every: int) -> None:
        self.net = net
        self.projection = projection
        self.synapses = synapses
        self.every = every
        pre, post = projection.connections()
        self.pre, self.post = pre[synapses], post[synapses]
        self._steps: list[np.ndarray] = []
        self._values: list[np.ndarray] = []

    def _add(self, steps: np.ndarray, block: np.ndarray) -> None:
        self._steps.append(steps)
        self._values.append(block)

    @property
    def times(self) -> np.ndarray:
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0, np.int64)
        return (steps + 1) * self.net.dt

    @property
    def weights(self) -> np.ndarray:
        if not self._values:
            return np.zeros((0, self.synapses.shape[0]))
        return np.concatenate(self._values).astype(np.float64)

    def __repr__(self) -> str:
        return (f"WeightRecorder({self.projection.label!r}, {self.synapses.shape[0]} synapses, "
                f"{sum(len(s) for s in self._steps)} samples)")
