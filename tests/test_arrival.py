"""Delivery at arrival time (kernels.arrival) against its NumPy twin and against delivery at
emission (kernels.delivery), bit for bit."""
import numpy as np
import pytest

from spikesim.kernels.arrival import (arrival_gather, arrival_sweep, deliver_arrivals,
                                      flush_arrivals, push_history)
from spikesim.kernels.delivery import deliver_events, gather_row

from .reference import arrival_ref


def _network(rng, sizes=(17, 9, 23), max_delay=7, n_rec=2):
    """Random CSR projections between populations of ``sizes``: the engine's routing arrays
    (every projection with a weight and a delay per synapse, multapses allowed)."""
    first = np.concatenate([[0], np.cumsum(sizes)])
    n = int(first[-1])
    neuron_pop = np.repeat(np.arange(len(sizes)), sizes).astype(np.int32)
    pairs = [(a, b) for a in range(len(sizes)) for b in range(len(sizes)) if rng.random() < 0.8]
    out = [[k for k, (a, _) in enumerate(pairs) if a == p] for p in range(len(sizes))]
    pop_out_ptr = np.concatenate([[0], np.cumsum([len(o) for o in out])]).astype(np.int64)
    pop_out_proj = np.array([k for o in out for k in o], np.int64)
    posts, weights, delays, rows, row_off, syn, own = [], [], [], [], [0], [0], []
    for a, b in pairs:
        counts = rng.integers(0, 12, sizes[a])
        indptr = np.concatenate([[0], np.cumsum(counts)])
        posts.append(rng.integers(0, sizes[b], indptr[-1]).astype(np.int32))
        # the second projection has one weight for all its synapses
        weights.append(rng.normal(0, 1, 1 if len(weights) == 1 else indptr[-1]).astype(np.float32))
        delays.append(rng.integers(1, max_delay + 1, indptr[-1]).astype(np.uint16))
        rows.append(np.stack([indptr[:-1], indptr[1:]], axis=1))
        row_off.append(row_off[-1] + sizes[a])
        syn.append(syn[-1] + indptr[-1])
        own.append((indptr, posts[-1], weights[-1], delays[-1]))
    arrays = dict(
        neuron_pop=neuron_pop, pop_out_ptr=pop_out_ptr, pop_out_proj=pop_out_proj,
        pj_pre_lo=np.array([first[a] for a, _ in pairs], np.int64),
        pj_post_lo=np.array([first[b] for _, b in pairs], np.int64),
        pj_rec=rng.integers(0, n_rec, len(pairs)).astype(np.int64),
        pj_row_off=np.array(row_off[:-1], np.int64), pj_syn=np.array(syn, np.int64),
        pj_w=np.concatenate([[0], np.cumsum([w.shape[0] for w in weights])]).astype(np.int64),
        pj_d=np.array(syn, np.int64),
        cut=np.concatenate(rows).astype(np.int64), post=np.concatenate(posts),
        weight=np.concatenate(weights), delay=np.concatenate(delays), own=own)
    return n, arrays


ORDER = ("neuron_pop", "pop_out_ptr", "pop_out_proj", "pj_pre_lo", "pj_post_lo", "pj_rec",
         "pj_row_off", "pj_syn", "pj_w", "pj_d", "cut", "post", "weight", "delay")


def _blocks(arrays, bounds, n_rec, max_delay, tdtype, threads=1, with_slots=False):
    """Count every projection's synapses, then place them, projections in the engine's order
    (``with_slots``: also each synapse's place in its row, returned last)."""
    a = arrays
    off = np.zeros((a["neuron_pop"].shape[0] * n_rec * (bounds.shape[0] - 1), max_delay + 2),
                   np.int64)

    def sweep(off, targets, weights, slots):
        for pj in a["pop_out_proj"]:  # grouped by source population, in each one's order
            arrival_sweep(a["pj_pre_lo"][pj], a["pj_post_lo"][pj], a["pj_rec"][pj],
                          *a["own"][pj], bounds, n_rec, off, targets, weights, slots, threads)

    sweep(off, np.zeros(0, tdtype), np.zeros(0, np.float32), np.zeros(0, tdtype))
    start = np.zeros(off.size, np.int64)
    np.cumsum(off.ravel()[:-1], out=start[1:])
    targets = np.empty(int(off.sum()), tdtype)
    weights = np.empty(targets.shape[0], np.float32)
    slots = np.empty(targets.shape[0] if with_slots else 0, tdtype)
    sweep(start.reshape(off.shape).copy(), targets, weights, slots)
    return (targets, weights, start.reshape(off.shape)) + ((slots,) if with_slots else ())


@pytest.mark.parametrize("n_parts,tdtype", [(1, np.int32), (3, np.uint16), (2, np.int32)])
def test_arrivals_equal_the_twin_and_delivery_at_emission_bit_for_bit(n_parts, tdtype):
    rng = np.random.default_rng(n_parts)
    n_rec, max_delay, slots, steps = 2, 7, 8, 40
    n, arrays = _network(rng, n_rec=n_rec, max_delay=max_delay)
    sel = np.ones(arrays["pj_rec"].shape[0], np.bool_)
    bounds = np.linspace(0, n, n_parts + 1).round().astype(np.int64)
    blocks = _blocks(arrays, bounds, n_rec, max_delay, tdtype)
    assert blocks[0].shape[0] == arrays["post"].shape[0]  # every synapse once
    for x, y in zip(blocks, _blocks(arrays, bounds, n_rec, max_delay, tdtype, threads=3)):
        assert np.array_equal(x, y)  # rows swept in parallel: the same blocks
    table = arrival_ref.synapse_table(sel, *[arrays[k] for k in ORDER])
    spikes = {t: np.sort(rng.choice(n, rng.integers(0, 12), replace=False)) for t in range(steps)}
    ring = np.zeros((n_rec, slots, n), np.float32)  # arrivals, kernel
    twin = np.zeros_like(ring)
    emit = np.zeros_like(ring)  # delivery at emission (gather_row + deliver_events)
    hist = np.zeros((8, n), np.int32)
    hist_n = np.zeros(8, np.int64)
    hist_t = np.full(8, -1, np.int64)
    addr, wv = np.zeros(64, np.int64), np.zeros(64, np.float32)  # short: fills mid-row
    a = arrays
    for t in range(steps + max_delay):
        for part in range(n_parts):
            deliver_arrivals(t, part, bounds, ring.reshape(-1), slots, slots - 1, hist, hist_n,
                             hist_t, *blocks, n_rec, max_delay)
            arrival_ref.deliver_arrivals(t, bounds[part], bounds[part + 1], twin, slots - 1,
                                         table, spikes, max_delay)
        for r in range(n_rec):  # the update reads and clears slot t
            got, want, ref = (x[r, t & (slots - 1)].copy() for x in (ring, twin, emit))
            assert np.array_equal(got.view(np.int32), want.view(np.int32)), (t, r)
            assert np.array_equal(got.view(np.int32), ref.view(np.int32)), (t, r)
            for x in (ring, twin, emit):
                x[r, t & (slots - 1)] = 0
        fired = spikes.get(t, np.zeros(0, np.int64))
        push_history(t, fired, fired.shape[0], hist, hist_n, hist_t)
        m = 0
        for j in fired:
            p = a["neuron_pop"][j]
            for pj in a["pop_out_proj"][a["pop_out_ptr"][p]:a["pop_out_ptr"][p + 1]]:
                row = a["pj_row_off"][pj] + j - a["pj_pre_lo"][pj]
                s0, s1 = a["pj_syn"][pj], a["pj_syn"][pj + 1]
                w0, w1 = a["pj_w"][pj], a["pj_w"][pj + 1]
                m = gather_row(emit.reshape(-1), slots, n, a["pj_rec"][pj], a["cut"][row, 0],
                               a["cut"][row, 1], a["pj_post_lo"][pj], t, slots - 1,
                               a["post"][s0:s1], a["weight"][w0:w1], a["delay"][s0:s1], addr,
                               wv, m)
        deliver_events(emit.reshape(-1), addr, wv, m)
    assert np.count_nonzero(emit) == 0 and np.count_nonzero(ring) == 0


def test_flush_puts_pending_arrivals_where_emission_would_have():
    """Stop arrival delivery at step t0, flush, and go on at emission: every slot read
    afterwards holds what delivery at emission throughout gives."""
    rng = np.random.default_rng(7)
    n_rec, max_delay, slots, steps, t0 = 2, 7, 8, 30, 13
    n, a = _network(rng, n_rec=n_rec, max_delay=max_delay)
    sel = np.ones(a["pj_rec"].shape[0], np.bool_)
    bounds = np.array([0, n // 2, n], np.int64)
    blocks = _blocks(a, bounds, n_rec, max_delay, np.uint16)
    table = arrival_ref.synapse_table(sel, *[a[k] for k in ORDER])
    spikes = {t: np.sort(rng.choice(n, rng.integers(0, 12), replace=False)) for t in range(steps)}
    ring = np.zeros((n_rec, slots, n), np.float32)
    emit = np.zeros_like(ring)
    hist, hist_n, hist_t = np.zeros((8, n), np.int32), np.zeros(8, np.int64), np.full(8, -1)

    def at_emission(x, t):
        for j in spikes.get(t, ()):
            for r, i, d, w in table[j]:
                x[r, (t + d) & (slots - 1), i] += w

    for t in range(steps + max_delay):
        if t < t0:
            for part in range(2):
                deliver_arrivals(t, part, bounds, ring.reshape(-1), slots, slots - 1, hist,
                                 hist_n, hist_t, *blocks, n_rec, max_delay)
        elif t == t0:
            flush_arrivals(t, bounds, ring.reshape(-1), slots, slots - 1, hist, hist_n,
                           hist_t, *blocks, n_rec, max_delay)
            assert (hist_t == -1).all() and (hist_n == 0).all()
        got, want = ring[:, t & (slots - 1)].copy(), emit[:, t & (slots - 1)].copy()
        assert np.array_equal(got.view(np.int32), want.view(np.int32)), t
        ring[:, t & (slots - 1)] = 0
        emit[:, t & (slots - 1)] = 0
        fired = spikes.get(t, np.zeros(0, np.int64))
        at_emission(emit, t)
        if t < t0:
            push_history(t, fired, fired.shape[0], hist, hist_n, hist_t)
        else:
            at_emission(ring, t)


@pytest.mark.parametrize("n_parts,tdtype,threads", [(1, np.int32, 1), (3, np.uint16, 2),
                                                    (2, np.uint16, 3)])
def test_gather_gives_back_each_projection_from_the_blocks(n_parts, tdtype, threads):
    """Every projection read back from the shared blocks equals its own arrays, synapse for
    synapse in its order (a weight per synapse where it had one for all); a projection that
    is not alone in its blocks (another one into the same targets and plane) is reported,
    not read back wrong."""
    rng = np.random.default_rng(11)
    n_rec, max_delay = 2, 7
    n, a = _network(rng, n_rec=n_rec, max_delay=max_delay)
    bounds = np.linspace(0, n, n_parts + 1).astype(np.int64)
    blocks = _blocks(a, bounds, n_rec, max_delay, tdtype, threads, with_slots=True)
    sizes = np.bincount(a["neuron_pop"])

    def gather(pj, blocks):
        indptr, post = a["own"][pj][:2]
        got = (np.full(post.shape[0], -1, np.int32), np.zeros(post.shape[0], np.float32),
               np.zeros(post.shape[0], np.uint16))
        post_lo = a["pj_post_lo"][pj]
        bad = np.zeros(threads, np.int64)
        arrival_gather(a["pj_pre_lo"][pj], post_lo, sizes[a["neuron_pop"][post_lo]],
                       a["pj_rec"][pj], indptr, bounds, n_rec, blocks[2], blocks[0], blocks[1],
                       blocks[3], *got, bad, threads)
        return got, bad.sum()

    for pj, (indptr, post, weight, delay) in enumerate(a["own"]):
        got, bad = gather(pj, blocks)
        assert bad == 0
        np.testing.assert_array_equal(got[0], post)
        np.testing.assert_array_equal(got[1], np.broadcast_to(weight, post.shape))
        np.testing.assert_array_equal(got[2], delay)
    # a second projection in the same blocks: the rows no longer add up
    pj = next(k for k, o in enumerate(a["own"]) if o[0][-1] > 0)
    twin = dict(a, pop_out_proj=np.append(a["pop_out_proj"], pj))
    _, bad = gather(pj, _blocks(twin, bounds, n_rec, max_delay, tdtype, threads, True))
    assert bad == np.count_nonzero(np.diff(a["own"][pj][0]))
