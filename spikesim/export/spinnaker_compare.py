"""Comparison of a fixed-point run with the float run: rates, coincidences, first divergence."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class FixedPointReport:
    """Deviation of the fixed-point twin from the float run (see :func:`fixed_point_run`).

    Rates are in Hz per population (spike sources included, they are replayed
    identically); ``rate_rel_dev[label] = (fixed - float) / float`` and
    ``total_rate_rel_dev`` the same over all neurons that are not sources.
    Spike-train measures leave the sources out: ``coincidence`` is the
    fraction of all spikes (both runs) with a spike of the same neuron in the
    other run within ``window_ms``; ``median_abs_dt_ms`` is the median distance
    of a float spike to its match; ``identical_until_ms`` the time (ms, absolute)
    of the first spike that is not in both rasters (``None``: identical to the end).
    ``spikes_float``/``spikes_fixed`` are ``(times ms, global neuron ids)``,
    sources included.
    """

    scheme: str
    plasticity: str
    tick_ms: float
    t0_ms: float
    duration_ms: float
    window_ms: float
    rate_float: dict
    rate_fixed: dict
    rate_rel_dev: dict
    total_rate_rel_dev: float
    coincidence: float
    median_abs_dt_ms: float
    identical_until_ms: float | None
    saturations: int
    spikes_float: tuple = field(repr=False, default=None)  # (times ms, global neuron ids)
    spikes_fixed: tuple = field(repr=False, default=None)

    def summary(self) -> str:
        lines = [f"fixed-point run ({self.scheme}, tick {self.tick_ms} ms, {self.duration_ms:g} ms, "
                 f"plasticity {self.plasticity}):"]
        for k in self.rate_float:
            lines.append(f"  {k}: {self.rate_float[k]:.3f} Hz float, {self.rate_fixed[k]:.3f} Hz "
                         f"fixed ({100 * self.rate_rel_dev[k]:+.2f} %)")
        same = ("identical to the end" if self.identical_until_ms is None
                else f"identical until {self.identical_until_ms:.1f} ms")
        lines.append(f"  all neurons: {100 * self.total_rate_rel_dev:+.2f} %; spikes matched within "
                     f"{self.window_ms} ms: {100 * self.coincidence:.1f} %, median |dt| "
                     f"{self.median_abs_dt_ms:.3f} ms; {same}; {self.saturations} saturations")
        return "\n".join(lines)


def compare(net, scheme, plasticity, h, t0_ms, dur, window, fl, fx, sats) -> FixedPointReport:
    """Rates and spike-train agreement of float spikes ``fl`` and fixed-point spikes ``fx``
    (each ``(times ms, global ids)``)."""
    spikes_float, spikes_fixed = fl, fx
    rf, rx, dev = {}, {}, {}
    nf = nx = 0
    for p in net.populations:
        cf = int(((fl[1] >= p.first) & (fl[1] < p.first + p.size)).sum())
        cx = int(((fx[1] >= p.first) & (fx[1] < p.first + p.size)).sum())
        rf[p.label] = cf / (p.size * dur * 1e-3)
        rx[p.label] = cx / (p.size * dur * 1e-3)
        dev[p.label] = (cx - cf) / cf if cf else (np.inf if cx else 0.0)
        if p.celltype.kind != 0:
            nf, nx = nf + cf, nx + cx
    total = (nx - nf) / nf if nf else 0.0
    src = np.zeros(net.n_neurons, bool)
    for p in net.populations:
        src[p.first:p.first + p.size] = p.celltype.kind == 0
    fl, fx = [(t[~src[i]], i[~src[i]]) for t, i in (fl, fx)]
    ma, da = _nearest(fl, fx, window)
    mb, _ = _nearest(fx, fl, window)
    n_all = fl[0].size + fx[0].size
    coinc = (ma.sum() + mb.sum()) / n_all if n_all else 1.0
    med = float(np.median(np.abs(da[ma]))) if ma.any() else float("nan")
    # first time at which the rasters differ (spike times on the common grid of the coarser step)
    step = max(h, net.dt)
    a = set(zip(np.rint(fl[0] / step).astype(np.int64).tolist(), fl[1].tolist()))
    b = set(zip(np.rint(fx[0] / step).astype(np.int64).tolist(), fx[1].tolist()))
    diff = a ^ b
    until = None if not diff else float(min(k for k, _ in diff) * step)
    return FixedPointReport(scheme, plasticity, h, t0_ms, dur, window, rf, rx, dev, total, coinc,
                            med, until, sats, spikes_float, spikes_fixed)


def _nearest(a, b, window):
    """For each spike of ``a``: whether ``b`` has one of the same neuron within ``window``,
    and the signed distance to the nearest one."""
    if a[0].size == 0:
        return np.zeros(0, bool), np.zeros(0)
    if b[0].size == 0:
        return np.zeros(a[0].size, bool), np.full(a[0].size, np.inf)
    span = max(a[0].max(), b[0].max()) + 10 * window + 1.0
    ka = a[1] * span + a[0]
    kb = np.sort(b[1] * span + b[0])
    pos = np.searchsorted(kb, ka)
    lo = kb[np.clip(pos - 1, 0, kb.size - 1)]
    hi = kb[np.clip(pos, 0, kb.size - 1)]
    dl, dh = ka - lo, hi - ka
    dist = np.where(np.abs(dl) <= np.abs(dh), dl, -dh)
    return np.abs(dist) <= window + 1e-9, dist
