"""Reading recording files, written by ``net.record(..., stream_to=path)``.

Schema (``format = "spikesim-recording"``, ``version = 1``): the root has ``dt``; one group
per recorder (attrs ``variables`` JSON, ``size``, ``start_step``; dataset ``indices``) with
``spikes/steps`` and ``spikes/senders``, ``rate/counts``, or ``<variable>/steps`` and
``<variable>/values`` (:func:`spikesim.recording.stream_group`).
"""
from __future__ import annotations

import json
import os

import numpy as np

from .io_file import FileFormatError, _open


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
                raise FileFormatError(f"{path!r}: group {name!r} lacks recorder metadata "
                                      f"({exc!r})") from None
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
