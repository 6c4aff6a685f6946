"""Session set-up shared by all tests.

Numba's threads are started before any test imports NEST: NEST's pip wheel carries its own
OpenMP runtime, and starting Numba's OpenMP layer after NEST makes NEST's next ResetKernel
crash the process (spikesim.threads.parallel_ok then keeps one thread). Started first, both run,
and the multi-threaded tests run on two threads whatever the order of the test files.
"""
from spikesim.threads import launch_layer

launch_layer()
