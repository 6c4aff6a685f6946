"""NumPy twins of :mod:`spikesim.kernels.plasticity`, from whole spike trains.

Obviously correct and slow: traces are recomputed at every event as explicit
sums over *all* earlier spikes (all-to-all) or from the latest one (nearest),
with no histories, tables or lazy state. Event order per step ``s`` (see the
kernel's docstring): arrivals of step ``s`` (depression, with postsynaptic
spikes of steps ``< s``), then postsynaptic spikes of step ``s``
(potentiation, with arrivals of steps ``<= s``).
"""
import numpy as np


def _trace(times, t, tau_steps, nearest, strict=False):
    """Trace at step ``t`` of the spikes ``times`` (steps) ``<= t`` (``< t`` if strict)."""
    times = np.asarray(times)
    past = times[times < t] if strict else times[times <= t]
    if past.size == 0:
        return 0.0
    if nearest:
        return float(np.exp(-(t - past.max()) / tau_steps))
    return float(np.sum(np.exp(-(t - past) / tau_steps)))


def _apply(w, a, p):
    if p["wdep"] == "additive":
        w = w + a * p["scale"]
    elif a >= 0:
        w = w + a * (p["w_max"] - w)
    else:
        w = w + a * (w - p["w_min"])
    return min(max(w, p["w_min"]), p["w_max"])


def stdp_weights(pre_steps, post_steps, syn_pre, syn_post, syn_delay, w0, p, n_steps,
                 m_plus=None, m_minus=None):
    """Weights after every step, shape ``(n_steps, n_syn)``.

    ``pre_steps[i]`` / ``post_steps[j]``: emission steps of each neuron.
    ``p``: dict with taus in steps (``t1, t2, t3, t4`` for r1, r2, o1, o2),
    ``A2p, A3p, A2m, A3m, w_min, w_max, scale, wdep, nearest, sgn_post, sgn_pre`` and
    optionally ``A0m``, a constant depression at every arrival applied after the trace
    term (Vogels et al. 2011, Science 334:1569, in NEST's order).
    ``m_plus[s]`` (or ``m_plus[s, k]``) / ``m_minus[s, k]``: modulator factors in
    force at step ``s`` (default 1).
    """
    w = np.array(w0, dtype=np.float64)
    out = np.zeros((n_steps, w.shape[0]))
    near = p["nearest"]
    for s in range(n_steps):
        for k in range(w.shape[0]):
            i, j, d = syn_pre[k], syn_post[k], syn_delay[k]
            if s - d in set(pre_steps[i]):  # an arrival now: depression
                arr = np.asarray(pre_steps[i]) + d
                o1 = _trace(post_steps[j], s, p["t3"], near, strict=True)
                r2 = _trace(arr, s, p["t2"], near, strict=True)
                mm = 1.0 if m_minus is None else m_minus[s, k]
                w[k] = _apply(w[k], p["sgn_pre"] * o1 * (p["A2m"] + p["A3m"] * r2) * mm, p)
                if p.get("A0m", 0.0) != 0.0:  # Vogels 2011: constant depression, bounded again
                    w[k] = _apply(w[k], -p["A0m"] * mm, p)
            if s in set(post_steps[j]):  # a postsynaptic spike now: potentiation
                arr = np.asarray(pre_steps[i]) + d
                r1 = _trace(arr, s, p["t1"], near)
                o2 = _trace(post_steps[j], s, p["t4"], near, strict=True)
                mp = 1.0 if m_plus is None else (m_plus[s, k] if np.ndim(m_plus) == 2 else m_plus[s])
                w[k] = _apply(w[k], p["sgn_post"] * r1 * (p["A2p"] + p["A3p"] * o2) * mp, p)
        out[s] = w
    return out


def nalsm_astrocyte(counts, dt_over_tau, w_A, b_A, g, n_steps):
    """``A`` after every step of one NALSM astrocyte; ``counts[s]`` = signed spike count of step s."""
    A, out = b_A, np.zeros(n_steps)
    for s in range(n_steps):
        A = A + dt_over_tau * (w_A * counts[s] + b_A - A)
        A, w_A, b_A = A * g, w_A * g, b_A * g
        out[s] = A
    return out
