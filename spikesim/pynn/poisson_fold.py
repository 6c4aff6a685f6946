"""Poisson sources connected one-to-one, delivered as per-step counts (``setup(poisson_inputs=...)``).

PyNN scripts give every neuron its background drive as a ``SpikeSourcePoisson``
population connected one-to-one (the Potjans-Diesmann microcircuit as SpiNNaker users
run it: 77,169 sources at 13-17 kHz each). As spike events that costs one event per
input spike. Before every run, :func:`fold` turns each such source into a
:class:`spikesim.sources.PoissonInput` on its targets -- one Poisson count per target and
step, added into the synaptic input with the connection's weight and delay, as NEST's
``poisson_generator`` does -- and the source itself emits nothing. It is the same
stochastic process (an independent Poisson train per connection, at the source's rate,
from its start for its duration); the realisation differs from the event-driven one.

A source is folded when, at the start of a run, all of these hold (otherwise it runs as
events, and a source folded in an earlier run is restored from the current step on):

- it is a whole ``SpikeSourcePoisson`` population, not recorded, without a rate schedule
  (per-neuron start/duration or sPyNNaker's time-varying rates);
- it has exactly one outgoing projection: static (no plasticity, no synapse dynamics),
  onto neurons of one population, with one delay, in which every source neuron and every
  target neuron has at most one connection.

A source with a ``seed`` of its own keeps it: its counts depend on that seed only, so
sources with one seed drive their targets alike and ``reset()`` repeats the counts, as
sPyNNaker repeats a seeded source's spikes. Rates and weights changed with ``set()``
between runs are read at the next run (the input is replaced from that step on). ``setup(poisson_inputs="events")`` turns folding off.
"""
from __future__ import annotations

import numpy as np

import spikesim as ss

MODES = ("counts", "events")


def _candidate(proj, outgoing: dict, recorded: set):
    """The core projection of PyNN projection ``proj`` if its source can be folded, else None."""
    from .standardmodels import StaticSynapse

    if type(proj.synapse_type) is not StaticSynapse or len(proj._parts) != 1:
        return None
    cp = proj._parts[0]
    src = cp.pre
    if not isinstance(src.celltype, ss.SpikeSourcePoisson) or cp.synapse is not None \
            or cp.dynamics is not None or cp.post_population.celltype.kind == 0:
        return None
    if getattr(proj.pre, "parent", None) is not None:
        return None
    if outgoing.get(id(src), 0) != 1 or id(src) in recorded:
        return None
    p = src.params
    if p.get("rate_changes") is not None or np.ndim(p["start"]) or np.ndim(p["duration"]):
        return None
    if cp.n_synapses == 0 or np.unique(cp.delay).shape[0] != 1 or np.any(np.diff(cp.indptr) > 1):
        return None
    if np.unique(cp.post).shape[0] != cp.n_synapses:
        return None    # two sources onto one target: keep the events
    return cp


def _drive_values(cp):
    """Target indices (sorted), their sources' rates (Hz) and the weights of the one-to-one ``cp``."""
    src = cp.pre
    s = np.repeat(np.arange(src.size), np.diff(cp.indptr))
    t = np.asarray(cp.post, np.int64)
    w = np.broadcast_to(np.asarray(cp.weight, np.float64), (cp.n_synapses,))
    order = np.argsort(t, kind="stable")
    rate = np.broadcast_to(np.asarray(src.params["rate"], np.float64), (src.size,))
    return t[order], rate[s[order]], w[order]


def fold(state) -> None:
    """Before a run: fold every eligible Poisson source, restore those no longer eligible."""
    net = state.net
    folded = state.poisson_folds            # id(core projection) -> (core projection, input)
    candidates = {}
    if state.poisson_inputs == "counts":
        outgoing, recorded = {}, {id(r.population) for r in net.recorders}
        for cp in net.projections:
            outgoing[id(cp.pre)] = outgoing.get(id(cp.pre), 0) + 1
        for proj in state.projections:
            cp = _candidate(proj, outgoing, recorded)
            if cp is not None:
                candidates[id(cp)] = (cp, getattr(proj.pre, "_seed", None))
    for key in list(folded):
        cp, drive = folded[key]
        keep = key in candidates and candidates[key][1] == drive.own_seed
        if keep:
            t, rate, w = _drive_values(cp)
            keep = (np.array_equal(drive.indices, t) and np.array_equal(drive.rate, rate)
                    and np.array_equal(drive.weight, w) and drive.delay_steps == int(cp.delay[0])
                    and drive.receptor_type == cp.receptor_type)
        if not keep:                        # changed or no longer eligible: replaced from now on
            net.remove_poisson_input(drive)
            cp.pre.events_muted = False
            del folded[key]
    for key, (cp, seed) in candidates.items():
        if key in folded:
            continue
        t, rate, w = _drive_values(cp)
        post, p = cp.post_population, cp.pre.params
        target = post if np.array_equal(t, np.arange(post.size)) else post[t]
        drive = net.add_poisson_input(target, rate, w, cp.receptor_type,
                                      delay=int(cp.delay[0]) * net.dt, start=float(p["start"]),
                                      duration=float(p["duration"]), label=f"folded {cp.label}",
                                      seed=seed)
        cp.pre.events_muted = True
        folded[key] = (cp, drive)
