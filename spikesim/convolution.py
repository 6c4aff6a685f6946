"""Convolutional projections: one kernel shared by every position, stored once.

``net.connect(pre, post, Convolution(kernel, input_shape, stride=..., padding=...))``
connects a population laid out as ``(C_in, H, W)`` (or ``(C_in, L)``) to one
laid out as the convolution's output ``(C_out, H_out, W_out)``, both flattened
in C order, with ``torch.nn.Conv2d``/``Conv1d`` semantics (stride, zero
padding, dilation, groups; see :mod:`spikesim.kernels.convolution` for the
equation). The projection stores only the kernel, ``C_out * C_in / groups *
kH * kW`` values, and one delay: no synapse is stored, a spike computes its
targets (sPyNNaker's ``ConvolutionConnector`` works the same way on the
board). Its synapses as CSR (``indptr``, ``post``, ``weight``) are computed on
first use, for exporters and inspection; the kernel never reads them. Every
synapse has a nonzero kernel entry: zero entries make no synapse.

Convolutional projections are static: STDP, synapse dynamics and rewiring are
refused, and so are population views (the layout is the whole population's).
"""
from __future__ import annotations

import numbers

import numpy as np

from . import _validate as V
from .connectors import Connector
from .kernels.convolution import GEOM, Conv
from .projection import Projection, _compress, check_weights, delays_to_steps


def _ints(value, n: int, name: str, lo: int) -> tuple:
    a = np.atleast_1d(np.asarray(value))
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and np.all(a == np.rint(a))):
        raise ValueError(f"Convolution: {name} must be whole numbers, got {value!r}")
    a = a.astype(np.int64).ravel()
    if a.size == 1:
        a = np.repeat(a, n)
    if a.size != n or (a < lo).any():
        raise ValueError(f"Convolution: {name} must be {n} whole number(s) >= {lo}, got {value!r}")
    return tuple(int(v) for v in a)


class Convolution(Connector):
    """A convolution from a ``(C_in, H, W)`` population to its ``(C_out, H_out, W_out)`` output.

    Parameters
    ----------
    kernel : array
        ``(C_out, C_in / groups, kH, kW)`` (2-D) or ``(C_out, C_in / groups, k)``
        (1-D), in the weight unit of the target (nA for current synapses, uS
        for conductances); signs as for :meth:`Network.connect` weights
        (excitatory >= 0, current inhibitory <= 0).
    input_shape : tuple of int
        ``(C_in, H, W)`` or ``(C_in, L)``; ``C_in * H * W`` must be the size of ``pre``.
    stride, padding, dilation : int or tuple of int
        As ``torch.nn.Conv2d`` (zero padding, in input positions).
    groups : int
        Channel groups; ``C_in`` and ``C_out`` must be multiples of it.
    input_crop : tuple of int, optional
        ``(H_eff, W_eff)``: input rows ``>= H_eff`` and columns ``>= W_eff``
        have no synapses (used when a sum pooling is folded into the kernel).

    Attributes
    ----------
    output_shape : tuple of int
        ``(C_out, H_out, W_out)`` (or ``(C_out, L_out)``), with ``H_out =
        floor((H + 2 p - d (kH - 1) - 1) / s) + 1``.
    """

    def __init__(self, kernel, input_shape, stride=1, padding=0, dilation=1, groups: int = 1,
                 input_crop=None) -> None:
        k = np.asarray(kernel, dtype=np.float64)
        if k.ndim not in (3, 4):
            raise ValueError(f"Convolution: kernel must have 3 (1-D) or 4 (2-D) dimensions, got "
                             f"shape {k.shape}")
        V.finite_array("kernel", k.ravel())
        self.ndim = k.ndim - 2
        shape = _ints(input_shape, self.ndim + 1, "input_shape", 1)
        self.groups = _ints(groups, 1, "groups", 1)[0]
        if shape[0] % self.groups or k.shape[0] % self.groups or \
                k.shape[1] * self.groups != shape[0]:
            raise ValueError(f"Convolution: kernel shape {k.shape} with groups={self.groups} does "
                             f"not fit {shape[0]} input channels (input_shape={shape})")
        self.input_shape = shape
        self.kernel = k
        self.stride = _ints(stride, self.ndim, "stride", 1)
        self.padding = _ints(padding, self.ndim, "padding", 0)
        self.dilation = _ints(dilation, self.ndim, "dilation", 1)
        spatial = shape[1:]
        self.input_crop = spatial if input_crop is None else _ints(input_crop, self.ndim,
                                                                   "input_crop", 0)
        out = []
        for n, kk, s, p, d in zip(spatial, k.shape[2:], self.stride, self.padding, self.dilation):
            size = (n + 2 * p - d * (kk - 1) - 1) // s + 1
            if size < 1:
                raise ValueError(f"Convolution: kernel {k.shape[2:]} (dilation {self.dilation}) "
                                 f"does not fit input {spatial} with padding {self.padding}")
            out.append(size)
        self.output_shape = (k.shape[0],) + tuple(out)

    def __repr__(self) -> str:
        return (f"Convolution(kernel {self.kernel.shape}, input {self.input_shape} -> "
                f"{self.output_shape}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, groups={self.groups})")

    def geometry(self, delay_steps: int) -> np.ndarray:
        """The kernel's ``geom`` row (:data:`spikesim.kernels.convolution.GEOM`)."""
        def one(t, fill=1):  # a 1-D convolution is a 2-D one of height 1
            return (fill,) + tuple(t) if self.ndim == 1 else tuple(t)

        c_in, (h, w) = self.input_shape[0], one(self.input_shape[1:])
        c_out, (h_out, w_out) = self.output_shape[0], one(self.output_shape[1:])
        kh, kw = one(self.kernel.shape[2:])
        (sh, sw), (ph, pw), (dh, dw) = one(self.stride), one(self.padding, 0), one(self.dilation)
        h_eff, w_eff = one(self.input_crop)
        g = dict(c_in=c_in, h=h, w=w, c_out=c_out, h_out=h_out, w_out=w_out, kh=kh, kw=kw,
                 sh=sh, sw=sw, ph=ph, pw=pw, dh=dh, dw=dw, groups=self.groups,
                 delay=delay_steps, h_eff=h_eff, w_eff=w_eff)
        return np.array([g[name] for name in GEOM], np.int64)

    def synapses(self, kernel_index: bool = False) -> tuple:
        """Every synapse ``(pre, post, weight)``, sorted by ``pre`` then ``post``.

        One synapse per nonzero kernel entry and output position it reaches.
        ``kernel_index=True`` adds a fourth array: each synapse's entry in the
        flattened kernel.
        """
        g = dict(zip(GEOM, self.geometry(1)))
        k = self.kernel.reshape(g["c_out"], g["c_in"] // g["groups"], g["kh"], g["kw"])
        pre, post, w, kk = conv_synapses(k, (g["c_in"], g["h"], g["w"]), (g["h_out"], g["w_out"]),
                                         (g["sh"], g["sw"]), (g["ph"], g["pw"]),
                                         (g["dh"], g["dw"]), g["groups"], (g["h_eff"], g["w_eff"]))
        order = np.lexsort((post, pre))
        out = pre[order], post[order], w[order]
        return out + (kk[order],) if kernel_index else out

    def build(self, ctx):  # pragma: no cover - Network.connect dispatches before build
        raise TypeError("Convolution is connected by Network.connect itself")


def conv_synapses(kernel: np.ndarray, in_shape: tuple, out_shape: tuple, stride: tuple,
                  pad: tuple, dilation: tuple, groups: int, crop: tuple) -> tuple:
    """Every synapse of a 2-D convolution (``torch.nn.Conv2d`` semantics), unsorted.

    Parameters
    ----------
    kernel : ndarray
        ``(C_out, C_in / groups, kH, kW)``.
    in_shape, out_shape : tuple of int
        ``(C_in, H, W)`` and ``(H_out, W_out)``.
    stride, pad, dilation : pairs of int
        ``pad`` is the zero padding before the first row and column.
    groups : int
    crop : pair of int
        Input rows ``>= crop[0]`` and columns ``>= crop[1]`` have no synapses.

    Returns
    -------
    (pre, post, weight, kernel_index)
        Flat C-order input and output indices, the weight and the flat kernel entry of
        every synapse; one per nonzero kernel entry and output position it reaches.
    """
    c_out, c_in_g, kh, kw = kernel.shape
    _, h, wd = in_shape
    ho, wo = out_shape
    co, ci, ky, kx, oy, ox = np.ix_(np.arange(c_out), np.arange(c_in_g), np.arange(kh),
                                    np.arange(kw), np.arange(ho), np.arange(wo))
    iy = oy * stride[0] - pad[0] + ky * dilation[0]
    ix = ox * stride[1] - pad[1] + kx * dilation[1]
    full = (c_out, c_in_g, kh, kw, ho, wo)
    vals = np.broadcast_to(kernel[:, :, :, :, None, None], full)
    ok = (iy >= 0) & (iy < crop[0]) & (ix >= 0) & (ix < crop[1]) & (vals != 0)
    cin = (co // (c_out // groups)) * c_in_g + ci
    pre = (np.broadcast_to(cin, full)[ok] * h + np.broadcast_to(iy, full)[ok]) * wd + \
        np.broadcast_to(ix, full)[ok]
    post = np.broadcast_to((co * ho + oy) * wo + ox, full)[ok]
    kk = np.broadcast_to(((co * c_in_g + ci) * kh + ky) * kw + kx, full)[ok]
    return pre.astype(np.int64), post.astype(np.int64), vals[ok], kk.astype(np.int64)


def connect_convolution(net, pre, post, conv: Convolution, weight, delay, receptor_type: str,
                        label, synapse) -> Projection:
    """:meth:`Network.connect` with a :class:`Convolution` (checks, then the projection)."""
    from .connecting import check_receptor
    from .population import PopulationView

    for name, p in (("pre", pre), ("post", post)):
        if isinstance(p, PopulationView):
            raise ValueError(f"Convolution: {name} must be a whole Population (its neurons are "
                             f"the layer in C order), got the view {p!r}")
    if synapse is not None:
        raise ValueError(f"Convolution: a convolutional projection is static; synapse={synapse!r} "
                         "is refused (connect the expanded synapses, conv.synapses(), with "
                         "FromList to make them plastic)")
    if not (isinstance(weight, numbers.Real) and weight == 0.0):
        raise ValueError(f"Convolution: the kernel holds the weights; leave weight at its "
                         f"default, got weight={weight!r}")
    if delay is not None and not (isinstance(delay, numbers.Real) and np.isfinite(delay)):
        raise ValueError(f"Convolution: delay must be one number of ms (a convolution has one "
                         f"delay), got delay={delay!r}")
    if post.celltype.kind == 0:
        raise ValueError(f"post ({post.label!r}) is a spike source and cannot receive synapses")
    n_in, n_out = int(np.prod(conv.input_shape)), int(np.prod(conv.output_shape))
    if pre.size != n_in:
        raise ValueError(f"Convolution: pre {pre.label!r} has {pre.size} neurons, input_shape "
                         f"{conv.input_shape} has {n_in}")
    if post.size != n_out:
        raise ValueError(f"Convolution: post {post.label!r} has {post.size} neurons, the output "
                         f"shape {conv.output_shape} has {n_out}")
    check_receptor(receptor_type, post)
    check_weights(conv.kernel, receptor_type, post.celltype)
    V.fits_dtype("kernel", conv.kernel.ravel(), net.dtype)
    d = delays_to_steps(np.array([net.dt if delay is None else float(delay)]), net.dt)
    label = label or f"{pre.label}->{post.label}"
    proj = Projection(len(net.projections), pre, post, receptor_type, None, None,
                      np.zeros(1), d, label)
    proj._conv = conv
    proj._csr = [None, None, None]  # computed on first use (Projection._csr_part)
    proj._kernel = conv.kernel.astype(net.dtype).ravel()
    net.projections.append(proj)
    net._runtime.invalidate()
    return proj


def set_weights(proj: Projection, new: np.ndarray) -> None:
    """Give a convolutional projection new per-synapse weights (checked by the caller).

    When every kernel entry's synapses get one nonzero value, the kernel is
    replaced and the projection stays a convolution; otherwise it becomes an
    ordinary projection that stores its synapses.
    """
    conv = proj._conv
    pre, post, _, kk = conv.synapses(kernel_index=True)
    kernel = np.zeros(conv.kernel.size)
    kernel[kk] = new
    if np.all(new != 0) and np.array_equal(kernel[kk], new):
        conv = Convolution(kernel.reshape(conv.kernel.shape), conv.input_shape, conv.stride,
                           conv.padding, conv.dilation, conv.groups, conv.input_crop)
        proj._conv, proj._kernel = conv, kernel.astype(proj._kernel.dtype)
        proj._csr = [None, None, None]
        return
    indptr, targets = proj.indptr, proj.post
    proj._conv = proj._kernel = None
    proj._csr = [indptr, targets, _compress(new.astype(proj.pre.net.dtype))]


class KernelRows:
    """What the runtime packs for a convolutional projection: no rows, its delay.

    Every other attribute is the projection's (``pre``, ``index``, ...).
    """

    def __init__(self, proj: Projection, dtype) -> None:
        self._proj = proj
        self.indptr = np.zeros(proj.pre.size + 1, np.int64)
        self.post = np.zeros(0, np.int32)
        self._weight = np.zeros(1, dtype)
        self._delay = proj._delay

    def __getattr__(self, name):
        return getattr(self._proj, name)


def kernel_conv(projs, bounds, dtype) -> Conv | None:
    """The :class:`~spikesim.kernels.convolution.Conv` of the network's projections, or None."""
    convs = [j for j in projs if j._conv is not None]
    if not convs:
        return None
    idx = np.full(len(projs), -1, np.int64)
    for c, j in enumerate(convs):
        idx[j.index] = c
    geom = np.stack([j._conv.geometry(int(j._delay[0])) for j in convs])
    w_off = np.zeros(len(convs) + 1, np.int64)
    np.cumsum([j._kernel.shape[0] for j in convs], out=w_off[1:])
    weight = np.concatenate([j._kernel for j in convs]).astype(dtype)
    return Conv(idx, geom, w_off, weight, np.asarray(bounds, np.int64))
