"""Twin of IF_curr_delta (exact decay, input jumps v; lost while refractory and clamped)."""
from .threshold import spike_and_reset

HET_RANGES = {"v_thresh": (-55.0, -45.0), "tau_m": (5.0, 30.0)}


def step(rows, ref, inputs, c):
    (v,) = rows
    vn = c["p33"] * v + c["v_const"] + inputs[0] + inputs[1]
    vn, ref, spike = spike_and_reset(v, vn, ref, c)
    return [vn], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n)]
