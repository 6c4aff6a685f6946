r"""Liquid state machines with astrocyte-modulated plasticity (NALSM), on the spikesim API.

Ivanov & Michmizos, "Increasing Liquid State Machine Performance with
Edge-of-Chaos Dynamics Organized by Astrocyte-modulated Plasticity", NeurIPS
2021 (arXiv:2111.01760); the model as the authors' code (github.com/combra-lab/NALSM)
defines it. :class:`Liquid` builds one liquid in one of three modes:

- ``"lsm"``: fixed weights, ``|w| = 3 * weight_scale``;
- ``"stdp"``: STDP on every input and liquid synapse (LSM+STDP);
- ``"nalsm"``: STDP whose astrocyte term (the depression of excitatory and input
  synapses, the potentiation of inhibitory ones) is set by one global NALSM astrocyte.

Model (dt = 1 ms)
-----------------
LIF neurons ``tau_v`` 64 ms, threshold 20, reset 0, refractory 2 ms, synaptic
current decaying with 1 ms, on a 3-D unit grid; 80 % excitatory, 20 %
inhibitory placed at random; ``p = C exp(-(d/3)^2)`` with C = 0.2 (E->E), 0.1
(E->I), 0.3 (I->E), 0.05 (I->I), no self-connections; exactly 15 % of all
input-liquid pairs, each with a random sign; weights E +3, I -3, input +-3.

Mapping onto spikesim
---------------------
*Neurons.* ``IF_curr_exp(tau_m=64, v_rest=0, v_reset=0, v_thresh=20,
tau_refrac=2, tau_syn=1, integrate_refractory=True)`` with ``cm = 1 - e^{-1}``
nF: the paper adds ``w e^{-k}`` to ``v`` in the k-th step after a presynaptic
spike, in total ``w / (1 - e^{-1})``; spikesim's exact integration adds
``w tau_syn / cm``, the same total. As in the paper the membrane keeps
integrating during the 2 refractory steps (the neuron cannot fire then); before
2026-11-24 the liquid used NEST's clamp (``v`` held at reset, input arriving
then mostly lost), which gave NALSM a supercritical branching factor (1.30,
now 1.22-1.24) and put it behind the tuned LSM on mnist5k. A spike reaches its
targets one step later than in the paper (spikesim's minimum delay is one step
and input enters the membrane after the step's update, NEST's order): every
hop takes 2 ms instead of 1.

``hop_ms=1`` (``spikesim lsm --hop-ms 1``) uses the authors' order instead:
:class:`spikesim.CubaLIFStep`, whose current takes the step's input before the
membrane integrates it, with ``tau_m' = -1 / ln(1 - 1/64)`` and ``cm = tau_m' / 64``
so that each step is exactly the code's ``v <- (1 - 1/64) v + I``,
``I <- e^{-1} I + sum w s`` (``NALSM_LIF_v1.py`` ``update_neuron_states_wo_R``,
``evolve_input_currents``): a spike moves its targets' ``v`` in the next step, as
in the paper. The one difference left is that the paper's synapse replaces its
current at a new presynaptic spike, where spikesim adds (at most ``e^{-3}`` of one
synapse's charge, the refractory period being 2 steps). The default stays 2 (the
figures recorded before 2026-12-05 were all made with it).

*Input neurons* are the paper's: LIF neurons receiving a current of 100 per
Bernoulli event (probability ``p_i`` per ms), so an event in step ``t`` gives
a spike in step ``t + 1``, or at the end of the refractory period
(:func:`input_neuron_spikes`). They enter the network as a
``SpikeSourceArray``.

*STDP.* The paper keeps one trace per neuron, ``x <- d (x + c s)`` with
``d = 0.905``, ``c = 0.1``, and in each step applies (before the trace update)

.. math::

    \Delta w = \eta\, x_{pre} s_{post} - A\, x_{post} s_{pre}
    \quad\text{(excitatory or input presynaptic)}, \qquad
    \Delta w = -A\, x_{pre} s_{post} + \eta\, x_{post} s_{pre}
    \quad\text{(inhibitory presynaptic)}

with ``eta`` = 0.15 and ``A`` the astrocyte (``nalsm``) or ``eta`` (``stdp``);
both decay by 0.99 per ms within a sample. For inhibitory presynaptic neurons
the code swaps the *rates* as well as the signs: the astrocyte scales the
pre-before-post term that strengthens inhibition. A spike-pair exponential
trace with ``tau = -1 / ln d`` equals the paper's trace; the pairing interval
in spikesim is measured from the presynaptic spike's *arrival*, one step
after emission, so with ``g`` the per-ms decay of the learning rates:

- post-spike term (``A_plus``): ``c d`` times its rate -- exact for every pair;
- pre-arrival term (``A_minus``): ``c / d`` times its rate (``c / (d g)`` for
  the scalar rate ``eta``, whose decay has run one more step at the arrival;
  the astrocyte's ``A`` decays by itself) -- exact for every pair with
  ``t_post < t_pre``. Differences: a pre and a post spike in the *same* step
  pair in spikesim (weight ``c``), not in the paper (``same_step_pairs=False``:
  not in spikesim either; by default they do); the astrocyte's ``A``
  enters this term one step later (its value after the emission step); the
  term of a presynaptic spike in a sample's last step is dropped (its arrival
  falls after the sample); and the paper clips the sum of both terms once per
  step, spikesim clips after each term (this matters only at a bound);
- the inhibitory post-spike term takes ``A(t)`` as its potentiation factor
  (``Projection.modulate(potentiation=astrocyte)``: the kernel scales step
  ``t``'s change by ``A`` after step ``t - 1``, as the paper's update at ``t``
  uses ``A(t)``). ``A`` drops below 0 when the input outnumbers the liquid's
  spikes; the term then reverses, as in the paper (both terms follow ``A``'s
  sign). Before 2026-11-24 the kernel could not take ``A`` on the
  potentiation side, and samples ran in 1 ms chunks with the factor set to
  ``max(A, 0)`` before each (``inh_update_ms``, now only for the sparse
  variant below).
- sparse-mask variant (``astro_density`` < 1): the astrocyte counts the
  spikes of a random fraction of the liquid and input neurons (each neuron
  with probability ``density``; the paper takes exactly ``ceil(density n)``)
  but its ``A`` scales every synapse. spikesim's astrocyte group scales only
  synapses onto neurons it listens to, so this variant runs samples in chunks
  of ``inh_update_ms`` (1 ms: exact timing) and sets both ``A`` factors
  before each chunk with scalar ``modulate`` (``A`` then enters at the same
  step as with the linked astrocyte, but stops at 0).

Weights are clipped to E [0, 3], I [-3, 0] and input [-3, 3]; spikesim keeps the
sign of a projection, so an input weight that would cross zero stops at 0.
Tests: ``tests/test_lsm.py`` checks every term against a NumPy implementation
of the paper's discrete equations.

*Astrocyte.* :class:`spikesim.NALSMAstrocyte`: ``A <- A + (w_A (liquid -
input spikes) + b_A - A) / tau_A``, ``tau_A`` = 100 ms, ``b_A = A(0)`` = 0.15,
``w_A`` = 0.015 for 1,000 neurons (``0.015 (1000/N)^(1/3)``: 0.0075 for 8,000),
``density`` < 1 for the sparse-mask variant.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

import spikesim as ss
from spikesim import _validate as V

MODES = ("lsm", "stdp", "nalsm")
_CONN = {("E", "E"): 0.2, ("E", "I"): 0.1, ("I", "E"): 0.3, ("I", "I"): 0.05}


@dataclass(frozen=True)
class LSMParams:
    """Parameters of a (NA)LSM liquid; defaults are the paper's (units: ms, mV-like, weights).

    ``grid`` is the liquid's 3-D shape (``N = prod(grid)``); ``w_A=None`` means
    ``0.015 (1000/N)^(1/3)``; ``weight_scale`` scales every ``|w|`` in mode ``lsm``;
    ``lr_decay`` is the per-ms decay of ``eta``, ``A``, ``w_A`` and ``b_A`` within a
    sample (1 during the W_INI initialisation); ``inh_update_ms`` is the chunk
    length in which the sparse-mask ``nalsm`` variant (``astro_density < 1``)
    refreshes its ``A`` factors (the full-density astrocyte is linked in the kernel);
    ``hop_ms`` is the time from a spike to its targets' membrane: 2 (NEST's order,
    ``IF_curr_exp``) or 1 (the authors' code, ``CubaLIFStep``; see the module notes);
    ``same_step_pairs=False`` leaves out the STDP pairs of a pre and a post spike emitted
    in the same step, as the authors' code does (``STDP(same_step_pairs=False)``; with
    ``hop_ms=1`` the plastic rule then pairs exactly the authors' spikes);
    ``init_keeps_traces=True`` keeps the STDP traces from one W_INI sample to the next
    (the authors' code never resets them; spikesim's default clears them with the state).
    Feature extraction clears them at every sample either way, so that a sample's features
    do not depend on which sample a worker ran before it (the authors' slots carry them).
    """

    grid: tuple = (10, 10, 10)
    frac_exc: float = 0.8
    conn: dict = field(default_factory=lambda: dict(_CONN))
    lambda_: float = 3.0
    input_fraction: float = 0.15
    w_max: float = 3.0
    weight_scale: float = 1.0
    tau_m: float = 64.0
    v_thresh: float = 20.0
    tau_refrac: float = 2.0
    tau_syn: float = 1.0
    eta: float = 0.15
    trace_decay: float = 0.905
    trace_jump: float = 0.1
    lr_decay: float = 0.99
    tau_A: float = 100.0
    w_A: float | None = None
    b_A: float = 0.15
    astro_density: float = 1.0
    inh_update_ms: int = 1
    hop_ms: int = 2
    same_step_pairs: bool = True
    init_keeps_traces: bool = False

    def __post_init__(self):
        grid = tuple(self.grid)
        if len(grid) != 3:
            raise ValueError(f"grid must have 3 axes, got {self.grid!r}")
        for g in grid:
            V.count("grid", g, 1)
        object.__setattr__(self, "grid", grid)
        for name in ("frac_exc", "input_fraction"):
            V.probability(name, getattr(self, name))
        for name in ("lambda_", "w_max", "weight_scale", "tau_m", "v_thresh", "tau_syn", "eta",
                     "trace_jump", "tau_A", "b_A"):
            V.positive_scalar(name, getattr(self, name))
        V.non_negative_scalar("tau_refrac", self.tau_refrac)
        for name in ("trace_decay", "lr_decay"):
            x = V.positive_scalar(name, getattr(self, name))
            if x > 1.0 or (name == "trace_decay" and x == 1.0):
                raise ValueError(f"{name} must be in (0, 1{')' if name == 'trace_decay' else ']'}, "
                                 f"got {x!r}")
        if self.w_A is not None:
            V.positive_scalar("w_A", self.w_A)
        V.count("inh_update_ms", self.inh_update_ms, 1)
        if self.hop_ms not in (1, 2) or isinstance(self.hop_ms, bool):
            raise ValueError(f"hop_ms must be 1 (the authors' order) or 2 (NEST's), "
                             f"got {self.hop_ms!r}")
        if self.hop_ms == 1 and self.tau_m <= 1.0:
            raise ValueError(f"tau_m must be above 1 ms with hop_ms=1 (the membrane keeps "
                             f"1 - 1/tau_m per step), got {self.tau_m!r}")
        for name in ("same_step_pairs", "init_keeps_traces"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if set(self.conn) != set(_CONN):
            raise ValueError(f"conn must give C for {sorted(_CONN)}, got {sorted(self.conn)}")
        for k, c in self.conn.items():
            V.probability(f"conn[{k}]", c)

    @property
    def n_neurons(self) -> int:
        return int(np.prod(self.grid))

    @property
    def astro_w(self) -> float:
        return self.w_A if self.w_A is not None else 0.015 * (1000.0 / self.n_neurons) ** (1 / 3)


def grid_for(n_neurons: int) -> tuple:
    """The most cube-like 3-D grid with ``n_neurons`` points (10x10x10 for 1,000)."""
    n = V.count("neurons", n_neurons, 1)
    best = (n, 1, 1)
    for a in range(1, int(round(n ** (1 / 3))) + 2):
        if n % a:
            continue
        for b in range(a, int(np.sqrt(n // a)) + 1):
            if (n // a) % b == 0:
                c = n // a // b
                if c >= b and c - a < best[0] - best[2]:
                    best = (c, b, a)
    return best[::-1]


def input_neuron_spikes(events: np.ndarray, refractory_steps: int = 2) -> np.ndarray:
    """Spikes of the paper's input neurons, given their input events per step.

    ``events`` is boolean ``(..., T, n)``. An event in step ``t`` charges the
    neuron (100 >> threshold 20, and the leak of 1/64 per ms cannot bring it
    back below threshold within the refractory period), so it fires in step
    ``t + 1``, or in the first step after its refractory period; several events
    before one spike give one spike. Returns a boolean array of the same shape.
    """
    ev = np.asarray(events, dtype=bool)
    if ev.ndim < 2:
        raise ValueError(f"events must have shape (..., T, n_inputs), got {ev.shape}")
    ev = np.moveaxis(ev, -2, 0)
    out = np.zeros_like(ev)
    pending = np.zeros(ev.shape[1:], bool)
    ref = np.zeros(ev.shape[1:], np.int16)
    for t in range(ev.shape[0]):
        s = pending & (ref == 0)
        out[t] = s
        pending &= ~s
        np.subtract(ref, 1, out=ref, where=ref > 0)
        ref[s] = refractory_steps
        pending |= ev[t]
    return np.moveaxis(out, 0, -2)


def bernoulli_events(p: np.ndarray, n_steps: int, rng: np.random.Generator) -> np.ndarray:
    """Input events: True with probability ``p`` per step. ``p`` is ``(n,)`` or ``(n_steps, n)``."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 1:
        p = p[None, :]
    elif p.ndim != 2 or p.shape[0] != n_steps:
        raise ValueError(f"rates must have shape (n_inputs,) or ({n_steps}, n_inputs), got {p.shape}")
    return rng.random((n_steps, p.shape[1]), dtype=np.float32) < p


def liquid_cell(P: LSMParams):
    """The liquid's neuron type for ``P`` (module notes, *Neurons*; the paper's neuron).

    ``P.hop_ms == 2``: :class:`spikesim.IF_curr_exp` with ``cm = tau_syn (1 - e^{-1/tau_syn})``
    (the paper's total charge per spike). ``P.hop_ms == 1``: :class:`spikesim.CubaLIFStep`
    stepping ``v <- (1 - 1/tau_m) v + I`` exactly (``dt`` = 1 ms).
    """
    common = dict(v_rest=0.0, v_reset=0.0, v_thresh=P.v_thresh, tau_refrac=P.tau_refrac,
                  tau_syn_E=P.tau_syn, tau_syn_I=P.tau_syn, integrate_refractory=True)
    if P.hop_ms == 1:
        tau = -1.0 / np.log1p(-1.0 / P.tau_m)  # exp(-1 / tau) = 1 - 1 / tau_m
        return ss.CubaLIFStep(tau_m=tau, cm=-np.expm1(-1.0 / tau) * tau, **common)
    return ss.IF_curr_exp(tau_m=P.tau_m, cm=-np.expm1(-1.0 / P.tau_syn) * P.tau_syn, **common)


class Liquid:
    """One liquid, its input layer and (``stdp``/``nalsm``) plasticity, built from a seed.

    Parameters
    ----------
    n_inputs : int
        Input neurons.
    mode : {"lsm", "stdp", "nalsm"}
    params : LSMParams
    seed : int
        Fixes everything: E/I placement, connectivity, signs. Two ``Liquid`` s
        with equal arguments are identical (so worker processes can each build one).
    """

    def __init__(self, n_inputs: int, mode: str = "nalsm", params: LSMParams | None = None,
                 seed: int = 1) -> None:
        V.choice("mode", mode, MODES)
        n_inputs = V.count("n_inputs", n_inputs, 1)
        self.params = P = params or LSMParams()
        self.mode, self.n_inputs, self.seed = mode, n_inputs, seed
        self.plastic = mode != "lsm"
        N = P.n_neurons
        rng = np.random.default_rng([seed, 7])
        net = self.net = ss.Network(dt=1.0, seed=seed)
        self.liquid = net.add_population(N, liquid_cell(P), positions=ss.grid_positions(P.grid),
                                         label="liquid")
        exc = np.zeros(N, bool)
        exc[rng.permutation(N)[:int(round(P.frac_exc * N))]] = True
        self.is_exc = exc
        self.inputs = net.add_population(n_inputs, ss.SpikeSourceArray(), label="input")
        k = int(round(P.input_fraction * n_inputs * N))
        flat = rng.choice(n_inputs * N, size=k, replace=False)
        pre, post = flat // N, flat % N
        positive = rng.random(k) < 0.5
        scale = P.weight_scale if mode == "lsm" else 1.0
        w = P.w_max * scale
        self.projections = {}
        for name, m, sign in (("input+", positive, 1.0), ("input-", ~positive, -1.0)):
            self.projections[name] = net.connect(
                self.inputs, self.liquid, ss.FromList(pre[m], post[m]), weight=sign * w,
                receptor_type="excitatory" if sign > 0 else "inhibitory", label=name,
                synapse=self._stdp(sign > 0, excitatory_pre=True))
        views = {"E": self.liquid[np.flatnonzero(exc)], "I": self.liquid[np.flatnonzero(~exc)]}
        for a in "EI":
            for b in "EI":
                self.projections[a + b] = net.connect(
                    views[a], views[b], ss.DistanceDependent(C=P.conn[a, b], lambda_=P.lambda_,
                                                             allow_self=False),
                    weight=w if a == "E" else -w, label=a + b,
                    receptor_type="excitatory" if a == "E" else "inhibitory",
                    synapse=self._stdp(a == "E", excitatory_pre=a == "E"))
        self.astrocyte = None
        if mode == "nalsm":
            self.astrocyte = net.add_astrocytes(
                1, ss.NALSMAstrocyte(tau_A=P.tau_A, w_A=P.astro_w, b_A=P.b_A, decay=P.lr_decay),
                positive=[self.liquid], negative=[self.inputs], density=P.astro_density,
                label="astrocyte")
        g = P.lr_decay
        self.inh_projections = [self.projections["IE"], self.projections["II"]]
        # the sparse-mask astrocyte counts only some neurons' spikes but scales every synapse;
        # spikesim links an astrocyte only to synapses onto neurons it listens to, so then
        # both A factors are set per chunk (run_samples); at full density the kernel links it
        self._chunked = mode == "nalsm" and P.astro_density < 1.0
        self._exc_scalar = [j for j in self.projections.values()
                            if j not in self.inh_projections] if self._chunked else []
        if self.plastic:
            for name, j in self.projections.items():
                inh = j in self.inh_projections
                # eta decays by g per ms; A decays by itself (the astrocyte's own g)
                a_on_plus = mode == "nalsm" and inh
                a_on_minus = mode == "nalsm" and not inh
                # chunked: the factors are set to A before each chunk and then decay by g per
                # ms within it, as A does
                j.modulate(potentiation_decay=1.0 if a_on_plus and not self._chunked else g,
                           depression_decay=1.0 if a_on_minus and not self._chunked else g)
                if a_on_plus and not self._chunked:
                    j.modulate(potentiation=self.astrocyte)
                if a_on_minus and not self._chunked:
                    j.modulate(depression=self.astrocyte)
        self.spikes = net.record(self.liquid, "spikes")

    def _stdp(self, positive: bool, excitatory_pre: bool):
        return paper_synapse(self.mode, excitatory_pre, positive, self.params) if self.plastic else None

    # ---------------------------------------------------------------- weights
    def get_weights(self) -> dict:
        """Per-synapse weights of every projection (storage order), float64 copies."""
        return {k: np.array(j.weight, dtype=np.float64) for k, j in self.projections.items()}

    def set_weights(self, weights: dict) -> None:
        """Set the weights of the plastic projections from :meth:`get_weights` output."""
        for k, j in self.projections.items():
            if j.plastic:
                j.set_weights(weights[k])

    def recurrent_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(pre, post)`` liquid indices of every liquid-to-liquid synapse (for the branching factor)."""
        pre, post = [], []
        for a in "EI":
            for b in "EI":
                j = self.projections[a + b]
                i, o = j.connections()
                pre.append(i)
                post.append(o)
        return np.concatenate(pre), np.concatenate(post)

    # ---------------------------------------------------------------- running
    def run_samples(self, input_spikes: list, duration_ms: int, w_ini: dict | None = None,
                    keep_spikes=(), time_bins: int = 1) -> tuple[np.ndarray, dict]:
        """Present samples one after the other, each from a reset state.

        Parameters
        ----------
        input_spikes : list of boolean arrays ``(duration_ms, n_inputs)``
            Input-neuron spikes of each sample, step by step (:func:`input_neuron_spikes`).
        duration_ms : int
            Steps per sample.
        w_ini : dict, optional
            Weights every sample starts from (``None``: carry the weights over,
            as the W_INI initialisation does).
        keep_spikes : collection of int
            Positions in ``input_spikes`` whose liquid spikes to return.
        time_bins : int
            Count spikes in this many equal parts of each sample.

        Returns
        -------
        counts : int array ``(n_samples, time_bins, n_neurons)``, spike counts of every liquid neuron
        kept : dict position -> ``(steps, senders)`` with steps relative to the sample start
        """
        T = V.count("duration_ms", duration_ms, 1)
        n = len(input_spikes)
        net, N = self.net, self.liquid.size
        t0 = net.step
        hop1 = self.params.hop_ms == 1
        times, ids = [], []
        for k, sp in enumerate(input_spikes):
            sp = np.asarray(sp, dtype=bool)
            if sp.shape != (T, self.n_inputs):
                raise ValueError(f"input_spikes[{k}] must have shape ({T}, {self.n_inputs}), got {sp.shape}")
            s, i = np.nonzero(sp)
            if hop1 and s.shape[0] and s[0] == 0:
                raise ValueError(f"input_spikes[{k}] has spikes in step 0, which hop_ms=1 cannot "
                                 f"place (the paper's input neurons never fire then)")
            # emitted in step s (stamped at its end); with hop_ms=1 one step earlier, so
            # that an input spike moves the liquid in its own step as in the authors' code
            # (input_neuron_spikes never fires in step 0)
            times.append(t0 + k * T + s + (0.0 if hop1 else 1.0))
            ids.append(i)
        times, ids = np.concatenate(times), np.concatenate(ids)
        order = np.argsort(ids, kind="stable")
        lists = np.split(times[order], np.cumsum(np.bincount(ids, minlength=self.n_inputs))[:-1])
        self.inputs.set(spike_times=lists)
        chunk = self.params.inh_update_ms if self._chunked else T
        keep = w_ini is None and self.params.init_keeps_traces  # W_INI: weights carried over
        for k in range(n):
            net.reset_state(keep_traces=keep)
            if w_ini is not None and self.plastic:
                self.set_weights(w_ini)
            if not self._chunked:
                net.run(float(T), progress=False)
                continue
            for a in range(0, T, chunk):
                A = max(float(self.astrocyte.A[0]), 0.0)  # modulate() takes factors >= 0
                for j in self.inh_projections:
                    j.modulate(potentiation=A)
                for j in self._exc_scalar:
                    j.modulate(depression=A)
                net.run(float(min(chunk, T - a)), progress=False)
        sp = self.spikes.spikes
        steps = np.round(sp.times).astype(np.int64) - 1 - t0
        senders = sp.senders
        self.spikes.clear()  # the next call reads only its own spikes; memory stays bounded
        sample = steps // T
        bins = V.count("time_bins", time_bins, 1)
        counts = np.zeros((n, bins, N), np.int64)
        np.add.at(counts, (sample, (steps - sample * T) * bins // T, senders), 1)
        kept = {k: (steps[sample == k] - k * T, senders[sample == k]) for k in keep_spikes}
        return counts, kept

    def initialise(self, input_spikes: list, duration_ms: int) -> dict:
        """The W_INI initialisation: samples back to back with plasticity on, weights carried over.

        Use a liquid built with ``lr_decay=1`` (the paper's initialisation runs
        without the within-sample decays). Returns :meth:`get_weights`.
        """
        if self.plastic:
            self.run_samples(input_spikes, duration_ms)
        return self.get_weights()


def paper_synapse(mode: str, excitatory_pre: bool, positive: bool, params: LSMParams):
    """The spikesim synapse type of the paper's STDP rule (see the module docstring).

    Excitatory or input presynaptic neurons: Hebbian window, ``eta`` on the
    post-spike term and ``A`` (``nalsm``: astrocyte, via ``modulate(depression=)``)
    or ``eta`` (``stdp``) on the pre-arrival term. Inhibitory presynaptic neurons:
    anti-Hebbian window, ``A`` (``nalsm``: set with ``modulate(potentiation=)``) or
    ``eta`` on the post-spike term, ``eta`` on the pre-arrival term. Bounds
    ``[0, w_max]`` (``positive``) or ``[-w_max, 0]``. The scalar rates' per-ms
    decay ``lr_decay`` is applied with ``modulate(potentiation_decay=,
    depression_decay=)`` (:class:`Liquid` does this).
    """
    V.choice("mode", mode, ("stdp", "nalsm"))
    P = params
    d, c, g, eta = P.trace_decay, P.trace_jump, P.lr_decay, P.eta
    tau = -1.0 / np.log(d)
    if excitatory_pre:
        a_plus = eta * c * d
        a_minus = c / d if mode == "nalsm" else eta * c / (d * g)
    else:
        a_plus = c * d if mode == "nalsm" else eta * c * d
        a_minus = eta * c / (d * g)
    bounds = (0.0, P.w_max) if positive else (-P.w_max, 0.0)
    return ss.STDP(ss.SpikePairRule(tau_plus=tau, tau_minus=tau, A_plus=a_plus, A_minus=a_minus),
                   ss.AdditiveWeightDependence(*bounds, absolute=True),
                   window="hebbian" if excitatory_pre else "anti_hebbian",
                   same_step_pairs=P.same_step_pairs)


def init_params(params: LSMParams) -> LSMParams:
    """The parameters of the W_INI initialisation: the same liquid without learning-rate decay."""
    return replace(params, lr_decay=1.0)
