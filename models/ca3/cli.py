"""``spikesim ca3``: run the CA3 memory on a protocol, report correct recalls and time per operation.

    spikesim ca3 --cues 5 --bits 10 --protocol functional
    spikesim ca3 --cues 256 --bits 256 --protocol random --ops 2000 --json ca3.json

``functional`` is the paper's 9-step table (needs at least 5 cues and 10 bits);
``random`` first learns every cue, then runs ``--ops`` random operations (learns
that overwrite, recalls by cue, recalls by content fragment) against an ideal
memory. Times: ``build`` (network construction), ``warmup`` (first run: Numba
JIT or cache load), then wall time per operation of the protocol itself.
"""
from __future__ import annotations

import argparse
import json
import os
import time

from spikesim._argtypes import number


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``ca3`` on ``subparsers`` (from ``parser.add_subparsers()``); returns its parser."""
    p = subparsers.add_parser(
        "ca3", help="CA3 content-addressable memory: fraction of correct recalls, time per operation",
        description="Run the CA3 content-addressable memory (Casanueva-Morato et al. 2024) on the "
                    "paper's functional protocol or a random one; report the fraction of correct "
                    "recalls and the wall time per operation.")
    p.add_argument("--cues", type=number("--cues", int, 1), default=5, help="C (default 5)")
    p.add_argument("--bits", type=number("--bits", int, 1), default=10, help="K (default 10)")
    p.add_argument("--protocol", choices=["functional", "random"], default="functional")
    p.add_argument("--ops", type=number("--ops", int, 1), default=200,
                   help="random: operations after learning every cue (default 200)")
    p.add_argument("--content-bits", type=number("--content-bits", int, 1), default=None,
                   help="random: bits per stored content (default 3, or bits // 16 from 48 bits on)")
    p.add_argument("--spacing", type=number("--spacing", float, 0, inclusive=False), default=None,
                   help="ms between operations (default: 10 for functional, as in the paper; 16 for "
                        "random; the model refuses less than 7 after a learn, 6 after a recall)")
    p.add_argument("--fragment-bits", type=number("--fragment-bits", int, 1), default=1,
                   help="random: recall-by-content fragments have 1 to this many bits (default 1; "
                        "multi-bit fragments also potentiate cross links, see benchmarks/README.md)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="write the report to this JSON file")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    """Handler of ``spikesim ca3``: build, run the protocol, print (and write) the report."""
    import numpy as np

    import spikesim as ss

    from . import protocols as protocols
    from .memory import DEFAULT_SPACING, CA3Memory
    from .experiments import default_content_bits

    C, K = args.cues, args.bits
    if args.spacing is None:
        args.spacing = 10.0 if args.protocol == "functional" else DEFAULT_SPACING
    rng = np.random.default_rng(args.seed)
    if args.protocol == "functional":
        need_c, need_k = protocols.FUNCTIONAL_SIZE
        if C < need_c or K < need_k:
            raise ValueError(f"the functional protocol needs --cues >= {need_c} and --bits >= "
                             f"{need_k}, got --cues {C} --bits {K}")
        preload, ops = [], list(protocols.FUNCTIONAL)
        expected = list(protocols.FUNCTIONAL_EXPECTED)
        n_bits = None
    else:
        n_bits = args.content_bits or default_content_bits(K)
        if n_bits > K:
            raise ValueError(f"--content-bits must be at most --bits ({K}), got {n_bits}")
        preload = protocols.learn_all(rng, C, K, n_bits)
        ops = protocols.random_protocol(rng, C, K, args.ops, n_bits=n_bits,
                                        fragment=(1, args.fragment_bits))
        expected = protocols.expected_results(preload + ops)[len(preload):]
    t0 = time.perf_counter()
    mem = CA3Memory(C, K, network=ss.Network(dt=1.0, seed=args.seed))
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    mem.run_until(1.0)  # first run: JIT compilation or Numba cache load
    t_warm = time.perf_counter() - t0
    if preload:
        res, t_pre = protocols.timed_run(mem, preload, spacing=args.spacing)
    else:
        t_pre = 0.0
    res, t_ops = protocols.timed_run(mem, ops, spacing=args.spacing)
    sc = protocols.score(res, expected)
    n_syn = sum(p.n_synapses for p in mem.net.projections)
    report = {
        "model": "CA3Memory", "cues": C, "bits": K, "protocol": args.protocol, "seed": args.seed,
        "spacing_ms": args.spacing, "content_bits": n_bits,
        "fragment_bits": None if args.protocol == "functional" else [1, args.fragment_bits],
        "neurons": mem.net.n_neurons,
        "synapses": n_syn, "n_ops": len(ops), "n_preload_learns": len(preload), **sc,
        "build_s": t_build, "warmup_s": t_warm, "preload_s": t_pre, "protocol_s": t_ops,
        "s_per_op": t_ops / len(ops),
        "simulated_ms_per_op": float(np.mean(np.diff([r.time for r in res]))) if len(res) > 1
        else None,
        "results": [{"op": r.op.kind, "cue": r.op.cue,
                     "bits": None if r.op.bits is None else sorted(r.op.bits),
                     "time_ms": r.time, "result": None if r.result is None else sorted(r.result),
                     "expected": None if e is None else sorted(e)}
                    for r, e in zip(res, expected)] if args.protocol == "functional" else None,
    }
    print(f"spikesim ca3: {C} cues x {K} bits, {mem.net.n_neurons} neurons, {n_syn} synapses; "
          f"protocol {args.protocol}: {len(ops)} operations every {args.spacing:g} ms"
          + (f" after learning all {C} cues" if preload else ""))
    if args.protocol == "functional":
        for i, (r, e) in enumerate(zip(res, expected), 1):
            what = describe(r.op)
            got = "" if e is None else (f"-> {sorted(r.result)}" + ("" if r.result == e else
                                                                    f"  WRONG, expected {sorted(e)}"))
            print(f"  {i}. {what} {got}")
    print(f"  correct recalls: {sc['correct']:.4f} ({sc['n_recalls']} recalls; by cue "
          f"{_fmt(sc['correct_by_cue'])}, by content {_fmt(sc['correct_by_content'])})")
    print(f"  time: build {t_build:.3f} s, warm-up (JIT/cache) {t_warm:.2f} s, "
          f"{1e3 * t_ops / len(ops):.3f} ms wall per operation")
    if args.json:
        d = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(d, exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"  wrote {args.json}")
    return 0 if args.protocol == "random" or sc["correct"] == 1.0 else 1


def describe(op) -> str:
    """``learn cue0 = [0, 1]``, ``recall cue3``, ``recall by content [6]``."""
    if op.kind == "learn":
        return f"learn cue{op.cue} = {sorted(op.bits)}"
    if op.kind == "recall":
        return f"recall cue{op.cue}"
    return f"recall by content {sorted(op.bits)}"


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.4f}"
