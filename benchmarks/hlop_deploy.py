"""HLOP, paper protocol on full MNIST, deployed into the spikesim kernel with reset by subtraction.

    NUMBA_NUM_THREADS=1 python benchmarks/hlop_deploy.py [--data ../shared/datasets/mnist]
        [--deploy-tasks 0,4,9] [--deploy-samples 1000] [--threads 1] [--method hlop]
        [--out benchmarks/results/hlop_paper_deploy_full.json] [--extra "..."]

Runs ``spikesim hlop --protocol paper --deploy-tasks ... --deploy-samples ...`` through its
handler (train the 10 tasks in torch, float32; deploy the trained network with
``hlop.deploy.to_network``; torch and kernel accuracy on the same test images) and writes its
JSON with the command, the total wall time, the load average before and after, the thread
settings, and whether every task is within ``--tolerance`` points of torch (issue 18: 0.5).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shlex
import sys
import tempfile
import time

from spikesim.models.hlop import cli as hlop_cli

HERE = pathlib.Path(__file__).parent


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns 0 when every deployed task is within the tolerance, else 1."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "datasets" / "mnist"))
    ap.add_argument("--method", default="hlop")
    ap.add_argument("--deploy-tasks", default="0,4,9")
    ap.add_argument("--deploy-samples", default="1000")
    ap.add_argument("--threads", default="1", help="torch threads for training (default 1)")
    ap.add_argument("--tolerance", type=float, default=0.5,
                    help="largest |kernel - torch| accuracy difference, percentage points")
    ap.add_argument("--out", default=str(HERE / "results" / "hlop_paper_deploy_full.json"))
    ap.add_argument("--extra", default="", help="extra spikesim-hlop arguments, space-separated")
    a = ap.parse_args(argv)
    cli = ["--data", a.data, "--protocol", "paper", "--method", a.method, "--threads", a.threads,
           "--deploy-tasks", a.deploy_tasks, "--deploy-samples", a.deploy_samples,
           *shlex.split(a.extra)]
    p = hlop_cli.add_parser(argparse.ArgumentParser().add_subparsers())
    with tempfile.TemporaryDirectory() as tmp:
        tmp_json = str(pathlib.Path(tmp) / "run.json")
        args = p.parse_args([*cli, "--json", tmp_json])
        load0, t0 = os.getloadavg(), time.perf_counter()
        hlop_cli.run(args)
        wall = time.perf_counter() - t0
        res = json.loads(pathlib.Path(tmp_json).read_text())
    per = res["deploy"]["per_task"]
    res["benchmark"] = {
        "command": "spikesim hlop " + " ".join(shlex.quote(c) for c in cli),
        "script": "python " + " ".join(shlex.quote(c) for c in [sys.argv[0], *(argv or sys.argv[1:])]),
        "total_wall_s": wall, "train_wall_s": res["wall_time_s"],
        "deploy_wall_s": sum(r["torch_s"] + r["kernel_s"] for r in per),
        "loadavg_start": list(load0), "loadavg_end": list(os.getloadavg()),
        "numba_num_threads": os.environ.get("NUMBA_NUM_THREADS"), "cpu_count": os.cpu_count(),
        "python": platform.python_version(), "tolerance_points": a.tolerance,
        "max_abs_diff_points": max(abs(r["diff_points"]) for r in per),
        "within_tolerance": all(abs(r["diff_points"]) <= a.tolerance for r in per),
    }
    out = pathlib.Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    print(f"wrote {out}: max |kernel - torch| {res['benchmark']['max_abs_diff_points']:.2f} points "
          f"(tolerance {a.tolerance}), total {wall:.0f} s")
    return 0 if res["benchmark"]["within_tolerance"] else 1


if __name__ == "__main__":
    sys.exit(main())
