"""Helpers behind book/evaluation.ipynb: class-histogram KL, sample summaries, FID against n, path lengths."""

import math

import numpy as np
import pytest
import torch
from tiny_nets import PixelClassifier, TinyGenerator

from gencore import metrics


def test_kl_from_uniform_extremes_and_errors():
    assert metrics.kl_from_uniform(np.full(10, 0.1)) == pytest.approx(0.0, abs=1e-12)
    assert metrics.kl_from_uniform(np.eye(10)[3]) == pytest.approx(math.log(10))
    h = np.array([0.5, 0.5, 0.0, 0.0])  # two of four classes dropped: KL = log 2
    assert metrics.kl_from_uniform(h) == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="summing to 1"):
        metrics.kl_from_uniform([0.2, 0.2])


def test_sample_summary_is_independent_of_row_order():
    rng = np.random.default_rng(0)
    k = 4
    probs = np.eye(k)[np.repeat(np.arange(k), 50)]  # sorted by class, fully confident
    feats = rng.normal(size=(200, 3))
    ref = rng.normal(size=(300, 3))
    s = metrics.sample_summary(feats, probs, ref, splits=2)
    # Without the permutation, each half would hold two classes only and IS would be 2.
    assert s["is"] == pytest.approx(k, rel=0.02)
    assert metrics.inception_score(probs, splits=2)[0] == pytest.approx(2.0)
    assert s["fid"] == pytest.approx(metrics.frechet_distance(feats, ref))
    assert s["max_share"] == s["min_share"] == pytest.approx(0.25) and s["kl_uniform"] == pytest.approx(0.0)


def test_inception_score_is_the_entropy_difference():
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(5) * 0.3, size=400)
    pbar = p.mean(0)
    h_marginal = -(pbar * np.log(pbar)).sum()
    h_conditional = -(p * np.log(np.clip(p, 1e-300, None))).sum(1).mean()
    assert metrics.inception_score(p, splits=1)[0] == pytest.approx(math.exp(h_marginal - h_conditional), rel=1e-6)


def test_fid_versus_n_shapes_and_full_subset():
    rng = np.random.default_rng(2)
    a, ref = rng.normal(size=(120, 3)), rng.normal(size=(500, 3))
    out = metrics.fid_versus_n(a, ref, sizes=[30, 120], seeds=(0, 1))
    assert out.shape == (2, 2)
    assert out[1, 0] == out[1, 1] == metrics.frechet_distance(a, ref)  # n = N: the whole set, once
    assert out[0, 0] != out[0, 1]  # n < N: two different random subsets
    with pytest.raises(ValueError, match="sample size"):
        metrics.fid_versus_n(a, ref, sizes=[121])


def test_fid_infinity_recovers_a_line_in_one_over_n():
    sizes = np.array([100, 200, 400, 800])
    fids = 3.0 + 500.0 / sizes
    f_inf, k = metrics.fid_infinity(sizes, np.stack([fids, fids], 1))
    assert f_inf == pytest.approx(3.0) and k == pytest.approx(500.0)
    with pytest.raises(ValueError, match="two or more"):
        metrics.fid_infinity([100, 100], [1.0, 2.0])


def test_fid_bias_of_gaussian_samples_falls_like_one_over_n():
    # Same distribution on both sides: the true distance is 0, and the mean term alone
    # has expectation Tr Σ (1/n + 1/m) = d (1/n + 1/m) for Σ = I.
    rng = np.random.default_rng(3)
    d, m = 4, 20000
    ref = rng.normal(size=(m, d))
    pool = rng.normal(size=(20000, d))
    sizes = [50, 100, 200, 400]
    fids = metrics.fid_versus_n(pool, ref, sizes, seeds=range(20)).mean(1)
    assert np.all(np.diff(fids) < 0)
    f_inf, k = metrics.fid_infinity(sizes, fids)
    assert abs(f_inf) < 0.01 and k > d  # the trace term adds to the mean term's bias d/n


def test_path_lengths_average_to_perceptual_path_length():
    torch.manual_seed(0)
    g, clf = TinyGenerator().eval(), PixelClassifier()
    terms = metrics.path_lengths(g, g.latent_dim, clf, n=300, eps=1e-3, seed=5, batch_size=100)
    assert terms.shape == (300,) and np.all(terms >= 0)
    ppl = metrics.perceptual_path_length(g, clf, n=300, eps=1e-3, seed=5, batch_size=100)
    assert terms.mean() == pytest.approx(ppl, rel=1e-6)
