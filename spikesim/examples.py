"""Built-in example networks (used by ``spikesim demo`` and ``spikesim bench``)."""
from __future__ import annotations

from typing import Any

from .cells import IF_curr_exp
from .connectors import FixedProbability
from .network import Network
from .plasticity import STDP, AdditiveWeightDependence, SpikePairRule
from .random import RandomDistribution
from .recording import Recorder


def cuba(n_neurons: int = 4000, synapses_per_neuron: float = 80.0, seed: int | None = 1,
         dtype: str = "float32", threads: int | str = "auto",
         record: bool = True, stdp: bool = False) -> tuple[Network, list[Recorder]]:
    """The CUBA benchmark network (Vogels & Abbott 2005, J. Neurosci. 25:10786; Brian2's CUBA example).

    80 % excitatory and 20 % inhibitory LIF neurons with exponential current
    synapses, connected at random with probability ``synapses_per_neuron /
    n_neurons`` (0.02 at 4,000 neurons).

    Brian2's model ``dv/dt = (ge + gi - (v - El))/taum`` with jumps ``we``
    (mV) in ``ge`` maps to PyNN's ``IF_curr_exp`` with current jumps
    ``w = we * cm / taum`` (nA): ``we = 60*0.27/10 mV -> 0.081 nA`` and
    ``wi = -20*4.5/10 mV -> -0.45 nA`` with ``cm = 1 nF``, ``taum = 20 ms``.
    Other parameters: ``taue = 5 ms``, ``taui = 10 ms``, ``Vt = -50 mV``,
    ``Vr = -60 mV``, ``El = -49 mV``, refractory 5 ms, initial ``v``
    uniform in [Vr, Vt], delay one step (0.1 ms).

    Parameters
    ----------
    n_neurons : int
    synapses_per_neuron : float
        Mean out-degree (80 in the benchmark at every size).
    seed, dtype, threads
        As for :class:`~spikesim.Network`.
    record : bool
        Record spikes of both populations.
    stdp : bool
        Make the excitatory-to-excitatory synapses plastic (``spikesim bench stdp``):
        additive pair STDP, ``tau_plus = tau_minus = 20 ms``, ``A_plus = 0.01``,
        ``A_minus = 1.05 A_plus``, amplitudes scaled by ``w_max`` (PyNN, and
        Brian2's STDP example), weights clipped to ``[0, 2 w_exc]``.

    Returns
    -------
    (Network, list of Recorder)
    """
    net = Network(dt=0.1, seed=seed, dtype=dtype, threads=threads)
    cell = IF_curr_exp(tau_m=20.0, cm=1.0, v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0,
                       tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
    v0 = RandomDistribution("uniform", low=-60.0, high=-50.0)
    n_exc = int(round(0.8 * n_neurons))
    pops = [net.add_population(n_exc, cell, label="exc", initial_v=v0)]
    if n_neurons > n_exc:
        pops.append(net.add_population(n_neurons - n_exc, cell, label="inh", initial_v=v0))
    p = min(1.0, synapses_per_neuron / n_neurons)
    weights = {"exc": (60 * 0.27 / 10 / 20.0, "excitatory"), "inh": (-20 * 4.5 / 10 / 20.0, "inhibitory")}
    for pre in pops:
        w, receptor = weights[pre.label]
        for post in pops:
            syn = None
            if stdp and pre.label == "exc" and post.label == "exc":
                syn = STDP(SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.0105),
                           AdditiveWeightDependence(0.0, 2 * w))
            net.connect(pre, post, FixedProbability(p), weight=w, delay=0.1, receptor_type=receptor,
                        synapse=syn)
    recs = [net.record(pop, "spikes") for pop in pops] if record else []
    return net, recs


def microcircuit(scale: float = 1.0, k_scale: float | None = None, drive: str = "poisson",
                 seed: int | None = 55, **options: Any) -> tuple[Network, dict]:
    """The cortical microcircuit of Potjans & Diesmann (2014, Cereb Cortex 24:785).

    The benchmark network beside :func:`cuba`: it calls
    :func:`spikesim.models.microcircuit.microcircuit`, which builds the network and documents
    every parameter (``scale``: neuron-number scaling; ``k_scale``: in-degree scaling, default
    ``scale``; ``drive``: ``"poisson"`` or ``"dc"``; ``seed``; further ``options``: ``dtype``,
    ``threads``, ``record``, ``fuse_receptors``). The model lives in the models layer and is
    imported when this is called, as ``spikesim bench microcircuit`` does, so that importing
    ``spikesim`` does not import its models.

    Returns
    -------
    (Network, dict)
        The network and ``info`` (``populations``, ``recorders``, ``params``,
        ``poisson_inputs``), as the model function returns them.
    """
    from .models.microcircuit import microcircuit as build

    return build(scale=scale, k_scale=k_scale, drive=drive, seed=seed, **options)
