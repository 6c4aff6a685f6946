"""Projections: the synapses from one population to another, stored as CSR.

Storage per static synapse: target index int32 (4 bytes), weight float32 or
float64 (4 or 8 bytes), delay in steps uint16 (2 bytes) -- 10 bytes in the
default float32 mode -- plus one int64 row pointer per source neuron. A
weight or delay that is the same for every synapse of a projection is stored
once (4 bytes per synapse in total when both are uniform). A convolution
(:class:`spikesim.Convolution`) stores only its kernel and delay; its CSR is
computed on first use (exporters, ``get_weights``) and never read by the kernel.
"""
from __future__ import annotations

import numpy as np

from . import _validate as V
from .random import RandomDistribution

RECEPTORS = ("excitatory", "inhibitory")
MAX_DELAY_STEPS = np.iinfo(np.uint16).max


class Projection:
    """Synapses from ``pre`` to ``post`` onto one receptor type.

    Create with :meth:`Network.connect`. Weights are in nA (current-based
    targets; inhibitory weights are negative, as in PyNN) or uS
    (conductance-based targets; always >= 0). Delays are whole steps.

    Attributes
    ----------
    indptr : int64 array (n_pre + 1)
    post : int32 array (n_synapses), target index within ``post``
    weight : float array (n_synapses), read-only view
    delay : uint16 array (n_synapses), in steps of ``dt``, read-only view

    A static projection that the runtime delivers at arrival time lends its synapses to the
    kernel's blocks (``spikesim.arrival_runtime.lenders``) and reads them back, in their
    order, on first use.
    """

    def __init__(self, index: int, pre, post, receptor_type: str, indptr, targets, weight, delay,
                 label: str) -> None:
        self.index = index
        self.pre = pre
        self.post_population = post
        self.receptor_type = receptor_type
        self._conv = None        # a spikesim.convolution.Convolution, or None (CSR)
        self._kernel = None      # its kernel, flat, in the network's dtype
        self._csr = [indptr, targets, _compress(weight)]  # a convolution's: computed on first use
        self._restore = None     # set while the kernel's blocks alone hold the synapses
        self._delay = _compress(delay)
        self.label = label
        self.synapse = None     # an STDP synapse type, or None (static)
        self._pstate = None     # plasticity state (spikesim.plastic_runtime.projection_state)
        self._astro_link = None  # NALSM astrocyte group scaling the depression/potentiation
        self._astro_sides = 0    # what it scales: 1 depression, 2 potentiation, 3 both
        self._syn_astro = None   # astrocyte (within that group) of each synapse, -1: none
        self._masks = [None, None]  # per-synapse factors (float64) on potentiation / depression
        self._dstate = None      # synapse dynamic: spikesim.synapses.dynamic_state, or None

    def _csr_part(i: int):
        def get(self):
            if i and self._restore is not None:  # delivered at arrival: read the blocks
                self._read_back()
            if self._csr[i] is None:  # a convolution's synapses, for exporters and inspection
                pre, post, w = self._conv.synapses()
                indptr = np.zeros(self.pre.size + 1, np.int64)
                np.cumsum(np.bincount(pre, minlength=self.pre.size), out=indptr[1:])
                self._csr = [indptr, post.astype(np.int32), w.astype(self._kernel.dtype)]
            return self._csr[i]

        def put(self, value):
            if i and self._restore is not None:
                self._read_back()
            self._csr[i] = value
        return property(get, put)

    indptr = _csr_part(0)
    post = _csr_part(1)
    _weight = _csr_part(2)
    del _csr_part

    @property
    def _delay(self) -> np.ndarray:
        if self._restore is not None:
            self._read_back()
        return self._delay_a

    @_delay.setter
    def _delay(self, value) -> None:
        if self._restore is not None:
            self._read_back()
        self._delay_a = value

    def _release(self, restore, keep_weight: bool) -> None:
        """Drop the targets, the delays and (unless ``keep_weight``) the weights, which the
        kernel's blocks of delivery at arrival hold (spikesim.arrival_runtime.build);
        ``restore(self)`` gives them back as ``(post, weight, delay)`` when next read."""
        self._restore = restore
        self._csr[1] = None
        if not keep_weight:
            self._csr[2] = None
        self._delay_a = None

    def _read_back(self) -> None:
        post, weight, delay = self._restore(self)  # the indptr is kept
        self._restore = None
        self._csr[1] = post
        if self._csr[2] is None:
            self._csr[2] = weight
        self._delay_a = delay

    @property
    def convolution(self):
        """The :class:`spikesim.Convolution` this projection was made with, or None."""
        return self._conv

    @property
    def dynamics(self):
        """The projection's synapse dynamic (e.g. :class:`spikesim.TsodyksMarkram`), or None."""
        return None if self._dstate is None else self._dstate["dynamics"]

    def get_dynamics(self, name: str) -> np.ndarray:
        """Per-synapse values (storage order) of a parameter or state variable of the dynamic.

        e.g. ``proj.get_dynamics("U")`` or ``proj.get_dynamics("x")`` (float64 copies).
        """
        if self._dstate is None:
            raise ValueError(f"projection {self.label!r} has no synapse dynamic")
        mod = self._dstate["dynamics"].module
        if name in mod.PARAMS:
            return self._dstate["P"][mod.PARAMS.index(name)].copy()
        if name in mod.STATE:
            return self._dstate["S"][mod.STATE.index(name)].copy()
        raise ValueError(f"{type(self._dstate['dynamics']).__name__} has no parameter or state "
                         f"{name!r}; valid: {list(mod.PARAMS) + list(mod.STATE)}")

    def set_dynamics(self, name: str, values) -> None:
        """Set a parameter of the synapse dynamic: a scalar or one value per synapse (storage order).

        Validated as at creation; state variables are not changed (they keep evolving from
        their current values).
        """
        if self._dstate is None:
            raise ValueError(f"projection {self.label!r} has no synapse dynamic")
        dyn = self._dstate["dynamics"]
        if name not in dyn.module.PARAMS:
            raise ValueError(f"{type(dyn).__name__} has no parameter {name!r}; valid: "
                             f"{list(dyn.module.PARAMS)}")
        a = np.asarray(values, np.float64)
        if a.ndim > 1 or (a.ndim == 1 and a.shape[0] != self.n_synapses):
            raise ValueError(f"{type(dyn).__name__}.{name} needs a scalar or {self.n_synapses} "
                             f"values, got shape {a.shape}")
        self._dstate["P"][dyn.module.PARAMS.index(name)] = dyn._check(name, a)

    @property
    def plastic(self) -> bool:
        return self.synapse is not None

    @property
    def weight(self) -> np.ndarray:
        return _expand(self._weight, self.n_synapses)

    @property
    def delay(self) -> np.ndarray:
        return _expand(self._delay, self.n_synapses)

    @property
    def n_synapses(self) -> int:
        if self._restore is not None:
            return int(self._csr[0][-1])
        return int(self.post.shape[0])

    def __len__(self) -> int:
        return self.n_synapses

    def __repr__(self) -> str:
        return (f"Projection({self.pre.label!r} -> {self.post_population.label!r}, "
                f"{self.receptor_type}, {self.n_synapses} synapses)")

    @property
    def nbytes(self) -> int:
        """Bytes of connectivity storage (indptr, targets, weights, delays)."""
        if self._conv is not None:  # the kernel and the delay: no synapse is stored
            return int(self._kernel.nbytes + self._delay.nbytes)
        if self._restore is not None:  # in the blocks of delivery at arrival (not counted)
            return int(sum(a.nbytes for a in self._csr if a is not None))
        return int(self.indptr.nbytes + self.post.nbytes + self._weight.nbytes + self._delay.nbytes)

    def connections(self) -> tuple[np.ndarray, np.ndarray]:
        """``(pre, post)`` local indices of every synapse, in storage order."""
        pre = np.repeat(np.arange(self.indptr.shape[0] - 1), np.diff(self.indptr))
        return pre, self.post.astype(np.int64)

    def get_weights(self, format: str = "list"):
        """Weights as ``(pre, post, weight)`` rows (``"list"``) or a dense (n_pre, n_post) array.

        In the dense form, absent connections are NaN (as PyNN's ``get``);
        multiple synapses between one pair are summed.
        """
        pre, post = self.connections()
        w = self.weight.astype(np.float64)
        if format == "list":
            return np.column_stack([pre, post, w])
        if format == "array":
            out = np.full((self.pre.size, self.post_population.size), np.nan)
            out[pre, post] = 0.0
            np.add.at(out, (pre, post), w)
            return out
        raise ValueError(f"get_weights format must be 'list' or 'array', got {format!r}")

    def set_weights(self, weights) -> None:
        """Set weights from a scalar, a per-synapse array (storage order), a dense
        ``(n_pre, n_post)`` matrix, or ``(pre, post, weight)`` rows (one per existing synapse).

        Values are checked like :meth:`Network.connect` weights (finite, PyNN signs) and,
        on a plastic projection, against the rule's ``[w_min, w_max]``. Nothing is changed
        when a value is refused.
        """
        n = self.n_synapses
        a = np.asarray(weights, dtype=np.float64) if not isinstance(weights, (str, bytes)) else None
        if a is None or a.dtype == object:
            raise TypeError(f"weights must be numbers, got {weights!r}")
        pre, post = self.connections()
        if a.ndim == 0:
            new = np.full(n, float(a))
        elif a.ndim == 1:
            if a.shape[0] != n:
                raise ValueError(f"weights has length {a.shape[0]}, expected one per synapse ({n})")
            new = a.copy()
        elif a.ndim == 2 and a.shape == (self.pre.size, self.post_population.size):
            new = a[pre, post]
        elif a.ndim == 2 and a.shape[1] == 3:
            new = self.weight.astype(np.float64).copy()
            key = pre * self.post_population.size + post
            order = np.argsort(key, kind="stable")
            ip, jp = a[:, 0], a[:, 1]
            if not (np.all(ip == np.rint(ip)) and np.all(jp == np.rint(jp))):
                raise ValueError("weights rows must be (pre, post, weight) with integer indices")
            want = ip.astype(np.int64) * self.post_population.size + jp.astype(np.int64)
            pos = np.searchsorted(key[order], want)
            found = (pos < n) & (key[order][np.minimum(pos, n - 1)] == want) if n else \
                np.zeros(want.shape, bool)
            if not found.all():
                k = int(np.flatnonzero(~found)[0])
                raise ValueError(f"weights row {k} names ({int(ip[k])}, {int(jp[k])}), which is "
                                 "not a connection of this projection")
            new[order[pos]] = a[:, 2]
        else:
            raise ValueError(f"weights must be a scalar, ({n},), "
                             f"({self.pre.size}, {self.post_population.size}) or (k, 3); "
                             f"got shape {a.shape}")
        V.finite_array("weights", new)
        net = self.pre.net
        V.fits_dtype("weights", new, net.dtype)
        check_weights(new, self.receptor_type, self.post_population.celltype)
        if self._conv is not None:  # a new kernel, or stored synapses if it is none
            from .convolution import set_weights
            set_weights(self, new)
            net._runtime.invalidate()
        elif self.plastic:
            check_bounds(new, self.synapse)
            self._weight[:] = new  # in place: the kernel holds a view
            if "wrun" in self._pstate:  # dendritic delay: the running weights too
                self._pstate["wrun"][:] = new
        else:
            self._weight = _compress(new.astype(net.dtype))
            net._runtime.invalidate()

    def modulate(self, potentiation=None, depression=None,
                 potentiation_decay: float | None = None, depression_decay: float | None = None,
                 potentiation_mask=None, depression_mask=None) -> None:
        """Scale this plastic projection's learning rates from now on.

        The potentiation of synapse ``k`` is multiplied by ``potentiation *
        potentiation_mask[k]``, its depression by ``depression * depression_mask[k]``
        (times its astrocyte's ``A`` when an astrocyte group drives that side).
        Arguments left at ``None`` keep their current value.

        Parameters
        ----------
        potentiation, depression : float or astrocyte group, optional
            Scalar factors on the potentiation / depression amplitudes (>= 0; 1 at start).
            Either may instead be an NALSM astrocyte group (``net.add_astrocytes(...,
            NALSMAstrocyte(...))``): each synapse's change on that side is then also
            scaled by its astrocyte's activity ``A`` after the previous step (``A`` may
            be negative: the change then reverses; synapses onto neurons no astrocyte
            listens to are not scaled). A projection links to one group, for one side
            or both; the scalar factor set before or after still multiplies.
        potentiation_decay, depression_decay : float, optional
            Factor per ms in (0, 1] by which the scalar factor is multiplied while the
            network runs (NALSM's 0.99 per ms); applied every step as ``f ** dt``.
        potentiation_mask, depression_mask : array, optional
            Per-synapse factors (>= 0, dimensionless): one per synapse in storage order
            (:meth:`connections`), or a dense ``(n_pre, n_post)`` matrix, or a scalar
            for every synapse. A mask of ones removes the mask. Masks cost 8 bytes per
            synapse of every plastic projection while any is set.
        """
        if not self.plastic:
            raise ValueError(f"projection {self.label!r} is static; only plastic projections "
                             "(connect(..., synapse=STDP(...))) can be modulated")
        dt = self.pre.net.dt
        vals = {}
        groups = {}
        for k, name, f in ((0, "potentiation", potentiation), (1, "depression", depression)):
            if f is None:
                continue
            if hasattr(f, "_assign_synapses"):
                if f.net is not self.pre.net:
                    raise ValueError(f"{name} astrocyte group belongs to a different Network")
                groups[k] = f
            else:
                vals[k] = V.non_negative_scalar(name, f)
        linked = set(groups.values()) | ({self._astro_link} if self._astro_link is not None
                                          else set())
        if groups and len(linked) > 1:
            raise ValueError(f"projection {self.label!r} can be linked to one astrocyte group "
                             f"only, got {sorted(str(g.label) for g in linked)}")
        for k, name, f in ((2, "potentiation_decay", potentiation_decay),
                           (3, "depression_decay", depression_decay)):
            if f is not None:
                f = V.positive_scalar(name, f)
                if f > 1.0:
                    raise ValueError(f"{name} must be in (0, 1], got {f!r}")
                vals[k] = f ** dt
        masks = {}
        for k, name, m in ((0, "potentiation_mask", potentiation_mask),
                           (1, "depression_mask", depression_mask)):
            if m is not None:
                masks[k] = self._mask_values(name, m)
        if groups:
            group = next(iter(groups.values()))
            if self._astro_link is None:
                self._syn_astro = group._assign_synapses(self)
                self._astro_link = group
            for k in groups:
                self._astro_sides |= 2 if k == 0 else 1
            self.pre.net._runtime.invalidate()
        for k, v in vals.items():
            self._pstate["mod"][k] = v
        if masks:
            for k, m in masks.items():
                self._masks[k] = m
            self.pre.net._runtime.invalidate()

    def _mask_values(self, name: str, value) -> np.ndarray | None:
        """Per-synapse mask (float64, >= 0), or None for a mask of ones."""
        if isinstance(value, RandomDistribution):
            raise TypeError(f"{name} must be numbers (an array or a scalar), got {value!r}")
        shape = (self.pre.size, self.post_population.size)
        a = resolve_values(name, value, self.n_synapses, None, pairs=self.connections, shape=shape)
        if (a < 0).any():
            raise ValueError(f"{name} must be >= 0, got {float(a[a < 0][0])!r}")
        if (a == 1.0).all():
            return None
        return np.array(np.broadcast_to(a, (self.n_synapses,)), np.float64)

    def get_delays(self) -> np.ndarray:
        """Delays in ms, in storage order."""
        return self.delay.astype(np.float64) * self.pre.net.dt


def _compress(a: np.ndarray) -> np.ndarray:
    """Length-1 array if every entry is equal, else ``a`` itself."""
    if a.shape[0] > 1 and (a == a[0]).all():
        return a[:1].copy()
    return a


def _expand(a: np.ndarray, n: int) -> np.ndarray:
    if a.shape[0] == n:
        out = a.view()
    else:
        out = np.broadcast_to(a[:1] if a.shape[0] else a, (n,))
    out.flags.writeable = False
    return out


def resolve_values(name: str, value, n: int, rng, pairs=None, shape=None) -> np.ndarray:
    """Per-synapse values from a scalar, distribution, 1-D array or dense 2-D matrix.

    A scalar comes back as a length-1 array (stored once for the whole projection).
    ``pairs()`` returns the ``(pre, post)`` index arrays that pick matrix entries.
    """
    if isinstance(value, RandomDistribution):
        return value.draw(rng, n)
    if np.ndim(value) < 2:
        a = V.finite_array(name, value, None)
    else:
        try:
            a = np.asarray(value, np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be numbers, got {value!r}") from exc
    if a.ndim == 0:
        return np.array([float(a)])
    if a.ndim == 1:
        if a.shape[0] != n:
            raise ValueError(f"{name} has length {a.shape[0]}, expected one value per synapse ({n})")
        return a
    if a.ndim == 2:
        if a.shape != shape:
            raise ValueError(f"{name} matrix has shape {a.shape}, expected (n_pre, n_post) = {shape}")
        vals = a[pairs()]
        V.finite_array(name, vals)
        return vals
    raise ValueError(f"{name} must be a scalar, a distribution, or an array of ndim <= 2")


def check_weights(w: np.ndarray, receptor: str, post_celltype) -> None:
    """PyNN sign conventions: conductances >= 0; current inhibitory <= 0, excitatory >= 0."""
    if w.size == 0:
        return
    cond = getattr(post_celltype, "conductance_based", False)
    if not cond and getattr(getattr(post_celltype, "model", None), "SIGNED_WEIGHTS", False):
        return  # current receptors without a sign (NEST's multisynapse models)
    if cond or not receptor.startswith("inhibitory"):
        bad = w < 0
        rule = ">= 0 (uS)" if cond else f">= 0 for {receptor} synapses"
    else:
        bad = w > 0
        rule = "<= 0 for inhibitory current synapses (PyNN convention)"
    if bad.any():
        raise ValueError(f"weight must be {rule}, got {w[bad][0]!r} for receptor_type={receptor!r}")


def check_bounds(w: np.ndarray, synapse) -> None:
    """Plastic weights must start inside the rule's ``[w_min, w_max]`` (for ``-w`` when the
    rule's ``sign`` is -1)."""
    lo, hi = synapse.weight.w_min, synapse.weight.w_max
    w = w * synapse.sign
    bad = (w < lo) | (w > hi)
    if bad.any():
        what = "weight" if synapse.sign == 1 else "weight magnitude (-weight, STDP sign=-1)"
        raise ValueError(f"{what} {float(w[bad][0])!r} is outside the STDP bounds "
                         f"[w_min, w_max] = [{lo!r}, {hi!r}]")


def check_one_step(d_steps: np.ndarray, synapse, label: str | None = None) -> None:
    """``STDP(same_step_pairs=False)`` times pairs by emission steps, which the kernel does
    for a delay of exactly one step only."""
    d = np.asarray(d_steps)
    if not synapse.same_step_pairs and d.size and (d != 1).any():
        where = "" if label is None else f"projection {label!r}: "
        raise ValueError(f"{where}STDP(same_step_pairs=False) needs a delay of one time step on "
                         f"every synapse, got {int(d[d != 1].flat[0])} steps")


def delays_to_steps(d_ms: np.ndarray, dt: float) -> np.ndarray:
    """Delays in ms -> uint16 steps, rounded to the nearest step; 1 <= steps <= 65535."""
    steps = np.rint(d_ms / dt)
    lo, hi = steps.min(initial=1), steps.max(initial=1)
    if lo < 1:
        bad = d_ms[steps < 1][0]
        raise ValueError(f"delay must be at least one step (dt={dt} ms), got {bad!r} ms")
    if hi > MAX_DELAY_STEPS:
        bad = d_ms[steps > MAX_DELAY_STEPS][0]
        raise ValueError(f"delay must be at most {MAX_DELAY_STEPS} steps "
                         f"({MAX_DELAY_STEPS * dt:g} ms at dt={dt}), got {bad!r} ms")
    return steps.astype(np.uint16)
