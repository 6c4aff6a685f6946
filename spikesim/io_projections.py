"""Writing and reading the projections of a network file (:mod:`spikesim.io`).

Schema of one projection (see :mod:`spikesim.io` for the whole file)::

    /projections/K   attrs: label, pre, post, receptor_type, synapse (JSON or absent),
                     astro (group index or -1), astro_sides (1 depression,
                     2 potentiation, 3 both); indptr, post, weight, delay;
                     plastic/<state arrays>, plastic/potentiation_mask and
                     depression_mask (optional); syn_astro; attr dynamics (a synapse
                     dynamic's class) with dynamics/P, S, S0, last; a convolution
                     (spikesim.convolution) has attr convolution (JSON geometry),
                     kernel and delay instead of indptr, post, weight

Plastic (STDP) projections store their rule as JSON and their state arrays (``PSTATE``);
every array read back is checked against what the API would have built.
"""
from __future__ import annotations

import json

import numpy as np

from .io_file import FileFormatError
from .plasticity import (STDP, AdditiveWeightDependence, MultiplicativeWeightDependence,
                         SpikePairRule, TripletRule, Vogels2011Rule)

RULES = {c.__name__: c for c in (SpikePairRule, TripletRule, Vogels2011Rule)}
WDEPS = {c.__name__: c for c in (AdditiveWeightDependence, MultiplicativeWeightDependence)}
PSTATE = ("h_step", "h_x", "h_head", "h_cnt", "h_last", "po", "mod", "col_ptr", "col_pre",
          "col_syn", "dl")
MASKS = ("potentiation_mask", "depression_mask")  # optional datasets (Projection.modulate)


def _write_projection(h, j, net) -> None:
    h.attrs.update(label=j.label, pre=j.pre.index, post=j.post_population.index,
                   receptor_type=j.receptor_type)
    if j._conv is not None:  # the kernel once, no synapses (spikesim.convolution)
        c = j._conv
        h.attrs["convolution"] = json.dumps(dict(
            input_shape=c.input_shape, stride=c.stride, padding=c.padding, dilation=c.dilation,
            groups=c.groups, input_crop=c.input_crop))
        h.create_dataset("kernel", data=j._kernel.reshape(c.kernel.shape))
        h.create_dataset("delay", data=np.asarray(j._delay))
        return
    for name, arr in (("indptr", j.indptr), ("post", j.post), ("weight", j._weight),
                      ("delay", j._delay)):
        h.create_dataset(name, data=np.asarray(arr))
    if j.plastic:
        s = j.synapse
        h.attrs["synapse"] = json.dumps(dict(
            rule=type(s.timing).__name__, timing=vars(s.timing),
            weight_dependence=type(s.weight).__name__, weight=vars(s.weight), window=s.window,
            sign=s.sign, delay_model=s.delay_model, same_step_pairs=s.same_step_pairs))
        g = h.create_group("plastic")
        for name in PSTATE:
            g.create_dataset(name, data=j._pstate[name])
        if s.delay_model == "dendritic":  # the running weights (``weight`` is the reported one)
            g.create_dataset("wrun", data=j._pstate["wrun"])
        g.attrs["h_len"] = j._pstate["h_len"]
        for name, m in zip(MASKS, j._masks):
            if m is not None:
                g.create_dataset(name, data=m)
        link = j._astro_link
        h.attrs["astro"] = -1 if link is None else net.astrocytes.index(link)
        h.attrs["astro_sides"] = j._astro_sides
        if link is not None:
            h.create_dataset("syn_astro", data=j._syn_astro)
    if j._dstate is not None:
        ds = j._dstate
        h.attrs["dynamics"] = type(ds["dynamics"]).__name__
        g = h.create_group("dynamics")
        for name in ("P", "S", "S0", "last"):
            g.create_dataset(name, data=np.asarray(ds[name]))


def _read_dynamics(h):
    """The synapse dynamic of a stored projection, its parameters per synapse (validated)."""
    from . import synapses

    cls = {c.__name__: c for c in (synapses.TsodyksMarkram, synapses.Tsodyks2,
                                   synapses.SimpleStochastic)}.get(str(h.attrs["dynamics"]))
    if cls is None:
        raise FileFormatError(f"unknown synapse dynamic {h.attrs['dynamics']!r}")
    P = np.asarray(h["dynamics/P"][()], np.float64)
    names = cls.module.PARAMS
    if P.ndim != 2 or P.shape[0] != len(names):
        raise FileFormatError(f"dynamics/P has shape {P.shape}; expected ({len(names)}, synapses)")
    return cls(**{name: P[k] for k, name in enumerate(names)})


def _read_projection(net, h) -> None:
    from .plastic_runtime import projection_state

    pre = net.populations[int(h.attrs["pre"])]
    post = net.populations[int(h.attrs["post"])]
    syn = None
    if "synapse" in h.attrs:
        d = json.loads(h.attrs["synapse"])
        rule, wdep = RULES.get(d["rule"]), WDEPS.get(d["weight_dependence"])
        if rule is None or wdep is None:
            raise FileFormatError(f"unknown plasticity rule {d['rule']!r} / "
                                  f"{d['weight_dependence']!r}")
        syn = STDP(rule(**d["timing"]), wdep(**d["weight"]), window=d["window"],
                   sign=d.get("sign", 1), delay_model=d.get("delay_model", "axonal"),
                   same_step_pairs=d.get("same_step_pairs", True))
    if "dynamics" in h.attrs:
        syn = _read_dynamics(h)
    if "convolution" in h.attrs:
        from .convolution import Convolution, connect_convolution

        d = h["delay"][()]
        if d.shape != (1,) or not 1 <= int(d[0]) <= 65535:
            raise FileFormatError(f"projection {h.attrs['label']!r}: convolution delay is invalid")
        connect_convolution(net, pre, post, Convolution(h["kernel"][()], **json.loads(
            h.attrs["convolution"])), 0.0, int(d[0]) * net.dt, str(h.attrs["receptor_type"]),
            str(h.attrs["label"]), None)
        return
    proj = net._restore_projection(pre, post, str(h.attrs["receptor_type"]), str(h.attrs["label"]),
                                   h["indptr"][()], h["post"][()], h["weight"][()],
                                   h["delay"][()], syn,
                                   weights_outside_bounds=True)  # as saved (PyNN allows them)
    if proj._dstate is not None:
        g = h["dynamics"]
        for name in ("S", "S0", "last"):
            arr = np.asarray(g[name][()])
            want = proj._dstate[name]
            if arr.shape != want.shape or arr.dtype != want.dtype or not np.isfinite(arr).all():
                raise FileFormatError(f"projection {proj.label!r}: dynamics/{name} has shape "
                                      f"{arr.shape} {arr.dtype} or non-finite values; expected "
                                      f"{want.shape} {want.dtype}")
            proj._dstate[name] = arr.copy()
        if (proj._dstate["last"] < 0).any():
            raise FileFormatError(f"projection {proj.label!r}: dynamics/last is negative")
    if not isinstance(syn, STDP):
        return
    fresh = projection_state(proj, net.dt)
    g = h["plastic"]
    if int(g.attrs["h_len"]) != fresh["h_len"]:
        raise FileFormatError(f"projection {proj.label!r}: trace history length does not match")
    for name in PSTATE:
        arr = np.asarray(g[name][()])
        if arr.shape != fresh[name].shape or arr.dtype != fresh[name].dtype:
            raise FileFormatError(f"projection {proj.label!r}: plastic/{name} has shape "
                                  f"{arr.shape} {arr.dtype}, expected {fresh[name].shape} "
                                  f"{fresh[name].dtype}")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise FileFormatError(f"projection {proj.label!r}: plastic/{name} is not finite")
        fresh[name] = arr.copy()
    for name in ("col_ptr", "col_pre", "col_syn", "dl"):  # derived from connectivity: must agree
        if not np.array_equal(fresh[name], projection_state(proj, net.dt)[name]):
            raise FileFormatError(f"projection {proj.label!r}: plastic/{name} contradicts the "
                                  "synapses")
    n_pre = proj.pre.size
    if (fresh["h_head"] < 0).any() or (fresh["h_head"] >= fresh["h_len"]).any() or \
            (fresh["h_cnt"] < 0).any() or (fresh["h_cnt"] > fresh["h_len"]).any() or \
            fresh["h_head"].shape != (n_pre,):
        raise FileFormatError(f"projection {proj.label!r}: trace history pointers are out of range")
    if "wrun" in fresh:
        arr = np.asarray(g["wrun"][()], np.float64) if "wrun" in g else None
        if arr is None or arr.shape != fresh["wrun"].shape or not np.isfinite(arr).all():
            raise FileFormatError(f"projection {proj.label!r}: plastic/wrun (the running weights "
                                  "of a dendritic-delay STDP projection) is missing or invalid")
        fresh["wrun"] = arr
    proj._pstate = fresh
    for c, name in enumerate(MASKS):
        if name in g:
            m = np.asarray(g[name][()], np.float64)
            if m.shape != (proj.n_synapses,) or not np.isfinite(m).all() or (m < 0).any():
                raise FileFormatError(f"projection {proj.label!r}: plastic/{name} is invalid")
            proj._masks[c] = m
    k = int(h.attrs["astro"])
    if k >= 0:
        group = net.astrocytes[k]
        sa = np.asarray(h["syn_astro"][()], np.int32)
        if sa.shape != (proj.n_synapses,) or sa.min(initial=-1) < -1 \
                or sa.max(initial=-1) >= group.n:
            raise FileFormatError(f"projection {proj.label!r}: syn_astro is invalid")
        sides = h.attrs.get("astro_sides", 1)  # version 1: depression only
        if not isinstance(sides, (int, np.integer)) or sides not in (1, 2, 3):
            shown = sides.item() if isinstance(sides, np.generic) else sides
            raise FileFormatError(f"projection {proj.label!r}: astro_sides is {shown!r}, "
                                  "expected 1, 2 or 3")
        sides = int(sides)
        proj._astro_link, proj._syn_astro, proj._astro_sides = group, sa, sides
