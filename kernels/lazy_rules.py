"""Step ``t`` of sPyNNaker's lazily updated rules (:mod:`.lazy_stdp`): events into the
histories, then the synapses of every spiking presynaptic neuron, by their rule."""
import numpy as np

from ._config import jit
from .lazy_stdp import KIND_DOPAMINE, P_DT, P_KIND, P_MEAN_PRE, P_TAU_PLUS, add_event, \
    draw_window, window
from .neuromodulation import update_dopamine
from .recurrent import update_recurrent


@jit
def lazy_step(t, spikes, ns, ls, weight):
    """Step ``t``'s spikes (see the module docstring)."""
    for k in range(ns):
        s = ls.slot_of[spikes[k]]
        if s >= 0:
            add_event(ls, s, t, False, 0.0)
    for k in range(ns):
        i = spikes[k]
        for r in range(ls.rw_ptr[i], ls.rw_ptr[i + 1]):
            add_event(ls, ls.rw_slot[r], t, True, ls.rw_conc[r])
    for k in range(ns):
        i = spikes[k]
        for m in range(ls.n_ptr[i], ls.n_ptr[i + 1]):
            row = ls.n_rows[m]
            p = ls.par[ls.row_par[row]]
            tl, rl = ls.row_t[row], ls.row_r[row]
            dopamine = p[P_KIND] == KIND_DOPAMINE  # one rule per row (its target population)
            for q in range(ls.row_lo[row], ls.row_hi[row]):
                s = ls.syn_slot[q]
                d = ls.syn_d[q]
                lo, hi, prev, first = window(ls, s, tl - d, t - d)
                if dopamine:
                    update_dopamine(ls, q, s, d, t, tl, rl, lo, hi, prev, first, weight, p)
                else:
                    update_recurrent(ls, q, s, d, t, tl, rl, lo, hi, prev, first, weight, p)
            if dopamine:
                ls.row_r[row] = rl * np.exp(-(t - tl) * p[P_DT] / p[P_TAU_PLUS]) + 1.0
            else:
                ls.row_r[row] = draw_window(ls.seed[0] ^ np.uint64(0x9E37), row, t,
                                            p[P_MEAN_PRE])
            ls.row_t[row] = t
