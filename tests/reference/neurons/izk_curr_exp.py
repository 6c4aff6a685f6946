"""Twin of IzkCurrExp (sPyNNaker's Izhikevich: exponential currents, midpoint step, 1.85 h after a spike)."""
import numpy as np

HET_RANGES = {"a": (0.01, 0.1), "d": (0.05, 8.0), "c": (-70.0, -50.0), "tau_syn_E": (1.0, 10.0)}
M, LIM = 0.040008544921875, 65536.0


def neuron(v, u, ref, current, c):
    """Midpoint update of (v, u) with input ``current``, threshold 30 mV, reset; new ref flag."""
    h = np.where(ref != 0, c["h_spiked"], c["h"])
    a, b = c["a"], c["b"]
    pre = 140.0 + np.clip(current, -LIM, LIM) - u
    alpha = pre + (5.0 + M * v) * v
    eta = np.clip(v + 0.5 * (h * alpha), -LIM, LIM)
    beta = 0.5 * (h * (b * v - u) * a)
    vn = np.clip(v + h * (pre - beta + (5.0 + M * eta) * eta), -LIM, LIM)
    un = np.clip(u + a * h * (-u - beta + b * eta), -LIM, LIM)
    spike = vn >= 30.0
    vn = np.where(spike, c["c"], vn)
    un = np.where(spike, np.clip(un + c["d"], -LIM, LIM), un)
    return vn, un, spike.astype(np.int16), spike


def step(rows, ref, inputs, c):
    v, u, ie, ii = rows
    ie = ie + c["init_e"] * inputs[0]
    ii = ii + c["init_i"] * inputs[1]
    vn, un, ref, spike = neuron(v, u, ref, ie + ii + c["i_const"], c)
    return [vn, un, c["decay_e"] * ie, c["decay_i"] * ii], ref, spike


def random_state(rng, n):
    return [rng.uniform(-80.0, 35.0, n), rng.uniform(-20.0, 0.0, n), rng.uniform(-1.0, 5.0, n),
            rng.uniform(-5.0, 0.0, n)]
