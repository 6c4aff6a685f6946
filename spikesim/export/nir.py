"""Networks to and from NIR, the Neuromorphic Intermediate Representation.

NIR (J. E. Pedersen, S. Abreu et al., "Neuromorphic intermediate
representation: A unified instruction set for interoperable brain-inspired
computing", Nature Communications 15, 8122 (2024),
doi:10.1038/s41467-024-52259-9; https://neuroir.org) describes a network as a
graph of idealised continuous-time primitives (hybrid systems: ODEs plus
events). spikesim writes and reads these primitives:

===================================  =========================================
spikesim                             NIR
===================================  =========================================
``IF_curr_exp`` population           ``nir.CubaLIF`` (one node per population)
``IF_curr_delta`` population         ``nir.LIF`` (``r = tau``: a spike through ``w``
                                    makes ``v`` jump by ``w`` mV)
``SpikeSourceArray`` / ``Poisson``   ``nir.Input`` (the spikes stay outside; a network
                                    without sources gets an identity ``Input`` port
                                    ``<label>_stimulus`` per neuron population)
projection (static or plastic)       ``nir.Linear`` (dense, ``(n_post, n_pre)``)
every neuron population              ``nir.Output`` (or only the recorded ones)
===================================  =========================================

Graphs from other tools (snnTorch, Norse, sinabs, Rockpool, ...) are read by
:mod:`spikesim.export.nir_graph`: every NIR neuron node (``LIF``, ``CubaLIF``,
``IF``, ``LI``, ``CubaLI``, ``I``, ``Threshold``), the weight and shape nodes
(``Linear``, ``Affine``, ``Scale``, ``Flatten``, ``Conv1d``, ``Conv2d``,
``SumPool2d``, ``AvgPool2d``, ``Delay``), subgraphs and recurrent cycles.
Their spikes are pulses held for one step (the NIR paper's exact reference);
the discretisation at ``dt``, reset and refractory rules are in
:mod:`spikesim.export.nir_nodes`, the convolution conventions in
:mod:`spikesim.export.nir_conv`. The rest of this page describes spikesim's
own graphs, whose metadata declares spikes as Dirac deltas.

Parameter mapping
-----------------
NIR's current-based LIF (the paper's primitives table; ``nir.CubaLIF``) is

.. math::

    \\tau_{syn} \\dot I = -I + w_{in} S, \\qquad
    \\tau_{mem} \\dot v = (v_{leak} - v) + R I, \\qquad
    v > v_{threshold} \\Rightarrow v \\leftarrow v_{reset}

where ``S`` is the output of the incoming ``Linear`` node, ``W s``. spikesim
reads a spike ``s`` as a Dirac delta of unit area, the continuous-time
reading of NIR's events (NIR's documentation writes the Threshold
primitive's output as a delta); it does not depend on any time step. A
spike through weight ``W`` therefore makes ``I`` jump by ``w_in W / tau_syn``.
spikesim's ``IF_curr_exp`` is

.. math::

    c_m \\dot v = \\frac{c_m}{\\tau_m}(v_{rest} - v) + I + i_{offset}
    \\iff \\tau_m \\dot v = (v_{rest} + \\tfrac{\\tau_m}{c_m} i_{offset} - v)
    + \\tfrac{\\tau_m}{c_m} I, \\qquad \\tau_{syn,E} \\dot I = -I

with a jump of ``w`` (nA) per spike. The two are the same system with

==================  ====================================  =====================
NIR                 from spikesim                         unit
==================  ====================================  =====================
``tau_mem``         ``tau_m``                             ms (or s, see below)
``tau_syn``         ``tau_syn_E``                         ms (or s)
``r``               ``tau_m / cm``                        MOhm (= mV/nA)
``v_leak``          ``v_rest + (tau_m / cm) * i_offset``  mV
``v_threshold``     ``v_thresh``                          mV
``v_reset``         ``v_reset``                           mV
``w_in``            ``tau_syn_E``                         ms (or s)
``Linear.weight``   ``w`` (transposed, ``(post, pre)``)   nA
==================  ====================================  =====================

``w_in = tau_syn`` makes the jump ``w_in W / tau_syn`` equal to ``W = w``, so
the Linear weights are spikesim's weights unchanged, and a constant
``i_offset`` is folded exactly into ``v_leak`` (an ``Affine`` bias would
instead pass through the synaptic filter and rise with ``tau_syn``). ``r``
is in MOhm because currents are in nA and voltages in mV (NIR's
documentation names Ohm; only the product ``R I`` in mV matters).

Time unit. NIR's documentation gives time constants in ms, which is the
default here (``time_unit="ms"``). Most PyTorch consumers (snnTorch, Norse,
Rockpool) read time constants in seconds: pass ``time_unit="s"``. The unit
is written to the graph's metadata, which :func:`from_nir` reads.

Consumers that step time. A forward-Euler consumer with step ``h`` (in the
graph's time unit) represents a Dirac spike as a pulse of height ``1 / h``;
snnTorch and Norse feed ``1`` per spike instead, so with them divide the
``Linear`` weights by ``h`` (``tests/test_export_nir.py`` does this for
snnTorch and compares spike counts).

What NIR cannot hold
--------------------
Each is reported by one :class:`NIRExportWarning` per kind, naming the
populations or projections concerned:

- refractory periods (``tau_refrac``; CubaLIF restarts integrating at once);
- synaptic delays longer than one step (the minimum, one step, is the
  time-stepping's own transmission latency and is not reported). NIR has a
  ``Delay`` primitive, but few consumers implement it, so none is written;
- a separate inhibitory time constant: CubaLIF has one synaptic current, so
  inhibitory synapses decay with ``tau_syn_E``; reported for populations
  that receive inhibitory projections with ``tau_syn_I != tau_syn_E``;
- plasticity: a plastic projection is written as its current weights;
- spike sources' content: Poisson rates, start and duration, and the spike
  times of ``SpikeSourceArray`` (drive the ``Input`` node with them);
- injected currents (``DCSource``, ``StepCurrentSource``) and astrocytes;
- conductance synapses: ``IF_cond_exp`` has no NIR primitive and is
  refused (:class:`ExportError`), as is any other cell type without a
  ``nir`` row in its model module.

Not written either, without a warning: the state (membrane potentials,
currents; NIR graphs start from rest), recorders, and spikesim's threshold
test ``v >= v_thresh`` (CubaLIF's is ``v > v_threshold``). Weights are dense
``(n_post, n_pre)`` matrices (NIR has no sparse primitive); multiple
synapses between one pair are summed, which is exact for current synapses
with equal delays.

spikesim's own parameters that NIR cannot express (``tau_refrac``,
``tau_syn_I``, ``v_rest``, ``i_offset``, labels, receptor types and delays)
are also written to the nodes' metadata, so that ``from_nir(to_nir(net))``
gives the network back; NIR consumers ignore metadata.
"""
from __future__ import annotations

import re
import warnings

import numpy as np

from ..neuromodulation import refuse as refuse_neuromodulation
from ..cells import CELL_TYPES, IF_curr_exp, SpikeSourceArray, SpikeSourcePoisson

from . import ExportError, refuse_extensions

__all__ = ["ExportError", "NIRExportWarning", "from_nir", "to_nir"]

#: Factor from ms to the graph's time unit.
TIME_UNITS = {"ms": 1.0, "s": 1e-3}
PRODUCER = "spikesim"


class NIRExportWarning(UserWarning):
    """Something of the network that a NIR graph cannot hold was left out."""


def _nir():
    try:
        import nir
    except ImportError as exc:  # pragma: no cover - exercised only without nir
        raise ImportError("NIR export needs the 'nir' package: pip install 'spikesim[export]'"
                          ) from exc
    return nir


# The mapping of each neuron model is its TRANSLATIONS["nir"] row (spikesim.kernels.neurons):
# (NIR node type, {field: fn(per-neuron parameters, ms -> graph time factor)}, metadata).
# IF_curr_exp's; nir_read inverts it.
_CUBALIF = tuple(IF_curr_exp.model.TRANSLATIONS["nir"][1].items())
_EXTRA = IF_curr_exp.model.TRANSLATIONS["nir"][2]


def nir_row(celltype):
    """The NIR translation row of a neuron type, or None."""
    return getattr(celltype, "model", None) and celltype.model.TRANSLATIONS.get("nir")


def _names(items) -> dict:
    """Unique NIR node names: letters, digits and ``_`` only (HDF5 groups, torch modules)."""
    used, out = set(), {}
    for key, label in items:
        base = re.sub(r"\W+", "_", str(label), flags=re.ASCII).strip("_") or "node"
        if base[0].isdigit():
            base = "n" + base
        name, k = base, 1
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        out[key] = name
    return out


def _warn(kind: str, what: list[str], consequence: str, stacklevel: int = 4) -> None:
    """One warning for one kind of dropped feature; ``stacklevel`` points at the user's call."""
    if what:
        warnings.warn(f"NIR cannot hold {kind}; {consequence}: {', '.join(what)}",
                      NIRExportWarning, stacklevel=stacklevel)


# --------------------------------------------------------------------------- export
def to_nir(net, *, time_unit: str = "ms", outputs="all"):
    """Describe ``net`` as a NIR graph.

    Parameters
    ----------
    net : spikesim.Network
        Populations of ``IF_curr_exp`` neurons and spike sources; see the
        module documentation for the mapping and for what is left out.
    time_unit : {"ms", "s"}
        Unit of the graph's time constants (``tau_mem``, ``tau_syn``,
        ``w_in``). NIR documents ms; snnTorch and Norse read seconds.
    outputs : "all", "recorded" or iterable of Population
        Neuron populations that get an ``nir.Output`` node: all of them, the
        ones with a spike recorder, or the ones given. ``nir.NIRGraph``'s type
        inference also gives every node without outgoing edges an Output node
        and every node without incoming edges (a population that receives no
        projection) an Input node. nirtorch 2.x, which snnTorch's and Norse's
        importers use, runs graphs with one Output node only.

    Returns
    -------
    nir.NIRGraph
        For a network that :func:`from_nir` read from a foreign graph (it
        has a ``nir_source``): that graph again, node for node, updated from
        the network as :mod:`spikesim.export.nir_write` describes
        (``time_unit`` and ``outputs`` are then the source graph's). Otherwise:
        nodes are named after population and projection labels (reduced to
        letters, digits and ``_``, made unique); ``Output`` nodes are
        ``<population>_out``. Graph metadata records ``producer``,
        ``time_unit``, ``dt`` (ms) and the units.

    Raises
    ------
    ExportError
        For ``IF_cond_exp`` (conductance synapses have no NIR primitive) or
        any other cell type without a NIR counterpart, and for an empty network.

    Warns
    -----
    NIRExportWarning
        Once per kind of dropped feature (refractory periods, delays, a
        separate ``tau_syn_I``, plasticity, source rates and spike times,
        injected currents, astrocytes), naming the populations/projections.
    """
    refuse_neuromodulation(net, "NIR export")
    nir = _nir()
    from ..network import Network

    if not isinstance(net, Network):
        raise TypeError(f"net must be a spikesim Network, got {net!r}")
    if getattr(net, "nir_source", None) is not None:
        from .nir_write import write_source  # a network read from a foreign NIR graph

        return write_source(net, nir)
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}")
    f = TIME_UNITS[time_unit]
    if not net.populations:
        raise ExportError("the network has no populations; there is nothing to export to NIR",
                          rule="empty-network")
    refuse_extensions(net, "NIR (CubaLIF)")
    for pop in net.populations:
        ct = pop.celltype
        if ct.kind != 0 and nir_row(ct) is None and ct.conductance_based:
            raise ExportError(
                f"population {pop.label!r} is {type(ct).__name__}: NIR has no conductance-based "
                "neuron (its CubaLIF takes current synapses only), so conductance synapses cannot "
                "be exported; use IF_curr_exp to export to NIR", rule="conductance-synapses")
        if ct.kind != 0 and nir_row(ct) is None or (
                ct.kind == 0 and not isinstance(ct, (SpikeSourceArray, SpikeSourcePoisson))):
            supported = [c.__name__ for c in CELL_TYPES if c.kind != 0 and nir_row(c)]
            raise ExportError(f"population {pop.label!r} is {type(ct).__name__}, which has no NIR "
                              f"counterpart (supported: {', '.join(supported)}, "
                              "SpikeSourceArray, SpikeSourcePoisson)", rule="cell-type")
    out_pops = _output_populations(net, outputs)
    _warn_dropped(net)

    names = _names([(("pop", p.index), p.label) for p in net.populations] +
                   [(("proj", k), pr.label) for k, pr in enumerate(net.projections)] +
                   [(("out", p.index), f"{p.label}_out") for p in out_pops])
    nodes, edges = {}, []
    for pop in net.populations:
        name = names[("pop", pop.index)]
        if pop.celltype.kind == 0:
            nodes[name] = nir.Input(input_type=np.array([pop.size]),
                                    metadata={"producer": PRODUCER, "label": pop.label,
                                              "order": pop.index,
                                              "celltype": type(pop.celltype).__name__})
            continue
        p = {k: pop.get(k) for k in pop.params}
        node, table, extra = nir_row(pop.celltype)
        fields = {nir_name: np.asarray(fn(p, f), dtype=np.float64) for nir_name, fn in table.items()}
        meta = {"producer": PRODUCER, "label": pop.label, "order": pop.index,
                "celltype": type(pop.celltype).__name__}
        meta.update({k: p[k] for k in extra})
        nodes[name] = getattr(nir, node)(**fields, metadata=meta)
    for k, proj in enumerate(net.projections):
        name = names[("proj", k)]
        w = np.nan_to_num(proj.get_weights("array"), nan=0.0).T.astype(net.dtype)
        meta = {"producer": PRODUCER, "label": proj.label, "order": k,
                "receptor_type": proj.receptor_type, "plastic": bool(proj.plastic)}
        d = proj.get_delays()
        if d.size and np.all(d == d[0]):
            meta["delay"] = float(d[0])
        elif d.size:
            pre, post = proj.connections()
            dense = np.zeros((proj.post_population.size, proj.pre.size))
            dense[post, pre] = d
            meta["delay"] = dense
        nodes[name] = nir.Linear(weight=w, metadata=meta)
        edges += [(names[("pop", proj.pre.index)], name),
                  (name, names[("pop", proj.post_population.index)])]
    for pop in out_pops:
        name = names[("out", pop.index)]
        nodes[name] = nir.Output(output_type=np.array([pop.size]))
        edges.append((names[("pop", pop.index)], name))
    meta = {"producer": PRODUCER, "time_unit": time_unit, "dt": float(net.dt),
            "units": "time: " + time_unit + "; voltage: mV; current: nA; r: MOhm",
            "spike": "Dirac delta of unit area"}
    if not any(isinstance(n, nir.Input) for n in nodes.values()):
        # a network without spike sources (e.g. recurrent CUBA): NIR graphs need an entry
        # point, so every neuron population gets an identity stimulus port "<label>_stimulus"
        # (no metadata: from_nir skips it, as it skips the Input nodes NIR adds itself)
        for pop in net.populations:
            if pop.celltype.kind != 0:
                port = _unique(f"{names[('pop', pop.index)]}_stimulus", nodes)
                nodes[port] = nir.Input(input_type=np.array([pop.size]))
                edges.append((port, names[("pop", pop.index)]))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def _unique(name: str, taken) -> str:
    out, k = name, 1
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    return out


def _output_populations(net, outputs) -> list:
    neurons = [p for p in net.populations if p.celltype.kind != 0]
    if isinstance(outputs, str):
        if outputs == "all":
            return neurons
        if outputs == "recorded":
            rec = {r.population.index for r in net.recorders if "spikes" in r.variables}
            return [p for p in neurons if p.index in rec]
        raise ValueError(f"outputs must be 'all', 'recorded' or a list of populations, "
                         f"got {outputs!r}")
    chosen = []
    for p in outputs:
        pop = getattr(p, "population", None)
        if pop is None or pop.net is not net:
            raise ValueError(f"outputs: {p!r} is not a population of this network")
        if pop.celltype.kind == 0:
            raise ValueError(f"outputs: {pop.label!r} is a spike source, not a neuron population")
        if pop not in chosen:
            chosen.append(pop)
    return sorted(chosen, key=lambda q: q.index)


def _warn_dropped(net) -> None:
    dt = net.dt
    pops = net.populations
    neurons = [p for p in pops if p.celltype.kind != 0]
    _warn("refractory periods", [f"{p.label!r} (tau_refrac up to {p.get('tau_refrac').max():g} ms)"
                                 for p in neurons if p.refractory_steps(dt).max() > 0],
          "CubaLIF integrates again right after a spike in populations")
    inh_targets = {pr.post_population.index for pr in net.projections
                   if pr.receptor_type == "inhibitory"}
    _warn("a separate inhibitory synaptic time constant",
          [repr(p.label) for p in neurons if p.index in inh_targets and "tau_syn_I" in p.params
           and not np.array_equal(p.get("tau_syn_I"), p.get("tau_syn_E"))],
          "inhibitory currents decay with tau_syn_E (tau_syn_I dropped) in populations")
    _warn("synaptic delays", [f"{pr.label!r} (up to {float(pr.get_delays().max()):g} ms)"
                              for pr in net.projections
                              if pr.n_synapses and int(pr.delay.max()) > 1],
          "delays longer than one step are dropped in projections")
    _warn("plasticity", [repr(pr.label) for pr in net.projections if pr.plastic],
          "the current weights are exported as static weights for projections")
    _warn("Poisson rates", [repr(p.label) for p in pops
                            if isinstance(p.celltype, SpikeSourcePoisson)],
          "rate, start and duration are dropped; these become plain Input nodes")
    _warn("spike times", [repr(p.label) for p in pops if isinstance(p.celltype, SpikeSourceArray)
                          and any(t.size for t in p.params["spike_times"])],
          "drive these Input nodes with their spike times yourself")
    _warn("injected currents", sorted({repr(pop.label) for _, pop, _ in net.injections}),
          "DC/step current sources are dropped for populations")
    astro = [repr(getattr(g, "label", None) or f"astrocytes{k}")
             for k, g in enumerate(net.astrocytes)]
    astro += [f"projection {pr.label!r}" for pr in net.projections
              if getattr(pr, "_astro_link", None) is not None]
    _warn("astrocytes", astro, "astrocyte groups and their modulation are dropped")


from .nir_read import from_nir  # noqa: E402  (reading lives in its own module)
