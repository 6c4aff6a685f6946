"""NumPy twin of dopamine-modulated pair STDP for one synapse.

Izhikevich (2007), Cereb. Cortex 17:2443, "Solving the distal reward problem through
linkage of STDP and dopamine signaling", as sPyNNaker implements it
(``synapse_dynamics_stdp_izhikevich_neuromodulation.c``, ``post_events_with_da.h``,
``timing_pair_impl.h``, ``weight_additive_one_term_impl.h`` /
``weight_multiplicative_impl.h``): the eligibility trace ``c`` is the STDP "weight",
``dw/dt = c(t) D(t)`` with ``D`` the postsynaptic neuron's dopamine trace, and the synapse
is brought up to date only at presynaptic spikes.

Obviously correct and slow: float64, exact exponentials, no fixed point, tables or bounded
history. All post spikes and dopamine events (steps > 0; sPyNNaker's placeholder at time 0
hides the rest) are merged into one time-ordered list in the synapse's frame, and the
traces r, o and D are recomputed at every use as explicit sums over all earlier events.
"""
import numpy as np


def _merged_events(post, dopamine):
    """Events at steps > 0 in processing order: arrays (step, is_dopamine, concentration).

    At one step, post spikes come before dopamine events; dopamine events keep their order.
    """
    ev = [(int(p), 0, i, 0.0) for i, p in enumerate(post) if p > 0]
    ev += [(int(q), 1, i, float(x)) for i, (q, x) in enumerate(dopamine) if q > 0]
    ev.sort()
    return (np.array([e[0] for e in ev], dtype=np.int64),
            np.array([e[1] for e in ev], dtype=bool),
            np.array([e[3] for e in ev], dtype=np.float64))


def neuromodulated_pair_stdp(pre, post, dopamine, delay, dt, *, tau_plus, tau_minus, A_plus,
                             A_minus, wd_min, wd_max, multiplicative, tau_c, tau_d, w_min,
                             w_max, w0=0.0, vogels_alpha=None):
    """Weight and eligibility of one dopamine-modulated synapse, updated at each pre spike.

    Parameters
    ----------
    pre, post : sorted int steps of the presynaptic emissions / postsynaptic spikes.
    dopamine : list of ``(step, concentration)``, positive = reward, negative = punishment.
    delay : int steps (>= 1); post spikes and dopamine of step ``e`` reach the synapse at
        ``e + delay``, a pre spike of step ``t`` is at ``t``.
    dt : ms per step; ``tau_*`` in ms.
    tau_plus, tau_minus, A_plus, A_minus : all-to-all pair rule acting on ``c``.
    wd_min, wd_max, multiplicative : bounds of ``c`` and its weight dependence (additive:
        ``c`` clipped after each pre spike; multiplicative: soft bounds, no clip).
    tau_c, tau_d : eligibility and dopamine time constants.
    w_min, w_max, w0 : bounds and initial value of the weight.
    vogels_alpha : None, or sPyNNaker's Vogels 2011 rule on ``c`` (its
        ``timing_vogels_2011_impl.h``): the pre spike adds ``A_plus (o - alpha)`` with the post
        trace ``o`` decayed with ``tau_minus`` (even at zero lag), ``A_minus`` is unused.

    Returns
    -------
    (w_after_pre, w_final, c_final) : the weight delivered by each pre spike (array), and
    the weight and eligibility after the last pre spike.

    Examples
    --------
    sPyNNaker's integration test (pairing at 4 ms, reward 0.1 seen at 1601):

    >>> w = neuromodulated_pair_stdp([1500, 2400], [1503], [(1600, 0.1)], 1, 1.0,
    ...     tau_plus=10, tau_minus=12, A_plus=1, A_minus=1, wd_min=0, wd_max=20,
    ...     multiplicative=False, tau_c=1000, tau_d=200, w_min=0, w_max=20)[1]
    >>> round(w, 4)
    10.0553
    """
    E, is_da, conc = _merged_events(post, dopamine)
    pre = np.asarray(pre, dtype=np.int64)
    lam = 1.0 / tau_c + 1.0 / tau_d  # decay rate (1/ms) of the product c(t) D(t)

    def trace(steps, amp, n, x, tau):  # sum_k amp_k exp(-(x - steps_k) dt / tau), k < n
        return float(np.sum(amp[:n] * np.exp(-(x - steps[:n]) * dt / tau)))

    ones, post_mask = np.ones(pre.shape[0]), (~is_da).astype(np.float64)
    c, w, delivered = 0.0, float(w0), []

    def advance(w, c, Dc, span):  # integrate dw/dt = c D over span steps; decay c
        s = span * dt
        w += c * Dc * -np.expm1(-lam * s) / lam  # int_0^s c e^{-u/tau_c} Dc e^{-u/tau_d} du
        return float(w), float(c * np.exp(-s / tau_c))

    for n, t in enumerate(pre):
        tl = int(pre[n - 1]) if n else 0
        lo = int(np.searchsorted(E, tl - delay, side="right"))  # events seen by tl
        hi = int(np.searchsorted(E, t - delay, side="right"))   # events seen by t
        tc, Dc = tl, trace(E, conc, lo, tl - delay, tau_d)
        for k in range(lo, hi):
            te = int(E[k]) + delay
            w, c = advance(w, c, Dc, te - tc)
            if not is_da[k]:  # potentiation with all earlier pre spikes, seen at te
                a = A_plus * trace(pre, ones, n, te, tau_plus)
                c += a * (wd_max - c) if multiplicative else a
            Dc, tc = trace(E, conc, k + 1, int(E[k]), tau_d), te
        if hi > 0:  # some event in (0, t - delay]: catch up to t, then depression
            w, c = advance(w, c, Dc, t - tc)
            if vogels_alpha is not None:  # all post spikes so far, seen at t
                c += A_plus * (trace(E, post_mask, hi, t - delay, tau_minus) - vogels_alpha)
            elif t - delay > E[hi - 1]:
                b = A_minus * trace(E, post_mask, hi, t - delay, tau_minus)
                c -= b * (c - wd_min) if multiplicative else b
        w = min(max(w, w_min), w_max)
        if not multiplicative:
            c = min(max(c, wd_min), wd_max)
        delivered.append(w)
    return np.array(delivered, dtype=np.float64), w, c


if __name__ == "__main__":
    K = 1.0 / -(1.0 / 1000 + 1.0 / 200)
    expected = 0.1 * np.exp(-0.4) * np.exp(-0.097) * K * (np.exp(-799 / 200) * np.exp(-799 / 1000) - 1)
    _, w, c = neuromodulated_pair_stdp([1500, 2400], [1503], [(1600, 0.1)], 1, 1.0,
                                       tau_plus=10, tau_minus=12, A_plus=1, A_minus=1,
                                       wd_min=0, wd_max=20, multiplicative=False,
                                       tau_c=1000, tau_d=200, w_min=0, w_max=20)
    print(f"w_final={w!r} expected={float(expected)!r} |diff|={abs(w - expected):.3e} c_final={c!r}")
    assert abs(w - expected) < 1e-9
