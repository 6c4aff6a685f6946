"""Twin of IF_curr_dual_exp (exact propagators, three exponential currents)."""
from .threshold import spike_and_reset

HET_RANGES = {"v_thresh": (-55.0, -45.0), "tau_syn_E2": (0.5, 20.0)}


def step(rows, ref, inputs, c):
    v, ie, ie2, ii = rows
    vn = c["p22"] * v + c["p21e"] * ie + c["p21e2"] * ie2 + c["p21i"] * ii + c["v_const"]
    vn, ref, spike = spike_and_reset(v, vn, ref, c)
    return [vn, c["p11e"] * ie + inputs[0], c["p11e2"] * ie2 + inputs[1],
            c["p11i"] * ii + inputs[2]], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 2, n), rng.uniform(0, 2, n),
            rng.uniform(-2, 0, n)]
