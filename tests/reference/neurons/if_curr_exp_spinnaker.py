"""Twin of IFCurrExpSpiNNaker: sPyNNaker's LIF tick (neuron_model_lif_impl.h, exp synapses), whole arrays."""
import numpy as np


def tick(v, ref, current, c):
    """Refractory neurons count down and keep ``v``; the others take the exponential-Euler step."""
    free = ref <= 0
    alpha = current * c["r_m"] + c["alpha_rest"]
    vn = np.where(free, alpha - c["exp_tc"] * (alpha - v), v)
    ref = np.where(free, ref, ref - 1)
    spike = free & (vn >= c["v_thresh"])
    vn = np.where(spike, c["v_reset"], vn)
    ref = np.where(spike, np.asarray(c["n_ref"]).astype(np.int16), ref)
    return vn, ref.astype(np.int16), spike


def step(rows, ref, inputs, c):
    v, ie, ii = rows
    ie = c["decay_e"] * ie + c["init_e"] * inputs[0]
    ii = c["decay_i"] * ii + c["init_i"] * inputs[1]
    vn, ref, spike = tick(v, ref, ie + ii, c)
    return [vn, ie, ii], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n), rng.uniform(0, 2, n), rng.uniform(-2, 2, n)]
