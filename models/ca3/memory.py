"""A spiking content-addressable memory modelled on hippocampal CA3.

Casanueva-Morato, Ayuso-Martinez, Dominguez-Morales, Jimenez-Fernandez and
Jimenez-Moreno, "Bio-inspired computational memory model of the Hippocampus:
an approach to a neuromorphic spike-based Content-Addressable Memory",
Neural Networks (2024); built there in PyNN for SpiNNaker (sPyMem).

A memory of ``C`` cues (one-hot addresses) holds one ``K``-bit content per
cue. Two all-to-all STDP projections store it: cueCue -> contCue (cue to
content) and contCont -> cueCont (content to cue). Operations are input
spikes; results are read from an output population of ``C + K`` neurons
(cues first, then content bits):

- learn(cue, bits): the cue and the bits fire together at t, t+1, t+2 ms;
  learning a new content under a used cue overwrites it (STDP depression);
- recall(cue): one spike to the cue; the output shows the cue, then its content;
- recall_by_content(bits): one spike to any subset of bits; the output shows
  every cue whose content shares at least one of those bits.

The next operation may start 7 ms after a learn and 6 ms after a recall
(closer is refused); protocols default to 16 ms (:data:`DEFAULT_SPACING`).
Populations, weights (nA) and STDP follow the paper; how its delays, ``cm``
and STDP amplitudes are mapped onto spikesim's (NEST's) update order and
axonal STDP delays is documented in :mod:`spikesim.models.ca3.params`
(``mapping="nest"``, the default). Two properties of the model itself: a
recall by a fragment of several bits also writes (each bit is potentiated
onto every cue the fragment recalls), and overwriting a cue leaves its old
content-to-cue links just below the firing threshold.

Examples
--------
>>> from spikesim.models.ca3 import CA3Memory
>>> mem = CA3Memory(cues=5, bits=10)
>>> mem.learn(0, {0, 1, 8, 9})
>>> sorted(mem.recall(0))
[0, 1, 8, 9]
>>> sorted(mem.recall_by_content({8}))
[0]
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

import spikesim as ss

from . import params as P

KINDS = ("learn", "recall", "recall_by_content")
# Operations may start 7 ms after a learn and 6 ms after a recall (the paper's minimum spacing;
# closer ones are refused). At that pace STDP (tau 3 ms) lets neighbouring operations interfere:
# a learn depresses the content-to-cue links stored 7 ms before by up to ~3.6 nA. At 10 ms (the
# paper's functional test) structured protocols are exact, but long random streams accumulate
# small potentiations (~0.15 nA per pair 10 ms apart) on stale content-to-cue links until recall
# by content returns extra cues; from 14-16 ms on they stay exact (benchmarks/README.md).
DEFAULT_SPACING = 16.0


@dataclass(frozen=True)
class Op:
    """One operation: ``kind`` in :data:`KINDS`, a ``cue`` (learn, recall) and/or ``bits``."""

    kind: str
    cue: int | None = None
    bits: frozenset | None = None


@dataclass(frozen=True)
class OpResult:
    """What the output showed for one operation.

    ``result`` is what the API returns: ``None`` for learn, the recalled bits
    for recall, the recalled cues for recall_by_content. ``cues`` and ``bits``
    are every cue and content neuron of the output that fired in the
    operation's read-out window ``[t_read, t_read + 6)`` ms.
    """

    op: Op
    time: float
    t_read: float
    cues: frozenset
    bits: frozenset

    @property
    def result(self):
        if self.op.kind == "recall":
            return self.bits
        if self.op.kind == "recall_by_content":
            return self.cues
        return None


class CA3Memory:
    """A CA3 content-addressable memory of ``cues`` addresses and ``bits``-bit contents.

    Parameters
    ----------
    cues, bits : int
        ``C`` and ``K`` (>= 1 each).
    network : spikesim.Network, optional
        Build inside this network (its ``dt`` must be 1.0 ms); default a new
        ``Network(dt=1.0, seed=0)``.
    mapping : {"nest", "published"}
        How the published numbers are translated to spikesim's update order
        (see :mod:`spikesim.models.ca3.params`). "published" uses them verbatim
        and is kept for comparison: learning and recall fail with it here.
    record : {"output", "all"}
        Record the output population only, or every population (rasters).
    label : str
        Prefix of the population labels (``"<label>.cueCueRecall"``, ...).
    spec : ca3_params.Spec, optional
        Explicit numbers (cm, delays, STDP) instead of ``mapping``'s, for experiments.

    Attributes
    ----------
    net : Network
    input : Population
        SpikeSourceArray of ``C + K`` neurons: cue ``i`` is neuron ``i``, bit ``b`` is ``C + b``.
    output : Population
        ``C + K`` neurons, same layout.
    populations : dict
        Every population by its short name (``"cueCueRecall"``, ..., ``"input"``, ``"output"``).
    projections : dict
        Every projection by name (see ``ca3_params.PROJECTIONS``); the plastic ones are
        ``"cue_to_cont"`` and ``"cont_to_cue"``.
    recorders : dict
        Spike recorders by population name.
    """

    def __init__(self, cues: int, bits: int, network=None, mapping: str = "nest",
                 record: str = "output", label: str = "ca3", spec: P.Spec | None = None) -> None:
        self.C = _count("cues", cues)
        self.K = _count("bits", bits)
        if record not in ("output", "all"):
            raise ValueError(f"record must be 'output' or 'all', got {record!r}")
        self.spec = P.network_spec(mapping) if spec is None else spec
        if network is None:
            network = ss.Network(dt=P.DT, seed=0)
        if not isinstance(network, ss.Network):
            raise TypeError(f"network must be a spikesim.Network or None, got {network!r}")
        if network.dt != P.DT:
            raise ValueError(f"CA3Memory needs a network with dt = {P.DT} ms (the model's timing is "
                             f"in whole ms), got dt = {network.dt!r}")
        self.net = network
        self.label = str(label)
        self.populations: dict = {}
        self.projections: dict = {}
        self._build()
        names = self.populations if record == "all" else ["output"]
        self.recorders = {n: self.net.record(self.populations[n], "spikes") for n in names}
        self._pending = [np.zeros(0) for _ in range(self.C + self.K)]
        self._free_at = 0.0      # earliest start of the next operation (minimum spacing)
        self._last = None        # (kind, time) of the latest scheduled operation

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        C, K, net, spec = self.C, self.K, self.net, self.spec
        sizes = {"C": C, "K": K, "1": 1, "C+K": C + K}
        self.input = net.add_population(C + K, ss.SpikeSourceArray(spike_times=[[]] * (C + K)),
                                        label=f"{self.label}.input")
        self.populations["input"] = self.input
        for name, size, _, tau_m, v_thresh in P.POPULATIONS:
            cell = ss.IF_curr_exp(**{**P.NEURON, "cm": spec.cm[name], "tau_m": tau_m,
                                     "v_thresh": v_thresh})
            self.populations[name] = net.add_population(sizes[size], cell, label=f"{self.label}.{name}",
                                                        initial_v=P.V_INIT)
        self.output = self.populations["output"]
        s = spec.stdp
        rule = ss.STDP(ss.SpikePairRule(tau_plus=s["tau_plus"], tau_minus=s["tau_minus"],
                                        A_plus=s["A_plus"], A_minus=s["A_minus"]),
                       ss.AdditiveWeightDependence(w_min=s["w_min"], w_max=s["w_max"], absolute=True))
        for name, pre, post, conn, w, _, receptor in P.PROJECTIONS:
            a, b = self._endpoint(pre), self._endpoint(post)
            weight = 6.0 * K if w == "6K" else float(w)
            if receptor == "inhibitory":
                weight = -weight
            kw = dict(weight=weight, delay=spec.delays[name], receptor_type=receptor,
                      label=f"{self.label}.{name}")
            if conn == "one_to_one":
                c = ss.OneToOne()
            elif conn == "all_to_all":
                c = ss.AllToAll()
            elif conn == "stdp":
                c = ss.AllToAll()
                kw["synapse"] = rule
            else:  # all_but_self: i -> j for i != j (sPyNNaker's AllToAllConnector semantics)
                n = len(a)
                i, j = np.nonzero(~np.eye(n, dtype=bool))
                c = ss.FromList(i, j)
            self.projections[name] = net.connect(a, b, c, **kw)

    def _endpoint(self, name: str):
        pop, _, part = name.partition(".")
        p = self.populations[pop]
        if part == "cue":
            return p[0:self.C]
        if part == "cont":
            return p[self.C:self.C + self.K]
        return p

    # ------------------------------------------------------------------ validation
    def _cue(self, cue) -> int:
        if isinstance(cue, bool) or not isinstance(cue, numbers.Integral):
            raise TypeError(f"cue must be an integer in 0..{self.C - 1}, got {cue!r}")
        if not 0 <= cue < self.C:
            raise ValueError(f"cue {int(cue)} is out of range for a memory of {self.C} cues "
                             f"(0..{self.C - 1})")
        return int(cue)

    def _bits(self, bits) -> frozenset:
        if isinstance(bits, np.ndarray) and bits.dtype == bool:
            if bits.shape != (self.K,):
                raise ValueError(f"a boolean content must have shape ({self.K},), got {bits.shape}")
            bits = np.flatnonzero(bits).tolist()
        if isinstance(bits, (str, bytes)) or not hasattr(bits, "__iter__"):
            raise TypeError(f"content must be an iterable of bit indices in 0..{self.K - 1}, "
                            f"got {bits!r}")
        out = set()
        for b in bits:
            if isinstance(b, (bool, np.bool_)) or not isinstance(b, numbers.Integral):
                raise TypeError(f"content bit {b!r} is not an integer (bits are indices in "
                                f"0..{self.K - 1})")
            if not 0 <= b < self.K:
                raise ValueError(f"content bit {int(b)} is out of range for {self.K}-bit contents "
                                 f"(0..{self.K - 1})")
            out.add(int(b))
        if not out:
            raise ValueError("content is empty: give at least one bit index")
        return frozenset(out)

    def op(self, kind: str, *args) -> Op:
        """A validated :class:`Op`: ``op("learn", cue, bits)``, ``op("recall", cue)``,
        ``op("recall_by_content", bits)``; tuples of the same form are accepted everywhere."""
        n_args = {"learn": 2, "recall": 1, "recall_by_content": 1}
        if kind not in n_args:
            raise ValueError(f"operation must be one of {KINDS}, got {kind!r}")
        if len(args) != n_args[kind]:
            form = {"learn": "('learn', cue, bits)", "recall": "('recall', cue)",
                    "recall_by_content": "('recall_by_content', bits)"}[kind]
            raise ValueError(f"{kind} takes {n_args[kind]} argument(s): {form}, got {args!r}")
        if kind == "learn":
            return Op(kind, self._cue(args[0]), self._bits(args[1]))
        if kind == "recall":
            return Op(kind, self._cue(args[0]))
        return Op(kind, bits=self._bits(args[0]))

    def _as_op(self, item) -> Op:
        if isinstance(item, Op):
            args = {"learn": (item.cue, item.bits), "recall": (item.cue,),
                    "recall_by_content": (item.bits,)}.get(item.kind, ())
            return self.op(item.kind, *args)
        if isinstance(item, (tuple, list)) and item:
            return self.op(item[0], *item[1:])
        raise TypeError(f"an operation is a tuple like ('recall', 3), got {item!r}")

    # ------------------------------------------------------------------ raw spike I/O
    def input_index(self, cue=None, bit=None) -> int:
        """Index in :attr:`input` / :attr:`output` of a cue or a content bit."""
        if (cue is None) == (bit is None):
            raise ValueError("give exactly one of cue= or bit=")
        return self._cue(cue) if cue is not None else self.C + next(iter(self._bits([bit])))

    def op_spikes(self, op, at: float) -> tuple[np.ndarray, np.ndarray]:
        """Input spikes ``(neurons, times)`` of one operation starting at ``at`` ms (pure)."""
        op = self._as_op(op)
        if op.kind == "learn":
            neurons = [op.cue] + [self.C + b for b in sorted(op.bits)]
            offs = P.LEARN_SPIKES
        elif op.kind == "recall":
            neurons, offs = [op.cue], (0.0,)
        else:
            neurons, offs = [self.C + b for b in sorted(op.bits)], (0.0,)
        n = np.repeat(np.asarray(neurons, np.int64), len(offs))
        t = float(at) + np.tile(np.asarray(offs), len(neurons))
        return n, t

    def send(self, neurons, times) -> None:
        """Schedule raw input spikes: ``neurons`` (indices in :attr:`input`) at ``times`` (ms).

        Times must lie after the current time and on the 1 ms grid; spikes
        already scheduled stay (a neuron fires at most once per step).
        """
        neurons = np.atleast_1d(np.asarray(neurons))
        times = np.atleast_1d(np.asarray(times, dtype=np.float64))
        if neurons.shape != times.shape or neurons.ndim != 1:
            raise ValueError(f"neurons and times must be 1-D and of equal length, got shapes "
                             f"{neurons.shape} and {times.shape}")
        if neurons.size == 0:
            return
        if neurons.dtype.kind not in "iu":
            raise TypeError(f"neurons must be integer indices, got {neurons.dtype} values")
        n_in = self.C + self.K
        bad = (neurons < 0) | (neurons >= n_in)
        if bad.any():
            raise ValueError(f"input neuron {int(neurons[bad][0])} is out of range (0..{n_in - 1}: "
                             f"cues 0..{self.C - 1}, bits {self.C}..{n_in - 1})")
        if not np.isfinite(times).all():
            raise ValueError(f"spike times must be finite, got {float(times[~np.isfinite(times)][0])!r}")
        off = np.abs(times - np.round(times)) > 1e-9
        if off.any():
            raise ValueError(f"spike time {float(times[off][0])!r} ms is not on the {P.DT} ms grid")
        now = self.net.t
        late = times <= now
        if late.any():
            raise ValueError(f"spike time {float(times[late][0])!r} ms is not after the current time "
                             f"({now!r} ms)")
        for i in np.unique(neurons):
            new = np.concatenate([self._pending[i][self._pending[i] > now], times[neurons == i]])
            self._pending[i] = np.unique(np.round(new))
        self.input.set(spike_times=self._pending)

    def output_spikes(self, t_start: float = 0.0, t_stop: float = np.inf):
        """Output spikes with ``t_start <= time < t_stop``: ``(times ms, senders)``; sender
        ``i < C`` is cue ``i``, ``C + b`` is bit ``b``."""
        sp = self.recorders["output"].spikes
        m = (sp.times >= t_start) & (sp.times < t_stop)
        return sp.times[m], sp.senders[m]

    def decode(self, t_start: float, t_stop: float) -> tuple[frozenset, frozenset]:
        """``(cues, bits)`` whose output neurons fired in ``[t_start, t_stop)``."""
        _, s = self.output_spikes(t_start, t_stop)
        return (frozenset(int(x) for x in s[s < self.C]),
                frozenset(int(x) - self.C for x in s[s >= self.C]))

    def read_window(self, at: float) -> tuple[float, float]:
        """Read-out window ``[t0, t1)`` of a recall whose input spike is at ``at`` ms."""
        t0 = float(at) + self.spec.latency
        return t0, t0 + P.MIN_SPACING["recall"]

    def run_until(self, t: float, progress: bool = False) -> None:
        """Advance the network to time ``t`` ms (no-op if it is there already)."""
        if t > self.net.t:
            self.net.run(float(np.ceil(t - self.net.t - 1e-9)), progress=progress)

    # ------------------------------------------------------------------ operations
    def schedule(self, ops, times=None, spacing: float | None = None, start: float | None = None):
        """Check ``ops`` and their start times; return ``(ops, times)`` without scheduling.

        ``times``: one start time (ms) per operation; otherwise each starts
        ``max(spacing, minimum spacing after the previous one)`` after it
        (``spacing`` defaults to :data:`DEFAULT_SPACING`, 16 ms), the first at
        ``start`` (default: as early as allowed). Raises ValueError naming the
        operations when two are closer than the model's minimum spacing (7 ms
        after a learn, 6 ms after a recall).
        """
        ops = [self._as_op(o) for o in ops]
        earliest = max(self._free_at, self.net.t + 2.0)
        if times is None:
            spacing = DEFAULT_SPACING if spacing is None else spacing
            if isinstance(spacing, bool) or not isinstance(spacing, numbers.Real) or not (
                    np.isfinite(spacing) and spacing > 0):
                raise ValueError(f"spacing must be a positive number of ms, got {spacing!r}")
            t = earliest if start is None else float(start)
            times = []
            for i, o in enumerate(ops):
                times.append(t)
                t += max(float(spacing), P.MIN_SPACING[o.kind])
        times = [float(x) for x in times]
        if len(times) != len(ops):
            raise ValueError(f"times has {len(times)} entries for {len(ops)} operations")
        prev = self._last
        for i, (o, t) in enumerate(zip(ops, times)):
            if not np.isfinite(t) or abs(t - round(t)) > 1e-9:
                raise ValueError(f"operation {i} ({o.kind}) starts at {t!r} ms; start times are "
                                 f"whole ms")
            if t < self.net.t + 2.0:
                raise ValueError(f"operation {i} ({o.kind}) starts at {t!r} ms, before the earliest "
                                 f"possible start ({self.net.t + 2.0!r} ms: now + 2 ms)")
            if prev is not None:
                gap, need = t - prev[1], P.MIN_SPACING[prev[0]]
                if gap < need:
                    where = "the previously scheduled" if i == 0 else f"operation {i - 1}"
                    raise ValueError(f"operation {i} ({o.kind}) at {t!r} ms starts {gap!r} ms after "
                                     f"{where} {prev[0]} at {prev[1]!r} ms; the minimum spacing "
                                     f"after a {prev[0]} is {need!r} ms")
            prev = (o.kind, t)
        return ops, times

    def submit(self, ops, times=None, spacing: float | None = None, start: float | None = None,
               perturb=None) -> tuple[list, list]:
        """Schedule ``ops`` as input spikes without running; return ``(ops, times)``.

        Use it to build a whole protocol before exporting the network (the
        exported script replays the scheduled input), then :meth:`read` the
        results. See :meth:`schedule` for ``times``, ``spacing`` and ``start``.
        ``perturb(op, neurons, times) -> (neurons, times)`` may change each
        operation's input spikes (drop some, add spurious ones) before they
        are sent.
        """
        ops, times = self.schedule(ops, times, spacing, start)
        if ops:
            spikes = [self.op_spikes(o, t) for o, t in zip(ops, times)]
            if perturb is not None:
                spikes = [perturb(o, n, t) for o, (n, t) in zip(ops, spikes)]
            neurons = np.concatenate([np.asarray(n, np.int64) for n, _ in spikes])
            if neurons.size:
                self.send(neurons, np.concatenate([np.asarray(t, np.float64) for _, t in spikes]))
            self._last = (ops[-1].kind, times[-1])
            self._free_at = times[-1] + P.MIN_SPACING[ops[-1].kind]
        return ops, times

    def read(self, ops, times, spikes=None) -> list[OpResult]:
        """Decode the results of operations started at ``times`` from the output spikes.

        ``spikes``: ``(times, senders)`` of the output population from elsewhere
        (e.g. the exported network run on NEST); default this memory's recording.
        """
        if spikes is None:
            st, sn = self.output_spikes()
        else:
            st, sn = (np.asarray(a) for a in spikes)
        order = np.argsort(st, kind="stable")
        st, sn = st[order], sn[order]
        out = []
        for o, t in zip(ops, times):
            o = self._as_op(o)
            t0, t1 = self.read_window(t)
            a, b = np.searchsorted(st, [t0, t1], side="left")
            s = sn[a:b]
            out.append(OpResult(o, float(t), t0, frozenset(int(x) for x in s[s < self.C]),
                                frozenset(int(x) - self.C for x in s[s >= self.C])))
        return out

    def run_protocol(self, ops, times=None, spacing: float | None = None,
                     start: float | None = None, perturb=None) -> list[OpResult]:
        """Schedule ``ops`` as input spikes, run until every result is read, decode them.

        ``ops`` are tuples ``("learn", cue, bits)``, ``("recall", cue)`` or
        ``("recall_by_content", bits)`` (or :class:`Op`); see :meth:`schedule`
        for ``times``, ``spacing`` and ``start``, :meth:`submit` for ``perturb``.
        Returns one :class:`OpResult` per operation; ``[r.result for r in ...]``
        are the API's return values.
        """
        ops, times = self.submit(ops, times, spacing, start, perturb)
        if not ops:
            return []
        self.run_until(self.read_window(times[-1])[1])
        return self.read(ops, times)

    def learn(self, cue: int, bits, at: float | None = None) -> None:
        """Store ``bits`` under ``cue`` (overwriting what it held); runs the network."""
        self.run_protocol([("learn", cue, bits)], times=None if at is None else [at])

    def recall(self, cue: int, at: float | None = None) -> frozenset:
        """The content stored under ``cue`` (the bits the output shows); runs the network."""
        return self.run_protocol([("recall", cue)], times=None if at is None else [at])[0].result

    def recall_by_content(self, bits, at: float | None = None) -> frozenset:
        """Every cue whose content shares a bit with ``bits``; runs the network."""
        return self.run_protocol([("recall_by_content", bits)],
                                 times=None if at is None else [at])[0].result

    # ------------------------------------------------------------------ inspection
    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Plastic weights (nA): ``cue_to_content`` (C, K) and ``content_to_cue`` (K, C)."""
        return (self.projections["cue_to_cont"].get_weights("array"),
                self.projections["cont_to_cue"].get_weights("array"))

    def __repr__(self) -> str:
        return (f"CA3Memory(cues={self.C}, bits={self.K}, mapping={self.spec.mapping!r}, "
                f"t={self.net.t} ms)")


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    return int(value)
