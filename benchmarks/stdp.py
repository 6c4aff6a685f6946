"""CUBA with STDP on its E->E synapses, side by side in spikesim, Brian2 (cpp_standalone) and NEST.

The same as ``spikesim bench stdp``:

    python benchmarks/stdp.py --neurons 4000 --duration-ms 1000 --against brian2 --json stdp.json

See benchmarks/README.md for what each figure means.
"""
import argparse
import sys

from spikesim.bench.runner import run_stdp_bench


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=4000)
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--against", default="brian2,nest",
                    help="comma-separated reference simulators: brian2, nest (empty for none)")
    ap.add_argument("--json", default=None, help="write the results to this JSON file")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", default="auto",
                    help="spikesim threads: auto or a number (plastic networks run on one)")
    ap.add_argument("--fresh-numba-cache", action="store_true",
                    help="JIT into an empty Numba cache: first-call compile time from scratch")
    ap.add_argument("--timeout-s", type=float, default=None, help="kill a simulator after this long")
    a = ap.parse_args(argv)
    threads = a.threads if a.threads == "auto" else int(a.threads)
    try:
        run_stdp_bench(a.neurons, a.duration_ms, a.against.split(","), a.json, seed=a.seed,
                       threads=threads, fresh_numba_cache=a.fresh_numba_cache,
                       timeout_s=a.timeout_s)
    except (ValueError, TypeError) as exc:
        print(f"benchmarks/stdp.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
