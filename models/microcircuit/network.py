"""The Potjans & Diesmann (2014) cortical microcircuit built with the spikesim API.

Every number comes from :mod:`.params` (which names its source for each table);
this module only maps NEST's units and rules onto spikesim's:

==========================  =========================================================
NEST / PD14                 spikesim
==========================  =========================================================
``iaf_psc_exp``             :class:`spikesim.IF_curr_exp` (exact integration as NEST)
C_m 250 pF, I_e pA, w pA    ``cm`` 0.25 nF, ``i_offset`` nA, weights nA (x 1e-3)
``fixed_total_number``      :class:`spikesim.FixedTotalNumber` ``(with_replacement=True,
(autapses, multapses on)``  allow_self=True)``
``redraw(normal, min, max)``  ``RandomDistribution("normal_clipped", ...)`` (redrawn until
                            inside; an infinite bound becomes mean +- 1000 SD)
delay ``min = dt/2``        ``low = dt/2`` (then rounded to >= 1 step as NEST does)
``poisson_generator``       :meth:`spikesim.Network.add_poisson_input`: per neuron and
all-to-all, delay 1.5 ms    step a Poisson count, added into the synaptic input
``V_m = normal(mu, sd)``    ``initial_v=RandomDistribution("normal", ...)`` per population
==========================  =========================================================

Why here and not in ``spikesim.examples``: a published model is a package under
``models/`` (the design's layout, with ``models/lsm``, ``models/ca3`` ...), and
``spikesim`` must not import ``models`` (layers point down). So it is
``spikesim.models.microcircuit.microcircuit(...)``; the CLI (``spikesim bench
microcircuit``) imports it from there, as the CLI already registers the other
models' commands.
"""
from __future__ import annotations

import numpy as np

import spikesim as ss

from .params import derive

RECORD_ALL = "all"


def microcircuit(scale: float = 1.0, k_scale: float | None = None, drive: str = "poisson",
                 seed: int | None = 55, dtype: str = "float32", threads: int | str = "auto",
                 record: bool = True, fuse_receptors: bool = True) -> tuple[ss.Network, dict]:
    """Build the cortical microcircuit of Potjans & Diesmann (2014, Cereb Cortex 24:785).

    77,169 ``IF_curr_exp`` neurons in eight populations (L2/3, L4, L5, L6; excitatory and
    inhibitory) and about 0.3 billion synapses at full scale, with Poisson (or DC)
    background drive, as INM-6/microcircuit-PD14-model and NEST's example build it
    (parameters and their sources: :mod:`spikesim.models.microcircuit.params`).

    Parameters
    ----------
    scale : float in (0, 1]
        Neuron-number scaling (``N_scaling``): each population has ``round(N * scale)``
        neurons.
    k_scale : float in (0, 1], optional
        In-degree scaling (``K_scaling``); default ``scale``. Below 1, weights are divided
        by ``sqrt(k_scale)`` and a DC current restores the mean input (the NEST/PyNN
        down-scaling rule, :func:`~spikesim.models.microcircuit.params.derive`).
    drive : {"poisson", "dc"}
        Background input: a Poisson input of ``8 Hz x K_ext`` per neuron (weight 87.8 pA,
        delay 1.5 ms), or its mean as a DC current.
    seed : int, optional
        Network seed (connectivity, weights, delays, initial potentials, Poisson counts).
        55 is the reference implementation's ``rng_seed``.
    dtype, threads
        As for :class:`spikesim.Network` (dt is 0.1 ms).
    record : bool
        Record the spikes of every neuron.
    fuse_receptors : bool
        Sum each neuron's excitatory and inhibitory currents in one variable (``isyn_exc``)
        and one ring plane (:mod:`spikesim.fusion`; exact, since PD14 gives both the same
        0.5 ms time constant): half the ring memory that spike delivery touches.

    Returns
    -------
    net : spikesim.Network
    info : dict
        ``populations`` (name -> Population), ``recorders`` (name -> Recorder, if
        ``record``), ``params`` (the derived numbers, NEST units), ``poisson_inputs``.

    Examples
    --------
    >>> from spikesim.models.microcircuit import microcircuit   # doctest: +SKIP
    >>> net, info = microcircuit(scale=0.1, seed=1)             # doctest: +SKIP
    >>> net.run(1000.0)                                         # doctest: +SKIP
    """
    P = derive(scale, k_scale, drive)
    nrn = P["neuron"]
    dt = P["dt"]
    net = ss.Network(dt=dt, seed=seed, dtype=dtype, threads=threads,
                     fuse_receptors=fuse_receptors)
    pops, recs, inputs = {}, {}, {}
    for i, name in enumerate(P["populations"]):
        cell = ss.IF_curr_exp(cm=nrn["C_m"] * 1e-3, tau_m=nrn["tau_m"], tau_syn_E=nrn["tau_syn"],
                              tau_syn_I=nrn["tau_syn"], v_rest=nrn["E_L"], v_reset=nrn["V_reset"],
                              v_thresh=nrn["V_th"], tau_refrac=nrn["t_ref"],
                              i_offset=float(P["dc_amp"][i]) * 1e-3)
        v0 = ss.RandomDistribution("normal", mu=float(P["v0_mean"][i]), sigma=float(P["v0_std"][i]))
        pops[name] = net.add_population(int(P["num_neurons"][i]), cell, label=name, initial_v=v0)
    for i, tname in enumerate(P["populations"]):        # target
        for j, sname in enumerate(P["populations"]):    # source
            n = int(P["num_synapses"][i, j])
            if n <= 0:
                continue
            mu = float(P["weight_mean"][i, j]) * 1e-3  # nA
            sd = abs(mu) * P["weight_rel_std"]
            if mu >= 0:
                w = ss.RandomDistribution("normal_clipped", mu=mu, sigma=sd, low=0.0,
                                          high=mu + 1000.0 * sd)
                receptor = "excitatory"
            else:
                w = ss.RandomDistribution("normal_clipped", mu=mu, sigma=sd, low=mu - 1000.0 * sd,
                                          high=0.0)
                receptor = "inhibitory"
            dmu = float(P["delay_mean"][i, j])
            d = ss.RandomDistribution("normal_clipped", mu=dmu, sigma=dmu * P["delay_rel_std"],
                                      low=0.5 * dt * (1.0 + 1e-9), high=dmu * 1000.0)
            net.connect(pops[sname], pops[tname],
                        ss.FixedTotalNumber(n, allow_self=True, with_replacement=True),
                        weight=w, delay=d, receptor_type=receptor, label=f"{sname}->{tname}")
    if drive == "poisson":
        for i, name in enumerate(P["populations"]):
            inputs[name] = net.add_poisson_input(
                pops[name], rate=float(P["poisson_rate"][i]), weight=P["weight_ext"] * 1e-3,
                delay=P["delay_poisson"], label=f"background->{name}")
    if record:
        recs = {name: net.record(p, "spikes") for name, p in pops.items()}
    return net, dict(populations=pops, recorders=recs, params=P, poisson_inputs=inputs)
