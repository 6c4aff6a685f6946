"""Connectors beyond PyNN's own: sPyNNaker's KernelConnector.

Every PyNN connector (``pyNN.connectors``) works unchanged, through
:meth:`Projection._convergent_connect`. sPyNNaker's ``ConvolutionConnector``
(local-only convolution with weights of both signs in one projection) does not map
onto one spikesim projection and raises ``NotImplementedError``.
"""
from __future__ import annotations

import numpy as np
from pyNN import errors
from pyNN import connectors as pyNN_connectors
from pyNN.connectors import Connector
from pyNN.random import RandomDistribution


def _pair(name, value, default):
    if value is None:
        return default
    try:
        h, w = (int(v) for v in value)
    except (TypeError, ValueError):
        raise errors.InvalidParameterValueError(
            f"KernelConnector.{name} must be a (rows, columns) pair of integers, got {value!r}"
        ) from None
    return h, w


class KernelConnector(Connector):
    """sPyNNaker's KernelConnector: 2-D populations connected through a kernel.

    Pre- and postsynaptic neurons are laid out row by row on grids of ``shape_pre``
    and ``shape_post`` (rows, columns). Postsynaptic neuron ``(r, c)`` sits at
    ``post_start_coords_in_pre + (r, c) * post_sample_steps_in_pre`` in the common
    (presynaptic) coordinates; presynaptic neurons are sampled from
    ``pre_start_coords_in_post`` every ``pre_sample_steps_in_post``. The kernel
    (``shape_kernel``, centred on the postsynaptic position) gives which presynaptic
    neurons connect and, through ``weight_kernel`` / ``delay_kernel`` (arrays of the
    kernel's shape, scalars, or ``RandomDistribution``), their weights and delays;
    without a kernel the synapse type's weight/delay fill it. Same connections as
    sPyNNaker's ``KernelConnector``.
    """

    parameter_names = ("shape_pre", "shape_post", "shape_kernel")

    def __init__(self, shape_pre, shape_post, shape_kernel, weight_kernel=None,
                 delay_kernel=None, shape_common=None, pre_sample_steps_in_post=None,
                 pre_start_coords_in_post=None, post_sample_steps_in_pre=None,
                 post_start_coords_in_pre=None, safe=True, space=None, verbose=False,
                 callback=None):
        super().__init__(safe=safe, callback=callback)
        if space is not None:
            raise NotImplementedError("KernelConnector(space=...) is not available")
        self.shape_pre = _pair("shape_pre", shape_pre, None)
        self.shape_post = _pair("shape_post", shape_post, None)
        self.shape_kernel = _pair("shape_kernel", shape_kernel, None)
        self.shape_common = _pair("shape_common", shape_common, self.shape_pre)
        self.pre_step = _pair("pre_sample_steps_in_post", pre_sample_steps_in_post, (1, 1))
        self.pre_start = _pair("pre_start_coords_in_post", pre_start_coords_in_post, (0, 0))
        self.post_step = _pair("post_sample_steps_in_pre", post_sample_steps_in_pre, (1, 1))
        self.post_start = _pair("post_start_coords_in_pre", post_start_coords_in_pre, (0, 0))
        for name, v in (("pre_sample_steps_in_post", self.pre_step),
                        ("post_sample_steps_in_pre", self.post_step),
                        ("shape_kernel", self.shape_kernel)):
            if min(v) < 1:
                raise errors.InvalidParameterValueError(f"KernelConnector.{name} must be >= 1, got {v}")
        self.weight_kernel = self._kernel("weight_kernel", weight_kernel)
        self.delay_kernel = self._kernel("delay_kernel", delay_kernel)

    def _kernel(self, name, values):
        if values is None:
            return None
        kh, kw = self.shape_kernel
        if isinstance(values, RandomDistribution):
            return np.asarray(values.next(kh * kw), dtype=np.float64).reshape(kh, kw)
        a = np.asarray(values, dtype=np.float64)
        if a.ndim == 0:
            return np.full((kh, kw), float(a))
        if a.shape != (kh, kw):
            raise errors.InvalidParameterValueError(
                f"KernelConnector.{name} has shape {a.shape}, expected shape_kernel {(kh, kw)}")
        return a

    def connections(self):
        """``(pre, post, kernel row, kernel column)`` index arrays of every connection."""
        (kh, kw), (pre_h, pre_w), (_, post_w) = self.shape_kernel, self.shape_pre, self.shape_post
        n_post = self.shape_post[0] * self.shape_post[1]
        post = np.arange(n_post)
        pr, pc = np.divmod(post, post_w)
        cr = self.post_start[0] + pr * self.post_step[0]   # common coordinates
        cc = self.post_start[1] + pc * self.post_step[1]
        r = (cr - self.pre_start[0] - 1) // self.pre_step[0] + 1  # as presynaptic grid position
        c = (cc - self.pre_start[1] - 1) // self.pre_step[1] + 1
        kr, kc = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
        kr, kc = kr.ravel(), kc.ravel()
        pre_r = r[:, None] - (kh // 2) + kr[None, :]
        pre_c = c[:, None] - (kw // 2) + kc[None, :]
        ok = ((pre_r >= 0) & (pre_r < pre_h) & (pre_c >= 0) & (pre_c < pre_w)
              & ((pre_r - self.pre_start[0]) % self.pre_step[0] == 0)
              & ((pre_c - self.pre_start[1]) % self.pre_step[1] == 0))
        rows, cols = np.nonzero(ok)
        return (pre_r[rows, cols] * pre_w + pre_c[rows, cols], post[rows], kr[cols], kc[cols])

    def _fill(self, kernel, lazy, name):
        if kernel is not None:
            return kernel
        kh, kw = self.shape_kernel
        base = lazy.base_value
        if isinstance(base, RandomDistribution):
            return np.asarray(base.next(kh * kw), dtype=np.float64).reshape(kh, kw)
        if lazy.is_homogeneous:
            lazy.shape = (1,)
            return np.full((kh, kw), float(np.ravel(lazy.evaluate(simplify=True))[0]))
        raise NotImplementedError(f"KernelConnector: give {name}_kernel, or a scalar or a "
                                  f"RandomDistribution {name}")

    def connect(self, projection):
        n_pre = self.shape_pre[0] * self.shape_pre[1]
        n_post = self.shape_post[0] * self.shape_post[1]
        if projection.pre.size != n_pre or projection.post.size != n_post:
            raise errors.ConnectionError(
                f"KernelConnector: shape_pre {self.shape_pre} and shape_post {self.shape_post} "
                f"need {n_pre} and {n_post} neurons, the projection has {projection.pre.size} and "
                f"{projection.post.size}")
        params = projection.synapse_type.native_parameters
        weights = self._fill(self.weight_kernel, params["weight"], "weight")
        delays = self._fill(self.delay_kernel, params["delay"], "delay")
        pre, post, kr, kc = self.connections()
        w, d = weights[kr, kc], delays[kr, kc]
        other = {}
        for name, lazy in params.items():
            if name not in ("weight", "delay"):
                lazy.shape = (1,)
                other[name] = lazy.evaluate(simplify=True)
        if self.safe and hasattr(projection.synapse_type, "parameter_checks") and w.size:
            projection.synapse_type.parameter_checks["weight"](w, projection)
        order = np.argsort(post, kind="stable")
        pre, post, w, d = pre[order], post[order], w[order], d[order]
        bounds = np.flatnonzero(np.diff(post)) + 1
        for a, b in zip(np.r_[0, bounds], np.r_[bounds, post.size]):
            if b > a:
                projection._convergent_connect(pre[a:b], int(post[a]), weight=w[a:b],
                                               delay=d[a:b], **other)


class ConvolutionConnector(Connector):
    """sPyNNaker's ConvolutionConnector: not available in spikesim (raises)."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("ConvolutionConnector (sPyNNaker's local-only convolution, "
                                  "both weight signs in one projection) is not available in "
                                  "spikesim; use KernelConnector with one projection per sign")


class OneToOneConnector(pyNN_connectors.OneToOneConnector):
    __doc__ = pyNN_connectors.OneToOneConnector.__doc__ + """
    (spikesim: also works between populations of one neuron, where PyNN 0.13's
    generic code fails under NumPy 2.)
    """

    def connect(self, projection):
        if projection.pre.size != 1 or projection.post.size != 1:
            return super().connect(projection)
        params = self._parameters_from_synapse_type(projection)
        values = {}
        for name, lazy in params.items():
            lazy.shape = (1, 1)
            values[name] = np.asarray(lazy.evaluate(simplify=False)).reshape(-1)[:1]
        if self.safe and getattr(projection.synapse_type, "parameter_checks", None):
            projection.synapse_type.parameter_checks["weight"](values["weight"], projection)
        projection._convergent_connect(np.array([0]), 0, **values)


class _ExcludeOne:
    """PyNN 0.13's draw of ``n`` indices with replacement excluding the neuron's own index
    (``allow_self_connections=False``) fails with an IndexError once a redraw hits the
    excluded index again; this draws the same distribution directly: uniform over the
    ``size - 1`` other indices."""

    def _rng_uniform_int_exclude(self, n, size, exclude):
        res = np.asarray(self.rng.next(n, "uniform_int", {"low": 0, "high": size - 1},
                                       mask=None), dtype=np.int64)
        return res + (res >= exclude)


class FixedNumberPostConnector(_ExcludeOne, pyNN_connectors.FixedNumberPostConnector):
    __doc__ = pyNN_connectors.FixedNumberPostConnector.__doc__ + _ExcludeOne.__doc__


class FixedNumberPreConnector(_ExcludeOne, pyNN_connectors.FixedNumberPreConnector):
    __doc__ = pyNN_connectors.FixedNumberPreConnector.__doc__ + _ExcludeOne.__doc__


class SmallWorldConnector(pyNN_connectors.SmallWorldConnector):
    """Small-world connectivity as sPyNNaker builds it (PyNN declares the connector but
    does not implement it): every pair of neurons closer than ``degree`` in the
    projection's space connects (a neuron with itself too, at distance 0), then each
    connection is rewired with probability ``rewiring`` to a target drawn uniformly from
    the postsynaptic population (its source is kept, so every neuron keeps its out-degree).
    Draws come from the connector's ``rng``. ``n_connections`` and
    ``allow_self_connections=False`` (neither supported by sPyNNaker) raise
    ``NotImplementedError``.
    """

    def __init__(self, degree, rewiring, allow_self_connections=True, n_connections=None,
                 location_selector=None, rng=None, safe=True, callback=None, verbose=False):
        if n_connections is not None:
            raise NotImplementedError("SmallWorldConnector(n_connections=...) is not available "
                                      "(sPyNNaker does not support it either)")
        if allow_self_connections is not True:
            raise NotImplementedError("SmallWorldConnector(allow_self_connections=False) is not "
                                      "available (sPyNNaker does not support it either)")
        if not 0.0 <= float(rewiring) <= 1.0:
            raise errors.InvalidParameterValueError(
                f"SmallWorldConnector.rewiring must be a probability, got {rewiring!r}")
        super().__init__(degree, rewiring, allow_self_connections, n_connections,
                         location_selector, rng, safe, callback)
        self.degree = float(degree)

    def connect(self, projection):
        d = projection.space.distances(projection.pre.positions.T,
                                       projection.post.positions.T, expand=False)
        d = np.asarray(d).reshape(projection.pre.size, projection.post.size)
        pre, post = np.nonzero(d < self.degree)
        n = pre.size
        if n:
            rewire = np.asarray(self.rng.next(n, "uniform", {"low": 0.0, "high": 1.0},
                                              mask=None)) < self.rewiring
            k = int(rewire.sum())
            if k:
                post = post.copy()
                post[rewire] = np.asarray(self.rng.next(
                    k, "uniform_int", {"low": 0, "high": projection.post.size}, mask=None))
        params = self._parameters_from_synapse_type(projection)
        values = {}
        for name, lazy in params.items():
            lazy.shape = (projection.pre.size, projection.post.size)
            full = np.asarray(lazy.evaluate(simplify=False))
            values[name] = np.broadcast_to(full, lazy.shape)[pre, post] if full.ndim \
                else np.full(n, float(full))
        if self.safe and getattr(projection.synapse_type, "parameter_checks", None) and n:
            projection.synapse_type.parameter_checks["weight"](values["weight"], projection)
        order = np.argsort(post, kind="stable")
        pre, post = pre[order], post[order]
        values = {k: v[order] for k, v in values.items()}
        bounds = np.flatnonzero(np.diff(post)) + 1
        for a, b in zip(np.r_[0, bounds], np.r_[bounds, n]):
            if b > a:
                projection._convergent_connect(pre[a:b], int(post[a]),
                                               **{k: v[a:b] for k, v in values.items()})


class ArrayConnector(pyNN_connectors.ArrayConnector):
    __doc__ = pyNN_connectors.ArrayConnector.__doc__ + """
    (spikesim: any array of truth values is read as booleans, as sPyNNaker reads it;
    PyNN 0.13 would take an integer 0/1 array as indices.)
    """

    def __init__(self, array, location_selector=None, safe=True, callback=None):
        super().__init__(np.asarray(array) != 0, location_selector, safe, callback)


class OneToOneOffsetConnector(Connector):
    """sPyNNaker's ``OneToOneOffsetConnector(offset, wrap, n_neurons_per_group=None)``:
    presynaptic neuron ``i`` connects to postsynaptic neuron ``i + offset``, within groups
    of ``n_neurons_per_group`` consecutive neurons (default: one group of the whole
    population). A target outside its group wraps round within it with ``wrap=True`` and
    is left out otherwise. The populations must have the same size, a multiple of the
    group size (else ``NotImplementedError``, as sPyNNaker), and ``|offset|`` smaller than
    the group (else ``InvalidParameterValueError``, a ``ValueError``). Weights and delays
    come from the synapse type.
    """

    parameter_names = ("offset", "wrap", "n_neurons_per_group")

    def __init__(self, offset, wrap, n_neurons_per_group=None, safe=True, verbose=False,
                 callback=None):
        super().__init__(safe=safe, callback=callback)
        if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
            raise errors.InvalidParameterValueError(
                f"OneToOneOffsetConnector.offset must be an integer, got {offset!r}")
        if n_neurons_per_group is not None and (
                isinstance(n_neurons_per_group, bool)
                or not isinstance(n_neurons_per_group, (int, np.integer))
                or n_neurons_per_group < 1):
            raise errors.InvalidParameterValueError(
                "OneToOneOffsetConnector.n_neurons_per_group must be a positive integer, got "
                f"{n_neurons_per_group!r}")
        self.offset, self.wrap = int(offset), bool(wrap)
        self.n_neurons_per_group = n_neurons_per_group

    def pairs(self, n: int):
        """``(pre, post)`` index arrays for populations of ``n`` neurons."""
        g = n if self.n_neurons_per_group is None else int(self.n_neurons_per_group)
        if n % g:
            raise NotImplementedError(f"OneToOneOffsetConnector: {n} neurons are not a whole "
                                      f"number of groups of {g}")
        if abs(self.offset) >= g:
            raise errors.InvalidParameterValueError(
                f"OneToOneOffsetConnector: |offset| {abs(self.offset)} must be below the group "
                f"size {g}")
        pre = np.arange(n)
        base, r = np.divmod(pre, g)
        r = r + self.offset
        if self.wrap:
            return pre, base * g + np.mod(r, g)
        keep = (r >= 0) & (r < g)
        return pre[keep], (base * g + r)[keep]

    def connect(self, projection):
        if projection.pre.size != projection.post.size:
            raise NotImplementedError(
                f"OneToOneOffsetConnector needs populations of one size, got "
                f"{projection.pre.size} and {projection.post.size}")
        pre, post = self.pairs(projection.pre.size)
        params = self._parameters_from_synapse_type(projection)
        values = {}
        for name, lazy in params.items():
            lazy.shape = (projection.pre.size, projection.post.size)
            full = np.asarray(lazy.evaluate(simplify=False))
            values[name] = np.broadcast_to(full, lazy.shape)[pre, post] if full.ndim \
                else np.full(pre.size, float(full))
        if self.safe and getattr(projection.synapse_type, "parameter_checks", None) and pre.size:
            projection.synapse_type.parameter_checks["weight"](values["weight"], projection)
        for k in np.argsort(post, kind="stable"):
            projection._convergent_connect(pre[k:k + 1], int(post[k]),
                                           **{n: v[k:k + 1] for n, v in values.items()})
