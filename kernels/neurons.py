"""Per-step neuron updates for LIF neurons with exponential synapses.

Both models follow NEST's update order for one step ``t -> t+1`` of length
``h``: the membrane is propagated with the synaptic state of the previous
step, the synaptic state decays and receives this step's ring-buffer input,
then the threshold is checked (NEST ``iaf_psc_exp``/``iaf_cond_exp``).

Parameter columns (``par[k]`` for homogeneous populations, ``het[k, i]`` for
per-neuron parameters), all in the state dtype:

====  ======================  =========================================
col   current-based (curr)    conductance-based (cond)
====  ======================  =========================================
0     P22 = exp(-h/tau_m)     g_L = cm/tau_m (uS)
1     P21e (mV/nA)            h/cm (ms/nF)
2     P21i (mV/nA)            f_e = tau_syn_E/h (1-exp(-h/tau_syn_E))
3     P11e = exp(-h/tau_e)    P11e = exp(-h/tau_syn_E)
4     P11i = exp(-h/tau_i)    P11i = exp(-h/tau_syn_I)
5     v_const (mV)            drive = g_L v_rest + i_offset (nA)
6     --                      f_i
7     --                      e_rev_E (mV)
8     --                      e_rev_I (mV)
9     v_thresh (mV)           v_thresh (mV)
10    v_reset (mV)            v_reset (mV)
11    refractory steps        refractory steps
12    integrate_refractory    integrate_refractory
====  ======================  =========================================

Refractoriness: for ``refractory steps`` after a spike the neuron cannot
fire. With ``integrate_refractory`` 0 (NEST, PyNN) ``v`` is held where it
is (at ``v_reset``); with 1 the membrane keeps integrating its input (the
NALSM paper's neuron, Brian2's LIF without ``(unless refractory)``), so it
may fire as soon as the refractory period ends.

Current-based, exact integration (Rotter & Diesmann 1999; NEST iaf_psc_exp):

.. math::

    v_{t+1} = P_{22} v_t + P_{21e} I_{e,t} + P_{21i} I_{i,t} + v_{const},
    \\qquad I_{x,t+1} = P_{11x} I_{x,t} + \\text{input}_{x,t+1}

Conductance-based: the conductances decay exactly; the membrane equation
``cm dv/dt = g_L (v_rest - v) + g_e (E_e - v) + g_i (E_i - v) + i_offset``
is integrated exponentially with the conductances replaced by their exact
mean over the step (exponential integrator; second order in ``h``):

.. math::

    \\bar g_x = f_x g_{x,t}, \\quad G = g_L + \\bar g_e + \\bar g_i, \\quad
    v_\\infty = (\\text{drive} + \\bar g_e E_e + \\bar g_i E_i) / G, \\quad
    v_{t+1} = v_\\infty + (v_t - v_\\infty) e^{-G h / c_m}
"""
import numpy as np

from ._config import jit

NPAR = 13
P22, P21E, P21I, P11E, P11I, VCONST = 0, 1, 2, 3, 4, 5
GL, HCM, FE, FI, EE, EI, DRIVE = 0, 1, 2, 6, 7, 8, 5
VTH, VRESET, NREF, INTEG = 9, 10, 11, 12

KIND_SOURCE, KIND_CURR, KIND_COND = 0, 1, 2


@jit
def _refractory_and_spike(v, vn, r, vth, vreset, nref, integ):
    """Refractoriness, threshold and reset after the membrane step ``v -> vn``.

    A refractory neuron (``r > 0``) counts down; it keeps ``v`` (``integ`` False,
    NEST) or keeps ``vn`` but cannot fire (``integ`` True). Returns ``(v, r, spike)``.
    """
    free = True
    if r > 0:
        if integ:
            free = False
        else:
            vn = v
        r = r - 1
    spike = vn >= vth and free
    if spike:
        vn = vreset
        r = nref
    return vn, r, spike


@jit
def _curr_one(v, ie, ii, r, ine, ini, p22, p21e, p21i, p11e, p11i, vc, vth, vreset, nref, integ):
    vn = p22 * v + p21e * ie + p21i * ii + vc
    vn, r, spike = _refractory_and_spike(v, vn, r, vth, vreset, nref, integ)
    ie = p11e * ie + ine
    ii = p11i * ii + ini
    return vn, ie, ii, r, spike


@jit
def _cond_one(v, ge, gi, r, ine, ini, gl, hcm, fe, fi, p11e, p11i, ee, ei, drive,
              vth, vreset, nref, integ):
    gem = fe * ge
    gim = fi * gi
    gt = gl + gem + gim
    vinf = (drive + gem * ee + gim * ei) / gt
    vn = vinf + (v - vinf) * np.exp(-gt * hcm)
    vn, r, spike = _refractory_and_spike(v, vn, r, vth, vreset, nref, integ)
    ge = p11e * ge + ine
    gi = p11i * gi + ini
    return vn, ge, gi, r, spike


@jit
def update_curr(lo, hi, v, ie, ii, ref, in_e, in_i, fired, par):
    """Advance current-based neurons ``lo:hi`` (homogeneous parameters) one step.

    ``in_e``/``in_i`` are this step's ring-buffer rows; they are consumed
    (set to zero). ``fired[i - lo]`` becomes True for neurons that spike;
    returns how many did.
    (Loops run over slices so indices are provably non-negative, which lets
    LLVM vectorise them.)
    """
    p22 = par[P22]
    p21e = par[P21E]
    p21i = par[P21I]
    p11e = par[P11E]
    p11i = par[P11I]
    vc = par[VCONST]
    vth = par[VTH]
    vreset = par[VRESET]
    nref = np.int16(par[NREF])
    z = in_e.dtype.type(0)
    n_fired = 0
    v, ie, ii, ref, in_e, in_i = v[lo:hi], ie[lo:hi], ii[lo:hi], ref[lo:hi], in_e[lo:hi], in_i[lo:hi]
    integ = par[INTEG] != 0
    for i in range(v.shape[0]):
        # a constant flag per branch: the common clamped loop compiles without the extra test
        if integ:
            vn, a, b, r, s = _curr_one(v[i], ie[i], ii[i], ref[i], in_e[i], in_i[i],
                                       p22, p21e, p21i, p11e, p11i, vc, vth, vreset, nref, True)
        else:
            vn, a, b, r, s = _curr_one(v[i], ie[i], ii[i], ref[i], in_e[i], in_i[i],
                                       p22, p21e, p21i, p11e, p11i, vc, vth, vreset, nref, False)
        v[i] = vn
        ie[i] = a
        ii[i] = b
        ref[i] = r
        in_e[i] = z
        in_i[i] = z
        fired[i] = s
        n_fired += s
    return n_fired


@jit
def update_curr_het(lo, hi, v, ie, ii, ref, in_e, in_i, fired, het):
    """As :func:`update_curr`, with per-neuron parameters ``het[k, i]``."""
    z = in_e.dtype.type(0)
    n_fired = 0
    v, ie, ii, ref, in_e, in_i = v[lo:hi], ie[lo:hi], ii[lo:hi], ref[lo:hi], in_e[lo:hi], in_i[lo:hi]
    het = het[:, lo:hi]
    for i in range(v.shape[0]):
        vn, a, b, r, s = _curr_one(v[i], ie[i], ii[i], ref[i], in_e[i], in_i[i],
                                   het[P22, i], het[P21E, i], het[P21I, i], het[P11E, i],
                                   het[P11I, i], het[VCONST, i], het[VTH, i],
                                   het[VRESET, i], np.int16(het[NREF, i]), het[INTEG, i] != 0)
        v[i] = vn
        ie[i] = a
        ii[i] = b
        ref[i] = r
        in_e[i] = z
        in_i[i] = z
        fired[i] = s
        n_fired += s
    return n_fired


@jit
def update_cond(lo, hi, v, ie, ii, ref, in_e, in_i, fired, par):
    """Advance conductance-based neurons ``lo:hi`` (homogeneous parameters) one step."""
    gl = par[GL]
    hcm = par[HCM]
    fe = par[FE]
    fi = par[FI]
    p11e = par[P11E]
    p11i = par[P11I]
    ee = par[EE]
    ei = par[EI]
    drive = par[DRIVE]
    vth = par[VTH]
    vreset = par[VRESET]
    nref = np.int16(par[NREF])
    z = in_e.dtype.type(0)
    n_fired = 0
    v, ie, ii, ref, in_e, in_i = v[lo:hi], ie[lo:hi], ii[lo:hi], ref[lo:hi], in_e[lo:hi], in_i[lo:hi]
    integ = par[INTEG] != 0
    for i in range(v.shape[0]):
        if integ:  # constant per branch, as in update_curr
            vn, a, b, r, s = _cond_one(v[i], ie[i], ii[i], ref[i], in_e[i], in_i[i],
                                       gl, hcm, fe, fi, p11e, p11i, ee, ei, drive,
                                       vth, vreset, nref, True)
        else:
            vn, a, b, r, s = _cond_one(v[i], ie[i], ii[i], ref[i], in_e[i], in_i[i],
                                       gl, hcm, fe, fi, p11e, p11i, ee, ei, drive,
                                       vth, vreset, nref, False)
        v[i] = vn
        ie[i] = a
        ii[i] = b
        ref[i] = r
        in_e[i] = z
        in_i[i] = z
        fired[i] = s
        n_fired += s
    return n_fired


@jit
def update_cond_het(lo, hi, v, ie, ii, ref, in_e, in_i, fired, het):
    """As :func:`update_cond`, with per-neuron parameters ``het[k, i]``."""
    z = in_e.dtype.type(0)
    n_fired = 0
    v, ie, ii, ref, in_e, in_i = v[lo:hi], ie[lo:hi], ii[lo:hi], ref[lo:hi], in_e[lo:hi], in_i[lo:hi]
    het = het[:, lo:hi]
    for i in range(v.shape[0]):
        vn, a, b, r, s = _cond_one(v[i], ie[i], ii[i], ref[i], in_e[i], in_i[i],
                                   het[GL, i], het[HCM, i], het[FE, i], het[FI, i],
                                   het[P11E, i], het[P11I, i], het[EE, i], het[EI, i],
                                   het[DRIVE, i], het[VTH, i], het[VRESET, i],
                                   np.int16(het[NREF, i]), het[INTEG, i] != 0)
        v[i] = vn
        ie[i] = a
        ii[i] = b
        ref[i] = r
        in_e[i] = z
        in_i[i] = z
        fired[i] = s
        n_fired += s
    return n_fired
