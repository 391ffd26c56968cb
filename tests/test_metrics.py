"""gencore.metrics: mode coverage on hand-made cases, exact W against scipy and a known shift."""

import math

import numpy as np
import pytest
import scipy.stats
import torch

from gencore.data import mixture, toy2d
from gencore.metrics import mode_coverage, wasserstein


def test_all_samples_on_one_mode():
    means, std = mixture("ring8")
    samples = means[3] + 0.1 * std * torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    m = mode_coverage(samples, means, std)
    assert m["modes"] == 1
    assert m["hq"] == 1.0
    assert m["reverse_kl"] == pytest.approx(math.log(8), abs=1e-12)


def test_exactly_uniform_over_modes_gives_zero_kl():
    means, std = mixture("grid25")
    samples = means.repeat(4, 1)  # every mode 4 times, exactly on its mean
    m = mode_coverage(samples, means, std)
    assert m == {"modes": 25, "hq": 1.0, "reverse_kl": pytest.approx(0.0, abs=1e-12), "spread": 0.0}


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_true_samples_cover_every_mode(name):
    means, std = mixture(name)
    m = mode_coverage(toy2d(name, 2500, seed=0), means, std)
    assert m["modes"] == len(means)
    # P(‖x − μ‖ ≤ 3σ) for a 2-D Gaussian is 1 − exp(−9/2) ≈ 0.989
    assert m["hq"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    assert m["reverse_kl"] < 0.01  # sampling noise of a 25-bin histogram of ~2,500 points
    # the median of ~2,470 distances has a relative standard error of about 1.6 %
    assert m["spread"] == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_spread_measures_the_width_of_the_modes(scale):
    means, std = mixture("grid25")
    gen = torch.Generator().manual_seed(1)
    samples = means[torch.arange(5000) % 25] + scale * std * torch.randn(5000, 2, generator=gen)
    m = mode_coverage(samples, means, std)
    # among the hq samples (distance ≤ 3σ), the median distance is σ·scale·median(χ_2 | χ_2 ≤ 3/scale)
    chi = scipy.stats.chi(2)
    expected = scale * chi.ppf(chi.cdf(3 / scale) / 2) / chi.ppf(chi.cdf(3) / 2)
    assert m["spread"] == pytest.approx(expected, rel=0.04)
    assert (m["spread"] < 0.6) if scale < 1 else (m["spread"] > 1.2)


def test_far_points_are_not_high_quality():
    means, std = mixture("ring8")
    samples = torch.full((100, 2), 10.0)
    m = mode_coverage(samples, means, std)
    assert m["modes"] == 0 and m["hq"] == 0.0 and m["reverse_kl"] == math.inf and math.isnan(m["spread"])


def test_half_on_one_mode_half_far():
    means, std = mixture("grid25")
    samples = torch.cat([means[:1].repeat(50, 1), torch.full((50, 2), 1.0)])  # (1, 1) is between modes
    m = mode_coverage(samples, means, std)
    assert m["modes"] == 1 and m["hq"] == 0.5 and m["reverse_kl"] == pytest.approx(math.log(25))


def test_two_modes_with_known_kl():
    means, std = mixture("ring8")
    samples = torch.cat([means[:1].repeat(30, 1), means[1:2].repeat(10, 1)])
    p = np.array([0.75, 0.25])
    assert mode_coverage(samples, means, std)["reverse_kl"] == pytest.approx(float((p * np.log(8 * p)).sum()))


def test_mode_coverage_rejects_bad_shapes():
    means, std = mixture("ring8")
    with pytest.raises(ValueError, match="dimension"):
        mode_coverage(torch.zeros(10, 3), means, std)
    with pytest.raises(ValueError, match="samples"):
        mode_coverage(torch.zeros(2, 2, 2), means, std)
    with pytest.raises(ValueError, match="non-empty"):
        mode_coverage(torch.zeros(0, 2), means, std)
    with pytest.raises(ValueError, match="std"):
        mode_coverage(torch.zeros(10, 2), means, 0.0)
    with pytest.raises(ValueError, match="NaN"):
        mode_coverage(torch.full((3, 2), float("nan")), means, std)


def test_wasserstein_1d_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 300), rng.exponential(1.0, 200)
    assert wasserstein(a, b, p=1) == pytest.approx(scipy.stats.wasserstein_distance(a, b), rel=1e-9)
    # W2 in 1-D: sorted samples pair up (equal sizes)
    c, d = rng.normal(0, 1, 200), rng.normal(0.5, 2, 200)
    w2 = math.sqrt(np.mean((np.sort(c) - np.sort(d)) ** 2))
    assert wasserstein(c, d, p=2) == pytest.approx(w2, rel=1e-9)


@pytest.mark.parametrize("p", [1, 2])
def test_wasserstein_of_a_shift_is_its_length(p):
    x = toy2d("grid25", 400, seed=1).double()
    shift = torch.tensor([0.3, -0.4], dtype=torch.float64)  # length 0.5: W_p of a translation is its length
    assert wasserstein(x, x + shift, p=p) == pytest.approx(0.5, abs=1e-9)
    assert wasserstein(x, x, p=p) == pytest.approx(0.0, abs=1e-12)


def test_wasserstein_rejects_bad_input():
    with pytest.raises(ValueError, match="p must be"):
        wasserstein(np.zeros((3, 2)), np.zeros((3, 2)), p=3)
    with pytest.raises(ValueError, match="dimension"):
        wasserstein(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="non-empty"):
        wasserstein(np.zeros((0, 2)), np.zeros((3, 2)))


def test_laplacian_sharpness_known_values_and_blur():
    from gencore.metrics import laplacian_sharpness

    checker = ((torch.arange(8)[:, None] + torch.arange(8)[None]) % 2).float() * 2 - 1
    assert laplacian_sharpness(checker.view(1, 1, 8, 8)).item() == pytest.approx(4.0)
    assert torch.equal(laplacian_sharpness(torch.full((3, 1, 6, 6), 0.3)), torch.zeros(3))
    # a linear ramp has zero Laplacian; blurring a sharp image lowers the score
    ramp = torch.linspace(-1, 1, 10).expand(10, 10).reshape(1, 1, 10, 10)
    assert laplacian_sharpness(ramp).item() == pytest.approx(0.0, abs=1e-6)
    img = torch.where(torch.rand(4, 1, 16, 16, generator=torch.Generator().manual_seed(0)) > 0.5, 1.0, -1.0)
    blurred = torch.nn.functional.avg_pool2d(img, 3, stride=1, padding=1, count_include_pad=False)
    assert (laplacian_sharpness(blurred) < laplacian_sharpness(img)).all()
    with pytest.raises(ValueError, match="expected images of shape"):
        laplacian_sharpness(torch.zeros(8, 8))
