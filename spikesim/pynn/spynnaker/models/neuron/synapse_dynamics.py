"""Reference weights of pair-based additive and multiplicative STDP, as sPyNNaker's tests
compute them (``spynnaker.pyNN.models.neuron.synapse_dynamics``).

Every pre/post pair counts (all-to-all pairing). A post spike at ``t`` reaches the
synapse at ``t + delay`` (dendritic delay); only post spikes arriving before the last
pre spike are counted, and each is paired with every pre spike: potentiation
``A+ exp(-(t + delay - t_pre)/tau+)`` with the pre spikes before it (except the last,
which is processed only when its own spike arrives), depression ``A- exp(-(t_pre -
t - delay)/tau-)`` with the pre spikes after it.
"""
from __future__ import annotations

import numpy as np


def _pair_times(pre_spikes, post_spikes, plastic_delay):
    pre = np.asarray(pre_spikes, dtype=float)
    post = np.asarray(post_spikes, dtype=float)
    if post.size == 0 or pre.size == 0:
        return np.zeros(0), np.zeros(0)
    arrive = post[post < pre[-1] - plastic_delay] + plastic_delay
    if arrive.size == 0:
        return np.zeros(0), np.zeros(0)
    before = (arrive[:, None] - pre[None, :-1]).ravel()
    after = (arrive[:, None] - pre[None, :]).ravel()
    return -before[before > 0], after[after < 0]   # both <= 0: exponents


def calculate_spike_pair_additive_stdp_weight(pre_spikes, post_spikes, initial_weight,
                                              plastic_delay, a_plus, a_minus, tau_plus,
                                              tau_minus):
    """Final weight under additive pair STDP with absolute amplitudes (no bounds)."""
    pot, dep = _pair_times(pre_spikes, post_spikes, plastic_delay)
    return (initial_weight + np.sum(a_plus * np.exp(pot / tau_plus))
            - np.sum(a_minus * np.exp(dep / tau_minus)))


def calculate_spike_pair_multiplicative_stdp_weight(pre_spikes, post_spikes, initial_weight,
                                                    plastic_delay, min_weight, max_weight,
                                                    a_plus, a_minus, tau_plus, tau_minus):
    """Final weight under multiplicative pair STDP: the summed potentiation scales with
    ``w_max - w`` and the summed depression with ``w - w_min`` of the initial weight."""
    pot, dep = _pair_times(pre_spikes, post_spikes, plastic_delay)
    p = np.sum(a_plus * np.exp(pot / tau_plus))
    d = np.sum(a_minus * np.exp(dep / tau_minus))
    return initial_weight + (max_weight - initial_weight) * p - (initial_weight - min_weight) * d
