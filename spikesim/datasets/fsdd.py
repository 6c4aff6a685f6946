"""Free Spoken Digit Dataset (FSDD) reader and an auditory front end that turns speech into spike rates.

FSDD (Jakobovski, github.com/Jakobovski/free-spoken-digit-dataset): mono
8 kHz 16-bit WAV files named ``{digit}_{speaker}_{index}.wav``, in a folder
``recordings/`` or directly in the given directory.

Front end (:func:`speech_rates`), a standard mel filterbank analysis (Davis &
Mermelstein 1980, IEEE Trans. ASSP 28:357; the mel scale
``2595 log10(1 + f / 700)`` as in the HTK Book, Young et al.):

1. leading and trailing silence is cut (10 ms frames more than
   ``silence_db`` below the loudest frame);
2. pre-emphasis ``y[n] = x[n] - 0.97 x[n-1]``;
3. short-time power spectrum: Hann window of ``frame_ms`` (25 ms), hop
   ``hop_ms`` (10 ms);
4. ``n_mels`` triangular filters equally spaced on the mel scale between
   ``fmin`` and ``fmax`` (default 50 Hz to the Nyquist frequency);
5. log energy in dB relative to the utterance's loudest bin, the top
   ``dynamic_range_db`` mapped linearly to [0, 1];
6. the utterance is stretched to ``n_steps`` ms (linear interpolation between
   frames), so every sample has the same duration;
7. rate code: input channel ``i`` fires with probability ``p_max * value``
   per ms (each channel may be repeated ``repeat`` times, as independent neurons).
"""
from __future__ import annotations

import pathlib
import re
import wave
from typing import NamedTuple

import numpy as np

__all__ = [
    "Recordings",
    "load_fsdd",
    "log_mel_spectrogram",
    "mel_filterbank",
    "read_wav",
    "speech_rates",
    "stratified_split",
]

_NAME = re.compile(r"^(\d+)_([A-Za-z0-9-]+)_(\d+)\.wav$")


class Recordings(NamedTuple):
    """FSDD recordings: ``signals`` (list of float arrays in [-1, 1]), ``labels`` (digits),
    ``speakers``, ``names`` (file names) and the sampling ``rate`` (Hz)."""

    signals: list
    labels: np.ndarray
    speakers: np.ndarray
    names: list
    rate: int


def read_wav(path) -> tuple[int, np.ndarray]:
    """Read a PCM WAV file: ``(rate, samples)``, float64 in [-1, 1], channels averaged."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, width, nch, n = w.getframerate(), w.getsampwidth(), w.getnchannels(), w.getnframes()
            raw = w.readframes(n)
    except (wave.Error, EOFError, OSError) as exc:
        raise ValueError(f"{str(path)!r} is not a readable PCM WAV file: {exc}") from None
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width in (2, 4):
        x = np.frombuffer(raw, f"<i{width}").astype(np.float64) / float(2 ** (8 * width - 1))
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float64) / float(1 << 23)
    else:
        raise ValueError(f"{str(path)!r}: unsupported sample width of {width} bytes")
    if x.shape[0] % nch:
        raise ValueError(f"{str(path)!r}: truncated frame data")
    return rate, x.reshape(-1, nch).mean(1)


def load_fsdd(directory) -> Recordings:
    """Load every ``{digit}_{speaker}_{index}.wav`` from ``directory`` (or its ``recordings/``)."""
    d = pathlib.Path(directory)
    if (d / "recordings").is_dir():
        d = d / "recordings"
    if not d.is_dir():
        raise ValueError(f"data directory {str(d)!r} does not exist")
    files = sorted((p for p in d.iterdir() if _NAME.match(p.name)),
                   key=lambda p: (int(_NAME.match(p.name)[1]), _NAME.match(p.name)[2],
                                  int(_NAME.match(p.name)[3])))
    if not files:
        raise ValueError(f"{str(d)!r} holds no FSDD recordings ({{digit}}_{{speaker}}_{{index}}.wav)")
    signals, labels, speakers, rates = [], [], [], set()
    for p in files:
        rate, x = read_wav(p)
        rates.add(rate)
        m = _NAME.match(p.name)
        signals.append(x)
        labels.append(int(m[1]))
        speakers.append(m[2])
    if len(rates) != 1:
        raise ValueError(f"recordings in {str(d)!r} have different sampling rates: {sorted(rates)}")
    return Recordings(signals, np.array(labels, np.int64), np.array(speakers),
                      [p.name for p in files], rates.pop())


def stratified_split(labels, test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)``: ``test_fraction`` of every class in the test part, shuffled."""
    y = np.asarray(labels)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(test_fraction * idx.shape[0]))
        test.append(idx[:k])
        train.append(idx[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, np.float64) / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_mels: int, n_fft: int, rate: float, fmin: float = 50.0,
                   fmax: float | None = None) -> np.ndarray:
    """Triangular filters ``(n_mels, n_fft // 2 + 1)`` equally spaced on the mel scale (peak 1)."""
    fmax = rate / 2.0 if fmax is None else fmax
    if not (n_mels >= 1 and n_fft >= 2 and 0.0 <= fmin < fmax <= rate / 2.0):
        raise ValueError(f"mel_filterbank needs n_mels >= 1, n_fft >= 2 and 0 <= fmin < fmax <= rate/2, "
                         f"got n_mels={n_mels}, n_fft={n_fft}, fmin={fmin}, fmax={fmax}, rate={rate}")
    edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    f = np.arange(n_fft // 2 + 1) * rate / n_fft
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.clip(np.minimum((f - lo) / (mid - lo), (hi - f) / (hi - mid)), 0.0, None)


def _frames(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    if x.shape[0] < size:
        x = np.pad(x, (0, size - x.shape[0]))
    n = 1 + (x.shape[0] - size) // hop
    idx = np.arange(size)[None, :] + hop * np.arange(n)[:, None]
    return x[idx]


def log_mel_spectrogram(signal, rate: float, n_mels: int = 32, frame_ms: float = 25.0,
                        hop_ms: float = 10.0, fmin: float = 50.0, fmax: float | None = None) -> np.ndarray:
    """Log mel energies in dB, shape ``(n_frames, n_mels)`` (steps 2-4 of the module docstring)."""
    x = np.asarray(signal, np.float64)
    if x.ndim != 1 or x.shape[0] == 0 or not np.isfinite(x).all():
        raise ValueError("signal must be a non-empty 1-D array of finite samples")
    x = np.append(x[0], x[1:] - 0.97 * x[:-1])
    size, hop = int(round(rate * frame_ms / 1000.0)), int(round(rate * hop_ms / 1000.0))
    n_fft = 1 << int(np.ceil(np.log2(size)))
    fr = _frames(x, size, hop) * np.hanning(size)
    power = np.abs(np.fft.rfft(fr, n_fft)) ** 2
    return 10.0 * np.log10(power @ mel_filterbank(n_mels, n_fft, rate, fmin, fmax).T + 1e-12)


def _trim(x: np.ndarray, rate: float, silence_db: float) -> np.ndarray:
    hop = max(1, int(rate * 0.01))
    fr = _frames(x, hop, hop)
    e = 10.0 * np.log10((fr ** 2).mean(1) + 1e-12)
    loud = np.flatnonzero(e > e.max() - silence_db)
    return x[loud[0] * hop:(loud[-1] + 1) * hop]


def speech_rates(signal, rate: float, n_steps: int = 250, n_mels: int = 32, p_max: float = 0.5,
                 dynamic_range_db: float = 40.0, silence_db: float = 35.0, repeat: int = 1,
                 **spectrogram) -> np.ndarray:
    """Spike probabilities per ms ``(n_steps, n_mels * repeat)`` of one utterance (module docstring)."""
    if not (isinstance(n_steps, (int, np.integer)) and n_steps >= 2):
        raise ValueError(f"n_steps must be an integer >= 2, got {n_steps!r}")
    if not 0.0 < p_max <= 1.0:
        raise ValueError(f"p_max must be in (0, 1], got {p_max!r}")
    if not dynamic_range_db > 0:
        raise ValueError(f"dynamic_range_db must be > 0, got {dynamic_range_db!r}")
    x = _trim(np.asarray(signal, np.float64), rate, silence_db)
    S = log_mel_spectrogram(x, rate, n_mels, **spectrogram)
    S = np.clip((S - S.max() + dynamic_range_db) / dynamic_range_db, 0.0, 1.0)
    src = np.linspace(0.0, S.shape[0] - 1.0, n_steps)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, S.shape[0] - 1)
    frac = (src - lo)[:, None]
    out = (1.0 - frac) * S[lo] + frac * S[hi]
    return np.repeat(p_max * out, repeat, axis=1)
