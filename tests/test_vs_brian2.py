"""spikesim against Brian2 as a reference simulator (float64).

Brian2 runs with the ``numpy`` runtime target (no compiler). The Brian2 twin
of a spikesim network (:func:`tests.brian2_models.run_mirror`) has the same
parameters, initial values, input spike times and synapses (read back from
each projection); the time conventions that map one simulator onto the other
are listed in ``tests/brian2_models.py`` and pinned down by
:func:`test_single_neuron_conventions`.

* ``IF_curr_exp``: both integrate exactly, so the spike trains must be
  identical and ``v`` equal to rounding error.
* ``IF_cond_exp``: spikesim's integrator is second order, not exact; Brian2
  runs RK4 (its error at dt = 0.1 ms is ~1e-7 mV here, three orders below
  spikesim's), so Brian2 is the accurate reference and the tolerances are
  derived from spikesim's documented scheme error.
* CUBA (Vogels & Abbott 2005), 4000 neurons: independent random networks in
  each simulator, compared by their statistics.
"""
import numpy as np
import pytest

pytest.importorskip("brian2")

import spikesim as ss  # noqa: E402

from .brian2_models import cuba, run_mirror  # noqa: E402

pytestmark = pytest.mark.brian2

DT = 0.1


# ----------------------------------------------------------------------------- helpers
def poisson_times(rng, n, rate, duration):
    """``n`` spike trains on the dt grid (``k dt``, k >= 1), at most one spike per step."""
    steps = int(round(duration / DT))
    return [(np.flatnonzero(rng.random(steps) < rate * DT / 1000.0) + 1) * DT for _ in range(n)]


def as_steps(times):
    return np.round(np.asarray(times) / DT).astype(np.int64)


def first_difference(a, b):
    """The earliest (step, neuron) in one spike set and not the other, for messages."""
    sa = set(zip(as_steps(a[1]).tolist(), a[0].tolist()))
    sb = set(zip(as_steps(b[1]).tolist(), b[0].tolist()))
    only_a, only_b = sorted(sa - sb), sorted(sb - sa)
    return (f"{len(only_a)} spikes only in spikesim (first (step, neuron): {only_a[:3]}), "
            f"{len(only_b)} only in Brian2 (first: {only_b[:3]})")


def assert_identical_spikes(spikesim, brian):
    """Same (neuron, step) pairs; ``spikesim``/``brian`` are (senders, times)."""
    s_sen, s_t = spikesim
    b_sen, b_t = brian
    order = np.lexsort((s_sen, as_steps(s_t)))
    same = (len(s_t) == len(b_t) and np.array_equal(as_steps(s_t)[order], as_steps(b_t))
            and np.array_equal(s_sen[order], b_sen))
    assert same, first_difference(spikesim, brian)


def match_spikes(a_steps, b_steps, tol):
    """One-to-one matching of two sorted spike-step arrays of one neuron.

    Returns ``(exact, near)``: pairs at the same step, and further pairs at
    most ``tol`` steps apart among the spikes left over (greedy in time).
    """
    exact = np.intersect1d(a_steps, b_steps)
    a = np.setdiff1d(a_steps, exact)
    b = np.setdiff1d(b_steps, exact)
    near, j = 0, 0
    for x in a:
        while j < len(b) and b[j] < x - tol:
            j += 1
        if j < len(b) and abs(b[j] - x) <= tol:
            near += 1
            j += 1
    return len(exact), near


# ----------------------------------------------------------------------------- conventions
def test_single_neuron_conventions():
    """One neuron, one input: v and spike times equal Brian2's under the stated mapping.

    Pins down input time (T -> Brian2 T - dt), output time (+dt), delay
    (equal) and refractoriness (Brian2 tau_refrac + dt), each of which would
    shift spikes by a step if it were wrong.
    """
    t_in = np.array([5.0, 5.3, 5.5, 6.0, 6.1, 20.0, 20.2, 20.4, 20.6, 30.0, 30.1, 30.2, 44.4])
    net = ss.Network(dt=DT, seed=1, dtype="float64")
    src = net.add_population(1, ss.SpikeSourceArray(spike_times=[t_in]), label="in")
    pop = net.add_population(1, ss.IF_curr_exp(
        tau_m=10.0, cm=0.25, v_rest=-65.0, v_reset=-70.0, v_thresh=-55.0, tau_refrac=2.0,
        tau_syn_E=3.0, tau_syn_I=5.0, i_offset=0.05), label="pop")
    net.connect(src, pop, ss.AllToAll(), weight=3.0, delay=0.7)
    ref = run_mirror(net, 60.0, method="exact", record_v=("pop",))
    rec = net.record(pop, ["spikes", "v"])
    net.run(60.0)
    assert len(rec.spikes) >= 5, "the test needs a neuron that fires repeatedly"
    assert_identical_spikes((rec.spikes.senders, rec.spikes.times), ref["pop"])
    t_ref, v_ref = ref[("v", "pop")]
    np.testing.assert_allclose(rec.v.times, t_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(rec.v.values, v_ref, rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------- IF_curr_exp
def curr_network(heterogeneous, seed=7, n=80, n_in=20, threads=1, duration=1000.0):
    """Input -> recurrent E/I network of IF_curr_exp with random delays 0.1-3 ms."""
    rng = np.random.default_rng(seed)
    net = ss.Network(dt=DT, seed=seed, dtype="float64", threads=threads)
    src = net.add_population(n_in, ss.SpikeSourceArray(
        spike_times=poisson_times(rng, n_in, 30.0, duration)), label="in")
    if heterogeneous:
        par = dict(tau_m=rng.uniform(10, 30, n), cm=rng.uniform(0.5, 1.5, n),
                   v_rest=rng.uniform(-67, -63, n), v_reset=rng.uniform(-72, -65, n),
                   v_thresh=rng.uniform(-55, -50, n),
                   tau_refrac=rng.integers(0, 40, n) * DT,  # includes 0: no clamping
                   tau_syn_E=rng.uniform(2, 6, n), tau_syn_I=rng.uniform(6, 12, n),
                   i_offset=rng.uniform(0.0, 0.5, n))
    else:
        par = dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-68.0, v_thresh=-52.0,
                   tau_refrac=2.0, tau_syn_E=4.0, tau_syn_I=8.0, i_offset=0.2)
    pop = net.add_population(n, ss.IF_curr_exp(**par), label="pop",
                             initial_v=rng.uniform(-70, -52, n))
    ne = int(0.8 * n)
    delay = ss.RandomDistribution("uniform", low=0.1, high=3.0)
    uniform = lambda lo, hi: ss.RandomDistribution("uniform", low=lo, high=hi)  # noqa: E731
    net.connect(src, pop, ss.FixedProbability(0.25), weight=uniform(0.5, 1.5), delay=delay)
    net.connect(pop[:ne], pop, ss.FixedProbability(0.1), weight=uniform(0.4, 1.2), delay=delay)
    net.connect(pop[ne:], pop, ss.FixedProbability(0.2), weight=uniform(-1.5, -0.5), delay=delay,
                receptor_type="inhibitory")
    return net, pop


@pytest.mark.parametrize("heterogeneous", [True, False], ids=["het", "hom"])
def test_curr_network_spikes_identical(heterogeneous):
    """Recurrent IF_curr_exp network, 1 s: identical spike trains, v equal to 1e-9 mV.

    Both simulators integrate the linear subthreshold dynamics exactly, so
    they differ only by rounding (~1e-11 mV here); a threshold crossing
    closer than that to a step boundary is astronomically unlikely. The
    network is run with 1 and 2 threads (spikesim promises bit-identical
    results for any number).
    """
    net, pop = curr_network(heterogeneous)
    ref = run_mirror(net, 1000.0, method="exact", record_v=("pop",))
    rec = net.record(pop, ["spikes", "v"])
    net.run(1000.0)
    got = (rec.spikes.senders, rec.spikes.times)
    # the network must be doing something: inputs, recurrent E and I all active
    counts = rec.spikes.counts()
    assert len(rec.spikes) > 1000 and counts[:64].sum() > 0 and counts[64:].sum() > 0
    assert_identical_spikes(got, ref["pop"])
    _, v_ref = ref[("v", "pop")]
    err = np.abs(rec.v.values - v_ref)
    assert err.max() < 1e-9, f"max |v - v_brian2| = {err.max():.3g} mV at step " \
        f"{np.unravel_index(err.argmax(), err.shape)}"

    net2, pop2 = curr_network(heterogeneous, threads=2)
    rec2 = net2.record(pop2, "spikes")
    net2.run(1000.0)
    assert_identical_spikes((rec2.spikes.senders, rec2.spikes.times), ref["pop"])


# ----------------------------------------------------------------------------- IF_cond_exp
def cond_neurons(rng, n, v_thresh):
    return ss.IF_cond_exp(tau_m=rng.uniform(10, 30, n), cm=rng.uniform(0.5, 1.5, n),
                          v_rest=rng.uniform(-67, -63, n), v_reset=rng.uniform(-72, -65, n),
                          v_thresh=v_thresh, tau_refrac=rng.integers(0, 40, n) * DT,
                          tau_syn_E=rng.uniform(2, 6, n), tau_syn_I=rng.uniform(6, 12, n),
                          i_offset=rng.uniform(0.0, 0.5, n), e_rev_E=rng.uniform(-5, 5, n),
                          e_rev_I=rng.uniform(-85, -70, n))


def cond_network(dt, v_thresh, seed=11, n=60, duration=1000.0):
    """Excitatory and inhibitory spike sources -> IF_cond_exp neurons (feed-forward)."""
    rng = np.random.default_rng(seed)
    net = ss.Network(dt=dt, seed=seed, dtype="float64")
    exc = net.add_population(20, ss.SpikeSourceArray(
        spike_times=poisson_times(rng, 20, 30.0, duration)), label="exc")
    inh = net.add_population(10, ss.SpikeSourceArray(
        spike_times=poisson_times(rng, 10, 30.0, duration)), label="inh")
    cells = cond_neurons(rng, n, v_thresh(rng, n))
    pop = net.add_population(n, cells, label="pop", initial_v=rng.uniform(-70, -55, n))
    delay = ss.RandomDistribution("uniform", low=0.1, high=3.0)
    net.connect(exc, pop, ss.FixedProbability(0.3),
                weight=ss.RandomDistribution("uniform", low=0.005, high=0.03), delay=delay)
    net.connect(inh, pop, ss.FixedProbability(0.3),
                weight=ss.RandomDistribution("uniform", low=0.01, high=0.04), delay=delay,
                receptor_type="inhibitory")
    return net, pop


def test_cond_subthreshold_v_second_order():
    """Subthreshold IF_cond_exp under synaptic input: v within 1e-3 mV of Brian2 (RK4), and
    the error shrinks as dt^2.

    spikesim replaces the conductance by its exact mean over the step
    (kernels/neurons.py): a second-order exponential integrator. With
    conductances up to ~0.1 uS its error is ~5e-4 mV at dt = 0.1 ms (Brian2's
    RK4 error is ~1e-7 mV, negligible), hence the 1e-3 mV bound; halving dt
    must divide the error by ~4 (accepted: 3 to 5).
    """
    errors = {}
    for dt in (0.1, 0.05):
        net, pop = cond_network(dt, lambda rng, n: 0.0, n=10, duration=300.0)
        ref = run_mirror(net, 300.0, method="rk4", record_v=("pop",))
        rec = net.record(pop, ["v", "spikes"])
        net.run(300.0)
        assert len(rec.spikes) == 0
        k = int(round(0.1 / dt))  # compare on the common 0.1 ms grid
        v, v_ref = rec.v.values[k - 1::k], ref[("v", "pop")][1][k - 1::k]
        assert np.ptp(v, axis=0).min() > 2.0, "inputs must move v by more than a few mV"
        errors[dt] = np.abs(v - v_ref).max()
    assert errors[0.1] < 1e-3, errors
    assert 3.0 < errors[0.1] / errors[0.05] < 5.0, errors


def test_cond_network_spikes_within_one_step():
    """Feed-forward IF_cond_exp network, 1 s: spike trains agree with Brian2 (RK4) to one step.

    Tolerance: at least 97 % of all spikes occur at the very same step in
    both, and at most 1 % (of either simulator's spikes) have no partner
    within +-1 dt. Why: spikesim's v differs from the accurate solution by
    up to ~5e-4 mV (previous test) while near threshold v rises by
    ~0.05-0.5 mV per step, so roughly 0.1-1 % of threshold crossings can
    move to the neighbouring step (a crossing that only grazes threshold
    can vanish). Once a spike has moved, the neuron's reset and refractory
    period move with it, so its next spike or two may move as well (rarely
    by two steps, which then counts as unmatched). Measured at the time of
    writing: 1318 of 1326 spikes at the same step, 7 one step apart, 1 two
    steps apart. A timing bug (delay, input time, refractory period off by
    one step) makes most spikes inexact and fails the test (checked by
    hand by giving Brian2 tau_refrac instead of tau_refrac + dt: 41 %
    exact).

    The network is feed-forward on purpose: in a recurrent network one
    legitimately moved spike is amplified by the chaotic dynamics, and the
    two runs decorrelate completely within a few hundred ms (as any two
    integrators would), so per-spike comparison would be meaningless there.
    """
    net, pop = cond_network(DT, lambda rng, n: rng.uniform(-55, -50, n))
    ref = run_mirror(net, 1000.0, method="rk4")
    rec = net.record(pop, "spikes")
    net.run(1000.0)
    s_sen, s_t = rec.spikes.senders, rec.spikes.times
    b_sen, b_t = ref["pop"]
    n_s, n_b = len(s_t), len(b_t)
    assert n_s > 1000 and n_b > 1000
    exact = near = 0
    for i in range(len(pop)):
        e, m = match_spikes(as_steps(s_t[s_sen == i]), as_steps(b_t[b_sen == i]), tol=1)
        exact += e
        near += m
    unmatched = max(n_s, n_b) - exact - near
    msg = (f"spikesim {n_s} spikes, Brian2 {n_b}: {exact} at the same step, {near} one step "
           f"apart, {unmatched} unmatched; {first_difference((s_sen, s_t), (b_sen, b_t))}")
    assert exact >= 0.97 * max(n_s, n_b), msg
    assert unmatched <= 0.01 * min(n_s, n_b), msg


# ----------------------------------------------------------------------------- CUBA statistics
N_CUBA, NE_CUBA = 4000, 3200
CUBA_SEEDS = range(1, 25)


def cuba_spikesim(seed, duration=1000.0):
    """The CUBA network in spikesim; Brian2's voltage jumps ``we`` become currents we*cm/taum."""
    net = ss.Network(dt=DT, seed=seed, dtype="float64")
    cell = ss.IF_curr_exp(tau_m=20.0, cm=1.0, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0,
                          tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
    pop = net.add_population(N_CUBA, cell, label="cuba",
                             initial_v=ss.RandomDistribution("uniform", low=-60.0, high=-50.0))
    we, wi = (60 * 0.27 / 10) / 20.0, (-20 * 4.5 / 10) / 20.0  # 0.081 nA, -0.45 nA
    net.connect(pop[:NE_CUBA], pop, ss.FixedProbability(0.02), weight=we, delay=DT)
    net.connect(pop[NE_CUBA:], pop, ss.FixedProbability(0.02), weight=wi, delay=DT,
                receptor_type="inhibitory")
    rec = net.record(pop, "spikes")
    net.run(duration)
    return rec.spikes.senders, rec.spikes.times


def rate_and_cv(senders, times, n=N_CUBA, duration=1000.0, min_spikes=3):
    """Mean rate (Hz) over all neurons; mean ISI CV over neurons with >= ``min_spikes`` spikes."""
    order = np.lexsort((times, senders))
    senders, times = senders[order], times[order]
    counts = np.bincount(senders, minlength=n)
    cvs = [np.std(isi) / np.mean(isi)
           for isi in map(np.diff, np.split(times, np.cumsum(counts)[:-1]))
           if len(isi) >= min_spikes - 1]
    return len(times) / n / (duration / 1000.0), float(np.mean(cvs))


def test_cuba_rate_and_cv_match_brian2():
    """CUBA (4000 neurons, 1 s): mean rate and mean ISI CV within 5 % of Brian2's.

    Each simulator builds its own random network (connectivity and initial
    v from its own seeds), so only statistics can be compared. One network's
    mean rate varies by ~4 % (sd) from seed to seed (measured: 5.1-6.2 Hz
    around 5.7 Hz), its mean CV (~0.52) by ~2 %. Averaging 24 seeds per
    simulator leaves a standard error of the difference of ~1.2 % for the
    rate, so the 5 % tolerance is about 4 standard errors wide; with only
    3-4 seeds it would be about one, and the comparison would fail by
    chance. Measured at the time of writing: rate -0.6 %, CV +0.1 %. A
    modelling error (weight scaling, sign, threshold, delays) moves the
    rate by far more than 5 %.
    """
    ours = np.array([rate_and_cv(*cuba_spikesim(s)) for s in CUBA_SEEDS])
    theirs = np.array([rate_and_cv(*cuba(s)) for s in CUBA_SEEDS])
    (rate_s, cv_s), (rate_b, cv_b) = ours.mean(0), theirs.mean(0)
    msg = (f"spikesim rate {rate_s:.3f} Hz, CV {cv_s:.4f}; Brian2 rate {rate_b:.3f} Hz, "
           f"CV {cv_b:.4f}")
    assert 3.0 < rate_b < 10.0 and 0.3 < cv_b < 0.8, "Brian2 CUBA is off its usual regime: " + msg
    assert rate_s == pytest.approx(rate_b, rel=0.05), msg
    assert cv_s == pytest.approx(cv_b, rel=0.05), msg
