"""spikesim's PyNN backend with sPyNNaker's conventions: ``import spikesim.pynn.spynnaker as sim``.

The same backend as :mod:`spikesim.pynn`, whose ``setup()`` defaults to
``conventions="spynnaker"``: additive-STDP amplitudes are absolute weight changes,
and weights are magnitudes whose sign comes from the receptor type (an inhibitory
projection onto current-based cells with weight 2.0 inhibits). A script written for
sPyNNaker (``import spynnaker8 as sim`` / ``import pyNN.spiNNaker as sim``) runs with
only its import line changed to this module.
"""
# flake8: noqa: F401, F403
import spikesim.pynn as _backend
from spikesim.pynn import *


def setup(timestep=0.1, min_delay="auto", max_delay="auto", **extra_params):
    """:func:`spikesim.pynn.setup` with ``conventions="spynnaker"`` by default."""
    extra_params.setdefault("conventions", "spynnaker")
    return _backend.setup(timestep, min_delay, max_delay, **extra_params)
