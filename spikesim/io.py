"""Saving and loading whole networks in HDF5 (h5py), for checkpoint and resume.

Schema (``format = "spikesim-network"``, ``version = 4``)::

    /                attrs: format, version, dt, dtype, threads, step, fuse_receptors and
                            fused (opt.: the flag, JSON indices of the fused populations),
                            rng (JSON bit-generator state), seedseq (JSON), dyn_seed
                            (seed of synapse dynamics and noise currents, decimal text)
    /state           S (state rows, (n_rows, N): each population's model's STATE in
                     order), S0 (initial values, float64), ref; ring (pending synaptic
                     input, (n_planes, slots, N); one plane when every population
                     runs fused, spikesim.fusion);
                     arrivals_ids, arrivals_cnt (plastic spikes in flight)
    /populations/K   attrs: label, celltype, size; params/<name>; positions;
                     spike_times + spike_offsets (SpikeSourceArray);
                     rate_change_times/-rates (SpikeSourcePoisson);
                     source/: attrs rng, next_block, floor; steps, ids (drawn, not yet
                     delivered); next_t (SpikeSourceGamma, SpikeSourcePoissonRefractory:
                     each neuron's next spike of its process, ms; absent while the
                     processes are to start afresh)
    /projections/K   attrs: label, pre, post, receptor_type, synapse (JSON or absent),
                     astro (group index or -1), astro_sides (1 depression,
                     2 potentiation, 3 both); indptr, post, weight, delay;
                     plastic/<state arrays>, plastic/potentiation_mask and
                     depression_mask (optional); syn_astro; attr dynamics (a synapse
                     dynamic's class) with dynamics/P, S, S0, last; a convolution
                     (spikesim.convolution) has attr convolution (JSON geometry),
                     kernel and delay instead of indptr, post, weight
    /nir_source      the NIR graph a from_nir network came from (export.nir_store)
    /injections/K    attrs: kind, population, args (JSON); indices
    /astrocytes/K    attrs: kind; group state (see the group's ``_save``)

Version 2 (2026-11-24) added ``astro_sides`` and the modulation masks; a version-1
file loads with its astrocyte links on the depression (all there was). Version 3
(2026-12-04) stores the state as the rows ``S`` and their initial values ``S0``
(any neuron model) instead of ``v, ie, ii``; version-1 and -2 files load into the
first three rows (initial values as the cell type's defaults, as before). Version 4
(2026-12-05) adds convolutional projections and ``/nir_source``. Older spikesim refuses
newer files instead of dropping what it does not know.

Only numbers, strings and JSON text are read back; nothing is unpickled or
evaluated. Every value passes the same validation as when the network was
built through the API, so a corrupt file is refused with an error that
names the problem. Recorders are not part of a network file: record again
after loading.
"""
from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from .neuromodulation import refuse as refuse_neuromodulation
from . import cells as C, fusion
from .currents import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource
from .plasticity import (STDP, AdditiveWeightDependence, MultiplicativeWeightDependence,
                         SpikePairRule, TripletRule, Vogels2011Rule)

FORMAT = "spikesim-network"
VERSION = 4  # 2: astro_sides, modulation masks (2026-11-24); 3: state rows S, S0; 4: kernels, NIR
CELLTYPES = {c.__name__: c for c in C.CELL_TYPES}
RULES = {c.__name__: c for c in (SpikePairRule, TripletRule, Vogels2011Rule)}
WDEPS = {c.__name__: c for c in (AdditiveWeightDependence, MultiplicativeWeightDependence)}
PSTATE = ("h_step", "h_x", "h_head", "h_cnt", "h_last", "po", "mod", "col_ptr", "col_pre",
          "col_syn", "dl")
MASKS = ("potentiation_mask", "depression_mask")  # optional datasets (Projection.modulate)


class FileFormatError(ValueError):
    """A file that is not a readable spikesim network (corrupt, foreign or too new)."""


# ---------------------------------------------------------------------------------- save
def save(net, path: str | os.PathLike) -> None:
    """Write ``net`` to ``path`` atomically (a temporary file renamed into place).

    A crash while saving leaves any previous file at ``path`` untouched.
    """
    refuse_neuromodulation(net, "spikesim.save")
    import h5py

    for g in getattr(net, "_rewiring", None) or []:
        raise NotImplementedError(f"save(): population {g.post.label!r} rewires its synapses "
                                  "(spikesim.rewiring); saving structural projections is not "
                                  "available")
    for inp in getattr(net, "poisson_inputs", None) or []:
        raise NotImplementedError(f"save(): Poisson input {inp.label!r} "
                                  "(Network.add_poisson_input) is not saved yet")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".spikesim-", suffix=".h5.tmp", dir=folder)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            _write(net, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _write(net, f) -> None:
    f.attrs.update(format=FORMAT, version=VERSION, dt=net.dt, dtype=str(net.dtype),
                   threads=str(net.threads), step=net.step, seed=json.dumps(net.seed),
                   fuse_receptors=bool(net.fuse_receptors),
                   fused=json.dumps(sorted(int(i) for i in net._runtime.fused)),
                   rng=json.dumps(net.rng.bit_generator.state),
                   seedseq=json.dumps(_seedseq_state(net._seedseq)),
                   dyn_seed=str(net._dynamics_seed()))
    st = net._state
    g = f.create_group("state")
    for name in ("S", "S0", "ref"):
        g.create_dataset(name, data=getattr(st, name))
    rt = net._runtime
    if rt.buf is not None:
        g.create_dataset("ring", data=rt.buf, compression="gzip", compression_opts=1)
    if getattr(rt, "_ar", None) is not None:
        g.create_dataset("arrivals_ids", data=rt._ar[0])
        g.create_dataset("arrivals_cnt", data=rt._ar[1])
    pops = f.create_group("populations")
    for p in net.populations:
        _write_population(pops.create_group(str(p.index)), p, rt.sources.get(p.index))
    projs = f.create_group("projections")
    for j in net.projections:
        _write_projection(projs.create_group(str(j.index)), j, net)
    if getattr(net, "nir_source", None) is not None:  # from_nir's source graph
        from .export.nir_store import save_source

        save_source(net.nir_source, f.create_group("nir_source"))
    inj = f.create_group("injections")
    for k, (src, pop, idx) in enumerate(net.injections):
        h = inj.create_group(str(k))
        if isinstance(src, DCSource):
            args = dict(amplitude=src.amplitude, start=src.start, stop=src.stop)
        elif isinstance(src, NoisyCurrentSource):
            args = dict(mean=src.mean, stdev=src.stdev, start=src.start, stop=src.stop, dt=src.dt,
                        seed=src.seed)
        elif isinstance(src, ACSource):
            args = dict(amplitude=src.amplitude, offset=src.offset, frequency=src.frequency,
                        phase=src.phase, start=src.start, stop=src.stop)
        elif not isinstance(src, StepCurrentSource):
            raise ValueError(f"current source {src!r} cannot be saved")
        else:
            args = dict(times=src.times.tolist(), amplitudes=src.amplitudes.tolist())
        h.attrs.update(kind=type(src).__name__, population=pop.index, args=json.dumps(args))
        h.create_dataset("indices", data=idx)
    ast = f.create_group("astrocytes")
    for k, grp in enumerate(net.astrocytes):
        if not hasattr(grp, "_save"):
            raise ValueError(f"astrocyte group {grp!r} cannot be saved (no _save method)")
        h = ast.create_group(str(k))
        h.attrs["kind"] = type(grp).__name__
        grp._save(h)


def _write_population(h, p, source) -> None:
    h.attrs.update(label=p.label, celltype=type(p.celltype).__name__, size=p.size)
    if hasattr(p.celltype, "same_step"):
        h.attrs["same_step"] = p.celltype.same_step
    if p.positions is not None:
        h.create_dataset("positions", data=p.positions)
    par = h.create_group("params")
    for name, value in p.params.items():
        if name == "spike_times":
            lens = [len(t) for t in value]
            h.create_dataset("spike_offsets", data=np.concatenate([[0], np.cumsum(lens)]).astype(np.int64))
            h.create_dataset("spike_times", data=np.concatenate(value) if value else np.zeros(0))
        elif name == "rate_changes":
            if value is not None:
                h.create_dataset("rate_change_times", data=value[0])
                h.create_dataset("rate_change_rates", data=value[1])
        else:
            par.create_dataset(name, data=value)
    if hasattr(p, "rng"):
        s = h.create_group("source")
        s.attrs["rng"] = json.dumps(p.rng.bit_generator.state)
        if source is not None and hasattr(source, "next_block"):
            s.attrs["next_block"] = source.next_block
            s.attrs["key"] = str(source.key)
            s.attrs["floor"] = source.floor
            if getattr(source, "next_t", None) is not None:
                s.create_dataset("next_t", data=source.next_t)
            s.create_dataset("steps", data=source.steps)
            s.create_dataset("ids", data=source.ids)


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
            rule=type(s.timing).__name__, timing=vars(s.timing), weight_dependence=type(s.weight).__name__,
            weight=vars(s.weight), window=s.window, sign=s.sign, delay_model=s.delay_model))
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


# ---------------------------------------------------------------------------------- load
def load(path: str | os.PathLike, threads: int | str | None = None):
    """Read a network written by :func:`save`; it continues exactly where it was saved.

    Parameters
    ----------
    path : str or path-like
    threads : int or "auto", optional
        Override the saved thread setting (results do not depend on it).
    """
    path = os.fspath(path)
    with _open(path) as f:
        fmt = f.attrs.get("format")
        if fmt != FORMAT:
            raise FileFormatError(f"{path!r} is not a spikesim network file (format={fmt!r})")
        version = int(f.attrs.get("version", -1))
        if version > VERSION:
            raise FileFormatError(f"{path!r} has schema version {version}; this spikesim reads "
                                  f"up to version {VERSION} (upgrade spikesim)")
        if version < 1:
            raise FileFormatError(f"{path!r} has an invalid schema version {version}")
        try:
            return _read(f, threads)
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise FileFormatError(f"{path!r} is damaged or incomplete: {exc!r}") from None


def _open(path: str):
    """``h5py.File(path, "r")``; anything but a missing file becomes a :class:`FileFormatError`."""
    import h5py

    try:
        return h5py.File(path, "r")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise FileFormatError(f"{path!r} is not a readable HDF5 file (truncated or corrupt?): "
                              f"{exc}") from None


def _read(f, threads):
    from .network import Network

    a = f.attrs
    t = str(a["threads"]) if threads is None else threads
    net = Network(dt=float(a["dt"]), dtype=str(a["dtype"]),
                  threads=(t if t == "auto" else int(t)) if isinstance(t, str) else t,
                  fuse_receptors=bool(a.get("fuse_receptors", False)))
    for k in range(len(f["populations"])):
        _read_population(net, f["populations"][str(k)])
    for k in range(len(f["astrocytes"])):
        h = f["astrocytes"][str(k)]
        kind = h.attrs["kind"]
        loader = _astro_loaders().get(kind)
        if loader is None:
            raise FileFormatError(f"unknown astrocyte kind {kind!r}")
        loader(net, h)
    for k in range(len(f["projections"])):
        _read_projection(net, f["projections"][str(k)])
    for k in range(len(f["injections"])):
        h = f["injections"][str(k)]
        args = json.loads(h.attrs["args"])
        cls = {"DCSource": DCSource, "StepCurrentSource": StepCurrentSource,
               "ACSource": ACSource, "NoisyCurrentSource": NoisyCurrentSource}.get(h.attrs["kind"])
        if cls is None:
            raise FileFormatError(f"unknown current source kind {h.attrs['kind']!r}")
        pop = net.populations[int(h.attrs["population"])]
        net.inject(cls(**args), pop[np.asarray(h["indices"][()], np.int64)])
    st = net._state
    n = net.n_neurons
    rows = st.S.shape[0]
    if "S" in f["state"]:
        stored = {"S": (f["state/S"], st.S), "S0": (f["state/S0"], st.S0),
                  "ref": (f["state/ref"], st.ref)}
    else:  # versions 1-2: v, ie, ii are the first three rows
        old = [np.asarray(f["state"][k][()]) for k in ("v", "ie", "ii")]
        if any(a.shape != (n,) for a in old):
            raise FileFormatError(f"state/v, ie, ii must have shape ({n},)")
        S = np.zeros((rows, n), old[0].dtype)
        S[:3] = old
        S0 = st.S0.copy()
        stored = {"S": (S, st.S), "S0": (S0, st.S0), "ref": (f["state/ref"], st.ref)}
    for name, (data, want) in stored.items():
        arr = np.asarray(data[()])
        if arr.shape != want.shape or arr.dtype != want.dtype:
            raise FileFormatError(f"state/{name} has shape {arr.shape} and dtype {arr.dtype}; "
                                  f"expected {want.shape} {want.dtype}")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise FileFormatError(f"state/{name} holds non-finite values")
        setattr(st, name, arr.copy())
    if st.ref.min(initial=0) < 0:
        raise FileFormatError("state/ref holds negative refractory counts")
    rt = net._runtime
    if "ring" in f["state"]:
        ring = np.asarray(f["state/ring"][()])
        if ring.ndim != 3 or ring.shape[0] < 1 or ring.shape[2] != n or ring.dtype != net.dtype \
                or ring.shape[1] & (ring.shape[1] - 1) or not np.isfinite(ring).all():
            raise FileFormatError(f"state/ring has an invalid shape {ring.shape} or values")
        rt.buf, rt.slot_mask = ring, ring.shape[1] - 1
    rt.fused = fusion.read_fused(f.attrs.get("fused", "[]"), len(net.populations),
                                 FileFormatError)  # populations that ran fused stay so
    if "arrivals_ids" in f["state"]:
        ids = np.asarray(f["state/arrivals_ids"][()], np.int64)
        cnt = np.asarray(f["state/arrivals_cnt"][()], np.int64)
        if ids.ndim != 2 or cnt.shape != (ids.shape[0],) or (cnt > ids.shape[1]).any() or \
                (ids.size and (ids.min() < 0 or ids.max() >= max(n, 1))) or cnt.min(initial=0) < 0:
            raise FileFormatError("state/arrivals_* are inconsistent")
        rt._ar = (ids, cnt)
    net.step = int(a["step"])
    if net.step < 0:
        raise FileFormatError(f"step must be >= 0, got {net.step}")
    _restore_sources(net, f)
    net.rng.bit_generator.state = json.loads(a["rng"])
    net._seedseq = _seedseq_from(json.loads(a["seedseq"]))
    if "dyn_seed" in a:  # seed of the counter-based draws (synapse dynamics, noise currents)
        try:
            net._dyn_seed = int(a["dyn_seed"])
        except ValueError:
            raise FileFormatError(f"dyn_seed {a['dyn_seed']!r} is not an integer") from None
        if not 0 <= net._dyn_seed < 2 ** 64:
            raise FileFormatError(f"dyn_seed {net._dyn_seed} is out of range")
    net.seed = json.loads(a["seed"])
    if "nir_source" in f:
        from .export.nir_store import load_source

        try:
            net.nir_source = load_source(net, f["nir_source"])
        except (ValueError, KeyError, OSError) as exc:
            raise FileFormatError(f"nir_source cannot be read: {exc}") from None
    return net


def _read_population(net, h) -> None:
    name = h.attrs["celltype"]
    cls = CELLTYPES.get(name)
    if cls is None:
        raise FileFormatError(f"unknown cell type {name!r}")
    size = int(h.attrs["size"])
    par = {k: np.asarray(h["params"][k][()]) for k in h["params"]}
    par = {k: (float(v) if v.ndim == 0 else v) for k, v in par.items()}
    if cls is C.SpikeSourceArray:
        off = np.asarray(h["spike_offsets"][()], np.int64)
        times = np.asarray(h["spike_times"][()], np.float64)
        if off.shape != (size + 1,) or off[0] != 0 or (np.diff(off) < 0).any() or off[-1] != times.size:
            raise FileFormatError(f"population {h.attrs['label']!r}: spike_offsets are inconsistent")
        celltype = cls(spike_times=[times[off[i]:off[i + 1]] for i in range(size)],
                       same_step=str(h.attrs.get("same_step", "refuse")))
    elif cls is C.SpikeSourcePoisson:
        ch = None
        if "rate_change_times" in h:
            ch = (h["rate_change_times"][()], h["rate_change_rates"][()])
        celltype = cls(rate=par["rate"], start=par["start"], duration=par["duration"], rate_changes=ch)
    else:
        celltype = cls(**par)
    pos = h["positions"][()] if "positions" in h else None
    net.add_population(size, celltype, label=str(h.attrs["label"]), positions=pos)


def _restore_sources(net, f) -> None:
    from .sources import make_events

    rt = net._runtime
    for p in net.populations:
        h = f["populations"][str(p.index)]
        if "source" not in h:
            continue
        s = h["source"]
        p.rng.bit_generator.state = json.loads(s.attrs["rng"])
        if "next_block" in s.attrs:
            ev = make_events(p, net.dt, p.rng)
            ev.next_block = int(s.attrs["next_block"])
            if "key" in s.attrs:  # older files: the key derived from the stored generator
                ev.key = int(s.attrs["key"])
                p.rng.bit_generator.state = json.loads(s.attrs["rng"])  # as it was saved
            ev.floor = int(s.attrs.get("floor", 0))  # older files do not store it
            if ev.floor < 0:
                raise FileFormatError(f"population {p.label!r}: source floor {ev.floor} is negative")
            if "next_t" in s:
                nt = np.asarray(s["next_t"][()], np.float64)
                if not hasattr(ev, "next_t") or nt.shape != (p.size,) or np.isnan(nt).any() \
                        or (nt < 0).any():
                    raise FileFormatError(f"population {p.label!r}: source/next_t is invalid")
                ev.next_t = nt.copy()
            ev.steps = np.asarray(s["steps"][()], np.int64)
            ev.ids = np.asarray(s["ids"][()], np.int64)
            if ev.ids.size and (ev.ids.min() < 0 or ev.ids.max() >= p.size) or \
                    ev.steps.shape != ev.ids.shape or (np.diff(ev.steps) < 0).any():
                raise FileFormatError(f"population {p.label!r}: pending source events are invalid")
            rt.sources[p.index] = ev


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
            raise FileFormatError(f"unknown plasticity rule {d['rule']!r} / {d['weight_dependence']!r}")
        syn = STDP(rule(**d["timing"]), wdep(**d["weight"]), window=d["window"],
                   sign=d.get("sign", 1), delay_model=d.get("delay_model", "axonal"))
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
                                   h["indptr"][()], h["post"][()], h["weight"][()], h["delay"][()], syn,
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
            raise FileFormatError(f"projection {proj.label!r}: plastic/{name} has shape {arr.shape} "
                                  f"{arr.dtype}, expected {fresh[name].shape} {fresh[name].dtype}")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise FileFormatError(f"projection {proj.label!r}: plastic/{name} is not finite")
        fresh[name] = arr.copy()
    for name in ("col_ptr", "col_pre", "col_syn", "dl"):  # derived from connectivity: must agree
        if not np.array_equal(fresh[name], projection_state(proj, net.dt)[name]):
            raise FileFormatError(f"projection {proj.label!r}: plastic/{name} contradicts the synapses")
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
        if sa.shape != (proj.n_synapses,) or sa.min(initial=-1) < -1 or sa.max(initial=-1) >= group.n:
            raise FileFormatError(f"projection {proj.label!r}: syn_astro is invalid")
        sides = h.attrs.get("astro_sides", 1)  # version 1: depression only
        if not isinstance(sides, (int, np.integer)) or sides not in (1, 2, 3):
            shown = sides.item() if isinstance(sides, np.generic) else sides
            raise FileFormatError(f"projection {proj.label!r}: astro_sides is {shown!r}, "
                                  "expected 1, 2 or 3")
        sides = int(sides)
        proj._astro_link, proj._syn_astro, proj._astro_sides = group, sa, sides


def _astro_loaders() -> dict:
    from .nalsm_astrocyte import NALSMAstrocyteGroup

    out = {"NALSMAstrocyteGroup": NALSMAstrocyteGroup._load}
    try:
        from .lirinzel import LiRinzelGroup

        if hasattr(LiRinzelGroup, "_load"):
            out["LiRinzelGroup"] = LiRinzelGroup._load
    except ImportError:  # pragma: no cover
        pass
    return out


def _seedseq_state(ss) -> dict:
    return dict(entropy=ss.entropy, spawn_key=list(ss.spawn_key), pool_size=ss.pool_size,
                n_children_spawned=ss.n_children_spawned)


def _seedseq_from(d: dict) -> np.random.SeedSequence:
    return np.random.SeedSequence(d["entropy"], spawn_key=tuple(d["spawn_key"]),
                                  pool_size=d["pool_size"], n_children_spawned=d["n_children_spawned"])


# ---------------------------------------------------------------------------------- recordings
def load_recording(path: str | os.PathLike) -> dict:
    """Read a recordings file written by ``net.record(..., stream_to=path)``.

    Works on a file whose writer was killed mid-run: everything up to the last
    flushed chunk is returned (paired datasets are cut to their common length).

    Returns
    -------
    dict
        ``{group name: {variable: SpikeTrains | StateTrace | PopulationRate}}``;
        a group is named after the recorded population (``label_1``... if repeated).
    """
    from .recording import PopulationRate, SpikeTrains, StateTrace

    path = os.fspath(path)
    out = {}
    with _open(path) as f:
        if f.attrs.get("format") != "spikesim-recording":
            raise FileFormatError(f"{path!r} is not a spikesim recording file "
                                  f"(format={f.attrs.get('format')!r})")
        if int(f.attrs.get("version", -1)) > 1:
            raise FileFormatError(f"{path!r} has recording version {f.attrs.get('version')}; "
                                  "this spikesim reads version 1")
        dt = float(f.attrs["dt"])
        for name, g in f.items():
            try:
                variables = json.loads(g.attrs["variables"])
                size, start = int(g.attrs["size"]), int(g.attrs["start_step"])
                indices = np.asarray(g["indices"][()], np.int64)
            except (KeyError, json.JSONDecodeError) as exc:
                raise FileFormatError(f"{path!r}: group {name!r} lacks recorder metadata ({exc!r})") \
                    from None
            data = {}
            for var in variables:
                if var == "spikes":
                    steps, senders = _paired(g, "spikes/steps", "spikes/senders", np.int64)
                    data[var] = SpikeTrains((steps + 1) * dt, senders, size)
                elif var == "rate":
                    counts = g["rate/counts"][()] if "rate/counts" in g else np.zeros(0, np.int32)
                    data[var] = PopulationRate(counts, size, dt, start)
                else:
                    steps, vals = _paired(g, f"{var}/steps", f"{var}/values", np.float64,
                                          (0, indices.shape[0]))
                    data[var] = StateTrace(var, (steps + 1) * dt, vals, indices)
            out[name] = data
    return out


def _paired(g, a: str, b: str, dtype, empty_b=(0,)) -> tuple[np.ndarray, np.ndarray]:
    if a not in g or b not in g:
        return np.zeros(0, np.int64), np.zeros(empty_b, dtype)
    n = min(g[a].shape[0], g[b].shape[0])
    return np.asarray(g[a][:n], np.int64), np.asarray(g[b][:n])
