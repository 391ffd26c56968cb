"""gencore.kl_fit: Gaussian fits by forward/reverse KL, and the terms of the non-saturating loss at D*."""

import math

import numpy as np
import pytest

from gencore.kl_fit import fit_gaussian, frozen_gradients, gaussian, nonsaturating_terms, objective, two_mode_mixture

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


def test_frozen_gradients_match_autograd_and_each_other():
    # Freeze D* at θ0 = (μ0, σ); d/dμ E_{p_θ}[−log D*_θ0] at θ0 equals d/dμ [KL(p_θ‖p_r) − 2 JS(p_r‖p_θ)] at θ0
    import torch

    p_r, mu0, sigma = two_mode_mixture(X, 6.0), 1.3, 0.8
    g = frozen_gradients(X, p_r, mu0, sigma)
    assert g["frozen"] == pytest.approx(g["divergence"], rel=1e-5)
    # independent reference: autograd of the same sums in float64
    x, pr = torch.as_tensor(X), torch.as_tensor(p_r)
    mu = torch.tensor(mu0, dtype=torch.float64, requires_grad=True)
    q = torch.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    log_d0 = torch.log(pr / (pr + q.detach()))
    (auto_frozen,) = torch.autograd.grad(-(q * log_d0).sum() * DX, mu, retain_graph=True)
    m = 0.5 * (pr + q)
    on = q > 0
    kl_q = (q[on] * (torch.log(q[on]) - torch.log(pr[on]))).sum() * DX
    js = 0.5 * ((pr * torch.log(pr / m)).sum() + (q[on] * torch.log(q[on] / m[on])).sum()) * DX
    (auto_div,) = torch.autograd.grad(kl_q - 2 * js, mu)
    assert g["frozen"] == pytest.approx(auto_frozen.item(), rel=1e-6)
    assert g["divergence"] == pytest.approx(auto_div.item(), rel=1e-5)
