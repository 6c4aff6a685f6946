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
    /projections/K   one projection each (schema in spikesim.io_projections)
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

The projections are written and read in :mod:`spikesim.io_projections`, recording files
(``net.record(..., stream_to=path)``) in :mod:`spikesim.io_recording`; both are re-exported
here.
"""
from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from .neuromodulation import refuse as refuse_neuromodulation
from . import cells as C, fusion
from .currents import ACSource, DCSource, NoisyCurrentSource, StepCurrentSource
from .io_file import FileFormatError, _open  # noqa: F401 (spikesim.io.FileFormatError, cli)
from .io_projections import (MASKS, PSTATE, RULES, WDEPS,  # noqa: F401 (spikesim.io.*)
                             _read_projection, _write_projection)
from .io_recording import load_recording  # noqa: F401 (spikesim.load_recording, cli)

FORMAT = "spikesim-network"
VERSION = 4  # 2: astro_sides, modulation masks (2026-11-24); 3: state rows S, S0; 4: kernels, NIR
CELLTYPES = {c.__name__: c for c in C.CELL_TYPES}


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
    rt.settle()  # events still to arrive (spikesim.arrival_runtime) into the ring
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
            h.create_dataset("spike_offsets",
                             data=np.concatenate([[0], np.cumsum(lens)]).astype(np.int64))
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
        if off.shape != (size + 1,) or off[0] != 0 or (np.diff(off) < 0).any() \
                or off[-1] != times.size:
            raise FileFormatError(f"population {h.attrs['label']!r}: spike_offsets are "
                                  "inconsistent")
        celltype = cls(spike_times=[times[off[i]:off[i + 1]] for i in range(size)],
                       same_step=str(h.attrs.get("same_step", "refuse")))
    elif cls is C.SpikeSourcePoisson:
        ch = None
        if "rate_change_times" in h:
            ch = (h["rate_change_times"][()], h["rate_change_rates"][()])
        celltype = cls(rate=par["rate"], start=par["start"], duration=par["duration"],
                       rate_changes=ch)
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
                raise FileFormatError(f"population {p.label!r}: source floor {ev.floor} is "
                                      "negative")
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
                                  pool_size=d["pool_size"],
                                  n_children_spawned=d["n_children_spawned"])
