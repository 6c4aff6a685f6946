"""Threshold, reset and refractoriness shared by the integrate-and-fire models."""
from .._config import jit


@jit
def refractory_and_spike(v, vn, r, vth, vreset, nref, integ, subtract):
    """Refractoriness, threshold and reset after the membrane step ``v -> vn``.

    A refractory neuron (``r > 0``) counts down; it keeps ``v`` (``integ``
    False, NEST) or keeps ``vn`` but cannot fire (``integ`` True, Brian2's LIF
    without ``unless refractory``). At a spike ``v`` becomes ``v_reset``, or,
    with ``subtract`` non-zero, ``v - (v_thresh - v_reset)`` (the reset by
    subtraction of snnTorch, Norse and NIR graphs). Returns ``(v, r, spike)``.
    """
    free = True
    if r > 0:
        if integ:
            free = False
        else:
            vn = v
        r = r - 1
    spike = vn >= vth and free
    if spike:
        if subtract != 0:
            vn = vn - (vth - vreset)
        else:
            vn = vreset
        r = nref
    return vn, r, spike
