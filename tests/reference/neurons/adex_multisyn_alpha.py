"""Twin of AdExpMultisynAlpha: the AdEx scheme of tests/reference/neurons/_adex.py with four
alpha conductances of their own reversal potentials (whole arrays)."""
import numpy as np

from . import _adex

K = 4
HET_RANGES = {"v_thresh": (-55.0, -45.0), "b": (0.0, 0.2), "tau_syn_1": (0.5, 8.0),
              "e_syn_3": (-80.0, 0.0)}


def _rhs(v, w, g, refr, c):
    """dv/dt, dw/dt with G = sum g_k and the current sum g_k E_k (the kernel's order of sums)."""
    G = g[0] + g[1] + g[2] + g[3]
    GE = g[0] * c["e_syn_0"] + g[1] * c["e_syn_1"] + g[2] * c["e_syn_2"] + g[3] * c["e_syn_3"]
    cc = {**c, "e_rev_E": 0.0, "e_rev_I": 0.0, "i_ext": c["i_ext"] + GE}
    return _adex.rhs(v, w, G, 0.0, refr, cc)


def _piece(x, h, refr, c):
    v, w, g, dg = x[0], x[1], x[2:2 + K], x[2 + K:]
    h2 = 0.5 * h
    p1 = [np.exp(-h2 * c[f"inv_tau_{k}"]) for k in range(K)]
    p2 = [np.exp(-h * c[f"inv_tau_{k}"]) for k in range(K)]
    g1 = [(g[k] + dg[k] * h2) * p1[k] for k in range(K)]
    g2 = [(g[k] + dg[k] * h) * p2[k] for k in range(K)]
    k1 = _rhs(v, w, g, refr, c)
    k2 = _rhs(v + h2 * k1[0], w + h2 * k1[1], g1, refr, c)
    k3 = _rhs(v + h2 * k2[0], w + h2 * k2[1], g1, refr, c)
    k4 = _rhs(v + h * k3[0], w + h * k3[1], g2, refr, c)
    h6 = h / 6.0
    return ([v + h6 * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0]),
             w + h6 * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1])] + g2
            + [dg[k] * p2[k] for k in range(K)])


def _integrate(x, ref, c):
    v, g, dg = x[0], x[2:2 + K], x[2 + K:]
    dt = c["h_sub"] * c["n_sub"]
    bound = c["g_l"] + (g[0] + g[1] + g[2] + g[3]) + (
        np.maximum(dg[0], 0.0) + np.maximum(dg[1], 0.0) + np.maximum(dg[2], 0.0)
        + np.maximum(dg[3], 0.0)) * dt
    n_stiff = np.minimum((dt * bound * c["inv_cm"] * 0.5).astype(np.int64) + 1, _adex.MAX_SUBSTEPS)
    n = np.broadcast_to(np.maximum(np.asarray(c["n_sub"]).astype(np.int64), n_stiff), v.shape)
    h = dt / n
    h1 = h / _adex.REFINE
    h2 = h1 / _adex.REFINE
    nref = np.broadcast_to(np.asarray(c["n_ref"]).astype(np.int64), v.shape)
    ref = ref.astype(np.int64)
    spike = np.zeros(v.shape, bool)
    acc = _adex.accept
    for k in range(int(n.max())):
        act = k < n
        new = _piece(x, h, ref > 0, c)
        coarse = act & ((ref > 0) | (new[0] < c["v_spike"]))
        fine = act & ~coarse
        x, ref, spike = acc(x, new, ref, spike, coarse, c, nref)
        for _ in range(_adex.REFINE):
            if not fine.any():
                break
            new = _piece(x, h1, ref > 0, c)
            ok = fine & ((ref > 0) | (new[0] < c["v_spike"]))
            finer = fine & ~ok
            x, ref, spike = acc(x, new, ref, spike, ok, c, nref)
            for _ in range(_adex.REFINE):
                if not finer.any():
                    break
                x, ref, spike = acc(x, _piece(x, h2, ref > 0, c), ref, spike, finer, c, nref)
    ref = np.where(ref > 0, ref - 1, ref)
    return x, ref.astype(np.int16), spike


def step(rows, ref, inputs, c):
    x, ref, spike = _integrate(list(rows), ref, c)
    dg = [x[2 + K + k] + inputs[k] * c[f"g0_{k}"] for k in range(K)]
    return x[:2 + K] + dg, ref, spike


def random_state(rng, n):
    return (_adex.random_state(rng, n) + [rng.uniform(0.0, 0.05, n) for _ in range(K)]
            + [rng.uniform(0.0, 0.02, n) for _ in range(K)])
