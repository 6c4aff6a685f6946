"""Turns a Network into the flat arrays the kernel runs on, and drives the kernel.

The Python side only decides chunk boundaries (current changes, recorder
buffers, progress updates); every step inside a chunk runs in
:func:`spikesim.kernels.engine.run_chunk`.
"""
from __future__ import annotations

import bisect

import numpy as np

from .cells import check_columns
from .currents import amplitude_at, injection_schedule
from .convolution import KernelRows, kernel_conv
from .kernels.codegen import FUSED, dynamic_module, engine_for, model_module, planes
from .kernels.synapses import LIBRARY as DYNAMICS
from .kernels.connectivity import row_cuts
from . import plastic_runtime
from .kernels.engine import BLOCK, Dynamics
from .threads import PARALLEL_MIN_NEURONS, ThreadGovernor, balanced_bounds, parallel_ok
from .rewiring_runtime import build_kernel as build_rewiring
from .lazy_rules import is_lazy, warn_lost, build as build_lazy
from .fusion import fold_ring, fold_state, fused_populations, plane
from .neuromodulation import MODULATORY
from .sources import MAX_EVENTS, drive_args, drive_arrays, make_events, merged_window
from .kernels.poisson_drive import add_poisson_counts, add_poisson_counts_parallel
from .kernels.arrival import flush_arrivals
from . import arrival_runtime, direct_runtime
EVENT_LIST = 1 << 15  # each thread's list of static synaptic events (kernels.delivery.gather_row)
EVENT_INDEX32_CELLS = 2 ** 31  # rings with fewer cells index their events with int32

CHUNK_STEPS = 1000
DRIVE_WINDOW = 128  # steps of Poisson-input counts added into the ring at once (aligned windows)
class Runtime:
    """Kernel-ready arrays of one network; rebuilt when the network's structure changes."""

    def __init__(self, net) -> None:
        self.net = net
        self.valid = False
        self.buf = None
        self.slot_mask = 0
        self.sources: dict[int, object] = {}
        self.drive = None          # Poisson inputs (spikesim.sources.drive_arrays), or None
        self.drive_filled = None   # their counts are in the ring for arrival steps < this
        self.ev_repeat = 0         # most source events in one step of the current window
        self._drive_seen = 0       # inputs whose counts have been added so far
        self.fused = frozenset()   # indices of the populations run fused (spikesim.fusion)
        self.at_arrival = None     # delivery at arrival (spikesim.arrival_runtime), or None
        self.direct = None         # delivery into the state (spikesim.direct_runtime), or None

    def invalidate(self) -> None:
        self.settle()
        self.valid = False

    def settle(self) -> None:
        """Add the events still to arrive from spikes in the history of delivery at arrival
        into their ring slots, as delivery at emission would have (the history is emptied).
        Called before anything reads or changes the ring or the network."""
        direct_runtime.settle(self)
        a = self.at_arrival
        if a is not None and self.buf is not None and (a.hist_t >= 0).any():
            flush_arrivals(self.net.step, a.bounds, self.buf.reshape(-1), self.buf.shape[1],
                           self.slot_mask, a.hist, a.hist_n, a.hist_t, a.targets, a.weights,
                           a.off, a.n_rec, a.max_delay)

    # ------------------------------------------------------------------ assembly
    def _build(self) -> None:
        net = self.net
        dtype = net.dtype
        pops = net.populations
        n = net.n_neurons
        npop = len(pops)
        self.seg_lo = np.array([p.first for p in pops], np.int64)
        self.seg_hi = np.array([p.first + p.size for p in pops], np.int64)
        # one engine per set of neuron models (in name order, so that the order of
        # populations does not make another; a fused population's model, spikesim.fusion, is
        # a variant of its own); with any synapse dynamic, all of them (their loops are small,
        # and each set would otherwise be compiled on its own)
        self.fused = fused_populations(net, self.fused)
        fold_state(net, [pops[i] for i in self.fused])
        if self.buf is not None:
            fold_ring(self.buf, [pops[i] for i in self.fused])
        variant = {p.index: p.celltype.model.__name__.rsplit(".", 1)[1]
                   + (FUSED if p.index in self.fused else "") for p in pops if p.celltype.kind != 0}
        names = sorted(set(variant.values()))
        models = [model_module(v) for v in names]
        self.engine_models = tuple(models)  # in seg_kind order (a fused variant: its model)
        dmods = []
        if any(j._dstate is not None for j in net.projections):
            dmods = [dynamic_module(name) for name in DYNAMICS]
        self.engine = engine_for(tuple(names), tuple(m.__name__.rsplit(".", 1)[1] for m in dmods))
        self.engine_dynamics = tuple(dmods)
        self.dyn = self._dynamics(net, dmods)
        self.seg_kind = np.array([names.index(variant[p.index]) if p.celltype.kind != 0 else -1
                                  for p in pops], np.int32)
        n_cols = max([len(m.COLUMNS) for m in models] + [1])
        # planes of the ring: one per receptor, two at least, one when every population is fused
        n_rec = max([max(planes(m, v.endswith(FUSED))) + 1 for m, v in zip(models, names)]
                    + [1 if models and len(self.fused) == len(variant) else 2])
        # injected currents per population: (change steps, amplitudes, neuron indices)
        self._load_schedules(net.step)
        # coarse-clock groups (astrocytes stepped between kernel chunks, see ``_tick_groups``)
        # may add a per-neuron current to a population: self.extra_current[pop index]
        self.clock_groups = [g for g in net.astrocytes if hasattr(g, "next_tick")]
        self.extra_current: dict[int, np.ndarray] = {}
        self.watch = np.zeros(0, np.int64)  # global ids whose spikes the groups need
        for g in self.clock_groups:
            g.attach(self)
        self.seg_het = np.array([p.celltype.kind != 0 and (
            p.index in self.extra_current or bool(self.change_steps[p.index])
            or any(np.ndim(v) > 0 for v in p.params.values())) for p in pops], np.bool_)
        self.seg_par = np.zeros((max(npop, 1), n_cols), dtype)
        self.het = np.zeros((n_cols, n if self.seg_het.any() else 1), dtype)
        # None prunes the per-neuron loops from the compiled engine
        self.het_arg = self.het if self.seg_het.any() else None
        for index in set(self.change_steps) | set(self.extra_current):
            self._set_columns(pops[index], net.step)
        self.neuron_pop = np.repeat(np.arange(npop, dtype=np.int32), [p.size for p in pops])
        # projections grouped by source population
        # a convolution packs as empty rows (KernelRows) and delivers through self.conv
        projs = [KernelRows(j, dtype) if j._conv is not None else j for j in net.projections]
        plastic = [j for j in projs if j.plastic and not is_lazy(j)]
        self.kernel_groups = [g for g in net.astrocytes if getattr(g, "in_kernel", False)]
        self.use_plastic = bool(plastic or self.kernel_groups)
        # plastic projections deliver when their spikes arrive (kernels.plasticity), not here
        # lazily updated STDP delivers as static projections do (kernels.lazy_stdp updates the
        # weights first); reward and punishment projections deliver nothing
        pl_idx = {j.index for j in plastic}
        # static projections delivered at arrival (spikesim.arrival_runtime) are not routed
        # at emission and not concatenated into the kernel's arrays
        self.at_arrival = None
        arr = arrival_runtime.eligible(self, projs, pl_idx | {j.index for j in projs if isinstance(
            j, KernelRows)}, n, n_rec, dtype)
        out = [[j.index for j in projs if j.pre is p and j.index not in pl_idx | arr
                and j.receptor_type not in MODULATORY] for p in pops]
        self.pop_out_ptr = np.zeros(npop + 1, np.int64)
        np.cumsum([len(o) for o in out], out=self.pop_out_ptr[1:])
        self.pop_out_proj = np.array([i for o in out for i in o], np.int64)
        self.pj_pre_lo = np.array([j.pre.first for j in projs], np.int64)
        self.pj_post_lo = np.array([j.post_population.first for j in projs], np.int64)
        self.pj_rec = np.array([plane(j.post_population, j.receptor_type, self.fused)
                                if j.receptor_type not in MODULATORY else 0 for j in projs], np.int64)
        self.pj_row_off = _offsets([j.indptr.shape[0] - 1 for j in projs])[:-1]
        # storage (structural: capacity); none for the projections delivered at arrival
        self.pj_syn = _offsets([0 if j.index in arr else j.post.shape[0] for j in projs])
        main_w = [np.zeros(1, dtype) if j.index in pl_idx else j._weight for j in projs]
        self.pj_w = _offsets([0 if j.index in arr else w.shape[0] for j, w in zip(projs, main_w)])
        self.pj_d = _offsets([0 if j.index in arr else j._delay.shape[0] for j in projs])
        self.n_parts = self._parts(n)
        self.bounds = balanced_bounds(n, self.n_parts, plastic,
                                      [(p.first, p.size) for p in pops if p.celltype.kind == 0])
        self.cut = _cat([row_cuts(j.indptr, j.post, j.post_population.first, self.bounds)
                         for j in projs], np.int64, (0, self.n_parts + 1))
        self.conv = kernel_conv(projs, self.bounds, dtype)  # None without convolutions
        # the one-thread engines read every row whole (first and last cut), every target
        self.cut_one = self.cut if self.n_parts == 1 else np.ascontiguousarray(self.cut[:, [0, -1]])
        self.conv_one = self.conv and self.conv._replace(bounds=self.conv.bounds[[0, -1]])
        self.governor = ThreadGovernor(self.n_parts)
        # concatenated one projection at a time, each projection's arrays then becoming views
        # into the kernel's: the synapses are held once, at a peak of one projection more
        emitted = [j for j in projs if j.index not in arr]
        self.post = _cat_views(emitted, "post", np.int32, self.pj_syn)
        self.weight = _cat(main_w, dtype) if plastic else _cat_views(emitted, "_weight", dtype,
                                                                         self.pj_w)
        self.delay = _cat_views(emitted, "_delay", np.uint16, self.pj_d)
        max_delay = max([int(j._delay.max(initial=1)) for j in projs] + [1])
        self.drive = drive_arrays(net, net.poisson_inputs, self.n_parts, self.fused)
        if self.drive is not None:  # the ring also holds a window of pre-drawn input counts
            max_delay = max(max_delay, self.drive["max_delay"]) + DRIVE_WINDOW
        self._ensure_ring(max_delay, n, dtype, n_rec)
        self._drive_new_inputs()
        if self.use_plastic:
            self.pl, self.ast = plastic_runtime.build(self, plastic, dtype)
            self.w_recs = list(net.weight_recorders)
            q_of = {j.index: q for q, j in enumerate(plastic)}
            idx = [self.pl.syn_lo[q_of[r.projection.index]] + r.synapses for r in self.w_recs]
            self.wr_idx = np.concatenate(idx).astype(np.int64) if idx else np.zeros(0, np.int64)
            self.wr_lo = _offsets([r.synapses.shape[0] for r in self.w_recs])
            self.wr_hi = self.wr_lo[1:].copy()
            self.wr_lo = self.wr_lo[:-1].copy()
            self.wr_every = np.array([r.every for r in self.w_recs], np.int64)
        # sources
        self.sources = {p.index: self.sources.get(p.index) or make_events(p, net.dt, p.rng)
                        for p in pops if p.celltype.kind == 0}
        # recording
        self.rec_mask = np.zeros(n, np.bool_)
        cols_var, cols_idx, self.state_recs = [], [], []
        for r in net.recorders:
            if "spikes" in r.variables:
                self.rec_mask[r.population.first + r.indices] = True
            for var in r.variables:
                if var not in ("spikes", "rate"):
                    lo = len(cols_idx)
                    cols_var += [r.population.celltype.model.STATE.index(var)] * r.indices.shape[0]
                    cols_idx += list(r.population.first + r.indices)
                    self.state_recs.append((r, var, lo, len(cols_idx)))
        self.rec_mask[self.watch] = True
        self.sv_var = np.array(cols_var, np.int32)
        self.sv_idx = np.array(cols_idx, np.int64)
        self.sr_lo = np.array([s[2] for s in self.state_recs], np.int64)
        self.sr_hi = np.array([s[3] for s in self.state_recs], np.int64)
        self.sr_every = np.array([s[0].every for s in self.state_recs], np.int64)
        self.rec_max = int(self.rec_mask.sum())
        cap = max(1 << 18, 4 * self.rec_max)
        self.spk_step = np.empty(cap, np.int64)
        self.spk_id = np.empty(cap, np.int64)
        part = int(np.diff(self.bounds).max(initial=1))
        self.fired = np.zeros((self.n_parts, BLOCK + 8), np.bool_)
        self.spikes = np.empty(max(n, 1), np.int64)
        self.part_spikes = np.empty((self.n_parts, max(part, 1)), np.int64)
        self.part_n = np.zeros(self.n_parts, np.int64)
        # flat ring indices: int32 while the ring has fewer than 2**31 cells (4 bytes less per
        # event written and read back: full-scale microcircuit replay 5.0 -> 4.6 ns per event)
        self.ev_addr = np.empty((self.n_parts, EVENT_LIST),
                                np.int32 if self.buf.size < EVENT_INDEX32_CELLS else np.int64)
        self.ev_w = np.empty((self.n_parts, EVENT_LIST), dtype)
        self.rate_recs = [r for r in net.recorders if "rate" in r.variables]
        self.spike_recs = [r for r in net.recorders if "spikes" in r.variables]
        self.rw = build_rewiring(self)  # synaptic rewiring (spikesim.rewiring), or None
        self.lazy = build_lazy(self, projs)  # spikesim.lazy_rules, or None
        if arr:
            self.at_arrival = arrival_runtime.build(projs, arr, pops, self.pj_rec, n, self.bounds,
                                                    n_rec, dtype, self.spikes.shape[0])
        self.direct = direct_runtime.build(self, models, n_rec)
        self.valid = True

    def _fill_drive(self, arrays, s0: int, s1: int) -> None:
        """Add the Poisson-input counts arriving in steps ``[s0, s1)`` into the ring."""
        fill = add_poisson_counts_parallel if arrays["bounds"].shape[0] > 2 else add_poisson_counts
        fill(self.buf, self.slot_mask, s0, s1, *drive_args(arrays))

    def _drive_new_inputs(self) -> None:
        """Inputs added after counts were pre-drawn get theirs for the steps already filled."""
        net = self.net
        new = net.poisson_inputs[self._drive_seen:]
        if new and self.drive_filled is not None and self.drive_filled > net.step:
            self._fill_drive(drive_arrays(net, new, 1, self.fused), net.step, self.drive_filled)
        self._drive_seen = len(net.poisson_inputs)

    def withdraw_drive(self, inp, pos: int) -> None:
        """Before input ``inp`` (at ``pos`` in ``net.poisson_inputs``) is removed: take back the
        counts already added into the ring that it would emit from the current step on
        (arrivals from ``step + delay``; the same counter-based counts, negative weight)."""
        import copy

        net = self.net
        first = net.step + inp.delay_steps
        if self.drive_filled is not None and self.drive_filled > first and pos < self._drive_seen:
            ghost = copy.copy(inp)
            ghost.weight = -inp.weight
            self._fill_drive(drive_arrays(net, [ghost], 1, self.fused), first, self.drive_filled)
        if pos < self._drive_seen:
            self._drive_seen -= 1

    def _drive_window(self, t0: int, t1: int) -> None:
        """Before steps ``[t0, t1)``: pre-draw the counts of the aligned window holding ``t0``.

        Windows are ``[k W, (k+1) W)`` in absolute steps (``W = DRIVE_WINDOW``), each filled
        once, when the loop first reaches it, so the order in which counts and spikes are
        summed into a slot does not depend on how ``run()`` is split.
        """
        if self.drive is None:
            return
        if self.drive_filled is None or self.drive_filled < t0:
            self.drive_filled = t0
        if self.drive_filled < t1:
            end = (t0 // DRIVE_WINDOW + 1) * DRIVE_WINDOW
            self._fill_drive(self.drive, self.drive_filled, end)
            self.drive_filled = end

    def _load_schedules(self, until_step: int) -> None:
        """Injected currents per population: ``change_steps[pop] = [(steps, amplitudes, idx)]``.

        Sources whose schedule never ends (``ACSource``) are sampled up to ``until_step``;
        ``run`` reloads them when it goes further.
        """
        net = self.net
        self.change_steps = {p.index: [] for p in net.populations if p.celltype.kind != 0}
        self.schedule_until = until_step
        for k, (source, q, idx) in enumerate(net.injections):
            times, amps = injection_schedule(net, k, until_step * net.dt)
            self.change_steps[q.index].append((np.rint(times / net.dt).astype(np.int64), amps, idx))

    @staticmethod
    def _dynamics(net, dmods):
        """The kernel's :class:`~spikesim.kernels.engine.Dynamics`, or None without dynamics.

        The projections' state arrays become views into the concatenated ones, so the
        kernel updates them in place.
        """
        projs = [j for j in net.projections if j._dstate is not None]
        if not projs:
            return None
        n_state = max([len(m.STATE) for m in dmods] + [1])
        n_par = max([len(m.PARAMS) for m in dmods] + [1])
        total = sum(j.n_synapses for j in projs)
        kind = np.full(len(net.projections), -1, np.int32)
        off = np.zeros(len(net.projections), np.int64)
        S = np.zeros((n_state, max(total, 1)))
        P = np.zeros((n_par, max(total, 1)))
        last = np.zeros(max(total, 1), np.int64)
        o = 0
        for j in projs:
            ds, m = j._dstate, j.n_synapses
            kind[j.index] = dmods.index(ds["dynamics"].module)
            off[j.index] = o
            S[:ds["S"].shape[0], o:o + m] = ds["S"]
            P[:ds["P"].shape[0], o:o + m] = ds["P"]
            last[o:o + m] = ds["last"]
            ds["S"], ds["last"] = S[:ds["S"].shape[0], o:o + m], last[o:o + m]
            o += m
        return Dynamics(kind, off, S, P, last, np.array([net.dt]),
                        np.array([net._dynamics_seed()], np.uint64))

    def _parts(self, n: int) -> int:
        if getattr(self.net, "_rewiring", None):
            return 1  # rewiring runs inside the one-thread loop only
        if self.use_plastic and self.net.weight_recorders:
            return 1  # weights are sampled inside the one-thread loop only
        if any(j.plastic and j.synapse.delay_model == "dendritic" for j in self.net.projections):
            return 1  # dendritic-delay STDP runs inside the one-thread loop only
        if any(j.receptor_type in MODULATORY for j in self.net.projections):
            return 1  # so do dopamine events (spikesim.lazy_rules)
        threads = self.net.threads
        if threads == "auto":
            if n < PARALLEL_MIN_NEURONS or not parallel_ok():
                return 1
            import numba

            return max(1, min(numba.config.NUMBA_NUM_THREADS, 8))
        if threads > 1 and not parallel_ok():
            return 1
        return threads

    def _set_columns(self, p, step: int) -> None:
        """Write population ``p``'s propagator columns, with the currents in force at ``step``."""
        i_inj = np.zeros(p.size)
        for times, amps, idx in self.change_steps.get(p.index, []):
            i_inj[idx] += amplitude_at(times, amps, step)
        if p.index in self.extra_current:
            i_inj += self.extra_current[p.index]
        if self.seg_het[p.index]:
            cols = p.celltype.columns(p.params, self.net.dt, i_inj)
            check_columns(p.celltype, cols, self.net.dtype)
            self.het[:cols.shape[0], p.first:p.first + p.size] = cols if cols.ndim == 2 else cols[:, None]
        else:
            cols = p.celltype.columns(p.params, self.net.dt)
            self.seg_par[p.index, :cols.shape[0]] = cols

    def _ensure_ring(self, max_delay: int, n: int, dtype, n_rec: int) -> None:
        # Slot t is consumed (read and cleared) by the neuron update of step t before any
        # spike of step t is delivered, so a delay of max_delay steps may land in the
        # slot just consumed: max_delay slots suffice (one for delays of a single step).
        slots = 1
        while slots < max_delay:
            slots *= 2
        old = self.buf
        if old is not None and old.shape[1] >= slots and old.shape[2] == n and old.dtype == dtype \
                and old.shape[0] == n_rec:
            return
        buf = np.zeros((n_rec, max(slots, old.shape[1] if old is not None else 0), n), dtype)
        if old is not None:  # keep pending input at its absolute step
            t = self.net.step
            om, nm = old.shape[1] - 1, buf.shape[1] - 1
            m = min(old.shape[2], n)
            r = min(old.shape[0], n_rec)
            for s in range(t, t + old.shape[1]):
                buf[:r, s & nm, :m] = old[:r, s & om, :m]
        self.buf = buf
        self.slot_mask = buf.shape[1] - 1

    # ------------------------------------------------------------------ running
    def run(self, n_steps: int, progress) -> None:
        if not self.valid:
            self._build()
        net = self.net
        t_end = net.step + n_steps
        if t_end > self.schedule_until and any(getattr(src, "sampled", False)
                                               for src, _, _ in net.injections):
            self._load_schedules(t_end)
        bar = _progress(n_steps * net.dt, progress)
        changes = sorted({int(s) for sched in self.change_steps.values() for times, _, _ in sched
                          for s in times})
        try:
            while net.step < t_end:
                t0 = net.step
                k = bisect.bisect_right(changes, t0)
                if k and changes[k - 1] == t0:  # some injected current changes now
                    for index, sched in self.change_steps.items():
                        if sched:
                            self._set_columns(net.populations[index], t0)
                t1 = min([t_end, t0 + self._window_steps(),
                          changes[k] if k < len(changes) else t_end]
                         + [g.next_tick(t0) for g in self.clock_groups]
                         + ([(t0 // DRIVE_WINDOW + 1) * DRIVE_WINDOW] if self.drive is not None
                            else []))
                self._drive_window(t0, t1)
                self._run_window(t0, t1)
                self._tick_groups(t1)
                if bar is not None:
                    bar.update((t1 - t0) * net.dt)
        finally:
            if bar is not None:
                bar.close()
            for f in net._files.values():
                f.flush()

    def _window_steps(self) -> int:
        """Steps per kernel window: CHUNK_STEPS, fewer when Poisson sources above one spike
        per step would otherwise hold more than MAX_EVENTS events at once (a muted source
        holds none)."""
        per = sum(getattr(s, "held_per_step", 0.0) for s in self.sources.values())
        return int(max(1, min(CHUNK_STEPS, MAX_EVENTS // max(per, 1.0))))

    def _tick_groups(self, step: int) -> None:
        """Step every coarse-clock group whose tick falls at ``step``.

        A group's ``tick(runtime, step)`` may change ``extra_current``; the
        columns of every population it lists in its return value are then
        rewritten, so the new current acts from step ``step`` on.
        """
        for g in self.clock_groups:
            if g.next_tick(step - 1) == step:
                for index in g.tick(self, step):
                    self._set_columns(self.net.populations[index], step)

    def kernel_args(self, t, n, ev_step, ev_id, ev_pos, counts, sr_ptr, sv_out,
                    threaded: bool = True) -> tuple:
        """The arguments :func:`run_chunk` and :func:`run_chunk_parallel` share, in order
        (``threaded=False``: the row cuts and convolution bounds of the one-thread engines)."""
        st = self.net._state
        return (t, n, self.slot_mask, st.S, st.ref, self.buf,
                self.seg_lo, self.seg_hi, self.seg_kind, self.seg_het, self.seg_par,
                self.het_arg,
                self.neuron_pop, self.pop_out_ptr, self.pop_out_proj,
                self.pj_pre_lo, self.pj_post_lo, self.pj_rec, self.pj_row_off,
                self.pj_syn, self.pj_w, self.pj_d, self.cut if threaded else self.cut_one,
                self.post, self.weight, self.delay,
                self.dyn, self.conv if threaded else self.conv_one, self.ev_addr, self.ev_w,
                ev_step, ev_id, ev_pos, self.rec_mask, self.rec_max + self.ev_repeat, self.spk_step,
                self.spk_id, 0,
                counts, self.sv_var, self.sv_idx, self.sr_lo, self.sr_hi, self.sr_every, sr_ptr,
                sv_out)

    def _room_for_repeats(self, ev_step: np.ndarray) -> None:
        """Room for source events beyond one per neuron and step (a SpikeSourcePoisson above
        ``1000/dt`` Hz, a SpikeSourceArray with ``same_step='all'``): the step's spike list
        and the spike record grow by the largest number of events in one step."""
        most = 0
        if ev_step.shape[0]:
            edges = np.flatnonzero(np.diff(ev_step)) + 1
            most = int(np.diff(np.concatenate([[0], edges, [ev_step.shape[0]]])).max())
        self.ev_repeat = most
        n = self.net.n_neurons
        if self.spikes.shape[0] < n + most:
            self.spikes = np.empty(n + most, np.int64)
            self.at_arrival = arrival_runtime.grow_history(self.at_arrival, n + most)
            self.direct = direct_runtime.grow(self.direct, n + most)
        if self.spk_step.shape[0] < 2 * (self.rec_max + most):
            self.spk_step = np.empty(2 * (self.rec_max + most), np.int64)
            self.spk_id = np.empty(2 * (self.rec_max + most), np.int64)

    def _run_window(self, t0: int, t1: int) -> None:
        net = self.net
        ev_step, ev_id = merged_window(list(self.sources.values()), t0, t1)
        self._room_for_repeats(ev_step)
        t = t0
        ev_pos = 0
        while t < t1:
            threaded = self.governor.threaded()  # or one thread, when that is faster now
            n = self.governor.window_steps(t1 - t)  # a warm-up or a probe runs a short window
            counts = np.zeros((n, max(len(net.populations), 1)), np.int32)
            samples = [(t + np.arange(n))[((t + np.arange(n) + 1) % s[0].every) == 0]
                       for s in self.state_recs]
            sizes = [len(smp) * (s[3] - s[2]) for smp, s in zip(samples, self.state_recs)]
            sr_ptr = _offsets(sizes)[:-1].copy()
            starts = sr_ptr.copy()
            sv_out = np.empty(int(sum(sizes)), np.float64)
            self.governor.start()
            args = self.kernel_args(t, n, ev_step, ev_id, ev_pos, counts, sr_ptr, sv_out, threaded)
            eng = self.engine
            if self.use_plastic and threaded:
                done, n_spk, ev_pos = eng.run_chunk_plastic_parallel(
                    *args, self.fired, self.spikes, self.bounds, self.part_spikes, self.part_n,
                    self.pl, self.ast, self.direct)
            elif self.use_plastic:
                wsmp = [(t + np.arange(n))[((t + np.arange(n) + 1) % r.every) == 0]
                        for r in self.w_recs]
                wsz = [len(smp) * r.synapses.shape[0] for smp, r in zip(wsmp, self.w_recs)]
                wr_ptr = _offsets(wsz)[:-1].copy()
                wstart = wr_ptr.copy()
                wr_out = np.empty(int(sum(wsz)), self.pl.w.dtype)
                done, n_spk, ev_pos = eng.run_chunk_plastic(
                    *args, self.fired[0], self.spikes, self.pl, self.ast, self.wr_idx, self.wr_lo,
                    self.wr_hi, self.wr_every, wr_ptr, wr_out, self.rw, self.lazy, self.direct)
                for k, r in enumerate(self.w_recs):
                    ncol = r.synapses.shape[0]
                    got = (wr_ptr[k] - wstart[k]) // ncol if ncol else 0
                    r._add(wsmp[k][:got], wr_out[wstart[k]:wstart[k] + got * ncol].reshape(got, ncol))
            elif not threaded:
                done, n_spk, ev_pos = eng.run_chunk(*args, self.fired[0], self.spikes, self.rw,
                                                    self.lazy, self.at_arrival, self.direct)
            else:
                done, n_spk, ev_pos = eng.run_chunk_parallel(
                    *args, self.fired, self.spikes, self.bounds, self.part_spikes, self.part_n,
                    self.at_arrival, self.direct)
            self.governor.done(done)
            if self.lazy is not None:
                warn_lost(self.net)
            for r in self.spike_recs:
                r._add_spikes(self.spk_step[:n_spk], self.spk_id[:n_spk])
            for g in self.clock_groups:
                g.on_spikes(self.spk_step[:n_spk], self.spk_id[:n_spk])
            for r in self.rate_recs:
                r._add_counts(counts[:done, r.population.index])
            for k, (r, var, lo, hi) in enumerate(self.state_recs):
                ncol = hi - lo
                got = (sr_ptr[k] - starts[k]) // max(ncol, 1) if ncol else 0
                smp = samples[k][:got]
                block = sv_out[starts[k]:starts[k] + got * ncol].reshape(got, ncol)
                r._add_samples(var, smp, block)
            for r in net.recorders:
                r._store.flush()
            t += done
            net.step = t


def _offsets(sizes) -> np.ndarray:
    out = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


def _cat_views(projs, name: str, dtype, offsets) -> np.ndarray:
    """``_cat`` of attribute ``name`` of every projection; each then holds a view into the result.

    ``offsets`` are indexed by projection index (projections absent from ``projs``, those
    delivered at arrival, have empty parts). A part whose dtype differs from ``dtype``
    (never for arrays spikesim built) is copied, not viewed. Returns ``zeros(1)`` without
    projections, as ``_cat``.
    """
    if len(projs) <= 1 or any(getattr(j, name).dtype != np.dtype(dtype) for j in projs):
        return _cat([getattr(j, name) for j in projs], dtype)
    out = np.empty(int(offsets[-1]), dtype)
    for j in projs:
        a, b = int(offsets[j.index]), int(offsets[j.index + 1])
        out[a:b] = getattr(j, name)
        setattr(j, name, out[a:b])
    return out


def _cat(parts, dtype, empty_shape=(1,)) -> np.ndarray:
    if len(parts) == 1:
        return np.ascontiguousarray(parts[0], dtype=dtype)
    if not parts:
        return np.zeros(empty_shape, dtype)
    return np.concatenate(parts).astype(dtype, copy=False)


def _progress(total_ms: float, progress):
    if progress is False:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total_ms, unit="ms", delay=0 if progress else 3.0, leave=False,
                bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} ms [{elapsed}<{remaining}]")
