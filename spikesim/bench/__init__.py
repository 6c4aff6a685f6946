"""Benchmarks against reference simulators (``spikesim bench``).

:func:`run_cuba_bench` runs the CUBA network (Vogels & Abbott 2005) in
spikesim, Brian2 (cpp_standalone) and NEST, each in its own child process,
and prints and returns build, compile, loop, rate, throughput and memory
figures side by side. The builders live in :mod:`spikesim.bench.cuba`.
"""
from .runner import REFERENCE_SIMULATORS, format_table, run_cuba_bench

__all__ = ["REFERENCE_SIMULATORS", "format_table", "run_cuba_bench"]
