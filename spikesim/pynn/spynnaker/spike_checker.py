"""Checks of synfire-chain spike tables that sPyNNaker's tests use
(``spynnaker.spike_checker``). Tables are rows ``[neuron index, time]``."""
from __future__ import annotations

import numpy as np


def synfire_spike_checker(spikes, n_neurons):
    """One wave travelling round a ring of ``n_neurons``: in time order, neuron 0, 1, ...,
    n-1, 0, ... Raises ``ValueError`` at the first spike out of order. A list of tables is
    checked table by table."""
    if not isinstance(spikes, np.ndarray):
        for table in spikes:
            synfire_spike_checker(table, n_neurons)
        return
    expect = 0
    for index, time in spikes[np.argsort(spikes[:, 1], kind="stable")]:
        if round(index) != expect:
            raise ValueError(f"synfire: neuron {int(round(index))} spiked at {time} ms, "
                             f"expected neuron {expect}")
        expect = (expect + 1) % n_neurons


def synfire_multiple_lines_spike_checker(spikes, n_neurons, lines, wrap_around=True):
    """``lines`` waves travelling along a chain of ``n_neurons`` at once: each spike must
    continue one of them (in time order), and every wave must have moved. With
    ``wrap_around=False`` a wave stops at the last neuron."""
    heads = [0] * lines
    moved = [False] * lines
    for index, time in spikes[np.argsort(spikes[:, 1], kind="stable")]:
        node = round(index)
        for k in range(lines):
            if heads[k] == node:
                heads[k] += 1
                if wrap_around and heads[k] >= n_neurons:
                    heads[k] = 0
                moved[k] = True
                break
        else:
            raise ValueError(f"synfire: neuron {node} spiked at {time} ms, continuing none of "
                             f"the {lines} waves")
    if not all(moved):
        raise ValueError(f"synfire: expected {lines} waves, {sum(moved)} moved")
