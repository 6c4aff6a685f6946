"""spikesim's STDP against Brian2 (float64): same spike trains, same weight trajectories.

spikesim runs a small network (Poisson sources onto driven LIF neurons, or a
recurrent plastic projection) and records every spike; Brian2 then replays
those exact trains through :func:`tests.brian2_stdp.brian2_stdp_trajectory`,
whose event order and delay convention are the ones spikesim documents
(:mod:`spikesim.kernels.plasticity`). A spikesim spike stamped ``T`` happened
in the step Brian2 calls ``T - dt``; spikesim's weight sample after step
``s`` is Brian2's sample of step ``s``.
"""
import numpy as np
import pytest

import spikesim as ss

pytestmark = pytest.mark.brian2
brian2 = pytest.importorskip("brian2")
from tests.brian2_stdp import brian2_stdp_trajectory  # noqa: E402

DT = 0.1
N_STEPS = 3000


def _rule_dict(syn):
    t = syn.timing
    d = dict(w_min=syn.weight.w_min, w_max=syn.weight.w_max, interaction=t.interaction,
             window=syn.window, scale=syn.weight.scale,
             weight_dependence="additive" if isinstance(syn.weight, ss.AdditiveWeightDependence)
             else "multiplicative")
    if isinstance(t, ss.SpikePairRule):
        d.update(kind="pair", tau_plus=t.tau_plus, tau_minus=t.tau_minus, A_plus=t.A_plus,
                 A_minus=t.A_minus)
    else:
        d.update(kind="triplet", tau_plus=t.tau_plus, tau_minus=t.tau_minus, tau_x=t.tau_x,
                 tau_y=t.tau_y, A2_plus=t.A2_plus, A3_plus=t.A3_plus, A2_minus=t.A2_minus,
                 A3_minus=t.A3_minus)
    return d


CASES = {
    "pair-all-additive": ss.STDP(ss.SpikePairRule(20.0, 20.0, 0.05, 0.06),
                                 ss.AdditiveWeightDependence(0.0, 1.0)),
    "pair-nearest-mult": ss.STDP(ss.SpikePairRule(15.0, 25.0, 0.08, 0.05, interaction="nearest"),
                                 ss.MultiplicativeWeightDependence(0.0, 1.0)),
    "pair-all-absolute-anti": ss.STDP(ss.SpikePairRule(10.0, 30.0, 0.02, 0.03),
                                      ss.AdditiveWeightDependence(0.0, 0.8, absolute=True),
                                      window="anti_hebbian"),
    "triplet-all-additive": ss.STDP(ss.TripletRule(16.8, 33.7, 101.0, 125.0, 0.01, 0.06, 0.07, 0.01),
                                    ss.AdditiveWeightDependence(0.0, 1.0)),
    "triplet-minimal-nearest": ss.STDP(ss.TripletRule.minimal(tau_plus=16.8, tau_minus=33.7,
                                                               tau_x=714.0, tau_y=40.0, A3_plus=0.065,
                                                               A2_minus=0.07, interaction="nearest"),
                                       ss.MultiplicativeWeightDependence(0.0, 1.0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_weight_trajectories_match_brian2(name):
    syn = CASES[name]
    recurrent = name.startswith("triplet-all")
    net = ss.Network(dt=DT, seed=4, dtype="float64")
    src = net.add_population(6, ss.SpikeSourcePoisson(rate=50.0))
    drive = net.add_population(4, ss.SpikeSourcePoisson(rate=300.0))
    post = net.add_population(4, ss.IF_curr_exp(tau_refrac=2.0, tau_syn_E=2.0))
    net.connect(drive, post, ss.OneToOne(), weight=2.0)
    pre = post if recurrent else src
    delays = np.random.default_rng(1).integers(1, 20, size=(len(pre), len(post))) * DT
    w0 = 0.5 * (syn.weight.w_min + syn.weight.w_max)
    proj = net.connect(pre, post, ss.AllToAll(allow_self=False), weight=w0, delay=delays,
                       synapse=syn)
    rp, rq = net.record(pre, "spikes"), net.record(post, "spikes")
    wr = net.record_weights(proj)
    net.run(N_STEPS * DT)

    def trains(rec, n):  # spikesim stamp T -> Brian2 time T - dt
        return [rec.spikes.times[rec.spikes.senders == i] - DT for i in range(n)]

    syn_pre, syn_post = proj.connections()
    _, want = brian2_stdp_trajectory(trains(rp, len(pre)), trains(rq, len(post)), syn_pre, syn_post,
                                     proj.get_delays(), w0, _rule_dict(syn), DT, N_STEPS * DT)
    assert len(rq.spikes) > 30 and np.ptp(want) > 0.05  # plasticity is exercised
    np.testing.assert_allclose(wr.weights, want, rtol=0, atol=1e-6)
