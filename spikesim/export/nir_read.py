"""Reading NIR graphs back into spikesim networks (:func:`from_nir`).

The mapping is the inverse of :func:`spikesim.export.nir.to_nir`; its module
docstring documents both directions and what NIR cannot hold.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import ExportError
from .nir import _EXTRA, PRODUCER, TIME_UNITS, _nir, _warn


def from_nir(graph, dt: float = 0.1, seed: int | None = None, *, spike_times=None,
             time_unit: str | None = None, dtype: str = "float32", scheme: str = "exact",
             reset=None, refractory=None):
    """Build a :class:`spikesim.Network` from a NIR graph.

    Two readers share this entry point. A graph that spikesim wrote
    (:func:`~spikesim.export.to_nir`, graph metadata ``producer ==
    "spikesim"``) of ``Input``, ``Output``, ``CubaLIF``, ``Linear`` and
    ``Affine`` nodes is read back as described below (spikes as Dirac
    deltas; spikesim's own parameters from the metadata). Any other graph
    goes to :func:`spikesim.export.nir_graph.read_graph`: every NIR neuron,
    weight, shape and delay node, subgraphs and recurrent cycles, with the
    discretisation, reset and refractory rules of
    :mod:`spikesim.export.nir_nodes`; that network carries a
    ``nir_source`` attribute (:class:`~spikesim.export.nir_graph.NIRSource`:
    populations by node name, outputs, and what :func:`to_nir` needs to write
    the graph back).

    Parameters
    ----------
    graph : nir.NIRGraph, str or Path
        A NIR graph (a path is read with ``nir.read``; nothing is unpickled
        or evaluated).
    dt : float
        Time step of the new network, ms.
    seed : int, optional
        Seed of the new network.
    spike_times : dict, optional
        Spike times (ms) per ``Input`` node, keyed by node name (or by the
        population label recorded in a spikesim graph's metadata), in any form
        :class:`~spikesim.SpikeSourceArray` accepts. Inputs not named here
        become ``SpikeSourceArray`` populations **with no spikes**: a NIR
        graph carries no input data.
    time_unit : {"ms", "s"}, optional
        Unit of the graph's time constants. Default: the ``time_unit`` in the
        graph's metadata if spikesim wrote it, else ms (NIR's documented unit);
        a foreign graph whose time constants are all below ``dt`` ms is then
        read in ms with a :class:`~spikesim.export.nir_graph.NIRImportWarning`
        that names the assumption (snnTorch, Norse and Rockpool write seconds).
    dtype : {"float32", "float64"}
        Precision of the new network.
    scheme : {"exact", "euler"}
        Discretisation of foreign graphs' leaky nodes
        (:mod:`spikesim.export.nir_nodes`): exact propagators, or forward
        Euler as snnTorch's and Norse's importers.
    reset : {"value", "subtract"} or dict, optional
        Reset mode of every spiking node, or per node name; default: the
        node's metadata ``"reset"``, else NIR's reset to ``v_reset``.
    refractory : float or dict, optional
        Refractory period (ms) of every spiking node, or per node name;
        default: the node's metadata ``"t_ref"`` (graph time unit), else 0.

    Returns
    -------
    spikesim.Network
        ``CubaLIF`` nodes become ``IF_curr_exp`` populations with the inverse
        of the mapping in the module documentation: ``tau_m = tau_mem``,
        ``cm = tau_mem / r``, ``tau_syn_E = tau_syn_I = tau_syn``,
        ``v_rest = v_leak``, ``i_offset = 0``, ``tau_refrac = 0``; a
        ``Linear``/``Affine`` node becomes ``FromList`` projections with
        weights ``W * w_in / tau_syn`` (nA, per target neuron), excitatory
        where positive and inhibitory where negative (zero entries are not
        synapses), delay one step. An ``Affine`` bias ``b`` is a constant
        input to the synaptic current; it becomes ``i_offset += w_in * b``
        (its steady state; the rise with ``tau_syn`` at the start is lost and
        reported by a :class:`NIRExportWarning`). A direct edge from an
        ``Input`` or ``CubaLIF`` node into a ``CubaLIF`` node is an identity
        weight matrix. Metadata written by :func:`to_nir` restores
        ``tau_refrac``, ``tau_syn_I``, ``v_rest``, ``i_offset``, labels,
        receptor types and delays.

    Raises
    ------
    ExportError
        For node types other than those above (nested graphs, ``LIF``,
        ``Delay``, convolutions, ...) and for edges that spikesim cannot map.
    """
    nir = _nir()
    import spikesim as ss

    if isinstance(graph, (str, Path)):
        graph = nir.read(graph)
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"graph must be a nir.NIRGraph or a path to a NIR file, got {graph!r}")
    gmeta = dict(graph.metadata) if isinstance(graph.metadata, dict) else {}
    legacy = ("Input", "Output", "CubaLIF", "Affine", "Linear")
    if _str(gmeta.get("producer")) != PRODUCER or any(
            type(n).__name__ not in legacy for n in graph.nodes.values()):
        from .nir_graph import read_graph, resolve_time_unit

        # spikesim's own graphs (e.g. with IF_curr_delta as LIF) declare Dirac spikes
        mine = _str(gmeta.get("producer")) == PRODUCER
        return read_graph(graph, nir, dt=dt, time_unit=resolve_time_unit(graph, time_unit, dt),
                          scheme=scheme, reset=reset, refractory=refractory,
                          spike_times=spike_times, seed=seed, dtype=dtype,
                          spikes="dirac" if mine else "pulse")
    if time_unit is None:
        time_unit = str(gmeta.get("time_unit", "ms")) if gmeta.get("producer") == PRODUCER \
            else "ms"
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}")
    f = TIME_UNITS[time_unit]

    # nir.write/read stores nodes by name; spikesim's metadata keeps the original order
    position = {n: k for k, n in enumerate(graph.nodes)}
    order = sorted(graph.nodes, key=lambda n: (float(_meta(graph.nodes[n]).get("order", np.inf)),
                                               position[n]))
    kinds = {}
    for name, node in graph.nodes.items():
        for cls in (nir.Input, nir.Output, nir.CubaLIF, nir.Affine, nir.Linear):
            if type(node) is cls:
                kinds[name] = cls.__name__
                break
        else:
            raise ExportError(f"NIR node {name!r} is {type(node).__name__}; spikesim reads only "
                              "Input, Output, CubaLIF, Linear and Affine nodes",
                              rule="nir-node-type")
    if gmeta.get("producer") == PRODUCER:
        # nir.NIRGraph's type inference puts an Input node before every node without incoming
        # edges (a population that receives no projection); spikesim's own inputs carry metadata
        for name in [n for n, k in kinds.items() if k == "Input" and not _meta(graph.nodes[n])]:
            del kinds[name]
        order = [n for n in order if n in kinds]
    src_of, dst_of = {n: [] for n in kinds}, {n: [] for n in kinds}
    for a, b in graph.edges:
        if a in graph.nodes and a not in kinds:
            continue  # an inferred Input node, skipped above
        for end in (a, b):
            if end not in kinds:
                raise ExportError(f"NIR edge ({a!r}, {b!r}) names a node that is not in the graph",
                                  rule="nir-edge")
        dst_of[a].append(b)
        src_of[b].append(a)

    spike_times = dict(spike_times or {})
    sizes, params, labels = {}, {}, {}
    for name in order:
        node, kind = graph.nodes[name], kinds[name]
        meta = _meta(node)
        if kind in ("Input", "CubaLIF"):
            labels[name] = str(meta.get("label", name))
        if kind == "Input":
            shape = np.asarray(node.input_type["input"]).ravel()
            if shape.size != 1:
                raise ExportError(f"NIR Input {name!r} has shape {tuple(shape)}; spikesim reads "
                                  "1-D inputs only", rule="nir-shape")
            sizes[name] = int(shape[0])
        elif kind == "CubaLIF":
            params[name] = _cubalif_to_params(name, node, meta, f)
            sizes[name] = params[name]["tau_m"].shape[0]
    for key in spike_times:
        if not any(kinds[n] == "Input" and key in (n, labels[n]) for n in kinds):
            raise ValueError(f"spike_times: {key!r} is not an Input node of the graph; inputs: "
                             f"{sorted(n for n in kinds if kinds[n] == 'Input')}")

    conns, bias_nodes = [], []
    for name in order:
        node, kind = graph.nodes[name], kinds[name]
        if kind in ("Linear", "Affine"):
            srcs = src_of[name]
            if len(srcs) != 1 or kinds[srcs[0]] not in ("Input", "CubaLIF"):
                raise ExportError(f"NIR {kind} {name!r} must have exactly one input, from an Input "
                                  f"or CubaLIF node; it has {srcs}", rule="nir-edge")
            w = np.asarray(node.weight, dtype=np.float64)
            for dst in dst_of[name]:
                if kinds[dst] == "Output":
                    continue
                if kinds[dst] != "CubaLIF":
                    raise ExportError(f"NIR {kind} {name!r} feeds {kinds[dst]} {dst!r}; spikesim "
                                      "reads weights that feed CubaLIF nodes only", rule="nir-edge")
                want = (sizes[dst], sizes[srcs[0]])
                if w.shape != want:
                    raise ExportError(f"NIR {kind} {name!r} has weight shape {w.shape}; "
                                      f"{srcs[0]!r} -> {dst!r} needs {want}", rule="nir-shape")
                conns.append((srcs[0], dst, w, name, _meta(node)))
                if kind == "Affine":
                    b = np.asarray(node.bias, dtype=np.float64)
                    if np.any(b != 0):
                        params[dst]["i_offset"] = params[dst]["i_offset"] + \
                            params[dst]["_w_in"] * np.broadcast_to(b, (sizes[dst],))
                        bias_nodes.append(repr(name))
        elif kind in ("Input", "CubaLIF"):
            for dst in dst_of[name]:
                if kinds[dst] == "CubaLIF":
                    if sizes[dst] != sizes[name]:
                        raise ExportError(f"NIR edge ({name!r}, {dst!r}) joins {sizes[name]} "
                                          f"to {sizes[dst]} neurons without a weight node",
                                          rule="nir-shape")
                    conns.append((name, dst, np.eye(sizes[dst]), f"{name}_{dst}", {}))
                elif kinds[dst] not in ("Linear", "Affine", "Output"):
                    raise ExportError(f"NIR edge ({name!r}, {dst!r}): {kinds[dst]} cannot take "
                                      f"the spikes of {kinds[name]} {name!r}", rule="nir-edge")
        elif kind == "Output" and dst_of[name]:
            raise ExportError(f"NIR Output {name!r} has outgoing edges {dst_of[name]}",
                              rule="nir-edge")
    _warn("an Affine bias as a synaptic input", bias_nodes,
          "it becomes i_offset = w_in * bias (its steady state) for nodes", stacklevel=3)

    net = ss.Network(dt=dt, seed=seed, dtype=dtype)
    pops = {}
    for name in order:
        if kinds[name] == "Input":
            times = spike_times.get(name, spike_times.get(labels[name], ()))
            pops[name] = net.add_population(sizes[name], ss.SpikeSourceArray(times),
                                            label=labels[name])
        elif kinds[name] == "CubaLIF":
            p = {k: v for k, v in params[name].items() if not k.startswith("_")}
            pops[name] = net.add_population(sizes[name], ss.IF_curr_exp(**p), label=labels[name])
    for src, dst, w, name, meta in conns:
        scale = params[dst]["_w_in"] / params[dst]["_tau_syn"]  # nA per unit of W
        _connect(net, pops[src], pops[dst], w * scale[:, None], name, meta)
    return net


def _str(v):
    return v.decode() if isinstance(v, bytes) else v


def _meta(node) -> dict:
    meta = getattr(node, "metadata", None)
    if isinstance(meta, dict) and str(meta.get("producer", "")) == PRODUCER:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in meta.items()}
    return {}


def _cubalif_to_params(name, node, meta, f) -> dict:
    def arr(field):
        a = np.asarray(getattr(node, field), dtype=np.float64)
        return a.ravel()

    tau_mem, tau_syn, r = arr("tau_mem"), arr("tau_syn"), arr("r")
    v_leak, v_th = arr("v_leak"), arr("v_threshold")
    v_reset = arr("v_reset") if node.v_reset is not None else np.zeros_like(v_th)
    w_in = arr("w_in")
    n = v_th.shape[0]
    for field, a in (("tau_mem", tau_mem), ("tau_syn", tau_syn), ("r", r), ("v_leak", v_leak),
                     ("v_reset", v_reset), ("w_in", w_in)):
        if a.shape[0] != n:
            raise ExportError(f"NIR CubaLIF {name!r}: {field} has {a.shape[0]} values, "
                              f"v_threshold {n}", rule="nir-shape")
    bad = ~((r > 0) & np.isfinite(r))
    if bad.any():
        raise ExportError(f"NIR CubaLIF {name!r}: r must be finite and > 0 to give a membrane "
                          f"capacitance (cm = tau_mem / r), got {float(r[bad][0])!r}",
                          rule="nir-parameter")
    tau_m, tau_s = tau_mem / f, tau_syn / f
    p = {"tau_m": tau_m, "cm": tau_m / r, "tau_syn_E": tau_s, "tau_syn_I": tau_s.copy(),
         "v_rest": v_leak, "i_offset": np.zeros(n), "v_thresh": v_th, "v_reset": v_reset,
         "tau_refrac": np.zeros(n)}
    extra = {k: np.broadcast_to(np.asarray(meta[k], dtype=np.float64), (n,)).copy()
             for k in _EXTRA if k in meta and np.shape(meta[k]) in ((), (n,))}
    if not ("v_rest" in extra and "i_offset" in extra and np.allclose(
            extra["v_rest"] + r * extra["i_offset"], v_leak, rtol=1e-9, atol=1e-9)):
        extra.pop("v_rest", None)  # missing, or v_leak was edited after export: trust v_leak
        extra.pop("i_offset", None)
    p.update(extra)  # spikesim's own values, when spikesim wrote the graph
    p["_w_in"], p["_tau_syn"] = w_in, tau_syn
    return p


def _connect(net, pre, post, w, name, meta) -> None:
    import spikesim as ss

    label = str(meta.get("label", name))
    delay = meta.get("delay")
    dense_delay = None
    if delay is not None and np.ndim(delay) == 2 and np.shape(delay) == w.shape:
        dense_delay = np.asarray(delay, dtype=np.float64)
    receptor = str(meta.get("receptor_type", ""))
    parts = [(receptor, w != 0)] if receptor in ("excitatory", "inhibitory") else \
        [("excitatory", w > 0), ("inhibitory", w < 0)]
    for rec, mask in parts:
        post_i, pre_i = np.nonzero(mask)
        if len(parts) == 2 and not pre_i.size:
            continue
        if dense_delay is not None:
            d = dense_delay[post_i, pre_i]
        elif delay is not None and np.ndim(delay) == 0:
            d = np.full(pre_i.shape, float(delay))
        else:
            d = np.full(pre_i.shape, net.dt)
        d = np.maximum(d, net.dt)
        sub = f"{label}_{rec[:3]}" if len(parts) == 2 and (w > 0).any() and (w < 0).any() \
            else label
        net.connect(pre, post, ss.FromList(pre_i, post_i, weight=w[post_i, pre_i], delay=d),
                    receptor_type=rec, label=sub)
