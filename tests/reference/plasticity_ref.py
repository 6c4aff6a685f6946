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
    optionally ``first_post`` (sPyNNaker's nearest pair: a postsynaptic spike that is not
    the first since the latest arrival does not potentiate) and ``A0m``, a constant
    depression at every arrival applied after the trace term (Vogels et al. 2011, Science
    334:1569, in NEST's order).
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
                post = np.asarray(post_steps[j])
                if not p.get("same_step", True):  # no pair with a post spike of the pre's step
                    post = post[post < s - d]
                o1 = _trace(post, s, p["t3"], near, strict=True)
                r2 = _trace(arr, s, p["t2"], near, strict=True)
                mm = 1.0 if m_minus is None else m_minus[s, k]
                w[k] = _apply(w[k], p["sgn_pre"] * o1 * (p["A2m"] + p["A3m"] * r2) * mm, p)
                if p.get("A0m", 0.0) != 0.0:  # Vogels 2011: constant depression, bounded again
                    w[k] = _apply(w[k], -p["A0m"] * mm, p)
            if s in set(post_steps[j]):  # a postsynaptic spike now: potentiation
                arr = np.asarray(pre_steps[i]) + d
                r1 = _trace(arr, s, p["t1"], near)
                before = np.asarray(post_steps[j])[np.asarray(post_steps[j]) < s]
                if p.get("first_post") and before.size and arr[arr <= s].size and \
                        before.max() > arr[arr <= s].max():
                    r1 = 0.0  # sPyNNaker's nearest pair: not the first post since the pre
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


def stdp_weights_dendritic(pre_steps, post_steps, syn_pre, syn_post, d, w0, p, n_steps):
    """Reported weights after every step, shape ``(n_steps, n_syn)``, of STDP with a
    dendritic delay of ``d`` steps (one per synapse, or one for all), written as NEST's
    ``stdp_synapse::send`` does it (an independent formulation of the kernel's emission
    frame): nothing happens between
    presynaptic spikes; at each emission ``u`` the postsynaptic spikes ``p`` with
    ``t_last < p + d <= u`` are paired with the presynaptic spikes up to ``t_last``
    (the previous emission) at ``p + d``, then ``u`` is paired with the postsynaptic
    spikes ``p + d < u``. The result is what the synapse reports from step ``u`` on.
    ``p`` as for :func:`stdp_weights`.
    """
    w = np.array(w0, dtype=np.float64)
    out = np.zeros((n_steps, w.shape[0]))
    near = p["nearest"]
    dk = np.broadcast_to(np.asarray(d, np.int64), w.shape)
    for k in range(w.shape[0]):
        d = int(dk[k])
        pre = np.sort(np.asarray(pre_steps[syn_pre[k]]))
        post = np.sort(np.asarray(post_steps[syn_post[k]]))
        t_last = None
        for u in pre:
            if u >= n_steps:
                break
            window = post[(post > t_last - d) & (post <= u - d)] if t_last is not None else []
            for q in window:  # facilitation, in time order (none before the first spike)
                r1 = _trace(pre[pre <= t_last], q + d, p["t1"], near)
                if p.get("first_post") and (post[post < q] > t_last - d).any():
                    r1 = 0.0  # sPyNNaker's nearest pair: not the first post since the pre
                o2 = _trace(post, q, p["t4"], near, strict=True)
                w[k] = _apply(w[k], p["sgn_post"] * r1 * (p["A2p"] + p["A3p"] * o2), p)
            o1 = _trace(post, u - d, p["t3"], near, strict=True)
            r2 = _trace(pre, u, p["t2"], near, strict=True)
            w[k] = _apply(w[k], p["sgn_pre"] * o1 * (p["A2m"] + p["A3m"] * r2), p)
            if p.get("A0m", 0.0) != 0.0:
                w[k] = _apply(w[k], -p["A0m"], p)
            out[u:, k] = w[k]
            t_last = u
        if t_last is None:
            out[:, k] = w[k]
        else:
            out[:pre[0], k] = w0[k]
    return out
