"""Twin of IF_cond_alpha: adaptive RKF45 on whole arrays, one sub-step size per neuron.

A generic Butcher-tableau loop (Fehlberg 1969), not the unrolled stages of the kernel.
"""
import numpy as np

from .threshold import spike_and_reset

HET_RANGES = {"v_thresh": (-55.0, -45.0), "tau_syn_E": (0.1, 3.0), "tau_m": (5.0, 30.0)}

C = np.array([0.0, 1 / 4, 3 / 8, 12 / 13, 1.0, 1 / 2])
A = [[], [1 / 4], [3 / 32, 9 / 32], [1932 / 2197, -7200 / 2197, 7296 / 2197],
     [439 / 216, -8.0, 3680 / 513, -845 / 4104],
     [-8 / 27, 2.0, -3544 / 2565, 1859 / 4104, -11 / 40]]
B5 = np.array([16 / 135, 0.0, 6656 / 12825, 28561 / 56430, -9 / 50, 2 / 55])
B4 = np.array([25 / 216, 0.0, 1408 / 2565, 2197 / 4104, -1 / 5, 0.0])
TOL = np.array([1e-3, 1e-6, 1e-6, 1e-6, 1e-6])[:, None]  # v mV; g uS; D uS/ms


def _rhs(y, moving, capped, c):
    v, ge, gi, de, di = y
    vv = np.where(capped, np.minimum(v, c["v_thresh"]), v)
    dv = (c["g_l"] * (c["v_rest"] - vv) + ge * (c["e_rev_E"] - vv) + gi * (c["e_rev_I"] - vv)
          + c["i_const"]) / c["cm"]
    return np.array([np.where(moving, dv, 0.0), de - ge * c["k_e"], di - gi * c["k_i"],
                     -de * c["k_e"], -di * c["k_i"]])


def rkf45(y, moving, capped, c):
    """Integrate ``y`` (5, n) over one step with per-neuron adaptive sub-steps."""
    n = y.shape[1]
    h = np.broadcast_to(np.asarray(c["h"], float), (n,))
    t = np.zeros(n)
    s = h.copy()
    todo = t < h
    while todo.any():
        final = s >= h - t
        s = np.where(final, h - t, s)
        k = []
        for i in range(6):
            yi = y + s * sum((A[i][j] * k[j] for j in range(i)), np.zeros_like(y))
            k.append(_rhs(yi, moving, capped, c))
        y5 = y + s * sum(B5[i] * k[i] for i in range(6))
        err = np.abs(s * sum((B5[i] - B4[i]) * k[i] for i in range(6)))
        r = (err / TOL).max(axis=0)
        reject = todo & (r > 1.1) & (s > 1e-9 * h)
        accept = todo & ~reject
        y = np.where(accept, y5, y)
        t = np.where(accept, np.where(final, h, t + s), t)
        rs = np.maximum(r, 1e-300)
        grow = np.where(r == 0, 5.0, np.clip(0.9 * rs ** (-1 / 6), 1.0, 5.0))
        shrink = np.maximum(0.2, 0.9 * rs ** -0.2)
        s = np.where(reject, s * shrink, np.where(accept & (r < 0.5), s * grow, s))
        todo = t < h
    return y


def step(rows, ref, inputs, c):
    y = np.array(rows, dtype=float)
    integ = np.asarray(c["integrate_refractory"]) != 0
    moving = (ref <= 0) | integ
    y = rkf45(y, moving, ref <= 0, c)
    vn, ref, spike = spike_and_reset(rows[0], y[0], ref, c)
    return [vn, y[1], y[2], y[3] + c["psc_e"] * inputs[0], y[4] + c["psc_i"] * inputs[1]], ref, spike


def random_state(rng, n):
    """Some neurons with derivatives large enough that the step is subdivided."""
    big = rng.random(n) < 0.3
    return [rng.uniform(-70, -45, n), rng.uniform(0, 0.2, n), rng.uniform(0, 0.2, n),
            np.where(big, rng.uniform(0, 30, n), rng.uniform(0, 0.5, n)),
            np.where(big, rng.uniform(0, 30, n), rng.uniform(0, 0.5, n))]
