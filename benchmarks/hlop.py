"""Full 10-task permuted-mnist5k runs of HLOP and its baselines (Xiao et al., ICLR 2024).

    python benchmarks/hlop.py [--data ../shared/datasets/mnist5k] [--methods hlop,finetune,...]
        [--trainer dsr] [--threads 2]

Writes benchmarks/results/hlop_<method>_<trainer>.json (accuracy matrix, ACC, BWT,
orthonormality errors, wall time) through the ``spikesim hlop`` handler.
"""
import argparse
import pathlib

from spikesim.models.hlop import cli as hlop_cli

HERE = pathlib.Path(__file__).parent


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "datasets" / "mnist5k"))
    ap.add_argument("--methods", default="hlop,finetune,gpm,ewc,multitask")
    ap.add_argument("--trainer", default="dsr")
    ap.add_argument("--threads", default="2")
    ap.add_argument("--extra", default="", help="extra spikesim-hlop arguments, space-separated")
    a = ap.parse_args(argv)
    sub = argparse.ArgumentParser().add_subparsers()
    p = hlop_cli.add_parser(sub)
    for m in a.methods.split(","):
        out = HERE / "results" / f"hlop_{m}_{a.trainer}.json"
        args = p.parse_args(["--data", a.data, "--tasks", "10", "--method", m, "--trainer", a.trainer,
                             "--threads", a.threads, "--json", str(out), *a.extra.split()])
        hlop_cli.run(args)


if __name__ == "__main__":
    main()
