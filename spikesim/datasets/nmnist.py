"""N-MNIST (Orchard, Jayawant, Cohen & Thakor 2015, Front. Neurosci. 9:437) in its original binary format.

Each file is a sequence of 40-bit (5-byte) events, big-endian bit fields:

====== ==========================================
bits   field
====== ==========================================
39-32  x address (0-33)
31-24  y address (0-33)
23     polarity (1 ON, 0 OFF)
22-0   timestamp, microseconds
====== ==========================================

The dataset folder holds ``Train/<digit>/*.bin`` and ``Test/<digit>/*.bin``.
:func:`event_raster` bins events to 1 ms: the input is ``2 x 34 x 34``
(polarity, y, x), flattened to 2,312 input neurons for a liquid.
"""
from __future__ import annotations

import pathlib
from typing import NamedTuple

import numpy as np

__all__ = ["Events", "event_raster", "list_nmnist", "read_events", "write_events"]

SENSOR = (34, 34)


class Events(NamedTuple):
    """Events of one recording: ``x``, ``y``, ``polarity`` (0/1) and ``t`` (microseconds), int64 arrays."""

    x: np.ndarray
    y: np.ndarray
    polarity: np.ndarray
    t: np.ndarray


def read_events(path) -> Events:
    """Read one N-MNIST ``.bin`` file."""
    try:
        raw = pathlib.Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read N-MNIST file {str(path)!r}: {exc}") from None
    if len(raw) % 5:
        raise ValueError(f"{str(path)!r} is not an N-MNIST event file: {len(raw)} bytes is not a "
                         "multiple of 5 (40-bit events)")
    b = np.frombuffer(raw, np.uint8).reshape(-1, 5).astype(np.int64)
    return Events(b[:, 0], b[:, 1], b[:, 2] >> 7, ((b[:, 2] & 0x7F) << 16) | (b[:, 3] << 8) | b[:, 4])


def write_events(path, x, y, polarity, t) -> None:
    """Write events in the N-MNIST format (the inverse of :func:`read_events`)."""
    x, y, p, t = (np.asarray(a, np.int64) for a in (x, y, polarity, t))
    if not (x.shape == y.shape == p.shape == t.shape and x.ndim == 1):
        raise ValueError("x, y, polarity and t must be 1-D arrays of one length")
    if x.size and (x.min() < 0 or x.max() > 255 or y.min() < 0 or y.max() > 255 or
                   not np.isin(p, (0, 1)).all() or t.min() < 0 or t.max() >= 1 << 23):
        raise ValueError("events out of range: x, y in [0, 255], polarity 0/1, t in [0, 2**23) us")
    out = np.empty((x.shape[0], 5), np.uint8)
    out[:, 0], out[:, 1] = x, y
    out[:, 2] = (p << 7) | (t >> 16)
    out[:, 3], out[:, 4] = (t >> 8) & 0xFF, t & 0xFF
    pathlib.Path(path).write_bytes(out.tobytes())


def event_raster(events: Events, duration_ms: int | None = None, binary: bool = True) -> np.ndarray:
    """Events binned to 1 ms: array ``(duration_ms, 2, 34, 34)`` (polarity, y, x).

    ``duration_ms`` defaults to the last event's millisecond + 1; later events
    are dropped. ``binary=True`` gives at most one spike per input neuron and ms
    (bool), otherwise event counts (uint16).
    """
    ms = events.t // 1000
    T = int(ms.max(initial=-1)) + 1 if duration_ms is None else int(duration_ms)
    if T < 1:
        raise ValueError(f"duration_ms must be >= 1, got {duration_ms!r}")
    ok = (ms < T) & (events.x < SENSOR[1]) & (events.y < SENSOR[0])
    counts = np.zeros((T, 2) + SENSOR, np.uint16)
    np.add.at(counts, (ms[ok], events.polarity[ok], events.y[ok], events.x[ok]), 1)
    return counts > 0 if binary else counts


def list_nmnist(directory, split: str = "Train") -> tuple[list, np.ndarray]:
    """``(paths, labels)`` of every ``<split>/<digit>/*.bin`` under ``directory``, sorted."""
    d = pathlib.Path(directory) / split
    if not d.is_dir():
        raise ValueError(f"N-MNIST folder {str(d)!r} does not exist (expected {split}/<digit>/*.bin)")
    paths, labels = [], []
    for digit in range(10):
        for p in sorted((d / str(digit)).glob("*.bin")):
            paths.append(p)
            labels.append(digit)
    if not paths:
        raise ValueError(f"{str(d)!r} holds no <digit>/*.bin files")
    return paths, np.array(labels, np.int64)
