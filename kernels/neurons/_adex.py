"""Shared pieces of the AdEx models (:mod:`.eif_cond_exp_isfa_ista`, :mod:`.eif_cond_alpha_isfa_ista`).

Parameters, units, validation and NEST translation rows are the same for both
synapse shapes; the right-hand side of the membrane and adaptation equations
(:func:`membrane_rhs`) and the spike/refractory rule after each sub-step
(:func:`after_substep`) too.
"""
import numpy as np

from .._config import jit

#: substeps per step: ``ceil(dt / MAX_SUBSTEP)`` (NEST's initial RKF45 step is min(0.01 ms, dt))
MAX_SUBSTEP = 0.01
#: largest allowed ``(v_spike - v_thresh) / delta_T``: NEST's bound ``log(DBL_MAX / 1e20)``, so
#: the capped exponential stays finite with a margin for the products that follow
MAX_EXP_ARG = float(np.log(np.finfo(np.float64).max / 1e20))

PARAMETERS = dict(cm=0.281, tau_refrac=0.1, v_spike=-40.0, v_reset=-70.6, v_rest=-70.6,
                  tau_m=9.3667, i_offset=0.0, a=4.0, b=0.0805, delta_T=2.0, tau_w=144.0,
                  v_thresh=-50.4, e_rev_E=0.0, tau_syn_E=5.0, e_rev_I=-80.0, tau_syn_I=5.0)
UNITS = dict(cm="nF", tau_refrac="ms", v_spike="mV", v_reset="mV", v_rest="mV", tau_m="ms",
             i_offset="nA", a="nS", b="nA", delta_T="mV", tau_w="ms", v_thresh="mV",
             e_rev_E="mV", tau_syn_E="ms", e_rev_I="mV", tau_syn_I="ms",
             v="mV", w="nA", gsyn_exc="uS", gsyn_inh="uS")
POSITIVE = ("cm", "tau_m", "delta_T", "tau_w", "tau_syn_E", "tau_syn_I")
NON_NEGATIVE = ("tau_refrac",)
INITIAL = dict(v="v_rest", w=0.0, gsyn_exc=0.0, gsyn_inh=0.0)

NEST_PARAMETERS = {"cm": ("C_m", 1000.0), "tau_refrac": ("t_ref", 1.0),
                   "v_spike": ("V_peak", 1.0), "v_reset": ("V_reset", 1.0),
                   "v_rest": ("E_L", 1.0), "i_offset": ("I_e", 1000.0), "a": ("a", 1.0),
                   "b": ("b", 1000.0), "delta_T": ("Delta_T", 1.0), "tau_w": ("tau_w", 1.0),
                   "v_thresh": ("V_th", 1.0), "e_rev_E": ("E_ex", 1.0),
                   "tau_syn_E": ("tau_syn_ex", 1.0), "e_rev_I": ("E_in", 1.0),
                   "tau_syn_I": ("tau_syn_in", 1.0)}


def nest_derived(p: dict) -> dict:
    """``g_L`` (nS) from ``cm / tau_m``, as pyNN.nest."""
    return {"g_L": np.asarray(p["cm"]) / np.asarray(p["tau_m"]) * 1000.0}


NEST_STATE = {"v": ("V_m", 1.0), "w": ("w", 1e-3), "gsyn_exc": ("g_ex", 1e-3),
              "gsyn_inh": ("g_in", 1e-3)}
NEST_RECEPTORS = {"excitatory": (0, 1.0), "inhibitory": (0, -1.0)}


def base_columns(p: dict, dt: float, i_inj) -> list:
    """The columns both AdEx models share (see ``COLUMNS`` there)."""
    n_sub = max(1, int(np.ceil(dt / MAX_SUBSTEP - 1e-9)))
    cm = np.asarray(p["cm"], dtype=np.float64)
    return [dt / n_sub, float(n_sub), cm / np.asarray(p["tau_m"]), 1.0 / cm, p["v_rest"],
            p["delta_T"], p["v_thresh"], p["v_spike"], p["v_reset"],
            np.asarray(p["a"]) * 1e-3, p["b"], 1.0 / np.asarray(p["tau_w"]),
            p["e_rev_E"], p["e_rev_I"], np.asarray(p["i_offset"]) + i_inj,
            np.round(np.asarray(p["tau_refrac"]) / dt)]


BASE_COLUMNS = ("h_sub", "n_sub", "g_l", "inv_cm", "v_rest", "delta_T", "v_thresh", "v_spike",
                "v_reset", "a_uS", "b", "inv_tau_w", "e_rev_E", "e_rev_I", "i_ext", "n_ref")


def check(name: str, p: dict) -> None:
    """Relations NEST also requires: ``v_reset < v_spike``, ``v_thresh <= v_spike``, and
    ``(v_spike - v_thresh) / delta_T`` small enough that ``exp`` cannot overflow."""
    vr, vs, vt, dT = np.broadcast_arrays(*(np.atleast_1d(np.asarray(p[k], np.float64))
                                          for k in ("v_reset", "v_spike", "v_thresh", "delta_T")))
    bad = np.flatnonzero(vr >= vs)
    if bad.size:
        i = bad[0]
        raise ValueError(f"{name}.v_reset must be below v_spike, got v_reset={float(vr[i])!r} mV, "
                         f"v_spike={float(vs[i])!r} mV")
    bad = np.flatnonzero(vt > vs)
    if bad.size:
        i = bad[0]
        raise ValueError(f"{name}.v_thresh must not exceed v_spike, got v_thresh={float(vt[i])!r} mV, "
                         f"v_spike={float(vs[i])!r} mV")
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = (vs - vt) / dT
    bad = np.flatnonzero(~(arg < MAX_EXP_ARG))
    if bad.size:
        i = bad[0]
        raise ValueError(f"{name}.delta_T={float(dT[i])!r} mV is too small for v_spike - v_thresh = "
                         f"{float(vs[i] - vt[i])!r} mV: exp((v_spike - v_thresh) / delta_T) would "
                         f"overflow (the quotient must be below {MAX_EXP_ARG:.0f})")


@jit
def membrane_rhs(v, w, ge, gi, refractory, gl, inv_cm, el, dT, vt, vpeak, vreset, a, inv_tw,
                 ee, ei, i_ext):
    """``(dv/dt, dw/dt)`` (mV/ms, nA/ms) of Brette & Gerstner (2005), as NEST evaluates them.

    ``v`` enters capped at ``v_spike`` (so the exponential is at most
    ``exp((v_spike - v_thresh) / delta_T)``, finite by :func:`check`); a
    refractory neuron is held at ``v_reset`` (``dv/dt = 0``) while ``w``
    keeps relaxing towards ``a (v_reset - v_rest)``.
    """
    if refractory:
        vv = vreset
    else:
        vv = min(v, vpeak)
    dw = (a * (vv - el) - w) * inv_tw
    if refractory:
        return 0.0, dw
    i_spike = gl * dT * np.exp((vv - vt) / dT)
    dv = (-gl * (vv - el) + i_spike - ge * (vv - ee) - gi * (vv - ei) - w + i_ext) * inv_cm
    return dv, dw


@jit
def after_substep(v, w, r, spike, vpeak, vreset, b, nref):
    """NEST's rule after every accepted integration step: a refractory neuron is put back to
    ``v_reset``; otherwise ``v >= v_spike`` is a spike: ``v = v_reset``, ``w += b`` and ``r``
    refractory steps (``nref + 1``, the end of this step counts one; 0 without refractoriness)."""
    if r > 0:
        v = vreset
    elif v >= vpeak:
        v = vreset
        w = w + b
        r = nref + 1 if nref > 0 else 0
        spike = True
    return v, w, r, spike


#: most sub-steps in one step (the stiffness bound below never asks for more)
MAX_SUBSTEPS = 100_000


@jit
def substeps(dt, n_sub, g_total, inv_cm):
    """Sub-steps for this step: at least ``n_sub``, and enough that ``h g_total / c_m <= 2``
    (inside classical RK4's stability interval, about 2.79, for the linear conductance term)."""
    n = int(dt * g_total * inv_cm * 0.5) + 1
    n = min(n, MAX_SUBSTEPS)
    return max(int(n_sub), n)


#: a sub-step in which ``v`` reaches ``v_spike`` is redone as REFINE pieces, and the piece in which
#: it does as REFINE smaller ones: the spike (and reset) is timed to ``h / REFINE**2`` (1e-4 ms)
REFINE = 10


@jit
def piece(v, w, ge, gi, dge, dgi, h, inv_te, inv_ti, refractory, gl, inv_cm, el, dT, vt, vpeak,
          vreset, a, inv_tw, ee, ei, i_ext):
    """One RK4 step of ``(v, w)`` over ``h``; the conductances move exactly (alpha form
    ``g(s) = (g + dg s) e^{-s/tau}``, ``dg(s) = dg e^{-s/tau}``; with ``dg = 0`` the exponential
    form). Returns ``(v, w, ge, gi, dge, dgi)`` at the end of the piece."""
    h2 = 0.5 * h
    pe1, pe2 = np.exp(-h2 * inv_te), np.exp(-h * inv_te)
    pi1, pi2 = np.exp(-h2 * inv_ti), np.exp(-h * inv_ti)
    ge1, gi1 = (ge + dge * h2) * pe1, (gi + dgi * h2) * pi1
    ge2, gi2 = (ge + dge * h) * pe2, (gi + dgi * h) * pi2
    k1v, k1w = membrane_rhs(v, w, ge, gi, refractory, gl, inv_cm, el, dT, vt, vpeak, vreset,
                            a, inv_tw, ee, ei, i_ext)
    k2v, k2w = membrane_rhs(v + h2 * k1v, w + h2 * k1w, ge1, gi1, refractory, gl, inv_cm, el, dT,
                            vt, vpeak, vreset, a, inv_tw, ee, ei, i_ext)
    k3v, k3w = membrane_rhs(v + h2 * k2v, w + h2 * k2w, ge1, gi1, refractory, gl, inv_cm, el, dT,
                            vt, vpeak, vreset, a, inv_tw, ee, ei, i_ext)
    k4v, k4w = membrane_rhs(v + h * k3v, w + h * k3w, ge2, gi2, refractory, gl, inv_cm, el, dT,
                            vt, vpeak, vreset, a, inv_tw, ee, ei, i_ext)
    h6 = h / 6.0
    return (v + h6 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v), w + h6 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w),
            ge2, gi2, dge * pe2, dgi * pi2)


@jit
def integrate(v, w, ge, gi, dge, dgi, r, dt, n_sub, gl, inv_cm, el, dT, vt, vpeak, vreset, a, b,
              inv_tw, ee, ei, i_ext, nref, inv_te, inv_ti):
    """Advance one neuron over ``dt``: ``n`` RK4 sub-steps (:func:`substeps`), each sub-step in
    which ``v`` reaches ``v_spike`` redone on the finer grids (:data:`REFINE`), NEST's
    spike/refractory rule (:func:`after_substep`) after every accepted piece, and the
    refractory count-down at the end. Returns ``(v, w, ge, gi, dge, dgi, r, spike)``."""
    g_bound = gl + ge + gi + (max(dge, 0.0) + max(dgi, 0.0)) * dt
    n = substeps(dt, n_sub, g_bound, inv_cm)
    h = dt / n
    h1 = h / REFINE
    h2 = h1 / REFINE
    spike = False
    for _ in range(n):
        out = piece(v, w, ge, gi, dge, dgi, h, inv_te, inv_ti, r > 0, gl, inv_cm, el, dT, vt,
                    vpeak, vreset, a, inv_tw, ee, ei, i_ext)
        if r > 0 or out[0] < vpeak:
            v, w, ge, gi, dge, dgi = out
            v, w, r, spike = after_substep(v, w, r, spike, vpeak, vreset, b, nref)
            continue
        for _j in range(REFINE):
            out = piece(v, w, ge, gi, dge, dgi, h1, inv_te, inv_ti, r > 0, gl, inv_cm, el, dT,
                        vt, vpeak, vreset, a, inv_tw, ee, ei, i_ext)
            if r > 0 or out[0] < vpeak:
                v, w, ge, gi, dge, dgi = out
                v, w, r, spike = after_substep(v, w, r, spike, vpeak, vreset, b, nref)
                continue
            for _m in range(REFINE):
                v, w, ge, gi, dge, dgi = piece(v, w, ge, gi, dge, dgi, h2, inv_te, inv_ti, r > 0,
                                               gl, inv_cm, el, dT, vt, vpeak, vreset, a, inv_tw,
                                               ee, ei, i_ext)
                v, w, r, spike = after_substep(v, w, r, spike, vpeak, vreset, b, nref)
    if r > 0:
        r = r - 1
    return v, w, ge, gi, dge, dgi, r, spike


# ---------------------------------------------------------------------------------------------
# K alpha-conductance receptors, each with its own reversal potential (adex_multisyn_alpha).
# The conductance current sum_k g_k (v - E_k) is G v - sum_k g_k E_k with G = sum_k g_k, so
# membrane_rhs above evaluates it unchanged: one conductance G with reversal 0 and the current
# sum_k g_k E_k added to i_ext. The receptors are four (K_MAX of the model), passed as tuples.


@jit
def alpha_at(g, dg, s, inv_tau):
    """Alpha conductances after ``s``: ``g(s) = (g + dg s) e^{-s/tau}``, ``dg(s) = dg e^{-s/tau}``
    for the four receptors (tuples); returns ``(g(s), dg(s))``."""
    p0, p1 = np.exp(-s * inv_tau[0]), np.exp(-s * inv_tau[1])
    p2, p3 = np.exp(-s * inv_tau[2]), np.exp(-s * inv_tau[3])
    return (((g[0] + dg[0] * s) * p0, (g[1] + dg[1] * s) * p1, (g[2] + dg[2] * s) * p2,
             (g[3] + dg[3] * s) * p3), (dg[0] * p0, dg[1] * p1, dg[2] * p2, dg[3] * p3))


@jit
def g_sums(g, e):
    """``(sum_k g_k, sum_k g_k E_k)`` of the four receptors."""
    return g[0] + g[1] + g[2] + g[3], g[0] * e[0] + g[1] * e[1] + g[2] * e[2] + g[3] * e[3]


@jit
def piece_k(v, w, g, dg, h, inv_tau, e, refractory, gl, inv_cm, el, dT, vt, vpeak, vreset, a,
            inv_tw, i_ext):
    """:func:`piece` for four alpha receptors with reversal potentials ``e``: RK4 of ``(v, w)``,
    exact conductances. Returns ``(v, w, g, dg)`` at the end of the piece."""
    h2 = 0.5 * h
    g1, _ = alpha_at(g, dg, h2, inv_tau)
    g2, dg2 = alpha_at(g, dg, h, inv_tau)
    G0, I0 = g_sums(g, e)
    G1, I1 = g_sums(g1, e)
    G2, I2 = g_sums(g2, e)
    k1v, k1w = membrane_rhs(v, w, G0, 0.0, refractory, gl, inv_cm, el, dT, vt, vpeak, vreset,
                            a, inv_tw, 0.0, 0.0, i_ext + I0)
    k2v, k2w = membrane_rhs(v + h2 * k1v, w + h2 * k1w, G1, 0.0, refractory, gl, inv_cm, el, dT,
                            vt, vpeak, vreset, a, inv_tw, 0.0, 0.0, i_ext + I1)
    k3v, k3w = membrane_rhs(v + h2 * k2v, w + h2 * k2w, G1, 0.0, refractory, gl, inv_cm, el, dT,
                            vt, vpeak, vreset, a, inv_tw, 0.0, 0.0, i_ext + I1)
    k4v, k4w = membrane_rhs(v + h * k3v, w + h * k3w, G2, 0.0, refractory, gl, inv_cm, el, dT,
                            vt, vpeak, vreset, a, inv_tw, 0.0, 0.0, i_ext + I2)
    h6 = h / 6.0
    return (v + h6 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v), w + h6 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w),
            g2, dg2)


@jit
def integrate_k(v, w, g, dg, r, dt, n_sub, gl, inv_cm, el, dT, vt, vpeak, vreset, a, b, inv_tw,
                i_ext, nref, inv_tau, e):
    """:func:`integrate` for four alpha receptors (tuples ``g``, ``dg``, ``inv_tau``, ``e``):
    the same sub-steps, refinement of the sub-step reaching ``v_spike`` and NEST's spike rule.
    Returns ``(v, w, g, dg, r, spike)``."""
    G, _ = g_sums(g, e)
    g_bound = gl + G + (max(dg[0], 0.0) + max(dg[1], 0.0) + max(dg[2], 0.0)
                        + max(dg[3], 0.0)) * dt
    n = substeps(dt, n_sub, g_bound, inv_cm)
    h = dt / n
    h1 = h / REFINE
    h2 = h1 / REFINE
    spike = False
    for _ in range(n):
        out = piece_k(v, w, g, dg, h, inv_tau, e, r > 0, gl, inv_cm, el, dT, vt, vpeak, vreset,
                      a, inv_tw, i_ext)
        if r > 0 or out[0] < vpeak:
            v, w, g, dg = out
            v, w, r, spike = after_substep(v, w, r, spike, vpeak, vreset, b, nref)
            continue
        for _j in range(REFINE):
            out = piece_k(v, w, g, dg, h1, inv_tau, e, r > 0, gl, inv_cm, el, dT, vt, vpeak,
                          vreset, a, inv_tw, i_ext)
            if r > 0 or out[0] < vpeak:
                v, w, g, dg = out
                v, w, r, spike = after_substep(v, w, r, spike, vpeak, vreset, b, nref)
                continue
            for _m in range(REFINE):
                v, w, g, dg = piece_k(v, w, g, dg, h2, inv_tau, e, r > 0, gl, inv_cm, el, dT, vt,
                                      vpeak, vreset, a, inv_tw, i_ext)
                v, w, r, spike = after_substep(v, w, r, spike, vpeak, vreset, b, nref)
    if r > 0:
        r = r - 1
    return v, w, g, dg, r, spike
