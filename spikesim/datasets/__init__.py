"""Readers for the example data sets and their spike encodings.

- :mod:`.mnist`: MNIST IDX files (the standard four, or one images/labels pair such
  as ``mnist5k``), an optional checksum-verified download, the NALSM input rates;
- :mod:`.fsdd`: Free Spoken Digit Dataset WAV files and a mel-filterbank front end
  that turns speech into time-varying spike rates;
- :mod:`.nmnist`: N-MNIST event files (40-bit events) binned to 1 ms.

:func:`find_data` locates the project's example data (``$SPIKESIM_DATA`` or
``../shared/datasets`` beside the source tree).
"""
from __future__ import annotations

import os
import pathlib

from .fsdd import Recordings, load_fsdd, read_wav, speech_rates, stratified_split
from .mnist import Digits, download_mnist, load_mnist, nalsm_rates, read_idx
from .nmnist import Events, event_raster, list_nmnist, read_events, write_events

__all__ = [
    "Digits",
    "Events",
    "Recordings",
    "download_mnist",
    "event_raster",
    "find_data",
    "list_nmnist",
    "load_fsdd",
    "load_mnist",
    "nalsm_rates",
    "read_events",
    "read_idx",
    "read_wav",
    "speech_rates",
    "stratified_split",
    "write_events",
]


def find_data(name: str) -> pathlib.Path | None:
    """The folder of example data set ``name`` (e.g. ``"mnist5k"``, ``"fsdd"``), or None.

    Looks in ``$SPIKESIM_DATA/<name>``, then ``../shared/datasets/<name>``
    relative to the source tree (the project's layout) and to the working directory.
    """
    roots = []
    if os.environ.get("SPIKESIM_DATA"):
        roots.append(pathlib.Path(os.environ["SPIKESIM_DATA"]))
    here = pathlib.Path(__file__).resolve().parents[2]
    roots += [here.parent / "shared" / "datasets", pathlib.Path.cwd().parent / "shared" / "datasets"]
    for r in roots:
        if (r / name).is_dir():
            return r / name
    return None
