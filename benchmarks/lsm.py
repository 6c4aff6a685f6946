"""LSM / LSM+STDP / NALSM on the example data sets: the long experiments behind benchmarks/README.md.

    python benchmarks/lsm.py --dataset mnist --data ../shared/datasets/mnist5k --modes lsm,stdp,nalsm
    python benchmarks/lsm.py --dataset fsdd --data ../shared/datasets/fsdd --modes lsm,stdp,nalsm
    python benchmarks/lsm.py --dataset mnist --data ../shared/datasets/mnist5k --modes nalsm,lsm,stdp \\
        --seeds 1,2,3 --weight-scales 0.2,0.3,0.5 --workers 1 --resume

Each mode is one ``spikesim.models.lsm.pipeline.run_lsm`` call (the same as
``spikesim lsm``) per seed. For mode ``lsm`` every ``--weight-scales`` value is
run and the one with the best *validation* accuracy is reported (all are kept
in the JSON under ``sweep``); the choice is made per seed.

One seed (``--seed``): writes ``results/lsm_<dataset>_<mode><tag>.json`` and
``results/lsm_<dataset>_summary<tag>.json``. Several seeds (``--seeds 1,2,3``):
the seed changes the liquid (placement, connectivity, signs) and the input
spike draws; the data split stays fixed (``--split-seed``, default that of
``run_lsm``). Each run is written to ``results/lsm_<dataset>_<mode>_seed<S><tag>.json``
(``--resume`` reuses those files instead of running again, so modes can be run
one invocation at a time) and ``results/lsm_<dataset>_seeds_summary<tag>.json``
gets every seed's figures and the mean and sample standard deviation per mode.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def _best_of_scales(args, mode, seed, bins, baseline, features):
    """Run ``mode`` with ``seed`` (every weight scale for ``lsm``); the best on validation."""
    from spikesim.models.lsm import LSMParams
    from spikesim.models.lsm.pipeline import run_lsm

    scales = [float(s) for s in args.weight_scales.split(",")] if mode == "lsm" else [1.0]
    l2 = [float(x) for x in args.readout_l2.split(",")] if args.readout_l2 else None
    runs = []
    for s in scales:
        P = LSMParams(weight_scale=s, inh_update_ms=args.inh_update_ms, w_A=args.w_a,
                      b_A=args.b_a if args.b_a is not None else LSMParams.b_A, hop_ms=args.hop_ms,
                      same_step_pairs=args.same_step_pairs,
                      init_keeps_traces=args.init_keeps_traces)
        fpath = None
        if features:
            fpath = pathlib.Path(features) / f"lsm_{args.dataset}_{mode}_seed{seed}_ws{s:g}{args.tag}.npz"
        r = run_lsm(args.dataset, args.data, mode, neurons=args.neurons, seed=seed,
                    workers=args.workers, params=P, n_samples=args.samples, time_bins=bins,
                    init_samples=args.init_samples, baseline=baseline, features_path=fpath,
                    split_seed=args.split_seed, readout_l2=l2, readout=args.readout,
                    cache=args.cache)
        r["command"] = " ".join([os.path.basename(sys.executable), *sys.argv])
        runs.append(r)
    best = max(runs, key=lambda r: r["accuracy"]["validation"])
    if len(runs) > 1:
        best["sweep"] = [dict(weight_scale=r["params"]["weight_scale"], accuracy=r["accuracy"],
                              branching_factor=r["branching_factor"]["mean"],
                              mean_rate_hz=r["mean_rate_hz"], wall_time_s=r["wall_time_s"]["total"])
                         for r in runs]
        best["sweep_wall_time_s"] = sum(r["wall_time_s"]["total"] for r in runs)
    return best


def _row(best):
    row = {k: best[k] for k in ("accuracy", "mean_rate_hz", "wall_time_s", "cpu_time_s",
                                "unloaded_estimate_s", "load_average")}
    row["branching_factor"] = best["branching_factor"]["mean"]
    row["weight_scale"] = best["params"]["weight_scale"]
    row["readout"] = best.get("readout")
    return row


def _mean_sd(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return dict(mean=statistics.fmean(xs), sd=statistics.stdev(xs) if len(xs) > 1 else 0.0, n=len(xs))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist", choices=["mnist", "fsdd", "nmnist"])
    ap.add_argument("--data", required=True)
    ap.add_argument("--modes", default="lsm,stdp,nalsm")
    ap.add_argument("--neurons", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", default=None,
                    help="comma-separated network seeds (fixed split); per-seed files and a mean/sd summary")
    ap.add_argument("--split-seed", type=int, default=None, help="data split seed (default: run_lsm's)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--time-bins", type=int, default=None)
    ap.add_argument("--weight-scales", default="1.0",
                    help="lsm mode: comma-separated |w| scales; the best on validation is reported")
    ap.add_argument("--inh-update-ms", type=int, default=1)
    ap.add_argument("--hop-ms", type=int, default=2, choices=(1, 2),
                    help="liquid hop: 2 ms (NEST's order) or 1 ms (the authors' code)")
    ap.add_argument("--no-same-step-pairs", dest="same_step_pairs", action="store_false",
                    help="STDP does not pair spikes emitted in the same step (the authors' code)")
    ap.add_argument("--init-keeps-traces", action="store_true",
                    help="STDP traces carried from one W_INI sample to the next "
                         "(the authors' code)")
    ap.add_argument("--w-a", type=float, default=None, help="astrocyte w_A (default: the paper's)")
    ap.add_argument("--b-a", type=float, default=None, help="astrocyte b_A = A(0) (default: the paper's)")
    ap.add_argument("--readout-l2", default=None, help="comma-separated L2 grid of the readout")
    ap.add_argument("--readout", default="ours", choices=["ours", "paper"],
                    help="paper: the authors' readout (spikesim lsm --readout paper)")
    ap.add_argument("--cache", default=None,
                    help="keep W_INI and liquid features here (spikesim lsm --cache), so runs resume")
    ap.add_argument("--init-samples", type=int, default=None)
    ap.add_argument("--features-dir", default=None, help="also save every run's spike counts (.npz) here")
    ap.add_argument("--resume", action="store_true", help="--seeds: reuse existing per-seed result files")
    ap.add_argument("--tag", default="", help="appended to the result file names")
    ap.add_argument("--select-tags", default=None,
                    help="--seeds: also report, per mode and seed, the run with the best validation "
                         "accuracy among the per-seed files of these tags (comma-separated; 'none' = no tag); "
                         "the runs must exist (e.g. from earlier --tag runs)")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bins = args.time_bins or (5 if args.dataset == "fsdd" else 1)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if args.seeds:
        return _multi_seed(args, out, modes, [int(s) for s in args.seeds.split(",")], bins)
    summary = {}
    for mode in modes:
        best = _best_of_scales(args, mode, args.seed, bins, mode == "nalsm" or len(summary) == 0,
                               args.features_dir)
        (out / f"lsm_{args.dataset}_{mode}{args.tag}.json").write_text(json.dumps(best, indent=1))
        summary[mode] = _row(best)
        if best.get("baseline_raw"):
            summary["baseline_raw"] = best["baseline_raw"]
    (out / f"lsm_{args.dataset}_summary{args.tag}.json").write_text(json.dumps(summary, indent=1))
    print(f"\n{args.dataset}: mode  train  val  test  branching  rate(Hz)  wall(s)  idle-estimate(s)")
    for mode, r in summary.items():
        if mode == "baseline_raw":
            continue
        a = r["accuracy"]
        print(f"  {mode:6s} {a['train']:.4f} {a['validation']:.4f} {a['test']:.4f}  "
              f"{r['branching_factor']:.3f}  {r['mean_rate_hz']:.1f}  {r['wall_time_s']['total']:.0f}  "
              f"{r['unloaded_estimate_s']:.0f}")
    if "baseline_raw" in summary:
        b = summary["baseline_raw"]
        print(f"  raw-feature logistic regression: train {b['train']:.4f} val {b['validation']:.4f} "
              f"test {b['test']:.4f}")
    return 0


def _multi_seed(args, out, modes, seeds, bins) -> int:
    summary_path = out / f"lsm_{args.dataset}_seeds_summary{args.tag}.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary.setdefault("modes", {})
    for mode in modes:
        per_seed = {}
        for seed in seeds:
            path = out / f"lsm_{args.dataset}_{mode}_seed{seed}{args.tag}.json"
            if args.resume and path.exists():
                best = json.loads(path.read_text())
            else:
                best = _best_of_scales(args, mode, seed, bins, "baseline_raw" not in summary,
                                       args.features_dir)
                path.write_text(json.dumps(best, indent=1))
            per_seed[seed] = best
            if best.get("baseline_raw"):
                summary["baseline_raw"] = best["baseline_raw"]
                summary["split_seed"] = best.get("split_seed")
        rows = {str(s): dict(_row(b), file=f"lsm_{args.dataset}_{mode}_seed{s}{args.tag}.json",
                             sweep_wall_time_s=b.get("sweep_wall_time_s"))
                for s, b in per_seed.items()}
        agg = {part: _mean_sd([r["accuracy"][part] for r in rows.values()])
               for part in ("train", "validation", "test")}
        agg["branching_factor"] = _mean_sd([r["branching_factor"] for r in rows.values()])
        agg["mean_rate_hz"] = _mean_sd([r["mean_rate_hz"] for r in rows.values()])
        agg["wall_time_s"] = _mean_sd([r["wall_time_s"]["total"] for r in rows.values()])
        summary["modes"][mode] = dict(seeds=rows, summary=agg)
        if args.select_tags:
            tags = ["" if t.strip() == "none" else t.strip() for t in args.select_tags.split(",")]
            chosen = {}
            for seed in seeds:
                cands = [(t, json.loads(p.read_text())) for t in tags
                         if (p := out / f"lsm_{args.dataset}_{mode}_seed{seed}{t}.json").exists()]
                t, b = max(cands, key=lambda c: c[1]["accuracy"]["validation"])  # first tag wins ties
                chosen[str(seed)] = dict(_row(b), file=f"lsm_{args.dataset}_{mode}_seed{seed}{t}.json",
                                         candidates={tt or "none": bb["accuracy"]["validation"]
                                                     for tt, bb in cands})
            if all(len(r["candidates"]) < 2 for r in chosen.values()):
                continue
            agg = {part: _mean_sd([r["accuracy"][part] for r in chosen.values()])
                   for part in ("train", "validation", "test")}
            agg["branching_factor"] = _mean_sd([r["branching_factor"] for r in chosen.values()])
            summary["modes"][f"{mode}_val_selected"] = dict(seeds=chosen, summary=agg, tags=tags)
    summary["command"] = " ".join([os.path.basename(sys.executable), *sys.argv])
    summary_path.write_text(json.dumps(summary, indent=1))
    print(f"\n{args.dataset}, seeds {seeds}: mode  test (per seed)  mean +- sd  val mean  branching")
    for mode, m in summary["modes"].items():
        tests = " ".join(f"{r['accuracy']['test']:.3f}" for r in m["seeds"].values())
        a = m["summary"]
        print(f"  {mode:6s} [{tests}]  {a['test']['mean']:.4f} +- {a['test']['sd']:.4f}  "
              f"{a['validation']['mean']:.4f}  {a['branching_factor']['mean']:.3f}")
    if "baseline_raw" in summary:
        b = summary["baseline_raw"]
        print(f"  raw-feature logistic regression: val {b['validation']:.4f} test {b['test']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
