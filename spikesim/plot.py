"""Plots of recorded data (matplotlib): spike rasters and state traces."""
from __future__ import annotations

from .recording import Recorder


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 4))
    return ax


def raster(recorders, ax=None, max_neurons: int | None = 500, colors=None, markersize: float = 1.0):
    """Spike raster of one or several spike recorders, stacked by population.

    Parameters
    ----------
    recorders : Recorder or list of Recorder
        Recorders that record ``"spikes"``.
    ax : matplotlib Axes, optional
    max_neurons : int, optional
        Show at most this many neurons per population (the first ones).
    colors : list of str, optional

    Returns
    -------
    matplotlib Axes
    """
    if isinstance(recorders, Recorder):
        recorders = [recorders]
    ax = _axes(ax)
    offset = 0
    ticks, labels = [], []
    for k, rec in enumerate(recorders):
        s = rec.get("spikes")
        n = rec.population.size if max_neurons is None else min(max_neurons, rec.population.size)
        keep = s.senders < n
        color = None if colors is None else colors[k % len(colors)]
        ax.plot(s.times[keep], s.senders[keep] + offset, "|" if markersize > 2 else ".",
                ms=markersize, color=color, rasterized=True)
        ticks.append(offset + n / 2)
        labels.append(rec.population.label)
        offset += n
    ax.set_yticks(ticks, labels)
    ax.set_xlabel("time (ms)")
    ax.set_ylim(-0.5, max(offset, 1) - 0.5)
    return ax


def traces(recorder: Recorder, variable: str = "v", ax=None, max_traces: int = 10):
    """Plot recorded state traces (e.g. membrane potential, mV) against time (ms).

    Parameters
    ----------
    recorder : Recorder
        A recorder of ``variable``.
    variable : str
        ``"v"``, ``"isyn_exc"``, ``"gsyn_inh"``, ...
    max_traces : int
        Plot at most this many neurons.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    tr = recorder.get(variable)
    k = min(max_traces, tr.values.shape[1])
    for c in range(k):
        ax.plot(tr.times, tr.values[:, c], lw=0.8, label=f"{recorder.population.label}[{tr.indices[c]}]")
    unit = {"v": "mV", "isyn_exc": "nA", "isyn_inh": "nA", "gsyn_exc": "uS", "gsyn_inh": "uS"}
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"{variable} ({unit.get(variable, '')})")
    if k <= 10:
        ax.legend(fontsize="small", loc="best")
    return ax


def rate(recorder: Recorder, bin_ms: float = 5.0, ax=None):
    """Population rate (Hz) of a ``"rate"`` recorder in bins of ``bin_ms`` ms."""
    ax = _axes(ax)
    t, r = recorder.get("rate").binned(bin_ms)
    ax.step(t, r, where="post")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    return ax


__all__ = ["raster", "traces", "rate"]
