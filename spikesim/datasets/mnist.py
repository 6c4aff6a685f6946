"""MNIST in its own IDX format, and the NALSM input encoding.

The reader takes either the four standard files of the MNIST database
(``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``) or any
single pair ``*images-idx3-ubyte[.gz]`` + ``*labels-idx1-ubyte[.gz]`` from a
directory (such as the 5,000-digit ``mnist5k`` example set). IDX: a 4-byte
magic number ``0x0000TTDD`` (``TT`` element type, ``DD`` number of
dimensions), one big-endian uint32 per dimension, then the data in C order
(Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten
digits").

:func:`download_mnist` fetches the standard files and checks their MD5 sums;
nothing else in spikesim depends on network access.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import pathlib
from typing import NamedTuple

import numpy as np

__all__ = ["MNIST_FILES", "Digits", "download_mnist", "load_mnist", "nalsm_rates", "read_idx",
           "standard_train_count"]

# standard file name -> MD5 of the gzipped file (as published with the database)
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/")

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class Digits(NamedTuple):
    """Images ``(n, 28, 28)`` uint8 and labels ``(n,)`` int64, plus the standard split if known.

    ``n_train`` is the number of leading samples that come from MNIST's training
    file (the rest from ``t10k``), or ``None`` for a single IDX pair.
    """

    images: np.ndarray
    labels: np.ndarray
    n_train: int | None


def _check_magic(path, data: bytes) -> None:
    """Refuse ``data`` (the first bytes of ``path``) unless it starts with an IDX magic number."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES or data[3] == 0:
        raise ValueError(f"{str(path)!r} is not an IDX file (magic number {data[:4].hex()!r})")


def read_idx(path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into a numpy array of its stored shape."""
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"{str(path)!r} is not a readable IDX file: {exc}") from None
    _check_magic(path, data)
    ndim = data[3]
    head = 4 + 4 * ndim
    if len(data) < head:
        raise ValueError(f"{str(path)!r}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    need = int(np.prod(shape)) * dtype.itemsize
    if len(data) - head != need:
        raise ValueError(f"{str(path)!r}: header says shape {shape} ({need} bytes of data), "
                         f"file has {len(data) - head}")
    return np.frombuffer(data, dtype, offset=head).reshape(shape).astype(dtype.newbyteorder("="))


def _find(directory: pathlib.Path, stem: str) -> pathlib.Path | None:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def _pair(images: pathlib.Path, labels: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    x, y = read_idx(images), read_idx(labels)
    if x.ndim != 3 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise ValueError(f"{str(images)!r} and {str(labels)!r} do not form an image/label pair "
                         f"(shapes {x.shape} and {y.shape})")
    return x.astype(np.uint8), y.astype(np.int64)


def standard_train_count(directory) -> int | None:
    """Number of training digits that :func:`load_mnist` gives for ``directory`` (60,000
    for the MNIST database), read from the training file's IDX header alone; ``None`` when
    the directory does not hold the four standard files."""
    d = pathlib.Path(directory)
    std = [_find(d, n[:-3]) for n in MNIST_FILES] if d.is_dir() else [None]
    if any(p is None for p in std):
        return None
    opener = gzip.open if std[0].suffix == ".gz" else open
    try:
        with opener(std[0], "rb") as f:
            head = f.read(8)
    except (OSError, EOFError) as exc:
        raise ValueError(f"{str(std[0])!r} is not a readable IDX file: {exc}") from None
    _check_magic(std[0], head)
    if len(head) < 8:
        raise ValueError(f"{str(std[0])!r}: truncated IDX header")
    return int.from_bytes(head[4:8], "big")


def load_mnist(directory) -> Digits:
    """Load MNIST digits from ``directory``.

    The four standard files give the 60,000 training digits followed by the
    10,000 test digits (``n_train = 60000``); otherwise the directory must hold
    exactly one ``*images-idx3-ubyte[.gz]`` / ``*labels-idx1-ubyte[.gz]`` pair.
    """
    d = pathlib.Path(directory)
    if not d.is_dir():
        raise ValueError(f"data directory {str(d)!r} does not exist")
    std = [_find(d, n[:-3]) for n in MNIST_FILES]
    if all(p is not None for p in std):
        xtr, ytr = _pair(std[0], std[1])
        xte, yte = _pair(std[2], std[3])
        return Digits(np.concatenate([xtr, xte]), np.concatenate([ytr, yte]), xtr.shape[0])
    imgs = sorted(p for p in d.iterdir() if p.name.endswith(("images-idx3-ubyte", "images-idx3-ubyte.gz")))
    labs = sorted(p for p in d.iterdir() if p.name.endswith(("labels-idx1-ubyte", "labels-idx1-ubyte.gz")))
    if len(imgs) != 1 or len(labs) != 1:
        raise ValueError(f"{str(d)!r} holds neither the four standard MNIST files nor exactly one "
                         f"*images-idx3-ubyte / *labels-idx1-ubyte pair (found {len(imgs)} image "
                         f"and {len(labs)} label files)")
    x, y = _pair(imgs[0], labs[0])
    return Digits(x, y, None)


def download_mnist(directory, mirrors=MNIST_MIRRORS) -> pathlib.Path:
    """Download the four standard MNIST files into ``directory`` and verify their MD5 sums.

    Files already present with the right checksum are kept. Needs internet
    access; raises ``OSError`` if no mirror delivers a file with the right sum.
    """
    import urllib.request

    d = pathlib.Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    for name, md5 in MNIST_FILES.items():
        target = d / name
        if target.is_file() and _md5(target) == md5:
            continue
        errors = []
        for base in mirrors:
            tmp = target.with_suffix(".part")
            try:
                with urllib.request.urlopen(base + name, timeout=60) as r, open(tmp, "wb") as f:
                    f.write(r.read())
                if _md5(tmp) != md5:
                    raise OSError(f"MD5 mismatch for {base + name}")
                os.replace(tmp, target)
                break
            except OSError as exc:
                errors.append(str(exc))
                tmp.unlink(missing_ok=True)
        else:
            raise OSError(f"could not download {name}: " + "; ".join(errors))
    return d


def _md5(path: pathlib.Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def nalsm_rates(images, scale: float | None = None) -> tuple[np.ndarray, float]:
    """Per-millisecond spike probabilities of the NALSM input encoding.

    Each image is divided by its own pixel sum, then by the dataset-wide
    maximum of that value, so every input neuron ``i`` fires with probability
    ``p_i`` in [0, 1] per ms (Ivanov & Michmizos 2021). Every image then gives
    the same expected number of input spikes per ms, ``1 / scale``.

    Parameters
    ----------
    images : array (n, ...) of non-negative numbers
    scale : float, optional
        The dataset-wide maximum to divide by; computed from ``images`` if not
        given (pass the training set's value to encode other samples alike).

    Returns
    -------
    (p, scale) : p has shape (n, n_pixels), float64, clipped to [0, 1].
    """
    x = np.asarray(images, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"images must have shape (n_samples, ...), got {x.shape}")
    x = x.reshape(x.shape[0], -1)
    if not np.isfinite(x).all() or (x < 0).any():
        raise ValueError("images must be finite and non-negative")
    s = x.sum(1, keepdims=True)
    if (s == 0).any():
        raise ValueError(f"image {int(np.flatnonzero(s[:, 0] == 0)[0])} is blank (pixel sum 0)")
    x = x / s
    if scale is None:
        scale = float(x.max())
    elif not (isinstance(scale, (int, float)) and np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a finite number > 0, got {scale!r}")
    return np.clip(x / scale, 0.0, 1.0), float(scale)
