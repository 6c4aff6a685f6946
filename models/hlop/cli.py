"""``spikesim hlop``: continual learning on permuted MNIST (HLOP and baselines).

``spikesim.cli`` calls :func:`add_parser` with its sub-parsers; the handler is :func:`run`::

    spikesim hlop --data ../shared/datasets/mnist5k --tasks 10 --method hlop --trainer dsr \\
        --json hlop.json

``--protocol paper`` runs permuted MNIST as the authors' released code does
(:mod:`spikesim.models.hlop.paper`: official 60,000/10,000 split, 10 tasks, 784-800-800-10 DSR
SNN, SGD 0.1, batch 64, one epoch per task, their lateral-neuron schedule)::

    spikesim hlop --data ../shared/datasets/mnist --protocol paper --method hlop --json p.json
    spikesim hlop --data ../shared/datasets/mnist5k --protocol paper --tasks 3 \
        --train-samples 640 --test-samples 300          # a small run
    spikesim hlop --data ../shared/datasets/mnist --protocol paper --estimate-time 20

``--deploy-tasks 0,4,9 --deploy-samples 1000`` (paper protocol) then deploys the trained
network into the spikesim kernel (:func:`spikesim.models.hlop.deploy.to_network`:
``IF_curr_exp`` with reset by subtraction) and evaluates torch and the kernel on the same test
images of those tasks (the JSON's ``deploy``).

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


def _task_indices(text):
    """argparse type of ``--deploy-tasks``: comma-separated task indices >= 0 (the upper bound,
    ``--tasks``, is checked once all options are known)."""
    try:
        vals = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--deploy-tasks must be comma-separated task indices (e.g. 0,4,9), got {text!r}") from None
    if any(v < 0 for v in vals):
        raise argparse.ArgumentTypeError(f"--deploy-tasks: task indices start at 0, got {text!r}")
    return vals


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``hlop`` on an argparse sub-parser collection; returns the new parser."""
    p = subparsers.add_parser(
        "hlop", help="HLOP continual learning of a spiking MLP on permuted MNIST",
        description="Xiao et al. (ICLR 2024): Hebbian lateral subspaces + orthogonal gradient "
                    "projection, against fine-tuning, EWC, GPM-style SVD projection and multitask.")
    p.add_argument("--data", required=True, help="directory with MNIST IDX files (e.g. mnist5k)")
    p.add_argument("--protocol", choices=["default", "paper"], default="default",
                   help="default: spikesim's small protocol; paper: the authors' released code "
                        "(pkuxmq/HLOP-SNN spiking_train_pmnist.py), see hlop.paper")
    p.add_argument("--tasks", type=number("--tasks", int, 1), default=10)
    p.add_argument("--method", default="hlop", choices=["hlop", "finetune", "ewc", "gpm", "multitask"])
    p.add_argument("--trainer", default=None, choices=["dsr", "bptt"], help="default protocol: dsr")
    p.add_argument("--hidden", type=_ints("--hidden"), default=None,
                   help="e.g. 256,256 (default protocol 256,256; paper 800 per layer, one value)")
    p.add_argument("--T", type=number("--T", int, 1), default=None, help="time steps (dsr 20, bptt 6)")
    p.add_argument("--epochs", type=number("--epochs", int, 1), default=None,
                   help="epochs per task (default protocol 3, paper 1)")
    p.add_argument("--lr", type=number("--lr", float, 0.0), default=None, help="default protocol: 0.05")
    p.add_argument("--k", type=_ints("--k"), default=None,
                   help="default protocol: lateral neurons added per task, one per layer (60,20,20)")
    p.add_argument("--hebb-iters", type=number("--hebb-iters", int, 1), default=None,
                   help="default protocol: 2")
    p.add_argument("--spiking-lateral", action="store_true", help="quantise y to spike counts")
    p.add_argument("--ewc-lambda", type=number("--ewc-lambda", float, 0.0), default=None,
                   help="EWC penalty strength: default protocol 500 (5000 diverged at task 8 on "
                        "permuted mnist5k), paper protocol 50 (500 diverged at task 8 there)")
    p.add_argument("--train", type=number("--train", int, 10), default=None,
                   help="default protocol: training digits (4000)")
    p.add_argument("--test", type=number("--test", int, 10), default=None,
                   help="default protocol: test digits (1000)")
    p.add_argument("--train-samples", type=number("--train-samples", int, 1), default=None,
                   help="paper protocol: training digits per task (default all, 60,000)")
    p.add_argument("--test-samples", type=number("--test-samples", int, 1), default=None,
                   help="paper protocol: test digits per task (default all, 10,000)")
    p.add_argument("--estimate-time", type=number("--estimate-time", int, 1), default=None,
                   metavar="BATCHES", help="paper protocol: time BATCHES training batches of the "
                   "full-size network and extrapolate the whole protocol's wall time")
    p.add_argument("--deploy-tasks", type=_task_indices, default=None, metavar="I,J,...",
                   help="paper protocol: after training, deploy the network into the spikesim "
                   "kernel (IF_curr_exp, reset by subtraction) and compare its accuracy with "
                   "torch's on these tasks' test images (e.g. 0,4,9)")
    p.add_argument("--deploy-samples", type=number("--deploy-samples", int, 1), default=None,
                   metavar="N", help="paper protocol, with --deploy-tasks: test images per task "
                   "(a seeded draw, the same for every task; default 1000 or all if fewer)")
    p.add_argument("--threads", type=number("--threads", int, 1), default=2)
    p.add_argument("--seed", type=int, default=None, help="default protocol 0, paper 2022")
    p.add_argument("--reset", choices=["subtract", "zero"], default=None,
                   help="default protocol: LIF reset, subtract (the paper's DSR neuron, the "
                        "default) or zero (as spikesim's IF_curr_exp)")
    p.add_argument("--json", default=None, help="write the results to this JSON file")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)
    return p


_DEFAULT_ONLY = ("trainer", "T", "lr", "k", "hebb_iters", "train", "test", "reset")
_PAPER_ONLY = ("train_samples", "test_samples", "estimate_time", "deploy_tasks", "deploy_samples")


def _opt(name):
    return "--" + name.replace("_", "-")


def run(args) -> int:
    """Handler of ``spikesim hlop``."""
    if args.protocol == "paper":
        return _run_paper(args)
    bad = [_opt(n) for n in _PAPER_ONLY if getattr(args, n, None) is not None]
    if bad:
        raise SystemExit(f"spikesim hlop: {', '.join(bad)} apply to --protocol paper only")
    from .experiment import permuted_mnist, run_experiment

    seed = 0 if args.seed is None else args.seed
    tasks = permuted_mnist(args.data, n_tasks=args.tasks,
                           n_train=4000 if args.train is None else args.train,
                           n_test=1000 if args.test is None else args.test, seed=seed)
    trainer = args.trainer or "dsr"
    res = run_experiment(tasks, method=args.method, trainer=trainer,
                         hidden=args.hidden or [256, 256], T=args.T,
                         epochs=3 if args.epochs is None else args.epochs,
                         lr=0.05 if args.lr is None else args.lr, seed=seed,
                         threads=args.threads, verbose=not args.quiet,
                         k=args.k or [60, 20, 20], reset=args.reset or "subtract",
                         hebb_iters=2 if args.hebb_iters is None else args.hebb_iters,
                         spiking=args.spiking_lateral,
                         lam=500.0 if args.ewc_lambda is None else args.ewc_lambda)
    res.pop("model")
    bwt = "n/a" if res["bwt"] is None else f"{100 * res['bwt']:+.2f}%"
    print(f"hlop {args.method}/{trainer}: ACC {100 * res['acc']:.2f}%  BWT {bwt}  "
          f"wall {res['wall_time_s']:.1f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


def _run_paper(args) -> int:
    bad = [_opt(n) for n in _DEFAULT_ONLY if getattr(args, n, None) is not None]
    if args.spiking_lateral:
        bad.append("--spiking-lateral")
    if bad:
        raise SystemExit(f"spikesim hlop: {', '.join(bad)} do not apply to --protocol paper "
                         "(its values are the authors'; see spikesim.models.hlop.paper)")
    if args.method == "gpm":
        raise SystemExit("spikesim hlop: --method gpm is not part of --protocol paper "
                         "(hlop, finetune, ewc, multitask)")
    if args.hidden is not None and (len(args.hidden) != 1 and len(set(args.hidden)) != 1):
        raise SystemExit("spikesim hlop: --protocol paper has two hidden layers of one width; "
                         f"give one value, got {args.hidden}")
    deploy = args.deploy_tasks is not None
    if args.deploy_samples is not None and not deploy:
        raise SystemExit("spikesim hlop: --deploy-samples needs --deploy-tasks")
    if deploy and args.estimate_time is not None:
        raise SystemExit("spikesim hlop: --deploy-tasks does not go with --estimate-time")
    from .paper import (EWC_LAMBDA as P_EWC_LAMBDA, PaperConfig, estimate_time, paper_tasks,
                        run_paper)

    kw = {k: v for k, v in dict(tasks=args.tasks, train_samples=args.train_samples,
                                test_samples=args.test_samples, epochs=args.epochs,
                                hidden=args.hidden[0] if args.hidden else None,
                                seed=args.seed).items() if v is not None}
    try:
        cfg = PaperConfig(**kw)
    except ValueError as e:
        raise SystemExit(f"spikesim hlop: {e}") from None
    if args.estimate_time is not None:
        res = estimate_time(args.data, threads=args.threads, batches=args.estimate_time, cfg=cfg)
        print(f"hlop paper protocol, {res['threads']} torch thread(s), {res['dtype']}: "
              f"{res['batch_s_first_task']:.3f} s/batch (task 0), "
              f"{res['batch_s_last_task']:.3f} s/batch (task 9), "
              f"{1e3 * res['eval_s_per_sample']:.2f} ms/test digit -> estimated "
              f"{res['total_s'] / 60:.0f} min ({res['train_s'] / 60:.0f} train + "
              f"{res['eval_s'] / 60:.0f} evaluation)")
    else:
        data = None
        if deploy:                       # check the request before a long training run
            from .deploy import check_deploy_request, compare_deployed

            data = paper_tasks(args.data, cfg)
            n_test = int(data.Xte.shape[0])
            samples = min(1000, n_test) if args.deploy_samples is None else args.deploy_samples
            try:
                tasks = check_deploy_request(args.deploy_tasks, samples, cfg.tasks, n_test,
                                             names=("--deploy-tasks", "--deploy-samples"))
            except ValueError as e:
                raise SystemExit(f"spikesim hlop: {e}") from None
        res = run_paper(args.data, method=args.method, cfg=cfg, threads=args.threads,
                        lam=P_EWC_LAMBDA if args.ewc_lambda is None else args.ewc_lambda,
                        verbose=not args.quiet, data=data, keep_model=deploy)
        bwt = "n/a" if res["bwt"] is None else f"{100 * res['bwt']:+.2f}%"
        print(f"hlop paper/{args.method}: ACC {100 * res['acc']:.2f}%  BWT {bwt}  "
              f"wall {res['wall_time_s']:.1f} s ({res['split']})", flush=True)
        if deploy:
            model = res.pop("model")
            res["deploy"] = compare_deployed(model, data, tasks, samples, seed=cfg.seed,
                                             verbose=not args.quiet)
            for r in res["deploy"]["per_task"]:
                print(f"deployed (IF_curr_exp, reset by subtraction), task {r['task']}: torch "
                      f"{100 * r['torch']:.2f} %  kernel {100 * r['kernel']:.2f} %  "
                      f"({r['diff_points']:+.2f} points, same class on {100 * r['agree']:.1f} % "
                      f"of {samples} images, {r['kernel_s']:.0f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0
