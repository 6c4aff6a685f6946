"""PyNN 0.13 backend on spikesim: ``import spikesim.pynn as sim``.

A PyNN script runs on spikesim's kernel by changing its import line. The backend
is built on PyNN's own machinery (``pyNN.common``, ``pyNN.standardmodels``,
``pyNN.connectors``, ``pyNN.recording``), as ``pyNN.nest`` is; data come back as
``neo.Block``.

What maps
    setup/run/run_until/run_for/reset/end, get_current_time, get_time_step;
    Population, PopulationView, Assembly; Projection (get/set weights and delays,
    save, size); IF_curr_exp, IF_cond_exp, SpikeSourceArray, SpikeSourcePoisson;
    DCSource, StepCurrentSource; every PyNN connector that works through
    ``_convergent_connect`` (AllToAll, OneToOne, FixedProbability, FixedNumberPre,
    FixedNumberPost, FromList, FromFile, DistanceDependentProbability, IndexBased,
    DisplacementDependent, Array, Clone, FixedTotalNumber) plus sPyNNaker's
    KernelConnector; StaticSynapse; STDPMechanism(SpikePairRule with Additive or
    Multiplicative weight dependence; Vogels2011Rule with AdditiveWeightDependence). Anything else raises NotImplementedError.

Conventions (see :func:`setup`)
    ``setup(..., conventions="spynnaker")`` (or ``import spikesim.pynn.spynnaker``)
    takes additive-STDP amplitudes as absolute weight changes and weights as
    magnitudes signed by the receptor type, as sPyNNaker does.

sPyNNaker compatibility
    ``set_number_of_neurons_per_core`` and ``Population(..., neurons_per_core=n)`` are
    accepted and ignored; ``Population.set(v=...)`` sets initial values; spike times
    in ``[0, dt)`` are emitted in the first step (stamped ``dt``); cell types accept
    initial values (``IF_curr_exp(v=-60.0)``).

Timing (as NEST): a spike in step ``t`` is stamped ``(t + 1) dt``; a spike at ``T``
with delay ``d`` enters the synaptic current at ``T + d``. Run durations must be
whole steps.
"""
# flake8: noqa: F401, F403
from pyNN import errors, random, space
from pyNN.connectors import *
from pyNN.network import Network
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution
from pyNN.recording import *
from pyNN.space import Space
from pyNN.standardmodels import StandardCellType

from .connectors import ConvolutionConnector, KernelConnector, OneToOneConnector
from .control import (end, get_current_time, get_max_delay, get_min_delay, get_time_step,
                      initialize, num_processes, rank, reset, run, run_for, run_until,
                      set_number_of_neurons_per_core, setup)
from .populations import Assembly, Population, PopulationView
from .procedural_api import connect, create, record, record_gsyn, record_v, set
from .projections import Projection
from .standardmodels import *
from .standardmodels import STANDARD_CELL_TYPES


def list_standard_models():
    """Names of the standard cell types this backend simulates."""
    return list(STANDARD_CELL_TYPES)


__all__ = sorted(name for name in dir() if not name.startswith("_"))
