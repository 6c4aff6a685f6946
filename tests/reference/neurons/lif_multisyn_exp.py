"""Twin of LIFMultisynExp (exact propagators, four exponential current receptors)."""
import numpy as np

from .threshold import spike_and_reset

HET_RANGES = {"v_thresh": (-55.0, -45.0), "tau_syn_2": (0.5, 30.0)}


def step(rows, ref, inputs, c):
    v, currents = rows[0], rows[1:]
    vn = c["p22"] * v + c["v_const"]
    for k, i in enumerate(currents):
        vn = vn + c[f"p21_{k}"] * i
    vn, ref, spike = spike_and_reset(v, vn, ref, {**c, "integrate_refractory": 0.0,
                                                  "reset_subtract": 0.0})
    return [vn] + [c[f"p11_{k}"] * i + inputs[k] for k, i in enumerate(currents)], ref, spike


def random_state(rng, n):
    return [rng.uniform(-70, -45, n)] + [rng.uniform(-2, 2, n) for _ in range(4)]
