"""NumPy twins of :mod:`spikesim.kernels.neurons`: whole-array expressions, no Numba."""
import numpy as np

from spikesim.kernels.neurons import (DRIVE, EE, EI, FE, FI, GL, HCM, INTEG, NREF, P11E, P11I,
                                      P21E, P21I, P22, VCONST, VRESET, VTH)


def _spike_and_reset(v_old, v_new, ref, vth, vreset, nref, integ):
    """Refractory neurons hold ``v`` (integ 0) or integrate but cannot fire (integ 1)."""
    refractory = ref > 0
    integ = integ != 0
    v_new = np.where(refractory & ~integ, v_old, v_new)
    ref = np.where(refractory, ref - 1, ref)
    spike = (v_new >= vth) & ~(refractory & integ)
    v_new = np.where(spike, vreset, v_new)
    ref = np.where(spike, nref, ref)
    return v_new, ref, spike


def update_curr(v, ie, ii, ref, in_e, in_i, cols):
    """One step of IF_curr_exp neurons; ``cols`` (NPAR,) or (NPAR, n). Returns new arrays + spikes."""
    c = cols if cols.ndim == 2 else cols[:, None]
    vn = c[P22] * v + c[P21E] * ie + c[P21I] * ii + c[VCONST]
    vn, ref, spike = _spike_and_reset(v, vn, ref, c[VTH], c[VRESET], c[NREF].astype(np.int16),
                                      c[INTEG])
    return vn, c[P11E] * ie + in_e, c[P11I] * ii + in_i, ref, spike


def update_cond(v, ge, gi, ref, in_e, in_i, cols):
    """One step of IF_cond_exp neurons (exponential integrator with step-mean conductance)."""
    c = cols if cols.ndim == 2 else cols[:, None]
    gem, gim = c[FE] * ge, c[FI] * gi
    gt = c[GL] + gem + gim
    vinf = (c[DRIVE] + gem * c[EE] + gim * c[EI]) / gt
    vn = vinf + (v - vinf) * np.exp(-gt * c[HCM])
    vn, ref, spike = _spike_and_reset(v, vn, ref, c[VTH], c[VRESET], c[NREF].astype(np.int16),
                                      c[INTEG])
    return vn, c[P11E] * ge + in_e, c[P11I] * gi + in_i, ref, spike
