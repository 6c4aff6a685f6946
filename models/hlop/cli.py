"""``spikesim hlop``: continual learning on permuted MNIST (HLOP and baselines).

``spikesim.cli`` calls :func:`add_parser` with its sub-parsers; the handler is :func:`run`::

    spikesim hlop --data ../shared/datasets/mnist5k --tasks 10 --method hlop --trainer dsr \\
        --json hlop.json

Writes the accuracy matrix R[i][j] (accuracy on task j after training task i), ACC, BWT
(Lopez-Paz & Ranzato 2017), the orthonormality errors max|H H^T - I| per task and layer, and
the wall time. Method references: HLOP (Xiao et al., ICLR 2024), EWC (Kirkpatrick et al.
2017), GPM (Saha et al. 2021), DSR (Meng et al. 2022).
"""
from __future__ import annotations

import argparse
import json

from spikesim._argtypes import number


def _ints(name):
    def parse(text):
        try:
            vals = [int(v) for v in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be comma-separated integers, got {text!r}") from None
        if any(v < 1 for v in vals):
            raise argparse.ArgumentTypeError(f"{name} values must be >= 1, got {text!r}")
        return vals
    return parse


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``hlop`` on an argparse sub-parser collection; returns the new parser."""
    p = subparsers.add_parser(
        "hlop", help="HLOP continual learning of a spiking MLP on permuted MNIST",
        description="Xiao et al. (ICLR 2024): Hebbian lateral subspaces + orthogonal gradient "
                    "projection, against fine-tuning, EWC, GPM-style SVD projection and multitask.")
    p.add_argument("--data", required=True, help="directory with MNIST IDX files (e.g. mnist5k)")
    p.add_argument("--tasks", type=number("--tasks", int, 1), default=10)
    p.add_argument("--method", default="hlop", choices=["hlop", "finetune", "ewc", "gpm", "multitask"])
    p.add_argument("--trainer", default="dsr", choices=["dsr", "bptt"])
    p.add_argument("--hidden", type=_ints("--hidden"), default=[256, 256], help="e.g. 256,256")
    p.add_argument("--T", type=number("--T", int, 1), default=None, help="time steps (dsr 20, bptt 6)")
    p.add_argument("--epochs", type=number("--epochs", int, 1), default=3)
    p.add_argument("--lr", type=number("--lr", float, 0.0), default=0.05)
    p.add_argument("--k", type=_ints("--k"), default=[60, 20, 20],
                   help="lateral neurons added per task, one per layer")
    p.add_argument("--hebb-iters", type=number("--hebb-iters", int, 1), default=2)
    p.add_argument("--spiking-lateral", action="store_true", help="quantise y to spike counts")
    p.add_argument("--ewc-lambda", type=number("--ewc-lambda", float, 0.0), default=500.0,
                   help="EWC penalty strength (5000 diverged at task 8 on permuted mnist5k)")
    p.add_argument("--train", type=number("--train", int, 10), default=4000)
    p.add_argument("--test", type=number("--test", int, 10), default=1000)
    p.add_argument("--threads", type=number("--threads", int, 1), default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reset", choices=["subtract", "zero"], default="subtract",
                   help="LIF reset: subtract (the paper's DSR neuron) or zero (as spikesim's "
                        "IF_curr_exp: the model then deploys to the kernel without loss)")
    p.add_argument("--json", default=None, help="write the results to this JSON file")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    """Handler of ``spikesim hlop``."""
    from .experiment import permuted_mnist, run_experiment

    tasks = permuted_mnist(args.data, n_tasks=args.tasks, n_train=args.train, n_test=args.test,
                           seed=args.seed)
    res = run_experiment(tasks, method=args.method, trainer=args.trainer, hidden=args.hidden,
                         T=args.T, epochs=args.epochs, lr=args.lr, seed=args.seed,
                         threads=args.threads, verbose=not args.quiet, k=args.k, reset=args.reset,
                         hebb_iters=args.hebb_iters, spiking=args.spiking_lateral,
                         lam=args.ewc_lambda)
    res.pop("model")
    bwt = "n/a" if res["bwt"] is None else f"{100 * res['bwt']:+.2f}%"
    print(f"hlop {args.method}/{args.trainer}: ACC {100 * res['acc']:.2f}%  BWT {bwt}  "
          f"wall {res['wall_time_s']:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0
