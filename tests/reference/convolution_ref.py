"""NumPy twin of kernels/convolution.py: the convolution written from the output side.

For every output position and kernel entry, compute the input it reads (torch.nn.Conv2d's
formula); a spike adds the entry to every output that reads the spiking input.
"""
import numpy as np

from spikesim.kernels.convolution import GEOM


def deliver_conv(ring, j, g, w, post_lo, lo, hi, t, slot_mask):
    """Add input neuron ``j``'s kernel entries into ``ring`` (as the kernel; slow, obvious)."""
    g = dict(zip(GEOM, (int(v) for v in g)))
    cin_g, cout_g = g["c_in"] // g["groups"], g["c_out"] // g["groups"]
    k = np.asarray(w).reshape(g["c_out"], cin_g, g["kh"], g["kw"])
    slot = (t + g["delay"]) & slot_mask
    for co in range(g["c_out"]):
        for cr in range(cin_g):
            ci = (co // cout_g) * cin_g + cr
            for i in range(g["h_out"]):
                for jj in range(g["w_out"]):
                    for a in range(g["kh"]):
                        for b in range(g["kw"]):
                            y = g["sh"] * i - g["ph"] + g["dh"] * a
                            x = g["sw"] * jj - g["pw"] + g["dw"] * b
                            if not (0 <= y < g["h_eff"] and 0 <= x < g["w_eff"]):
                                continue
                            if (ci * g["h"] + y) * g["w"] + x != j:
                                continue
                            tgt = post_lo + (co * g["h_out"] + i) * g["w_out"] + jj
                            if lo <= tgt < hi and k[co, cr, a, b] != 0:
                                ring[slot, tgt] += k[co, cr, a, b]
