"""The per-neuron simulation state of a network: one row per state variable."""
from __future__ import annotations

import numpy as np


class State:
    """Global per-neuron state (all populations, in order of creation).

    ``S`` holds one row per state variable, ``(n_rows, N)``: a population of a
    model with ``k`` state variables uses rows ``0..k-1`` of its columns, in
    the order of the model's ``STATE`` (``v`` is always row 0); the network
    has as many rows as its largest model needs (at least 3). ``S0`` (float64)
    holds the initial values :meth:`Network.reset_state` returns to.
    """

    MIN_ROWS = 3

    def __init__(self, dtype) -> None:
        self.S = np.zeros((self.MIN_ROWS, 0), dtype)
        self.S0 = np.zeros((self.MIN_ROWS, 0))
        self.ref = np.zeros(0, np.int16)

    @property
    def v(self) -> np.ndarray:
        """Membrane potentials of every neuron (row 0 of ``S``; a live view)."""
        return self.S[0]

    @property
    def v0(self) -> np.ndarray:
        return self.S0[0]

    def grow(self, init: np.ndarray) -> None:
        """Append neurons whose initial state rows are ``init`` (float64, ``(k, n)``)."""
        rows = max(self.S.shape[0], init.shape[0])
        n_old, n_new = self.S.shape[1], init.shape[1]
        S = np.zeros((rows, n_old + n_new), self.S.dtype)
        S0 = np.zeros((rows, n_old + n_new))
        S[:self.S.shape[0], :n_old] = self.S
        S0[:self.S0.shape[0], :n_old] = self.S0
        S0[:init.shape[0], n_old:] = init
        S[:, n_old:] = S0[:, n_old:]
        self.S, self.S0 = S, S0
        self.ref = np.concatenate([self.ref, np.zeros(n_new, np.int16)])
