"""Exact propagators of linear subthreshold dynamics (NumPy; computed once per parameter set)."""
import numpy as np


def p21(tau_m, tau_s, cm, h):
    """Exact propagator from an exponential synaptic current to the membrane (NEST iaf_psc_exp).

    ``tau_s tau_m / (cm (tau_m - tau_s)) (e^{-h/tau_m} - e^{-h/tau_s})``
    (Rotter & Diesmann 1999). For ``|h (1/tau_s - 1/tau_m)| < 1`` it is
    written with ``expm1`` so that ``tau_s -> tau_m`` tends to
    ``h/cm e^{-h/tau_m}`` without cancellation.
    """
    tau_m, tau_s, cm = (np.asarray(x, dtype=np.float64) for x in (tau_m, tau_s, cm))
    a = 1.0 / tau_s - 1.0 / tau_m
    ha = h * a
    safe_a = np.where(a == 0, 1.0, a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        near = np.where(np.abs(ha) < 1e-12, h, -np.expm1(-ha) / safe_a) * np.exp(-h / tau_m) / cm
        far = (np.exp(-h / tau_m) - np.exp(-h / tau_s)) / (safe_a * cm)
    return np.where(np.abs(ha) < 1.0, near, far)


def mean_decay(tau, h):
    """Mean of ``exp(-s/tau)`` over ``s`` in ``[0, h]``: ``tau/h (1 - exp(-h/tau))`` (-> 1 as h/tau -> 0)."""
    x = h / np.asarray(tau, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x < 1e-12, 1.0, -np.expm1(-x) / np.where(x == 0, 1.0, x))


def stack(cols) -> np.ndarray:
    """Stack scalar or per-neuron columns into ``(k,)`` or ``(k, n)`` float64."""
    arrs = [np.asarray(c, dtype=np.float64) for c in cols]
    n = max((a.shape[0] for a in arrs if a.ndim == 1), default=None)
    if n is None:
        return np.array(arrs, dtype=np.float64)
    return np.stack([np.broadcast_to(a, (n,)) for a in arrs])


def check_reset_below_threshold(name: str, p: dict) -> None:
    """Refuse ``v_reset >= v_thresh`` (any neuron), naming the values."""
    vr, vt = np.broadcast_arrays(np.atleast_1d(p["v_reset"]), np.atleast_1d(p["v_thresh"]))
    bad = np.flatnonzero(vr >= vt)
    if bad.size:
        raise ValueError(f"{name}.v_reset must be below v_thresh, got v_reset="
                         f"{float(vr[bad[0]])!r} mV, v_thresh={float(vt[bad[0]])!r} mV")
