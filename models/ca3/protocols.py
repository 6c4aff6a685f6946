"""Protocols for the CA3 memory: the paper's functional test, random streams, a reference.

A protocol is a list of operations (``("learn", cue, bits)``, ``("recall", cue)``,
``("recall_by_content", bits)``) and the results an ideal content-addressable
memory gives (``None`` for learn). :func:`score` compares a memory's results
with them. Used by the tests, ``spikesim ca3`` and ``benchmarks/ca3.py``.
"""
from __future__ import annotations

import time

# Casanueva-Morato et al. (2024), functional test: C = 5, K = 10, one operation every 10 ms
FUNCTIONAL = (
    ("learn", 0, frozenset({0, 1, 8, 9})),
    ("learn", 4, frozenset({1, 5, 6})),
    ("learn", 3, frozenset({4, 5, 6})),
    ("recall", 0),
    ("recall_by_content", frozenset({6})),
    ("recall_by_content", frozenset({0, 4})),
    ("learn", 3, frozenset({1, 3, 4, 8})),  # overwrites cue 3
    ("recall", 3),
    ("recall_by_content", frozenset({6})),
)
FUNCTIONAL_EXPECTED = (None, None, None, frozenset({0, 1, 8, 9}), frozenset({3, 4}),
                       frozenset({0, 3}), None, frozenset({1, 3, 4, 8}), frozenset({4}))
FUNCTIONAL_SIZE = (5, 10)


def expected_results(ops) -> list:
    """What an ideal memory returns for ``ops`` (learn overwrites; unlearned cues hold nothing)."""
    stored, out = {}, []
    for op in ops:
        kind = op[0]
        if kind == "learn":
            stored[op[1]] = frozenset(op[2])
            out.append(None)
        elif kind == "recall":
            out.append(stored.get(op[1], frozenset()))
        else:
            frag = frozenset(op[1])
            out.append(frozenset(c for c, bits in stored.items() if bits & frag))
    return out


def random_content(rng, bits: int, n_bits: int) -> frozenset:
    """``n_bits`` distinct random bits out of ``bits``."""
    return frozenset(int(b) for b in rng.choice(bits, size=min(n_bits, bits), replace=False))


def learn_all(rng, cues: int, bits: int, n_bits: int) -> list:
    """One learn per cue, random contents of ``n_bits`` bits (they overlap at random)."""
    return [("learn", c, random_content(rng, bits, n_bits)) for c in range(cues)]


def random_protocol(rng, cues: int, bits: int, n_ops: int, n_bits: int = 3,
                    fragment: tuple = (1, 2), p_learn: float = 1 / 3) -> list:
    """A random stream: learn (overwriting), recall by cue, recall by content fragment.

    Recalls target stored memories: by cue, a learnt cue; by content, ``fragment[0]``
    to ``fragment[1]`` bits of a learnt content (results still include every other cue
    that shares a bit). Learns pick any cue, so memories get overwritten.
    """
    stored, ops = {}, []
    for _ in range(n_ops):
        u = rng.random()
        if u < p_learn or not stored:
            c = int(rng.integers(cues))
            stored[c] = random_content(rng, bits, n_bits)
            ops.append(("learn", c, stored[c]))
        elif u < p_learn + (1 - p_learn) / 2:
            ops.append(("recall", int(rng.choice(sorted(stored)))))
        else:
            content = sorted(stored[int(rng.choice(sorted(stored)))])
            k = int(rng.integers(fragment[0], fragment[1] + 1))
            ops.append(("recall_by_content",
                        frozenset(int(b) for b in rng.choice(content, min(k, len(content)),
                                                             replace=False))))
    return ops


def score(results, expected) -> dict:
    """Fraction of exactly right recalls (overall, by cue, by content) and wrong items.

    ``results`` are :class:`~spikesim.models.ca3.OpResult`; ``wrong_items`` counts
    bits (by cue) or cues (by content) missing or extra, summed over the recalls.
    """
    per = {"recall": [0, 0], "recall_by_content": [0, 0]}
    wrong_items = 0
    for r, e in zip(results, expected):
        if e is None:
            continue
        per[r.op.kind][0] += r.result == e
        per[r.op.kind][1] += 1
        wrong_items += len(r.result ^ e)
    n_ok = sum(v[0] for v in per.values())
    n = sum(v[1] for v in per.values())
    frac = {k: (v[0] / v[1] if v[1] else None) for k, v in per.items()}
    return {"correct": n_ok / n if n else None, "n_recalls": n,
            "correct_by_cue": frac["recall"], "correct_by_content": frac["recall_by_content"],
            "wrong_items": wrong_items}


def timed_run(memory, ops, spacing=None) -> tuple[list, float]:
    """``memory.run_protocol(ops)`` and its wall time in seconds."""
    t0 = time.perf_counter()
    res = memory.run_protocol(ops, spacing=spacing)
    return res, time.perf_counter() - t0
