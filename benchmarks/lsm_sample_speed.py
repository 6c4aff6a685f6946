"""Time the liquid's feature extraction per sample, on the W_INI of a finished, cached run.

    python benchmarks/lsm_sample_speed.py RUN_DIR --data ../shared/datasets/mnist \\
        --modes nalsm,stdp --samples 60 --json results/lsm_sample_speed.json

``RUN_DIR`` is a cached ``spikesim lsm`` run (``<cache>/<key>``, holding ``w_ini.npz``).
Each mode runs the same full-MNIST training samples (seed 1, 1 ms hop, the authors'
STDP timing with and without same-step pairs) through one worker's code path
(``pipeline._worker_block``) after a three-sample warm-up, on one thread. It prints the
wall time per sample and a checksum of the spike counts, so that two checkouts can be
compared side by side (run this file from each, alternately): the same checksum means the
same spikes.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import time
from dataclasses import replace

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", help="a cached spikesim lsm run: <cache>/<key> with w_ini.npz")
    ap.add_argument("--data", required=True, help="the full MNIST folder")
    ap.add_argument("--modes", default="nalsm,stdp")
    ap.add_argument("--samples", type=int, default=60)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.samples < 1:
        raise ValueError(f"--samples must be at least 1, got {args.samples}")

    from spikesim.models.lsm import LSMParams
    from spikesim.models.lsm.cache import FeatureCache
    from spikesim.models.lsm.liquid import grid_for
    from spikesim.models.lsm.pipeline import _W, _worker_block, _worker_init, load_dataset

    w_ini = FeatureCache.open(args.run_dir).load_w_ini()
    if w_ini is None:
        raise FileNotFoundError(f"run_dir {args.run_dir!r} holds no w_ini.npz")
    data = load_dataset("mnist", args.data, 1)
    idx = np.arange(args.samples)
    rows = []
    for mode in args.modes.split(","):
        for same in (True, False):
            P = replace(LSMParams(hop_ms=1, same_step_pairs=same, init_keeps_traces=True),
                        grid=grid_for(1000))
            _W.clear()
            _worker_init(mode, P, 1, data["source"], w_ini[0], 1, [])
            _worker_block(idx[:3])
            t = time.perf_counter()
            counts = _worker_block(idx)[0]
            dt = time.perf_counter() - t
            row = dict(mode=mode, same_step_pairs=same, ms_per_sample=dt / args.samples * 1e3,
                       checksum=int((counts * np.arange(counts.shape[-1])).sum()),
                       spikes=int(counts.sum()))
            rows.append(row)
            print(f"{mode} same_step_pairs={same}: {row['ms_per_sample']:.1f} ms/sample, "
                  f"checksum {row['checksum']} ({row['spikes']} spikes)", flush=True)
    if args.json:
        here = pathlib.Path(__file__).resolve().parent
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                                capture_output=True, text=True).stdout.strip()
        pathlib.Path(args.json).write_text(json.dumps(dict(
            run_dir=str(args.run_dir), samples=args.samples, commit=commit, rows=rows), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
