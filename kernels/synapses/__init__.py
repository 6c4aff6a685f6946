"""Synapse dynamics: one module each, read by the engine generator and the API layer.

A static projection may carry a synapse dynamic that changes the efficacy of
each transmitted spike: short-term plasticity, stochastic release. The
dynamic acts when a spike is emitted (every synapse of a row sees the same
presynaptic spike train, so acting at emission or at arrival is the same)
and scales the weight that is added into the target's ring buffer. A module
declares:

``NAME``
    The PyNN synapse type it implements, e.g. ``"TsodyksMarkramSynapse"``.
``STATE``, ``INITIAL``
    Per-synapse state variables (float64) and their initial values.
``PARAMS``
    Per-synapse parameters (float64), in the order ``release`` reads them.
``release(h, S, P, k, rnd) -> factor``
    ``@njit``: a spike passes synapse ``k`` ``h`` ms after its previous one
    (``h = -1`` for its first spike); update ``S[:, k]`` in place and return
    the factor the weight is multiplied by. ``rnd`` is a uniform number in
    [0, 1) that depends only on the network seed, the synapse and the step
    (:func:`uniform`), so results do not depend on the thread split.

``TRANSLATIONS``
    ``{"pynn": PyNN synapse type or None, "nest": (NEST synapse model,
    {parameter: NEST name}, {state: NEST name})}``.

``LIBRARY`` lists the modules.
"""
import numpy as np

from .._config import jit

LIBRARY = ("tsodyks", "tsodyks2", "bernoulli")


@jit
def mix64(z):
    """splitmix64's finaliser (Steele, Lea & Flood 2014): a bijection of uint64 whose output
    bits each depend on every input bit; the counter-based draws of the kernels hash their
    counters with it."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@jit
def uniform(seed, k, t):
    """A uniform number in [0, 1) from (seed, synapse k, step t): splitmix64's finaliser.

    Counter-based (Salmon et al. 2011, "Parallel random numbers: as easy as 1,
    2, 3"): no generator state, the same value on any thread.
    """
    z = np.uint64(seed) ^ (np.uint64(k) * np.uint64(0x9E3779B97F4A7C15)) \
        ^ (np.uint64(t) * np.uint64(0xC2B2AE3D27D4EB4F))
    return np.float64(mix64(z) >> np.uint64(11)) * (1.0 / 9007199254740992.0)
