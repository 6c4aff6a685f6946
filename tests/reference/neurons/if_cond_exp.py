"""Twin of IF_cond_exp (exponential integrator with the step-mean conductance)."""
import numpy as np

from .threshold import spike_and_reset


def step(rows, ref, inputs, c):
    v, ge, gi = rows
    gem, gim = c["f_e"] * ge, c["f_i"] * gi
    gt = c["g_l"] + gem + gim
    vinf = (c["drive"] + gem * c["e_rev_E"] + gim * c["e_rev_I"]) / gt
    vn = vinf + (v - vinf) * np.exp(-gt * c["h_over_cm"])
    vn, ref, spike = spike_and_reset(v, vn, ref, c)
    return [vn, c["p11e"] * ge + inputs[0], c["p11i"] * gi + inputs[1]], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 0.2, n), rng.uniform(0, 0.2, n)]
