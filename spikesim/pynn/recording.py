"""Recording for the spikesim PyNN backend, on PyNN's own Recorder (neo output).

Each ``record()`` call adds spikesim recorders (:meth:`spikesim.Network.record`)
for the newly recorded cells. A PyNN segment is the part of their data since the
last ``reset()`` (or ``get_data(clear=True)``). State variables are sampled as in
NEST: the value at the start of the segment (taken when ``run`` starts), then one
sample at the end of every ``sampling_interval``.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from pyNN import recording

from . import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        self._parts = defaultdict(list)   # variable name -> [_Part]
        super().__init__(population, file)
        st = simulator.state
        if st.spynnaker and st.segment_counter > 0:
            # sPyNNaker: a population made after reset() has an (empty) segment for every
            # earlier run, so that segment k is the k-th run for every population
            import neo

            for k in range(st.segment_counter):
                self.cache.store(neo.Segment(name="segment%03d" % k))

    def get(self, variables, gather=False, filter_ids=None, clear=False, annotations=None,
            locations=None):
        """PyNN's ``Recorder.get`` (a neo ``Block``: the segments of earlier runs, then the
        current one), with the earlier segments filtered into new ``Segment`` objects.

        PyNN 0.13's own filter compares signal names with ``Variable`` objects, so
        ``get_data("v")`` after a ``reset()`` returned the earlier segments without their
        ``v`` (and, with neo 0.14, emptied the cached segment too; ``pyNN.nest`` does the
        same). Here every earlier segment keeps the variables asked for.
        """
        import neo

        wanted = "all" if variables == "all" else self._localize_variables(variables, locations)
        data = neo.Block()
        data.segments = [_filtered(seg, wanted) for seg in self.cache]
        if self._simulator.state.running:
            data.segments.append(self._get_current_segment(filter_ids=filter_ids,
                                                           variables=wanted, clear=clear))
        for seg in data.segments:
            seg.block = data
        data.name = self.population.label
        data.description = self.population.describe()
        data.rec_datetime = data.segments[0].rec_datetime if data.segments else None
        data.annotate(**self.metadata)
        if annotations:
            data.annotate(**annotations)
        if clear:
            self.clear()
        return data

    # ---------------------------------------------------------------- PyNN hooks
    def _record(self, variable, new_ids, sampling_interval=None):
        if variable.location is not None:
            raise NotImplementedError("recording at a location is not available in spikesim")
        new_ids = sorted(int(i) for i in new_ids)
        if not new_ids:
            return
        net = simulator.state.net
        pop = self.population
        idx = pop.id_to_index(np.array(new_ids))
        if variable.name == "spikes":
            rec = net.record(pop._ss[idx], "spikes")
        else:
            if sampling_interval is not None:
                self.sampling_interval = sampling_interval
            # a PointNeuron's "AMPA.gsyn" is the state row gsyn_<k> of its spikesim model;
            # sPyNNaker's "gsyn_exc" of a current-based cell is its synaptic current
            ss_name = getattr(pop.celltype, "ss_variable", str)(
                spynnaker_alias(pop.celltype, variable.name))
            rec = net.record(pop._ss[idx], ss_name, sampling_interval=self.sampling_interval)
            self._parts[variable.name].append(_Part(rec, np.asarray(new_ids, np.int64), ss_name))
            return
        self._parts[variable.name].append(_Part(rec, np.asarray(new_ids, np.int64), "spikes"))

    def _get_spiketimes(self, ids, clear=False):
        want = np.asarray([int(i) for i in ids], np.int64)
        id_parts, t_parts = [], []
        for part in self._parts["spikes"]:
            times, senders = part.spikes()
            gids = self.population.all_cells.astype(np.int64)[senders]
            keep = np.isin(gids, want)
            id_parts.append(gids[keep])
            t_parts.append(times[keep])
        id_array = np.concatenate(id_parts) if id_parts else np.zeros(0, np.int64)
        times = np.concatenate(t_parts) if t_parts else np.zeros(0)
        times = np.array(times, dtype=np.float64)
        if simulator.state.spynnaker:
            # sPyNNaker stamps a spike at the start of its tick, spikesim at the end
            times -= simulator.state.dt
        return id_array, times  # clear: Recorder.get calls clear()

    def _get_all_signals(self, variable, ids, clear=False):
        ids = [int(i) for i in ids]
        if not ids:
            return np.array([]), None
        columns = {}
        st = simulator.state
        # sPyNNaker records a tick's synaptic input at the start of that tick: the state of
        # a SpiNNaker-style model after the tick (TICK_VALUES), one sample later than v
        tick_aligned = st.spynnaker and abs(self.sampling_interval - st.dt) < 1e-9 * st.dt
        for part in self._parts[variable.name]:
            values = part.samples(skip_first=tick_aligned and part.tick_value())
            for k, gid in enumerate(part.ids):
                columns[int(gid)] = values[:, k]
        n = max((columns[i].shape[0] for i in ids if i in columns), default=0)
        out = np.full((n, len(ids)), np.nan)
        for j, gid in enumerate(ids):
            col = columns.get(gid)
            if col is not None and col.shape[0]:
                out[n - col.shape[0]:, j] = col
        if st.spynnaker and n:
            # sPyNNaker samples at the start of each recorded step: a run of T ms gives
            # T / interval samples (t = 0 ... T - interval), not the state at T as well
            keep = int(np.ceil((st.t - st.t_start) / self.sampling_interval - 1e-9))
            out = out[:max(keep, 0)]
        return out, None

    def _local_count(self, variable, filter_ids=None):
        counts = {int(i): 0 for i in self.filter_recorded(variable, filter_ids)}
        for part in self._parts["spikes"]:
            _, senders = part.spikes()
            gids = self.population.all_cells.astype(np.int64)[senders]
            uniq, n = np.unique(gids, return_counts=True)
            for g, c in zip(uniq, n):
                if int(g) in counts:
                    counts[int(g)] = int(c)
        return counts

    def _clear_simulator(self):
        """Forget the data so far; a new stretch starts now, from the current values."""
        for parts in self._parts.values():
            for part in parts:
                part.restart(take_snapshot=True)

    def _reset(self):
        """``record(None)``: stop recording every variable of this population."""
        net = simulator.state.net
        for parts in self._parts.values():
            for part in parts:
                if part.rec in net.recorders:
                    net.recorders.remove(part.rec)
        net._runtime.invalidate()
        self._parts.clear()

    # ---------------------------------------------------------------- backend hooks
    def _before_run(self):
        for parts in self._parts.values():
            for part in parts:
                part.snapshot_if_needed()

    def _new_segment(self):
        for parts in self._parts.values():
            for part in parts:
                part.restart(take_snapshot=False)


def _filtered(segment, wanted):
    """``segment`` itself (``wanted == "all"``) or a new segment with only the variables in
    ``wanted`` (PyNN ``Variable`` objects); the cached segment is not changed."""
    import neo

    if wanted == "all":
        return segment
    names = {v.name for v in wanted}
    new = neo.Segment(name=segment.name, description=segment.description,
                      rec_datetime=segment.rec_datetime, **segment.annotations)
    new.spiketrains = list(segment.spiketrains) if "spikes" in names else []
    new.analogsignals = [sig for sig in segment.analogsignals if sig.name in names]
    return new


def spynnaker_alias(celltype, name: str) -> str:
    """sPyNNaker names the synaptic input of every cell ``gsyn_exc`` / ``gsyn_inh``; for a
    current-based cell (spikesim: ``isyn_exc`` / ``isyn_inh``) that is its synaptic
    current. Under sPyNNaker's conventions the one name is read as the other."""
    if simulator.state.spynnaker and name in ("gsyn_exc", "gsyn_inh") \
            and name not in celltype.recordable and "i" + name[1:] in celltype.recordable:
        return "i" + name[1:]
    return name


class _Part:
    """One spikesim recorder and the part of its data in the current segment."""

    def __init__(self, rec, ids: np.ndarray, variable: str):
        self.rec, self.ids, self.variable = rec, ids, variable
        self.offset = 0
        self.first = None  # state values at the start of the segment

    def _length(self) -> int:
        data = self.rec.get(self.variable)
        return len(data.times)

    def restart(self, take_snapshot: bool) -> None:
        self.offset = self._length()
        self.first = None
        if take_snapshot:
            self.snapshot_if_needed()

    def snapshot_if_needed(self) -> None:
        if self.variable == "spikes" or self.first is not None:
            return
        pop = self.rec.population
        self.first = np.array(pop._state(self.variable)[self.rec.indices], dtype=np.float64)

    def spikes(self):
        data = self.rec.get("spikes")
        return (np.asarray(data.times[self.offset:], np.float64),
                np.asarray(data.senders[self.offset:], np.int64))

    def tick_value(self) -> bool:
        """The variable holds the value of the last step, not of its end (``TICK_VALUES``)."""
        model = getattr(self.rec.population.celltype, "model", None)
        return self.variable in getattr(model, "TICK_VALUES", ())

    def samples(self, skip_first: bool = False) -> np.ndarray:
        """The segment's samples, after the values at its start unless ``skip_first``."""
        trace = self.rec.get(self.variable)
        values = np.asarray(trace.values[self.offset:], dtype=np.float64)
        if self.first is not None and not skip_first:
            values = np.vstack([self.first[None, :], values])
        return values
