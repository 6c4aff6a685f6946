"""Twin of spikesim.kernels.neurons.threshold: whole arrays, no Numba."""
import numpy as np


def spike_and_reset(v_old, v_new, ref, c):
    """Refractory neurons hold ``v`` (integ 0) or integrate but cannot fire (integ 1)."""
    refractory = ref > 0
    integ = np.asarray(c["integrate_refractory"]) != 0
    v_new = np.where(refractory & ~integ, v_old, v_new)
    ref = np.where(refractory, ref - 1, ref)
    spike = (v_new >= c["v_thresh"]) & ~(refractory & integ)
    subtract = np.asarray(c["reset_subtract"]) != 0
    reset = np.where(subtract, v_new - (c["v_thresh"] - c["v_reset"]), c["v_reset"])
    v_new = np.where(spike, reset, v_new)
    ref = np.where(spike, np.asarray(c["n_ref"]).astype(np.int16), ref)
    return v_new, ref.astype(np.int16), spike
