"""setup/run/reset/end and the state queries of the spikesim PyNN backend."""
from __future__ import annotations

import warnings

from pyNN import common, errors
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from . import simulator
from .simulator import CONVENTIONS, check_count

_OPTIONS = ("rng_seed", "dtype", "threads", "conventions", "stdp_amplitudes", "connectors",
            "inhibitory_weights", "poisson_inputs", "fuse_receptors")
# documented setup() options of other PyNN backends: scripts pass them to every backend
_OTHER_BACKENDS = ("spike_precision", "verbosity", "recording_precision", "rng_type", "t_flush",
                   "grng_seed", "rng_seeds", "rng_seeds_seed", "use_cvode", "rtol", "atol",
                   "default_maxstep", "native_rng_baseseed", "returned_rng_seed")


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, max_delay=DEFAULT_MAX_DELAY,
          **extra_params):
    """Start a new simulation: an empty spikesim network with time step ``timestep`` (ms).

    Options (keyword arguments) specific to spikesim:

    ``rng_seed`` (int, default 42)
        Seed of the network's generator (Poisson sources). Connectors and
        ``RandomDistribution`` draw from their own ``NumpyRNG``, as in every backend.
    ``dtype`` ("float64" default, or "float32")
        Precision of state and weights.
    ``threads`` ("auto" or int)
        Threads of the simulation loop (results do not depend on it).
    ``conventions`` ("pynn" default, or "spynnaker")
        Sets both of the following at once.
    ``stdp_amplitudes`` ("pynn" or "spynnaker")
        ``AdditiveWeightDependence``: "pynn" multiplies ``A_plus``/``A_minus`` by
        ``w_max`` (as ``pyNN.nest``); "spynnaker" takes them as weight changes (nA, uS).
    ``inhibitory_weights`` ("pynn" or "spynnaker")
        "pynn": inhibitory weights onto current-based cells are negative (PyNN's rule,
        checked). "spynnaker": the magnitude of a weight is used and the receptor type
        gives the sign, as sPyNNaker does; ``get`` returns magnitudes.

    ``connectors`` ("native" default, or "pynn")
        "native": PyNN's all-to-all, one-to-one, fixed-probability, fixed-number and
        fixed-total-number connectors are drawn by spikesim's vectorised connectors
        (:mod:`spikesim.pynn.native_connect`): the same rule and distribution, another
        realisation than PyNN's. "pynn": every connector runs PyNN's own code, which
        gives exactly the connections ``pyNN.nest`` makes from the same ``NumpyRNG`` seed.

    ``poisson_inputs`` ("counts" default, or "events")
        "counts": a ``SpikeSourcePoisson`` population whose only projection is a static
        one-to-one one (each neuron's own background drive) is delivered as one Poisson
        count per target and step, not as spike events (:mod:`spikesim.pynn.poisson_fold`
        lists the conditions); the same process, another realisation. "events": always
        as spike events.
    ``fuse_receptors`` (bool, default False)
        ``IF_curr_exp`` populations with ``tau_syn_E == tau_syn_I`` keep one summed synaptic
        current (:mod:`spikesim.fusion`): the same dynamics, less memory traffic per spike;
        populations recording ``isyn_exc``/``isyn_inh`` are left apart.

    ``min_delay`` 'auto' means one time step. PyNN passes backend-specific options to
    every backend (NEST's ``t_flush``, ``spike_precision``, ``verbosity``; NEURON's
    ``use_cvode``; ...): spikesim does not use them and says so with a ``UserWarning``
    naming each one, except ``spike_precision="off_grid"``, which would change the results
    and raises ``NotImplementedError``. Returns the MPI rank (always 0).
    """
    if extra_params.get("spike_precision", "on_grid") != "on_grid":
        raise NotImplementedError(f"spike_precision={extra_params['spike_precision']!r}: spikesim is "
                                  "grid-based; spike times are multiples of the time step")
    foreign = sorted(set(extra_params) - set(_OPTIONS))
    if foreign:
        known = [k for k in foreign if k in _OTHER_BACKENDS]
        warnings.warn(f"setup() options {foreign} are not used by spikesim"
                      + (f" ({known} belong to other PyNN backends)" if known else "")
                      + f"; spikesim's options are {list(_OPTIONS)}", stacklevel=2)
        for key in foreign:
            extra_params.pop(key)
    common.setup(timestep, min_delay, max_delay=max_delay)
    conv = extra_params.pop("conventions", "pynn")
    if conv not in CONVENTIONS:
        raise errors.InvalidParameterValueError(
            f"setup(conventions=...) must be one of {CONVENTIONS}, got {conv!r}")
    extra_params.setdefault("stdp_amplitudes", conv)
    extra_params.setdefault("inhibitory_weights", conv)
    simulator.state.configure(timestep=timestep, min_delay=min_delay, max_delay=max_delay,
                              **extra_params)
    return rank()


def end(compatible_output=True):
    """Write the data requested with ``record(..., to_file=...)`` and close files."""
    for (population, variables, filename) in simulator.state.write_on_end:
        io = get_io(filename)
        population.write_data(io, variables)
    simulator.state.write_on_end = []
    simulator.state.net.close()


def set_number_of_neurons_per_core(neuron_type, max_permitted):
    """sPyNNaker compatibility: accepted and ignored (spikesim has no cores)."""
    check_count("set_number_of_neurons_per_core: max_permitted", max_permitted)


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize

get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)
