"""gencore.kl_fit: Gaussian fits by forward/reverse KL, and the terms of the non-saturating loss at D*."""

import math

import numpy as np
import pytest

from gencore.kl_fit import fit_gaussian, gaussian, nonsaturating_terms, objective, two_mode_mixture

X = np.linspace(-15, 15, 3001)
DX = float(X[1] - X[0])


def test_mixture_is_a_density_with_the_right_moments():
    p = two_mode_mixture(X, separation=4.0, std=0.5)
    assert p.sum() * DX == pytest.approx(1.0, abs=1e-9)
    assert (X**2 * p).sum() * DX == pytest.approx(0.5**2 + 2.0**2, rel=1e-6)


@pytest.mark.parametrize("sep", [0.0, 3.0, 8.0])
def test_forward_kl_fit_matches_the_moments(sep):
    # argmin_q KL(p‖q) over Gaussians q: the mean and variance of p
    fit = fit_gaussian(X, two_mode_mixture(X, sep), "forward_kl")
    assert fit["mu"] == pytest.approx(0.0, abs=1e-3)
    assert fit["sigma"] == pytest.approx(math.sqrt(1 + (sep / 2) ** 2), rel=1e-3)


@pytest.mark.parametrize("name", ["reverse_kl", "nonsaturating"])
def test_mode_seeking_fits_lock_onto_one_mode(name):
    fit = fit_gaussian(X, two_mode_mixture(X, 8.0), name)
    assert abs(fit["mu"]) == pytest.approx(4.0, abs=0.02)
    assert fit["sigma"] == pytest.approx(1.0, abs=0.02)


def test_reverse_kl_of_one_far_mode_is_log_two():
    # q = one component of ½N(−4, 1) + ½N(4, 1): KL(q‖p) = log 2 − E_q[log(1 + q'/q)] ≈ log 2 − 1e-4
    p, q = two_mode_mixture(X, 8.0), gaussian(X, 4.0, 1.0)
    assert objective("reverse_kl", p, q, DX) == pytest.approx(math.log(2), abs=1e-3)


def test_unknown_objective():
    with pytest.raises(KeyError, match="unknown objective"):
        objective("hellinger", gaussian(X, 0, 1), gaussian(X, 0, 1), DX)


@pytest.mark.parametrize("mu,sigma", [(0.0, 1.0), (2.0, 0.5), (-5.0, 3.0)])
def test_nonsaturating_loss_decomposes_exactly(mu, sigma):
    p_r, p_g = two_mode_mixture(X, 6.0), gaussian(X, mu, sigma)
    p_g = p_g / (p_g.sum() * DX)  # the identity uses ∫ p_g = 1: make it exact on the grid
    t = nonsaturating_terms(p_r, p_g, DX)
    assert t["loss"] == pytest.approx(t["reverse_kl"] - 2 * t["js"] + 2 * math.log(2) + t["real_term"], abs=1e-9)
    assert t["real_term"] <= 0


def test_nonsaturating_gradient_equals_that_of_kl_minus_two_js():
    # Freeze D* at θ0 = (μ0, σ); d/dμ E_{p_θ}[−log D*_θ0] at θ0 equals d/dμ [KL(p_θ‖p_r) − 2 JS(p_r‖p_θ)] at θ0
    p_r, mu0, sigma, h = two_mode_mixture(X, 6.0), 1.3, 0.8, 1e-4
    log_d0 = np.log(p_r / (p_r + gaussian(X, mu0, sigma)))

    def frozen(mu):
        return float(-(gaussian(X, mu, sigma) * log_d0).sum() * DX)

    def kl_minus_2js(mu):
        return objective("nonsaturating", p_r, gaussian(X, mu, sigma), DX)

    g_frozen = (frozen(mu0 + h) - frozen(mu0 - h)) / (2 * h)
    g_div = (kl_minus_2js(mu0 + h) - kl_minus_2js(mu0 - h)) / (2 * h)
    assert g_frozen == pytest.approx(g_div, rel=1e-5)
