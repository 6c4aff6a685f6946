"""Quick matplotlib views of sPyNNaker's numpy tables (``spynnaker.plot_utils``): spike
rasters of ``[index, time]`` rows and heat maps of ``[index, time, value]`` rows."""
from __future__ import annotations

import numpy as np


def plot_spikes(spikes, title="spikes"):
    """Raster of one ``[index, time]`` table or of a list of them (one colour each)."""
    import matplotlib.pyplot as plt

    tables = spikes if isinstance(spikes, (list, tuple)) else [spikes]
    plt.figure()
    for table in tables:
        table = np.asarray(table)
        if table.size:
            plt.plot(table[:, 1], table[:, 0], ".", markersize=2)
    plt.xlabel("time (ms)")
    plt.ylabel("neuron")
    plt.title(title)
    plt.show()


def heat_plot(data, title=None):
    """Neurons by time image of an ``[index, time, value]`` table."""
    import matplotlib.pyplot as plt

    data = np.asarray(data)
    if data.size == 0:
        return
    ids, rows = np.unique(data[:, 0], return_inverse=True)
    times, cols = np.unique(data[:, 1], return_inverse=True)
    image = np.full((len(ids), len(times)), np.nan)
    image[rows, cols] = data[:, 2]
    plt.figure()
    plt.imshow(image, aspect="auto", origin="lower",
               extent=(times[0], times[-1], ids[0], ids[-1]))
    plt.colorbar()
    plt.xlabel("time (ms)")
    plt.ylabel("neuron")
    if title:
        plt.title(title)
    plt.show()


def line_plot(data, title=None):
    """One line per neuron of an ``[index, time, value]`` table."""
    import matplotlib.pyplot as plt

    data = np.asarray(data)
    plt.figure()
    for i in np.unique(data[:, 0]):
        sel = data[:, 0] == i
        plt.plot(data[sel, 1], data[sel, 2])
    if title:
        plt.title(title)
    plt.show()
