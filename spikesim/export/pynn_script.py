"""A spikesim network as a standalone PyNN (0.13) script, for pyNN.nest and sPyNNaker.

``to_pynn_script(net, "net_pynn.py")`` writes a script that rebuilds the
network in PyNN, simulates it and saves the spikes of every population::

    python net_pynn.py                          # pyNN.nest, spikes -> net_pynn_spikes.npz
    python net_pynn.py --simulator spiNNaker --out spikes.npz --duration 500

The output ``.npz`` holds ``labels`` and, per population ``k`` (in the order
of ``net.populations``), ``times_k`` (ms) and ``senders_k`` (index within the
population); per plastic projection ``j`` (index in ``net.projections``)
``weights_j``: the final ``(pre, post, weight)`` rows as PyNN reports them.

What maps (a table, not a translation: names and units are PyNN's)
------------------------------------------------------------------
- ``IF_curr_exp``, ``IF_cond_exp``: every parameter, scalar or per neuron;
  ``tau_refrac`` as the whole number of steps spikesim uses. Initial ``v`` is
  the network's current membrane potential (``initialize(v=...)``).
- ``SpikeSourceArray``: the spike times on spikesim's grid (rounded as
  spikesim rounds them).
- ``SpikeSourcePoisson``: ``rate`` (per neuron), ``start``, ``duration``;
  ``rate_changes`` map to a run cut into segments with ``population.set(rate=...)``
  between them (supported by pyNN.nest and sPyNNaker). On pyNN.nest every
  Poisson edge (start, stop, rate change) lands one step later than in
  spikesim, because pyNN.nest relays sources through parrot neurons.
- ``SpikeSourceGamma`` (``alpha`` a whole number: NEST's ``gamma_shape``; ``beta``)
  and ``SpikeSourcePoissonRefractory`` (``rate``, ``tau_refrac``), per neuron,
  with ``start = 0`` and no finite ``duration`` (pyNN.nest refuses both for these
  models; the NEST backend takes them). pyNN.nest builds ``gamma_sup_generator`` /
  ``ppd_sup_generator`` through parrot neurons; sPyNNaker has neither.
- Projections: one ``Projection`` each, ``FromListConnector`` with
  ``(pre, post, weight, delay)`` rows in spikesim's storage order. Weights are
  PyNN's: nA / uS, inhibitory current weights negative (what pyNN.nest passes
  to NEST; sPyNNaker takes the sign from ``receptor_type`` and uses ``|w|``),
  conductances positive (pyNN.nest negates inhibitory ones for NEST itself).
  Delays are whole steps (>= 1 step = ``min_delay``). Empty projections are skipped.
- ``StaticSynapse``; ``STDP(SpikePairRule(interaction="all_to_all"), Additive- or
  MultiplicativeWeightDependence(w_min=0, w_max > 0), window="hebbian")`` as
  ``STDPMechanism(SpikePairRule, Additive/MultiplicativeWeightDependence)``.
  ``AdditiveWeightDependence(absolute=True)`` amplitudes are weight changes;
  PyNN multiplies its amplitudes by ``w_max``, so they are written as ``A / w_max``.
- ``DCSource`` and ``StepCurrentSource`` (``net.inject``) as PyNN's, change
  times rounded to spikesim's step.
- Spikes of every population are recorded (other recorders are not exported).

What is refused (:class:`~spikesim.export.ExportError`, ``rule`` in brackets)
---------------------------------------------------------------------------
astrocytes (``astrocytes``); STDP modulated by ``Projection.modulate`` or an
astrocyte group (``modulated-stdp``); ``TripletRule`` (``triplet-stdp``);
``Vogels2011Rule`` (``vogels2011-stdp``); nearest-spike interaction
(``stdp-nearest``); anti-Hebbian or symmetric windows (``stdp-window``);
``same_step_pairs=False`` (``stdp-same-step``);
``w_min != 0`` (``stdp-w-min``: NEST's ``stdp_synapse`` has no lower bound but 0);
``w_max <= 0`` (``stdp-w-max``);
plastic inhibitory current synapses (``stdp-negative-weights``: NEST grows
``|w|`` toward ``|w_max|`` where spikesim moves ``w`` toward ``w_max``);
``A_plus = 0 < A_minus`` (``stdp-A_plus-zero``: PyNN writes NEST's
``alpha = A_minus / A_plus``); plastic projections onto one population with
different ``tau_minus`` (``stdp-tau_minus``: a neuron parameter in NEST);
a ``SpikeSourceArray`` spike in the first step, ``t < 1.5 dt``
(``spike-in-first-step``: pyNN.nest relays it through a parrot neuron one
step earlier, at t = 0, which NEST refuses); a ``SpikeSourceGamma`` with an
``alpha`` that is not a whole number (``gamma-shape``: NEST's ``gamma_shape`` is
an integer); in the script only, a ``SpikeSourceGamma`` or
``SpikeSourcePoissonRefractory`` with ``start != 0`` or a finite ``duration``
(``source-start-duration``); other cell types (``cell-type``).

Differences that remain
-----------------------
- STDP delay convention: ``STDP(delay_model="dendritic")`` is NEST's (``t_post + d -
  t_pre``) and exports as PyNN's ``STDPMechanism``. spikesim's default is axonal
  (``t_post - (t_pre + d)``): as a ``STDPMechanism`` the same spikes pair at intervals
  ``2 d`` apart (0.2 ms for one-step delays at dt = 0.1 ms, a factor ``exp(0.2 / tau)``
  on each pair's change). With ``stdp_delay="axonal"`` (or the script's
  ``--stdp-delay axonal``) the script
  uses spikesim's NEST module instead (:mod:`spikesim.nest_ext`:
  ``spikesim_axonal_stdp_synapse``, longer delays relayed through
  ``parrot_neuron`` s): spikes and weights then equal spikesim's (tested on
  dense random trains). That mode runs on pyNN.nest only, needs spikesim
  and a C++ compiler where the script runs, and takes excitatory plastic
  projections only (``axonal-stdp-inhibitory``). Either way NEST applies
  potentiation only when the next presynaptic spike is transmitted, so
  weights read at the end lack the potentiation by postsynaptic spikes
  after the last presynaptic one.
- The script starts at t = 0 from the network's current weights and
  membrane potentials; synaptic currents, refractory countdowns, spikes in
  flight and STDP traces start empty. Poisson sources draw from the
  simulator's own generator (``--seed``), so their spikes differ from
  spikesim's (same statistics).

Data and escaping
-----------------
Arrays (connection lists, per-neuron parameters, spike times) travel in an
``np.savez_compressed`` archive: embedded in the script as base64 when it is at
most ``embed_limit`` bytes (4 MiB; ``embed=True`` forces it), otherwise
written as ``<script>.npz`` next to the script and loaded from there with
``allow_pickle=False``. Every user string (population and projection labels,
the data file name) enters the code only as ``repr()`` of a ``str``.
"""
from __future__ import annotations

import base64
import io
import os
import re
from dataclasses import dataclass

import numpy as np

from ..neuromodulation import refuse as refuse_neuromodulation
from ..spike_sources import (RenewalSource, SpikeSourceArray, SpikeSourceGamma, SpikeSourcePoisson,
                     SpikeSourcePoissonRefractory, rate_at_steps)
from ..currents import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource
from ..nest_ext import MODEL as AXONAL_MODEL
from ..plasticity import (AdditiveWeightDependence, MultiplicativeWeightDependence,
                          SpikePairRule, TripletRule)
from . import ExportError, refuse_extensions
from .pynn_template import TEMPLATE

EMBED_LIMIT = 4 * 2 ** 20
SOURCES = {SpikeSourceArray: "SpikeSourceArray", SpikeSourcePoisson: "SpikeSourcePoisson",
           SpikeSourceGamma: "SpikeSourceGamma",
           SpikeSourcePoissonRefractory: "SpikeSourcePoissonRefractory"}


def pynn_cell_name(celltype) -> str | None:
    """PyNN standard cell of a spikesim cell type (the model's ``pynn`` row), or None."""
    if celltype.kind == 0:
        return SOURCES.get(type(celltype))
    return celltype.model.TRANSLATIONS.get("pynn")
PYNN_DURATION_INF = 1e10  # PyNN's default SpikeSourcePoisson.duration
STDP_DELAYS = ("dendritic", "axonal")


# ------------------------------------------------------------------ what maps (shared with backends.nest)
@dataclass(frozen=True)
class PairSTDP:
    """A plastic projection in PyNN's (= pyNN.nest's) terms: amplitudes as PyNN's, bounds in nA/uS."""

    tau_plus: float
    tau_minus: float
    A_plus: float
    A_minus: float
    w_max: float
    multiplicative: bool


def stdp_mapping(proj) -> PairSTDP:
    """PyNN parameters of plastic projection ``proj``, or :class:`ExportError`."""
    syn = proj.synapse
    name = f"projection {proj.label!r}"
    mod = proj._pstate["mod"] if proj._pstate is not None else np.ones(4)
    if proj._astro_link is not None or any(m is not None for m in proj._masks) or \
            not np.array_equal(np.asarray(mod, float), np.ones(4)):
        raise ExportError(f"{name}: STDP modulated by Projection.modulate() or an astrocyte group "
                          "has no PyNN equivalent", "modulated-stdp")
    t = syn.timing
    if type(t).__name__ == "Vogels2011Rule":
        raise ExportError(f"{name}: Vogels2011Rule is not exported yet (pyNN.nest has no "
                          "Vogels2011Rule)", "vogels2011-stdp")
    if isinstance(t, TripletRule) or not isinstance(t, SpikePairRule):
        raise ExportError(f"{name}: the triplet STDP rule has no standard PyNN/NEST-stdp_synapse "
                          "equivalent (only SpikePairRule maps)", "triplet-stdp")
    if t.interaction != "all_to_all":
        raise ExportError(f"{name}: SpikePairRule(interaction={t.interaction!r}); PyNN's SpikePairRule "
                          "(NEST stdp_synapse) is all-to-all only", "stdp-nearest")
    if syn.window != "hebbian":
        raise ExportError(f"{name}: STDP window {syn.window!r}; PyNN's SpikePairRule is Hebbian only",
                          "stdp-window")
    if not syn.same_step_pairs:
        raise ExportError(f"{name}: STDP(same_step_pairs=False) has no PyNN/NEST equivalent",
                          "stdp-same-step")
    wd = syn.weight
    if syn.sign != 1:
        raise ExportError(f"{name}: STDP(sign=-1) (the rule acts on -w) has no pyNN.nest "
                          "equivalent", "stdp-sign")
    if proj.receptor_type == "inhibitory" and not proj.post_population.celltype.conductance_based:
        raise ExportError(f"{name}: plastic inhibitory current synapses (negative weights): NEST's "
                          "stdp_synapse grows |w| toward |w_max| where spikesim moves w toward "
                          "w_max", "stdp-negative-weights")
    if wd.w_min != 0.0:
        raise ExportError(f"{name}: w_min={wd.w_min!r}; NEST's stdp_synapse (pyNN.nest) bounds "
                          "weights below by 0 only", "stdp-w-min")
    if not wd.w_max > 0.0:
        raise ExportError(f"{name}: w_max={wd.w_max!r}; PyNN/NEST STDP needs w_max > 0", "stdp-w-max")
    if isinstance(wd, MultiplicativeWeightDependence):
        a_plus, a_minus, mult = t.A_plus, t.A_minus, True
    elif isinstance(wd, AdditiveWeightDependence):
        scale = 1.0 / wd.w_max if wd.absolute else 1.0  # PyNN multiplies by w_max
        a_plus, a_minus, mult = t.A_plus * scale, t.A_minus * scale, False
    else:  # pragma: no cover - STDP validates its weight dependence
        raise ExportError(f"{name}: weight dependence {wd!r}", "stdp-weight-dependence")
    if a_plus == 0.0 and a_minus != 0.0:
        raise ExportError(f"{name}: A_plus = 0 with A_minus > 0; PyNN maps A_minus to NEST's "
                          "alpha = A_minus / A_plus, so depression cannot be expressed",
                          "stdp-A_plus-zero")
    return PairSTDP(float(t.tau_plus), float(t.tau_minus), float(a_plus), float(a_minus),
                    float(wd.w_max), mult)


def check_network(net) -> dict:
    """Refuse what PyNN/NEST cannot represent; return ``{projection index: PairSTDP}``."""
    if net.astrocytes:
        raise ExportError(f"the network has {len(net.astrocytes)} astrocyte group(s); astrocytes "
                          "have no PyNN equivalent", "astrocytes")
    refuse_extensions(net, "PyNN/NEST")
    for pop in net.populations:
        if pynn_cell_name(pop.celltype) is None:
            raise ExportError(f"population {pop.label!r}: cell type {type(pop.celltype).__name__} "
                              "has no PyNN standard cell", "cell-type")
        if isinstance(pop.celltype, SpikeSourceArray):
            steps, ids = pop.celltype.events(pop.params, net.dt)
            if steps.size and steps[0] == 0:
                raise ExportError(f"population {pop.label!r}: a spike at t = {net.dt} ms (the first "
                                  "step); pyNN.nest relays source spikes through parrot neurons "
                                  "one step earlier, and NEST cannot emit at t = 0",
                                  "spike-in-first-step")
        if isinstance(pop.celltype, RenewalSource):
            renewal_nest(pop)  # refuses what NEST's generators cannot take
    stdp, tau_minus = {}, {}
    for proj in net.projections:
        if proj._astro_link is not None or proj._syn_astro is not None:
            raise ExportError(f"projection {proj.label!r}: astrocyte-modulated synapses",
                              "modulated-stdp")
        if not proj.plastic:
            continue
        m = stdp_mapping(proj)
        q = proj.post_population
        if tau_minus.setdefault(q.index, m.tau_minus) != m.tau_minus:
            raise ExportError(f"plastic projections onto {q.label!r} have different tau_minus "
                              f"({tau_minus[q.index]!r}, {m.tau_minus!r}); in NEST tau_minus is a "
                              "parameter of the postsynaptic neuron", "stdp-tau_minus")
        stdp[proj.index] = m
    return stdp


def rate_breakpoints(pop, dt: float, gate: bool = True, n_steps: int | None = None):
    """Steps where a Poisson population's rates change, and the rates from there on.

    Returns ``(steps, rates)``: ``rates[i]`` (Hz, per neuron) holds from step
    ``steps[i]`` until the next breakpoint, exactly as spikesim draws (the
    rates come from :func:`spikesim.cells.rate_at_steps`, evaluated around
    every edge). ``gate=False`` ignores ``start``/``duration`` (PyNN applies
    those itself); ``n_steps`` drops breakpoints at or after the end of a run.
    """
    p = dict(pop.params)
    if not gate:
        p.update(start=0.0, duration=np.inf)
    edges = list(p["rate_changes"][0]) if p["rate_changes"] is not None else []
    edges += [p["start"]] + ([p["start"] + p["duration"]] if np.isfinite(p["duration"]) else [])
    limit = np.iinfo(np.int64).max // 4 if n_steps is None else n_steps
    cand = {0}
    for t in edges:
        c = int(min(np.ceil(t / dt - 0.5), limit))
        cand.update({c - 1, c, c + 1})
    steps = np.array(sorted(c for c in cand if 0 <= c < limit), np.int64)
    rates = rate_at_steps(p, steps, dt)
    keep = np.ones(steps.shape[0], bool)
    keep[1:] = (rates[1:] != rates[:-1]).any(axis=1)
    return steps[keep], rates[keep]


def renewal_nest(pop) -> tuple[str, dict]:
    """NEST generator and its parameters (per-neuron float arrays) of a renewal source.

    ``SpikeSourceGamma`` -> ``gamma_sup_generator`` (``gamma_shape = alpha``, whole
    numbers only: :class:`ExportError` ``gamma-shape``; ``rate = beta / alpha``);
    ``SpikeSourcePoissonRefractory`` -> ``ppd_sup_generator`` (``rate``,
    ``dead_time = tau_refrac``), as pyNN.nest translates them.
    """
    p, n = pop.params, pop.size
    if isinstance(pop.celltype, SpikeSourceGamma):
        alpha, beta = (np.broadcast_to(np.asarray(p[k], np.float64), (n,)) for k in ("alpha", "beta"))
        if (alpha != np.round(alpha)).any():
            bad = float(alpha[alpha != np.round(alpha)][0])
            raise ExportError(f"population {pop.label!r}: SpikeSourceGamma.alpha = {bad!r} is not a "
                              "whole number; NEST's gamma_sup_generator takes an integer gamma_shape",
                              "gamma-shape")
        return "gamma_sup_generator", {"gamma_shape": alpha, "rate": beta / alpha}
    rate, dead = (np.broadcast_to(np.asarray(p[k], np.float64), (n,)) for k in ("rate", "tau_refrac"))
    return "ppd_sup_generator", {"rate": rate, "dead_time": dead}


# ------------------------------------------------------------------ code generation
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _f(x) -> str:
    """A float literal (exact round trip); refuses non-finite values."""
    x = float(x)
    if not np.isfinite(x):  # pragma: no cover - callers map infinities first
        raise ExportError(f"non-finite value {x!r} cannot be written", "non-finite")
    return repr(x)


class _Data:
    """Arrays for the script, stored under generated keys; literals for scalars."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def value(self, key: str, a) -> str:
        """Code for ``a``: a float literal if it is one value, else ``data[key]``."""
        a = np.asarray(a)
        if a.ndim == 0 or (a.size and (a == a.flat[0]).all()):
            return _f(a.flat[0] if a.ndim else a)
        self.arrays[key] = a
        return f"data[{key!r}]"

    def array(self, key: str, a) -> str:
        self.arrays[key] = np.asarray(a)
        return f"data[{key!r}]"


def _population_code(pop, k: int, net, data: _Data, lines: list) -> None:
    ct, dt, p = pop.celltype, net.dt, pop.params
    name = pynn_cell_name(ct)
    if ct.kind != 0:
        args = []
        for par in ct.default_parameters:
            if par in ct.model.EXTENSIONS:
                continue  # spikesim's options; check_network refused them if set
            val = np.asarray(p[par], np.float64)
            if par == "tau_refrac":
                val = np.round(val / dt) * dt  # spikesim's whole steps
            args.append(f"{par}={data.value(f'p{k}_{par}', val)}")
        cell = f"sim.{name}({', '.join(args)})"
    elif isinstance(ct, SpikeSourceArray):
        steps, ids = ct.events(p, dt)
        order = np.lexsort((steps, ids))
        counts = np.bincount(ids, minlength=pop.size)
        data.array(f"p{k}_spike_steps", steps[order].astype(np.int64))
        data.array(f"p{k}_spike_counts", counts.astype(np.int64))
        cell = f"sim.SpikeSourceArray(spike_times=spike_lists(sim, data, {k}))"
    elif isinstance(ct, RenewalSource):
        if np.any(np.asarray(p["start"]) != 0) or np.isfinite(p["duration"]).any():
            raise ExportError(f"population {pop.label!r}: {name} with start or duration set; "
                              "pyNN.nest does not support them for this model",
                              "source-start-duration")
        renewal_nest(pop)
        args = []
        for par in [q for q in ct.default_parameters if q not in ("start", "duration")]:
            val = np.asarray(p[par], np.float64)
            if par == "alpha":  # NEST's gamma_shape is an integer
                val = np.round(val).astype(np.int64)
                code = (repr(int(val.flat[0])) if (val == val.flat[0]).all()
                        else data.array(f"p{k}_alpha", np.broadcast_to(val, (pop.size,))))
            else:
                code = data.value(f"p{k}_{par}", val)
            args.append(f"{par}={code}")
        cell = f"sim.{name}({', '.join(args)})"
    else:
        duration = p["duration"]
        duration = PYNN_DURATION_INF if not np.isfinite(duration) else duration
        cell = (f"sim.SpikeSourcePoisson(rate={data.value(f'p{k}_rate', p['rate'])}, "
                f"start={_f(p['start'])}, duration={_f(duration)})")
    lines.append(f"    pops.append(sim.Population({pop.size}, {cell}, label={pop.label!r}))")
    if ct.kind != 0:
        v = net._state.v[pop.first:pop.first + pop.size].astype(np.float64)
        lines.append(f"    pops[{k}].initialize(v={data.value(f'p{k}_v', v)})")


def _projection_code(proj, j: int, net, stdp: dict, data: _Data, lines: list) -> None:
    if proj.n_synapses == 0:
        lines.append(f"    # projection {j} has no synapses: skipped")
        return
    data.array(f"j{j}_counts", np.diff(proj.indptr).astype(np.int64))
    data.array(f"j{j}_post", proj.post.astype(np.int32))
    w, d = proj._weight, proj._delay
    wcode = data.value(f"j{j}_weight", w) if w.shape[0] == 1 else data.array(f"j{j}_weight", w)
    dcode = data.value(f"j{j}_delay", d) if d.shape[0] == 1 else data.array(f"j{j}_delay", d)
    rows = f"connection_rows(data, {j}, {wcode}, {dcode})"
    pre, post = proj.pre.index, proj.post_population.index
    if proj.plastic:
        m = stdp[proj.index]
        rule = (f"dict(tau_plus={_f(m.tau_plus)}, tau_minus={_f(m.tau_minus)}, A_plus={_f(m.A_plus)}, "
                f"A_minus={_f(m.A_minus)}, w_max={_f(m.w_max)}, multiplicative={m.multiplicative!r}, "
                f"weight={_f(float(np.mean(proj.weight)))})")
        lines.append(f"    projs[{j}] = plastic_projection(sim, pops[{pre}], pops[{post}], {rows}, {rule}, "
                     f"{proj.receptor_type!r}, {proj.label!r})")
        return
    syn = "sim.StaticSynapse()"
    if proj._dstate is not None:
        syn = _dynamics_code(proj)
    lines.append(f"    projs[{j}] = sim.Projection(pops[{pre}], pops[{post}], "
                 f"sim.FromListConnector({rows}, column_names=['weight', 'delay']), "
                 f"synapse_type={syn}, receptor_type={proj.receptor_type!r}, label={proj.label!r})")


def _dynamics_code(proj) -> str:
    """``sim.<PyNN synapse type>(...)`` of a projection's synapse dynamic, or ExportError."""
    ds = proj._dstate
    dyn, mod = ds["dynamics"], ds["dynamics"].module
    name = mod.TRANSLATIONS.get("pynn")
    if name is None:
        raise ExportError(f"projection {proj.label!r}: {type(dyn).__name__} has no PyNN synapse "
                          "type", "synapse-dynamics")
    args = []
    for k, par in enumerate(mod.PARAMS):
        vals = ds["P"][k]
        if not (vals == vals[0]).all():
            raise ExportError(f"projection {proj.label!r}: per-synapse {par} of {type(dyn).__name__} "
                              "is not exported (one value per projection is)",
                              "synapse-dynamics-per-synapse")
        if par == "tau_psc":  # pyNN.nest takes it from the target's tau_syn
            target = proj.post_population.params.get(
                "tau_syn_E" if proj.receptor_type == "excitatory" else "tau_syn_I")
            if target is None or not np.all(np.asarray(target) == vals[0]):
                raise ExportError(f"projection {proj.label!r}: tau_psc {vals[0]!r} ms differs from "
                                  "the target's synaptic time constant, which PyNN uses",
                                  "synapse-dynamics-tau-psc")
            continue
        args.append(f"{par}={_f(vals[0])}")
    return f"sim.{name}({', '.join(args)})"


def _injection_code(source, pop, idx, i: int, net, data: _Data, lines: list) -> None:
    dt = net.dt
    on_grid = lambda t: np.rint(np.asarray(t, np.float64) / dt) * dt  # noqa: E731
    if isinstance(source, DCSource):
        stop = "" if source.stop is None else f", stop={_f(on_grid(source.stop))}"
        src = f"sim.DCSource(amplitude={_f(source.amplitude)}, start={_f(on_grid(source.start))}{stop})"
    elif isinstance(source, NoisyCurrentSource):
        stop = "" if source.stop is None else f", stop={_f(on_grid(source.stop))}"
        src = (f"sim.NoisyCurrentSource(mean={_f(source.mean)}, stdev={_f(source.stdev)}, "
               f"start={_f(on_grid(source.start))}{stop}, dt={_f(source.dt or dt)})")
    elif isinstance(source, ACSource):
        stop = "" if source.stop is None else f", stop={_f(on_grid(source.stop))}"
        src = (f"sim.ACSource(amplitude={_f(source.amplitude)}, offset={_f(source.offset)}, "
               f"frequency={_f(source.frequency)}, phase={_f(source.phase)}, "
               f"start={_f(on_grid(source.start))}{stop})")
    elif isinstance(source, StepCurrentSource):
        src = (f"sim.StepCurrentSource(times={data.array(f'i{i}_times', on_grid(source.times))}, "
               f"amplitudes={data.array(f'i{i}_amplitudes', source.amplitudes)})")
    else:
        raise ExportError(f"current source {type(source).__name__} has no PyNN equivalent",
                          "current-source")
    idx = np.asarray(idx, np.int64)
    target = (f"pops[{pop.index}]" if np.array_equal(idx, np.arange(pop.size))
              else f"pops[{pop.index}][{data.array(f'i{i}_index', idx)}]")
    lines.append(f"    {src}.inject_into({target})")


def to_pynn_script(net, path=None, duration: float = 1000.0, simulator: str = "nest", *,
                   embed: bool | None = None, embed_limit: int = EMBED_LIMIT,
                   stdp_delay: str = "dendritic") -> str:
    """Write (if ``path`` is given) and return a standalone PyNN 0.13 script for ``net``.

    Parameters
    ----------
    net : Network
    path : str or path-like, optional
        Where to write the script. The data go next to it as ``<stem>.npz``
        when they are too large to embed.
    duration : float
        Default simulated time of the script in ms (``--duration`` overrides).
    simulator : str
        Default PyNN backend module of the script (``pyNN.<simulator>``;
        ``--simulator`` overrides), e.g. ``"nest"`` or ``"spiNNaker"``.
    embed : bool, optional
        ``True``: always embed the data (base64); ``False``: always write the
        ``.npz`` (needs ``path``); ``None``: embed up to ``embed_limit`` bytes.
    stdp_delay : {"dendritic", "axonal"}, optional
        Default STDP delay convention of the script (``--stdp-delay``
        overrides). "dendritic": PyNN's ``STDPMechanism`` (NEST's
        ``stdp_synapse``, sPyNNaker); "axonal": spikesim's own convention on
        NEST through :mod:`spikesim.nest_ext` (needs spikesim, NEST's headers
        and a C++ compiler where the script runs; pyNN.nest only). "dendritic"
        is exact for projections with ``STDP(delay_model="dendritic")``.

    Raises
    ------
    ExportError
        For what PyNN cannot represent (see the module notes); ``rule`` names it.
    """
    refuse_neuromodulation(net, "a PyNN script")
    duration = float(duration)
    if not (np.isfinite(duration) and duration > 0):
        raise ValueError(f"duration must be a positive number of ms, got {duration!r}")
    if not isinstance(simulator, str) or not _IDENT.match(simulator):
        raise ValueError(f"simulator must be a PyNN backend module name such as 'nest', got {simulator!r}")
    if embed is False and path is None:
        raise ValueError("embed=False writes the data next to the script: give a path")
    if stdp_delay not in STDP_DELAYS:
        raise ValueError(f"stdp_delay must be one of {STDP_DELAYS}, got {stdp_delay!r}")
    stdp = check_network(net)
    if stdp_delay == "axonal" and any(net.projections[q].synapse.delay_model == "dendritic"
                                      for q in stdp):
        raise ExportError("stdp_delay='axonal' with a projection whose STDP has "
                          "delay_model='dendritic': export it as 'dendritic' (PyNN's "
                          "STDPMechanism is exact for it)", "axonal-stdp-dendritic")
    if stdp_delay == "axonal":
        for q in stdp:
            if net.projections[q].receptor_type == "inhibitory":
                raise ExportError(f"projection {net.projections[q].label!r}: stdp_delay='axonal' "
                                  "(spikesim's NEST module) takes excitatory plastic synapses only",
                                  "axonal-stdp-inhibitory")
    data, dt = _Data(), net.dt
    lines = ["def build(sim, data):",
             '    """Create populations, projections and current sources: return (pops, projs)."""',
             "    pops, projs = [], {}"]
    for k, pop in enumerate(net.populations):
        _population_code(pop, k, net, data, lines)
    for j, proj in enumerate(net.projections):
        _projection_code(proj, j, net, stdp, data, lines)
    for i, (source, pop, idx) in enumerate(net.injections):
        _injection_code(source, pop, idx, i, net, data, lines)
    lines.append("    return pops, projs")
    schedule = []
    for k, pop in enumerate(net.populations):
        if isinstance(pop.celltype, SpikeSourcePoisson):
            if pop.params["rate_changes"] is None:
                continue
            steps, rates = rate_breakpoints(pop, dt, gate=False)
            for c, (s, r) in enumerate(zip(steps.tolist(), rates)):
                schedule.append((s, k, data.value(f"p{k}_rate_change{c}", r)))
    schedule.sort(key=lambda e: (e[0], e[1]))
    sched = "".join(f"    ({s}, {k}, lambda data: {code}),\n" for s, k, code in schedule)
    max_delay = max([int(p._delay.max(initial=1)) for p in net.projections] + [1]) * dt

    buf = io.BytesIO()
    np.savez_compressed(buf, **data.arrays)
    blob = buf.getvalue()
    if embed is None:
        embed = path is None or len(blob) <= embed_limit
    if embed:
        b64 = base64.b64encode(blob).decode("ascii")
        data_src = "DATA_FILE = None\nDATA = (\n" + "".join(
            f'    "{b64[i:i + 96]}"\n' for i in range(0, len(b64), 96)) + ")\n"
    else:
        stem = os.path.splitext(os.fspath(path))[0]
        with open(stem + ".npz", "wb") as f:
            f.write(blob)
        data_src = f"DATA_FILE = {os.path.basename(stem) + '.npz'!r}\nDATA = ''\n"

    from .. import __version__
    n_syn = sum(p.n_synapses for p in net.projections)
    header = (f'"""PyNN script exported by spikesim {__version__}: {len(net.populations)} populations, '
              f"{net.n_neurons} neurons, {n_syn} synapses, dt = {dt!r} ms.\n")
    parts = {
        "HEADER": header,
        "CONSTANTS": (f"DT = {_f(dt)}\nDURATION = {_f(duration)}\nMAX_DELAY = {_f(max_delay)}\n"
                      f"DEFAULT_SIMULATOR = SIMULATOR = {simulator!r}\n"
                      f"DEFAULT_STDP_DELAY = STDP_DELAY = {stdp_delay!r}\n"
                      f"AXONAL_MODEL = {AXONAL_MODEL!r}  # spikesim.nest_ext's synapse model\n"
                      f"SEED = {int(net.seed if net.seed is not None else 0) % (2**31 - 2) + 1}\n"
                      f"LABELS = {[p.label for p in net.populations]!r}\n"
                      f"PLASTIC = {sorted(stdp)!r}\n"),
        "DATA": data_src,
        "BUILD": "\n".join(lines) + "\n",
        "SCHEDULE": sched,
    }
    # one pass over the template: substituted text (which holds repr'd labels) is never rescanned
    text = re.sub(r"@(HEADER|CONSTANTS|DATA|BUILD|SCHEDULE)@", lambda m: parts[m.group(1)], TEMPLATE)
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return text

