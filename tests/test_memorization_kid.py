"""KID (metrics.kernel_distance) against a direct double loop, its unbiasedness, and the copy measures."""

import itertools

import numpy as np
import pytest
import torch

from gencore import metrics


def _kid_by_loops(a, b):
    d = a.shape[1]
    k = lambda x, y: (x @ y / d + 1) ** 3  # noqa: E731
    n, m = len(a), len(b)
    aa = sum(k(a[i], a[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    bb = sum(k(b[i], b[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    ab = sum(k(x, y) for x in a for y in b) / (n * m)
    return aa + bb - 2 * ab


def test_kernel_distance_matches_the_definition():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 3)), rng.normal(0.5, 1.2, size=(5, 3))
    assert metrics.kernel_distance(a, b) == pytest.approx(_kid_by_loops(a, b), rel=1e-10)


def test_kernel_distance_does_not_depend_on_the_sample_size_where_fid_does():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(2000, 4))
    kid, fd = {}, {}
    for n in (20, 200):
        runs = [metrics.kernel_distance(rng.normal(size=(n, 4)), ref) for _ in range(200)]
        kid[n] = (np.mean(runs), np.std(runs) / np.sqrt(len(runs)))
        fd[n] = np.mean([metrics.frechet_distance(rng.normal(size=(n, 4)), ref) for _ in range(50)])
    # against a fixed reference the mean KID is the same at every n (within 3 standard errors) ...
    assert abs(kid[20][0] - kid[200][0]) < 3 * np.hypot(kid[20][1], kid[200][1])
    # ... while FID's bias, of order d / n, shrinks tenfold
    assert fd[20] > 5 * fd[200]
    assert metrics.kernel_distance(rng.normal(1.0, 1.0, size=(200, 4)), ref) > 1.0


def test_copy_shares_tells_a_copier_from_new_points():
    g = torch.Generator().manual_seed(0)
    train = torch.randn(500, 2, generator=g)
    new = torch.randn(500, 2, generator=g)
    unit = metrics.nearest_neighbour_spacing(train)
    copier = metrics.copy_shares(train[:300], train, unit)
    fresh = metrics.copy_shares(new, train, unit)
    assert copier["copies_exact"] == 1 and copier["copy_distance_median"] == 0
    assert fresh["copies_exact"] == 0 and fresh["copy_distance_median"] > 0.3
    near = metrics.copy_shares(train[:300] + 1e-3 * unit, train, unit)
    assert near["copies_exact"] == 0 and near["copies_near"] == 1


def test_copy_measures_refuse_bad_input():
    x = torch.zeros(3, 2)
    with pytest.raises(ValueError, match="unit"):
        metrics.copy_shares(x, x, 0.0)
    with pytest.raises(ValueError, match="dimension"):
        metrics.nearest_training_distances(torch.zeros(3, 3), x)
    with pytest.raises(ValueError, match="two"):
        metrics.nearest_neighbour_spacing(torch.zeros(1, 2))


def test_copy_shares_takes_any_real_unit_but_not_a_bool():
    x = torch.randn(20, 2, generator=torch.Generator().manual_seed(2))
    a = metrics.copy_shares(x, x, np.float32(0.5))
    assert a == metrics.copy_shares(x, x, torch.tensor(0.5)) == metrics.copy_shares(x, x, 0.5)
    assert metrics.copy_shares(x, x, np.int64(1))["copies_exact"] == 1
    with pytest.raises(ValueError, match="unit"):
        metrics.copy_shares(x, x, True)
