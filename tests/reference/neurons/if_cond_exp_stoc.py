"""Twin of IFCondExpStoc: the same per-neuron 48-bit LCG in the state, so the same draws."""
import numpy as np

from spikesim.kernels.neurons.if_cond_exp_stoc import LCG_A, LCG_C, P_SAT, X_SAT


def probability(v, c):
    x = (v - c["v_thresh"]) * c["du_th_inv"]
    with np.errstate(over="ignore"):
        p = -P_SAT * np.expm1(-np.exp(np.minimum(x, X_SAT)) * c["hazard_dt"])
    return np.where(x >= X_SAT, P_SAT, p)


def step(rows, ref, inputs, c):
    v, ge, gi, hi, lo = rows
    gem, gim = c["f_e"] * ge, c["f_i"] * gi
    gt = c["g_l"] + gem + gim
    vinf = (c["drive"] + gem * c["e_rev_E"] + gim * c["e_rev_I"]) / gt
    vn = vinf + (v - vinf) * np.exp(-gt * c["h_over_cm"])
    x = (hi.astype(np.int64) << 24) + lo.astype(np.int64)
    x = (x * LCG_A + LCG_C) % (1 << 48)  # int64 products wrap mod 2**64; 2**48 divides it
    u = x / 2.0 ** 48
    refractory = ref > 0
    vn = np.where(refractory, v, vn)
    ref = np.where(refractory, ref - 1, ref)
    spike = ~refractory & (u < probability(vn, c))
    vn = np.where(spike, c["v_reset"], vn)
    ref = np.where(spike, np.asarray(c["n_ref"]).astype(np.int16), ref).astype(np.int16)
    return [vn, c["p11e"] * ge + inputs[0], c["p11i"] * gi + inputs[1],
            (x >> 24).astype(np.float64), (x & ((1 << 24) - 1)).astype(np.float64)], ref, spike


def random_state(rng, n):
    x = rng.integers(1, 1 << 48, n, dtype=np.int64)
    return [rng.uniform(-55, -45, n), rng.uniform(0, 0.2, n), rng.uniform(0, 0.2, n),
            (x >> 24).astype(np.float64), (x & ((1 << 24) - 1)).astype(np.float64)]


HET_RANGES = {"v_thresh": (-52.0, -48.0), "du_th": (0.3, 2.0), "tau_th": (1.0, 40.0)}
