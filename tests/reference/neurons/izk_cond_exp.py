"""Twin of Izhikevich_cond (sPyNNaker: the IzkCurrExp neuron with exponential conductances)."""
import numpy as np

from .izk_curr_exp import LIM, neuron

HET_RANGES = {"a": (0.01, 0.1), "d": (0.05, 8.0), "c": (-70.0, -50.0), "e_rev_I": (-90.0, -60.0)}


def step(rows, ref, inputs, c):
    v, u, ge, gi = rows
    ge = ge + c["init_e"] * inputs[0]
    gi = gi + c["init_i"] * inputs[1]
    current = (np.clip(ge * (c["e_rev_E"] - v), -LIM, LIM)
               + np.clip(gi * (c["e_rev_I"] - v), -LIM, LIM) + c["i_const"])
    vn, un, ref, spike = neuron(v, u, ref, current, c)
    return [vn, un, c["decay_e"] * ge, c["decay_i"] * gi], ref, spike


def random_state(rng, n):
    return [rng.uniform(-80.0, 35.0, n), rng.uniform(-20.0, 0.0, n), rng.uniform(0.0, 0.5, n),
            rng.uniform(0.0, 0.5, n)]
