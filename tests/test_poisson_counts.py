"""Poisson drive as per-step counts (Network.add_poisson_input) and SpikeSourcePoisson above
one spike per step: the count distribution per step, exact end-to-end counts, run splits,
threads, seeds, reset, bad input, and the kernels against their NumPy twins."""
import math

import numpy as np
import pytest
from scipy import stats

import spikesim as ss
from spikesim.kernels import poisson_drive as PD
from spikesim.sources import drive_args, drive_arrays

from .reference import poisson_drive_ref as R


def _chi2_poisson(counts, lam):
    """p-value of a chi-square test of integer ``counts`` against Poisson(lam), tail pooled."""
    kmax = int(stats.poisson.ppf(1 - 1e-4, lam)) + 1
    obs = np.bincount(np.minimum(counts, kmax), minlength=kmax + 1).astype(float)
    p = stats.poisson.pmf(np.arange(kmax), lam)
    p = np.append(p, 1 - p.sum())
    exp = p * counts.size
    # pool bins with fewer than 5 expected counts into their neighbour
    keep_o, keep_e, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(obs, exp):
        acc_o += o
        acc_e += e
        if acc_e >= 5:
            keep_o.append(acc_o)
            keep_e.append(acc_e)
            acc_o = acc_e = 0.0
    keep_o[-1] += acc_o
    keep_e[-1] += acc_e
    return stats.chisquare(keep_o, keep_e).pvalue


@pytest.mark.parametrize("lam", [0.05, 1.28, 2.9, 9.99, 10.0, 37.5, 400.0])
def test_count_per_step_is_poisson(lam):
    u = np.arange(20000)
    counts = np.array([PD.poisson_count(np.uint64(2024), 11, int(t), lam, math.exp(-lam))
                       for t in u])
    assert _chi2_poisson(counts, lam) > 1e-3
    assert counts.mean() == pytest.approx(lam, rel=5 / math.sqrt(lam * counts.size))
    # successive steps are independent
    assert abs(np.corrcoef(counts[1:], counts[:-1])[0, 1]) < 0.04


@pytest.mark.parametrize("lam", [0.3, 4.0, 25.0])
def test_count_kernel_matches_twin(lam):
    for key, u in [(0, 0), (3, 17), (99, 123456), (2 ** 31, 7)]:
        assert PD.poisson_count(np.uint64(77), key, u, lam, math.exp(-lam)) == \
            R.poisson_count(77, key, u, lam)


@pytest.mark.parametrize("lam", [0.004, 0.7, 1.6, 6.5, 9.99])
def test_table_pass_gives_the_inversion_count(lam):
    """The branch-free pass (integer thresholds, key product by addition) and its rare-count
    pass give poisson_count's count for every key and step: the same uniform, the same
    inversion."""
    tab = PD.cdf_table(lam)
    t8 = np.zeros(8, np.uint64)
    PD.int_thresholds(tab, 0, tab.shape[0], t8)
    kk = np.zeros(5000, np.int32)
    for u in (0, 1, 977, 2 ** 20 + 3):
        base = np.uint64(31337 ^ (u * 0xC2B2AE3D27D4EB4F) % 2 ** 64)  # as fill_range's
        PD._counts8(base, 40, kk.shape[0], kk, *t8)
        want = [PD.poisson_count(np.uint64(31337), 40 + q, u, lam, math.exp(-lam))
                for q in range(kk.shape[0])]
        got = kk.copy()
        got[got == 8] = [w for w in want if w >= 8]  # pass 2's job (checked end to end)
        assert (np.minimum(want, 8) == kk).all()
        np.testing.assert_array_equal(got, want)


def test_integer_thresholds_compare_as_the_uniform_does():
    """m > floor(f 2**53) exactly when m 2**-53 > f, also where f 2**53 is a whole number,
    and past the table's end (2**53, above every 53-bit m)."""
    top = 2.0 ** 53
    tab = np.array([0.25, 0.1 + 2.0 ** -60, 1.0 / 3.0, 1.0 - 2.0 ** -53, 1.0])
    t8 = np.zeros(8, np.uint64)
    PD.int_thresholds(tab, 0, tab.shape[0], t8)
    for f, t in zip(tab, t8[:5]):
        for m in (int(f * top) - 1, int(f * top), int(f * top) + 1):
            if 0 <= m < 2 ** 53:
                assert (m > int(t)) == (m / top > f), (f, m)
    assert (t8[5:] == np.uint64(2 ** 53)).all()


def _network(seed=3, threads=1, dtype="float64", rate=(20000.0, 500.0, 150000.0), **kw):
    net = ss.Network(dt=0.1, seed=seed, dtype=dtype, threads=threads)
    pop = net.add_population(len(rate), ss.IF_curr_exp(v_thresh=1e6, tau_syn_E=5.0))
    inp = net.add_poisson_input(pop, rate=list(rate), weight=0.01, delay=0.3, **kw)
    rec = net.record(pop, "isyn_exc")
    return net, inp, rec


def _counts(rec, w=0.01, tau=5.0, dt=0.1, skip=0):
    ie = rec.get("isyn_exc").values[skip:]
    inc = ie.copy()
    inc[1:] -= math.exp(-dt / tau) * ie[:-1]
    k = np.rint(inc / w)
    assert np.abs(inc / w - k).max() < 1e-6
    return k.astype(int)


def test_counts_arrive_exactly_into_the_synaptic_input():
    net, inp, rec = _network(start=1.0, duration=50.0)
    net.run(37.3, progress=False)
    net.run(62.7, progress=False)
    cnt = _counts(rec)
    for j, lam in enumerate([2.0, 0.05, 15.0]):
        want = [PD.poisson_count(inp.seed, j, s - 3, lam, math.exp(-lam)) if 10 <= s - 3 < 510
                else 0 for s in range(1000)]
        np.testing.assert_array_equal(cnt[:, j], want)
    assert cnt[:13].sum() == 0 and cnt[513:].sum() == 0  # start, delay, end of the input


def test_high_rate_drive_has_poisson_counts_end_to_end():
    net, _, rec = _network(rate=(16000.0,) * 4, seed=9)
    net.run(1000.0, progress=False)
    cnt = _counts(rec)[3:]  # after the delay
    for j in range(4):
        assert _chi2_poisson(cnt[:, j], 1.6) > 1e-3
    # neurons get independent trains
    assert abs(np.corrcoef(cnt[:, 0], cnt[:, 1])[0, 1]) < 0.05


def _recurrent(seed, threads=1, dtype="float32"):
    net = ss.Network(dt=0.1, seed=seed, dtype=dtype, threads=threads)
    cell = ss.IF_curr_exp(tau_m=10.0, cm=0.25, tau_syn_E=0.5, tau_syn_I=0.5, v_rest=-65.0,
                          v_reset=-65.0, v_thresh=-50.0, tau_refrac=2.0)
    e = net.add_population(400, cell, label="e")
    i = net.add_population(100, cell, label="i")
    for pre, w, rt in ((e, 0.09, "excitatory"), (i, -0.35, "inhibitory")):
        for post in (e, i):
            net.connect(pre, post, ss.FixedTotalNumber(4000, with_replacement=True), weight=w,
                        delay=ss.RandomDistribution("normal_clipped", mu=1.0, sigma=0.5, low=0.05,
                                                    high=10.0), receptor_type=rt)
    net.add_poisson_input(e, rate=8.0 * 2000, weight=0.0878, delay=1.5)
    net.add_poisson_input(i, rate=8.0 * 1850, weight=0.0878, delay=1.5)
    recs = [net.record(p, "spikes") for p in (e, i)]
    vr = net.record(e[:5], "v")
    return net, recs, vr


def _result(net, recs, vr):
    out = [np.concatenate([r.get("spikes").times, r.get("spikes").senders]) for r in recs]
    return out + [vr.get("v").values]


def test_run_splits_threads_and_seeds():
    net, recs, vr = _recurrent(5)
    net.run(200.0, progress=False)
    ref = _result(net, recs, vr)
    assert ref[0].size > 100  # the drive makes the network fire
    net, recs, vr = _recurrent(5)
    for d in (12.7, 0.1, 51.2, 100.0, 36.0):
        net.run(d, progress=False)
    for a, b in zip(ref, _result(net, recs, vr)):
        np.testing.assert_array_equal(a, b)
    net, recs, vr = _recurrent(5, threads=2)
    net.run(200.0, progress=False)
    for a, b in zip(ref, _result(net, recs, vr)):
        np.testing.assert_array_equal(a, b)
    net, recs, vr = _recurrent(6)
    net.run(200.0, progress=False)
    assert not np.array_equal(ref[0], _result(net, recs, vr)[0])


def test_parallel_fill_is_bit_identical_and_matches_twin():
    net = ss.Network(dt=0.1, seed=1, dtype="float32")
    a = net.add_population(50, ss.IF_curr_exp())
    b = net.add_population(30, ss.IF_curr_exp())
    net.add_poisson_input(a, rate=7000.0, weight=0.05, delay=0.2)
    net.add_poisson_input(a[10:40], rate=120000.0, weight=0.01, delay=0.5, start=0.3)
    net.add_poisson_input(b, rate=np.linspace(0, 30000, 30), weight=-0.02, delay=0.1,
                          receptor_type="inhibitory", duration=2.0)
    bufs = []
    for parts in (1, 3):
        arr = drive_arrays(net, net.poisson_inputs, parts)
        buf = np.zeros((2, 64, net.n_neurons), np.float32)
        fill = PD.add_poisson_counts if parts == 1 else PD.add_poisson_counts_parallel
        fill(buf, 63, 0, 40, *drive_args(arr))
        bufs.append(buf)
    np.testing.assert_array_equal(bufs[0], bufs[1])
    ref = np.zeros_like(bufs[0])
    R.add_poisson_counts(ref, 63, 0, 40, *drive_args(drive_arrays(net, net.poisson_inputs, 1)))
    np.testing.assert_array_equal(bufs[0], ref)
    assert (bufs[0][1] < 0).any() and (bufs[0][0] > 0).any()


def test_reset_draws_new_counts_and_input_added_later_counts_from_now():
    net, inp, rec = _network(rate=(16000.0,))
    net.run(20.0, progress=False)
    first = _counts(rec).ravel()
    net.reset()
    net.run(20.0, progress=False)
    second = _counts(rec, skip=200).ravel()
    assert first.sum() > 0 and not np.array_equal(first, second)
    # an input added mid-run acts from the current step on (after its delay)
    net2 = ss.Network(dt=0.1, seed=1, dtype="float64")
    p = net2.add_population(1, ss.IF_curr_exp(v_thresh=1e6, tau_syn_E=5.0))
    net2.add_poisson_input(p, rate=1.0, weight=0.01, delay=0.1)
    rec2 = net2.record(p, "isyn_exc")
    net2.run(3.0, progress=False)
    late = net2.add_poisson_input(p, rate=50000.0, weight=0.01, delay=0.1)
    net2.run(3.0, progress=False)
    cnt = _counts(rec2).ravel()
    want = [PD.poisson_count(late.seed, 0, s - 1, 5.0, math.exp(-5.0)) if s - 1 >= 30 else 0
            for s in range(30, 60)]
    early = [PD.poisson_count(net2.poisson_inputs[0].seed, 0, s - 1, 1e-4, math.exp(-1e-4))
             for s in range(30, 60)]
    np.testing.assert_array_equal(cnt[30:], np.array(want) + np.array(early))


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(rate=-1.0), ValueError, "PoissonInput.rate must be >= 0"),
    (dict(rate=[1.0, 2.0]), ValueError, "PoissonInput.rate has length 2"),
    (dict(rate=np.nan), ValueError, "PoissonInput.rate must be finite"),
    (dict(weight=-0.1), ValueError, "weight must be >= 0 for excitatory"),
    (dict(weight=0.1, receptor_type="inhibitory"), ValueError, "weight must be <= 0"),
    (dict(receptor_type="AMPA"), ValueError, "receptor_type must be one of"),
    (dict(delay=0.0), ValueError, "PoissonInput.delay must be a finite number > 0"),
    (dict(delay=1e7), ValueError, "PoissonInput.delay must be 1 to 65535 steps"),
    (dict(duration=-1.0), ValueError, "PoissonInput.duration must be >= 0"),
    (dict(start=-1.0), ValueError, "PoissonInput.start must be >= 0"),
])
def test_bad_input_names_parameter_and_value(kwargs, exc, msg):
    net = ss.Network(dt=0.1, seed=1)
    pop = net.add_population(3, ss.IF_curr_exp())
    args = dict(rate=10.0, weight=0.1)
    args.update(kwargs)
    with pytest.raises(exc, match=msg):
        net.add_poisson_input(pop, **args)
    src = net.add_population(3, ss.SpikeSourcePoisson(rate=1.0))
    with pytest.raises(ValueError, match="spike source"):
        net.add_poisson_input(src, rate=1.0, weight=0.1)
    other = ss.Network(dt=0.1, seed=1).add_population(3, ss.IF_curr_exp())
    with pytest.raises(ValueError, match="different Network"):
        net.add_poisson_input(other, rate=1.0, weight=0.1)


def test_spike_source_poisson_above_one_spike_per_step_emits_poisson_counts():
    net = ss.Network(dt=0.1, seed=4)
    src = net.add_population(5, ss.SpikeSourcePoisson(rate=25000.0))  # 2.5 per step
    rec = net.record(src, "spikes")
    tgt = net.add_population(1, ss.IF_curr_exp())
    net.connect(src, tgt, ss.AllToAll(), weight=0.001)
    net.run(500.0, progress=False)
    sp = rec.get("spikes")
    steps = np.rint(sp.times / 0.1).astype(int) - 1
    counts = np.zeros((5000, 5), int)
    np.add.at(counts, (steps, sp.senders), 1)
    for j in range(5):
        assert _chi2_poisson(counts[:, j], 2.5) > 1e-3
    # below one spike per step the realisation is the Bernoulli one it always was
    net2 = ss.Network(dt=0.1, seed=4)
    s2 = net2.add_population(5, ss.SpikeSourcePoisson(rate=300.0))
    r2 = net2.record(s2, "spikes")
    net2.run(100.0, progress=False)
    st = np.rint(r2.get("spikes").times / 0.1).astype(int)
    assert len(st) == len(set(zip(st.tolist(), r2.get("spikes").senders.tolist())))


def test_high_rate_source_cannot_drive_plastic_synapses():
    net = ss.Network(dt=0.1, seed=4)
    src = net.add_population(5, ss.SpikeSourcePoisson(rate=25000.0))
    tgt = net.add_population(2, ss.IF_curr_exp())
    stdp = ss.STDP(ss.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.01),
                   ss.AdditiveWeightDependence(0.0, 1.0))
    with pytest.raises(ValueError, match="exceeds one spike per step .* plastic"):
        net.connect(src, tgt, ss.AllToAll(), weight=0.5, synapse=stdp)
    ok = net.add_population(5, ss.SpikeSourcePoisson(rate=10.0))
    net.connect(ok, tgt, ss.AllToAll(), weight=0.5, synapse=stdp)
    with pytest.raises(ValueError, match="exceeds one spike per step .* plastic"):
        ok.set(rate=20000.0)
    src.set(rate=40000.0)  # not plastic: any rate


def test_export_save_and_nest_backend_refuse_poisson_inputs(tmp_path):
    from spikesim.export import ExportError, to_pynn_script

    net = ss.Network(dt=0.1, seed=1)
    pop = net.add_population(3, ss.IF_curr_exp())
    net.add_poisson_input(pop, rate=1000.0, weight=0.1)
    with pytest.raises(ExportError, match="poisson-input"):
        to_pynn_script(net)
    with pytest.raises(ExportError, match="poisson-input"):
        ss.export.to_spinnaker(net, tmp_path / "spinn")
    with pytest.raises(NotImplementedError, match="Poisson input .* is not saved"):
        net.save(tmp_path / "n.h5")


def test_high_rate_source_counts_are_counter_based_and_match_twin():
    """Above one spike per step a SpikeSourcePoisson's count is poisson_count(key, i, t):
    the kernel equals its twin, and a rate set() mid-run gives the counts of the same rate
    scheduled up front (as the Bernoulli draws below one spike per step do)."""
    steps = np.arange(100, 140, dtype=np.int64)
    prob = np.linspace(0.5, 30.0, 40 * 3).reshape(40, 3)
    k = PD.poisson_counts_block(np.uint64(99), steps, prob)
    for j in range(40):
        for i in range(3):
            want = R.poisson_count(99, i, steps[j], prob[j, i]) if prob[j, i] > 1 else 0
            assert k[j, i] == want

    def spikes(schedule):
        net = ss.Network(dt=0.1, seed=8)
        kw = dict(rate=100.0)
        if schedule:
            kw["rate_changes"] = ([5.0], [40000.0])
        src = net.add_population(4, ss.SpikeSourcePoisson(**kw))
        rec = net.record(src, "spikes")
        net.run(5.0, progress=False)
        if not schedule:
            src.set(rate=40000.0)
        net.run(10.0, progress=False)
        sp = rec.get("spikes")
        return sp.times, sp.senders

    a, b = spikes(True), spikes(False)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert len(a[0]) > 4 * 100 * 3  # about 4 per neuron and step after 5 ms
