import gzip
import math
import struct

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from gencore import data


def test_mnist5k_split_is_fixed_stratified_and_in_range():
    train, held = data.load("mnist5k", split="train"), data.load("mnist5k", split="heldout")
    assert train.x.shape == (4000, 1, 28, 28) and held.x.shape == (1000, 1, 28, 28)
    assert train.x.min() >= -1 and train.x.max() <= 1 and train.x.min() == -1
    assert torch.equal(torch.bincount(held.y), torch.full((10,), 100))
    again = data.load("mnist5k", split="heldout")
    assert torch.equal(again.x, held.x)
    all_ = data.load("mnist5k", split="all")
    assert len(all_) == 5000
    # train and held-out do not share images
    flat_t = {tuple(v) for v in train.x.flatten(1)[:, ::7].numpy().round(3).tolist()[:500]}
    assert not any(tuple(v) in flat_t for v in held.x.flatten(1)[:, ::7].numpy().round(3).tolist())


def test_digits():
    d = data.load("digits", split="all")
    assert d.x.shape == (1797, 1, 8, 8) and d.x.min() == -1 and d.x.max() == 1


def test_unknown_names_list_the_known_ones():
    with pytest.raises(KeyError, match="known data sets: .*mnist5k"):
        data.load("cifar10")
    with pytest.raises(ValueError, match="unknown split"):
        data.load("mnist5k", split="test")
    with pytest.raises(KeyError, match="known toy data sets"):
        data.toy2d("ring9", 10)
    with pytest.raises(KeyError, match="swiss roll is a curve"):
        data.mixture("swissroll")


def test_toy_mixtures_have_the_stated_means_and_std():
    means, std = data.mixture("ring8")
    assert std == 0.01 and means.shape == (8, 2)
    assert torch.allclose(means.norm(dim=1), torch.ones(8))
    assert torch.allclose(means[1], torch.tensor([math.cos(math.pi / 4), math.sin(math.pi / 4)]))
    means, std = data.mixture("grid25")
    assert std == 0.05 and means.shape == (25, 2)
    assert set(means[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    d = data.load("grid25", n=20000, seed=1)
    resid = d.x - means[d.y]
    assert abs(resid.std().item() - 0.05) < 0.002


def test_toy2d_seed_repeats_and_shapes():
    a, b = data.toy2d("ring8", 100, seed=3), data.toy2d("ring8", 100, seed=3)
    assert a.shape == (100, 2) and torch.equal(a, b)
    assert data.toy2d("swissroll", 50, seed=0).shape == (50, 2)
    with pytest.raises(ValueError, match="positive integer"):
        data.toy2d("ring8", 0)


def test_idx_round_trip_and_mnist_idx_loader(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=12, dtype=np.uint8)
    data.write_idx(tmp_path / "train-images-idx3-ubyte", images)
    data.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)  # gzipped works too
    assert np.array_equal(data.read_idx(tmp_path / "train-images-idx3-ubyte"), images)
    d = data.load("mnist-idx", root=tmp_path, split="train")
    assert d.x.shape == (12, 1, 28, 28) and d.x.min() >= -1 and d.x.max() <= 1
    assert torch.equal(d.y, torch.as_tensor(labels, dtype=torch.int64))
    assert torch.allclose(d.x[0, 0], torch.as_tensor(images[0], dtype=torch.float32) / 127.5 - 1)


def test_idx_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        data.load("mnist-idx", root=tmp_path, split="test")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        data.load("mnist-idx", root=tmp_path / "nope")
    bad = tmp_path / "bad"
    bad.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(bad)
    data.write_idx(tmp_path / "short", np.zeros((3, 4), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.read_idx(tmp_path / "short")


def test_batches_are_endless_and_repeatable():
    d = data.load("digits")
    it1, it2 = d.batches(64, seed=5), d.batches(64, seed=5)
    for _ in range(len(d) // 64 + 3):  # crosses an epoch boundary
        x1, _ = next(it1)
        x2, _ = next(it2)
        assert x1.shape == (64, 1, 8, 8) and torch.equal(x1, x2)


# --- Data ---------------------------------------------------------------------


@pytest.mark.parametrize("name,kw,batch", [("ring8", {"n": 10}, 100), ("digits", {"split": "heldout"}, 512)])
def test_batches_larger_than_the_data_set_are_refused_not_looped(name, kw, batch):
    d = data.load(name, **kw)
    with pytest.raises(ValueError, match=rf"(?s)(?=.*'{name}')(?=.*\b{len(d)}\b)(?=.*\b{batch}\b)"):
        next(d.batches(batch))
    with pytest.raises(ValueError, match=f"{len(d)}"):
        d.loader(batch)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_batch_size_must_be_a_positive_integer(bad):
    d = data.load("ring8", n=20, seed=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        next(d.batches(bad))


def test_batches_up_to_the_data_set_size_still_work():
    d = data.load("ring8", n=10, seed=0)
    it = d.batches(10)
    assert [next(it)[0].shape for _ in range(3)] == [(10, 2)] * 3


def test_load_returns_data_that_cannot_corrupt_the_cache():
    held = data.load("digits", split="heldout").x.clone()
    for split in ("all", "train", "heldout"):
        data.load("digits", split=split).x.mul_(0)
    assert torch.equal(data.load("digits", split="heldout").x, held)
    x = data.load("digits", split="all").x
    assert x.abs().sum() > 0
    d = data.load("ring8", n=5, seed=0)
    d.info["means"].mul_(0)
    assert data.mixture("ring8")[0].abs().sum() > 0


def test_repr_of_empty_data():
    d = data.Data("empty", "all", torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64))
    assert "empty" in repr(d) and "(0, 2)" in repr(d)


def test_data_is_a_torch_dataset():
    d = data.load("ring8", n=12, seed=0)
    assert isinstance(d, Dataset)
    x, y = d[3]
    assert torch.equal(x, d.x[3]) and y == d.y[3]
    xb, yb = next(iter(DataLoader(d, batch_size=5, shuffle=False)))
    assert torch.equal(xb, d.x[:5]) and torch.equal(yb, d.y[:5])


def test_mnist5k_binary_is_registered_and_matches_the_threshold():
    b = data.load("mnist5k-binary", split="heldout")
    g = data.load("mnist5k", split="heldout")
    assert b.name == "mnist5k-binary" and b.split == "heldout" and len(b) == len(g) == 1000
    assert torch.equal(b.x, torch.where(g.x > 0, 1.0, -1.0)) and torch.equal(b.y, g.y)
    assert torch.equal(data.binarize(g.x), b.x)
    assert "mnist5k-binary" in data.names()


# --- IDX files ------------------------------------------------------------------


def _idx(code: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


class _Counting:
    """Wraps a binary file and counts the bytes read from it."""

    def __init__(self, f):
        self.f, self.n = f, 0

    def read(self, size=-1):
        out = self.f.read(size)
        self.n += len(out)
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def test_idx_bomb_is_rejected_after_the_declared_size(tmp_path, monkeypatch):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(_idx(0x08, (2, 28, 28), bytes(2 * 784)))
        for _ in range(40):  # 40 MB of zeros behind a header that declares 1,568 bytes
            f.write(bytes(1 << 20))
    assert path.stat().st_size < 200_000
    from gencore.data import idx

    opened = []
    real_open = gzip.open
    monkeypatch.setattr(idx.gzip, "open", lambda *a, **k: opened.append(_Counting(real_open(*a, **k))) or opened[-1])
    with pytest.raises(ValueError, match=f"(?s){path.name}.*more data than"):
        data.read_idx(path)
    assert opened[0].n <= 4 + 12 + 2 * 784 + 1


def test_idx_sizes_do_not_overflow(tmp_path):
    path = tmp_path / "huge"
    path.write_bytes(_idx(0x08, (65536, 65536, 65536, 65536), bytes(16)))
    with pytest.raises(ValueError, match=f"(?s){path.name}.*{65536**4}"):
        data.read_idx(path)
    with pytest.raises(ValueError, match=f"(?s){path.name}.*only 16 bytes"):
        data.read_idx(path, max_bytes=None)  # reads what is there, in pieces, and stops


def test_idx_short_header_and_corrupt_gzip_name_the_file(tmp_path):
    short = tmp_path / "short-header"
    short.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(ValueError, match=f"(?s){short.name}.*header"):
        data.read_idx(short)
    bad = tmp_path / "corrupt.gz"
    good = gzip.compress(_idx(0x08, (3,), bytes(3)))
    bad.write_bytes(good[:12] + bytes(len(good) - 12))
    with pytest.raises(ValueError, match=f"{bad.name}"):
        data.read_idx(bad)
    notgz = tmp_path / "plain.gz"
    notgz.write_bytes(b"plain text, not gzip")
    with pytest.raises(ValueError, match=f"{notgz.name}"):
        data.read_idx(notgz)
    unnamed = tmp_path / "train-labels-idx1-ubyte"  # gzipped but named without .gz
    unnamed.write_bytes(good)
    with pytest.raises(ValueError, match=r"(?s)train-labels.*suffix \.gz"):
        data.read_idx(unnamed)
    with pytest.raises(FileNotFoundError, match="missing"):
        data.read_idx(tmp_path / "missing")


def _write_mnist(root, images: bytes, labels: bytes):
    (root / "t10k-images-idx3-ubyte").write_bytes(images)
    (root / "t10k-labels-idx1-ubyte").write_bytes(labels)


def test_mnist_idx_requires_uint8_28x28_images_and_labels_0_to_9(tmp_path):
    ok_labels = _idx(0x08, (2,), bytes([3, 9]))
    ok_images = _idx(0x08, (2, 28, 28), bytes(2 * 784))
    _write_mnist(tmp_path, ok_images, ok_labels)
    assert len(data.load("mnist-idx", root=tmp_path, split="test")) == 2
    nan_images = _idx(0x0D, (2, 28, 28), np.full((2, 28, 28), np.nan, ">f4").tobytes())
    cases = {
        "uint8": (nan_images, ok_labels),
        "28": (_idx(0x08, (2, 32, 32), bytes(2 * 1024)), ok_labels),
        "0.*9": (ok_images, _idx(0x08, (2,), bytes([3, 200]))),
    }
    for message, (images, labels) in cases.items():
        _write_mnist(tmp_path, images, labels)
        with pytest.raises(ValueError, match=f"(?s)t10k.*{message}"):
            data.load("mnist-idx", root=tmp_path, split="test")


# --- more careless inputs, same kinds -------------------------------------------------


def test_load_names_the_keywords_a_data_set_takes():
    with pytest.raises(TypeError, match="(?s)'mnist5k'.*spilt.*split"):
        data.load("mnist5k", spilt="train")
    with pytest.raises(TypeError, match="(?s)'ring8'.*size.*n, seed"):
        data.load("ring8", size=10)


def test_batches_check_the_seed_at_the_call():
    d = data.load("ring8", n=20, seed=0)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        d.batches(4, seed=1.5)


def test_toy_data_refuses_a_bool_count():
    with pytest.raises(ValueError, match="positive integer"):
        data.load("ring8", n=True)
