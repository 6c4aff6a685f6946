"""spikesim's PyNN backend with sPyNNaker's conventions: ``import spikesim.pynn.spynnaker as sim``.

The same backend as :mod:`spikesim.pynn`, whose ``setup()`` defaults to
``conventions="spynnaker"``: additive-STDP amplitudes are absolute weight changes,
and weights are magnitudes whose sign comes from the receptor type (an inhibitory
projection onto current-based cells with weight 2.0 inhibits). A script written for
sPyNNaker (``import spynnaker8 as sim`` / ``import pyNN.spiNNaker as sim``) runs with
only its import line changed to this module.

What sPyNNaker's front end adds to PyNN, and what it does here:

- ``name()``: ``"spikesim (sPyNNaker front end)"``.
- Placement and machine calls (``set_number_of_neurons_per_core`` with an int, a
  float or a tuple, ``set_allow_delay_extensions``, ``set_number_of_synapse_cores``):
  accepted and checked, and they
  change nothing: spikesim has no cores, no chips and no delay extensions.
- ``get_machine``, live input/output and external devices
  (``sim.external_devices``): raise ``NotImplementedError`` naming the call (there is
  no board).
- ``sim.extra_models``: sPyNNaker's extra neuron models, STDP rules (with ``RecurrentRule``)
  and ``Neuromodulation`` (dopamine onto ``receptor_type="reward"`` / ``"punishment"``,
  :mod:`spikesim.neuromodulation`) under their names (see :mod:`.extra_models`); what
  spikesim lacks raises ``NotImplementedError``.
- ``sim.SpikeSourcePoisson`` also takes sPyNNaker's ``rates``/``starts``/``durations``
  (per-neuron, time-varying rates; :mod:`.sources`), as does
  ``extra_models.SpikeSourcePoissonVariable``.
- Synaptic rewiring: ``sim.StructuralMechanismStatic`` / ``sim.StructuralMechanismSTDP``
  with ``sim.RandomSelection``, ``sim.LastNeuronSelection``,
  ``sim.DistanceDependentFormation``, ``sim.RandomByWeightElimination`` as synapse types
  of ``sim.Projection`` (:mod:`.structural`, on :mod:`spikesim.rewiring`).
- ``sim.Izhikevich`` is sPyNNaker's Izhikevich (exponential current synapses, its
  RK2 scheme and units: :class:`spikesim.IzkCurrExp`), not PyNN's.
- Populations (:mod:`spikesim.pynn.populations`): ``record("all")``; ``gsyn_exc`` /
  ``gsyn_inh`` of current-based cells are their synaptic currents; one sample per step
  from t = 0 (``run(T)`` gives ``T/dt`` samples); ``get_data``/``write_data`` of an
  unrecorded variable raise ``ConfigurationException``; signals carry
  ``channel_names``; ``tau_refrac`` counts whole steps rounded up;
  ``set_max_atoms_per_core`` / ``add_placement_constraint`` accepted (no cores).
- ``sim.Projection`` (:mod:`.projections`): ``get`` as sPyNNaker returns it (list rows
  sorted by source and target, whole-population indices for views, ``"nparray"``),
  ``OneToOneConnector`` of unequal sizes, unrealisable fixed-number connectors raise
  ``SpynnakerException``; ``SmallWorldConnector`` and a boolean-reading
  ``ArrayConnector``; ``reset()`` reloads plastic weights; ``run`` rounds up to steps.
- sPyNNaker's helper modules scripts import: :mod:`.exceptions`,
  :mod:`.utilities` (``neo_convertor``, ``neo_compare``), ``models.populations``,
  ``models.neuron.synapse_dynamics`` (reference STDP weights),
  ``models.spike_source.spike_source_poisson_vertex.DURATION_FOREVER``,
  :mod:`.spike_checker`, :mod:`.plot_utils`.

Timing as on SpiNNaker (``benchmarks/spynnaker_scripts.py`` runs sPyNNaker's own tests):

- ``sim.IF_curr_exp`` and ``sim.IF_cond_exp`` are PyNN's cells computed in SpiNNaker's
  order and scheme (:class:`spikesim.IFCurrExpSpiNNaker`, :class:`spikesim.IFCondExpSpiNNaker`):
  a tick's input is added before the membrane step, so a spike delivered with delay ``d``
  can make its target fire ``d`` ticks after the sender (NEST's order: ``d + 1``);
  refractory periods last ``ceil(tau_refrac / dt)`` ticks.
- Every spike is reported at the start of its tick (spikesim's core and NEST: the end),
  and a ``SpikeSourceArray`` time ``T`` is sent in tick ``ceil(T / dt)`` (after cutting
  ``T`` to whole microseconds), as sPyNNaker does.
- Still different: SpiNNaker computes in s16.15 fixed point, spikesim in floating point,
  so recorded voltages differ in the fourth or fifth digit; and the random numbers of
  SpiNNaker's sources and connectors are not reproduced.
"""
# flake8: noqa: F401, F403
import spikesim.pynn as _backend
from spikesim.pynn import *
import numpy as np
from pyNN import errors
from pyNN.random import NativeRNG  # noqa: F401  (sPyNNaker exports it)
from pyNN.space import distance  # noqa: F401  (sPyNNaker exports PyNN's)
from spikesim.pynn.simulator import check_count as _check_count

import spikesim as _ss
from spikesim.pynn.standardmodels import spynnaker_cell_type as _cell_type

from pyNN.space import Cuboid, Grid2D, Grid3D, Line, RandomStructure, Sphere

from . import exceptions, extra_models, external_devices
from .sources import SpikeSourcePoisson
from .structural import (DistanceDependentFormation, LastNeuronSelection, Projection, RandomByWeightElimination, RandomSelection, StructuralMechanismSTDP, StructuralMechanismStatic)
from spikesim.pynn.connectors import (ArrayConnector, OneToOneOffsetConnector,
                                      SmallWorldConnector)
from .projections import Projection  # noqa: F811 (the structural one, with sPyNNaker's get)

#: sPyNNaker's ``Izhikevich``: exponential current synapses, sPyNNaker's scheme and units
Izhikevich = _cell_type(_ss.IzkCurrExp, "Izhikevich")


from .lif_cells import IF_cond_exp, IF_curr_delta, IF_curr_exp  # noqa: E402,F811



class SpikeSourceArray(_backend.SpikeSourceArray):
    __doc__ = _backend.SpikeSourceArray.__doc__ + """
    sPyNNaker's signature: ``SpikeSourceArray(spike_times)`` also takes the times as its
    first positional argument.
    """

    def __init__(self, spike_times=None, **parameters):
        if spike_times is not None:
            parameters["spike_times"] = spike_times
        super().__init__(**parameters)


def setup(timestep=0.1, min_delay="auto", max_delay="auto", **extra_params):
    """:func:`spikesim.pynn.setup` with ``conventions="spynnaker"`` and ``dtype="float32"`` by
    default.

    float32, not PyNN's float64: SpiNNaker itself computes in 32-bit fixed point (s16.15,
    a step of 3e-5 mV) and stores weights in 16 bits, both coarser than float32 over the
    ranges of membrane potentials and weights, and float32 halves the memory and traffic
    of the synapses (sPyNNaker's full-scale microcircuit script: "Simulation took" 19.4 s
    in float64, 12.3-14.6 s in float32, benchmarks/README.md). ``setup(dtype="float64")``
    still gives double precision.

    sPyNNaker's ``n_chips_required`` / ``n_boards_required`` / ``time_scale_factor``
    options size or slow down the machine: accepted, and they change nothing here.
    """
    for key in ("n_chips_required", "n_boards_required", "time_scale_factor"):
        extra_params.pop(key, None)
    extra_params.setdefault("conventions", "spynnaker")
    extra_params.setdefault("dtype", "float32")
    return _backend.setup(timestep, min_delay, max_delay, **extra_params)


def name() -> str:
    """The simulator's name (sPyNNaker returns its own)."""
    return "spikesim (sPyNNaker front end)"


def set_number_of_neurons_per_core(neuron_type, max_permitted) -> None:
    """sPyNNaker: the most neurons of a type per core (an int, a float, or a tuple of ints
    for 2-D populations). Checked and accepted; it changes nothing here (no cores)."""
    values = max_permitted if isinstance(max_permitted, tuple) else (max_permitted,)
    if not values:
        raise errors.InvalidParameterValueError("set_number_of_neurons_per_core: max_permitted "
                                                "is an empty tuple")
    for v in values:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        _check_count("set_number_of_neurons_per_core: max_permitted", v)


def set_allow_delay_extensions(neuron_type, allow_delay_extensions=None) -> None:
    """sPyNNaker: whether a model's long delays may use delay-extension cores,
    ``set_allow_delay_extensions(neuron_type, allow)`` (older sPyNNaker:
    ``set_allow_delay_extensions(allow)``, also taken). Checked and accepted; spikesim takes
    any delay up to 65,535 steps without extensions, so it changes nothing."""
    allow = neuron_type if allow_delay_extensions is None else allow_delay_extensions
    if isinstance(allow, (bool, np.bool_)) or (isinstance(allow, int) and allow in (0, 1)):
        return
    raise errors.InvalidParameterValueError(
        f"set_allow_delay_extensions: allow_delay_extensions must be True or False, got {allow!r}")


def set_number_of_synapse_cores(neuron_type, n_synapse_cores) -> None:
    """sPyNNaker: how many synapse cores a model's populations use (0: combined cores,
    None: the tool chooses). Checked and accepted; it changes nothing here (no cores)."""
    n = n_synapse_cores
    if n is not None and (isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer))
                          or n < 0):
        raise errors.InvalidParameterValueError(
            f"set_number_of_synapse_cores: n_synapse_cores must be None or an integer >= 0, "
            f"got {n!r}")


def get_machine(*args, **kwargs):
    """sPyNNaker: the SpiNNaker machine. There is none here."""
    raise NotImplementedError("get_machine(): spikesim runs on this computer, not on a "
                              "SpiNNaker machine; there is no machine to return")
