"""Whole-array NumPy twin of the AdEx scheme (kernels/neurons/_adex.py): RK4 sub-steps with exact
conductances, sub-steps reaching v_spike redone on two finer grids, NEST's spike/refractory rule."""
import numpy as np

MAX_SUBSTEPS = 100_000
REFINE = 10


def rhs(v, w, ge, gi, refr, c):
    vv = np.where(refr, c["v_reset"], np.minimum(v, c["v_spike"]))
    dw = (c["a_uS"] * (vv - c["v_rest"]) - w) * c["inv_tau_w"]
    with np.errstate(over="ignore"):
        i_spike = c["g_l"] * c["delta_T"] * np.exp((vv - c["v_thresh"]) / c["delta_T"])
    dv = (-c["g_l"] * (vv - c["v_rest"]) + i_spike - ge * (vv - c["e_rev_E"])
          - gi * (vv - c["e_rev_I"]) - w + c["i_ext"]) * c["inv_cm"]
    return np.where(refr, 0.0, dv), dw


def piece(x, h, refr, c):
    """RK4 over ``h`` (per neuron) of ``x = [v, w, ge, gi, dge, dgi]``; exact conductances."""
    v, w, ge, gi, dge, dgi = x
    h2 = 0.5 * h
    te, ti = c["inv_tau_E"], c["inv_tau_I"]
    pe1, pe2, pi1, pi2 = np.exp(-h2 * te), np.exp(-h * te), np.exp(-h2 * ti), np.exp(-h * ti)
    g1 = ((ge + dge * h2) * pe1, (gi + dgi * h2) * pi1)
    g2 = ((ge + dge * h) * pe2, (gi + dgi * h) * pi2)
    k1 = rhs(v, w, ge, gi, refr, c)
    k2 = rhs(v + h2 * k1[0], w + h2 * k1[1], *g1, refr, c)
    k3 = rhs(v + h2 * k2[0], w + h2 * k2[1], *g1, refr, c)
    k4 = rhs(v + h * k3[0], w + h * k3[1], *g2, refr, c)
    h6 = h / 6.0
    return [v + h6 * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0]),
            w + h6 * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1]), g2[0], g2[1], dge * pe2, dgi * pi2]


def accept(x, new, ref, spike, mask, c, nref):
    """Take ``new`` where ``mask``; then NEST's rule: refractory -> v_reset, v >= v_spike -> spike."""
    x = [np.where(mask, b, a) for a, b in zip(x, new)]
    refr = ref > 0
    fire = mask & ~refr & (x[0] >= c["v_spike"])
    x[0] = np.where(mask & (refr | fire), c["v_reset"], x[0])
    x[1] = np.where(fire, x[1] + c["b"], x[1])
    ref = np.where(fire, np.where(nref > 0, nref + 1, 0), ref)
    return x, ref, spike | fire


def integrate(x, ref, c):
    """One step of ``x = [v, w, ge, gi, dge, dgi]`` (arrays); returns ``(x, ref, spike)``."""
    v, w, ge, gi, dge, dgi = x
    dt = c["h_sub"] * c["n_sub"]
    bound = c["g_l"] + ge + gi + (np.maximum(dge, 0.0) + np.maximum(dgi, 0.0)) * dt
    n_stiff = np.minimum((dt * bound * c["inv_cm"] * 0.5).astype(np.int64) + 1, MAX_SUBSTEPS)
    n = np.broadcast_to(np.maximum(np.asarray(c["n_sub"]).astype(np.int64), n_stiff), v.shape)
    h = dt / n
    h1 = h / REFINE
    h2 = h1 / REFINE
    nref = np.broadcast_to(np.asarray(c["n_ref"]).astype(np.int64), v.shape)
    ref = ref.astype(np.int64)
    spike = np.zeros(v.shape, bool)
    for k in range(int(n.max())):
        act = k < n
        new = piece(x, h, ref > 0, c)
        coarse = act & ((ref > 0) | (new[0] < c["v_spike"]))
        fine = act & ~coarse
        x, ref, spike = accept(x, new, ref, spike, coarse, c, nref)
        for _ in range(REFINE):
            if not fine.any():
                break
            new = piece(x, h1, ref > 0, c)
            ok = fine & ((ref > 0) | (new[0] < c["v_spike"]))
            finer = fine & ~ok
            x, ref, spike = accept(x, new, ref, spike, ok, c, nref)
            for _ in range(REFINE):
                if not finer.any():
                    break
                x, ref, spike = accept(x, piece(x, h2, ref > 0, c), ref, spike, finer, c, nref)
    ref = np.where(ref > 0, ref - 1, ref)
    return x, ref.astype(np.int16), spike


def random_state(rng, n):
    """v around and above v_spike (-40 mV by default), some adaptation."""
    return [rng.uniform(-75.0, -30.0, n), rng.uniform(0.0, 0.3, n)]
