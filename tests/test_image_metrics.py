import numpy as np
import pytest
import torch
from tiny_nets import PixelClassifier
from torch import nn

from gencore import latent, metrics


def _independent_fd(a: np.ndarray, b: np.ndarray) -> float:
    # Tr((Σa Σb)^{1/2}) = Σ sqrt(λ_i(Σa Σb)): the eigenvalues of a product of PSD matrices are real and ≥ 0.
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    lam = np.linalg.eigvals(sa @ sb).real.clip(min=0)
    d = a.mean(0) - b.mean(0)
    return float(d @ d + np.trace(sa) + np.trace(sb) - 2 * np.sqrt(lam).sum())


def test_frechet_distance_matches_an_independent_computation():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(loc=0.5, size=(300, 6)) @ rng.normal(size=(6, 6))
    assert metrics.frechet_distance(a, b) == pytest.approx(_independent_fd(a, b), rel=1e-6)
    assert metrics.frechet_distance(a, a) == pytest.approx(0, abs=1e-6)


def test_frechet_distance_mean_term_is_squared():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(500, 3))
    assert metrics.frechet_distance(a, a + 3.0) == pytest.approx(3 * 9.0, rel=1e-6)  # ‖(3,3,3)‖² = 27


def test_frechet_distance_errors(monkeypatch):
    with pytest.raises(ValueError, match="dimension"):
        metrics.frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        metrics.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))
    import scipy.linalg

    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda m: np.eye(len(m)) * (1 + 1j))
    with pytest.raises(ValueError, match="large imaginary part"):
        metrics.frechet_distance(np.random.rand(10, 2), np.random.rand(10, 2))


def test_inception_score_extremes():
    k = 10
    assert metrics.inception_score(np.full((100, k), 1 / k), splits=2)[0] == pytest.approx(1.0)
    confident = np.eye(k)[np.arange(1000) % k]
    assert metrics.inception_score(confident, splits=5)[0] == pytest.approx(k, rel=1e-6)
    with pytest.raises(ValueError, match="summing to 1"):
        metrics.inception_score(np.ones((4, 3)))


def test_class_histogram():
    probs = np.eye(3)[[0, 0, 1, 1]]
    assert np.allclose(metrics.class_histogram(probs), [0.5, 0.5, 0.0])


def test_slerp_endpoints_and_norm():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    assert torch.allclose(latent.slerp(a, b, 0.0), a, atol=1e-6)
    assert torch.allclose(latent.slerp(a, b, 1.0), b, atol=1e-6)
    mid = latent.slerp(a, b, 0.5)
    assert torch.allclose(mid.norm(), torch.tensor(1.0)) and torch.allclose(mid[0, 0], mid[0, 1])


class _Linear(nn.Module):
    def __init__(self, scale: float):
        super().__init__()
        self.latent_dim = 4
        self.w = nn.Parameter(torch.eye(4) * scale)

    def forward(self, z):
        return (z @ self.w).view(-1, 1, 2, 2)


def test_ppl_is_zero_for_a_constant_generator_and_scales_quadratically():
    clf = PixelClassifier()
    zero = _Linear(0.0)
    assert metrics.perceptual_path_length(zero, clf, n=50, eps=1e-3) == pytest.approx(0.0, abs=1e-9)
    one = metrics.perceptual_path_length(_Linear(1.0), clf, n=200, eps=1e-3, seed=3)
    two = metrics.perceptual_path_length(_Linear(2.0), clf, n=200, eps=1e-3, seed=3)
    assert one > 0 and two == pytest.approx(4 * one, rel=1e-3)
