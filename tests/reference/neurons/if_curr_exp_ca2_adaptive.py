"""Twin of IFCurrExpCa2Adaptive (exact propagators; Ca2+ current as one more exponential current)."""
import numpy as np

from .threshold import spike_and_reset


def step(rows, ref, inputs, c):
    v, ie, ii, ica = rows
    vn = c["p22"] * v + c["p21e"] * ie + c["p21i"] * ii - c["p21ca"] * ica + c["v_const"]
    flags = dict(c, integrate_refractory=0.0, reset_subtract=0.0)
    vn, ref, spike = spike_and_reset(v, vn, ref, flags)
    ica = c["p11ca"] * ica + np.where(spike, c["i_alpha"], 0.0)
    return [vn, c["p11e"] * ie + inputs[0], c["p11i"] * ii + inputs[1], ica], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 2, n), rng.uniform(-2, 2, n),
            rng.uniform(0, 1, n)]


HET_RANGES = {"v_thresh": (-55.0, -45.0), "tau_ca2": (20.0, 200.0), "i_alpha": (0.0, 0.5)}
