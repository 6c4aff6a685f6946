"""Capacity, spacing and robustness experiments on the CA3 memory (benchmarks/ca3.py, the notebook).

Every function builds fresh memories, runs a protocol and returns plain dicts
(JSON-ready). Robustness perturbs the raw input spikes of operations:

- ``learn_missing``: each learning spike (cue and content, 3 per neuron) is
  dropped with probability ``f``; then clean recalls by cue and by single bits.
- ``learn_spurious``: at each of a learn's 3 steps every other input neuron
  (cues and bits not in the operation) fires with probability ``f``.
- ``cue_spurious``: clean memory; a recall by cue where every other input
  neuron fires with probability ``f`` together with the cue (``target``: all
  of the cue's bits are recalled, extra ones allowed).
- ``content_missing``: clean memory; recall by a fragment of ``fragment``
  bits of one stored content, each spike dropped with probability ``f``.
  The answer is scored against the intended fragment (exact) and for
  containing the memory the fragment came from (``target``).
- ``content_spurious``: as above with one-bit fragments, plus every other
  content bit firing with probability ``f``.

Recalls by content potentiate the fragment's bits onto every cue they recall
(the read is Hebbian), so in the two ``content_*`` curves each probe starts
from the weights stored after learning (restored with ``set_weights``).
"""
from __future__ import annotations

import time

import numpy as np

from . import protocols as protocols
from .memory import DEFAULT_SPACING, CA3Memory

ROBUSTNESS_KINDS = ("learn_missing", "learn_spurious", "cue_spurious", "content_missing",
                    "content_spurious")


def default_content_bits(bits: int) -> int:
    """Bits per stored content in these experiments: 3 below 48 bits, else ``bits // 16``."""
    return max(1, min(3, bits) if bits < 48 else bits // 16)


def _exact(results, expected) -> float:
    pairs = [(r.result, e) for r, e in zip(results, expected) if e is not None]
    return float(np.mean([r == e for r, e in pairs])) if pairs else float("nan")


def capacity(cues: int, bits: int, n_bits: int | None = None, seed: int = 0,
             spacing: float = DEFAULT_SPACING, n_random: int | None = None,
             max_probes: int = 256) -> dict:
    """Learn every cue, recall every cue, recall by single bits, then a random stream.

    Returns accuracies (exact sets), wall times per operation of each phase,
    the network's size and the build time.
    """
    n_bits = default_content_bits(bits) if n_bits is None else n_bits
    rng = np.random.default_rng(seed)
    learns = protocols.learn_all(rng, cues, bits, n_bits)
    stored = {op[1]: op[2] for op in learns}
    t0 = time.perf_counter()
    mem = CA3Memory(cues, bits)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    mem.run_until(1.0)
    t_warm = time.perf_counter() - t0
    out = {"cues": cues, "bits": bits, "content_bits": n_bits, "seed": seed, "spacing_ms": spacing,
           "neurons": mem.net.n_neurons, "synapses": sum(p.n_synapses for p in mem.net.projections),
           "build_s": t_build, "warmup_s": t_warm}
    _, t = protocols.timed_run(mem, learns, spacing)
    out["learn_s_per_op"] = t / len(learns)
    ops = [("recall", c) for c in range(cues)]
    res, t = protocols.timed_run(mem, ops, spacing)
    out["recall_by_cue_correct"] = _exact(res, [stored[c] for c in range(cues)])
    out["recall_by_cue_s_per_op"] = t / len(ops)
    out["bits_wrong_by_cue"] = int(sum(len(r.result ^ stored[c]) for c, r in enumerate(res)))
    probe = rng.permutation(bits)[:max_probes]
    ops = [("recall_by_content", {int(b)}) for b in probe]
    res, t = protocols.timed_run(mem, ops, spacing)
    expect = [frozenset(c for c, s in stored.items() if b in s) for b in probe]
    out["recall_by_content_correct"] = _exact(res, expect)
    out["recall_by_content_s_per_op"] = t / len(ops)
    out["cues_wrong_by_content"] = int(sum(len(r.result ^ e) for r, e in zip(res, expect)))
    n_random = 2 * cues if n_random is None else n_random
    if n_random:
        ops = protocols.random_protocol(rng, cues, bits, n_random, n_bits=n_bits, fragment=(1, 1))
        expect = protocols.expected_results(learns + ops)[len(learns):]
        res, t = protocols.timed_run(mem, ops, spacing)
        sc = protocols.score(res, expect)
        out.update(random_ops=n_random, random_correct=sc["correct"],
                   random_correct_by_cue=sc["correct_by_cue"],
                   random_correct_by_content=sc["correct_by_content"], random_s_per_op=t / n_random)
    n_online = min(cues, 32)  # one call per operation: schedule, run to the read-out, decode
    t0 = time.perf_counter()
    got = [mem.recall(c) for c in range(n_online)]
    out["online_recall_s_per_op"] = (time.perf_counter() - t0) / n_online
    for op in (ops if n_random else []):
        if op[0] == "learn":
            stored[op[1]] = op[2]
    out["online_recall_correct"] = float(np.mean([g == stored[c] for c, g in enumerate(got)]))
    out["simulated_ms"] = mem.net.t
    return out


def spacing_sweep(cues: int, bits: int, spacings, n_bits: int | None = None, seeds=(0, 1, 2),
                  n_random: int = 300) -> list[dict]:
    """Accuracy against operation spacing: learn-all + recall-all, and random streams
    (with overwrites) with one-bit and with one-or-two-bit fragments."""
    n_bits = default_content_bits(bits) if n_bits is None else n_bits
    rows = []
    for spacing in spacings:
        row = {"spacing_ms": float(spacing), "cues": cues, "bits": bits, "content_bits": n_bits}
        acc = {"structured": [], "random_1bit": [], "random_1to2bit": []}
        for seed in seeds:
            rng = np.random.default_rng(seed)
            learns = protocols.learn_all(rng, cues, bits, n_bits)
            mem = CA3Memory(cues, bits)
            mem.run_protocol(learns, spacing=spacing)
            probe = [("recall", c) for c in range(cues)] + [
                ("recall_by_content", {b}) for b in range(bits)]
            res = mem.run_protocol(probe, spacing=spacing)
            acc["structured"].append(_exact(res, protocols.expected_results(learns + probe)[
                len(learns):]))
            for key, frag in (("random_1bit", (1, 1)), ("random_1to2bit", (1, 2))):
                rng2 = np.random.default_rng(1000 + seed)
                mem = CA3Memory(cues, bits)
                mem.run_protocol(learns, spacing=spacing)
                ops = protocols.random_protocol(rng2, cues, bits, n_random, n_bits=n_bits,
                                                fragment=frag)
                res = mem.run_protocol(ops, spacing=spacing)
                sc = protocols.score(res, protocols.expected_results(learns + ops)[len(learns):])
                acc[key].append(sc["correct"])
        for k, v in acc.items():
            row[k] = float(np.mean(v))
            row[k + "_per_seed"] = [float(x) for x in v]
        rows.append(row)
    return rows


def _perturb(rng, neurons, times, n_inputs, p_missing=0.0, p_spurious=0.0, pool=None):
    """Drop each spike with ``p_missing``; add, at each distinct time, a spike on every
    neuron of ``pool`` (default: all inputs not in ``neurons``) with ``p_spurious``."""
    keep = rng.random(neurons.shape[0]) >= p_missing
    n, t = [neurons[keep]], [times[keep]]
    if p_spurious > 0:
        pool = np.setdiff1d(np.arange(n_inputs), neurons) if pool is None else pool
        for tt in np.unique(times):
            extra = pool[rng.random(pool.shape[0]) < p_spurious]
            n.append(extra)
            t.append(np.full(extra.shape[0], tt))
    return np.concatenate(n), np.concatenate(t)


def robustness(kind: str, fractions, cues: int = 32, bits: int = 32, n_bits: int | None = None,
               seeds=(0, 1, 2), fragment: int = 3, spacing: float = DEFAULT_SPACING) -> list[dict]:
    """Recall accuracy against the fraction of missing or spurious input spikes (module doc)."""
    if kind not in ROBUSTNESS_KINDS:
        raise ValueError(f"kind must be one of {ROBUSTNESS_KINDS}, got {kind!r}")
    n_bits = default_content_bits(bits) if n_bits is None else n_bits
    if kind == "content_missing" and fragment > n_bits:
        raise ValueError(f"fragment ({fragment}) must be at most the content size ({n_bits})")
    rows = []
    for f in fractions:
        exact, target, wrong = [], [], []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            learns = protocols.learn_all(rng, cues, bits, n_bits)
            stored = {op[1]: op[2] for op in learns}
            mem = CA3Memory(cues, bits)
            n_in = cues + bits
            pert = np.random.default_rng(10_000 + seed)
            if kind.startswith("learn"):
                pm, ps = (f, 0.0) if kind == "learn_missing" else (0.0, f)
                mem.submit(learns, spacing=spacing,
                           perturb=lambda op, n, t: _perturb(pert, n, t, n_in, pm, ps))
                probe = [("recall", c) for c in range(cues)] + [
                    ("recall_by_content", {b}) for b in range(bits)]
                res = mem.run_protocol(probe, spacing=spacing)
                expect = protocols.expected_results(learns + probe)[len(learns):]
                exact.append(_exact(res, expect))
                wrong.append(float(np.mean([len(r.result ^ e) for r, e in zip(res, expect)])))
                continue
            mem.run_protocol(learns, spacing=spacing)
            plastic = [mem.projections[k] for k in ("cue_to_cont", "cont_to_cue")]
            saved = [p.weight.copy() for p in plastic]
            ok, hit, bad = [], [], []
            for c in range(cues):
                content = sorted(stored[c])
                if kind == "cue_spurious":
                    op = ("recall", c)
                    want = stored[c]
                elif kind == "content_missing":
                    frag = frozenset(int(b) for b in pert.choice(content, fragment, replace=False))
                    op = ("recall_by_content", frag)
                    want = frozenset(j for j, s in stored.items() if s & frag)
                else:
                    frag = frozenset({int(pert.choice(content))})
                    op = ("recall_by_content", frag)
                    want = frozenset(j for j, s in stored.items() if s & frag)
                for p, w in zip(plastic, saved):  # a Hebbian read must not leak into the next
                    p.set_weights(w)
                if kind == "cue_spurious":
                    def perturb(op, n, t):
                        return _perturb(pert, n, t, n_in, p_spurious=f)
                elif kind == "content_missing":
                    def perturb(op, n, t):
                        return _perturb(pert, n, t, n_in, p_missing=f)
                else:
                    def perturb(op, n, t):
                        return _perturb(pert, n, t, n_in, p_spurious=f,
                                        pool=np.setdiff1d(np.arange(cues, n_in), n))
                r = mem.run_protocol([op], spacing=spacing, perturb=perturb)[0]
                ok.append(r.result == want)
                # target: the cue the probe came from is recalled (by content), or every
                # stored bit of the cue is recalled, extra ones allowed (by cue)
                hit.append(c in r.result if r.op.kind == "recall_by_content" else want <= r.result)
                bad.append(len(r.result ^ want))
            exact.append(float(np.mean(ok)))
            target.append(float(np.mean(hit)))
            wrong.append(float(np.mean(bad)))
        row = {"kind": kind, "fraction": float(f), "cues": cues, "bits": bits, "content_bits": n_bits,
               "exact": float(np.mean(exact)), "exact_per_seed": exact,
               "wrong_items_per_recall": float(np.mean(wrong))}
        if target:
            row["target"] = float(np.mean(target))
        if kind == "content_missing":
            row["fragment_bits"] = fragment
        rows.append(row)
    return rows
