"""SpiNNaker-style machine description of a network, with named design-rule checks.

Modelled on sPyNNaker / PACMAN: an *application graph* (one vertex per
population, one edge per projection, plus a delay-extension vertex for every
population with delays beyond the 16 ticks a synaptic row holds) is split into
a *machine graph* of slices of at most ``neurons_per_core`` neurons, one slice
per core; slices are placed on the chips of a board, get 32-bit routing keys
and masks, and every chip gets a multicast routing table that carries each
slice's spikes to the cores of its target slices. The synapses become rows of
16-bit weights with a left shift per (target population, synapse type) and
delay slots. Details: :mod:`.spinnaker_machine` (board, placement, keys,
routes, compression), :mod:`.spinnaker_synapses` (weights, delays, rows) and
:mod:`.spinnaker_fixedpoint` (a fixed-point reference run).

Design rules (``Violation.rule``; errors unless marked):

============================  ======================================================
``timestep``                  tick (default ``net.dt``) must be 1.0 or 0.1 ms
``neurons-per-core``          1 to 256 neurons per core
``unsupported-neuron-model``  neuron models with a ``spinnaker`` translation row and
                              excitatory/inhibitory synapses (IF_curr_exp, IF_cond_exp,
                              IF_curr_alpha, IF_curr_delta, sPyNNaker's Izhikevich ...),
                              SpikeSourceArray, SpikeSourcePoisson; no astrocytes
``unsupported-plasticity``    pair STDP with a hebbian window only (no triplet
                              rule, other windows, astrocyte modulation)
``parameter-range``           neuron parameters must fit s16.15 (``|x| < 65536``)
``delay-below-tick``          every delay is at least one tick
``delay-beyond-extension``    at most 144 ticks (16 in the row + 8 stages of 16)
``weight-overflow-16bit``     max ``|w|`` of a target fits 16 bits with a shift <= 15
``weight-underflow``          (warning) non-zero weights below half an LSB become 0
``board-capacity``            one core per slice; 16 application cores per chip
``key-space-overflow``        all keys fit 32 bits
``routing-table-overflow``    at most 1024 entries per chip after compression
``sdram-overflow``            synaptic rows of the slices on a chip fit its SDRAM
============================  ======================================================

Plastic projections are exported with their current weights (a snapshot);
sPyNNaker's STDP rule parameters are listed in the application graph.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field

import numpy as np

from ..neuromodulation import refuse as refuse_neuromodulation
from . import ExportError, integrating_refractory
from . import spinnaker_machine as M
from . import spinnaker_synapses as S
from .spinnaker_compare import FixedPointReport  # noqa: F401  (re-export)
from .spinnaker_files import H5_NAME, JSON_NAME, atomic_write, write_h5, write_json  # noqa: F401
from .spinnaker_fixedpoint import fixed_point_run  # noqa: F401  (re-export)
from .spinnaker_machine import Board, RoutingEntry, RoutingTable, board_layout, trace  # noqa: F401
from .spinnaker_synapses import SynapticMatrix  # noqa: F401

MAX_NEURONS_PER_CORE = 256
TICKS_MS = (1.0, 0.1)
SOURCES = ("SpikeSourceArray", "SpikeSourcePoisson")


def spinnaker_name(celltype) -> str | None:
    """sPyNNaker's name of a cell type: its model's ``spinnaker`` row, or the source's name.

    A neuron model maps when sPyNNaker has it (the row is not None) and it has the two
    synapse types this description routes (``excitatory``, ``inhibitory``).
    """
    if celltype.kind == 0:
        return type(celltype).__name__ if type(celltype).__name__ in SOURCES else None
    m = celltype.model
    if tuple(m.RECEPTORS) != ("excitatory", "inhibitory"):
        return None
    return m.TRANSLATIONS.get("spinnaker")
RULES = ("timestep", "neurons-per-core", "unsupported-neuron-model", "unsupported-plasticity",
         "parameter-range", "delay-below-tick", "delay-beyond-extension", "weight-overflow-16bit",
         "weight-underflow", "board-capacity", "key-space-overflow", "routing-table-overflow",
         "sdram-overflow")


@dataclass
class Violation:
    """One broken design rule: ``rule`` name, ``severity`` ("error"/"warning"), ``message``."""

    rule: str
    severity: str
    message: str


@dataclass
class AppVertex:
    """Application vertex: a population (``kind`` "neuron"/"source") or a delay extension ("delay")."""

    index: int
    label: str
    kind: str
    model: str
    n_atoms: int
    population: int          # index of the population (its source, for a delay vertex)
    n_delay_stages: int = 0
    slices: list = field(default_factory=list)  # machine vertex indices


@dataclass
class AppEdge:
    """Application edge: one projection."""

    index: int
    label: str
    pre: int                 # application vertex indices
    post: int
    receptor: str
    synapse_type: int        # 0 excitatory, 1 inhibitory
    plastic: bool
    n_synapses: int
    max_delay_ticks: int
    stdp: dict | None = None


@dataclass
class MachineVertex:
    """A slice ``[lo, hi)`` of an application vertex on core ``(x, y, p)`` with key and mask."""

    index: int
    app_vertex: int
    label: str
    lo: int
    hi: int
    key: int = 0
    mask: int = M.FULL
    placement: tuple | None = None

    @property
    def n_atoms(self) -> int:
        return self.hi - self.lo


@dataclass
class MachineEdge:
    """Spikes of machine vertex ``pre`` reach ``post``: a projection's synapses of one delay
    stage (``projection >= 0``) or a source slice feeding its delay extension (``-1``)."""

    index: int
    pre: int
    post: int
    projection: int
    stage: int
    n_synapses: int


@dataclass
class MachineDescription:
    """Everything :func:`to_spinnaker` exports; see the module docstring.

    ``tables`` maps chips ``(x, y)`` to :class:`RoutingTable`; ``weight_shifts``
    maps ``(population label, receptor)`` to the left shift; ``matrices`` lists
    a :class:`SynapticMatrix` per projection machine edge (same order as the
    projection entries of ``machine_edges``); ``files`` names what was written.
    """

    board: Board
    tick_ms: float
    dt_ms: float
    neurons_per_core: int
    app_vertices: list
    app_edges: list
    machine_vertices: list
    machine_edges: list
    tables: dict
    weight_shifts: dict
    matrices: list
    violations: list
    files: dict = field(default_factory=dict)

    @property
    def errors(self) -> list:
        return [v for v in self.violations if v.severity == "error"]

    def targets(self, vertex: int) -> set:
        """Cores ``(x, y, p)`` that must receive the spikes of machine vertex ``vertex``."""
        mv = self.machine_vertices
        return {mv[e.post].placement for e in self.machine_edges
                if e.pre == vertex and mv[e.post].placement is not None}

    def route(self, key: int, vertex: int) -> tuple[set, list]:
        """Follow ``key`` sent by ``vertex``'s core through the tables (see :func:`trace`)."""
        return trace(self.tables, self.machine_vertices[vertex].placement[:2], key)

    def max_entries(self) -> int:
        return max((len(t.entries) for t in self.tables.values()), default=0)

    def to_json(self) -> dict:
        b = self.board
        return {
            "format": "spikesim-spinnaker", "version": 1,
            "board": {"name": b.name, "chips": [list(c) for c in b.chips],
                      "app_cores": list(b.app_cores), "max_entries": b.max_entries,
                      "sdram_bytes": b.sdram_bytes},
            "tick_ms": self.tick_ms, "dt_ms": self.dt_ms, "neurons_per_core": self.neurons_per_core,
            "application_graph": {"vertices": [asdict(v) for v in self.app_vertices],
                                  "edges": [asdict(e) for e in self.app_edges]},
            "machine_graph": {
                "vertices": [dict(asdict(v), n_atoms=v.n_atoms,
                                  placement=None if v.placement is None else list(v.placement))
                             for v in self.machine_vertices],
                "edges": [asdict(e) for e in self.machine_edges]},
            "routing_tables": [
                {"chip": list(c), "n_routes": t.n_routes, "n_default_routed": t.n_default_routed,
                 "merged": t.merged, "entries": [e.to_json() for e in t.entries]}
                for c, t in sorted(self.tables.items()) if t.entries or t.n_routes],
            "weight_shifts": [{"population": p, "receptor": r, "shift": s}
                              for (p, r), s in sorted(self.weight_shifts.items())],
            "design_rules": {"checked": list(RULES),
                             "violations": [asdict(v) for v in self.violations]},
            "synaptic_matrices": H5_NAME,
        }


# ---------------------------------------------------------------- building
def describe(net, neurons_per_core=MAX_NEURONS_PER_CORE, board="spinn5", tick_ms=None,
             compress=True) -> MachineDescription:
    """Build the machine description without raising on design rules (see :func:`check`).

    A broken rule is recorded in ``.violations`` and the build goes on with the
    offending value clamped (delays to 1-144 ticks, shifts to 15, slice size to
    1-256), so one call reports every rule a network breaks.
    """
    refuse_neuromodulation(net, "the SpiNNaker description")
    B = board_layout(board)
    if compress not in (True, False, "auto", "always"):
        raise ValueError(f"compress must be True, False or 'always', got {compress!r}")
    if isinstance(neurons_per_core, bool) or not isinstance(neurons_per_core, (int, np.integer)):
        raise TypeError(f"neurons_per_core must be an integer, got {neurons_per_core!r}")
    viol = []

    def add(rule, severity, message):
        viol.append(Violation(rule, severity, message))

    npc = int(neurons_per_core)
    if not 1 <= npc <= MAX_NEURONS_PER_CORE:
        add("neurons-per-core", "error", f"neurons_per_core must be 1 to {MAX_NEURONS_PER_CORE} "
            f"(sPyNNaker's limit per core), got {npc}")
        npc = min(max(npc, 1), MAX_NEURONS_PER_CORE)
    dt = float(net.dt)
    tick = dt if tick_ms is None else float(tick_ms)
    if not any(math.isclose(tick, t, rel_tol=1e-9) for t in TICKS_MS):
        add("timestep", "error", f"the machine tick must be 1.0 or 0.1 ms, got {tick:g} ms"
            + (" (net.dt; pass tick_ms=)" if tick_ms is None else ""))
    _model_rules(net, add)
    arrays, shifts = _synapse_values(net, dt, tick, add)
    app, edges, delay_of = _application_graph(net, arrays)
    mvs, mes, matrices = _machine_graph(net, app, delay_of, arrays, shifts, npc)
    tables = _place_and_route(mvs, mes, app, matrices, B, compress, add)
    names = {(p.label, r): shifts[(p.index, i)] for p in net.populations
             for i, r in enumerate(("excitatory", "inhibitory")) if (p.index, i) in shifts}
    return MachineDescription(B, tick, dt, npc, app, edges, mvs, mes, tables, names, matrices, viol)


def _model_rules(net, add) -> None:
    for g in getattr(net, "astrocytes", []):
        add("unsupported-neuron-model", "error",
            f"astrocyte group {getattr(g, 'label', type(g).__name__)!r} "
            f"({type(g).__name__}) has no sPyNNaker model")
    for p in net.populations:
        name = type(p.celltype).__name__
        if spinnaker_name(p.celltype) is None:
            why = ("sPyNNaker has no such model" if p.celltype.kind == 0
                   or p.celltype.model.TRANSLATIONS.get("spinnaker") is None else
                   f"its receptors {tuple(p.celltype.model.RECEPTORS)} are not the two synapse "
                   "types (excitatory, inhibitory) this description routes")
            add("unsupported-neuron-model", "error", f"population {p.label!r}: {name}: {why}")
            continue
        if integrating_refractory(p):
            add("unsupported-neuron-model", "error",
                f"population {p.label!r}: integrate_refractory=1 (the membrane integrates while "
                "refractory) has no sPyNNaker equivalent")
        if np.any(np.asarray(p.params.get("reset_subtract", 0)) != 0):
            add("unsupported-neuron-model", "error",
                f"population {p.label!r}: reset='subtract' has no sPyNNaker IF_curr_exp/IF_cond_exp "
                "equivalent")
        for k in p.params:  # sPyNNaker holds neuron parameters in s16.15
            if p.celltype.kind != 0 and np.max(np.abs(p.params[k]), initial=0.0) >= 65536.0:
                add("parameter-range", "error", f"population {p.label!r}: {k} does not fit s16.15")
    for proj in net.projections:
        if proj.plastic:
            syn = proj.synapse
            why = []
            if type(syn.timing).__name__ != "SpikePairRule":
                why.append(f"{type(syn.timing).__name__} (sPyNNaker has pair rules only)")
            if syn.window != "hebbian":
                why.append(f"window={syn.window!r}")
            if syn.sign != 1:
                why.append("sign=-1 (a rule on -w)")
            if not syn.same_step_pairs:
                why.append("same_step_pairs=False")
            if getattr(proj, "_astro_link", None) is not None:
                why.append("astrocyte-modulated " + {1: "depression", 2: "potentiation"}.get(
                    getattr(proj, "_astro_sides", 1), "potentiation and depression"))
            if any(m is not None for m in getattr(proj, "_masks", ())):
                why.append("per-synapse modulation masks")
            if why:
                add("unsupported-plasticity", "error", f"projection {proj.label!r}: " + ", ".join(why))


def _synapse_values(net, dt, tick, add) -> tuple[dict, dict]:
    """Per-projection synapse arrays (delays in ticks, clamped) and shifts per (population, type)."""
    arrays = {j.index: S.projection_arrays(j, dt, tick) for j in net.projections}
    for j in net.projections:
        for r in S.delay_violations(j, arrays[j.index], tick):
            add(*r)
        arrays[j.index]["ticks"] = np.clip(arrays[j.index]["ticks"], 1, S.MAX_DELAY_TICKS)
    shifts = {k: S.choose_shift(m) for k, m in S.target_max_weights(net, arrays).items()}
    for j in net.projections:
        for r in S.quantization_violations(j, arrays[j.index], shifts[_type_key(j)]):
            add(*r)
    return arrays, {k: (S.MAX_SHIFT if s is None else s) for k, s in shifts.items()}


def _type_key(j) -> tuple:
    return j.post_population.index, 0 if j.receptor_type == "excitatory" else 1


def _application_graph(net, arrays) -> tuple[list, list, dict]:
    pops = net.populations
    app = [AppVertex(p.index, p.label, "source" if p.celltype.kind == 0 else "neuron",
                     spinnaker_name(p.celltype) or type(p.celltype).__name__, p.size, p.index)
           for p in pops]
    stages = {}
    for j in net.projections:
        t = arrays[j.index]["ticks"]
        st = int(S.delay_split(t.max())[0]) if t.size else 0
        stages[j.pre.index] = max(stages.get(j.pre.index, 0), st)
    delay_of = {}
    for pi, st in sorted(stages.items()):
        if st > 0:
            delay_of[pi] = len(app)
            app.append(AppVertex(len(app), f"{pops[pi].label}_delayed", "delay", "DelayExtension",
                                 pops[pi].size, pi, n_delay_stages=st))
    edges = []
    for j in net.projections:
        stdp = None
        if j.plastic:
            s = j.synapse
            stdp = {"timing": type(s.timing).__name__, "weight": type(s.weight).__name__,
                    "window": s.window, **asdict(s.timing), "w_min": s.weight.w_min,
                    "w_max": s.weight.w_max, "amplitude_scale": getattr(s.weight, "scale", 1.0),
                    "delay_model": s.delay_model}  # sPyNNaker's own is "dendritic"
            if hasattr(s.timing, "A_plus"):  # sPyNNaker's additive amplitudes are weight changes
                stdp["A_plus_weight"] = s.timing.A_plus * stdp["amplitude_scale"]
                stdp["A_minus_weight"] = s.timing.A_minus * stdp["amplitude_scale"]
        t = arrays[j.index]["ticks"]
        edges.append(AppEdge(j.index, j.label, j.pre.index, j.post_population.index, j.receptor_type,
                             _type_key(j)[1], j.plastic, j.n_synapses, int(t.max(initial=0)), stdp))
    return app, edges, delay_of


def _machine_graph(net, app, delay_of, arrays, shifts, npc) -> tuple[list, list, list]:
    mvs, slices_of = [], {}
    for a in app:
        sl = [(lo, min(lo + npc, a.n_atoms)) for lo in range(0, a.n_atoms, npc)]
        slices_of[a.index] = sl
        for lo, hi in sl:
            a.slices.append(len(mvs))
            mvs.append(MachineVertex(len(mvs), a.index, f"{a.label}[{lo}:{hi}]", lo, hi))
    mes, matrices = [], []
    for pi, di in delay_of.items():
        for s, d in zip(app[pi].slices, app[di].slices):
            mes.append(MachineEdge(len(mes), s, d, -1, 0, 0))
    for j in net.projections:
        pi, qi = j.pre.index, j.post_population.index
        ms = S.build_matrices(j, arrays[j.index], shifts[_type_key(j)], slices_of[pi], slices_of[qi],
                              app[pi].slices, app[delay_of[pi]].slices if pi in delay_of else None,
                              app[qi].slices, M.bits_for(npc), len(mes))
        mes += [MachineEdge(len(mes) + k, m.pre_vertex, m.post_vertex, j.index, m.stage, m.n_synapses)
                for k, m in enumerate(ms)]
        matrices += ms
    return mvs, mes, matrices


def _place_and_route(mvs, mes, app, matrices, B, compress, add) -> dict:
    placements, unplaced = M.place(len(mvs), B)
    if unplaced:
        add("board-capacity", "error", f"{len(mvs)} machine vertices need {len(mvs)} cores; "
            f"board {B.name!r} has {B.n_cores} application cores ({len(B.chips)} chips x "
            f"{len(B.app_cores)})")
    for v, pl in zip(mvs, placements):
        v.placement = pl
    key_req = [[(mvs[i].n_atoms, M.bits_for(a.n_delay_stages) if a.kind == "delay" else 0)
                for i in a.slices] for a in app]
    keys, total = M.allocate_keys(key_req)
    if total > 2 ** 32:
        add("key-space-overflow", "error", f"the keys need {total} values, more than 2^32")
    for a in app:
        for s, vi in enumerate(a.slices):
            mvs[vi].key, mvs[vi].mask = keys[a.index][s][0] & M.FULL, keys[a.index][s][1]
    targets = {}
    for e in mes:
        targets.setdefault(e.pre, set()).add(e.post)
    trees = M.multicast_trees([(v, sorted(t)) for v, t in sorted(targets.items())], placements)
    tables = M.build_tables(trees, {v.index: (v.key, v.mask) for v in mvs}, B,
                            "auto" if compress is True else compress)
    for c, t in sorted(tables.items()):
        if len(t.entries) > B.max_entries:
            add("routing-table-overflow", "error", f"chip {c} needs {len(t.entries)} routing "
                f"entries after compression (at most {B.max_entries})")
    sdram = {}
    for m in matrices:
        pl = mvs[m.post_vertex].placement
        if pl is not None:
            sdram[pl[:2]] = sdram.get(pl[:2], 0) + m.nbytes
    for c, b in sorted(sdram.items()):
        if b > B.sdram_bytes - M.SDRAM_RESERVED:
            add("sdram-overflow", "error", f"chip {c}: synaptic rows need {b} bytes, more than "
                f"{B.sdram_bytes - M.SDRAM_RESERVED} available")
    return tables


def check(net, neurons_per_core=MAX_NEURONS_PER_CORE, board="spinn5", tick_ms=None,
          compress=True) -> list:
    """All design-rule violations (errors and warnings) of exporting ``net``; never raises on them."""
    return describe(net, neurons_per_core, board, tick_ms, compress).violations


def raise_errors(desc: MachineDescription, rules=None) -> None:
    """Raise :class:`ExportError` for the first error (of ``rules``, if given), listing all."""
    errs = [v for v in desc.errors if rules is None or v.rule in rules]
    if errs:
        msg = "; ".join(f"[{v.rule}] {v.message}" for v in errs)
        raise ExportError(f"cannot export to SpiNNaker: {msg}", rule=errs[0].rule)


def to_spinnaker(net, out_dir, neurons_per_core=MAX_NEURONS_PER_CORE, board="spinn5",
                 tick_ms=None, compress=True) -> MachineDescription:
    """Write ``net`` as a SpiNNaker-style machine description into ``out_dir``.

    Parameters
    ----------
    net : Network
    out_dir : str or path
        Created if missing; receives ``machine.json`` (graphs, placements, keys,
        routing tables, weight shifts, design-rule report) and ``synapses.h5``
        (synaptic rows, see :func:`write_h5`).
    neurons_per_core : int
        Slice size, 1-256.
    board : "spinn5", "spinn3" or (width, height)
    tick_ms : float, optional
        Machine time step, 1.0 or 0.1 ms; default ``net.dt``.
    compress : True, False or "always"
        Routing-table compression (see :func:`spinnaker_machine.build_tables`).

    Returns
    -------
    MachineDescription

    Raises
    ------
    ExportError
        If a design rule is broken; ``.rule`` names the first (the message lists all).
    """
    desc = describe(net, neurons_per_core, board, tick_ms, compress)
    raise_errors(desc)
    os.makedirs(out_dir, exist_ok=True)
    jpath, hpath = os.path.join(out_dir, JSON_NAME), os.path.join(out_dir, H5_NAME)
    atomic_write(jpath, lambda p: write_json(desc, p))
    atomic_write(hpath, lambda p: write_h5(desc, p))
    desc.files = {"json": jpath, "h5": hpath}
    return desc
