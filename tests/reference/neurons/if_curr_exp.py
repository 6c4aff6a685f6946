"""Twin of IF_curr_exp (exact propagators)."""
import numpy as np

from .threshold import spike_and_reset


def step(rows, ref, inputs, c):
    v, ie, ii = rows
    vn = c["p22"] * v + c["p21e"] * ie + c["p21i"] * ii + c["v_const"]
    vn, ref, spike = spike_and_reset(v, vn, ref, c)
    return [vn, c["p11e"] * ie + inputs[0], c["p11i"] * ii + inputs[1]], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 2, n), rng.uniform(-2, 2, n)]
