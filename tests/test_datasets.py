"""spikesim.datasets: MNIST IDX, FSDD WAV + front end, N-MNIST events (on files the tests write)."""
import gzip
import hashlib
import wave

import numpy as np
import pytest

from spikesim import datasets as D
from spikesim.datasets import fsdd, mnist, nmnist

MNIST5K = D.find_data("mnist5k")
FSDD = D.find_data("fsdd")


def _idx(path, arr, code=0x08, compress=True):
    head = bytes([0, 0, code, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    data = head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()
    (gzip.open if compress else open)(path, "wb").write(data)


# ------------------------------------------------------------------ MNIST
def test_idx_roundtrip_gzip_and_plain(tmp_path):
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _idx(tmp_path / "a.gz", x)
    _idx(tmp_path / "b", x, compress=False)
    np.testing.assert_array_equal(D.read_idx(tmp_path / "a.gz"), x)
    np.testing.assert_array_equal(D.read_idx(tmp_path / "b"), x)
    f = np.linspace(-1, 1, 6).reshape(2, 3)
    _idx(tmp_path / "f", f.astype(np.float64), code=0x0E, compress=False)
    np.testing.assert_array_equal(D.read_idx(tmp_path / "f"), f)


def test_idx_bad_files_are_refused(tmp_path):
    (tmp_path / "junk").write_bytes(b"\x12\x34\x56\x78rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        D.read_idx(tmp_path / "junk")
    x = np.zeros((5, 4), np.uint8)
    _idx(tmp_path / "t", x, compress=False)
    (tmp_path / "t").write_bytes((tmp_path / "t").read_bytes()[:-3])
    with pytest.raises(ValueError, match="header says shape"):
        D.read_idx(tmp_path / "t")
    with pytest.raises(ValueError, match="not a readable IDX"):
        D.read_idx(tmp_path / "missing.gz")


def _mnist_dir(d, n_train=6, n_test=4, standard=True):
    d.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    if standard:
        for kind, n in (("train", n_train), ("t10k", n_test)):
            _idx(d / f"{kind}-images-idx3-ubyte.gz", rng.integers(0, 255, (n, 28, 28)).astype(np.uint8))
            _idx(d / f"{kind}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))
    else:
        _idx(d / "images-idx3-ubyte.gz", rng.integers(1, 255, (n_train, 28, 28)).astype(np.uint8))
        _idx(d / "labels-idx1-ubyte", (np.arange(n_train) % 10).astype(np.uint8), compress=False)
    return d


def test_load_mnist_standard_files_and_a_single_pair(tmp_path):
    dig = D.load_mnist(_mnist_dir(tmp_path / "std"))
    assert dig.images.shape == (10, 28, 28) and dig.n_train == 6 and dig.labels.dtype == np.int64
    pair = D.load_mnist(_mnist_dir(tmp_path / "pair", standard=False))
    assert pair.images.shape == (6, 28, 28) and pair.n_train is None
    with pytest.raises(ValueError, match="does not exist"):
        D.load_mnist(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="neither the four standard"):
        D.load_mnist(tmp_path / "empty")
    _idx(tmp_path / "pair" / "labels-idx1-ubyte", np.zeros(5, np.uint8), compress=False)
    with pytest.raises(ValueError, match="image/label pair"):
        D.load_mnist(tmp_path / "pair")


def test_standard_train_count_reads_the_header_only(tmp_path):
    from spikesim.datasets.mnist import standard_train_count

    std = _mnist_dir(tmp_path / "std", n_train=7)
    assert standard_train_count(std) == 7 == D.load_mnist(std).n_train
    assert standard_train_count(_mnist_dir(tmp_path / "pair", standard=False)) is None
    assert standard_train_count(tmp_path / "nothing") is None
    # the header decides: the body of the file is not read
    img = std / "train-images-idx3-ubyte.gz"
    head = gzip.decompress(img.read_bytes())[:16]
    img.write_bytes(gzip.compress(head[:4] + (60000).to_bytes(4, "big") + head[8:]))
    assert standard_train_count(std) == 60000
    img.write_bytes(gzip.compress(b"\x12\x34\x56\x78rest"))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz.*not an IDX file"):
        standard_train_count(std)


def test_download_verifies_checksums(tmp_path, monkeypatch):
    src = _mnist_dir(tmp_path / "mirror")
    sums = {n: hashlib.md5((src / n).read_bytes()).hexdigest() for n in mnist.MNIST_FILES}
    monkeypatch.setattr(mnist, "MNIST_FILES", sums)
    out = D.download_mnist(tmp_path / "dl", mirrors=(src.as_uri() + "/",))
    assert D.load_mnist(out).images.shape == (10, 28, 28)
    bad = dict(sums, **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    monkeypatch.setattr(mnist, "MNIST_FILES", bad)
    (out / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(OSError, match="MD5 mismatch"):
        D.download_mnist(out, mirrors=(src.as_uri() + "/",))
    assert not (out / "t10k-labels-idx1-ubyte.gz").exists()


def test_nalsm_rates_normalisation():
    x = np.array([[[0, 10], [30, 0]], [[5, 5], [5, 5]]], float)
    p, scale = D.nalsm_rates(x)
    assert scale == pytest.approx(0.75)
    np.testing.assert_allclose(p[0], [0, 0.25 / 0.75, 1.0, 0])
    np.testing.assert_allclose(p.sum(1), 1 / scale)  # the same input spikes per ms for every image
    p2, _ = D.nalsm_rates(x[1:], scale=scale)
    np.testing.assert_allclose(p2, p[1:])
    with pytest.raises(ValueError, match="blank"):
        D.nalsm_rates(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="scale"):
        D.nalsm_rates(x, scale=-1.0)


@pytest.mark.skipif(MNIST5K is None, reason="../shared/datasets/mnist5k not present")
def test_mnist5k_example_set():
    dig = D.load_mnist(MNIST5K)
    assert dig.images.shape == (5000, 28, 28) and dig.images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(dig.labels), [500] * 10)
    p, scale = D.nalsm_rates(dig.images)
    assert p.max() == 1.0 and 10 < 1 / scale < 60


# ------------------------------------------------------------------ FSDD
def _wav(path, x, rate=8000, width=2, channels=1):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        if width == 1:
            data = np.clip(x * 128 + 128, 0, 255).astype(np.uint8)
        else:
            data = np.clip(x * 2 ** (8 * width - 1), -2 ** (8 * width - 1), 2 ** (8 * width - 1) - 1)
            data = data.astype(f"<i{width}")
        w.writeframes(np.repeat(data, channels).tobytes() if channels > 1 else data.tobytes())


def _tone(f, dur=0.4, rate=8000):
    t = np.arange(int(dur * rate)) / rate
    env = np.clip(np.minimum(t, dur - t) / 0.02, 0, 1)
    return 0.5 * np.sin(2 * np.pi * f * t) * env


def test_read_wav_formats(tmp_path):
    x = _tone(440.0, 0.05)
    for width in (1, 2, 4):
        _wav(tmp_path / f"w{width}.wav", x, width=width)
        rate, y = D.read_wav(tmp_path / f"w{width}.wav")
        assert rate == 8000 and y.shape == x.shape
        assert np.abs(y - x).max() < (0.02 if width == 1 else 1e-4)
    _wav(tmp_path / "st.wav", x, channels=2)
    assert D.read_wav(tmp_path / "st.wav")[1].shape == x.shape
    (tmp_path / "bad.wav").write_bytes(b"RIFFnothing")
    with pytest.raises(ValueError, match="not a readable PCM WAV"):
        D.read_wav(tmp_path / "bad.wav")


def test_load_fsdd_and_stratified_split(tmp_path):
    rec = tmp_path / "recordings"
    rec.mkdir()
    for digit in range(3):
        for spk in ("anna", "bob"):
            for i in range(5):
                _wav(rec / f"{digit}_{spk}_{i}.wav", _tone(300 + 200 * digit, 0.2))
    (rec / "README.txt").write_text("ignored")
    r = D.load_fsdd(tmp_path)
    assert len(r.signals) == 30 and r.rate == 8000
    np.testing.assert_array_equal(np.bincount(r.labels), [10, 10, 10])
    assert set(r.speakers) == {"anna", "bob"} and r.names[0] == "0_anna_0.wav"
    tr, te = D.stratified_split(r.labels, 0.2, seed=1)
    assert len(te) == 6 and not set(tr) & set(te)
    np.testing.assert_array_equal(np.bincount(r.labels[te]), [2, 2, 2])
    with pytest.raises(ValueError, match="test_fraction"):
        D.stratified_split(r.labels, 1.5)
    with pytest.raises(ValueError, match="no FSDD recordings"):
        D.load_fsdd(_empty(tmp_path))


def _empty(tmp_path):
    d = tmp_path / "empty"
    d.mkdir(exist_ok=True)
    return d


def test_mel_front_end_puts_a_tone_in_its_channel():
    fb = fsdd.mel_filterbank(20, 256, 8000.0)
    assert fb.shape == (20, 129) and np.allclose(fb.max(1), 1.0, atol=0.2)
    peaks = fb.argmax(1)
    assert (np.diff(peaks) >= 0).all()
    lo = D.speech_rates(_tone(300.0), 8000, n_steps=100, n_mels=20, p_max=0.5)
    hi = D.speech_rates(_tone(2500.0), 8000, n_steps=100, n_mels=20, p_max=0.5)
    assert lo.shape == (100, 20) and 0 <= lo.min() and lo.max() <= 0.5
    assert lo.mean(0).argmax() < hi.mean(0).argmax()
    assert D.speech_rates(_tone(300.0), 8000, n_steps=50, n_mels=8, repeat=3).shape == (50, 24)
    with pytest.raises(ValueError, match="p_max"):
        D.speech_rates(_tone(300.0), 8000, p_max=2.0)


@pytest.mark.skipif(FSDD is None, reason="../shared/datasets/fsdd not present")
def test_fsdd_example_set():
    r = D.load_fsdd(FSDD)
    assert len(r.signals) == 3000 and r.rate == 8000
    np.testing.assert_array_equal(np.bincount(r.labels), [300] * 10)
    assert len(set(r.speakers)) == 6
    p = D.speech_rates(r.signals[0], r.rate)
    assert p.shape == (250, 32) and 0.45 < p.max() <= 0.5


# ------------------------------------------------------------------ N-MNIST
def test_nmnist_event_format_bits(tmp_path):
    # x=5, y=7, ON, t = 0x012345 us -> bytes 05 07 81 23 45
    nmnist.write_events(tmp_path / "one.bin", [5], [7], [1], [0x012345])
    assert (tmp_path / "one.bin").read_bytes() == bytes([5, 7, 0x81, 0x23, 0x45])
    ev = D.read_events(tmp_path / "one.bin")
    assert (ev.x[0], ev.y[0], ev.polarity[0], ev.t[0]) == (5, 7, 1, 0x012345)


def test_nmnist_roundtrip_raster_and_folders(tmp_path):
    rng = np.random.default_rng(3)
    n = 500
    x, y = rng.integers(0, 34, n), rng.integers(0, 34, n)
    p, t = rng.integers(0, 2, n), np.sort(rng.integers(0, 300_000, n))
    for split in ("Train", "Test"):
        for digit in (0, 1):
            (tmp_path / split / str(digit)).mkdir(parents=True)
            nmnist.write_events(tmp_path / split / str(digit) / "00001.bin", x, y, p, t)
    ev = D.read_events(tmp_path / "Train" / "1" / "00001.bin")
    for a, b in zip(ev, (x, y, p, t)):
        np.testing.assert_array_equal(a, b)
    r = D.event_raster(ev, 300, binary=False)
    assert r.shape == (300, 2, 34, 34) and r.sum() == n
    k = 17
    assert r[t[k] // 1000, p[k], y[k], x[k]] >= 1
    assert D.event_raster(ev, 100).sum() <= (t < 100_000).sum()
    assert D.event_raster(ev).shape[0] == t.max() // 1000 + 1
    paths, labels = D.list_nmnist(tmp_path, "Test")
    assert len(paths) == 2 and list(labels) == [0, 1]
    (tmp_path / "bad.bin").write_bytes(b"1234")
    with pytest.raises(ValueError, match="multiple of 5"):
        D.read_events(tmp_path / "bad.bin")
    with pytest.raises(ValueError, match="out of range"):
        nmnist.write_events(tmp_path / "x.bin", [1], [1], [2], [0])
    with pytest.raises(ValueError, match="does not exist"):
        D.list_nmnist(tmp_path, "Validation")
