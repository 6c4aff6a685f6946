"""CUBA side by side in spikesim, Brian2 (cpp_standalone) and NEST.

The same as ``spikesim bench cuba``, plus ``--fresh-numba-cache`` and
``--timeout-s``:

    python benchmarks/cuba.py --neurons 4000 --duration-ms 1000 --against brian2,nest --json cuba.json

See benchmarks/README.md for what each figure means.
"""

import sys

from spikesim.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "cuba", *sys.argv[1:]]))
