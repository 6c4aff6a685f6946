"""NumPy twin of :func:`spikesim.kernels.engine.run_chunk`: same arguments, plain Python loops.

Obviously-correct and slow: state arrays are updated with whole-array NumPy
expressions per segment, spikes are delivered synapse by synapse.
"""
import numpy as np

from spikesim.kernels.codegen import dynamic_module, model_module
from spikesim.kernels.engine import FLUSH_EVERY

from . import convolution_ref
from . import synapses as synapses_ref
from .neurons import columns_by_name, twin


def run_chunk(t0, n_steps, slot_mask, S, ref, buf,
              seg_lo, seg_hi, seg_kind, seg_het, seg_par, het,
              neuron_pop, pop_out_ptr, pop_out_proj,
              pj_pre_lo, pj_post_lo, pj_rec, pj_row_off, pj_syn, pj_w, pj_d,
              cut, post, weight, delay, dyn, conv, ev_addr, ev_w, ev_step, ev_id, ev_pos,
              rec_mask, rec_max_per_step, spk_step, spk_id, n_spk,
              counts, sv_var, sv_idx, sr_lo, sr_hi, sr_every, sr_ptr, sv_out, models=(),
              dynamics=(), direct=None):
    """``models`` / ``dynamics``: the engine's neuron model and synapse dynamic module names;
    ``seg_kind`` and ``dyn.kind`` index them. ``ev_addr`` / ``ev_w`` (the kernel's event
    lists) are not used: the twin adds each synapse into the ring as it walks the row.
    ``direct`` (:class:`spikesim.kernels.direct.Direct`, or None): from step
    ``direct.ring_until`` on the inputs are 0; after the update of step ``t`` every synapse of
    the spikes of step ``t - delay`` is added into state row ``direct.rows[plane]`` of its
    target, one by one; the step's spikes go into the history instead of the ring."""
    cap = spk_step.shape[0]
    for k in range(n_steps):
        if n_spk + rec_max_per_step > cap:
            return k, n_spk, ev_pos
        t = t0 + k
        slot = t & slot_mask
        spikes = []
        for s in range(len(seg_lo)):
            lo, hi = seg_lo[s], seg_hi[s]
            if seg_kind[s] < 0:
                continue
            name = models[seg_kind[s]]
            m = model_module(name)
            cols = het[:, lo:hi] if seg_het[s] else seg_par[s]
            c = columns_by_name(m, cols)
            ns, nr = len(m.STATE), len(m.RECEPTORS)
            dry = direct is not None and t >= direct.ring_until[0]
            inputs = [np.zeros(hi - lo, S.dtype) if dry else buf[q, slot, lo:hi]
                      for q in range(nr)]
            rows, r, spike = twin(name).step([S[x, lo:hi] for x in range(ns)], ref[lo:hi],
                                             inputs, c)
            for x in range(ns):
                S[x, lo:hi] = rows[x]
            ref[lo:hi] = r
            if not dry:
                buf[:nr, slot, lo:hi] = 0
            spikes += list(lo + np.flatnonzero(spike))
        if direct is not None:
            h = (t - direct.delay[0]) % direct.hist_t.shape[0]
            if direct.hist_t[h] == t - direct.delay[0]:
                for j in direct.hist[h, :direct.hist_n[h]]:
                    p = neuron_pop[j]
                    for pj in pop_out_proj[pop_out_ptr[p]:pop_out_ptr[p + 1]]:
                        row = pj_row_off[pj] + j - pj_pre_lo[pj]
                        w = weight[pj_w[pj]:pj_w[pj + 1]]
                        tg = post[pj_syn[pj]:pj_syn[pj + 1]]
                        for syn in range(cut[row, 0], cut[row, -1]):
                            S[direct.rows[pj_rec[pj]], pj_post_lo[pj] + tg[syn]] += \
                                w[0] if len(w) == 1 else w[syn]
        if t % FLUSH_EVERY == 0:  # subnormal state values become 0 (kernels.engine.flush_subnormal)
            S[np.abs(S) < np.finfo(S.dtype).tiny] = 0
        while ev_pos < len(ev_step) and ev_step[ev_pos] <= t:
            spikes.append(ev_id[ev_pos])
            ev_pos += 1
        if direct is not None:
            h = t % direct.hist_t.shape[0]
            direct.hist[h, :len(spikes)] = spikes
            direct.hist_n[h], direct.hist_t[h] = len(spikes), t
        for j in spikes:
            p = neuron_pop[j]
            counts[k, p] += 1
            if rec_mask[j]:
                spk_step[n_spk], spk_id[n_spk] = t, j
                n_spk += 1
            for pj in pop_out_proj[pop_out_ptr[p]:pop_out_ptr[p + 1]] if direct is None else []:
                if conv is not None and conv.idx[pj] >= 0:  # a shared kernel: no rows
                    c = conv.idx[pj]
                    convolution_ref.deliver_conv(buf[pj_rec[pj]], j - pj_pre_lo[pj], conv.geom[c],
                                                 conv.weight[conv.w_off[c]:conv.w_off[c + 1]],
                                                 pj_post_lo[pj], 0, buf.shape[2], t, slot_mask)
                    continue
                row = pj_row_off[pj] + j - pj_pre_lo[pj]
                w = weight[pj_w[pj]:pj_w[pj + 1]]
                d = delay[pj_d[pj]:pj_d[pj + 1]]
                tg = post[pj_syn[pj]:pj_syn[pj + 1]]
                for syn in range(cut[row, 0], cut[row, -1]):
                    wk = w[0] if len(w) == 1 else w[syn]
                    dk = d[0] if len(d) == 1 else d[syn]
                    if dyn is not None and dyn.kind[pj] >= 0:
                        name = dynamics[dyn.kind[pj]]
                        mod = dynamic_module(name)
                        wk = wk * synapses_ref.deliver(name, dyn.S, dyn.P, dyn.last,
                                                       dyn.off[pj] + syn, t, dyn.dt[0],
                                                       dyn.seed[0], len(mod.STATE),
                                                       len(mod.PARAMS))
                        if wk == 0.0:
                            continue
                    buf[pj_rec[pj], (t + int(dk)) & slot_mask, pj_post_lo[pj] + tg[syn]] += wk
        for r in range(len(sr_lo)):
            if (t + 1) % sr_every[r] == 0:
                for c in range(sr_lo[r], sr_hi[r]):
                    sv_out[sr_ptr[r]] = S[sv_var[c], sv_idx[c]]
                    sr_ptr[r] += 1
    return n_steps, n_spk, ev_pos
