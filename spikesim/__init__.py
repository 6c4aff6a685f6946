"""spikesim: an event-driven, Numba-compiled spiking network simulator.

The API follows PyNN's names and units (ms, mV, nA, nF, uS, Hz).
"""
from .threads import bound_spin_waits as _bound_spin_waits

_bound_spin_waits()  # before Numba starts OpenMP threads: see spikesim.threads

from .cells import IF_cond_alpha, IF_curr_alpha, IF_curr_delta, IF_curr_dual_exp
from .cells import HH_cond_exp, IF_cond_exp, IF_curr_exp, Izhikevich, SpikeSourceArray, SpikeSourcePoisson
from .cells import IFCondExpStoc, IFCurrExpCa2Adaptive, IF_curr_exp_sEMD
from .cells import EIF_cond_alpha_isfa_ista, EIF_cond_exp_isfa_ista
from .cells import SpikeSourceGamma, SpikeSourcePoissonRefractory
from .cells import IzkCurrExp, Izhikevich_cond, IFCurrExpSpiNNaker, IFCondExpSpiNNaker, IFCurrDeltaSpiNNaker
from .cells import AdExpMultisynAlpha, LIFMultisynExp
from .cells import CubaLIFStep, CubaLIStep
from .connectors import (AllToAll, DistanceDependent, FixedNumberPost, FixedNumberPre,
                         FixedProbability, FixedTotalNumber, FromList, OneToOne)
from .convolution import Convolution
from .currents import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource
from .lirinzel import LiRinzel
from .io import load, load_recording
from .nalsm_astrocyte import NALSMAstrocyte
from .network import Network
from .neuromodulation import Neuromodulation
from .plasticity import (STDP, AdditiveWeightDependence, MultiplicativeWeightDependence, RecurrentRule,
                         SpikePairRule, TripletRule, Vogels2011Rule)
from .population import Population, PopulationView, grid_positions
from .projection import Projection
from .random import RandomDistribution
from .recording import Recorder
from .rewiring import (DistanceDependentFormation, LastNeuronSelection, RandomByWeightElimination,
                       RandomSelection, StructuralPlasticity, add_rewiring)
from .synapses import SimpleStochastic, SynapseDynamics, Tsodyks2, TsodyksMarkram
from . import plot  # noqa: E402  (matplotlib is imported lazily)

LIF = IF_curr_exp

__version__ = "0.1.0"

__all__ = [
    "SimpleStochastic", "SynapseDynamics", "Tsodyks2", "TsodyksMarkram",
    "STDP", "AdditiveWeightDependence", "MultiplicativeWeightDependence", "SpikePairRule",
    "TripletRule", "Vogels2011Rule", "NALSMAstrocyte", "load", "load_recording",
    "LiRinzel", "Neuromodulation", "RecurrentRule",
    "EIF_cond_alpha_isfa_ista", "EIF_cond_exp_isfa_ista",
    "IzkCurrExp", "Izhikevich_cond", "IFCurrExpSpiNNaker", "IFCondExpSpiNNaker", "IFCurrDeltaSpiNNaker", "AdExpMultisynAlpha", "LIFMultisynExp",
    "CubaLIFStep", "CubaLIStep",
    "ACSource", "AllToAll", "DCSource", "NoisyCurrentSource", "DistanceDependent", "FixedNumberPost", "FixedNumberPre",
    "Convolution", "FixedProbability", "FixedTotalNumber", "FromList", "HH_cond_exp", "IFCondExpStoc", "IFCurrExpCa2Adaptive", "IF_curr_exp_sEMD", "IF_cond_alpha", "IF_curr_alpha",
    "IF_curr_delta", "IF_curr_dual_exp", "IF_cond_exp", "IF_curr_exp", "Izhikevich", "LIF", "Network", "OneToOne",
    "Population", "PopulationView", "Projection", "RandomDistribution", "Recorder",
    "SpikeSourceArray", "SpikeSourceGamma", "SpikeSourcePoisson", "SpikeSourcePoissonRefractory",
    "StepCurrentSource", "grid_positions", "plot",
    "DistanceDependentFormation", "LastNeuronSelection", "RandomByWeightElimination",
    "RandomSelection", "StructuralPlasticity", "add_rewiring",
]
