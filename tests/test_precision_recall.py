"""gencore.metrics.manifolds: improved precision and recall (Kynkäänniemi et al., 2019), known answers."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from tiny_nets import PixelClassifier

from gencore import data, metrics, pretrained


def _brute_force(real, fake, k):
    """Eq. (ev-pr) straight from its definition, with scipy's distances (no blocks, no Gram trick)."""
    r_radii = np.sort(cdist(real, real), axis=1)[:, k]
    f_radii = np.sort(cdist(fake, fake), axis=1)[:, k]
    precision = (cdist(fake, real) <= r_radii[None]).any(1).mean()
    recall = (cdist(real, fake) <= f_radii[None]).any(1).mean()
    return precision, recall


@pytest.mark.parametrize("k", [1, 3, 5])
def test_matches_the_definition_computed_by_brute_force(k):
    rng = np.random.default_rng(k)
    real, fake = rng.normal(size=(300, 8)), rng.normal(0.3, 1.2, size=(250, 8))
    got = metrics.precision_recall(real, fake, k=k, chunk=64)  # blocks smaller than the sets
    assert got == pytest.approx(_brute_force(real, fake, k), abs=1e-12)
    assert metrics.knn_radii(real, k, chunk=7) == pytest.approx(np.sort(cdist(real, real), axis=1)[:, k])


def test_identical_sets_give_one_and_one():
    x = np.random.default_rng(0).normal(size=(500, 16))
    assert metrics.precision_recall(x, x) == (1.0, 1.0)


def test_a_disjoint_cluster_has_precision_and_recall_zero():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(400, 4)), rng.normal(size=(300, 4)) + 50.0
    assert metrics.precision_recall(real, fake) == (0.0, 0.0)


def test_a_copier_of_ten_points_has_full_precision_and_almost_no_recall():
    real = np.random.default_rng(2).normal(size=(2000, 16))
    fake = np.repeat(real[:10], 200, axis=0)  # ten real points, each 200 times
    precision, recall = metrics.precision_recall(real, fake)
    # the copies' balls have radius 0: only the ten copied points themselves can be covered
    assert precision == 1.0 and recall <= 10 / len(real)


def test_the_same_distribution_scores_alike_and_a_narrower_one_loses_recall():
    rng = np.random.default_rng(3)
    real, other = rng.normal(size=(1000, 6)), rng.normal(size=(1000, 6))
    same = metrics.precision_recall(real, other)
    narrow = metrics.precision_recall(real, 0.5 * rng.normal(size=(1000, 6)))
    assert 0.7 < same.precision < 1 and 0.7 < same.recall < 1
    assert abs(same.precision - same.recall) < 0.05  # the two directions are symmetric in law
    assert narrow.precision > same.precision and narrow.recall < 0.5 * same.recall


def test_held_out_digits_score_like_training_digits():
    """Real held-out digits against 3,000 training digits score within 0.05 of 1,000 other
    training digits (the real-vs-real value; over split seeds 0-2 the gap was at most 0.026)."""
    clf = pretrained.load("mnist-classifier", device="cpu")
    train = metrics.classifier_outputs(clf, data.load("mnist5k", split="train").x)[0]
    held = metrics.classifier_outputs(clf, data.load("mnist5k", split="heldout").x)[0]
    order = np.random.default_rng(0).permutation(len(train))
    reference, other_real = train[order[1000:]], train[order[:1000]]
    real_vs_real = metrics.precision_recall(reference, other_real)
    held_out = metrics.precision_recall(reference, held)
    assert 0.8 < min(real_vs_real) and max(real_vs_real) < 0.97
    assert np.abs(np.subtract(held_out, real_vs_real)).max() < 0.05


def test_images_level_call_uses_the_classifier_features():
    images = torch.rand(60, 1, 2, 2) * 2 - 1
    reference = (torch.rand(80, 1, 2, 2) * 2 - 1).flatten(1).numpy()
    got = metrics.image_precision_recall(images, reference, PixelClassifier(), k=3, batch_size=7)
    assert got == metrics.precision_recall(reference, images.flatten(1).numpy(), k=3)
    assert got.precision == got[0] and isinstance(got.recall, float)


def test_errors():
    x = np.zeros((5, 3))
    with pytest.raises(ValueError, match="k must be"):
        metrics.precision_recall(x, x, k=5)
    with pytest.raises(ValueError, match="k must be"):
        metrics.precision_recall(x, x, k=0)
    with pytest.raises(ValueError, match="dimension"):
        metrics.precision_recall(x, np.zeros((5, 4)))
    with pytest.raises(ValueError, match="one radius per"):
        metrics.manifold_membership(x, x, np.ones(4))
