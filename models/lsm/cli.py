"""``spikesim lsm``: run an LSM / LSM+STDP / NALSM experiment from the command line.

``spikesim.cli`` calls :func:`add_parser` with its sub-parsers; the handler is
:func:`run`. Example::

    spikesim lsm --dataset mnist --data ../shared/datasets/mnist5k --mode nalsm \\
        --neurons 1000 --seed 1 --json nalsm.json

On the full MNIST files (and without ``--samples``) the default ``--protocol`` is
``paper``: the authors' model and readout (see ``pipeline.PROTOCOLS``); elsewhere
it is ``spikesim``. Single flags (``--hop-ms``, ``--[no-]same-step-pairs``,
``--[no-]init-keeps-traces``, ``--readout``, ``--weight-scale``) override the protocol's values.
"""
from __future__ import annotations

import argparse
import json

from spikesim._argtypes import number


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``lsm`` on an argparse sub-parser collection; returns the new parser."""
    p = subparsers.add_parser(
        "lsm", help="liquid state machine (lsm / stdp / nalsm) on MNIST, FSDD or N-MNIST",
        description="Ivanov & Michmizos (NeurIPS 2021): W_INI initialisation, every sample from "
                    "W_INI for --duration-ms, L1-normalised liquid spike counts, softmax readout chosen "
                    "on validation. Prints and writes accuracy (train/val/test), branching factor, "
                    "mean liquid rate and wall time.")
    p.add_argument("--dataset", required=True, choices=["mnist", "fsdd", "nmnist"])
    p.add_argument("--data", required=True, help="data directory (IDX files / FSDD WAVs / N-MNIST)")
    p.add_argument("--mode", default="nalsm", choices=["lsm", "stdp", "nalsm"])
    p.add_argument("--neurons", type=number("--neurons", int, 8), default=1000,
                   help="liquid size (a 3-D grid as cube-like as possible; 1000 = 10x10x10)")
    p.add_argument("--seed", type=int, default=1,
                   help="liquid (placement, connectivity, signs) and input spike draws")
    p.add_argument("--split-seed", type=int, default=None,
                   help="train/validation/test split (default 1, whatever --seed is)")
    p.add_argument("--json", default=None, help="write the results to this JSON file")
    p.add_argument("--workers", type=number("--workers", int, 1), default=2,
                   help="processes that simulate samples (default 2)")
    p.add_argument("--samples", type=number("--samples", int, 10), default=None,
                   help="use a random subset of this many samples (quick runs)")
    p.add_argument("--init-samples", type=number("--init-samples", int, 0), default=None,
                   help="W_INI initialisation samples (default: the training set size, at least 10000)")
    p.add_argument("--duration-ms", type=number("--duration-ms", int, 50), default=None,
                   help="ms per sample (default 250; N-MNIST 300)")
    p.add_argument("--time-bins", type=number("--time-bins", int, 1), default=None,
                   help="count liquid spikes in this many parts of a sample (default 1; FSDD 5)")
    p.add_argument("--weight-scale", type=number("--weight-scale", float, 0.0, False),
                   default=None, help="lsm mode: |w| = 3 x this (default 1; --protocol paper: 0.2, "
                                      "the scale validation chose on full MNIST)")
    p.add_argument("--w-a", type=number("--w-a", float, 0.0, False), default=None,
                   help="astrocyte weight w_A (default 0.015 (1000/N)^(1/3))")
    p.add_argument("--astro-density", type=number("--astro-density", float, 0.1), default=1.0,
                   help="fraction of neurons the astrocyte listens to (0.1 to 1)")
    p.add_argument("--inh-update-ms", type=number("--inh-update-ms", int, 1), default=1,
                   help="nalsm with --astro-density < 1: ms between updates of the A factors "
                        "(1 = exact timing; the full-density astrocyte is linked in the kernel)")
    p.add_argument("--protocol", choices=("paper", "spikesim"), default=None,
                   help="paper: the authors' model and readout (--hop-ms 1, no same-step STDP "
                        "pairs, W_INI keeps the traces, --readout paper, lsm --weight-scale 0.2); "
                        "spikesim: --hop-ms 2, same-step pairs, traces cleared, --readout ours, "
                        "--weight-scale 1. Default: paper on the full MNIST files without "
                        "--samples, spikesim otherwise. Each of those flags, given, overrides "
                        "its item")
    p.add_argument("--hop-ms", type=int, choices=(1, 2), default=None,
                   help="ms from a spike to its targets' membrane: 2 (NEST's order) or "
                        "1 (the authors' code)")
    p.add_argument("--same-step-pairs", action=argparse.BooleanOptionalAction, default=None,
                   help="STDP pairs a pre and a post spike emitted in the same step "
                        "(--no-same-step-pairs: they do not, as in the authors' code)")
    p.add_argument("--init-keeps-traces", action=argparse.BooleanOptionalAction, default=None,
                   help="keep the STDP traces from one W_INI sample to the next (the authors' "
                        "code; --no-init-keeps-traces: cleared with the state)")
    p.add_argument("--bf-samples", type=number("--bf-samples", int, 0), default=50,
                   help="test samples whose branching factor is measured")
    p.add_argument("--cache", default=None,
                   help="folder for W_INI and liquid features, so that a stopped run resumes "
                        "(default $SPIKESIM_CACHE/lsm, i.e. ~/.cache/spikesim/lsm)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument("--readout", choices=("ours", "paper"), default=None,
                   help="ours: softmax regression on standardised counts, Adam, L2 chosen on "
                        "validation; paper: the authors' readout (batch-max scaling, soft "
                        "targets, Adadelta, mini-batches of 250, pass chosen on validation)")
    p.add_argument("--readout-passes", type=number("--readout-passes", int, 2), default=5000,
                   help="--readout paper: passes over the training set (authors: 5000)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    """Handler of ``spikesim lsm``."""
    from .liquid import LSMParams
    from .pipeline import PROTOCOLS, default_protocol, run_lsm

    if args.astro_density > 1.0:
        raise ValueError(f"--astro-density must be in [0.1, 1], got {args.astro_density!r}")
    protocol = args.protocol or default_protocol(args.dataset, args.data, args.samples)
    chosen = {k: v if getattr(args, k) is None else getattr(args, k)
              for k, v in PROTOCOLS[protocol].items()}
    if not args.quiet:
        items = ", ".join(f"{k}={v}" for k, v in chosen.items()
                          if k != "weight_scale" or args.mode == "lsm")  # acts in lsm only
        print(f"spikesim lsm: protocol {protocol} ({items})")
    params = LSMParams(weight_scale=chosen["weight_scale"], w_A=args.w_a,
                       astro_density=args.astro_density, inh_update_ms=args.inh_update_ms,
                       hop_ms=chosen["hop_ms"], same_step_pairs=chosen["same_step_pairs"],
                       init_keeps_traces=chosen["init_keeps_traces"])
    bins = args.time_bins or (5 if args.dataset == "fsdd" else 1)
    res = run_lsm(args.dataset, args.data, args.mode, neurons=args.neurons, seed=args.seed,
                  workers=args.workers, json_path=args.json, params=params, n_samples=args.samples,
                  init_samples=args.init_samples, duration_ms=args.duration_ms, time_bins=bins,
                  n_bf=args.bf_samples, log=None if args.quiet else print, split_seed=args.split_seed,
                  cache=False if args.no_cache else (args.cache or True), readout=chosen["readout"],
                  readout_passes=args.readout_passes)
    if args.quiet:
        print(json.dumps({k: res[k] for k in ("mode", "accuracy", "branching_factor", "mean_rate_hz",
                                              "wall_time_s")}))
    return 0
