"""Files of a SpiNNaker-style machine description: ``machine.json`` and ``synapses.h5``."""
from __future__ import annotations

import json
import math
import os
import tempfile

import numpy as np

JSON_NAME, H5_NAME = "machine.json", "synapses.h5"


def atomic_write(path: str, write) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then move it into place."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json(desc, path: str) -> None:
    """``desc.to_json()`` as indented JSON."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(desc.to_json(), f, indent=1, default=_json_default)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, float) and not math.isfinite(o):
        return str(o)
    raise TypeError(f"not JSON serialisable: {o!r}")


def write_h5(desc, path: str) -> None:
    """Synaptic rows of every projection machine edge, concatenated.

    Layout: ``/matrices/{edge, projection, pre_vertex, post_vertex, stage, shift,
    plastic, row_lo, syn_lo}`` (one entry per matrix; ``row_lo``/``syn_lo`` are
    offsets into the concatenated arrays, with a final total), ``/rows/row_ptr``
    (``n_rows + 1`` per matrix, relative to the matrix's ``syn_lo``) and
    ``/synapses/{words, target, weight, delay, synapse_type}``.
    """
    import h5py

    ms = desc.matrices
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "spikesim-spinnaker-synapses"
        f.attrs["version"] = 1
        f.attrs["tick_ms"] = desc.tick_ms
        g = f.create_group("matrices")
        for name in ("edge", "projection", "pre_vertex", "post_vertex", "stage", "shift"):
            g.create_dataset(name, data=np.array([getattr(m, name) for m in ms], np.int64))
        g.create_dataset("plastic", data=np.array([m.plastic for m in ms], np.bool_))
        rows = [m.row_ptr.shape[0] for m in ms]
        syns = [m.n_synapses for m in ms]
        g.create_dataset("row_lo", data=np.concatenate([[0], np.cumsum(rows)]).astype(np.int64))
        g.create_dataset("syn_lo", data=np.concatenate([[0], np.cumsum(syns)]).astype(np.int64))
        f.create_group("rows").create_dataset("row_ptr", data=_cat([m.row_ptr for m in ms], np.int64))
        s = f.create_group("synapses")
        for name, dt in (("words", np.uint32), ("target", np.uint16), ("weight", np.uint16),
                         ("delay", np.uint8), ("synapse_type", np.uint8)):
            s.create_dataset(name, data=_cat([getattr(m, name) for m in ms], dt),
                             compression="gzip" if sum(syns) > 4096 else None)


def _cat(parts, dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
