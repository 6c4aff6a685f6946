"""Event-driven delivery through a convolution whose kernel is stored once.

A convolutional projection stores no synapses: a presynaptic spike computes its
targets from the layer geometry and reads its weights from the shared kernel.
The semantics are ``torch.nn.Conv2d``'s (a 1-D convolution is a 2-D one with
``H = kH = 1``): input ``(C_in, H, W)`` and output ``(C_out, H_out, W_out)``,
both flattened in C order, kernel ``(C_out, C_in / groups, kH, kW)``,

.. math::

    y[c_o, i, j] = \\sum_{c_i \\in g(c_o)} \\sum_{k_h, k_w}
    w[c_o, c_i - g_0, k_h, k_w] \\, x[c_i, s_h i - p_h + d_h k_h, s_w j - p_w + d_w k_w].

A spike of input neuron ``(c_i, y, x)`` therefore adds ``w[c_o, c_i - g_0,
k_h, k_w]`` to output ``(c_o, i, j)`` for every ``k_h`` with ``y + p_h - d_h
k_h = s_h i``, ``0 <= i < H_out`` (likewise for ``x``), and every ``c_o`` of
its group. Input rows ``y >= H_eff`` (and columns ``x >= W_eff``) have no
targets: a sum pooling folded in front of the convolution drops them, as
``torch`` drops a pooling window that does not fit.
"""
from collections import namedtuple

from ._config import jit

# Convolutional projections of the network (``None`` in the drivers when there are none,
# so that Numba compiles the CSR path only). One row of ``geom`` per convolution:
GEOM = ("c_in", "h", "w", "c_out", "h_out", "w_out", "kh", "kw", "sh", "sw", "ph", "pw",
        "dh", "dw", "groups", "delay", "h_eff", "w_eff")
Conv = namedtuple("Conv", [
    "idx",     # int64 (n_proj,): row of projection pj in ``geom``, -1: not a convolution
    "geom",    # int64 (n_conv, len(GEOM)): the geometry (GEOM), delay in steps
    "w_off",   # int64 (n_conv + 1): kernel c is ``weight[w_off[c]:w_off[c + 1]]``, C order
    "weight",  # float (total kernel size): the kernels
    "bounds",  # int64 (n_parts + 1): global neuron range of each thread's part
])


@jit
def output_index(pos, pad, dil, tap, stride, n_out):
    """The output index that reads input position ``pos`` through kernel tap ``tap`` along
    one axis (``stride * i - pad + dil * tap == pos``), or -1 when there is none."""
    num = pos + pad - dil * tap
    if num < 0 or num % stride != 0 or num // stride >= n_out:
        return -1
    return num // stride


@jit
def deliver_conv(ring, j, g, w, post_lo, lo, hi, t, slot_mask):
    """Add the kernel entries of input neuron ``j`` (local index) into ``ring``.

    ``g`` is the convolution's ``geom`` row, ``w`` its kernel; only targets
    whose global index ``post_lo + target`` lies in ``[lo, hi)`` are written
    (one thread's part). The input lands in slot ``(t + delay) & slot_mask``.
    """
    c_in, h, wd, c_out, h_out, w_out = g[0], g[1], g[2], g[3], g[4], g[5]
    kh, kw, sh, sw, ph, pw, dh, dw, groups = g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14]
    ci = j // (h * wd)
    y = (j // wd) % h
    x = j % wd
    if y >= g[16] or x >= g[17]:
        return
    row = ring[(t + g[15]) & slot_mask]
    cin_g = c_in // groups
    cout_g = c_out // groups
    grp = ci // cin_g
    cr = ci - grp * cin_g
    plane = h_out * w_out
    for a in range(kh):
        i = output_index(y, ph, dh, a, sh, h_out)
        if i < 0:
            continue
        for b in range(kw):
            jj = output_index(x, pw, dw, b, sw, w_out)
            if jj < 0:
                continue
            for co in range(grp * cout_g, (grp + 1) * cout_g):
                wv = w[((co * cin_g + cr) * kh + a) * kw + b]
                tgt = post_lo + co * plane + i * w_out + jj
                if wv != 0 and lo <= tgt < hi:  # a split kernel's other sign is zero
                    row[tgt] += wv
