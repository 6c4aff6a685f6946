"""Twin of CubaLIFStep: the synaptic currents take this step's input first, then the membrane
moves with those new currents (exponential Euler with the end-of-step current)."""
from .threshold import spike_and_reset

HET_RANGES = {"v_thresh": (-55.0, -45.0), "tau_m": (5.0, 30.0), "tau_syn_E": (1.0, 8.0)}


def step(rows, ref, inputs, c):
    v, ie, ii = rows
    ie = c["p11e"] * ie + c["ib_e"] + inputs[0]
    ii = c["p11i"] * ii + c["ib_i"] + inputs[1]
    vn = c["p22"] * v + c["k"] * (ie + ii) + c["v_const"]
    vn, ref, spike = spike_and_reset(v, vn, ref, c)
    return [vn, ie, ii], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 2, n), rng.uniform(-2, 2, n)]
