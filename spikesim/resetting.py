"""Helpers of :meth:`spikesim.Network.reset_state` and :meth:`spikesim.Network.reset`: every
dynamic variable back to its initial value, and time back to 0."""
from __future__ import annotations

from .lazy_rules import reset as reset_lazy_rules


def clear_state(net, keep_traces: bool = False) -> None:
    """State, synaptic input in flight, plastic traces (unless ``keep_traces``) and astrocytes
    of ``net`` back to their initial values (:meth:`~spikesim.Network.reset_state`)."""
    st = net._state
    st.S[:] = st.S0.astype(st.S.dtype)
    st.ref[:] = 0
    rt = net._runtime
    if rt.buf is not None:
        rt.buf[:] = 0
    for h in (rt.at_arrival, rt.direct):  # spikes whose input was still to come: dropped too
        if h is not None:
            h.hist_t[:] = -1
            h.hist_n[:] = 0
    rt.drive_filled = None  # the pre-drawn Poisson-input counts went with the ring
    if getattr(rt, "_ar", None) is not None:
        rt._ar[1][:] = 0
    for j in net.projections:
        if j.plastic:
            ps = j._pstate
            if not keep_traces:
                ps["h_cnt"][:] = 0
                ps["h_head"][:] = 0
                ps["h_last"][:] = (-1.0, 0.0, 0.0, 0.0)
                ps["po"][:] = (-1.0, 0.0, 0.0, 0.0)
            ps["mod"][:2] = 1.0
    for j in net.projections:
        if j._dstate is not None:
            j._dstate["S"][:] = j._dstate["S0"]
            j._dstate["last"][:] = 0
    reset_lazy_rules(net)
    for g in net.astrocytes:
        g.reset()


def rewind(net) -> None:
    """:meth:`~spikesim.Network.reset_state`, time back to 0 and the spike sources replayed
    from 0 (:meth:`~spikesim.Network.reset`)."""
    net.reset_state()
    net.step = 0
    for inp in net.poisson_inputs:
        inp.epoch += 1  # new input counts after a reset, as the sources draw new spikes
    rt = net._runtime
    for ev in rt.sources.values():
        if hasattr(ev, "restart"):
            ev.restart(0, new_draws=True)
    for g in net.astrocytes:
        if hasattr(g, "_last"):
            g._last = 0
    rt.invalidate()
