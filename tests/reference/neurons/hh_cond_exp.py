"""Twin of HH_cond_exp: RK4 sub-steps (exponential midpoint where stiff), whole arrays."""
import numpy as np

H_MAX, V_SPIKE, V_CLIP, STIFF_RK4 = 0.01, 30.0, 500.0, 1.0

# per-neuron draws for the heterogeneous test (parameter: (low, high))
HET_RANGES = {"v_offset": (-66.0, -60.0), "gbar_K": (4.0, 8.0), "i_offset": (0.0, 1.0)}


def _xexp(x, k):
    u = x / k
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(u) < 1e-6, k * (1.0 - 0.5 * u), x / np.expm1(u))


def rates(V):
    """Traub-Miles rates (1/ms) at ``V = v - v_offset`` (mV), as NEST's hh_cond_exp_traub."""
    V = np.clip(V, -V_CLIP, V_CLIP)
    return (0.32 * _xexp(13.0 - V, 4.0), 0.28 * _xexp(V - 40.0, 5.0),
            0.128 * np.exp((17.0 - V) / 18.0), 4.0 / (1.0 + np.exp((40.0 - V) / 5.0)),
            0.032 * _xexp(15.0 - V, 5.0), 0.5 * np.exp((10.0 - V) / 40.0))


def _coefficients(y, ge, gi, c):
    v, m, h, n = y
    a_m, b_m, a_h, b_h, a_n, b_n = rates(v - c["v_offset"])
    g_na = c["g_Na"] * m ** 3 * h
    g_k = c["g_K"] * n ** 4
    G = g_na + g_k + c["g_L"] + ge + gi
    A = (g_na * c["e_Na"] + g_k * c["e_K"] + c["g_L"] * c["e_L"] + ge * c["e_E"] + gi * c["e_I"]
         + c["i_drive"])
    # dy/dt = a - b y for y = v, m, h, n
    return [A / c["cm"], a_m, a_h, a_n], [G / c["cm"], a_m + b_m, a_h + b_h, a_n + b_n]


def _rhs(y, ge, gi, c):
    a, b = _coefficients(y, ge, gi, c)
    return [a[k] - b[k] * y[k] for k in range(4)], np.maximum.reduce(b)


def _relax(y0, y, ge, gi, t, c):
    a, b = _coefficients(y, ge, gi, c)
    return [a[k] / b[k] + (y0[k] - a[k] / b[k]) * np.exp(-b[k] * t) for k in range(4)]


def step(rows, ref, inputs, c):
    v, m, h, n, ge, gi = (np.asarray(r, np.float64) for r in rows)
    y = [v, m, h, n]
    v_old = v
    hs = c["h_sub"]
    err = np.seterr(all="ignore")  # RK4 is evaluated (and discarded) where it overflows
    for _ in range(int(np.max(c["n_sub"]))):
        gem, gim = ge * c["d_half_e"], gi * c["d_half_i"]
        ge1, gi1 = gem * c["d_half_e"], gim * c["d_half_i"]
        k1, stiff = _rhs(y, ge, gi, c)
        k2, _ = _rhs([y[k] + 0.5 * hs * k1[k] for k in range(4)], gem, gim, c)
        k3, _ = _rhs([y[k] + 0.5 * hs * k2[k] for k in range(4)], gem, gim, c)
        k4, _ = _rhs([y[k] + hs * k3[k] for k in range(4)], ge1, gi1, c)
        rk4 = [y[k] + hs / 6.0 * (k1[k] + 2.0 * k2[k] + 2.0 * k3[k] + k4[k]) for k in range(4)]
        half = _relax(y, y, ge, gi, 0.5 * hs, c)
        expmid = _relax(y, half, gem, gim, hs, c)
        use_rk4 = stiff * hs <= STIFF_RK4
        y = [np.where(use_rk4, rk4[k], expmid[k]) for k in range(4)]
        ge, gi = ge1, gi1
    np.seterr(**err)
    refractory = ref > 0
    spike = ~refractory & (y[0] >= c["v_offset"] + V_SPIKE) & (v_old > y[0])
    ref = np.where(refractory, ref - 1, ref)
    ref = np.where(spike, np.asarray(c["n_ref"]).astype(np.int16), ref).astype(np.int16)
    return y + [ge + inputs[0], gi + inputs[1]], ref, spike


def random_state(rng, n):
    """States around the spike peak (some fall past v_offset + 30 mV in the step) and at rest;
    10 % with a huge inhibitory conductance, which the stiff branch integrates."""
    peak = rng.random(n) < 0.5
    v = np.where(peak, rng.uniform(-40.0, 40.0, n), rng.uniform(-75.0, -55.0, n))
    m = np.where(peak, rng.uniform(0.5, 1.0, n), rng.uniform(0.0, 0.1, n))
    h = np.where(peak, rng.uniform(0.0, 0.3, n), rng.uniform(0.4, 1.0, n))
    nn = np.where(peak, rng.uniform(0.4, 0.9, n), rng.uniform(0.0, 0.3, n))
    gi = np.where(rng.random(n) < 0.1, rng.uniform(50.0, 500.0, n), rng.uniform(0, 0.2, n))
    return [v, m, h, nn, rng.uniform(0, 0.2, n), gi]  # some stiff (huge g_inh): exp. midpoint
