"""Twin of IFCondExpSpiNNaker: the LIF tick with conductances turned into current at the tick's start."""
from .if_curr_exp_spinnaker import tick


def step(rows, ref, inputs, c):
    v, ge, gi = rows
    ge = c["decay_e"] * ge + c["init_e"] * inputs[0]
    gi = c["decay_i"] * gi + c["init_i"] * inputs[1]
    vn, ref, spike = tick(v, ref, ge * (c["e_rev_E"] - v) + gi * (c["e_rev_I"] - v), c)
    return [vn, ge, gi], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 0.05, n), rng.uniform(0, 0.05, n)]
