"""Twin of IF_curr_exp_sEMD (multiplicator sampled at trigger onset; exact propagators)."""
import numpy as np

from .threshold import spike_and_reset

TRIGGER_ON = 0.001


def step(rows, ref, inputs, c):
    v, e1, e2, ii, mult, e2old = rows
    onset = (e2 >= TRIGGER_ON) & (mult == 0.0) & (e2old == 0.0)
    mult = np.where(onset, e1, np.where(e2 < TRIGGER_ON, 0.0, mult))
    vn = c["p22"] * v + c["p21e2"] * (c["scaling_factor"] * mult * e2) + c["p21i"] * ii + c["v_const"]
    vn, ref, spike = spike_and_reset(v, vn, ref, dict(c, integrate_refractory=0.0,
                                                      reset_subtract=0.0))
    return [vn, c["p11e"] * e1 + inputs[0], c["p11e2"] * e2 + inputs[1], c["p11i"] * ii + inputs[2],
            mult, e2.copy()], ref, spike


def random_state(rng, n):
    """Every branch of the multiplicator: onsets, running triggers, triggers below 0.001 nA."""
    e2 = np.where(rng.random(n) < 0.3, rng.uniform(0, 0.002, n), rng.uniform(0, 3, n))
    mult = np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 3, n))
    e2old = np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 3, n))
    return [rng.uniform(-70, -45, n), rng.uniform(0, 3, n), e2, rng.uniform(-2, 2, n), mult, e2old]


HET_RANGES = {"v_thresh": (-55.0, -45.0), "scaling_factor": (0.5, 2.0), "tau_syn_E2": (2.0, 8.0)}
