"""neo data as sPyNNaker's numpy tables (``spynnaker.pyNN.utilities.neo_convertor``).

Tables: spikes are rows ``[neuron index, time ms]``; a state variable is rows
``[neuron index, time ms, value]``, all samples of the first recorded neuron, then the
next. ``run`` is the segment (0 = the first run, before any ``reset``).
"""
from __future__ import annotations

import numpy as np
import quantities as pq


def _channels(signal):
    names = signal.annotations.get("channel_names")
    if names is None:
        names = signal.array_annotations.get("channel_index", np.arange(signal.shape[1]))
    return np.asarray(names)


def convert_analog_signal(signal_array, time_unit=pq.ms):
    """One neo AnalogSignal as ``[index, time, value]`` rows, neuron by neuron."""
    ids = _channels(signal_array)
    times = np.asarray(signal_array.times.rescale(time_unit).magnitude)
    values = np.asarray(signal_array.magnitude)
    return np.column_stack((np.repeat(ids, len(times)), np.tile(times, len(ids)),
                            values.T.reshape(-1)))


def _segment(data, run):
    if len(data.segments) <= run:
        raise ValueError(f"the data hold {len(data.segments)} segments, so there is no run "
                         f"{run} (runs count from 0)")
    return data.segments[run]


def convert_spiketrains(spiketrains):
    """Spike trains as ``[index, time]`` rows, train by train."""
    if len(spiketrains) == 0:
        return np.empty((0, 2))
    ids = np.concatenate([np.full(len(st), st.annotations["source_index"])
                          for st in spiketrains])
    times = np.concatenate([np.asarray(st.magnitude, dtype=float) for st in spiketrains])
    return np.column_stack((ids, times))


def convert_spikes(neo, run=0):
    """The spikes of run ``run`` as ``[index, time]`` rows."""
    return convert_spiketrains(_segment(neo, run).spiketrains)


def convert_data(data, name, run=0):
    """Variable ``name`` ("spikes" or a state variable) of run ``run`` as a table."""
    if name == "all":
        raise ValueError("convert_data: one variable at a time ('all' mixes spikes and "
                         "signals)")
    if name == "spikes":
        return convert_spikes(data, run)
    return convert_analog_signal(_segment(data, run).filter(name=name)[0])


def convert_data_list(data, name, runs=None):
    """:func:`convert_data` for each run in ``runs`` (default: all of them)."""
    runs = range(len(data.segments)) if runs is None else runs
    return [convert_data(data, name, run=r) for r in runs]


def convert_v_list(data, runs=None):
    return convert_data_list(data, "v", runs=runs)


def convert_gsyn_exc_list(data, runs=None):
    return convert_data_list(data, "gsyn_exc", runs=runs)


def convert_gsyn_inh_list(data, runs=None):
    return convert_data_list(data, "gsyn_inh", runs=runs)


def convert_gsyn(gsyn_exc, gsyn_inh):
    """``[index, time, gsyn_exc, gsyn_inh]`` rows from the first segments of two blocks."""
    exc = gsyn_exc.segments[0].filter(name="gsyn_exc")[0]
    inh = gsyn_inh.segments[0].filter(name="gsyn_inh")[0]
    a, b = convert_analog_signal(exc), convert_analog_signal(inh)
    if a.shape != b.shape or not np.allclose(a[:, :2], b[:, :2]):
        raise ValueError("convert_gsyn: gsyn_exc and gsyn_inh have different neurons or times")
    return np.column_stack((a, b[:, 2]))


def count_spiketrains(spiketrains):
    """Total number of spikes in the trains."""
    return int(sum(len(st) for st in spiketrains))


def count_spikes(neo):
    """Number of spikes in the first segment."""
    return count_spiketrains(neo.segments[0].spiketrains)
