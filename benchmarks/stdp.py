"""CUBA with STDP on its E->E synapses, side by side in spikesim, Brian2 (cpp_standalone) and NEST.

The same as ``spikesim bench stdp``:

    python benchmarks/stdp.py --neurons 4000 --duration-ms 1000 --against brian2 --json stdp.json

See benchmarks/README.md for what each figure means.
"""

import sys

from spikesim.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "stdp", *sys.argv[1:]]))
