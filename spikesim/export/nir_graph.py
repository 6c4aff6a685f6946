"""Any NIR graph of NIR's primitives as a spikesim network (the reader behind :func:`from_nir`).

Structure
---------
- ``Input`` nodes become :class:`~spikesim.SpikeSourceArray` populations
  (C-ordered flattening of their shape), driven by ``spike_times``.
- Neuron nodes (``LIF``, ``CubaLIF``, ``IF``, ``LI``, ``CubaLI``, ``I``,
  ``Threshold``) become populations, labelled by node name; the equations,
  the discretisation at ``dt`` and the reset/refractory rules are in
  :mod:`spikesim.export.nir_nodes`.
- Weight and shape nodes (``Linear``, ``Affine``, ``Scale``, ``Flatten``,
  ``Conv1d``, ``Conv2d``, ``SumPool2d``, ``AvgPool2d``, ``Delay``) between
  two populations are multiplied along each path into one sparse projection
  (:mod:`spikesim.export.nir_conv` for the convolution and pooling
  conventions); inputs that meet at a node are summed (NIR's rule), so
  parallel paths give parallel projections. Weights are ``W * w_scale``
  per target neuron; positive entries go to the excitatory receptor,
  negative ones to the inhibitory one (equal time constants: exact); zero
  entries are no synapse. A path that is one convolution, or a pooling
  (window = stride, no padding) then a convolution, with one delay and one
  ``w_scale`` for all targets, becomes a :class:`spikesim.Convolution`
  instead: its kernel is stored once, not per synapse
  (:func:`spikesim.export.nir_conv.shared_kernel`), with the same spikes.
- Subgraphs (a ``NIRGraph`` as a node) are flattened: their nodes are named
  ``<subgraph>.<node>``, their ``Input``/``Output`` nodes are pass-throughs.
- ``Output`` nodes name the populations to read; :attr:`NIRSource.outputs`.

Time
----
Every projection takes one step ``dt`` (spikesim's minimum delay: a spike
emitted in step ``k`` is integrated in step ``k + 1``); a ``Delay`` node of
``d`` (graph time unit) adds ``round(d / h)`` steps on its path. So each
cycle of the graph through a neuron node carries at least one step of delay
and recurrent graphs need no ``Delay`` node; a cycle of weight nodes alone
(no neuron on it) has no state to carry the delay and is refused. A
feed-forward chain of ``L`` projections lags a simulator that passes spikes
on within the step (snnTorch, Norse, sinabs) by ``L`` steps; with
``scheme="exact"`` a ``CubaLIF`` layer adds one more (``IF_curr_exp``'s ``v``
sees ``I`` of the previous step, as in NEST), and so does each recurrent loop
through it.

Errors
------
:class:`~spikesim.export.ExportError` names the node: unsupported node
types, shapes that do not fit, non-positive or non-finite time constants, a
weight-only cycle, a non-spiking node feeding another node, an ``Output``
fed by a weight node. All checks run before the network is created, so a
refused graph builds nothing.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from . import ExportError
from .nir_conv import operator, shared_kernel
from .nir_nodes import READOUT, SPIKING, SCHEMES, neuron_spec, node_shape

NEURONS = SPIKING + READOUT
WEIGHTS = ("Linear", "Affine", "Scale", "Flatten", "Conv1d", "Conv2d", "SumPool2d",
           "AvgPool2d", "Delay")


class NIRImportWarning(UserWarning):
    """An assumption spikesim made while reading a NIR graph."""


@dataclass
class NIRSource:
    """Where a network read by :func:`~spikesim.export.from_nir` came from.

    Attributes
    ----------
    graph : nir.NIRGraph
        The graph as read (subgraphs kept).
    populations : dict
        Flattened node name -> :class:`~spikesim.population.Population`
        (``Input`` and neuron nodes).
    outputs : dict
        ``Output`` node name -> Population feeding it.
    paths : list
        Per projection of the network, in order: ``(src, dst, path, sign)``
        with ``path`` the tuple of weight-node names from ``src`` to ``dst``.
    shapes : dict
        Node name -> shape.
    options : dict
        ``dt`` (ms), ``h`` (graph time unit), ``time_unit``, ``scheme``,
        ``reset`` and ``t_ref`` (ms) per neuron node.
    specs : dict
        Neuron node name -> :class:`~spikesim.export.nir_nodes.NeuronSpec`.
    """

    graph: object
    populations: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    paths: list = field(default_factory=list)
    shapes: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    specs: dict = field(default_factory=dict)


def flatten_graph(graph, nir, prefix: str = "") -> tuple[dict, list]:
    """Nodes and edges of ``graph`` with subgraphs inlined as ``<sub>.<node>``.

    A subgraph's ``Input``/``Output`` nodes stay as nodes (pass-throughs the
    reader skips); an edge to the subgraph goes to its ``Input`` node(s), an
    edge from it leaves its ``Output`` node(s).

    Parameters
    ----------
    graph : nir.NIRGraph
        The graph (subgraphs nested to any depth).
    nir : module
        The ``nir`` package.
    prefix : str
        Prefix of the node names (the enclosing subgraphs' names and dots).

    Returns
    -------
    (dict, list)
        ``{flattened name: node}`` and the ``(source, target)`` edges.

    Raises
    ------
    ExportError
        For an edge naming a missing node or a subgraph without Input or
        Output node (rule ``nir-edge``).
    """
    nodes, edges, entry, exit_ = {}, [], {}, {}
    for name, node in graph.nodes.items():
        full = prefix + name
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = flatten_graph(node, nir, full + ".")
            nodes.update(sub_nodes)
            edges += sub_edges
            entry[name] = [full + "." + k for k, v in node.nodes.items()
                           if isinstance(v, nir.Input)]
            exit_[name] = [full + "." + k for k, v in node.nodes.items()
                           if isinstance(v, nir.Output)]
            if not entry[name] or not exit_[name]:
                raise ExportError(f"NIR subgraph {full!r} has no Input or no Output node",
                                  rule="nir-edge")
        else:
            nodes[full] = node
    for a, b in graph.edges:
        a0, b0 = a.split(".")[0] if a not in graph.nodes else a, \
            b.split(".")[0] if b not in graph.nodes else b
        for end, base in ((a, a0), (b, b0)):
            if base not in graph.nodes:
                raise ExportError(f"NIR edge ({a!r}, {b!r}) names a node that is not in the "
                                  "graph", rule="nir-edge")
        srcs = exit_.get(a, [prefix + a]) if a in graph.nodes else [prefix + a]
        dsts = entry.get(b, [prefix + b]) if b in graph.nodes else [prefix + b]
        edges += [(s, d) for s in srcs for d in dsts]
    return nodes, edges


def _kind(node) -> str:
    return type(node).__name__


def read_graph(graph, nir, *, dt: float, time_unit: str, scheme: str = "exact", reset=None,
               refractory=None, spike_times=None, seed=None, dtype: str = "float32",
               label_prefix: str = "", spikes: str = "pulse"):
    """Build a :class:`spikesim.Network` from any NIR graph (see the module docstring).

    Parameters are those of :func:`spikesim.export.from_nir`; ``time_unit``
    is resolved already (``"ms"`` or ``"s"``). ``spikes``: ``"pulse"`` (a
    spike is a value 1 held for its step; foreign graphs) or ``"dirac"`` (a
    Dirac delta of unit area; graphs spikesim wrote, see
    :func:`~spikesim.export.nir_nodes.dirac_gain`).

    Returns
    -------
    spikesim.Network
        With the attribute ``nir_source`` (:class:`NIRSource`).
    """
    import spikesim as ss

    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number of ms, got {dt!r}")
    h = dt * (1e-3 if time_unit == "s" else 1.0)
    nodes, edges = flatten_graph(graph, nir)
    kinds = {}
    for name, node in nodes.items():
        k = _kind(node)
        if k not in NEURONS + WEIGHTS + ("Input", "Output"):
            raise ExportError(f"NIR node {name!r} is {k}; spikesim reads "
                              f"{', '.join(NEURONS + WEIGHTS)}, Input, Output and subgraphs",
                              rule="nir-node-type")
        kinds[name] = k
    succ, pred = {n: [] for n in nodes}, {n: [] for n in nodes}
    for a, b in edges:
        for end in (a, b):
            if end not in nodes:
                raise ExportError(f"NIR edge ({a!r}, {b!r}) names a node that is not in the graph",
                                  rule="nir-edge")
        succ[a].append(b)
        pred[b].append(a)
    # pass-throughs: a subgraph's inner Input/Output nodes (they have edges on both sides)
    through = {n for n in nodes if kinds[n] in ("Input", "Output") and pred[n] and succ[n]}
    inputs = [n for n in nodes if kinds[n] == "Input" and n not in through]
    outputs = [n for n in nodes if kinds[n] == "Output" and n not in through]
    for n in inputs:
        if pred[n]:
            raise ExportError(f"NIR Input {n!r} has incoming edges", rule="nir-edge")

    reset_of = _per_node(reset, "reset", nodes, kinds, ("value", "subtract"))
    tref_of = _per_node(refractory, "refractory", nodes, kinds, None)
    specs, shapes, t_refs, resets = {}, {}, {}, {}
    for name in nodes:
        if kinds[name] not in NEURONS:
            continue
        meta = getattr(nodes[name], "metadata", None) or {}
        mode = reset_of.get(name) or _meta_str(meta, "reset") or "value"
        if mode == "zero":
            mode = "value"
        if mode not in ("value", "subtract"):
            raise ExportError(f"NIR {kinds[name]} {name!r}: reset mode {mode!r} in its metadata "
                              "is not 'value' or 'subtract'", rule="nir-parameter")
        t_ref = tref_of.get(name)
        if t_ref is None and "t_ref" in meta:
            t_ref = float(np.asarray(meta["t_ref"])) / (1e-3 if time_unit == "s" else 1.0)
        t_ref = float(t_ref or 0.0)
        if not (np.isfinite(t_ref) and t_ref >= 0):
            raise ExportError(f"NIR {kinds[name]} {name!r}: refractory period must be >= 0 ms, "
                              f"got {t_ref!r}", rule="nir-parameter")
        specs[name] = neuron_spec(name, nodes[name], h=h, dt=dt, scheme=scheme, reset=mode,
                                  t_ref=t_ref, dtype=dtype, spikes=spikes)
        shapes[name], t_refs[name], resets[name] = specs[name].shape, t_ref, mode
    for name in inputs:
        shapes[name] = tuple(int(s) for s in np.atleast_1d(nodes[name].input_type["input"]))

    # shapes of weight nodes (and pass-throughs), to a fixed point; mismatches name the nodes
    ops, biases = {}, {}
    pending = [n for n in nodes if n not in shapes and n not in outputs]
    while pending:
        progress = False
        for name in list(pending):
            known = [shapes[p] for p in pred[name] if p in shapes]
            if not known:
                continue
            if len({int(np.prod(s)) for s in known}) > 1:
                raise ExportError(f"NIR node {name!r} gets inputs of shapes {sorted(set(known))} "
                                  f"from {pred[name]}", rule="nir-shape")
            in_shape = known[0]
            if kinds[name] in ("Input", "Output", "Delay"):
                ops[name], shapes[name] = None, in_shape
                if kinds[name] == "Delay":
                    ops[name] = _delay_steps(name, nodes[name], in_shape, h)
            else:
                m, out, b = operator(nodes[name], in_shape, name, nir)
                ops[name], shapes[name] = m, out
                if b is not None and np.any(b != 0):
                    biases[name] = b
            pending.remove(name)
            progress = True
        if not progress:
            raise ExportError(f"NIR nodes {sorted(pending)} are reached from no Input or neuron "
                              "node (or only through a cycle of weight nodes)", rule="nir-edge")
    for name in nodes:  # every input of a node must have the node's input size
        if kinds[name] in ("Input",) and name in inputs:
            continue
        want = _in_size(name, nodes[name], kinds[name], shapes, pred)
        for p in pred[name]:
            if int(np.prod(shapes[p])) != want:
                raise ExportError(f"NIR edge ({p!r}, {name!r}): {p!r} has shape {shapes[p]}, "
                                  f"{kinds[name]} {name!r} takes {want} values", rule="nir-shape")
    out_pop = {}
    for name in outputs:
        for p in pred[name]:
            src = _through(p, pred, through)
            if kinds[src] not in NEURONS + ("Input",):
                raise ExportError(f"NIR Output {name!r} is fed by {kinds[src]} {src!r}; spikesim "
                                  "records populations (Input or neuron nodes) only",
                                  rule="nir-edge")
            out_pop[name] = src

    # projections: every path src -> weight nodes -> dst, as (delay steps, sparse matrix) terms
    sources = inputs + list(specs)
    terms = []  # (src, dst, path, delay_steps, matrix)
    for src in sources:
        n_src = int(np.prod(shapes[src]))
        start = [(0, sp.identity(n_src, format="csr"))]
        for nxt in succ[src]:
            _walk(src, nxt, (), start, nodes, kinds, succ, ops, specs, through, terms)
    for src, dst, path, _, _ in terms:
        if src in specs and not specs[src].spiking:
            raise ExportError(f"NIR {kinds[src]} {src!r} is non-spiking (a readout) and feeds "
                              f"{kinds[dst]} {dst!r}; spikesim passes spikes only",
                              rule="nir-readout")
    # biases: propagated from their node to the neurons they reach
    folded = []
    for bnode, b in biases.items():
        reached = []
        for nxt in succ[bnode]:
            _walk(bnode, nxt, (), [(0, sp.csr_matrix(b[:, None]))], nodes, kinds, succ, ops,
                  specs, through, reached)
        for _, dst, _, _, m in reached:
            specs[dst].add_bias(np.asarray(m.todense()).ravel())
            if specs[dst].cell == "IF_curr_exp":
                folded.append(f"{bnode!r} -> {dst!r}")
    if folded:
        warnings.warn("a constant (bias) input to CubaLIF/CubaLI nodes is folded into v_leak "
                      "as the synaptic current's steady state; its rise with tau_syn at the start "
                      f"is not simulated: {', '.join(folded)}", NIRImportWarning, stacklevel=4)

    spike_times = dict(spike_times or {})
    for key in spike_times:
        if key not in inputs:
            raise ValueError(f"spike_times: {key!r} is not an Input node of the graph; inputs: "
                             f"{sorted(inputs)}")
    # ---- everything is checked; build
    net = ss.Network(dt=dt, seed=seed, dtype=dtype)
    src_info = NIRSource(graph=graph, shapes=shapes, specs=specs,
                         options={"dt": dt, "h": h, "time_unit": time_unit, "scheme": scheme,
                                  "reset": resets, "t_ref": t_refs, "spikes": spikes,
                                  "label_prefix": label_prefix})
    pops = src_info.populations
    for name in inputs + [n for n in nodes if n in specs]:
        size = int(np.prod(shapes[name]))
        if name in specs:
            spec = specs[name]
            cell = getattr(ss.cells, spec.cell)(**{k: v for k, v in spec.params.items()})
        else:
            cell = ss.SpikeSourceArray(spike_times.get(name, ()))
        v0 = specs[name].v0 if name in specs and specs[name].v0 is not None else (
            0.0 if name in specs else None)
        pops[name] = net.add_population(size, cell, label=label_prefix + name, initial_v=v0)
    src_info.outputs = {o: pops[p] for o, p in out_pop.items()}
    grouped = {}
    for src, dst, path, d, m in terms:
        grouped.setdefault((src, dst, path), []).append((d, m))
    for (src, dst, path), parts in grouped.items():
        label = label_prefix + "/".join(path) if path else f"{label_prefix}{src}->{dst}"
        if _connect_shared(net, nir, pops[src], pops[dst], path, parts, nodes, shapes[src],
                           specs[dst].w_scale, dt, label, src_info.paths, (src, dst, path)):
            continue
        pre_l, post_l, w_l, d_l = [], [], [], []
        for d, m in parts:
            m = sp.coo_matrix(m)
            m.sum_duplicates()
            keep = m.data != 0
            post_l.append(m.row[keep]); pre_l.append(m.col[keep])
            w_l.append(m.data[keep] * specs[dst].w_scale[m.row[keep]])
            d_l.append(np.full(int(keep.sum()), (1 + d) * dt))
        pre_i, post_i, w, dl = (np.concatenate(a) for a in (pre_l, post_l, w_l, d_l))
        for sign, rec in ((1, "excitatory"), (-1, "inhibitory")):
            sel = (w > 0) if sign > 0 else (w < 0)
            if not sel.any():
                continue
            both = (w > 0).any() and (w < 0).any()
            net.connect(pops[src], pops[dst],
                        ss.FromList(pre_i[sel], post_i[sel], weight=w[sel], delay=dl[sel]),
                        receptor_type=rec, label=f"{label}_{rec[:3]}" if both else label)
            src_info.paths.append((src, dst, path, sign))
    net.nir_source = src_info
    return net


def _connect_shared(net, nir, pre, post, path, parts, nodes, in_shape, w_scale, dt, label,
                    paths, key) -> bool:
    """Connect a convolution path with its kernel stored once (:func:`.nir_conv.shared_kernel`):
    one projection per sign, as the synapse-by-synapse path makes. False when it does not apply
    (several delays, a target scale that differs between neurons, another layout)."""
    import spikesim as ss

    if len(parts) != 1 or not np.all(w_scale == w_scale[0]):
        return False
    conv = shared_kernel(path, nodes, in_shape, nir)
    if conv is None:
        return False
    k = conv.kernel * w_scale[0]
    pos, neg = np.where(k > 0, k, 0.0), np.where(k < 0, k, 0.0)
    both = pos.any() and neg.any()
    for sign, rec, kern in ((1, "excitatory", pos), (-1, "inhibitory", neg)):
        if kern.any():
            net.connect(pre, post, ss.Convolution(kern, conv.input_shape, conv.stride,
                                                  conv.padding, conv.dilation, conv.groups,
                                                  conv.input_crop),
                        delay=(1 + parts[0][0]) * dt, receptor_type=rec,
                        label=f"{label}_{rec[:3]}" if both else label)
            paths.append(key + (sign,))
    return True


def _through(name, pred, through):
    """Follow pass-through nodes back to the node that feeds them."""
    seen = set()
    while name in through and name not in seen:
        seen.add(name)
        name = pred[name][0]
    return name


def _in_size(name, node, kind, shapes, pred) -> int:
    if kind in NEURONS:
        return int(np.prod(shapes[name]))
    known = [shapes[p] for p in pred[name] if p in shapes]
    return int(np.prod(known[0])) if known else 0


def _walk(src, name, path, parts, nodes, kinds, succ, ops, specs, through, terms) -> None:
    """Depth-first from ``src`` through weight nodes; append ``(src, dst, path, d, M)`` terms."""
    kind = kinds[name]
    if name in specs:
        for d, m in parts:
            terms.append((src, name, path, d, m))
        return
    if kind == "Output" and name not in through:
        return
    if name in path:
        cyc = list(path[path.index(name):]) + [name]
        raise ExportError(f"NIR nodes {cyc} form a cycle of weight nodes without a neuron node; "
                          "there is no state to carry its delay", rule="nir-cycle")
    op = ops[name]
    if kind == "Delay":
        new = []
        for d, m in parts:
            m = sp.csr_matrix(m)
            for k in np.unique(op):
                rows = sp.diags((op == k).astype(np.float64))
                sub = (rows @ m).tocsr()
                if sub.nnz:
                    new.append((d + int(k), sub))
        parts = new
    elif op is not None:
        parts = [(d, (op @ m).tocsr()) for d, m in parts]
    if kind not in ("Input", "Output"):
        path = path + (name,)
    for nxt in succ[name]:
        _walk(src, nxt, path, parts, nodes, kinds, succ, ops, specs, through, terms)


def _delay_steps(name, node, shape, h) -> np.ndarray:
    d = np.asarray(node.delay, dtype=np.float64)
    try:
        d = np.broadcast_to(d.reshape(shape) if d.size == np.prod(shape) else d, shape).ravel()
    except ValueError:
        raise ExportError(f"NIR Delay {name!r}: delay shape {np.shape(node.delay)} does not fit "
                          f"its input {shape}", rule="nir-shape") from None
    if not (np.isfinite(d).all() and (d >= 0).all()):
        raise ExportError(f"NIR Delay {name!r}: delays must be finite and >= 0",
                          rule="nir-parameter")
    steps = np.round(d / h)
    if np.any(np.abs(steps * h - d) > 1e-6 * np.maximum(d, h)):
        warnings.warn(f"NIR Delay {name!r}: delays are rounded to whole steps of {h:g} (graph "
                      "time unit)", NIRImportWarning, stacklevel=4)
    return steps.astype(np.int64)


def _meta_str(meta, key):
    v = meta.get(key) if isinstance(meta, dict) else None
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
        v = v.decode() if isinstance(v, bytes) else v
    return str(v) if v is not None else None


def _per_node(value, what, nodes, kinds, allowed):
    """A scalar for every neuron node, or a {node name: value} dict."""
    if value is None:
        return {}
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in nodes or kinds[k] not in NEURONS:
                raise ValueError(f"{what}: {k!r} is not a neuron node of the graph")
            if allowed and v not in allowed:
                raise ValueError(f"{what}[{k!r}] must be one of {allowed}, got {v!r}")
        return dict(value)
    if allowed and value not in allowed:
        raise ValueError(f"{what} must be one of {allowed} or a dict per node, got {value!r}")
    return {n: value for n in nodes if kinds[n] in NEURONS}


def resolve_time_unit(graph, time_unit: str | None, dt: float) -> str:
    """The graph's time unit: the argument, else the graph metadata's, else guessed (warned).

    Parameters
    ----------
    graph : nir.NIRGraph
        The graph.
    time_unit : {"ms", "s"} or None
        The caller's choice, if any.
    dt : float
        Time step, ms.

    Returns
    -------
    str
        ``"ms"`` or ``"s"``.

    NIR documents ms, but snnTorch, Norse and Rockpool write seconds. With
    neither an argument nor a ``time_unit`` in the graph metadata, a graph
    whose time constants (``tau``, ``tau_mem``, ``tau_syn``) are all below
    ``dt`` when read in ms would decay completely within one step; it is
    read in seconds, and a :class:`NIRImportWarning` names that assumption.
    Otherwise ms, without a warning.
    """
    if time_unit is not None:
        if time_unit not in ("ms", "s"):
            raise ValueError(f"time_unit must be 'ms' or 's', got {time_unit!r}")
        return time_unit
    meta = graph.metadata if isinstance(graph.metadata, dict) else {}
    declared = _meta_str(meta, "time_unit")
    if declared in ("ms", "s"):
        return declared
    import nir

    nodes, _ = flatten_graph(graph, nir)
    taus = [np.asarray(getattr(n, f), dtype=np.float64).ravel() for n in nodes.values()
            for f in ("tau", "tau_mem", "tau_syn") if getattr(n, f, None) is not None]
    if taus and all(t.size and np.all(t < dt) for t in taus):
        t_max = max(float(t.max()) for t in taus)
        warnings.warn(f"the NIR graph does not state its time unit and its time constants (up to "
                      f"{t_max:g}) are shorter than dt = {dt:g} ms: read in seconds (as snnTorch, "
                      "Norse and Rockpool write them); pass time_unit='ms' or 's' to choose",
                      NIRImportWarning, stacklevel=4)
        return "s"
    return "ms"
