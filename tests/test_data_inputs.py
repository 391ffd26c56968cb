"""Data sets and file readers: disjoint splits for every seed, bad indices refused, no reads of odd files."""

import json
import os

import pytest
import torch

from gencore import checkpoint, data, pretrained
from gencore.data import printed_digits, shapes


@pytest.mark.parametrize("seed", [0, 5, shapes.HELDOUT_SEED_OFFSET, shapes.SEED_LIMIT - 1])
def test_shapes_train_split_of_any_seed_is_never_a_held_out_split(seed):
    # torch's generator reads the low 32 bits of a seed: compare those
    train = shapes.split_seed(seed, "train") % 2**32
    low, high = shapes.split_seed(0, "heldout"), shapes.split_seed(shapes.SEED_LIMIT - 1, "heldout")
    assert not low <= train <= high and high < 2**32
    a = data.load("shapes", n=8, seed=shapes.HELDOUT_SEED_OFFSET + seed % 3)
    b = data.load("shapes", n=8, seed=seed % 3, split="heldout")
    assert not torch.equal(a.x, b.x)
    with pytest.raises(ValueError, match="seed must be an integer from 0"):
        data.load("shapes", n=4, seed=shapes.SEED_LIMIT)


def test_shapes_small_seeds_draw_what_they_always_drew():
    assert shapes.split_seed(0, "train") == 0 and shapes.split_seed(3, "heldout") == 3 + shapes.HELDOUT_SEED_OFFSET
    with pytest.raises(ValueError, match="seed must be"):
        data.load("shapes", n=4, seed=-1)


def test_bad_shape_and_digit_indices_are_refused():
    factors = shapes.sample_factors(2, seed=0)[1]
    with pytest.raises(ValueError, match=r"shape indices must lie in 0\.\.2"):
        shapes.render(torch.tensor([0, 7]), factors)
    with pytest.raises(ValueError, match=r"digits must lie in 0\.\.9"):
        printed_digits.render(torch.tensor([3, -1]), torch.Generator().manual_seed(0))


def test_printed_digits_n_zero_is_refused():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        data.load("printed-digits", n=0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_read_idx_refuses_a_named_pipe(tmp_path):
    pipe = tmp_path / "images.idx"
    os.mkfifo(pipe)
    with pytest.raises(ValueError, match="not a regular file"):
        data.read_idx(pipe)


def _edit(weights_copy, change):
    m = json.loads((weights_copy / "manifest.json").read_text())
    change(m["mnist-classifier"]["parts"]["classifier"])
    (weights_copy / "manifest.json").write_text(json.dumps(m))


def test_a_huge_weights_file_is_refused_before_it_is_hashed(weights_copy, monkeypatch):
    path = weights_copy / "mnist-classifier.classifier.safetensors"
    with open(path, "r+b") as f:
        f.truncate(50 * 2**30)  # sparse: 50 GiB that take no disk
    monkeypatch.setattr(checkpoint, "sha256", lambda p: pytest.fail("hashed before the size check"))
    with pytest.raises(ValueError, match="model's tensors take"):
        pretrained.load("mnist-classifier")


def test_a_manifest_file_outside_the_weights_folder_is_refused(weights_copy, tmp_path):
    (tmp_path / "elsewhere.safetensors").write_bytes(
        (weights_copy / "mnist-classifier.classifier.safetensors").read_bytes()
    )
    _edit(weights_copy, lambda p: p.update(file="../elsewhere.safetensors"))
    with pytest.raises(ValueError, match="not in"):
        pretrained.load("mnist-classifier")


def test_tensors_sha256_is_checked_on_load(weights_copy):
    assert pretrained.load("mnist-classifier", device="cpu") is not None
    _edit(weights_copy, lambda p: p.update(tensors_sha256="0" * 64))
    with pytest.raises(ValueError, match="tensors_sha256"):
        pretrained.load("mnist-classifier")


def test_shapes_refuse_more_images_than_memory_holds():
    with pytest.raises(ValueError, match="at most 200,000"):
        data.load("shapes", n=10**12)


def test_an_empty_image_grid_is_refused():
    from gencore import viz

    with pytest.raises(ValueError, match="non-empty batch"):
        viz.grid_array(torch.zeros(0, 1, 4, 4))
