"""Li-Rinzel astrocytes (NEST ``astrocyte_lr_1994``) and tripartite synapses.

An astrocyte group runs on its own coarse clock between kernel windows (see
:meth:`spikesim.runtime.Runtime._tick_groups`): spikes of the presynaptic
neurons raise the astrocytes' IP3, the calcium dynamics are integrated with
RK4 (:mod:`spikesim.kernels.lirinzel`), and each astrocyte sends a slow
inward current (SIC) to its postsynaptic neurons.
"""
from __future__ import annotations

import json
import math
import numbers

import numpy as np

from . import _validate as V
from .kernels import lirinzel as K
from .population import Population, PopulationView

DEFAULTS = dict(Ca_tot=2.0, IP3_0=0.16, Kd_IP3_1=0.13, Kd_IP3_2=0.9434, Kd_act=0.08234,
                Kd_inh=1.049, Km_SERCA=0.1, SIC_scale=1.0, SIC_th=0.19669, delta_IP3=0.0002,
                k_IP3R=0.0002, rate_IP3R=0.006, rate_L=0.00011, rate_SERCA=0.0009,
                ratio_ER_cyt=0.185, tau_IP3=7142.0)
# NEST's own checks: these must be > 0, the others >= 0
POSITIVE = ("Ca_tot", "Kd_IP3_1", "Kd_IP3_2", "Kd_act", "Km_SERCA", "SIC_scale", "ratio_ER_cyt",
            "tau_IP3")
RECORDABLES = ("IP3", "Ca_astro", "h_IP3R", "SIC")
POOL_TYPES = ("random", "block")
MAX_SUBSTEP = 1.0  # ms: longest RK4 substep inside one astrocyte tick
DEFAULT_ASTRO_DT = 1.0  # ms
PA_TO_NA = 1e-3


class LiRinzel:
    """Astrocyte with Li-Rinzel calcium dynamics, as NEST's ``astrocyte_lr_1994`` (NEST 3.10).

    Equations (Li & Rinzel 1994; De Young & Keizer 1992; input and output
    after Nadkarni & Jung 2003), see :mod:`spikesim.kernels.lirinzel`:

    .. math::

        \\frac{d[IP_3]}{dt} = \\frac{[IP_3]_0 - [IP_3]}{\\tau_{IP3}} + \\Delta_{IP3} J_{syn}(t),
        \\qquad \\frac{d[Ca]}{dt} = J_{channel} - J_{pump} + J_{leak},
        \\qquad \\frac{dh}{dt} = \\alpha_h (1 - h) - \\beta_h h

        I_{SIC} = SIC_{scale}\\, H(\\ln y) \\ln y, \\quad y = ([Ca] - SIC_{th}) / \\mathrm{nM}

    Every spike reaching an astrocyte adds ``delta_IP3 * weight_in`` to IP3.
    The SIC (pA) times ``weight_sic`` is injected into the postsynaptic
    neurons (converted to the simulator's nA).

    Parameters
    ----------
    astro_dt : float, optional
        The astrocyte clock in ms, a whole multiple of the network's ``dt``
        (else ``ValueError`` at :meth:`Network.add_astrocytes`). Default: the
        multiple of ``dt`` nearest to 1 ms (at least ``dt``). Each tick is
        integrated with classical RK4 in substeps of at most 1 ms.
    **parameters : float
        NEST's names, defaults and units: ``Ca_tot`` 2.0 uM, ``IP3_0`` 0.16 uM,
        ``Kd_IP3_1`` 0.13 uM, ``Kd_IP3_2`` 0.9434 uM, ``Kd_act`` 0.08234 uM,
        ``Kd_inh`` 1.049 uM, ``Km_SERCA`` 0.1 uM, ``SIC_scale`` 1.0 (pA),
        ``SIC_th`` 0.19669 uM, ``delta_IP3`` 0.0002 uM, ``k_IP3R`` 0.0002
        1/(uM ms), ``rate_IP3R`` 0.006 1/ms, ``rate_L`` 0.00011 1/ms,
        ``rate_SERCA`` 0.0009 uM/ms, ``ratio_ER_cyt`` 0.185, ``tau_IP3`` 7142.0
        ms. As in NEST, ``Ca_tot, Kd_IP3_1, Kd_IP3_2, Kd_act, Km_SERCA,
        SIC_scale, ratio_ER_cyt, tau_IP3`` must be > 0 and the others >= 0 (a
        zero rate switches that flux off); all finite scalars.

    Notes
    -----
    Initial values are keywords of :meth:`Network.add_astrocytes` (scalar or
    one per astrocyte), defaults as NEST: ``IP3`` (``IP3_0``, uM, >= 0),
    ``Ca_astro`` (0.073 uM, >= 0), ``h_IP3R`` (0.793, in [0, 1]).

    Coarse clock: ticks fall at multiples of ``astro_dt``. A spike emitted at
    time ``T`` through a synapse of delay ``d`` reaches the astrocyte at
    ``T + d`` (as NEST's input with the same delay); all arrivals in the
    interval ``(t - astro_dt, t]`` are added to IP3 at the tick ``t``, after
    the interval has been integrated (NEST does the same per ``dt`` step).
    The SIC computed from the calcium at tick ``t`` is a piecewise-constant
    current over ``[t, t + astro_dt)``; NEST's ``sic_connection`` delivers
    the same value one ``min_delay`` later. ``astro_dt = dt`` is the finest
    clock and reproduces NEST's timing of the input exactly.

    Accuracy against NEST 3.10 ``astrocyte_lr_1994`` (40 random spikes within
    1 s, ``delta_IP3 = 0.05`` uM, 4 s, ``dt = 0.1`` ms; largest deviation
    relative to the range of the NEST trace): with ``astro_dt = dt``, Ca
    4e-16, IP3 and h_IP3R 0, SIC 4e-15 (test tolerance 1e-6); with
    ``astro_dt = 1`` ms (IP3 jumps moved to the next 1 ms tick), Ca 5.4e-4,
    IP3 6e-5, h_IP3R 2e-4 (tolerance 2e-3) and SIC 2.8e-2 of its maximum,
    since ``ln`` is steep just above ``SIC_th`` (tolerance 0.1). See
    ``tests/test_lirinzel.py``.
    """

    def __init__(self, astro_dt: float | None = None, **parameters) -> None:
        unknown = set(parameters) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"LiRinzel has no parameter(s) {sorted(unknown)}; valid: "
                            f"{sorted(DEFAULTS)} and astro_dt")
        self.parameters = {**DEFAULTS, **parameters}
        for name, value in self.parameters.items():
            self.parameters[name] = _scalar(f"LiRinzel.{name}", value, strict=name in POSITIVE)
        self.astro_dt = None if astro_dt is None else V.positive_scalar("astro_dt", astro_dt)

    def vector(self) -> np.ndarray:
        """Parameters as the kernel's float64 vector (order of ``kernels.lirinzel.PARAMETER_NAMES``)."""
        return np.array([self.parameters[k] for k in K.PARAMETER_NAMES], dtype=np.float64)

    def _add_to(self, net, n: int, label: str | None, IP3=None, Ca_astro=0.073,
                h_IP3R=0.793) -> LiRinzelGroup:
        if self.astro_dt is None:
            steps = max(1, int(round(DEFAULT_ASTRO_DT / net.dt)))
        else:
            steps = V.time_to_steps("astro_dt", self.astro_dt, net.dt, minimum=1)
        label = f"astrocytes{len(net.astrocytes)}" if label is None else str(label)
        if any(getattr(g, "label", None) == label for g in net.astrocytes):
            raise ValueError(f"label {label!r} is already used by another astrocyte group")
        ip3 = V.non_negative("IP3", self.parameters["IP3_0"] if IP3 is None else IP3, n)
        ca = V.non_negative("Ca_astro", Ca_astro, n)
        h = V.non_negative("h_IP3R", h_IP3R, n)
        if (h > 1).any():
            raise ValueError(f"h_IP3R must be in [0, 1], got {float(h[h > 1].flat[0])!r}")
        group = LiRinzelGroup(net, self, n, label, steps, *(np.broadcast_to(a, (n,)).astype(np.float64)
                                                           for a in (ip3, ca, h)))
        net.astrocytes.append(group)
        return group

    def __repr__(self) -> str:
        return f"LiRinzel(astro_dt={self.astro_dt!r}, " + ", ".join(
            f"{k}={v!r}" for k, v in self.parameters.items()) + ")"


def _scalar(name: str, value, strict: bool) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or (v <= 0 if strict else v < 0):
        raise ValueError(f"{name} must be finite and {'> 0' if strict else '>= 0'}, got {value!r}")
    return v


_ASSOC = ("pre", "astrocyte", "post_population", "post", "weight_in", "weight_sic", "delay")


class LiRinzelGroup:
    """``size`` Li-Rinzel astrocytes in one network; create with :meth:`Network.add_astrocytes`.

    Attributes
    ----------
    IP3, Ca_astro, h_IP3R : float64 arrays (size,), read-only views, uM, uM, 1
        State at the last tick.
    SIC : float64 array (size,), read-only view, pA
        Slow inward current in force since the last tick (before ``weight_sic``).
    astro_dt : float
        Astrocyte clock (ms).
    """

    def __init__(self, net, model: LiRinzel, size: int, label: str, steps: int,
                 ip3: np.ndarray, ca: np.ndarray, h: np.ndarray) -> None:
        self.net, self.model, self.size, self.label = net, model, size, label
        self.astro_steps = steps
        self._par = model.vector()
        self._ip3, self._ca, self._h = ip3, ca, h
        self._initial = (ip3.copy(), ca.copy(), h.copy())
        self._sic = np.zeros(size)
        K.sic(self._ca, self._par, self._sic)
        self._last = net.step  # the state holds the time self._last * dt
        self._assoc = {k: np.zeros(0, np.float64 if k.startswith("weight") else np.int64)
                       for k in _ASSOC}
        self._pending = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        self._contrib: dict[int, np.ndarray] = {}
        self._targets: dict[int, np.ndarray] = {}
        self._order = self._src = np.zeros(0, np.int64)
        self._src_ptr = np.zeros(1, np.int64)
        self._rec: dict[str, tuple[list, list]] = {}

    # ------------------------------------------------------------------ state
    @property
    def astro_dt(self) -> float:
        return self.astro_steps * self.net.dt

    def _view(self, a: np.ndarray) -> np.ndarray:
        v = a.view()
        v.flags.writeable = False
        return v

    IP3 = property(lambda self: self._view(self._ip3))
    Ca_astro = property(lambda self: self._view(self._ca))
    h_IP3R = property(lambda self: self._view(self._h))
    SIC = property(lambda self: self._view(self._sic))

    @property
    def associations(self) -> dict:
        """One entry per tripartite synapse (copies): ``pre`` (global id of the presynaptic
        neuron), ``astrocyte`` (index in this group), ``post_population`` (population index),
        ``post`` (index in that population), ``weight_in``, ``weight_sic``, ``delay`` (steps)."""
        return {k: v.copy() for k, v in self._assoc.items()}

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return (f"LiRinzelGroup({self.size} astrocytes, label={self.label!r}, astro_dt="
                f"{self.astro_dt} ms, {self._assoc['pre'].shape[0]} tripartite synapses)")

    # ------------------------------------------------------------------ recording
    def record(self, variables) -> None:
        """Record ``variables`` (``"IP3", "Ca_astro", "h_IP3R", "SIC"``) at every tick from now on."""
        if isinstance(variables, str):
            variables = [variables]
        for var in variables:
            if var not in RECORDABLES:
                raise ValueError(f"cannot record {var!r} from astrocytes {self.label!r}; "
                                 f"valid: {list(RECORDABLES)}")
        for var in variables:
            self._rec.setdefault(var, ([], []))

    @property
    def traces(self) -> dict:
        """``{variable: (times, values)}``: tick times (ms, shape (k,)) and values (k, size)."""
        out = {}
        for var, (times, values) in self._rec.items():
            out[var] = (np.array(times, dtype=np.float64),
                        np.array(values, dtype=np.float64).reshape(len(times), self.size))
        return out

    # ------------------------------------------------------------------ runtime protocol
    def attach(self, runtime) -> None:
        """Register the watched neurons and this group's SIC currents at a runtime (re)build."""
        a = self._assoc
        order = np.argsort(a["pre"], kind="stable")
        self._order = order
        self._src, starts = np.unique(a["pre"][order], return_index=True)
        self._src_ptr = np.append(starts, order.shape[0]).astype(np.int64)
        runtime.watch = np.concatenate([runtime.watch, self._src]).astype(np.int64)
        self._targets = {}
        for index in np.unique(a["post_population"]).tolist():
            self._targets[index] = np.flatnonzero(a["post_population"] == index)
            self._contrib[index] = self._current(index)
            if index not in runtime.extra_current:
                runtime.extra_current[index] = np.zeros(self.net.populations[index].size)
            runtime.extra_current[index][:] = self._total(runtime, index)

    def next_tick(self, step: int) -> int:
        """The first tick step strictly after ``step``."""
        return (step // self.astro_steps + 1) * self.astro_steps

    def on_spikes(self, steps: np.ndarray, gids: np.ndarray) -> None:
        """Queue the IP3 input of the spikes ``(steps, gids)`` of the last kernel window."""
        if self._src.shape[0] == 0 or gids.shape[0] == 0:
            return
        pos = np.minimum(np.searchsorted(self._src, gids), self._src.shape[0] - 1)
        hit = self._src[pos] == gids
        pos, s = pos[hit], steps[hit]
        counts = self._src_ptr[pos + 1] - self._src_ptr[pos]
        total = int(counts.sum())
        if total == 0:
            return
        offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        syn = self._order[np.repeat(self._src_ptr[pos], counts) + offset]
        arrival = np.repeat(s, counts) + 1 + self._assoc["delay"][syn]
        ps, pa, pw = self._pending
        self._pending = (np.concatenate([ps, arrival]), np.concatenate([pa, self._assoc["astrocyte"][syn]]),
                         np.concatenate([pw, self._assoc["weight_in"][syn]]))

    def tick(self, runtime, step: int) -> list:
        """Advance to ``step``, apply the IP3 input due by then, update the SIC currents.

        Returns the indices of the populations whose SIC current changed.
        """
        n = step - self._last
        if n <= 0:
            return []
        ps, pa, pw = self._pending
        due = ps <= step
        drive = np.bincount(pa[due], weights=pw[due], minlength=self.size).astype(np.float64)
        self._pending = (ps[~due], pa[~due], pw[~due])
        length = n * self.net.dt
        K.advance(self._ip3, self._ca, self._h, drive, self._par, length,
                  max(1, math.ceil(length / MAX_SUBSTEP - 1e-9)))
        K.sic(self._ca, self._par, self._sic)
        self._last = step
        t = step * self.net.dt
        state = {"IP3": self._ip3, "Ca_astro": self._ca, "h_IP3R": self._h, "SIC": self._sic}
        for var, (times, values) in self._rec.items():
            times.append(t)
            values.append(state[var].copy())
        changed = []
        for index in self._targets:
            new = self._current(index)
            if not np.array_equal(new, self._contrib[index]):
                self._contrib[index] = new
                runtime.extra_current[index][:] = self._total(runtime, index)
                changed.append(index)
        return changed

    def _current(self, index: int) -> np.ndarray:
        """This group's SIC into population ``index`` (nA per neuron)."""
        a, syn = self._assoc, self._targets[index]
        w = a["weight_sic"][syn] * self._sic[a["astrocyte"][syn]] * PA_TO_NA
        return np.bincount(a["post"][syn], weights=w, minlength=self.net.populations[index].size)

    @staticmethod
    def _total(runtime, index: int) -> np.ndarray:
        parts = [g._contrib[index] for g in runtime.clock_groups
                 if index in getattr(g, "_contrib", {})]
        return np.sum(parts, axis=0) if len(parts) > 1 else parts[0].copy()

    def reset(self) -> None:
        """Back to the initial IP3, Ca and h (:meth:`Network.reset_state`); queued input is dropped."""
        for a, a0 in zip((self._ip3, self._ca, self._h), self._initial):
            a[:] = a0
        K.sic(self._ca, self._par, self._sic)
        self._pending = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        self._last = self.net.step
        self.net._runtime.invalidate()  # the SIC currents are recomputed at the next build

    # ------------------------------------------------------------------ files (spikesim.io)
    def _save(self, h) -> None:
        h.attrs.update(label=self.label, size=self.size, astro_steps=self.astro_steps, last=self._last,
                       parameters=json.dumps(self.model.parameters))
        for name, arr in (("IP3", self._ip3), ("Ca_astro", self._ca), ("h_IP3R", self._h),
                          ("SIC", self._sic)):
            h.create_dataset(name, data=arr)
        for k in _ASSOC:
            h.create_dataset(f"assoc_{k}", data=self._assoc[k])
        for k, arr in zip(("pending_step", "pending_astrocyte", "pending_weight"), self._pending):
            h.create_dataset(k, data=arr)

    @classmethod
    def _load(cls, net, h) -> "LiRinzelGroup":
        size, steps = int(h.attrs["size"]), int(h.attrs["astro_steps"])
        model = LiRinzel(astro_dt=steps * net.dt, **json.loads(h.attrs["parameters"]))
        state = [V.non_negative(name, np.asarray(h[name][()], np.float64), size).copy()
                 for name in ("IP3", "Ca_astro", "h_IP3R")]
        g = cls(net, model, size, str(h.attrs["label"]), steps, *state)
        g._sic = V.finite_array("SIC", np.asarray(h["SIC"][()], np.float64), size).copy()
        g._last = int(h.attrs["last"])
        n = net.n_neurons
        assoc = {k: np.asarray(h[f"assoc_{k}"][()]).astype(g._assoc[k].dtype) for k in _ASSOC}
        m = assoc["pre"].shape[0]
        pops = [p.size for p in net.populations]
        bad = any(a.shape != (m,) for a in assoc.values()) or (m and (
            assoc["pre"].min() < 0 or assoc["pre"].max() >= n or assoc["astrocyte"].min() < 0 or
            assoc["astrocyte"].max() >= size or assoc["post_population"].min() < 0 or
            assoc["post_population"].max() >= len(pops) or assoc["delay"].min() < 0 or
            (assoc["post"] < 0).any() or
            (assoc["post"] >= np.asarray(pops)[assoc["post_population"]]).any() or
            not np.isfinite(assoc["weight_in"]).all() or not np.isfinite(assoc["weight_sic"]).all()))
        if bad:
            raise ValueError(f"astrocyte group {g.label!r}: stored associations are inconsistent")
        g._assoc = assoc
        ps = np.asarray(h["pending_step"][()], np.int64)
        pa = np.asarray(h["pending_astrocyte"][()], np.int64)
        pw = V.finite_array("pending_weight", np.asarray(h["pending_weight"][()], np.float64),
                            ps.shape[0])
        if pa.shape != ps.shape or (pa.size and (pa.min() < 0 or pa.max() >= size)):
            raise ValueError(f"astrocyte group {g.label!r}: stored IP3 input queue is inconsistent")
        g._pending = (ps, pa, np.atleast_1d(pw))
        net.astrocytes.append(g)
        return g

    def _add(self, **columns) -> None:
        for k in _ASSOC:
            self._assoc[k] = np.concatenate([self._assoc[k], columns[k].astype(self._assoc[k].dtype)])


def connect_tripartite(net, pre, post, astrocytes: LiRinzelGroup, connector, weight=0.0,
                       delay=None, receptor_type: str = "excitatory",
                       p_third_if_primary: float = 1.0, pool_size: int = 1,
                       pool_type: str = "random", weight_in: float = 1.0,
                       weight_sic: float = 1.0, label: str | None = None):
    """Synapses ``pre -> post`` with astrocytes attached (NEST ``tripartite_bernoulli_with_pool``).

    The neuron-to-neuron synapses are made by ``net.connect(pre, post,
    connector, weight, delay, receptor_type, label)``. Then, for each new
    synapse, with probability ``p_third_if_primary`` one astrocyte is drawn
    uniformly from the postsynaptic neuron's pool: the presynaptic neuron's
    spikes raise that astrocyte's IP3 (``delta_IP3 * weight_in`` per spike,
    after the synapse's delay) and the astrocyte sends ``weight_sic * SIC``
    to the postsynaptic neuron. A pair chosen by several synapses counts
    several times, as NEST's connections do.

    Pools (NEST semantics): ``"random"``: each postsynaptic neuron gets
    ``pool_size`` distinct astrocytes drawn at random. ``"block"``: the
    neuron at position ``i`` of ``post`` gets astrocytes ``i * pool_size ...
    (i + 1) * pool_size - 1`` (needs ``len(post) * pool_size ==
    len(astrocytes)``), or for ``pool_size == 1`` astrocyte ``i // (len(post)
    // len(astrocytes))`` (needs ``len(post)`` a multiple of ``len(astrocytes)``).
    NEST's default pool is the whole astrocyte population; here ``pool_size``
    defaults to 1.

    Parameters
    ----------
    astrocytes : LiRinzelGroup
        From :meth:`Network.add_astrocytes` of the same network.
    p_third_if_primary : float in [0, 1]
    pool_size : int, 1 <= pool_size <= len(astrocytes)
    pool_type : {"random", "block"}
    weight_in : float >= 0
        Scales the IP3 jump (NEST's ``third_in`` weight).
    weight_sic : float
        Scales the SIC into the neuron (NEST's ``sic_connection`` weight).

    Returns
    -------
    Projection
        The neuron-to-neuron synapses; the associations are kept on the group
        (:attr:`LiRinzelGroup.associations`). Randomness comes from ``net.rng``.
    """
    if not isinstance(astrocytes, LiRinzelGroup):
        raise TypeError(f"astrocytes must be a group from Network.add_astrocytes, got {astrocytes!r}")
    if astrocytes.net is not net or not any(g is astrocytes for g in net.astrocytes):
        raise ValueError(f"astrocytes ({astrocytes.label!r}) belongs to a different Network")
    p = V.probability("p_third_if_primary", p_third_if_primary)
    pool_size = V.count("pool_size", pool_size, 1)
    n_astro = astrocytes.size
    if pool_size > n_astro:
        raise ValueError(f"pool_size must be <= the number of astrocytes ({n_astro}), got {pool_size}")
    if not isinstance(pool_type, str) or pool_type not in POOL_TYPES:
        raise ValueError(f"pool_type must be one of {POOL_TYPES}, got {pool_type!r}")
    if not isinstance(post, (Population, PopulationView)):
        raise TypeError(f"post must be a Population or PopulationView, got {post!r}")
    n_post = len(post)
    if pool_type == "block" and not (n_post * pool_size == n_astro
                                     or (pool_size == 1 and n_post % n_astro == 0)):
        raise ValueError(f"pool_type 'block' with pool_size={pool_size} needs len(post) * pool_size "
                         f"== len(astrocytes) or (pool_size == 1 and len(post) a multiple of "
                         f"len(astrocytes)); got len(post)={n_post}, len(astrocytes)={n_astro}")
    weight_in = _scalar("weight_in", weight_in, strict=False)
    weight_sic = V.finite_array("weight_sic", weight_sic)
    if weight_sic.ndim != 0:
        raise ValueError(f"weight_sic must be a scalar, got shape {weight_sic.shape}")
    proj = net.connect(pre, post, connector, weight, delay, receptor_type, label)
    _associate(net.rng, astrocytes, proj, post, p, pool_size, pool_type, weight_in, float(weight_sic))
    net._runtime.invalidate()
    return proj


def _associate(rng, group: LiRinzelGroup, proj, post, p, pool_size, pool_type, w_in, w_sic) -> None:
    m, n_astro = proj.n_synapses, group.size
    sel = np.arange(m) if p == 1.0 else np.flatnonzero(rng.random(m) < p)
    pre_local = np.repeat(np.arange(proj.pre.size), np.diff(proj.indptr))[sel]
    post_local = proj.post[sel].astype(np.int64)
    if isinstance(post, PopulationView):  # pools follow the position inside ``post``
        inv = np.full(post.population.size, -1, np.int64)
        inv[post.local_indices] = np.arange(post.size)
        tpos = inv[post_local]
    else:
        tpos = post_local
    pick = (rng.integers(pool_size, size=sel.shape[0]) if pool_size > 1
            else np.zeros(sel.shape[0], np.int64))
    if pool_type == "block":
        first = tpos * pool_size if pool_size > 1 else tpos // (len(post) // n_astro)
        astro = first + pick
    elif pool_size == n_astro:
        astro = pick
    else:
        uniq, which = np.unique(tpos, return_inverse=True)
        pools = np.array([np.sort(rng.choice(n_astro, pool_size, replace=False)) for _ in uniq],
                         dtype=np.int64).reshape(uniq.shape[0], pool_size)
        astro = pools[which.ravel(), pick]
    k = sel.shape[0]
    group._add(pre=proj.pre.first + pre_local, astrocyte=astro,
               post_population=np.full(k, proj.post_population.index), post=post_local,
               weight_in=np.full(k, w_in), weight_sic=np.full(k, w_sic),
               delay=proj.delay[sel].astype(np.int64))
