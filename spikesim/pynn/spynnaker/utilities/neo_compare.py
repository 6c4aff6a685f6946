"""Equality checks of neo data (``spynnaker.pyNN.utilities.neo_compare``); each raises
``AssertionError`` naming the first difference.

``same_length=False`` lets one side hold more data after the other ends (data read part
way through compared with data read at the end); ``same_data=False`` compares only what
both hold; ``same_runs=False`` compares only the segments both blocks have.
"""
from __future__ import annotations

import numpy as np


def compare_spiketrain(spiketrain1, spiketrain2, *, same_length=True):
    i1, i2 = spiketrain1.annotations["source_index"], spiketrain2.annotations["source_index"]
    if i1 != i2:
        raise AssertionError(f"spike trains of neurons {i1} and {i2}")
    a, b = np.asarray(spiketrain1.magnitude), np.asarray(spiketrain2.magnitude)
    if same_length and len(a) != len(b):
        raise AssertionError(f"neuron {i1}: {len(a)} spikes against {len(b)}")
    n = min(len(a), len(b))
    bad = np.flatnonzero(a[:n] != b[:n])
    if bad.size:
        raise AssertionError(f"neuron {i1}: spike {a[bad[0]]} against {b[bad[0]]}")


def compare_spiketrains(spiketrains1, spiketrains2, *, same_data=True, same_length=True):
    if not same_data and (not spiketrains1 or not spiketrains2):
        return
    if len(spiketrains1) != len(spiketrains2):
        raise AssertionError(f"{len(spiketrains1)} spike trains against {len(spiketrains2)}")
    for s1, s2 in zip(spiketrains1, spiketrains2):
        compare_spiketrain(s1, s2, same_length=same_length)


def _ids(signal):
    ids = signal.annotations.get("channel_names")
    if ids is None:
        ids = signal.array_annotations.get("channel_index", np.arange(signal.shape[1]))
    return list(np.asarray(ids))


def compare_analogsignal(as1, as2, *, same_length=True):
    if as1.name != as2.name:
        raise AssertionError(f"signals {as1.name!r} and {as2.name!r}")
    ids1, ids2 = _ids(as1), _ids(as2)
    if same_length and len(ids1) != len(ids2):
        raise AssertionError(f"{as1.name}: {len(ids1)} neurons against {len(ids2)}")
    if any(a != b for a, b in zip(ids1, ids2)):
        raise AssertionError(f"{as1.name}: neurons {ids1} against {ids2}")
    t1, t2 = np.asarray(as1.times.magnitude), np.asarray(as2.times.magnitude)
    if same_length and len(t1) != len(t2):
        raise AssertionError(f"{as1.name}: {len(t1)} samples against {len(t2)}")
    n = min(len(t1), len(t2))
    if not np.array_equal(t1[:n], t2[:n]):
        raise AssertionError(f"{as1.name}: different sample times")
    v1, v2 = np.asarray(as1.magnitude)[:n], np.asarray(as2.magnitude)[:n]
    if v1.shape[1:] != v2.shape[1:]:
        raise AssertionError(f"{as1.name}: shapes {v1.shape} and {v2.shape}")
    bad = np.argwhere(v1 != v2)
    if bad.size:
        r, c = bad[0]
        raise AssertionError(f"{as1.name}: value {v1[r, c]} against {v2[r, c]} at sample {r}, "
                             f"neuron {ids1[c]}")


def compare_segments(seg1, seg2, *, same_data=True, same_length=True):
    compare_spiketrains(seg1.spiketrains, seg2.spiketrains, same_data=same_data,
                        same_length=same_length)
    if same_data and len(seg1.analogsignals) != len(seg2.analogsignals):
        raise AssertionError(f"{len(seg1.analogsignals)} signals against "
                             f"{len(seg2.analogsignals)}")
    for sig in seg1.analogsignals:
        other = seg2.filter(name=sig.name)
        if not other:
            if same_data:
                raise AssertionError(f"{sig.name} in the first segment only")
            continue
        compare_analogsignal(sig, other[0], same_length=same_length)


def compare_blocks(neo1, neo2, *, same_runs=True, same_data=True, same_length=True):
    if same_runs and len(neo1.segments) != len(neo2.segments):
        raise AssertionError(f"{len(neo1.segments)} segments against {len(neo2.segments)}")
    for s1, s2 in zip(neo1.segments, neo2.segments):
        compare_segments(s1, s2, same_data=same_data, same_length=same_length)
