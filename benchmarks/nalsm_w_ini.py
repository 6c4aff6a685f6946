"""Where NALSM's W_INI settles under each STDP timing (benchmarks/lsm_vs_authors.md).

Runs only the W_INI phase of ``spikesim lsm --mode nalsm`` (``--init-samples`` training
digits x 20 ms, plasticity on, weights carried over; ``models/lsm/pipeline.py``
``initialise``) with the 1 ms hop, for the variants named in ``--variants``:

- ``spikesim``: spikes of the same step pair, traces cleared at every sample (the default);
- ``no_same_step``: ``same_step_pairs=False`` only;
- ``keep_traces``: ``init_keeps_traces=True`` only;
- ``authors``: both, as the authors' code (combra-lab/NALSM).

Prints and writes, per variant and synapse group, the mean weight and the fraction at 0.
About 4 minutes per variant on one core with the full 50,000 digits.

    python benchmarks/nalsm_w_ini.py --data ../shared/datasets/mnist --seed 1 \\
        --json benchmarks/results/nalsm_w_ini_seed1.json
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

VARIANTS = {"spikesim": dict(), "no_same_step": dict(same_step_pairs=False),
            "keep_traces": dict(init_keeps_traces=True),
            "authors": dict(same_step_pairs=False, init_keeps_traces=True)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="MNIST folder")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init-samples", type=int, default=50000)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    names = a.variants.split(",")
    bad = [n for n in names if n not in VARIANTS]
    if bad:
        raise SystemExit(f"--variants: unknown {bad}, choose from {list(VARIANTS)}")
    from spikesim.models.lsm import LSMParams
    from spikesim.models.lsm.pipeline import initialise, load_dataset

    data = load_dataset("mnist", a.data, a.seed)
    tr = data["split"][0]
    out = dict(seed=a.seed, init_samples=a.init_samples, command=" ".join(["python", *sys.argv]),
               variants={})
    for name in names:
        P = LSMParams(hop_ms=1, **VARIANTS[name])
        t0 = time.perf_counter()
        _, stats = initialise(data["source"], tr, "nalsm", P, a.seed, a.init_samples,
                              data["init_ms"])
        out["variants"][name] = dict(stats=stats, wall_s=time.perf_counter() - t0)
        print(f"{name:13s} " + "  ".join(f"{k} {v['mean']:+.3f} ({100 * v['at_zero']:.1f} % at 0)"
                                         for k, v in stats.items()), flush=True)
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
