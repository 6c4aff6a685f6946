"""Synaptic rows of a SpiNNaker-style machine: 16-bit weights, left shifts, delay slots and stages.

Weights (sPyNNaker's static synapse format)
    A row word is ``weight << 16 | (delay & 0xF) << (1 + index_bits) |
    synapse_type << index_bits | target_index`` with an unsigned 16-bit
    weight magnitude; the synapse type (0 excitatory, 1 inhibitory) carries
    the sign of current-based inhibition. Each (target population, synapse
    type) has a left shift ``s`` (0-15): the stored weight is
    ``round(|w| * 2^(15 - s))``, and the core turns an accumulated ring-buffer
    value ``r`` into the s16.15 input ``r << s`` (``r * 2^(s - 15)`` nA, or uS
    for conductance targets). ``s`` is the smallest shift for which the
    largest ``|w|`` of the target (including a plastic projection's ``w_max``
    and ``|w_min|``) fits in 16 bits, so the quantisation error of every
    weight is at most half an LSB, ``2^(s - 16)``. A weight of 65535.5 nA or
    more needs ``s > 15`` and is refused (``weight-overflow-16bit``); a
    non-zero weight below half an LSB becomes 0 (``weight-underflow``,
    a warning).
Delays
    A row holds delays of 1-16 ticks (the 4-bit field stores ``d & 0xF``; a
    stored 0 means 16: the ring-buffer slot ``t & 15`` was emptied at the
    start of tick ``t``, so writing it means ``t + 16``). Longer delays go
    through the source population's delay-extension vertex (sPyNNaker's
    scheme): a synapse of ``d`` ticks has stage ``k = (d - 1) // 16`` and row
    delay ``d - 16 k`` (1-16); the extension re-emits the spike ``16 k`` ticks
    later with the key of stage ``k`` and the target core looks it up in the
    stage-``k`` row. There are at most 8 stages, so delays up to
    ``16 + 8 * 16 = 144`` ticks are supported (``delay-beyond-extension``
    beyond).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROW_DELAY_TICKS = 16
MAX_DELAY_STAGES = 8
MAX_DELAY_TICKS = ROW_DELAY_TICKS * (1 + MAX_DELAY_STAGES)  # 144
MAX_SHIFT = 15
WEIGHT_MAX = 0xFFFF
ROW_HEADER_BYTES = 12  # 3 words per row: plastic size, fixed size, plastic-fixed size
STATIC_BYTES = 4
PLASTIC_BYTES = 4      # 16-bit plastic weight + 16-bit control half-word


def delay_split(d_ticks):
    """``(stage, row_delay)`` of delays in ticks: ``stage = (d - 1) // 16``, ``row = d - 16 stage``."""
    d = np.asarray(d_ticks, np.int64)
    stage = (d - 1) // ROW_DELAY_TICKS
    return stage, d - ROW_DELAY_TICKS * stage


def choose_shift(max_abs_w: float):
    """Smallest left shift (0-15) with ``round(max_abs_w * 2^(15 - s)) <= 65535``; None if none."""
    for s in range(MAX_SHIFT + 1):
        if np.rint(max_abs_w * 2.0 ** (15 - s)) <= WEIGHT_MAX:
            return s
    return None


def quantize(w, shift: int) -> np.ndarray:
    """16-bit weight magnitudes ``round(|w| * 2^(15 - shift))`` (clipped to 65535)."""
    q = np.rint(np.abs(np.asarray(w, np.float64)) * 2.0 ** (15 - shift))
    return np.minimum(q, WEIGHT_MAX).astype(np.uint16)


def dequantize(q, shift: int) -> np.ndarray:
    """The weight magnitude a 16-bit value stands for: ``q * 2^(shift - 15)``."""
    return np.asarray(q, np.float64) * 2.0 ** (shift - 15)


@dataclass
class SynapticMatrix:
    """Rows of one machine edge: synapses from ``pre`` slice to ``post`` slice, one stage.

    ``row_ptr`` has one entry per source atom of the pre slice plus one
    (stage ``k > 0`` rows are addressed by the delay-extension key of stage
    ``k``); per synapse: ``target`` (index in the post slice), ``weight``
    (uint16), ``delay`` (row delay 1-16 ticks), ``synapse_type`` (0 excitatory,
    1 inhibitory) and the packed 32-bit ``words``.
    """

    edge: int
    projection: int
    pre_vertex: int
    post_vertex: int
    stage: int
    shift: int
    plastic: bool
    row_ptr: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    synapse_type: np.ndarray
    words: np.ndarray

    @property
    def n_synapses(self) -> int:
        return int(self.target.shape[0])

    @property
    def nbytes(self) -> int:
        """SDRAM bytes of the rows (3 header words per row, 4 bytes per synapse)."""
        per = PLASTIC_BYTES if self.plastic else STATIC_BYTES
        return ROW_HEADER_BYTES * (self.row_ptr.shape[0] - 1) + per * self.n_synapses


def pack_words(weight, delay, synapse_type, target, index_bits: int) -> np.ndarray:
    w = np.asarray(weight, np.uint32)
    d = np.asarray(delay, np.uint32) & 0xF
    s = np.asarray(synapse_type, np.uint32)
    t = np.asarray(target, np.uint32)
    return (w << 16) | (d << (1 + index_bits)) | (s << index_bits) | t


def projection_arrays(proj, dt: float, tick: float) -> dict:
    """Per-synapse ``pre, post, weight`` (float64 snapshot) and ``ticks`` (delay in ticks)."""
    pre, post = proj.connections()
    d = proj.delay.astype(np.float64) * dt
    return dict(pre=pre, post=post, weight=proj.weight.astype(np.float64),
                ticks=np.rint(d / tick).astype(np.int64))


def target_max_weights(net, arrays: dict) -> dict:
    """``{(post population index, synapse type): max |w|}`` over all projections."""
    out = {}
    for proj in net.projections:
        a = arrays[proj.index]
        m = float(np.max(np.abs(a["weight"]), initial=0.0))
        if proj.plastic:
            wd = proj.synapse.weight
            m = max(m, abs(float(wd.w_max)), abs(float(wd.w_min)))
        k = (proj.post_population.index, 0 if proj.receptor_type == "excitatory" else 1)
        out[k] = max(out.get(k, 0.0), m)
    return out


def build_matrices(proj, a: dict, shift: int, pre_slices: list, post_slices: list,
                   pre_vertices: list, delay_vertices, post_vertices: list, index_bits: int,
                   first_edge: int) -> list:
    """Synaptic matrices of one projection, one per (pre slice, post slice, stage) with synapses.

    ``pre_slices``/``post_slices`` are ``(lo, hi)`` atom ranges; ``*_vertices``
    the machine-vertex indices of those slices (``delay_vertices`` those of the
    source's delay extension, or None). Delays must already be within
    1..144 ticks.
    """
    pre, post, ticks = a["pre"], a["post"], a["ticks"]
    if pre.size == 0:
        return []
    stage, row_d = delay_split(ticks)
    pre_lo = np.array([lo for lo, _ in pre_slices])
    post_lo = np.array([lo for lo, _ in post_slices])
    ps = np.searchsorted(pre_lo, pre, side="right") - 1
    qs = np.searchsorted(post_lo, post, side="right") - 1
    stype = 0 if proj.receptor_type == "excitatory" else 1
    wq = quantize(a["weight"], shift)
    order = np.lexsort((post, pre, stage, qs, ps))
    group = np.stack([ps[order], qs[order], stage[order]])
    cut = np.flatnonzero(np.any(np.diff(group, axis=1) != 0, axis=0)) + 1
    bounds = np.concatenate([[0], cut, [order.size]])
    out = []
    for g0, g1 in zip(bounds[:-1], bounds[1:]):
        sel = order[g0:g1]
        i, j, k = int(ps[sel[0]]), int(qs[sel[0]]), int(stage[sel[0]])
        lo, hi = pre_slices[i]
        local_pre = pre[sel] - lo
        row_ptr = np.zeros(hi - lo + 1, np.int64)
        np.cumsum(np.bincount(local_pre, minlength=hi - lo), out=row_ptr[1:])
        tgt = (post[sel] - post_slices[j][0]).astype(np.uint16)
        rd = row_d[sel].astype(np.uint8)
        st = np.full(sel.size, stype, np.uint8)
        w = wq[sel]
        out.append(SynapticMatrix(
            edge=first_edge + len(out), projection=proj.index,
            pre_vertex=pre_vertices[i] if k == 0 else delay_vertices[i],
            post_vertex=post_vertices[j], stage=k, shift=shift, plastic=proj.plastic,
            row_ptr=row_ptr, target=tgt, weight=w, delay=rd, synapse_type=st,
            words=pack_words(w, rd, st, tgt, index_bits)))
    return out


def quantization_violations(proj, a: dict, shift, lsb_rule=True) -> list:
    """``(rule, severity, message)`` for weights that do not fit or vanish after the shift."""
    name = f"projection {proj.label!r}"
    if shift is None:
        m = float(np.max(np.abs(a["weight"]), initial=0.0))
        return [("weight-overflow-16bit", "error",
                 f"{name}: |weight| up to {m:g} does not fit 16 bits with any shift 0-15 "
                 f"(at most {WEIGHT_MAX * 2.0 ** (MAX_SHIFT - 15):g} in s16.15 with shift 15)")]
    out = []
    w = np.abs(a["weight"])
    lost = (w > 0) & (quantize(w, shift) == 0)
    if lsb_rule and lost.any():
        out.append(("weight-underflow", "warning",
                    f"{name}: {int(lost.sum())} non-zero weights are below half an LSB "
                    f"({2.0 ** (shift - 16):g}) at shift {shift} and become 0"))
    return out


def delay_violations(proj, a: dict, tick: float) -> list:
    t = a["ticks"]
    out = []
    if t.size and t.max() > MAX_DELAY_TICKS:
        out.append(("delay-beyond-extension", "error",
                    f"projection {proj.label!r}: delay of {int(t.max())} ticks "
                    f"({t.max() * tick:g} ms) exceeds {MAX_DELAY_TICKS} ticks "
                    f"({ROW_DELAY_TICKS} in the row + {MAX_DELAY_STAGES} delay-extension stages "
                    f"of {ROW_DELAY_TICKS})"))
    if t.size and t.min() < 1:
        out.append(("delay-below-tick", "error",
                    f"projection {proj.label!r}: a delay rounds to {int(t.min())} ticks of "
                    f"{tick} ms; at least one tick is needed"))
    return out
