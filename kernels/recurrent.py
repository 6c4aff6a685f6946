"""sPyNNaker's ``RecurrentRule``: STDP by accumulated coincidences in random windows.

Source: sPyNNaker's ``timing_dependence_recurrent.py`` with
``timing_recurrent_dual_fsm_impl.h`` (``dual_fsm=True``) and
``timing_recurrent_pre_stochastic_impl.h`` + ``timing_recurrent_common.h``
(``dual_fsm=False``); the rule behind sPyNNaker's associative-memory examples. Every spike
draws a window length ``L = floor(-m ln(1 - u))`` steps (exponential with mean ``m`` =
``mean_pre_window`` or ``mean_post_window`` in steps, ``u`` on 2048 levels as sPyNNaker's
table; :func:`.lazy_stdp.draw_window`). Each synapse keeps an integer accumulator ``a``;
a *step up* is ``a += 1`` unless ``a >= accumulator_potentiation - 1``, in which case ``a = 0``
and the weight is potentiated once (additive ``w += A_+``, multiplicative ``w += A_+ (w_max -
w)``); a *step down* is ``a -= 1`` unless ``a <= accumulator_depression + 1``, then ``a = 0`` and
one depression (``w -= A_-`` or ``w -= A_- (w - w_min)``). Weights are clipped to the weight
dependence's bounds (additive) when the update ends.

Times are synapse times (a postsynaptic spike of step ``e`` is seen at ``e + d``, dendritic
delay ``d``), and the synapse is updated lazily at its presynaptic spikes
(:mod:`.lazy_stdp`). sPyNNaker compares a postsynaptic spike's delayed time with the
previous one's undelayed time; here both are delayed.

``dual_fsm=True``: each presynaptic spike (per row) and each postsynaptic spike (per neuron)
opens its own window. A postsynaptic spike ``0 < e + d - t_l < L_pre(t_l)`` after the last
presynaptic spike steps up; a presynaptic spike at ``t`` with ``t - (e + d) < L_post(e)`` after
the latest postsynaptic spike steps down.

``dual_fsm=False`` (pre-stochastic; ``timing_recurrent_common.h`` as sPyNNaker has it now):
each synapse is a state machine (idle, pre window open, post window open) with one window,
drawn per synapse when it opens. Idle: a spike opens its window. A window of the same side
is closed by a spike inside it, else re-drawn. A spike of the other side inside the window
steps (post in pre window: up; pre in post window, also at the same time: down) and closes
it; after it, it opens that side's window. A presynaptic spike before the postsynaptic
neuron's first spike changes nothing (sPyNNaker applies a presynaptic spike only once the
history holds an event).
"""
import numpy as np

from ._config import jit
from .lazy_stdp import (HISTORY, KIND_DUAL_FSM, P_KIND, P_A_MINUS, P_A_PLUS, P_ACC_DEP, P_ACC_POT,
                        P_MEAN_POST, P_MEAN_PRE, P_MULT, P_WD_MAX, P_WD_MIN, draw_window)

IDLE, PRE_OPEN, POST_OPEN = 0, 1, 2
_POST_DRAW, _PRE_DRAW = np.uint64(0x0F5E), np.uint64(0x0F5D)


@jit
def _step(a, w, up, p):
    """Accumulator ``a`` and weight ``w`` after one step up (``up``) or down."""
    mult = p[P_MULT] != 0.0
    if up:
        if a < p[P_ACC_POT]:
            return a + 1.0, w
        return 0.0, w + (p[P_A_PLUS] * (p[P_WD_MAX] - w) if mult else p[P_A_PLUS])
    if a > p[P_ACC_DEP]:
        return a - 1.0, w
    return 0.0, w - (p[P_A_MINUS] * (w - p[P_WD_MIN]) if mult else p[P_A_MINUS])


@jit
def update_recurrent(ls, q, s, d, t, tl, rl, lo, hi, prev, first, weight, p):
    """Synapse ``q`` (target history slot ``s``, delay ``d``) at a presynaptic spike in step
    ``t`` (previous ``tl``, its window ``rl``), with the window of :func:`.lazy_stdp.window`."""
    w = weight[ls.syn_w[q]]
    a = ls.c[q]
    seed = ls.seed[0]
    if p[P_KIND] == KIND_DUAL_FSM:
        for e in range(lo, hi):
            since = ls.h_t[s, e % HISTORY] + d - tl
            if 0 < since < rl:
                a, w = _step(a, w, True, p)
        last = hi - 1 if hi > lo else prev
        if last >= first and t - (ls.h_t[s, last % HISTORY] + d) < ls.h_o[s, last % HISTORY]:
            a, w = _step(a, w, False, p)
    else:
        state, win = ls.fsm[q], ls.win[q]
        last = prev
        for e in range(lo, hi):
            te = ls.h_t[s, e % HISTORY] + d
            if state == IDLE:
                state, win = POST_OPEN, draw_window(seed ^ _POST_DRAW, q, te, p[P_MEAN_POST])
            elif state == POST_OPEN:
                if te - (ls.h_t[s, last % HISTORY] + d) < win:
                    state = IDLE
                else:
                    win = draw_window(seed ^ _POST_DRAW, q, te, p[P_MEAN_POST])
            elif te - tl < win:  # pre open (te > tl always)
                a, w = _step(a, w, True, p)
                state = IDLE
            else:
                state, win = POST_OPEN, draw_window(seed ^ _POST_DRAW, q, te, p[P_MEAN_POST])
            last = e
        if last < first:
            pass  # no postsynaptic event yet: sPyNNaker applies no presynaptic spike
        elif state == IDLE:
            state, win = PRE_OPEN, draw_window(seed ^ _PRE_DRAW, q, t, p[P_MEAN_PRE])
        elif state == PRE_OPEN:
            if t - tl < win:
                state = IDLE
            else:
                win = draw_window(seed ^ _PRE_DRAW, q, t, p[P_MEAN_PRE])
        else:
            since = t - (ls.h_t[s, last % HISTORY] + d)
            if since < win:
                a, w = _step(a, w, False, p)
                state = IDLE
            else:
                state, win = PRE_OPEN, draw_window(seed ^ _PRE_DRAW, q, t, p[P_MEAN_PRE])
        ls.fsm[q], ls.win[q] = state, win
    if p[P_MULT] == 0.0:
        w = min(max(w, p[P_WD_MIN]), p[P_WD_MAX])
    ls.c[q] = a
    weight[ls.syn_w[q]] = w
