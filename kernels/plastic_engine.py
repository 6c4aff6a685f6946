"""The simulation loop for networks with plastic synapses or NALSM astrocytes.

Per step ``t`` (compare :mod:`.engine`):

1. plastic synapses whose presynaptic spike arrives in step ``t`` are depressed
   and deliver their new weight into slot ``t`` (:func:`.plasticity.process_arrivals`);
2. neurons are updated and the step's spikes gathered, counted and recorded;
   with delivery into the state (:mod:`.direct`), 1 follows the update and adds into
   the state, and static projections deliver the spikes of step ``t - delay`` there;
3. postsynaptic spikes potentiate their incoming plastic synapses
   (:func:`.potentiation.potentiate`), presynaptic emissions enter the
   trace histories (:func:`.plasticity.push_emissions`); dendritic-delay synapses
   are depressed and deliver at emission, and the postsynaptic spikes that reach
   them in step ``t + 1`` potentiate them (:func:`.potentiation.potentiate_delayed`);
4. static projections deliver as in :func:`.engine.run_chunk`;
5. NALSM astrocytes integrate the step's spikes, modulators decay;
6. state and weight recorders sample.
"""
import numpy as np
from numba import prange

# the names the drivers use; kernels.codegen imports the same ones into each generated engine
from .engine import (count_and_record, deliver_spikes, driver, flush_subnormal,  # noqa: F401
                     pass_on, sample_state, take_events, update_part)
from .direct import push_spikes  # noqa: F401
from .plasticity import (process_arrivals, push_emissions, sample_weights,  # noqa: F401
                         step_astrocytes, step_modulators)
from .potentiation import potentiate, potentiate_delayed  # noqa: F401
from .rewiring import rewire_step  # noqa: F401


@driver
def run_chunk_plastic(t0, n_steps, slot_mask, S, ref, buf,
                      seg_lo, seg_hi, seg_kind, seg_het, seg_par, het,
                      neuron_pop, pop_out_ptr, pop_out_proj,
                      pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d,
                      cut, post, weight, delay, dyn, conv, ev_addr, ev_w,
                      ev_step, ev_id, ev_pos,
                      rec_mask, rec_max_per_step, spk_step, spk_id, n_spk,
                      counts, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out,
                      fired, spikes, pl, ast, wr_idx, wr_lo, wr_hi, wr_every, wr_ptr, wr_out,
                      rw=None, lazy=None, direct=None):
    """As :func:`.engine.run_chunk`, plus plasticity (``pl``, a :class:`.plasticity.Plastic`),
    NALSM astrocytes (``ast``, a :class:`.plasticity.Astro`) and weight recorders
    (``wr_*``, laid out like the state recorders over indices into ``pl.w``).
    Dendritic-delay projections (``pl.dendritic``) need this one-thread loop.

    Plastic projections must not appear in ``pop_out_proj``: they deliver on arrival.
    ``rw``: synaptic rewiring (:class:`.rewiring.Rewiring`), or None (not compiled); its
    attempts run at the end of each step, after plasticity, before the recorders sample.
    ``lazy``: sPyNNaker's lazily updated rules (:mod:`.lazy_stdp`), or None (not compiled).
    ``direct``: delivery into the state (:class:`.direct.Direct`, as in
    :func:`.engine.run_chunk`; the plastic arrivals of step ``t`` are added into the state
    after its update), or None (ring buffer).
    """
    cap = spk_step.shape[0]
    n = S.shape[1]
    zero = np.int64(0)  # int64, not Literal[0]: the callees compile once for both drivers
    yes, no = np.bool_(True), np.bool_(False)  # likewise: not Literal[bool]
    rows = np.zeros(1, np.int64) if direct is None else direct.rows
    dendritic = (pl.dendritic == 1).any()  # else their calls are skipped (~0.4 us a step)
    for k in range(n_steps):
        if n_spk + rec_max_per_step > cap:
            return k, n_spk, ev_pos
        t = t0 + k
        into_state = direct is not None  # then depression follows the update (below)
        if not into_state:
            process_arrivals(t, pl, ast.A, slot_mask, buf, pj_pre_lo, pj_post_lo, pj_rec,
                             pj_row_off, pj_syn, pj_d, cut, post, delay, zero, no, S, rows, no)
        ns = update_part(t, zero, n, zero, S, ref, buf, seg_lo, seg_hi, seg_kind, seg_het,
                         seg_par, het, fired, spikes, neuron_pop, pop_out_ptr, pop_out_proj,
                         pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d, cut,
                         post, weight, delay, direct)
        if into_state:  # the traces and modulators are still those before step t
            process_arrivals(t, pl, ast.A, slot_mask, buf, pj_pre_lo, pj_post_lo, pj_rec,
                             pj_row_off, pj_syn, pj_d, cut, post, delay, zero, no, S, rows, yes)
        flush_subnormal(t, S, zero, n)
        ev_pos, ns = take_events(t, ev_step, ev_id, ev_pos, spikes, ns)
        n_spk = count_and_record(k, t, spikes, ns, neuron_pop, counts, rec_mask, spk_step,
                                 spk_id, n_spk)
        potentiate(t, spikes, ns, pl, pj_post_lo, pj_d, delay, ast.A)
        push_emissions(t, spikes, ns, pl, pj_pre_lo)
        if dendritic:  # depressed and delivered at emission
            process_arrivals(t, pl, ast.A, slot_mask, buf, pj_pre_lo, pj_post_lo, pj_rec,
                             pj_row_off, pj_syn, pj_d, cut, post, delay, zero, yes, S, rows, no)
            potentiate_delayed(t, pl, pj_post_lo, pj_d, delay, ast.A)
        pass_on(t, spikes, ns, slot_mask, buf, neuron_pop, pop_out_ptr, pop_out_proj, pj_pre_lo,
                pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d, cut, post, weight, delay,
                dyn, conv, ev_addr, ev_w, lazy, direct)
        step_astrocytes(spikes, ns, ast)
        step_modulators(pl, yes, yes)
        if rw is not None:
            plr = pl.wrun if pl.wrun.shape[0] == pl.w.shape[0] else pl.w
            rewire_step(t, rw, spikes, ns, cut, post, weight, delay, pj_syn, pj_w, pj_d, pl.w, plr,
                        pl.col_pre, pl.col_syn)
        sample_state(t, S, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out)
        sample_weights(t, pl.w, wr_idx, wr_lo, wr_hi, wr_every, wr_ptr, wr_out)
    return n_steps, n_spk, ev_pos


@driver(parallel=True)
def run_chunk_plastic_parallel(t0, n_steps, slot_mask, S, ref, buf,
                               seg_lo, seg_hi, seg_kind, seg_het, seg_par, het,
                               neuron_pop, pop_out_ptr, pop_out_proj,
                               pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d,
                               cut, post, weight, delay, dyn, conv, ev_addr, ev_w,
                               ev_step, ev_id, ev_pos,
                               rec_mask, rec_max_per_step, spk_step, spk_id, n_spk,
                               counts, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out,
                               fired, spikes, bounds, part_spikes, part_n, pl, ast,
                               direct=None):
    """As :func:`run_chunk_plastic`, with the neurons split at ``bounds``, one part per thread.

    Each thread owns the synapses onto its own neurons. One parallel region
    per step ``t``: every thread delivers step ``t - 1``'s static spikes into
    its targets, potentiates the incoming synapses of its own neurons that
    fired in step ``t - 1``, depresses and delivers the plastic arrivals of
    step ``t`` onto its targets, then updates its neurons. Histories of step
    ``t``'s emissions are written between regions (one thread); potentiation
    only reads emissions of earlier steps, so the result is bit-identical to
    :func:`run_chunk_plastic`. Weight recorders are not supported here (the
    runtime uses the one-thread loop when there are any). ``direct``: as in
    :func:`run_chunk_plastic`; each thread adds the arrivals of step ``t`` and the static
    spikes of step ``t - delay`` into its own neurons' state after their update.
    """
    cap = spk_step.shape[0]
    n_parts = bounds.shape[0] - 1
    zero = np.int64(0)
    yes, no = np.bool_(True), np.bool_(False)
    rows = np.zeros(1, np.int64) if direct is None else direct.rows
    ns = zero
    k = zero
    while True:
        t = t0 + k
        last = k == n_steps or n_spk + rec_max_per_step > cap
        for pu in prange(n_parts):
            p = np.int64(pu)
            if direct is None:
                deliver_spikes(t - 1, spikes, ns, p, slot_mask, buf, neuron_pop, pop_out_ptr,
                               pop_out_proj, pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn,
                               pj_w, pj_d, cut, post, weight, delay, dyn, conv, ev_addr,
                               ev_w)
            if k > 0:
                # one step late: the astrocytes have already taken step t - 1, A_prev is
                # their A after step t - 2, as the one-thread loop's potentiation sees it
                potentiate(t - 1, part_spikes[p], part_n[p], pl, pj_post_lo, pj_d, delay,
                           ast.A_prev)
            if not last:
                into_state = direct is not None
                if not into_state:
                    process_arrivals(t, pl, ast.A, slot_mask, buf, pj_pre_lo, pj_post_lo, pj_rec,
                                     pj_row_off, pj_syn, pj_d, cut, post, delay, p, no, S, rows,
                                     no)
                part_n[p] = update_part(t, bounds[p], bounds[p + 1], p, S, ref, buf,
                                        seg_lo, seg_hi, seg_kind, seg_het, seg_par, het,
                                        fired[p], part_spikes[p], neuron_pop, pop_out_ptr,
                                        pop_out_proj, pj_pre_lo, pj_post_lo, pj_rec, pj_row_off,
                                        pj_syn, pj_w, pj_d, cut, post, weight, delay, direct)
                if into_state:  # potentiation of t - 1 and astrocytes of t - 1 done: the
                    # traces, modulators and A are those the one-thread loop reads
                    process_arrivals(t, pl, ast.A, slot_mask, buf, pj_pre_lo, pj_post_lo, pj_rec,
                                     pj_row_off, pj_syn, pj_d, cut, post, delay, p, no, S, rows,
                                     yes)
                flush_subnormal(t, S, bounds[p], bounds[p + 1])
        if k > 0:  # the potentiation of step t - 1 is done: its decay applies now
            step_modulators(pl, yes, no)
        if last:
            return k, n_spk, ev_pos
        ns = zero
        for p in range(n_parts):
            for q in range(part_n[p]):
                spikes[ns] = part_spikes[p, q]
                ns += 1
        ev_pos, ns = take_events(t, ev_step, ev_id, ev_pos, spikes, ns)
        n_spk = count_and_record(k, t, spikes, ns, neuron_pop, counts, rec_mask, spk_step,
                                 spk_id, n_spk)
        push_emissions(t, spikes, ns, pl, pj_pre_lo)
        if direct is not None:
            push_spikes(t, spikes, ns, direct)
        step_astrocytes(spikes, ns, ast)
        step_modulators(pl, no, yes)
        sample_state(t, S, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out)
        k += 1
