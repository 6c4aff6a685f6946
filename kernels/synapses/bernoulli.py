"""SimpleStochasticSynapse: each spike is transmitted with probability ``p``.

PyNN ``SimpleStochasticSynapse`` / NEST ``bernoulli_synapse``: a spike passes
with probability ``p`` (factor 1) or is dropped (factor 0), independently per
synapse and spike. The draw is counter-based (see :func:`.uniform`): it
depends on the network seed, the synapse and the step only.
"""
from .._config import jit

NAME = "SimpleStochasticSynapse"
STATE = ()
INITIAL = {}
PARAMS = ("p",)
TRANSLATIONS = {
    "pynn": "SimpleStochasticSynapse",
    "nest": ("bernoulli_synapse", {"p": "p_transmit"}, {}),
}


@jit
def release(h, S, P, k, rnd):
    return 1.0 if rnd < P[0, k] else 0.0
