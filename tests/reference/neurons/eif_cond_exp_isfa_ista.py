"""Twin of EIF_cond_exp_isfa_ista (the AdEx scheme of tests/reference/neurons/_adex.py, dg = 0)."""
import numpy as np

from . import _adex

HET_RANGES = {"v_thresh": (-55.0, -45.0), "a": (0.0, 10.0), "tau_refrac": (0.0, 0.3)}


def step(rows, ref, inputs, c):
    v, w, ge, gi = rows
    zero = np.zeros_like(v)
    (v, w, ge, gi, _, _), ref, spike = _adex.integrate([v, w, ge, gi, zero, zero], ref, c)
    return [v, w, ge + inputs[0], gi + inputs[1]], ref, spike


def random_state(rng, n):
    return _adex.random_state(rng, n) + [rng.uniform(0.0, 0.05, n), rng.uniform(0.0, 0.05, n)]
