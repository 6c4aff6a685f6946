"""Numba kernels of spikesim: ``@njit`` functions over flat arrays.

This layer imports numpy and numba only. The API layer (:mod:`spikesim`)
validates every array before it reaches a kernel, so kernels do no bounds
checking unless ``SPIKESIM_DEBUG=1`` is set (see :mod:`._config`).
"""
