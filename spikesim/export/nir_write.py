"""Writing a network read from a NIR graph back as that graph (used by :func:`to_nir`).

A network made by :func:`~spikesim.export.from_nir` from a foreign graph
carries its :class:`~spikesim.export.nir_graph.NIRSource`. :func:`to_nir`
then writes the source graph again, node for node and with its subgraphs,
updated with what changed in spikesim:

- neuron nodes: the parameters the discretisation maps one to one
  (``tau``/``tau_mem``/``tau_syn`` from ``tau_m``/``tau_syn_E`` by the
  inverse of :mod:`~spikesim.export.nir_nodes`' scheme, ``v_threshold``,
  ``v_reset``, ``v_leak``); ``r`` and ``w_in`` stay, since only their
  products with the weights reach spikesim.
- reset mode and refractory period, which NIR's nodes have no field for, go
  to the node's metadata (``"reset": "subtract"``, ``"t_ref"`` in the graph's
  time unit), which :func:`from_nir` reads and other consumers ignore; a
  :class:`~spikesim.export.nir.NIRExportWarning` names the populations.
  ``integrate_refractory`` has no NIR meaning and is refused (rule
  ``integrate-refractory``).
- weights: a projection whose weights still equal the product of its
  path's nodes keeps those nodes (a convolution stays a convolution). A
  changed single ``Linear``/``Affine`` gets the new matrix; a changed single
  ``Conv1d``/``Conv2d`` gets the kernel read back from the synapses if the
  weights are still shared across positions; anything else (a changed
  kernel that is no longer shared, a changed multi-node path such as
  ``SumPool2d -> Conv2d``) is refused naming the projection (rules
  ``nir-shared-weights``, ``nir-path-weights``).
- populations or projections added after reading are refused
  (``nir-source-changed``): export such a network with spikesim's own
  mapping instead (build it without ``nir_source``).
"""
from __future__ import annotations

import copy
import warnings

import numpy as np
import scipy.sparse as sp

from . import ExportError
from .nir_conv import operator
from .nir_nodes import neuron_spec

_MAPPED = ("tau_m", "tau_syn_E", "v_rest", "v_thresh", "v_reset")


def write_source(net, nir):
    """The source graph of ``net`` (see the module docstring), updated from ``net``.

    Parameters
    ----------
    net : spikesim.Network
        A network returned by :func:`~spikesim.export.from_nir` for a graph
        that spikesim did not write.
    nir : module
        The ``nir`` package.

    Returns
    -------
    nir.NIRGraph
        A new graph; the source graph is not modified.

    Raises
    ------
    ExportError
        With the rules named in the module docstring.
    """
    src = net.nir_source
    pops = list(src.populations.values())
    if [p.index for p in net.populations] != sorted(p.index for p in pops) or \
            len(net.projections) != len(src.paths):
        raise ExportError("populations or projections were added after from_nir; this network "
                          "no longer is its source graph", rule="nir-source-changed")
    graph = copy.deepcopy(src.graph)
    flat = _flat_nodes(graph, nir)
    opt = src.options
    f = 1e-3 if opt["time_unit"] == "s" else 1.0
    in_meta = []
    for name, spec in src.specs.items():
        pop = src.populations[name]
        node = flat[name]
        if np.any(np.asarray(pop.params.get("integrate_refractory", 0)) != 0):
            raise ExportError(f"population {pop.label!r}: integrate_refractory=1 has no NIR "
                              "counterpart", rule="integrate-refractory")
        if _update_neuron(name, node, pop, spec, opt, f):
            in_meta.append(repr(pop.label))
    if in_meta:
        from .nir import NIRExportWarning

        warnings.warn("NIR's neuron nodes have no field for a reset by subtraction or a "
                      "refractory period; they are written to the node metadata (\"reset\", "
                      "\"t_ref\"), which from_nir reads and other NIR consumers ignore, for "
                      f"populations {', '.join(in_meta)}", NIRExportWarning, stacklevel=4)
    by_path = {}
    for proj, (s, d, path, _) in zip(net.projections, src.paths):
        by_path.setdefault((s, d, path), []).append(proj)
    for (s, d, path), projs in by_path.items():
        _check_weights(s, d, path, projs, src, flat, nir)
    return graph


def _flat_nodes(graph, nir, prefix=""):
    out = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            out.update(_flat_nodes(node, nir, prefix + name + "."))
        else:
            out[prefix + name] = node
    return out


def _update_neuron(name, node, pop, spec, opt, f) -> None:
    cur = {k: np.asarray(pop.get(k), dtype=np.float64) for k in _MAPPED if k in pop.params}
    changed = [k for k, v in cur.items()
               if not np.allclose(v, spec.params[k], rtol=1e-9, atol=1e-12)]
    kind = type(node).__name__
    h, dt = opt["h"], opt["dt"]
    shape = spec.shape

    def put(field, value):
        if not hasattr(node, field):  # e.g. the readouts' stand-in tau_syn of LI and I
            return
        setattr(node, field, np.asarray(value, dtype=np.float64).reshape(shape)
                if np.ndim(getattr(node, field, None)) else float(np.ravel(value)[0]))

    def tau_back(tau_ms):
        # inverse of nir_nodes._decay: exact tau = tau' h / dt; Euler h / (1 - e^{-dt/tau'})
        if opt["scheme"] == "exact":
            return tau_ms * h / dt
        return h / -np.expm1(-dt / tau_ms)

    if "tau_m" in changed and kind in ("LIF", "LI"):
        put("tau", tau_back(cur["tau_m"]))
    if "tau_m" in changed and kind in ("CubaLIF", "CubaLI"):
        put("tau_mem", tau_back(cur["tau_m"]))
    if "tau_syn_E" in changed:
        put("tau_syn", tau_back(cur["tau_syn_E"]))
    if "v_rest" in changed and hasattr(node, "v_leak"):
        leak = np.broadcast_to(np.asarray(node.v_leak, np.float64).ravel(), cur["v_rest"].shape)
        put("v_leak", leak + (cur["v_rest"] - spec.params["v_rest"]))
    subtract = bool(np.any(np.asarray(pop.params.get("reset_subtract", 0)) != 0))
    if "v_thresh" in changed:
        dtype = np.float32 if pop.net.dtype == np.float32 else np.float64
        thr = np.nextafter(cur["v_thresh"].astype(dtype), dtype(-np.inf)).astype(np.float64)
        put("threshold" if kind == "Threshold" else "v_threshold", thr)
    if ("v_reset" in changed or "v_thresh" in changed) and hasattr(node, "v_reset") and \
            kind != "Threshold":
        vr = cur["v_reset"] - ((cur["v_thresh"] - _thr(node)) if subtract else 0.0)
        put("v_reset", vr)
    # what the graph says (metadata, else NIR's reset to a value and no refractory period)
    meta = dict(node.metadata or {})
    mode = "subtract" if subtract else "value"
    said = meta.get("reset", "value")
    said = said.decode() if isinstance(said, bytes) else str(said)
    if mode != ("value" if said == "zero" else said):
        meta["reset"] = mode
    refr = np.asarray(pop.get("tau_refrac")) if "tau_refrac" in pop.params else np.zeros(1)
    t_ref = float(np.max(refr))
    if not np.allclose(refr, t_ref):
        raise ExportError(f"population {pop.label!r}: refractory periods differ between neurons; "
                          "the node metadata holds one value", rule="nir-refractory")
    if not np.isclose(t_ref, float(np.asarray(meta.get("t_ref", 0.0))) / f, rtol=1e-9,
                      atol=1e-12):
        meta["t_ref"] = t_ref * f
    node.metadata = meta
    return subtract or t_ref > 0


def _thr(node):
    return np.ravel(np.asarray(getattr(node, "v_threshold", 0.0), dtype=np.float64))


def _path_matrix(src_name, path, src, flat, nir):
    shape = src.shapes[src_name]
    m = sp.identity(int(np.prod(shape)), format="csr")
    for name in path:
        if type(flat[name]).__name__ == "Delay":
            continue
        op, shape, _ = operator(flat[name], shape, name, nir)
        if op is not None:
            m = (op @ m).tocsr()
    return m


def _check_weights(s, d, path, projs, src, flat, nir) -> None:
    scale = src.specs[d].w_scale
    cur = None
    for p in projs:
        pre, post = p.connections()
        w = np.asarray(p.weight, dtype=np.float64)
        part = sp.csr_matrix((w / scale[post], (post, pre)),
                             shape=(p.post_population.size, p.pre.size))
        cur = part if cur is None else cur + part
    want = _path_matrix(s, path, src, flat, nir)
    tol = 1e-6 if projs[0].pre.net.dtype == np.float32 else 1e-12
    diff = abs(cur - want)
    if diff.nnz == 0 or diff.max() <= tol * max(abs(want).max(), 1e-30):
        return
    label = projs[0].label
    kinds = [type(flat[n]).__name__ for n in path]
    if kinds in (["Linear"], ["Affine"]):
        flat[path[0]].weight = cur.toarray().astype(np.asarray(flat[path[0]].weight).dtype)
        return
    if kinds in (["Conv1d"], ["Conv2d"]):
        node = flat[path[0]]
        kernel = _kernel_back(node, cur, src.shapes[s], path[0], nir)
        if kernel is not None:
            node.weight = kernel
            return
        raise ExportError(f"projection {label!r} came from {kinds[0]} {path[0]!r} and its weights "
                          "are no longer shared across positions; NIR's convolution holds one "
                          "kernel", rule="nir-shared-weights")
    raise ExportError(f"projection {label!r} came from the path {list(path)} ({', '.join(kinds)}) "
                      "and its weights changed; NIR can hold only the product of those nodes",
                      rule="nir-path-weights")


def _kernel_back(node, cur, in_shape, name, nir):
    """The kernel whose convolution gives ``cur``, or None if no kernel does."""
    w0 = np.asarray(node.weight, dtype=np.float64)
    flat = w0.ravel()
    kernel = np.zeros_like(flat)
    for k in range(flat.size):  # each kernel entry's synapses: the unit kernel's matrix
        unit = np.zeros_like(flat)
        unit[k] = 1.0
        node_k = copy.copy(node)
        node_k.weight = unit.reshape(w0.shape)
        m, _, _ = operator(node_k, in_shape, name, nir)
        m = m.tocoo()
        if m.nnz:
            vals = np.asarray(cur[m.row, m.col]).ravel()
            kernel[k] = vals[0]
    node_k = copy.copy(node)
    node_k.weight = kernel.reshape(w0.shape)
    m, _, _ = operator(node_k, in_shape, name, nir)
    if abs(m - cur).max() <= 1e-6 * max(abs(cur).max(), 1e-30):
        return kernel.reshape(w0.shape).astype(np.asarray(node.weight).dtype)
    return None
