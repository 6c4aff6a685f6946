"""Run a spikesim network in NEST (PyNEST), filling the network's own recorders.

``run(net, duration)`` builds ``net`` in a fresh NEST kernel, simulates
``duration`` ms and hands the spikes (and sampled ``v`` / synaptic
variables, population rates) to ``net.recorders``, so ``rec.spikes`` reads
the same after a NEST run as after ``net.run``. What maps is what
:mod:`spikesim.export.pynn_script` maps, refused by the same rules
(:class:`~spikesim.export.ExportError`).

Translation table (units: NEST pF, pA, nS, mV, ms)
--------------------------------------------------
Neuron parameters, state variables and receptors come from each model's
``TRANSLATIONS`` rows (``nest``, ``nest_derived``, ``nest_state``,
``nest_receptors``; see :mod:`spikesim.kernels.neurons`). For the LIF models:

- ``IF_curr_exp`` -> ``iaf_psc_exp``; ``IF_cond_exp`` -> ``iaf_cond_exp``:
  ``cm`` nF -> ``C_m`` pF (x1000), ``tau_m`` (``g_L = cm / tau_m`` nS for
  ``iaf_cond_exp``), ``v_rest -> E_L``, ``v_reset -> V_reset``,
  ``v_thresh -> V_th``, ``tau_refrac -> t_ref`` (whole steps, as spikesim),
  ``tau_syn_E/I -> tau_syn_ex/in``, ``e_rev_E/I -> E_ex/E_in``,
  ``i_offset`` nA -> ``I_e`` pA; ``V_m`` = the network's current ``v``.
- Weights nA -> pA, uS -> nS (x1000); NEST tells inhibitory input by the
  sign, so inhibitory conductances are negated. One ``nest.Connect`` per
  projection on expanded ``(pre, post, weight, delay)`` arrays (``one_to_one``).
- Spike sources are relayed through ``parrot_neuron`` s (connected with one
  step of delay), as pyNN.nest does, so that they can drive plastic
  synapses and every target of a source sees the same train:
  ``SpikeSourceArray`` -> ``spike_generator`` (times one step earlier);
  ``SpikeSourcePoisson`` -> ``poisson_generator`` (one per population, or one
  per neuron with per-neuron rates). ``start``/``duration``/``rate_changes``
  are applied by setting the generators' rates between ``nest.Simulate`` segments,
  at the steps spikesim switches them. The relay means a Poisson source
  cannot fire in the first step (spikesim can: one step of input in the whole
  run) and a ``SpikeSourceArray`` spike in the first step is refused.
  ``SpikeSourceGamma`` -> ``gamma_sup_generator`` (``gamma_shape = alpha``, a
  whole number; ``rate = beta / alpha``), ``SpikeSourcePoissonRefractory`` ->
  ``ppd_sup_generator`` (``rate``, ``dead_time = tau_refrac``), as pyNN.nest
  translates them: one generator (independent trains per target) or one per
  neuron with per-neuron values; ``start``/``duration`` switch the generators'
  ``rate`` on and off between segments, one step early as for Poisson sources.
- ``DCSource`` / ``StepCurrentSource``: the injected current is added to the
  neurons' ``I_e`` between ``nest.Simulate`` segments, from the step spikesim
  applies it (exactly spikesim's timing, no generator delay).
- Pair STDP -> ``stdp_synapse`` (a copy per projection): ``tau_plus``,
  ``lambda = A_plus``, ``alpha = A_minus / A_plus``, ``mu_plus = mu_minus`` 0
  (additive) or 1 (multiplicative), ``Wmax`` = ``w_max`` (pA/nS), and
  ``tau_minus`` on the postsynaptic neurons; ``absolute=True`` amplitudes are
  divided by ``w_max``.

Differences
-----------
- NEST's STDP delay is dendritic, spikesim's axonal: the same spikes pair at
  intervals ``2 * delay`` apart (see :mod:`spikesim.plasticity`); NEST applies
  potentiation when the next presynaptic spike passes, so the returned final
  weights lack potentiation by postsynaptic spikes after the last presynaptic one.
- NEST draws Poisson spikes from its own generator (``seed``): inputs differ
  from spikesim's spike for spike; their statistics are the same. NEST's gamma
  and dead-time generators advance a state per time step (intervals of whole
  steps, at least ``gamma_shape`` steps for the gamma process), spikesim's run in
  continuous time put on the grid: rates and interval distributions agree up to
  that discretisation (and the processes' start-up).
- ``iaf_cond_exp`` is integrated by GSL's adaptive RK45, spikesim's
  ``IF_cond_exp`` by its second-order exponential scheme: spike times can
  differ by a step.

The network is not advanced: its state stays where it was (``net.step`` must
be 0, and the recorders empty), and it should not be continued with
``net.run`` afterwards. Weight recorders receive nothing; the final plastic
weights are returned instead.
"""
from __future__ import annotations

import os
import time

import numpy as np

from ..neuromodulation import refuse as refuse_neuromodulation
from .. import _validate as V
from ..spike_sources import RenewalSource, SpikeSourceArray, SpikeSourcePoisson
from ..currents import injection_schedule
from ..export import ExportError
from ..export.pynn_script import check_network, rate_breakpoints, renewal_nest


def _nest_vars(celltype) -> dict:
    """``{spikesim state variable: (NEST name, factor NEST -> spikesim)}`` of a neuron type."""
    return celltype.model.TRANSLATIONS["nest_state"]


def _check_recordables(net) -> None:
    """:class:`ExportError` for a recorded state variable that NEST does not record.

    E.g. the alpha synapses' derivatives (``disyn_exc``, ``dgsyn_exc``): internal
    state of NEST's models, absent from the model's ``nest_state`` row.
    """
    for rec in net.recorders:
        ct = rec.population.celltype
        if ct.kind == 0:
            continue
        missing = [v for v in rec.variables
                   if v not in ("spikes", "rate") and v not in _nest_vars(ct)]
        if missing:
            raise ExportError(f"population {rec.population.label!r}: {missing} of "
                              f"{type(ct).__name__} have no NEST recordable", "nest-recordable")


def _import_nest():
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:  # pragma: no cover - NEST < 3.9
        nest.set_verbosity("M_ERROR")
    return nest


def _has_data(rec) -> bool:
    empty = np.zeros(0)
    for var in rec.variables:
        if var == "spikes" and rec._store.read("spikes/steps", empty).shape[0]:
            return True
        if var == "rate" and rec._store.read("rate/counts", empty).shape[0]:
            return True
        if var not in ("spikes", "rate") and rec._store.read(f"{var}/steps", empty).shape[0]:
            return True
    return False


def _neuron_params(pop, dt: float) -> dict:
    """NEST parameters and initial state of ``pop`` from its model's translation rows."""
    tr = pop.celltype.model.TRANSLATIONS
    p = {k: np.broadcast_to(np.asarray(v, np.float64), (pop.size,)) for k, v in pop.params.items()}
    out = {}
    for ours, (theirs, scale) in tr["nest"][1].items():
        val = p[ours] * scale
        if theirs == "t_ref":
            val = np.round(val / dt) * dt  # whole steps, as spikesim
        out[theirs] = val
    if "nest_derived" in tr:
        out.update(tr["nest_derived"](p))
    S = pop.net._state.S[:, pop.first:pop.first + pop.size].astype(np.float64)
    for var in tr.get("nest_initial", ("v",)):  # state NEST lets a script set
        name, scale = tr["nest_state"][var]
        out[name] = S[pop.celltype.model.STATE.index(var)] / scale
    return {k: (float(a[0]) if (a == a[0]).all() else a.tolist()) for k, a in out.items()}


def run(net, duration: float, *, seed: int | None = None, threads: int = 1) -> dict:
    """Simulate ``net`` for ``duration`` ms in NEST and fill ``net.recorders``.

    Parameters
    ----------
    net : Network
        Not yet run (``net.step == 0``), recorders empty.
    duration : float
        ms, a whole number of steps.
    seed : int, optional
        NEST's ``rng_seed`` (1 .. 2**31 - 1) for Poisson sources; default
        derived from ``net.seed`` (``seed + 1``), fresh entropy if that is None.
    threads : int
        NEST's ``local_num_threads``.

    Returns
    -------
    dict
        ``recorders``: ``net.recorders`` (filled), ``weights``: ``{projection
        index: final weights (nA/uS) in storage order}`` for plastic
        projections, ``rng_seed``, ``nest_version``, ``duration``, ``wall_s``.

    Raises
    ------
    ExportError
        What NEST cannot represent (see :mod:`spikesim.export.pynn_script`).
    """
    refuse_neuromodulation(net, "the NEST backend")
    dt = net.dt
    n_steps = V.time_to_steps("duration", duration, dt, minimum=0)
    threads = V.count("threads", threads, 1)
    stdp = check_network(net)
    _check_recordables(net)
    if net.step != 0:
        raise RuntimeError(f"the network has already run to t = {net.t} ms in spikesim; the NEST "
                           "backend simulates from t = 0 with empty synapses, so it needs a fresh network")
    if any(_has_data(r) for r in net.recorders):
        raise RuntimeError("the network's recorders already hold data (one NEST run per network)")
    if seed is None:
        base = net.seed if net.seed is not None else int(np.random.SeedSequence().generate_state(1)[0])
        seed = base % (2 ** 31 - 2) + 1
    seed = V.count("seed", seed, 1)
    if seed > 2 ** 31 - 1:
        raise ValueError(f"seed must be at most 2**31 - 1 (NEST's rng_seed), got {seed}")
    nest = _import_nest()
    t_wall = time.perf_counter()
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": dt, "local_num_threads": threads, "rng_seed": seed})

    nodes, actions = [], {}  # actions: {NEST step: [callables]} applied before that step runs
    for pop in net.populations:
        ct = pop.celltype
        if ct.kind != 0:
            nodes.append(nest.Create(ct.model.TRANSLATIONS["nest"][0], pop.size,
                                     params=_neuron_params(pop, dt)))
            continue
        parrots = nest.Create("parrot_neuron", pop.size)
        nodes.append(parrots)
        if isinstance(ct, SpikeSourceArray):
            steps, ids = ct.events(pop.params, dt)
            gens = nest.Create("spike_generator", pop.size)
            order = np.lexsort((steps, ids))
            split = np.split(steps[order] * dt, np.cumsum(np.bincount(ids, minlength=pop.size))[:-1])
            gens.set([{"spike_times": t.tolist()} for t in split])  # one step early: the parrot relays
            nest.Connect(gens, parrots, "one_to_one", syn_spec={"delay": dt})
        elif isinstance(ct, SpikeSourcePoisson):
            bps, rates = rate_breakpoints(pop, dt, gate=True, n_steps=n_steps)
            homogeneous = bool((rates == rates[:, :1]).all()) if rates.size else True
            gens = nest.Create("poisson_generator", 1 if homogeneous else pop.size)
            nest.Connect(gens, parrots, "all_to_all" if homogeneous else "one_to_one",
                         syn_spec={"delay": dt})
            for s, r in zip(bps.tolist(), rates):
                vals = float(r[0]) if homogeneous else r.tolist()
                # generator step g is relayed by the parrot into spikesim's step g + 1
                actions.setdefault(max(s - 1, 0), []).append(
                    lambda gens=gens, vals=vals: gens.set(rate=vals))
        elif isinstance(ct, RenewalSource):
            _renewal_generators(nest, pop, parrots, dt, n_steps, actions)
    # injected currents: I_e = i_offset + the sources' amplitudes in force, from spikesim's steps
    inj = {}
    for k_inj, (source, pop, idx) in enumerate(net.injections):
        times, amps = injection_schedule(net, k_inj, n_steps * dt)
        inj.setdefault(pop.index, []).append((np.rint(times / dt).astype(np.int64), amps, idx))
    for k, sched in inj.items():
        pop = net.populations[k]
        offset = np.broadcast_to(np.asarray(pop.params.get("i_offset", 0.0), np.float64), (pop.size,))
        for s in sorted({int(s) for st, _, _ in sched for s in st if 0 <= s < n_steps}):
            i_e = offset.copy()
            for st, amps, idx in sched:
                j = np.searchsorted(st, s, side="right") - 1
                if j >= 0:
                    i_e[idx] += amps[j]
            actions.setdefault(s, []).append(
                lambda nc=nodes[k], v=(i_e * 1000.0).tolist(): nc.set(I_e=v))

    # synapses
    models = {}
    for pop_index in {net.projections[j].post_population.index for j in stdp}:
        tm = next(m.tau_minus for j, m in stdp.items()
                  if net.projections[j].post_population.index == pop_index)
        nodes[pop_index].set(tau_minus=tm)
    for proj in net.projections:
        if proj.n_synapses == 0:
            continue
        pre, post = proj.connections()
        port, sign = (proj.post_population.celltype.model
                      .TRANSLATIONS["nest_receptors"][proj.receptor_type])
        w = np.asarray(proj.weight, np.float64) * (1000.0 * sign)
        syn = {"weight": w, "delay": np.asarray(proj.delay, np.float64) * dt}
        if port:
            syn["receptor_type"] = port
        if proj._dstate is not None:
            syn.update(_dynamics_spec(proj))
        if proj.plastic:
            m = stdp[proj.index]
            name = f"spikesim_stdp_{proj.index}"
            nest.CopyModel("stdp_synapse", name, {
                "tau_plus": m.tau_plus, "lambda": m.A_plus,
                "alpha": m.A_minus / m.A_plus if m.A_plus else 0.0,
                "mu_plus": 1.0 if m.multiplicative else 0.0,
                "mu_minus": 1.0 if m.multiplicative else 0.0, "Wmax": m.w_max * 1000.0 * sign})
            models[proj.index] = (name, sign)
            syn["synapse_model"] = name
        first_pre = nodes[proj.pre.index][0].global_id
        first_post = nodes[proj.post_population.index][0].global_id
        nest.Connect(first_pre + pre, first_post + post, "one_to_one", syn_spec=syn)

    # recording
    spike_rec, mms = {}, []
    for rec in net.recorders:
        k = rec.population.index
        if ("spikes" in rec.variables or "rate" in rec.variables) and k not in spike_rec:
            spike_rec[k] = nest.Create("spike_recorder")
            nest.Connect(nodes[k], spike_rec[k])
        state = [v for v in rec.variables if v not in ("spikes", "rate")]
        if state:
            nv = _nest_vars(rec.population.celltype)
            mm = nest.Create("multimeter", params={"interval": rec.every * dt,
                                                   "record_from": [nv[v][0] for v in state]})
            nest.Connect(mm, nodes[k][np.unique(rec.indices).tolist()])
            mms.append((rec, state, mm))

    # simulate in segments at the steps where rates or currents change (Simulate, not Run: a
    # poisson_generator reads its rate only when the simulation is prepared)
    t = 0
    for s in sorted(actions):
        if s >= n_steps:
            break
        if s > t:
            nest.Simulate((s - t) * dt)
            t = s
        for act in actions[s]:
            act()
    if n_steps > t:
        nest.Simulate((n_steps - t) * dt)
    weights = {j: _storage_order(net.projections[j], nest.GetConnections(synapse_model=name), nodes, sign)
               for j, (name, sign) in models.items()}
    if mms and n_steps:
        nest.Simulate(dt)  # a multimeter stamps the state at T in the step after T; later spikes are dropped

    # results into the network's recorders
    for k, sr in spike_rec.items():
        pop, first = net.populations[k], nodes[k][0].global_id
        ev = sr.get("events")
        steps = np.rint(np.asarray(ev["times"], np.float64) / dt).astype(np.int64) - 1
        gids = np.asarray(ev["senders"], np.int64) - first + pop.first
        order = np.lexsort((gids, steps))
        order = order[steps[order] < n_steps]
        steps, gids = steps[order], gids[order]
        for rec in net.recorders:
            if rec.population is not pop:
                continue
            if "spikes" in rec.variables:
                rec._add_spikes(steps, gids)
            if "rate" in rec.variables:
                rec._add_counts(np.bincount(steps, minlength=n_steps)[:n_steps].astype(np.int32))
    for rec, state, mm in mms:
        ev = mm.get("events")
        first = nodes[rec.population.index][0].global_id
        col = np.full(rec.population.size, -1, np.int64)
        col[rec.indices] = np.arange(rec.indices.shape[0])
        sample_steps = np.rint(np.asarray(ev["times"], np.float64) / dt).astype(np.int64) - 1
        ok = sample_steps < n_steps
        sample_steps = sample_steps[ok]
        uniq = np.unique(sample_steps)
        row = np.searchsorted(uniq, sample_steps)
        c = col[np.asarray(ev["senders"], np.int64)[ok] - first]
        for var in state:
            name, scale = _nest_vars(rec.population.celltype)[var]
            block = np.full((uniq.shape[0], rec.indices.shape[0]), np.nan)
            block[row, c] = np.asarray(ev[name], np.float64)[ok] * scale
            rec._add_samples(var, uniq, block)
    for rec in net.recorders:
        rec._store.flush()
    return dict(recorders=list(net.recorders), weights=weights, rng_seed=seed,
                nest_version=getattr(nest, "__version__", "?"), duration=n_steps * dt,
                wall_s=time.perf_counter() - t_wall)


def _renewal_generators(nest, pop, parrots, dt: float, n_steps: int, actions: dict) -> None:
    """Generators of a renewal source, connected to ``parrots``; rate switches into ``actions``."""
    model, par = renewal_nest(pop)
    n = pop.size
    start = np.broadcast_to(np.asarray(pop.params["start"], np.float64), (n,))
    stop = start + np.broadcast_to(np.asarray(pop.params["duration"], np.float64), (n,))
    on = np.floor(start / dt + 1e-9)  # spikesim steps [on, off) may hold spikes
    with np.errstate(invalid="ignore"):
        off = np.where(np.isfinite(stop), np.ceil(stop / dt - 1e-9), np.inf)
    homogeneous = all((v == v[0]).all() for v in (*par.values(), on, off))
    gens = nest.Create(model, 1 if homogeneous else n)
    rate = par.pop("rate")
    fixed = {k: v.astype(np.int64) if k == "gamma_shape" else v for k, v in par.items()}
    gens.set({k: (v[0].item() if homogeneous else v.tolist()) for k, v in fixed.items()})
    nest.Connect(gens, parrots, "all_to_all" if homogeneous else "one_to_one",
                 syn_spec={"delay": dt})
    bps = sorted({0} | {int(s) for s in np.concatenate([on, off]) if np.isfinite(s) and s < n_steps})
    for s in bps:
        r = np.where((on <= s) & (s < off), rate, 0.0)
        vals = float(r[0]) if homogeneous else r.tolist()
        # generator step g is relayed by the parrot into spikesim's step g + 1
        actions.setdefault(max(s - 1, 0), []).append(lambda gens=gens, vals=vals: gens.set(rate=vals))


def _dynamics_spec(proj) -> dict:
    """NEST ``syn_spec`` entries of a projection's synapse dynamic (the module's ``nest`` row)."""
    ds = proj._dstate
    mod = ds["dynamics"].module
    model, params, state = mod.TRANSLATIONS["nest"]
    spec = {"synapse_model": model}
    for ours, theirs in params.items():
        spec[theirs] = ds["P"][mod.PARAMS.index(ours)].astype(np.float64)
    for ours, theirs in state.items():
        spec[theirs] = ds["S"][mod.STATE.index(ours)].astype(np.float64)
    return spec


def _storage_order(proj, conns, nodes, sign: float) -> np.ndarray:
    """Weights (nA/uS) of NEST connections ``conns`` in ``proj``'s storage order."""
    got = conns.get(["source", "target", "weight"])
    src = np.atleast_1d(np.asarray(got["source"], np.int64)) - nodes[proj.pre.index][0].global_id
    tgt = np.atleast_1d(np.asarray(got["target"], np.int64)) - nodes[proj.post_population.index][0].global_id
    w = np.atleast_1d(np.asarray(got["weight"], np.float64)) * (sign / 1000.0)
    pre, post = proj.connections()
    ours = np.lexsort((post, pre))     # stable: multapses keep creation order
    theirs = np.lexsort((tgt, src))
    if not (np.array_equal(pre[ours], src[theirs]) and np.array_equal(post[ours], tgt[theirs])):
        raise RuntimeError(f"NEST connections of {proj.label!r} do not match the projection")
    out = np.empty(proj.n_synapses)
    out[ours] = w[theirs]
    return out
