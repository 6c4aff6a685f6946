"""The error for files spikesim cannot read, and the guarded open of an HDF5 file.

Shared by the network files (:mod:`spikesim.io`, :mod:`spikesim.io_projections`) and the
recording files (:mod:`spikesim.io_recording`).
"""
from __future__ import annotations


class FileFormatError(ValueError):
    """A file that is not a readable spikesim network (corrupt, foreign or too new)."""

    __module__ = "spikesim.io"  # its public name, re-exported there (tracebacks, pickling)


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
