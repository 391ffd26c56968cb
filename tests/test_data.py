import math

import numpy as np
import pytest
import torch

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
