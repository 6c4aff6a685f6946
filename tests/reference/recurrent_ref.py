"""NumPy twin of sPyNNaker's ``RecurrentRule`` for one synapse.

sPyNNaker's ``timing_dependence_recurrent.py`` (parameters ``accumulator_depression + 1``,
``accumulator_potentiation - 1`` and the exponential look-up tables ``uint16(-m ln(1 -
k/2048))``), ``timing_recurrent_dual_fsm_impl.h`` (``dual_fsm=True``: windows drawn per
presynaptic spike and per postsynaptic spike) and ``timing_recurrent_pre_stochastic_impl.h``
with ``timing_recurrent_common.h`` (``dual_fsm=False``: a three-state machine per synapse
with one window), driven by ``synapse_dynamics_stdp_mad_impl.c`` (the synapse is brought up
to date at each presynaptic spike; postsynaptic spikes reach it after the dendritic delay),
as :mod:`spikesim.kernels.recurrent` states them in its module docstring.

Obviously correct and slow: plain Python integers and floats, no histories, rings or lazy
windows. All post spikes (steps > 0; sPyNNaker's placeholder at time 0 hides the rest) and
pre spikes are merged into one list of synapse-time events, sorted by time with a post
event before a pre event of the same time, and walked once; the state carries from event
to event. Post events later than the last pre spike are dropped: the lazy synapse has not
seen them yet. The random parts (``uniform_np``, ``draw_window_np``) are the counter-based
draws of :func:`spikesim.kernels.synapses.uniform` and
:func:`spikesim.kernels.lazy_stdp.draw_window`, written with Python integers.
"""
import math

import numpy as np

MASK64 = (1 << 64) - 1
IDLE, PRE_OPEN, POST_OPEN = "idle", "pre-open", "post-open"


def uniform_np(seed, k, t):
    """splitmix64's finaliser of ``(seed, k, t)`` as a float in [0, 1).

    Parameters
    ----------
    seed, k, t : int
        Taken modulo 2**64 (as ``np.uint64`` does with a negative value).

    Returns
    -------
    float
        The top 53 bits of the finalised word, divided by 2**53.
    """
    z = (int(seed) & MASK64) \
        ^ (((int(k) & MASK64) * 0x9E3779B97F4A7C15) & MASK64) \
        ^ (((int(t) & MASK64) * 0xC2B2AE3D27D4EB4F) & MASK64)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    z = z ^ (z >> 31)
    return float(z >> 11) / 9007199254740992.0  # exact: z >> 11 < 2**53


def draw_window_np(seed, k, t, mean):
    """A window length in steps as sPyNNaker draws it, counter-based on ``(seed, k, t)``.

    ``u`` is cut to one of 2048 equally likely levels (the 11-bit index into sPyNNaker's
    table) and the length is ``floor(-mean ln(1 - u))``.

    Parameters
    ----------
    seed, k, t : int
        Counter of the draw (see :func:`uniform_np`).
    mean : float
        Mean of the exponential distribution, in steps.

    Returns
    -------
    float
        A whole number of steps, >= 0.
    """
    u = math.floor(uniform_np(seed, k, t) * 2048.0) / 2048.0
    return float(math.floor(-mean * math.log(1.0 - u)))


def _events(pre, post, delay):
    """The synapse's events in processing order: ``(time, is_pre, step)``.

    A post spike of step ``e > 0`` is at ``e + delay``, a pre spike of step ``t`` at ``t``;
    at one time the post event comes first. Post events after the last pre spike are left
    out (not yet seen by the lazily updated synapse).
    """
    pre = [int(t) for t in pre]
    post = [int(e) for e in post]
    assert all(a < b for a, b in zip(pre, pre[1:])), "pre steps must be strictly increasing"
    assert all(a < b for a, b in zip(post, post[1:])), "post steps must be strictly increasing"
    assert not pre or pre[0] >= 0, "pre steps must be >= 0"
    end = pre[-1] if pre else -1
    ev = [(t, True, t) for t in pre]
    ev += [(e + delay, False, e) for e in post if e > 0 and e + delay <= end]
    ev.sort(key=lambda x: (x[0], x[1]))  # False < True: post before pre at one time
    return ev


def recurrent_rule(pre, post, delay, *, acc_dep, acc_pot, dual_fsm, A_plus, A_minus, wd_min,
                   wd_max, multiplicative, w0, pre_window, post_window, syn_pre_window,
                   syn_post_window):
    """Weight and accumulator of one ``RecurrentRule`` synapse, updated at each pre spike.

    Parameters
    ----------
    pre, post : sorted int steps of the presynaptic emissions (>= 0) and of the postsynaptic
        spikes (only steps > 0 are ever seen).
    delay : int steps (>= 1), dendritic; a post spike of step ``e`` is at ``e + delay``.
    acc_dep, acc_pot : int
        sPyNNaker's ``accumulator_depression`` (<= -1) and ``accumulator_potentiation``
        (>= 1). A step up is ``a += 1`` unless ``a >= acc_pot - 1``, then ``a = 0`` and one
        potentiation; a step down is ``a -= 1`` unless ``a <= acc_dep + 1``, then ``a = 0``
        and one depression.
    dual_fsm : bool
        True: windows per spike; False: the per-synapse state machine.
    A_plus, A_minus : float
        Scaled amplitudes: additive ``w += A_plus`` / ``w -= A_minus``; multiplicative
        ``w += A_plus (wd_max - w)`` / ``w -= A_minus (w - wd_min)``.
    wd_min, wd_max, multiplicative : weight dependence; additive clips ``w`` to
        ``[wd_min, wd_max]`` after each pre spike, multiplicative does not clip.
    w0 : float
        Initial weight.
    pre_window, post_window : callables, ``dual_fsm=True``
        ``pre_window(t)``: window (steps) drawn at the pre spike of step ``t``;
        ``post_window(e)``: window drawn at the post spike of step ``e``.
    syn_pre_window, syn_post_window : callables, ``dual_fsm=False``
        The synapse's draws: ``syn_pre_window(t)`` when a pre spike of step ``t`` opens (or
        re-draws) the window, ``syn_post_window(te)`` when a post spike seen at synapse time
        ``te = e + delay`` does.

    Returns
    -------
    (w_after_pre, w_final, a_final) : the weight after each pre spike (array, the weight
    that spike delivers), the weight and the accumulator after the last pre spike.

    Notes
    -----
    Time since the last pre spike is ``te - tl`` (``tl`` the previous pre spike, 0 before
    the first). ``dual_fsm=True``: a post event with ``0 < te - tl < pre_window(tl)`` (0 if
    there was no pre spike yet) steps up; a pre spike at ``t`` with
    ``t - (e_last + delay) < post_window(e_last)``, ``e_last`` the latest post spike seen,
    steps down. ``dual_fsm=False``: time since the last post is ``e - e_prev`` between two
    post events and ``t - (e_last + delay)`` at a pre spike; a spike with the machine idle
    opens its side's window; a spike of the open side closes it if inside, else re-draws
    it; a spike of the other side at the same time only closes it, inside it steps (post:
    up, pre: down) and closes it, after it opens its own side's window.

    Examples
    --------
    A pre spike at 10 with a long window, a post spike at 12 seen at 13: one step up.

    >>> recurrent_rule([10, 20], [12], 1, acc_dep=-6, acc_pot=6, dual_fsm=True, A_plus=0.1,
    ...     A_minus=0.1, wd_min=0.0, wd_max=1.0, multiplicative=False, w0=0.5,
    ...     pre_window=lambda t: 100.0, post_window=lambda e: 0.0,
    ...     syn_pre_window=None, syn_post_window=None)[2]
    1
    """
    a, w = 0, float(w0)
    delivered = []

    def step(a, w, up):
        if up:
            if a < acc_pot - 1:
                return a + 1, w
            return 0, w + (A_plus * (wd_max - w) if multiplicative else A_plus)
        if a > acc_dep + 1:
            return a - 1, w
        return 0, w - (A_minus * (w - wd_min) if multiplicative else A_minus)

    tl, rl = 0, 0.0        # previous pre spike (0: none) and, dual FSM, its window
    e_last = None          # latest post spike seen (its step), None: none yet
    state, win = IDLE, 0.0  # per-synapse machine (dual_fsm=False)
    for time, is_pre, spike_step in _events(pre, post, delay):
        if dual_fsm and not is_pre:
            if 0 < time - tl < rl:
                a, w = step(a, w, True)
        elif dual_fsm:
            if e_last is not None and time - (e_last + delay) < post_window(e_last):
                a, w = step(a, w, False)
        elif not is_pre:  # post event, pre-stochastic machine
            if state == IDLE:
                state, win = POST_OPEN, syn_post_window(time)
            elif state == POST_OPEN:
                if spike_step - e_last < win:
                    state = IDLE
                else:
                    win = syn_post_window(time)
            elif time - tl < win:  # PRE_OPEN (a post seen here is later than tl)
                a, w = step(a, w, True)
                state = IDLE
            else:
                state, win = POST_OPEN, syn_post_window(time)
        elif e_last is None:  # pre event before any post spike: sPyNNaker applies nothing
            pass
        else:  # pre event, pre-stochastic machine
            if state == IDLE:
                state, win = PRE_OPEN, syn_pre_window(time)
            elif state == PRE_OPEN:
                if time - tl < win:
                    state = IDLE
                else:
                    win = syn_pre_window(time)
            elif time - (e_last + delay) < win:  # POST_OPEN, even at the same time
                a, w = step(a, w, False)
                state = IDLE
            else:
                state, win = PRE_OPEN, syn_pre_window(time)
        if is_pre:
            if not multiplicative:
                w = min(max(w, wd_min), wd_max)
            delivered.append(w)
            tl = time
            if dual_fsm:
                rl = pre_window(time)
        else:
            e_last = spike_step
    return np.array(delivered, dtype=np.float64), w, a


if __name__ == "__main__":
    from spikesim.kernels.lazy_stdp import draw_window
    from spikesim.kernels.synapses import uniform

    rng = np.random.default_rng(20240611)
    n, worst = 400, 0
    for i in range(n):
        seed = int(rng.integers(0, 2**63, dtype=np.uint64)) * 2 + int(i % 2)
        k, t = int(rng.integers(0, 2**20)), int(rng.integers(0, 2**24))
        mean = float(rng.uniform(0.5, 500.0))
        u_nb = uniform(np.uint64(seed), k, t)
        w_nb = draw_window(np.uint64(seed), k, t, mean)
        assert uniform_np(seed, k, t) == u_nb, (seed, k, t)
        assert draw_window_np(seed, k, t, mean) == w_nb, (seed, k, t, mean)
    print(f"uniform_np / draw_window_np == Numba on {n} random (seed, k, t, mean)")

    seed, d, q, s, row = 0x1234ABCD5678EF01, 3, 0, 0, 0
    pre = np.sort(rng.choice(np.arange(0, 3000), 120, replace=False))
    post = np.sort(rng.choice(np.arange(-5, 3000), 150, replace=False))
    windows = dict(
        pre_window=lambda t: draw_window_np(seed ^ 0x9E37, row, t, 35.0),
        post_window=lambda e: draw_window_np(seed ^ 0x5EED05, s, e, 35.0),
        syn_pre_window=lambda t: draw_window_np(seed ^ 0x0F5D, q, t, 35.0),
        syn_post_window=lambda te: draw_window_np(seed ^ 0x0F5E, q, te, 35.0))
    for dual in (True, False):
        for mult in (False, True):
            wp, w, a = recurrent_rule(pre, post, d, acc_dep=-3, acc_pot=3, dual_fsm=dual,
                                      A_plus=0.05, A_minus=0.04, wd_min=0.0, wd_max=1.0,
                                      multiplicative=mult, w0=0.5, **windows)
            dw = np.diff(np.concatenate([[0.5], wp]))
            print(f"dual_fsm={dual!s:5} multiplicative={mult!s:5}: {len(wp)} pre spikes, "
                  f"{(dw > 0).sum()} rises, {(dw < 0).sum()} falls, "
                  f"w_final={w:.6f} a_final={a}")
