"""The prefetch hint compiles to LLVM's prefetch and never changes a result."""
import numpy as np
import pytest
from numba import njit

from spikesim.kernels.prefetch import AHEAD, prefetch, prefetch_2d, prefetch_read


@njit
def _gather_sum(x, idx, hint):
    s = 0.0
    for e in range(idx.shape[0]):
        if hint and e + AHEAD < idx.shape[0]:
            prefetch(x, idx[e + AHEAD])
        s += x[idx[e]]
    return s


@njit
def _rows(h, idx):
    s = 0.0
    for e in range(idx.shape[0]):
        prefetch_read(h, idx[e])  # 2-D: the row's first element
        s += h[idx[e], 1]
    return s


def test_prefetch_is_emitted_and_changes_nothing():
    rng = np.random.default_rng(0)
    x = rng.random(100_000)
    idx = rng.integers(0, x.shape[0], 5_000).astype(np.int32)
    with_hint = _gather_sum(x, idx, True)
    assert with_hint == _gather_sum(x, idx, False)  # same order of sums: same bits
    assert np.isclose(with_hint, x[idx].sum(), rtol=1e-12)
    ir = next(iter(_gather_sum.inspect_llvm().values()))
    assert "call void @llvm.prefetch" in ir and "i32 1, i32 3, i32 1)" in ir  # write intent
    h = rng.random((1_000, 4))
    rows = rng.integers(0, 1_000, 300)
    assert np.isclose(_rows(h, rows), h[rows, 1].sum(), rtol=1e-12)
    ir = next(iter(_rows.inspect_llvm().values()))
    assert "call void @llvm.prefetch" in ir and "i32 0, i32 3, i32 1)" in ir  # read intent


def _deliver_twin(ring, start, stop, post_lo, t, slot_mask, post, weight, delay):
    """NumPy twin of kernels.delivery.deliver_row with a delay per synapse."""
    k = np.arange(start, stop)
    w = weight[k] if weight.shape[0] > 1 else np.full(k.shape[0], weight[0])
    for kk, ww in zip(k, w):  # one synapse at a time, in row order: the kernel's order of sums
        ring[(t + delay[kk]) & slot_mask, post_lo + post[kk]] += ww


def test_delivery_with_prefetch_equals_its_twin_bit_for_bit():
    from spikesim.kernels.delivery import deliver_row
    from spikesim.kernels.prefetch import DELIVERY_AHEAD

    rng = np.random.default_rng(3)
    n, slots = 5_000, 64
    for length in (0, 1, DELIVERY_AHEAD - 1, DELIVERY_AHEAD, DELIVERY_AHEAD + 1, 3 * DELIVERY_AHEAD + 7):
        post = rng.integers(0, n - 100, length + 20).astype(np.int32)
        delay = rng.integers(1, 60, length + 20).astype(np.uint16)
        for weight in (rng.normal(0, 1, length + 20).astype(np.float32), np.array([0.25], np.float32)):
            # a plane of a 3-D ring (as the engine passes buf[receptor]) and a strided view
            for ring_of in (lambda b: b[1], lambda b: b[1, :, ::2]):
                got = np.zeros((2, slots, 2 * n), np.float32)
                want = got.copy()
                deliver_row(ring_of(got), 10, 10 + length, 7, 123, slots - 1, post, weight, delay)
                _deliver_twin(ring_of(want), 10, 10 + length, 7, 123, slots - 1, post, weight, delay)
                assert np.array_equal(got, want), (length, weight.shape, ring_of)


@njit
def _cells(a, ii, jj):
    s = 0.0
    for e in range(ii.shape[0]):
        prefetch_2d(a, ii[e], jj[e])
        s += a[ii[e], jj[e]]
    return s


def test_prefetch_2d_is_emitted_and_changes_nothing():
    rng = np.random.default_rng(4)
    a = rng.random((300, 400))[:, ::3]  # strided: the address comes from both strides
    ii = rng.integers(0, a.shape[0], 500)
    jj = rng.integers(0, a.shape[1], 500)
    assert np.isclose(_cells(a, ii, jj), a[ii, jj].sum(), rtol=1e-12)
    ir = next(iter(_cells.inspect_llvm().values()))
    assert "call void @llvm.prefetch" in ir and "i32 1, i32 3, i32 1)" in ir


@pytest.mark.parametrize("index", [np.int32, np.int64])
def test_gathered_delivery_equals_the_row_by_row_twin_bit_for_bit(index):
    """kernels.delivery.gather_row + deliver_events (the engine's static delivery): rows of
    several projections, two planes, per-synapse and uniform weights and delays, event lists
    shorter than a row (delivered whenever full), ring indices of either type the runtime
    uses: the ring equals the twin's, which adds one synapse at a time in row order."""
    from spikesim.kernels.delivery import deliver_events, gather_row
    from spikesim.kernels.prefetch import DELIVERY_AHEAD

    rng = np.random.default_rng(5)
    n, slots, t = 3_000, 64, 77
    rows = []
    for length in (0, 1, DELIVERY_AHEAD - 1, DELIVERY_AHEAD + 1, 3 * DELIVERY_AHEAD + 7, 500):
        post = rng.integers(0, 1_000, length).astype(np.int32)
        per_syn = rng.random() < 0.5
        weight = (rng.normal(0, 1, length) if per_syn or length == 0 else rng.normal(0, 1, 1))
        delay = (rng.integers(1, 60, length) if per_syn or length == 0 else np.array([5]))
        rows.append((int(rng.integers(0, 2)), int(rng.integers(0, 2_000)), post,
                     weight.astype(np.float32), delay.astype(np.uint16)))
    for cap in (1, 37, DELIVERY_AHEAD + 3, 10_000):
        got = np.zeros((2, slots, n), np.float32)
        want = got.copy()
        addr, wv = np.zeros(cap, index), np.zeros(cap, np.float32)
        flat = got.reshape(got.size)
        m = 0
        for rec, lo, post, weight, delay in rows * 2:  # each row twice: sums onto sums
            m = gather_row(flat, slots, n, rec, 0, post.shape[0], lo, t, slots - 1, post,
                           weight, delay, addr, wv, m)
            for k in range(post.shape[0]):
                w = weight[k] if weight.shape[0] > 1 else weight[0]
                d = delay[k] if delay.shape[0] > 1 else delay[0]
                want[rec, (t + d) & (slots - 1), lo + post[k]] += w
        deliver_events(flat, addr, wv, m)
        assert np.array_equal(got, want), cap
        assert np.count_nonzero(want) > 500


def test_delivery_on_concatenated_arrays_equals_the_twin_bit_for_bit():
    """What the engine calls on its concatenated post / weight / delay arrays: add_row_at
    (one delay, indexed at the projection's offsets) and gather_row on the projection's
    slices (a delay per synapse); per-synapse and uniform weights, row pieces that start and
    stop inside a row. The ring equals the twin's, which adds one synapse at a time in row
    order; a wrong offset or a weight taken from the neighbouring projection changes it."""
    from spikesim.kernels.delivery import add_row_at, deliver_events, gather_row

    rng = np.random.default_rng(6)
    n, slots, t = 2_000, 64, 91
    post, weight, delay, projs = [], [], [], []
    so = wo = do = 0
    for length, per_w, per_d in ((0, True, True), (150, True, True), (90, False, True),
                                 (200, True, False), (70, False, False), (1, True, False)):
        p = rng.integers(0, 1_500, length).astype(np.int32)
        w = rng.normal(0, 1, length if per_w else 1).astype(np.float32)
        d = rng.integers(1, 60, length if per_d else 1).astype(np.uint16)
        rec, lo = int(rng.integers(0, 2)), int(rng.integers(0, 400))
        projs.append((rec, lo, length, so, wo, w.shape[0], do, d.shape[0]))
        post.append(p), weight.append(w), delay.append(d)
        so, wo, do = so + length, wo + w.shape[0], do + d.shape[0]
    post, weight, delay = np.concatenate(post), np.concatenate(weight), np.concatenate(delay)
    for cap in (1, 29, 10_000):
        got = np.zeros((2, slots, n), np.float32)
        want = got.copy()
        flat = got.reshape(got.size)
        addr, wv = np.zeros(cap, np.int64), np.zeros(cap, np.float32)
        m = 0
        for rec, lo, length, so, wo, wn, do, dn in projs * 2:
            a, b = length // 3, length - length // 4  # a piece of the row
            if dn == 1:
                add_row_at(flat, slots, n, rec, a, b, lo, t, slots - 1, post, so, weight, wo, wn,
                           delay, do)
            else:
                m = gather_row(flat, slots, n, rec, a, b, lo, t, slots - 1, post[so:so + length],
                               weight[wo:wo + wn], delay[do:do + dn], addr, wv, m)
                deliver_events(flat, addr, wv, m)  # the engine delivers before a one-delay row
                m = 0
            for k in range(a, b):
                w = weight[wo + k] if wn > 1 else weight[wo]
                d = delay[do + k] if dn > 1 else delay[do]
                want[rec, (t + d) & (slots - 1), lo + post[so + k]] += w
        assert np.array_equal(got, want), cap
        assert np.count_nonzero(want) > 150


def test_engine_events_use_int32_indices_below_the_limit_and_int64_above(monkeypatch):
    """A network with a delay per synapse (gathered delivery) gives the same spikes whether
    its event lists hold int32 ring indices (the ring has fewer than 2**31 cells) or int64
    ones (forced here by lowering the limit), on one and two threads; the runtime picks the
    type from the ring's size."""
    import spikesim as ss
    from spikesim import runtime

    def spikes(threads):
        net = ss.Network(dt=0.1, seed=4, threads=threads)
        pop = net.add_population(400, ss.IF_curr_exp(i_offset=1.2, tau_refrac=2.0))
        for receptor, w in (("excitatory", (0.0, 0.3)), ("inhibitory", (-0.3, 0.0))):
            net.connect(pop, pop, ss.FixedProbability(0.1), receptor_type=receptor,
                        weight=ss.RandomDistribution("uniform", low=w[0], high=w[1]),
                        delay=ss.RandomDistribution("uniform", low=0.1, high=4.0))
        rec = net.record(pop, "spikes")
        net.run(200.0, progress=False)
        st = rec.spikes
        return net._runtime.ev_addr.dtype, st.times, st.senders

    for threads in (1, 2):
        dt32, t32, s32 = spikes(threads)
        monkeypatch.setattr(runtime, "EVENT_INDEX32_CELLS", 0)
        dt64, t64, s64 = spikes(threads)
        monkeypatch.undo()
        assert (dt32, dt64) == (np.int32, np.int64)
        assert len(t32) > 1000
        np.testing.assert_array_equal(t32, t64)
        np.testing.assert_array_equal(s32, s64)
