"""Twin of Izhikevich (NEST's forward Euler with old values, input added to v)."""
import numpy as np

HET_RANGES = {"a": (0.01, 0.1), "d": (0.05, 8.0), "c": (-70.0, -50.0)}


def step(rows, ref, inputs, c):
    v, u = rows
    dv = 0.04 * v ** 2 + 5.0 * v + c["drive"] - u
    vn = v + c["h"] * dv + inputs[0] + inputs[1]
    un = u + c["h"] * c["a"] * (c["b"] * v - u)
    spike = vn >= c["v_peak"]
    vn = np.where(spike, c["c"], vn)
    un = np.where(spike, un + c["d"], un)
    return [vn, un], ref.copy(), spike


def random_state(rng, n):
    return [rng.uniform(-80.0, 35.0, n), rng.uniform(-20.0, 0.0, n)]
