"""Fixed-point reference run: what SpiNNaker's arithmetic does to a network.

:func:`fixed_point_run` runs ``net`` itself (float, spikesim's kernel) and a
quantised twin built from its machine description, from the same state and
with the same input spikes, and compares spike trains and rates.

The twin (NumPy, one step per machine tick ``h``):

* state in s16.15 (``int32``, value ``x / 2^15``): membrane ``v`` (mV) and
  per-synapse-type input ``I_e, I_i`` (nA magnitudes, or uS for conductance
  targets); parameters in s16.15, decay multipliers ``exp(-h/tau)`` in u0.32
  (``a / 2^32``), as sPyNNaker stores ``exp_TC`` and the synapse decays;
  products round to nearest (``(x a + 2^31) >> 32``, ``(x y + 2^14) >> 15``)
  and every result saturates to the ``int32`` range (saturations are counted);
* weights are the exported 16-bit values; a spike adds them into a ring
  buffer (``int64``, one slot per tick) at ``t + d`` where ``d = 16 stage + row
  delay`` is taken from the exported rows (so the delay-extension split is
  exercised); at tick ``t`` the slot becomes the s16.15 input ``r << shift``.

Two update orders (``scheme=``):

``"exact"`` (default)
    spikesim's order and propagators (NEST ``iaf_psc_exp``), quantised:
    ``v' = P22 v + P21e I_e - P21i I_i + v_c`` (``P22`` u0.32, ``P21x`` and
    ``v_c = (1 - P22) v_rest + P20 (i_offset + i_inj)`` s16.15), then
    ``I_x' = P11x I_x + input``, then the threshold. The deviation is then the
    cost of quantisation alone. ``IF_cond_exp`` neurons use the closed form
    below with the step-mean conductance ``f_x g_x`` (``f_x = tau/h (1 -
    exp(-h/tau))``): ``I = f_e g_e (E_e - v) + f_i g_i (E_i - v) + i_offset``.
``"spynnaker"``
    sPyNNaker's LIF: ring-buffer input is added first, scaled by
    ``init = tau/h (1 - exp(-h/tau))``; outside the refractory period
    ``alpha = R I + v_rest`` with ``R = tau_m / c_m`` and ``v' = alpha -
    exp_TC (alpha - v)`` (current held over the tick; ``I = I_e - I_i +
    i_offset``, or ``g_e (E_e - v) + g_i (E_i - v) + i_offset``); threshold;
    then the inputs decay. Input reaches ``v`` one tick earlier than in
    spikesim (and NEST), so spike times shift too.

Plasticity is not simulated in fixed point: plastic projections keep the
weights they had when the run starts (the exported snapshot). With
``plasticity="freeze"`` (default) the float reference run also keeps them
fixed (its learning rates are set to 0 and restored afterwards), so the
comparison isolates quantisation; ``"run"`` lets the float network learn.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as V
from . import ExportError
from .spinnaker_compare import FixedPointReport, compare
from .spinnaker_synapses import ROW_DELAY_TICKS

I32_MIN, I32_MAX = -(2 ** 31), 2 ** 31 - 1
TWIN_MODELS = ("IF_curr_exp", "IF_cond_exp")
FIXED_POINT_RULES = ("timestep", "unsupported-neuron-model", "delay-below-tick",
                     "delay-beyond-extension", "weight-overflow-16bit", "parameter-range",
                     "neurons-per-core")


def s1615(x) -> np.ndarray:
    """Float -> s16.15 integers (round to nearest, saturating)."""
    return np.clip(np.rint(np.asarray(x, np.float64) * 32768.0), I32_MIN, I32_MAX).astype(np.int64)


def u032(x) -> np.ndarray:
    """Float in [0, 1) -> u0.32 integers (round to nearest, saturating)."""
    return np.clip(np.rint(np.asarray(x, np.float64) * 2.0 ** 32), 0, 2 ** 32 - 1).astype(np.int64)


def mul_u(a, x):
    """u0.32 ``a`` times s16.15 ``x`` -> s16.15."""
    return (x * a + (1 << 31)) >> 32


def mul_s(a, b):
    """s16.15 times s16.15 -> s16.15."""
    return (a * b + (1 << 14)) >> 15


class _Twin:
    """Quantised state and parameters of all neurons (global ids as in the network)."""

    def __init__(self, net, desc, scheme):
        from ..kernels.neurons.propagators import p21 as _p21

        h = desc.tick_ms
        n = net.n_neurons
        self.n, self.h, self.scheme = n, h, scheme
        z = np.zeros(n)
        f = {k: z.copy() for k in ("P22", "P21e", "P21i", "P11e", "P11i", "P20", "vrest", "ioff",
                                   "R", "fe", "fi", "Ee", "Ei", "vreset")}
        f["vth"] = np.full(n, np.inf)
        nref = np.zeros(n, np.int64)
        cond = np.zeros(n, bool)
        for p in net.populations:
            if p.celltype.kind == 0:
                continue
            s = slice(p.first, p.first + p.size)
            g = p.get
            tm, cm, te, ti = g("tau_m"), g("cm"), g("tau_syn_E"), g("tau_syn_I")
            f["P22"][s] = np.exp(-h / tm)
            f["P20"][s] = -tm / cm * np.expm1(-h / tm)
            f["P21e"][s], f["P21i"][s] = _p21(tm, te, cm, h), _p21(tm, ti, cm, h)
            f["P11e"][s], f["P11i"][s] = np.exp(-h / te), np.exp(-h / ti)
            f["fe"][s], f["fi"][s] = -te / h * np.expm1(-h / te), -ti / h * np.expm1(-h / ti)
            f["R"][s] = tm / cm
            for k, name in (("vrest", "v_rest"), ("ioff", "i_offset"), ("vth", "v_thresh"),
                            ("vreset", "v_reset")):
                f[k][s] = g(name)
            if type(p.celltype).__name__ == "IF_cond_exp":
                cond[s] = True
                f["Ee"][s], f["Ei"][s] = g("e_rev_E"), g("e_rev_I")
            nref[s] = np.rint(g("tau_refrac") / h).astype(np.int64)
        self.f = f
        self.cond = np.flatnonzero(cond)
        self.curr = np.flatnonzero(~cond & np.isfinite(f["vth"]))
        q = {k: u032(f[k]) for k in ("P22", "P11e", "P11i", "fe", "fi")}
        q.update({k: s1615(f[k]) for k in ("P21e", "P21i", "vrest", "R", "Ee", "Ei", "vreset")})
        q["vth"] = np.where(np.isfinite(f["vth"]), s1615(np.nan_to_num(f["vth"], posinf=0.0)),
                            2 ** 40)
        q["nref"] = nref
        self.q = q
        self.set_current(np.zeros(n))
        self.saturations = 0

    def set_current(self, i_inj: np.ndarray) -> None:
        f, q = self.f, self.q
        q["vc"] = s1615((1.0 - f["P22"]) * f["vrest"] + f["P20"] * (f["ioff"] + i_inj))
        q["ioff"] = s1615(f["ioff"] + i_inj)

    def sat(self, x):
        if x.size and (x.max() > I32_MAX or x.min() < I32_MIN):
            self.saturations += int(((x > I32_MAX) | (x < I32_MIN)).sum())
            return np.clip(x, I32_MIN, I32_MAX)
        return x

    def _closed_form(self, idx, v, ie, ii, mean):
        q = self.q
        vi = v[idx]
        ge, gi = ie[idx], ii[idx]
        if mean:
            ge, gi = mul_u(q["fe"][idx], ge), mul_u(q["fi"][idx], gi)
        if idx is self.cond:
            cur = mul_s(ge, q["Ee"][idx] - vi) + mul_s(gi, q["Ei"][idx] - vi) + q["ioff"][idx]
        else:
            cur = ge - gi + q["ioff"][idx]
        alpha = self.sat(mul_s(self.sat(cur), q["R"][idx]) + q["vrest"][idx])
        return alpha - mul_u(q["P22"][idx], self.sat(alpha - vi))

    def step(self, v, ie, ii, ref, in_e, in_i):
        """One tick; updates the arrays in place and returns the ids that fired."""
        q = self.q
        if self.scheme == "exact":
            vn = v.copy()
            c = self.curr
            vn[c] = (mul_u(q["P22"][c], v[c]) + mul_s(q["P21e"][c], ie[c])
                     - mul_s(q["P21i"][c], ii[c]) + q["vc"][c])
            if self.cond.size:
                vn[self.cond] = self._closed_form(self.cond, v, ie, ii, True)
            ie[:] = self.sat(mul_u(q["P11e"], ie) + in_e)
            ii[:] = self.sat(mul_u(q["P11i"], ii) + in_i)
        else:
            ie[:] = self.sat(ie + mul_u(q["fe"], in_e))
            ii[:] = self.sat(ii + mul_u(q["fi"], in_i))
            vn = v.copy()
            for idx in (self.curr, self.cond):
                if idx.size:
                    vn[idx] = self._closed_form(idx, v, ie, ii, False)
        vn = self.sat(vn)
        hold = ref > 0
        vn[hold] = v[hold]
        ref[hold] -= 1
        fired = np.flatnonzero(vn >= q["vth"])
        vn[fired] = q["vreset"][fired]
        ref[fired] = q["nref"][fired]
        v[:] = vn
        if self.scheme != "exact":
            ie[:] = mul_u(q["P11e"], ie)
            ii[:] = mul_u(q["P11i"], ii)
        return fired


def _synapses(net, desc):
    """Global CSR of the exported rows: (ptr, target id, synapse type, raw weight, delay ticks)."""
    mv, av, pops = desc.machine_vertices, desc.app_vertices, net.populations
    src, tgt, typ, w, d = [], [], [], [], []
    for m in desc.matrices:
        pre, post = mv[m.pre_vertex], mv[m.post_vertex]
        first_pre = pops[av[pre.app_vertex].population].first + pre.lo
        first_post = pops[av[post.app_vertex].population].first + post.lo
        rows = np.repeat(np.arange(m.row_ptr.shape[0] - 1), np.diff(m.row_ptr))
        src.append(first_pre + rows)
        tgt.append(first_post + m.target.astype(np.int64))
        typ.append(m.synapse_type.astype(np.int64))
        w.append(m.weight.astype(np.int64))
        d.append(ROW_DELAY_TICKS * m.stage + m.delay.astype(np.int64))
    cat = (lambda a: np.concatenate(a) if a else np.zeros(0, np.int64))
    src, tgt, typ, w, d = map(cat, (src, tgt, typ, w, d))
    order = np.argsort(src, kind="stable")
    ptr = np.zeros(net.n_neurons + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=net.n_neurons), out=ptr[1:])
    return ptr, tgt[order], typ[order], w[order], d[order]


def _float_reference(net, duration, plasticity):
    """Run ``net`` for ``duration`` ms and return all spikes as (steps, global ids)."""
    recs = [net.record(p, "spikes") for p in net.populations]
    saved = []
    if plasticity == "freeze":
        for j in net.projections:
            if j.plastic:
                mod = j._pstate["mod"]
                saved.append((j, float(mod[0]), float(mod[1])))
                j.modulate(potentiation=0.0, depression=0.0)
    try:
        net.run(duration)
    finally:
        for j, a, b in saved:
            j.modulate(potentiation=a, depression=b)
        for r in recs:
            net.recorders.remove(r)
        net._runtime.invalidate()
    steps, ids = [], []
    for p, r in zip(net.populations, recs):
        sp = r.get("spikes")
        steps.append(np.rint(sp.times / net.dt).astype(np.int64) - 1)
        ids.append(sp.senders.astype(np.int64) + p.first)
    return np.concatenate(steps), np.concatenate(ids)


def fixed_point_run(net, duration: float, neurons_per_core: int = 256, board="spinn5",
                    tick_ms: float | None = None, scheme: str = "exact", plasticity: str = "freeze",
                    window_ms: float = 1.0) -> FixedPointReport:
    """Run ``net`` for ``duration`` ms in float and its quantised twin; compare them.

    The network advances by ``duration`` (its recorders record as usual). The
    twin starts from the network's current state (quantised), input spikes of
    spike sources are those of the float run, and pending ring-buffer input of
    static projections is carried over (spikes in flight on plastic
    projections at a start after ``t = 0`` are not).

    Parameters
    ----------
    neurons_per_core, board, tick_ms
        As for :func:`to_spinnaker` (the weights and delays are the exported ones).
    scheme : {"exact", "spynnaker"}
        Update order and propagators, see the module docstring.
    plasticity : {"freeze", "run"}
        Whether the float reference keeps plastic weights fixed.
    window_ms : float
        Coincidence window for matching spikes.

    Raises
    ------
    ExportError
        If the network breaks a rule the twin depends on (model, tick, delays,
        weights, neurons per core); routing and placement rules do not matter here.
    """
    from .spinnaker import describe, raise_errors

    if net.fuse_receptors:
        raise ValueError("fuse_receptors=True: the network sums excitatory and inhibitory input, "
                         "which SpiNNaker keeps apart; build it with "
                         "Network(fuse_receptors=False) to compare it with fixed point")
    if scheme not in ("exact", "spynnaker"):
        raise ValueError(f"scheme must be 'exact' or 'spynnaker', got {scheme!r}")
    if plasticity not in ("freeze", "run"):
        raise ValueError(f"plasticity must be 'freeze' or 'run', got {plasticity!r}")
    desc = describe(net, neurons_per_core, board, tick_ms)
    raise_errors(desc, FIXED_POINT_RULES)
    for p in net.populations:  # the twin integrates the two exponential LIF models only
        if p.celltype.kind != 0 and type(p.celltype).__name__ not in TWIN_MODELS:
            raise ExportError(f"population {p.label!r}: the fixed-point reference run integrates "
                              f"{' and '.join(TWIN_MODELS)} only, not {type(p.celltype).__name__} "
                              "(its machine description is written)", "fixed-point-model")
    h, dt = desc.tick_ms, net.dt
    n_ticks = V.time_to_steps("duration", duration, h, minimum=0)
    t0_step = net.step
    twin = _Twin(net, desc, scheme)
    st = net._state
    curr = np.zeros(net.n_neurons, bool)
    curr[twin.curr] = True
    # the two LIF models keep (v, synaptic exc, synaptic inh) in state rows 0-2
    v = s1615(st.S[0])
    ie = s1615(st.S[1])
    ii = s1615(np.where(curr, -st.S[2].astype(np.float64), st.S[2]))
    ref = np.rint(st.ref.astype(np.float64) * dt / h).astype(np.int64)
    pending = _pending(net, curr) if abs(h - dt) < 1e-12 else {}
    ptr, tgt, typ, w, d = _synapses(net, desc)
    slots = 1
    while slots <= int(d.max(initial=1)):
        slots *= 2
    ring = np.zeros((2, slots, net.n_neurons), np.int64)
    sh = np.zeros((2, net.n_neurons), np.int64)
    for p in net.populations:
        for r, name in enumerate(("excitatory", "inhibitory")):
            sh[r, p.first:p.first + p.size] = desc.weight_shifts.get((p.label, name), 0)
    changes = _current_changes(net, h, t0_step * dt, t0_step * dt + n_ticks * h)
    # float reference, with the source spikes to replay
    f_steps, f_ids = _float_reference(net, duration, plasticity)
    is_src = np.zeros(net.n_neurons, bool)
    for p in net.populations:
        if p.celltype.kind == 0:
            is_src[p.first:p.first + p.size] = True
    sel = is_src[f_ids]
    # a spike at the end of float step s (time (s + 1) dt) goes into the tick that contains that time
    s_ticks = (np.ceil((f_steps[sel] + 1) * dt / h - 1e-9).astype(np.int64) - 1
               - round(t0_step * dt / h))
    s_ids = f_ids[sel]
    o = np.lexsort((s_ids, s_ticks))
    s_ticks, s_ids = s_ticks[o], s_ids[o]
    s_ptr = np.searchsorted(s_ticks, np.arange(n_ticks + 1))
    out_t, out_i = [], []
    for t in range(n_ticks):
        if t in changes:
            twin.set_current(changes[t])
        slot = t & (slots - 1)
        in_e = twin.sat(ring[0, slot] << sh[0])
        in_i = twin.sat(ring[1, slot] << sh[1])
        ring[:, slot] = 0
        if t in pending:
            in_e, in_i = in_e + pending[t][0], in_i + pending[t][1]
        fired = twin.step(v, ie, ii, ref, in_e, in_i)
        fired = np.concatenate([fired, s_ids[s_ptr[t]:s_ptr[t + 1]]])
        if fired.size:
            out_t.append(np.full(fired.size, t, np.int64))
            out_i.append(fired)
            lens = ptr[fired + 1] - ptr[fired]
            tot = int(lens.sum())
            if tot:
                idx = np.repeat(ptr[fired] - np.cumsum(lens) + lens, lens) + np.arange(tot)
                np.add.at(ring, (typ[idx], (t + d[idx]) & (slots - 1), tgt[idx]), w[idx])
    x_t = np.concatenate(out_t) if out_t else np.zeros(0, np.int64)
    x_i = np.concatenate(out_i) if out_i else np.zeros(0, np.int64)
    t0_ms = t0_step * dt
    float_sp = ((f_steps + 1) * dt, f_ids)
    fixed_sp = (t0_ms + (x_t + 1) * h, x_i)
    return compare(net, scheme, plasticity, h, t0_ms, n_ticks * h, window_ms, float_sp, fixed_sp,
                    twin.saturations)


def _pending(net, curr) -> dict:
    """Static-projection input already in the float ring buffer, per future tick (s16.15)."""
    rt = net._runtime
    rt.settle()  # events still to arrive (spikesim.arrival_runtime) into the ring
    if net.step == 0 or rt.buf is None:
        return {}
    out = {}
    mask = rt.slot_mask
    for k in range(rt.buf.shape[1]):
        b = rt.buf[:, (net.step + k) & mask, :].astype(np.float64)
        if b.any():
            out[k] = (s1615(b[0]), s1615(np.where(curr, -b[1], b[1])))
    return out


def _current_changes(net, h, t0_ms, until_ms) -> dict:
    """``{tick: injected current per neuron}`` at every tick where an injection changes."""
    from ..currents import amplitude_at

    if not net.injections:
        return {}
    from ..currents import injection_schedule

    scheds = [(np.rint(ts / h).astype(np.int64), amps, p.first + idx)
              for (ts, amps), (src, p, idx) in zip([injection_schedule(net, k, until_ms)
                                                    for k in range(len(net.injections))],
                                                   net.injections)]
    t0 = int(round(t0_ms / h))
    ticks = sorted({0} | {int(s) - t0 for ts, _, _ in scheds for s in ts if s > t0})
    out = {}
    for t in ticks:
        cur = np.zeros(net.n_neurons)
        for ts, amps, gid in scheds:
            cur[gid] += amplitude_at(ts, amps, t + t0)
        out[t] = cur
    return out
