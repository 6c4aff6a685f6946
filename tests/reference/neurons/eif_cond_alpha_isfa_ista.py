"""Twin of EIF_cond_alpha_isfa_ista (the AdEx scheme of tests/reference/neurons/_adex.py)."""
from . import _adex

HET_RANGES = {"v_thresh": (-55.0, -45.0), "b": (0.0, 0.2), "tau_syn_E": (0.5, 8.0)}


def step(rows, ref, inputs, c):
    (v, w, ge, gi, dge, dgi), ref, spike = _adex.integrate(list(rows), ref, c)
    return [v, w, ge, gi, dge + inputs[0] * c["g0_E"], dgi + inputs[1] * c["g0_I"]], ref, spike


def random_state(rng, n):
    return _adex.random_state(rng, n) + [rng.uniform(0.0, 0.05, n), rng.uniform(0.0, 0.05, n),
                                         rng.uniform(0.0, 0.02, n), rng.uniform(0.0, 0.02, n)]
