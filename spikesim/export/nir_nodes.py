"""NIR's neuron nodes as spikesim populations, discretised at ``dt`` (used by :mod:`.nir_graph`).

NIR's neuron nodes are continuous-time ODEs (Pedersen et al., Nature
Communications 15, 8122 (2024), table of primitives; ``nir`` 1.0 node
classes). With ``h`` the step ``dt`` in the graph's time unit and ``x`` the
value that reaches the node in one step (the output of the weight nodes in
front of it: each spike counts 1 in the step it arrives),

=============  ==========================================================  ==================
NIR node       equation                                                    spikesim cell
=============  ==========================================================  ==================
``LIF``        ``tau dv/dt = (v_leak - v) + r x``; spike/reset             ``IF_curr_delta``
``CubaLIF``    ``tau_syn dI/dt = -I + w_in x``;                            ``IF_curr_exp``
               ``tau_mem dv/dt = (v_leak - v) + r I``; spike/reset         (euler:
                                                                           ``CubaLIFStep``)
``IF``         ``dv/dt = r x``; spike/reset                                ``IF_curr_delta``
``LI``         as ``LIF``, no spikes                                       ``CubaLIStep`` *
``CubaLI``     as ``CubaLIF``, no spikes                                   ``CubaLIStep`` *
``I``          (Integrator) ``dv/dt = r x``, no spikes                     ``CubaLIStep`` *
``Threshold``  ``s = H(x - threshold)`` in each step                       ``IF_curr_delta``
=============  ==========================================================  ==================

\\* The readout nodes become :class:`~spikesim.cells.CubaLIStep`, the model
library's non-spiking readout (a leaky integrator behind a synaptic
current, stepped as ``CubaLIFStep`` without threshold; ``LI`` and ``I``
with an instantaneous current, ``I`` without leak): record ``v`` to read
them out. They cannot feed other nodes (spikesim passes spikes only). With
``scheme="exact"`` their decays are exact exponentials and the membrane
takes the step's current held over the step (exact for ``LI`` and ``I``).

Discretisation (``scheme``)
---------------------------
``x`` is held constant over the step in which it arrives (a spike is a
pulse of height 1 and length ``h``): the reading of the NIR paper's exact
reference for its LIF graph (``lif_exact.csv``, where one input spike
moves ``v`` by ``r (1 - e^{-h/tau})``) and of snnTorch's and Norse's
step-based importers.

- ``"exact"`` (default): exact propagators of the linear ODEs (Rotter &
  Diesmann 1999, as spikesim's kernels). ``LIF``: decay ``e^{-h/tau}``, a
  step's input adds ``r x (1 - e^{-h/tau})`` to ``v``: exact for the held
  input. ``CubaLIF``: ``I`` decays by ``e^{-h/tau_syn}`` and a step's input
  adds ``w_in x (1 - e^{-h/tau_syn})`` to ``I`` (exact for ``I``); ``v``
  follows ``I`` with the exact propagator from the next step on (the
  membrane's share of the arrival step, ``O(h^2)``, is not integrated).
- ``"euler"``: forward Euler at ``h``, the scheme and the order of Norse's
  and snnTorch's NIR importers (``beta = 1 - h/tau``): ``LIF`` decay
  ``1 - h/tau``, input ``r x h/tau``; ``CubaLIF`` becomes
  :class:`~spikesim.cells.CubaLIFStep`: ``I`` decays by ``1 - h/tau_syn`` and
  takes ``w_in x h/tau_syn`` first, then ``v`` decays by ``1 - h/tau_mem`` and
  takes ``r I h/tau_mem`` with that new ``I`` (the membrane sees the input of
  its step, and a recurrent loop takes one step, as in Norse and snnTorch).
  spikesim's kernels get these factors from effective time constants
  ``tau' = -dt/ln(1 - h/tau)``, so the recursion is Euler's to rounding.
  Needs ``h < tau`` for every time constant.
  snnTorch and Norse export ``tau = h / (1 - beta)`` with ``r = tau/h`` and
  ``w_in = tau_syn/h`` at their own ``h`` (snnTorch: 1e-4 s), so their
  graphs mean what they meant in training only with ``scheme="euler"``
  at that ``h``.

Rockpool 3.1 writes its ``LIFTorch`` (``I <- e^{-dt/tau_syn} (I + W s)``,
``v <- e^{-dt/tau_mem} v + I``) as ``CubaLIF`` with ``w_in = 1`` and
``r = tau_mem e^{-dt/tau_mem} / dt``; read with either scheme, its input is
about 5 times weaker than in Rockpool at ``tau_syn = 5 ms``, ``dt = 1 ms``
(found by running both; not corrected here).

``IF`` and the Integrator have no time constant: a step's input moves ``v``
by ``r x`` whatever ``h`` (the per-step integration of sinabs' IAF, which
wrote the NIR paper's CNN graph). ``Threshold`` spikes in a step when that
step's input exceeds the threshold (``v`` decays completely each step).

Threshold, reset and refractoriness
-----------------------------------
NIR spikes when ``v > v_threshold``; spikesim tests ``v >= v_thresh``, so
``v_thresh`` is the next number above ``v_threshold`` in the network's
precision. NIR's nodes reset to ``v_reset`` (0 when absent). A node's reset
mode comes from the ``reset`` argument of :func:`~spikesim.export.from_nir`,
else from its metadata (``"reset": "subtract"`` or ``"value"``), else NIR's
reset to a value; ``"subtract"`` gives ``v -= v_threshold - v_reset``
(snnTorch's and Norse's subtraction remove ``v_threshold``: the same for
``v_reset = 0``, as in their graphs). NIR has no refractory period; one is
read from the ``refractory`` argument or the node metadata ``"t_ref"`` (in
the graph's time unit), else 0. During it ``v`` is held.

The state starts at ``v = v_leak`` (0 for ``IF``, ``I``, ``Threshold``)
and ``I = 0``, as Norse's initial state (snnTorch starts at ``v = 0``:
the same for the graphs with ``v_leak = 0``).

An ``Affine``/convolution bias ``b`` is a constant ``x``. It is folded
exactly into ``v_rest = v_leak + r b`` for ``LIF``, into ``i_offset`` for
``IF``, into ``CubaLIFStep``'s ``i_bias_E = w_in b`` (a constant input to
``I``: exact, with its rise) for ``CubaLIF`` with ``scheme="euler"``, and,
with ``scheme="exact"``, into ``v_rest = v_leak + r w_in b``, ``I``'s steady
state: the rise of ``I`` from 0 with ``tau_syn`` at the start is lost (warned).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import ExportError

#: ``tau_m`` (ms) standing for "no leak" (IF, I): ``exp(-dt/tau_m)`` is 1.0 in float64.
NO_LEAK = 1e30
SCHEMES = ("exact", "euler")
SPIKING = ("LIF", "CubaLIF", "IF", "Threshold")
READOUT = ("LI", "CubaLI", "I")


@dataclass
class NeuronSpec:
    """A NIR neuron node as a spikesim cell type.

    Attributes
    ----------
    cell : str
        ``"IF_curr_delta"``, ``"IF_curr_exp"`` or ``"CubaLIFStep"``
        (a class of :mod:`spikesim.cells`).
    params : dict
        Per-neuron PyNN parameters (ms, mV, nA, nF), float64 arrays.
    w_scale : ndarray
        Factor per neuron from the value ``x`` that reaches the node in one
        step to spikesim's weight (mV jump for ``IF_curr_delta``, nA jump of
        the synaptic current for ``IF_curr_exp``).
    shape : tuple
        The node's shape (the population is its C-ordered flattening).
    spiking : bool
        False for the readout nodes.
    bias_fold : str
        The parameter a constant input ``b`` is added to (``"v_rest"``,
        ``"i_offset"`` or ``"i_bias_E"``), as ``bias_gain * b``.
    v0 : ndarray
        Initial membrane potential: ``v_leak`` (0 for ``IF``, ``I`` and
        ``Threshold``), synaptic currents 0.
    """

    cell: str
    params: dict
    w_scale: np.ndarray
    shape: tuple
    spiking: bool = True
    bias_fold: str = "v_rest"
    bias_gain: np.ndarray = field(default_factory=lambda: np.ones(1))
    v0: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def add_bias(self, b: np.ndarray) -> None:
        """Fold a constant per-step input ``b`` (flat, one value per neuron) into the parameters."""
        self.params[self.bias_fold] = self.params[self.bias_fold] + self.bias_gain * b


def _field(node, name: str, shape: tuple, default=None) -> np.ndarray:
    v = getattr(node, name, None)
    if v is None:
        v = default
    a = np.asarray(v, dtype=np.float64)
    try:
        return np.broadcast_to(a.reshape(shape) if a.size == np.prod(shape) and a.shape != shape
                               else a, shape).ravel().copy()
    except ValueError:
        raise ExportError(f"{name} has shape {a.shape}, the node {shape}", rule="nir-shape") \
            from None


def _positive(kind: str, name: str, field_name: str, a: np.ndarray) -> None:
    bad = ~(np.isfinite(a) & (a > 0))
    if bad.any():
        raise ExportError(f"NIR {kind} {name!r}: {field_name} must be finite and > 0, got "
                          f"{float(a[bad][0])!r}", rule="nir-parameter")


def _finite(kind: str, name: str, field_name: str, a: np.ndarray) -> None:
    if not np.isfinite(a).all():
        raise ExportError(f"NIR {kind} {name!r}: {field_name} must be finite", rule="nir-parameter")


def _decay(kind, name, fname, tau, h, dt, scheme):
    """(tau' in ms, input factor) of one time constant ``tau`` (graph unit) at step ``h``."""
    _positive(kind, name, fname, tau)
    if scheme == "exact":
        return tau * dt / h, -np.expm1(-h / tau)
    c = h / tau
    if np.any(c >= 1.0):
        raise ExportError(f"NIR {kind} {name!r}: forward Euler needs {fname} > h = {h:g} (graph "
                          f"time unit), got {float(np.min(tau)):g}; use scheme='exact' or a "
                          "smaller dt", rule="nir-parameter")
    return -dt / np.log1p(-c), c


def node_shape(node) -> tuple:
    """Shape of a neuron node.

    Parameters
    ----------
    node : nir.NIRNode
        A neuron node.

    Returns
    -------
    tuple
        The shape of its first non-scalar field among ``v_threshold``,
        ``threshold``, ``tau``, ``tau_mem``, ``r``; else its input type; else ``(1,)``.
    """
    for f in ("v_threshold", "threshold", "tau", "tau_mem", "r"):
        v = getattr(node, f, None)
        if v is not None and np.ndim(v):
            return tuple(int(s) for s in np.shape(v))
    shape = getattr(node, "input_type", {}).get("input")
    return tuple(int(s) for s in np.atleast_1d(shape)) if shape is not None else (1,)


def neuron_spec(name: str, node, *, h: float, dt: float, scheme: str, reset: str,
                t_ref: float, dtype: str, spikes: str = "pulse") -> NeuronSpec:
    """The spikesim cell of one NIR neuron node; ``spikes="dirac"`` reads a spike as a Dirac
    delta of unit area (spikesim's own graphs): see :func:`_neuron_spec` and :func:`dirac_gain`.
    """
    spec = _neuron_spec(name, node, h=h, dt=dt, scheme=scheme, reset=reset, t_ref=t_ref,
                        dtype=dtype)
    if spikes == "dirac":
        spec.w_scale = dirac_gain(node, spec.shape)
    return spec


def dirac_gain(node, shape: tuple) -> np.ndarray:
    """Jump per unit weight of a Dirac spike of unit area (no step involved).

    ``LIF``/``LI``: ``v`` jumps by ``r W / tau``; ``CubaLIF``/``CubaLI``: ``I``
    jumps by ``w_in W / tau_syn``; ``IF``/``I``: ``v`` by ``r W``;
    ``Threshold``: the weight itself. spikesim writes its own graphs in this
    reading (graph metadata ``"spike": "Dirac delta of unit area"``).

    Parameters
    ----------
    node : nir.NIRNode
        A neuron node.
    shape : tuple
        The node's shape.

    Returns
    -------
    ndarray
        Flat float64, one factor per neuron.
    """
    kind = type(node).__name__
    f = {k: _field(node, k, shape, d) for k, d in
         (("r", 1.0), ("w_in", 1.0), ("tau", 1.0), ("tau_syn", 1.0))}
    if kind in ("LIF", "LI"):
        return f["r"] / f["tau"]
    if kind in ("CubaLIF", "CubaLI"):
        return f["w_in"] / f["tau_syn"]
    if kind in ("IF", "I"):
        return f["r"]
    return np.ones(int(np.prod(shape)))


def _neuron_spec(name: str, node, *, h: float, dt: float, scheme: str, reset: str,
                 t_ref: float, dtype: str) -> NeuronSpec:
    """The spikesim cell of one NIR neuron node (module docstring: equations and scheme).

    Parameters
    ----------
    name : str
        Node name (error messages).
    node : nir.NIRNode
        ``LIF``, ``CubaLIF``, ``IF``, ``LI``, ``CubaLI``, ``I`` or ``Threshold``.
    h : float
        Time step in the graph's time unit.
    dt : float
        Time step, ms.
    scheme : {"exact", "euler"}
        Discretisation of the leaky nodes.
    reset : {"value", "subtract"}
        Reset mode of the spiking nodes.
    t_ref : float
        Refractory period, ms.
    dtype : {"float32", "float64"}
        Network precision (the threshold is moved one number up in it).

    Returns
    -------
    NeuronSpec

    Raises
    ------
    ExportError
        Non-positive or non-finite time constants or ``r``, ``v_reset`` not
        below ``v_threshold``, forward Euler with ``h >= tau``; the message
        names the node.
    """
    kind = type(node).__name__
    shape = node_shape(node)
    n = int(np.prod(shape))
    try:
        f = {k: _field(node, k, shape, d) for k, d in
             (("r", 1.0), ("v_leak", 0.0), ("v_threshold", 0.0), ("v_reset", 0.0),
              ("w_in", 1.0), ("tau", 1.0), ("tau_mem", 1.0), ("tau_syn", 1.0),
              ("threshold", 0.0))}
    except ExportError as e:
        raise ExportError(f"NIR {kind} {name!r}: {e}", rule="nir-shape") from None
    if kind in ("LIF", "LI", "IF", "I", "CubaLIF", "CubaLI"):
        _positive(kind, name, "r", f["r"])
        for k in ("v_leak", "v_threshold", "v_reset", "w_in"):
            _finite(kind, name, k, f[k])
    if kind in READOUT:
        return _readout(kind, name, f, n, shape, h, dt, scheme)
    p = {"v_reset": f["v_reset"], "tau_refrac": np.full(n, float(t_ref)),
         "i_offset": np.zeros(n), "v_rest": f["v_leak"]}
    thr = f["threshold"] if kind == "Threshold" else f["v_threshold"]
    ftype = np.float32 if dtype == "float32" else np.float64
    p["v_thresh"] = np.nextafter(thr.astype(ftype), ftype(np.inf)).astype(np.float64)
    if reset == "subtract":
        p["reset_subtract"] = np.ones(n)
        # spikesim subtracts v_thresh - v_reset: keep NIR's v_threshold - v_reset exactly
        p["v_reset"] = p["v_reset"] + (p["v_thresh"] - thr)
    if np.any(p["v_reset"] >= p["v_thresh"]):
        raise ExportError(f"NIR {kind} {name!r}: v_reset must be below v_threshold",
                          rule="nir-parameter")
    if kind == "LIF":
        tau_m, c = _decay(kind, name, "tau", f["tau"], h, dt, scheme)
        p.update(tau_m=tau_m, cm=np.ones(n))
        return NeuronSpec("IF_curr_delta", p, f["r"] * c, shape, True, "v_rest", f["r"],
                          f["v_leak"].copy())
    if kind == "IF":
        p.update(tau_m=np.full(n, NO_LEAK), cm=np.ones(n), v_rest=np.zeros(n))
        # v_const = (tau_m / cm) (1 - e^{-dt/tau_m}) i_offset = dt i_offset: i_offset = r b / dt
        return NeuronSpec("IF_curr_delta", p, f["r"].copy(), shape, True, "i_offset",
                          f["r"] / dt)
    if kind == "Threshold":
        _finite(kind, name, "threshold", thr)
        p.update(tau_m=np.full(n, dt * 1e-3), cm=np.ones(n), v_rest=np.zeros(n),
                 v_reset=np.minimum(0.0, thr - 1.0))
        return NeuronSpec("IF_curr_delta", p, np.ones(n), shape, True, "v_rest", np.ones(n))
    if kind in ("CubaLIF", "CubaLI"):
        tau_m, _ = _decay(kind, name, "tau_mem", f["tau_mem"], h, dt, scheme)
        tau_s, cs = _decay(kind, name, "tau_syn", f["tau_syn"], h, dt, scheme)
        p.update(tau_m=tau_m, cm=tau_m / f["r"], tau_syn_E=tau_s, tau_syn_I=tau_s.copy())
        if scheme == "exact":
            return NeuronSpec("IF_curr_exp", p, f["w_in"] * cs, shape, True, "v_rest",
                              f["r"] * f["w_in"], f["v_leak"].copy())
        # CubaLIFStep: (1 - P22) tau_m' / cm = h/tau_mem r, and a bias drives I like any input
        p.update(i_bias_E=np.zeros(n), i_bias_I=np.zeros(n))
        return NeuronSpec("CubaLIFStep", p, f["w_in"] * cs, shape, True, "i_bias_E",
                          f["w_in"].copy(), f["v_leak"].copy())
    raise ExportError(f"NIR node {name!r} is {kind}, not a neuron node", rule="nir-node-type")


def _readout(kind, name, f, n, shape, h, dt, scheme) -> NeuronSpec:
    """LI, CubaLI and I as :class:`~spikesim.cells.CubaLIStep` (no threshold, no reset).

    ``v_t = P22 v + (1 - P22) (v_rest + tau_m/cm I_t)`` with ``cm = tau_m / r``
    gives ``(1 - P22) r I_t``; ``LI`` and ``I`` have no synaptic current, so
    ``tau_syn`` is far below ``dt`` (``P11 = 0``: ``I_t`` is the step's input);
    ``I`` has no leak (``tau_m`` = :data:`NO_LEAK`, ``(1 - P22) tau_m = dt``, so
    ``cm = dt / r`` gives ``v += r x``).
    """
    instant = np.full(n, dt * 1e-3)
    p = {"i_offset": np.zeros(n), "i_bias_E": np.zeros(n), "i_bias_I": np.zeros(n),
         "v_rest": f["v_leak"].copy(), "tau_syn_E": instant, "tau_syn_I": instant.copy()}
    if kind == "LI":
        tau_m, c = _decay(kind, name, "tau", f["tau"], h, dt, scheme)
        p.update(tau_m=tau_m, cm=tau_m / f["r"])
        return NeuronSpec("CubaLIStep", p, np.ones(n), shape, False, "i_bias_E", np.ones(n),
                          f["v_leak"].copy())
    if kind == "I":
        p.update(tau_m=np.full(n, NO_LEAK), cm=dt / f["r"], v_rest=np.zeros(n))
        return NeuronSpec("CubaLIStep", p, np.ones(n), shape, False, "i_bias_E", np.ones(n),
                          np.zeros(n))
    tau_m, _ = _decay(kind, name, "tau_mem", f["tau_mem"], h, dt, scheme)
    tau_s, cs = _decay(kind, name, "tau_syn", f["tau_syn"], h, dt, scheme)
    p.update(tau_m=tau_m, cm=tau_m / f["r"], tau_syn_E=tau_s, tau_syn_I=tau_s.copy())
    return NeuronSpec("CubaLIStep", p, f["w_in"] * cs, shape, False, "i_bias_E",
                      f["w_in"].copy(), f["v_leak"].copy())
