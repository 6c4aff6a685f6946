"""sPyNNaker's Izhikevich models (IzkCurrExp = sPyNNaker ``Izhikevich``, Izhikevich_cond) against a
plain-Python step-by-step reference written from sPyNNaker's C source, and validation.

The reference follows ``neuron_model_izh_impl.h`` (``rk2_kernel_midpoint``,
``neuron_model_has_spiked``), ``exp_synapse_utils.h`` and the order of
``neuron_impl_standard.h`` literally, in floating point, with sPyNNaker's
sign convention (positive inhibitory input that the neuron model subtracts);
spikesim's inhibitory weights are negative (PyNN's convention).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import spikesim as ss

DT = 0.1
# Izhikevich (2003) fig. 2 patterns (a, b, c, d): RS, IB, CH, FS, LTS
PATTERNS = [(0.02, 0.2, -65.0, 8.0), (0.02, 0.2, -55.0, 4.0), (0.02, 0.2, -50.0, 2.0),
            (0.1, 0.2, -65.0, 2.0), (0.02, 0.25, -65.0, 2.0)]


def c_reference(n_steps, a, b, c, d, i_offset=0.0, tau_e=5.0, tau_i=5.0, exc=None, inh=None,
                rev=None, v=-70.0, u=-14.0, dt=DT):
    """One neuron, step by step as sPyNNaker's C code (floats). ``exc``/``inh``: input arriving in
    each step (nA or uS, both >= 0). ``rev``: (e_rev_E, e_rev_I) for conductance input.
    Returns (spike steps, v after each step, synaptic values after each step)."""
    exc = np.zeros(n_steps) if exc is None else exc
    inh = np.zeros(n_steps) if inh is None else inh
    dec_e, dec_i = math.exp(-dt / tau_e), math.exp(-dt / tau_i)
    init_e, init_i = tau_e / dt * (1.0 - dec_e), tau_i / dt * (1.0 - dec_i)
    M = 0.040008544921875
    syn_e = syn_i = 0.0
    this_h = dt                       # next_h starts at the time step
    spikes, vs, syn = [], [], []
    for k in range(n_steps):
        syn_e += init_e * exc[k]      # ring buffer -> synapse (before the neuron update)
        syn_i += init_i * inh[k]
        if rev is None:
            total_exc, total_inh = syn_e, syn_i
        else:                         # input_type_conductance.h at the old v
            total_exc = syn_e * (rev[0] - v)
            total_inh = -(syn_i * (rev[1] - v))
        inp = total_exc - total_inh + i_offset
        h = this_h                    # rk2_kernel_midpoint
        pre_alph = 140.0 + inp - u
        alpha = pre_alph + (5.0 + M * v) * v
        eta = v + (h * alpha) / 2
        beta = (h * (b * v - u) * a) / 2
        v, u = (v + h * (pre_alph - beta + (5.0 + M * eta) * eta),
                u + a * h * (-u - beta + b * eta))
        this_h = dt
        if v >= 30.0:                 # threshold_type_static, neuron_model_has_spiked
            v = c
            u += d
            this_h = dt * 1.85
            spikes.append(k)
        syn_e *= dec_e                # synapse_types_shape_input
        syn_i *= dec_i
        vs.append(v)
        syn.append((syn_e, syn_i))
    return spikes, np.array(vs), np.array(syn)


def steps_of(rec):
    return np.rint(rec.spikes.times / DT).astype(int) - 1


def test_dc_patterns_match_c_reference():
    a, b, c, d = (np.array(x) for x in zip(*PATTERNS))
    net = ss.Network(dt=DT, dtype="float64")
    pop = net.add_population(len(PATTERNS), ss.IzkCurrExp(a=a, b=b, c=c, d=d, i_offset=10.0))
    pop.initialize(v=-65.0, u=b * -65.0)
    rec = net.record(pop, ["spikes", "v", "u"])
    net.run(300.0)
    n = 3000
    got = steps_of(rec)
    for i, (ai, bi, ci, di) in enumerate(PATTERNS):
        spikes, vs, _ = c_reference(n, ai, bi, ci, di, i_offset=10.0, v=-65.0, u=bi * -65.0)
        assert len(spikes) > 5
        assert got[rec.spikes.senders == i].tolist() == spikes, i
        np.testing.assert_allclose(rec.v.values[:, i], vs, rtol=1e-9, atol=1e-9)


def test_post_spike_step_is_185_h():
    """The step after a spike is 1.85 dt long (and only that one); run(a); run(b) keeps it."""
    def build():
        net = ss.Network(dt=DT, dtype="float64")
        pop = net.add_population(1, ss.IzkCurrExp(i_offset=10.0))
        pop.initialize(v=29.0, u=0.0)
        return net, pop, net.record(pop, ["spikes", "v", "u"])

    net, pop, rec = build()
    net.run(DT)              # spikes in step 0
    net.run(2 * DT)          # steps 1 (1.85 h) and 2 (h)
    assert steps_of(rec).tolist() == [0]
    M, a, b = 0.040008544921875, 0.02, 0.2

    def mid(v, u, h):
        pre = 150.0 - u
        eta = v + h * (pre + (5 + M * v) * v) / 2
        beta = h * (b * v - u) * a / 2
        return v + h * (pre - beta + (5 + M * eta) * eta), u + a * h * (-u - beta + b * eta)
    v0, u0 = -65.0, rec.u.values[0, 0]
    assert u0 == pytest.approx(mid(29.0, 0.0, DT)[1] + 2.0, abs=1e-12)
    v1, u1 = mid(v0, u0, 1.85 * DT)
    assert rec.v.values[1, 0] == pytest.approx(v1, abs=1e-12)
    assert abs(mid(v0, u0, DT)[0] - v1) > 0.1            # the long step is visible
    assert rec.v.values[2, 0] == pytest.approx(mid(v1, u1, DT)[0], abs=1e-12)
    net2, _, rec2 = build()
    net2.run(3 * DT)
    np.testing.assert_array_equal(rec2.v.values, rec.v.values)
    net.reset()              # reset restores the normal step, as sPyNNaker's next_h
    pop.initialize(v=-65.0, u=u0)
    net.run(DT)
    assert rec.v.values[-1, 0] == pytest.approx(mid(v0, u0, DT)[0], abs=1e-12)


def _spike_trains(rng, n_src, n_steps):
    return [np.unique(rng.integers(5, n_steps - 40, 70)) * DT for _ in range(n_src)]


def _arrivals(times, weights, delay_steps, n_steps):
    """Input per step of a neuron: a spike at T is emitted in step T/dt - 1 and arrives delay
    steps later."""
    x = np.zeros(n_steps)
    for t, w, dl in zip(times, weights, delay_steps):
        np.add.at(x, np.rint(t / DT).astype(int) - 1 + dl, w)
    return x


@pytest.mark.parametrize("cond", [False, True])
def test_spike_trains_match_c_reference(cond):
    """Both receptors, several delays and weights; identical spikes, v and synaptic state."""
    rng = np.random.default_rng(3)
    n_steps, n_src = 3000, 6
    times = _spike_trains(rng, n_src, n_steps)
    w_e = [2.0, 5.0, 9.0, 3.0] if not cond else [0.05, 0.12, 0.2, 0.08]
    w_i = [4.0, 6.0] if not cond else [0.1, 0.3]
    delays = [1, 4, 13, 7, 2, 20]
    params = dict(a=0.02, b=0.2, c=-65.0, d=8.0, i_offset=3.0, tau_syn_E=4.0, tau_syn_I=9.0)
    if cond:
        params.update(e_rev_E=-5.0, e_rev_I=-80.0)
    net = ss.Network(dt=DT, dtype="float64")
    cell = ss.Izhikevich_cond(**params) if cond else ss.IzkCurrExp(**params)
    pop = net.add_population(1, cell)
    src = net.add_population(n_src, ss.SpikeSourceArray(times))
    sign = 1.0 if cond else -1.0
    for j in range(n_src):
        exc = j < 4
        net.connect(src[j:j + 1], pop, ss.AllToAll(), weight=w_e[j] if exc else sign * w_i[j - 4],
                    delay=delays[j] * DT, receptor_type="excitatory" if exc else "inhibitory")
    syn_names = ["gsyn_exc", "gsyn_inh"] if cond else ["isyn_exc", "isyn_inh"]
    rec = net.record(pop, ["spikes", "v"] + syn_names)
    net.run(n_steps * DT)
    exc = sum(_arrivals(times[j], [w_e[j]] * len(times[j]), [delays[j]] * len(times[j]), n_steps)
              for j in range(4))
    inh = sum(_arrivals(times[j], [w_i[j - 4]] * len(times[j]), [delays[j]] * len(times[j]),
                        n_steps) for j in range(4, 6))
    spikes, vs, syn = c_reference(n_steps, 0.02, 0.2, -65.0, 8.0, i_offset=3.0, tau_e=4.0,
                                  tau_i=9.0, exc=exc, inh=inh,
                                  rev=(-5.0, -80.0) if cond else None)
    assert len(spikes) > 5 and inh.sum() > 0
    assert steps_of(rec).tolist() == spikes
    np.testing.assert_allclose(rec.v.values[:, 0], vs, rtol=1e-9, atol=1e-9)
    syn_e = getattr(rec, syn_names[0]).values[:, 0]
    syn_i = getattr(rec, syn_names[1]).values[:, 0]
    np.testing.assert_allclose(syn_e, syn[:, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(syn_i, sign * syn[:, 1], rtol=1e-12, atol=1e-12)


def test_conductance_current_uses_reversal_potential():
    """One excitatory conductance pulse: with e_rev_E above v it depolarises, below v it
    hyperpolarises; the conductance follows init * w * decay^k."""
    net = ss.Network(dt=DT, dtype="float64")
    pop = net.add_population(2, ss.Izhikevich_cond(e_rev_E=[0.0, -150.0], tau_syn_E=2.0))
    quiet = net.add_population(1, ss.Izhikevich_cond(tau_syn_E=2.0))
    src = net.add_population(1, ss.SpikeSourceArray([1.0]))
    net.connect(src, pop, ss.AllToAll(), weight=0.5, delay=DT)
    rec = net.record(pop, ["v", "gsyn_exc"])
    rq = net.record(quiet, "v")
    net.run(5.0)
    v, g, vq = rec.v.values, rec.gsyn_exc.values, rq.v.values[:, 0]
    k0 = 10                                       # arrival step
    assert (g[:k0] == 0).all()
    dec = math.exp(-DT / 2.0)
    expect = 2.0 / DT * (1 - dec) * 0.5 * dec ** (np.arange(g.shape[0] - k0) + 1)
    np.testing.assert_allclose(g[k0:, 0], expect, rtol=1e-12)
    np.testing.assert_allclose(g[k0:, 1], expect, rtol=1e-12)
    assert v[k0, 0] - vq[k0] > 2.0 and vq[k0] - v[k0, 1] > 2.0
    np.testing.assert_array_equal(v[:k0, 0], vq[:k0])


def test_i_offset_and_dc_source_are_unscaled():
    """sPyNNaker's i_offset (and a current source) is added to dv/dt as it is: i_offset = 5 and a
    5 nA DCSource give the same spikes, and the first step is the reference's."""
    net = ss.Network(dt=DT, dtype="float64")
    a = net.add_population(1, ss.IzkCurrExp(i_offset=5.0))
    b = net.add_population(1, ss.IzkCurrExp())
    ss.DCSource(amplitude=5.0).inject_into(b)
    ra, rb = net.record(a, ["spikes", "v"]), net.record(b, "spikes")
    net.run(200.0)
    assert len(ra.spikes) > 3
    np.testing.assert_array_equal(ra.spikes.times, rb.spikes.times)
    _, vs, _ = c_reference(1, 0.02, 0.2, -65.0, 2.0, i_offset=5.0)
    assert ra.v.values[0, 0] == pytest.approx(vs[0], abs=1e-12)


def test_defaults_and_translations():
    assert ss.IzkCurrExp().parameters == dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=0.0,
                                              tau_syn_E=5.0, tau_syn_I=5.0)
    assert ss.Izhikevich_cond().parameters == dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=0.0,
                                                   tau_syn_E=5.0, tau_syn_I=5.0, e_rev_E=0.0,
                                                   e_rev_I=-70.0)
    net = ss.Network(dt=DT, dtype="float64")
    for cls, syn in ((ss.IzkCurrExp, "isyn_exc"), (ss.Izhikevich_cond, "gsyn_exc")):
        pop = net.add_population(1, cls())
        assert pop.v[0] == -70.0 and pop._state("u")[0] == -14.0 and pop._state(syn)[0] == 0.0
        t = cls.model.TRANSLATIONS
        assert t["pynn"] is None and t["nest"] is None
    assert ss.IzkCurrExp.model.TRANSLATIONS["spinnaker"] == "Izhikevich"
    assert ss.Izhikevich_cond.model.TRANSLATIONS["spinnaker"] == "Izhikevich_cond"
    assert ss.Izhikevich_cond().conductance_based and not ss.IzkCurrExp().conductance_based


@pytest.mark.parametrize("cls", [ss.IzkCurrExp, ss.Izhikevich_cond])
@pytest.mark.parametrize("kw, match", [(dict(c=30.0), "c must be below"),
                                       (dict(a=np.nan), "a"), (dict(i_offset=np.inf), "i_offset"),
                                       (dict(tau_syn_E=0.0), "tau_syn_E"),
                                       (dict(tau_syn_I=-1.0), "tau_syn_I"),
                                       (dict(b=[0.2, 7e4]), "b must be within"),
                                       (dict(i_offset=-70000.0), "i_offset must be within")])
def test_bad_parameters(cls, kw, match):
    with pytest.raises(ValueError, match=match):
        ss.Network(dt=DT).add_population(2, cls(**kw))


def test_bad_weight_signs():
    net = ss.Network(dt=DT)
    src = net.add_population(1, ss.SpikeSourceArray([1.0]))
    curr = net.add_population(1, ss.IzkCurrExp())
    cond = net.add_population(1, ss.Izhikevich_cond())
    with pytest.raises(ValueError):
        net.connect(src, curr, ss.AllToAll(), weight=1.0, receptor_type="inhibitory")
    with pytest.raises(ValueError):
        net.connect(src, cond, ss.AllToAll(), weight=-0.1, receptor_type="inhibitory")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cls", [ss.IzkCurrExp, ss.Izhikevich_cond])
def test_huge_finite_input_stays_finite(cls, dtype):
    """Huge currents or conductances, either sign: the quadratic term cannot overflow (the state
    saturates at sPyNNaker's s16.15 range) and nothing becomes inf or NaN."""
    net = ss.Network(dt=DT, dtype=dtype)
    pop = net.add_population(4, cls(i_offset=[65535.0, -65535.0, 0.0, 0.0]))
    ss.DCSource(amplitude=1e30, start=5.0, stop=6.0).inject_into(pop[2:3])
    ss.DCSource(amplitude=-1e30, start=5.0, stop=6.0).inject_into(pop[3:4])
    src = net.add_population(1, ss.SpikeSourcePoisson(rate=2000.0))
    big = 1e30
    net.connect(src, pop[2:], ss.AllToAll(), weight=big)
    net.connect(src, pop[2:], ss.AllToAll(), weight=big if cls is ss.Izhikevich_cond else -big,
                receptor_type="inhibitory")
    names = ["v", "u"] + (["gsyn_exc", "gsyn_inh"] if cls is ss.Izhikevich_cond
                          else ["isyn_exc", "isyn_inh"])
    rec = net.record(pop, ["spikes"] + names)
    net.run(20.0)
    for name in names:
        x = getattr(rec, name).values
        assert np.isfinite(x).all(), name
    assert np.abs(rec.v.values).max() <= 65536.0 and np.abs(rec.u.values).max() <= 65536.0
    assert set(rec.spikes.senders.tolist()) >= {0}
