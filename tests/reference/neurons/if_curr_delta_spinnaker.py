"""Twin of IFCurrDeltaSpiNNaker: sPyNNaker's delta input (input_type_delta.h: the tick's weights
over h as a held current) into the LIF tick, whole arrays."""
import numpy as np

from .if_curr_exp_spinnaker import tick


def step(rows, ref, inputs, c):
    v = rows[0]
    current = (inputs[0] + inputs[1]) * np.asarray(c["inv_h"])  # the tick's charge over h
    vn, ref, spike = tick(v, ref, current, c)
    return [vn, inputs[0].copy(), inputs[1].copy()], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 2, n), rng.uniform(-2, 2, n)]
