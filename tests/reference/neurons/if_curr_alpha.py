"""Twin of IF_curr_alpha (exact propagators of the alpha current, NEST's step order)."""
import numpy as np

from .threshold import spike_and_reset

HET_RANGES = {"v_thresh": (-55.0, -45.0), "tau_m": (5.0, 30.0), "tau_syn_E": (0.2, 5.0)}


def step(rows, ref, inputs, c):
    v, ie, ii, de, di = rows
    vn = (c["p33"] * v + c["p31e"] * de + c["p32e"] * ie + c["p31i"] * di + c["p32i"] * ii
          + c["v_const"])
    vn, ref, spike = spike_and_reset(v, vn, ref, c)
    ie_n = c["p11e"] * ie + c["p21e"] * de
    ii_n = c["p11i"] * ii + c["p21i"] * di
    de_n = c["p11e"] * de + c["psc_e"] * inputs[0]
    di_n = c["p11i"] * di + c["psc_i"] * inputs[1]
    return [vn, ie_n, ii_n, de_n, di_n], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 2, n), rng.uniform(-2, 0, n),
            rng.uniform(0, 5, n), rng.uniform(-5, 0, n)]
