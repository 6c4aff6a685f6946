"""Counter-based Bernoulli draws of Poisson spike sources.

Whether neuron ``i`` of a source fires in step ``t`` depends only on the source's key,
``i`` and ``t`` (the uniform number :func:`spikesim.kernels.synapses.uniform` of
``(key, i, t)`` below the step's probability ``rate dt``), not on how many numbers were
drawn before. A rate changed with ``set()``, a schedule given up front, a ``reset()`` or a
run cut into pieces therefore give the same spikes wherever the probabilities agree, and
two sources with the same key (sPyNNaker's ``seed``) fire together at equal rates.
"""
import numpy as np

from ._config import jit
from .synapses import uniform


@jit
def bernoulli_hits(key, steps, prob):
    """``hit[j, i] = uniform(key, i, steps[j]) < prob[j, i]`` for a block of steps.

    ``steps`` int64 (m,), ``prob`` float64 (m, n); returns bool (m, n).
    """
    m, n = prob.shape
    hit = np.zeros((m, n), np.bool_)
    for j in range(m):
        t = steps[j]
        for i in range(n):
            p = prob[j, i]
            if p > 0.0:
                hit[j, i] = uniform(key, i, t) < p
    return hit
