"""NIR's weight and shape nodes as sparse connectivity (used by :mod:`.nir_graph`).

Every NIR node between two neuron populations is a linear map (plus a constant
bias) of the flattened, C-ordered activity of its input. This module turns
each one into a ``scipy.sparse`` matrix of shape ``(n_out, n_in)`` and its
output shape; :mod:`.nir_graph` multiplies the matrices along each path from
one population to the next, so a ``Conv2d -> SumPool2d`` chain becomes one
projection. Conventions (those of ``torch.nn``, which NIR's documentation
follows for these nodes; shapes exclude the batch dimension):

- ``Conv1d`` / ``Conv2d``: input ``(C_in, L)`` / ``(C_in, H, W)``, weight
  ``(C_out, C_in / groups, k)`` / ``(C_out, C_in / groups, kH, kW)``,

  .. math::

      y[c_o, i, j] = b[c_o] + \\sum_{c_i \\in g(c_o)} \\sum_{k_h, k_w}
      w[c_o, c_i - g_0, k_h, k_w] \\, x[c_i, s_h i - p_h + d_h k_h, s_w j - p_w + d_w k_w]

  where ``g(c_o)`` is the block of ``C_in / groups`` input channels of
  output channel ``c_o``'s group (``g_0`` its first channel), ``s`` the
  stride, ``p`` the zero padding, ``d`` the dilation; out-of-range inputs
  are zero. Output size ``floor((H + 2 p - d (k - 1) - 1) / s) + 1``.
  ``padding="valid"`` is 0; ``padding="same"`` (stride 1 only) pads
  ``d (k - 1)`` in total, ``floor`` of half before, the rest after.
- ``SumPool2d``: the sum over each ``kH x kW`` window (stride, zero
  padding), channel by channel: a grouped convolution with unit weights.
  ``AvgPool2d``: the same divided by ``kH kW`` (padding counts as zeros, as
  ``torch.nn.AvgPool2d``'s default ``count_include_pad=True``).
- ``Linear`` (``y = W x``), ``Affine`` (``y = W x + b``): 1-D input of
  ``W.shape[1]`` values. ``Scale``: ``y = s * x`` element-wise.
- ``Flatten``: the identity on the flattened vector; only the shape changes
  (``start_dim``/``end_dim`` count without the batch dimension).

A matrix stores one entry per synapse. Where the layout allows it,
:func:`shared_kernel` gives the path as a :class:`spikesim.Convolution`
instead, which stores the kernel once; either way the source graph is kept
on the network's :class:`~spikesim.export.nir_graph.NIRSource` (and saved
with it), so that :func:`~spikesim.export.to_nir` writes a convolution back
as a convolution.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..convolution import conv_synapses
from . import ExportError


def _pair(x, n: int, what: str, name: str) -> tuple:
    a = np.atleast_1d(np.asarray(x)).astype(np.int64).ravel()
    if a.size == 1:
        a = np.repeat(a, n)
    if a.size != n:
        raise ExportError(f"NIR node {name!r}: {what} has {a.size} values, expected {n}",
                          rule="nir-shape")
    return tuple(int(v) for v in a)


def conv_matrix(weight: np.ndarray, in_shape: tuple, stride, padding, dilation, groups: int,
                name: str) -> tuple[sp.csr_matrix, tuple]:
    """Sparse matrix of a 1-D or 2-D convolution (``torch.nn.Conv1d/2d`` semantics).

    Parameters
    ----------
    weight : ndarray
        ``(C_out, C_in / groups, k)`` or ``(C_out, C_in / groups, kH, kW)``.
    in_shape : tuple
        ``(C_in, L)`` or ``(C_in, H, W)``.
    stride, padding, dilation : int, tuple or str
        As ``torch.nn.Conv2d``; ``padding`` may be ``"same"`` or ``"valid"``.
    groups : int
        Channel groups.
    name : str
        NIR node name, for error messages.

    Returns
    -------
    (scipy.sparse.csr_matrix, tuple)
        Matrix ``(prod(out_shape), prod(in_shape))`` and ``out_shape``.
    """
    w = np.asarray(weight, dtype=np.float64)
    nd = w.ndim - 2
    if nd not in (1, 2) or len(in_shape) != nd + 1:
        raise ExportError(f"NIR convolution {name!r}: weight shape {w.shape} does not fit input "
                          f"shape {tuple(in_shape)}", rule="nir-shape")
    if nd == 1:  # a 1-D convolution is a 2-D one of height 1
        w = w[:, :, None, :]
        in_shape = (in_shape[0], 1, in_shape[1])
        stride, dilation = (1, _pair(stride, 1, "stride", name)[0]), \
            (1, _pair(dilation, 1, "dilation", name)[0])
        padding = padding if isinstance(padding, str) else (0, _pair(padding, 1, "padding",
                                                                      name)[0])
    c_out, c_in_g, kh, kw = w.shape
    c_in, h, wd = (int(v) for v in in_shape)
    groups = int(groups)
    if groups < 1 or c_in != c_in_g * groups or c_out % groups:
        raise ExportError(f"NIR convolution {name!r}: {c_in} input channels, weight "
                          f"{tuple(np.shape(weight))} and groups={groups} do not fit",
                          rule="nir-shape")
    stride = _pair(stride, 2, "stride", name)
    dilation = _pair(dilation, 2, "dilation", name)
    if isinstance(padding, (str, bytes)):
        padding = padding.decode() if isinstance(padding, bytes) else padding
        if padding == "valid":
            pads = ((0, 0), (0, 0))
        elif padding == "same":
            if stride != (1, 1):
                raise ExportError(f"NIR convolution {name!r}: padding='same' needs stride 1",
                                  rule="nir-shape")
            tot = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
            pads = tuple((t // 2, t - t // 2) for t in tot)
        else:
            raise ExportError(f"NIR convolution {name!r}: padding {padding!r} is not 'same', "
                              "'valid' or a number", rule="nir-shape")
    else:
        p = _pair(padding, 2, "padding", name)
        pads = ((p[0], p[0]), (p[1], p[1]))
    ho = (h + sum(pads[0]) - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + sum(pads[1]) - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    if ho < 1 or wo < 1 or min(stride) < 1 or min(dilation) < 1:
        raise ExportError(f"NIR convolution {name!r}: input {tuple(in_shape)} gives an empty "
                          "output", rule="nir-shape")
    pre, post, vals, _ = conv_synapses(w, (c_in, h, wd), (ho, wo), stride,
                                       (pads[0][0], pads[1][0]), dilation, groups, (h, wd))
    m = sp.csr_matrix((vals, (post, pre)), shape=(c_out * ho * wo, c_in * h * wd))
    out = (c_out, ho, wo) if nd == 2 else (c_out, wo)
    return m, out


def pool_matrix(kernel, stride, padding, in_shape: tuple, average: bool,
                name: str) -> tuple[sp.csr_matrix, tuple]:
    """Sparse matrix of ``SumPool2d`` (``average=False``) or ``AvgPool2d`` over ``(C, H, W)``.

    Parameters
    ----------
    kernel, stride, padding : int or pair
        Window size, step and zero padding (elements); ``stride`` None is the kernel size.
    in_shape : tuple
        ``(C, H, W)``.
    average : bool
        Divide each window's sum by ``kH kW`` (padding counted, as ``torch.nn.AvgPool2d``).
    name : str
        NIR node name, for error messages.

    Returns
    -------
    (scipy.sparse.csr_matrix, tuple)
        Matrix ``(prod(out_shape), C H W)`` and ``out_shape = (C, H_out, W_out)``.
    """
    if len(in_shape) != 3:
        raise ExportError(f"NIR pooling {name!r} needs a (C, H, W) input, got {tuple(in_shape)}",
                          rule="nir-shape")
    kh, kw = _pair(kernel, 2, "kernel_size", name)
    c = int(in_shape[0])
    w = np.full((c, 1, kh, kw), 1.0 / (kh * kw) if average else 1.0)
    stride = _pair(stride if stride is not None else (kh, kw), 2, "stride", name)
    return conv_matrix(w, in_shape, stride, _pair(padding, 2, "padding", name), 1, c, name)


def flatten_shape(in_shape: tuple, start_dim: int, end_dim: int, name: str) -> tuple:
    """Shape after ``Flatten(start_dim, end_dim)``.

    Parameters
    ----------
    in_shape : tuple
        Input shape without the batch dimension.
    start_dim, end_dim : int
        First and last dimension merged (negative counts from the end), without the batch.
    name : str
        NIR node name, for error messages.

    Returns
    -------
    tuple
        The output shape (a 1-D input passes unchanged).
    """
    n = len(in_shape)
    s = int(start_dim) + (n if int(start_dim) < 0 else 0)
    e = int(end_dim) + (n if int(end_dim) < 0 else 0)
    if not 0 <= s <= e < n:
        if n == 1:
            return tuple(in_shape)
        raise ExportError(f"NIR Flatten {name!r}: dims {start_dim}..{end_dim} do not fit input "
                          f"shape {tuple(in_shape)}", rule="nir-shape")
    return tuple(in_shape[:s]) + (int(np.prod(in_shape[s:e + 1])),) + tuple(in_shape[e + 1:])


def operator(node, in_shape: tuple, name: str, nir) -> tuple:
    """One NIR weight or shape node as a sparse linear map.

    Parameters
    ----------
    node : nir.NIRNode
        ``Linear``, ``Affine``, ``Scale``, ``Flatten``, ``Conv1d``, ``Conv2d``,
        ``SumPool2d`` or ``AvgPool2d``.
    in_shape : tuple
        Shape of the node's input (without the batch dimension).
    name : str
        NIR node name, for error messages.
    nir : module
        The ``nir`` package.

    Returns
    -------
    (scipy.sparse.csr_matrix or None, tuple, ndarray or None)
        The matrix ``(n_out, n_in)`` (None: the identity, ``Flatten``), the
        output shape, and the bias as a flat float64 vector of the output
        size (None when there is none or it is zero).

    Raises
    ------
    ExportError
        When the node does not fit ``in_shape`` (rule ``nir-shape``), or is
        not a weight or shape node (rule ``nir-node-type``).
    """
    n_in = int(np.prod(in_shape))
    kind = type(node)
    if kind in (nir.Linear, nir.Affine):
        w = np.asarray(node.weight, dtype=np.float64)
        if w.ndim != 2 or w.shape[1] != n_in:
            raise ExportError(f"NIR {kind.__name__} {name!r}: weight shape {w.shape} does not "
                              f"take its input of shape {tuple(in_shape)}", rule="nir-shape")
        b = None
        if kind is nir.Affine:
            b = np.broadcast_to(np.asarray(node.bias, np.float64).ravel(), (w.shape[0],)).copy()
        return sp.csr_matrix(w), (w.shape[0],), b
    if kind is nir.Scale:
        s = np.asarray(node.scale, dtype=np.float64)
        try:
            s = np.broadcast_to(s.reshape(s.shape) if s.size != n_in else s.ravel(),
                                (n_in,) if s.size in (1, n_in) else in_shape).ravel()
        except ValueError:
            raise ExportError(f"NIR Scale {name!r}: scale shape {s.shape} does not fit input "
                              f"shape {tuple(in_shape)}", rule="nir-shape") from None
        return sp.diags(s).tocsr(), tuple(in_shape), None
    if kind is nir.Flatten:
        return None, flatten_shape(in_shape, node.start_dim, node.end_dim, name), None
    if kind in (nir.Conv1d, nir.Conv2d):
        w = np.asarray(node.weight)
        declared = node.input_shape
        if declared is not None:
            spatial = tuple(int(v) for v in np.atleast_1d(declared))
            if tuple(in_shape[1:]) != spatial:
                raise ExportError(f"NIR {kind.__name__} {name!r} declares input size {spatial}; "
                                  f"its input has shape {tuple(in_shape)}", rule="nir-shape")
        m, out = conv_matrix(w, tuple(in_shape), node.stride, node.padding, node.dilation,
                             node.groups, name)
        bias = np.asarray(node.bias, dtype=np.float64).ravel() if node.bias is not None else None
        if bias is not None and bias.size not in (0, 1, w.shape[0]):
            raise ExportError(f"NIR {kind.__name__} {name!r}: {bias.size} biases for "
                              f"{w.shape[0]} output channels", rule="nir-shape")
        b = None
        if bias is not None and bias.size and np.any(bias != 0):
            b = np.repeat(np.broadcast_to(bias, (w.shape[0],)), int(np.prod(out[1:])))
        return m, out, b
    if kind in (nir.SumPool2d, nir.AvgPool2d):
        m, out = pool_matrix(node.kernel_size, node.stride, node.padding, tuple(in_shape),
                             kind is nir.AvgPool2d, name)
        return m, out, None
    raise ExportError(f"NIR node {name!r} is {kind.__name__}, not a weight or shape node",
                      rule="nir-node-type")


def shared_kernel(path: tuple, nodes: dict, in_shape: tuple, nir):
    """The path's map as one :class:`spikesim.Convolution`, when its layout allows it.

    That is a ``SumPool2d``/``AvgPool2d`` alone (a grouped convolution with
    unit weights), or a ``Conv1d``/``Conv2d`` with symmetric numeric padding (or
    ``"valid"``), optionally preceded by a ``SumPool2d``/``AvgPool2d`` whose
    window equals its stride and that has no padding, with ``Flatten`` nodes
    anywhere. The pooling is folded into the kernel: with pool size ``p`` and a
    convolution of stride ``s``, padding ``q``, dilation ``d`` and size ``k``,
    the composite is a convolution of stride ``s p``, padding ``q p``,
    dilation 1 and size ``p d (k - 1) + p``, whose entry ``p d k_h + a``
    (``a < p``) is ``w[k_h]`` (divided by ``p_h p_w`` for ``AvgPool2d``) and
    whose other entries are zero; the input rows and columns beyond the last
    whole window have no synapses (``input_crop``), as the pooling drops them.

    Returns
    -------
    spikesim.Convolution or None
        None when the path is anything else (it is then connected synapse by synapse).
    """
    kinds = [type(nodes[n]) for n in path if type(nodes[n]) is not nir.Flatten]
    names = [n for n in path if type(nodes[n]) is not nir.Flatten]
    if names and any(type(nodes[n]) is nir.Flatten for n in path[:path.index(names[-1])]):
        return None  # a Flatten before the convolution changes its input's layout
    try:
        return _shared_kernel(kinds, names, nodes, in_shape, nir)
    except ValueError:  # a layout Convolution does not take: the matrix path reports it
        return None


def _shared_kernel(kinds, names, nodes, in_shape, nir):
    from ..convolution import Convolution

    if kinds in ([nir.SumPool2d], [nir.AvgPool2d]) and len(in_shape) == 3:  # grouped, unit weights
        pool = nodes[names[0]]
        pk = _pair(pool.kernel_size, 2, "kernel_size", names[0])
        ps = _pair(pool.stride if pool.stride is not None else pk, 2, "stride", names[0])
        k = np.full((in_shape[0], 1) + pk, 1.0 / (pk[0] * pk[1]) if kinds[0] is nir.AvgPool2d
                    else 1.0)
        return Convolution(k, in_shape, ps, _pair(pool.padding, 2, "padding", names[0]), 1,
                           in_shape[0])
    if not names or kinds[-1] not in (nir.Conv1d, nir.Conv2d) or len(names) > 2:
        return None
    conv = nodes[names[-1]]
    pool = nodes[names[0]] if len(names) == 2 else None
    if pool is not None and (kinds[0] not in (nir.SumPool2d, nir.AvgPool2d)
                             or kinds[-1] is not nir.Conv2d):
        return None
    if isinstance(conv.padding, (str, bytes)):
        pad = conv.padding.decode() if isinstance(conv.padding, bytes) else conv.padding
        if pad != "valid":
            return None
        conv_pad = 0
    else:
        conv_pad = conv.padding
    nd = 2 if kinds[-1] is nir.Conv2d else 1
    w = np.asarray(conv.weight, dtype=np.float64)
    stride, pad, dil = (_pair(v, nd, what, names[-1]) for v, what in
                        ((conv.stride, "stride"), (conv_pad, "padding"), (conv.dilation, "dilation")))
    if pool is None:
        return Convolution(w, in_shape, stride, pad, dil, int(conv.groups))
    pk = _pair(pool.kernel_size, 2, "kernel_size", names[0])
    ps = _pair(pool.stride if pool.stride is not None else pk, 2, "stride", names[0])
    if pk != ps or any(_pair(pool.padding, 2, "padding", names[0])) or len(in_shape) != 3:
        return None
    if kinds[0] is nir.AvgPool2d:
        w = w * (1.0 / (pk[0] * pk[1]))
    c_out, c_in_g, kh, kw = w.shape
    big = np.zeros((c_out, c_in_g, pk[0] * dil[0] * (kh - 1) + pk[0],
                    pk[1] * dil[1] * (kw - 1) + pk[1]))
    for a in range(pk[0]):
        for b in range(pk[1]):
            big[:, :, a::pk[0] * dil[0], b::pk[1] * dil[1]] = w
    crop = (pk[0] * (in_shape[1] // pk[0]), pk[1] * (in_shape[2] // pk[1]))
    return Convolution(big, in_shape, (stride[0] * pk[0], stride[1] * pk[1]),
                       (pad[0] * pk[0], pad[1] * pk[1]), 1, int(conv.groups), input_crop=crop)
