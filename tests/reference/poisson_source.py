"""NumPy twin of kernels/poisson_source.py: splitmix64's finaliser on (key, neuron, step)."""
import numpy as np

M = np.uint64(0xFFFFFFFFFFFFFFFF)


def uniform(key, i, t):
    with np.errstate(over="ignore"):
        z = np.uint64(key) ^ (np.asarray(i, np.uint64) * np.uint64(0x9E3779B97F4A7C15)) \
            ^ (np.asarray(t, np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def bernoulli_hits(key, steps, prob):
    i = np.arange(prob.shape[1], dtype=np.uint64)[None, :]
    t = np.asarray(steps, np.uint64)[:, None]
    return (prob > 0.0) & (uniform(key, i, t) < prob)
