"""gencore.models.linear_gaussian: the closed forms against Bayes' rule and each other."""

import pytest
import torch
from torch.distributions import MultivariateNormal, kl_divergence

from gencore.models.linear_gaussian import LinearGaussian, gaussian_joint

F64 = torch.float64


@pytest.fixture
def model():
    return LinearGaussian(data_dim=4, latent_dim=2, sigma=0.7, seed=3)


@torch.no_grad()
def test_posterior_params_are_the_textbook_formula(model):
    # p(z|x) = N(M⁻¹ Wᵀ (x − b), σ² M⁻¹), M = Wᵀ W + σ² I
    x = model.sample(3, seed=4)
    m = model.W.T @ model.W + model.sigma**2 * torch.eye(2, dtype=F64)
    post = model.posterior(x)
    assert torch.allclose(post.loc, (x - model.b) @ model.W @ torch.linalg.inv(m).T, atol=1e-10)
    assert torch.allclose(post.covariance_matrix, model.sigma**2 * torch.linalg.inv(m), atol=1e-12)


@torch.no_grad()
def test_bayes_rule_holds_for_every_z(model):
    # log p(x|z) + log p(z) − log p(z|x) = log p(x), whatever z is
    x = model.sample(5, seed=1)
    z = torch.randn(7, 5, 2, dtype=F64)
    lhs = model.likelihood(z).log_prob(x) + model.prior().log_prob(z) - model.posterior(x).log_prob(z)
    assert torch.allclose(lhs, model.marginal().log_prob(x).expand(7, 5), atol=1e-10)


@torch.no_grad()
def test_joint_has_the_stated_marginals_and_density(model):
    joint = model.joint()
    x, z = model.sample(3, seed=2), torch.randn(3, 2, dtype=F64)
    ref = model.likelihood(z).log_prob(x) + model.prior().log_prob(z)
    assert torch.allclose(joint.log_prob(torch.cat([x, z], 1)), ref, atol=1e-10)
    assert torch.allclose(joint.covariance_matrix[:4, :4], model.marginal().covariance_matrix)


@torch.no_grad()
def test_gaussian_joint_of_the_prior_and_likelihood_is_the_model_joint(model):
    # z ~ p(z), x | z ~ N(W z + b, σ² I): the joint over (z, x), reordered to (x, z)
    prior = MultivariateNormal(torch.zeros(2, dtype=F64), torch.eye(2, dtype=F64))
    zx = gaussian_joint(prior, model.W, model.b, model.sigma**2 * torch.eye(4, dtype=F64))
    perm = torch.tensor([2, 3, 4, 5, 0, 1])
    xz = MultivariateNormal(zx.loc[perm], zx.covariance_matrix[perm][:, perm])
    assert float(kl_divergence(xz, model.joint())) == pytest.approx(0.0, abs=1e-10)


@torch.no_grad()
def test_joint_kl_splits_into_marginal_kl_plus_expected_posterior_kl(model):
    # KL(p̃(x) q(z|x) ‖ p(x, z)) = KL(p̃ ‖ p(x)) + E_p̃ KL(q(z|x) ‖ p(z|x)); with q the exact
    # posterior the second term vanishes
    p_data = MultivariateNormal(torch.ones(4, dtype=F64), 0.5 * torch.eye(4, dtype=F64))
    exact = gaussian_joint(p_data, *model.posterior_params())
    assert float(kl_divergence(exact, model.joint())) == pytest.approx(
        float(kl_divergence(p_data, model.marginal())), abs=1e-9
    )


@torch.no_grad()
def test_importance_log_evidence_exact_with_the_posterior_and_biased_low_with_the_prior():
    from gencore.losses import importance_log_evidence

    lg = LinearGaussian(data_dim=3, latent_dim=1, sigma=0.8, seed=0)
    x = lg.sample(4, seed=1)
    exact = lg.marginal().log_prob(x)

    def loglik(z):
        return lg.likelihood(z).log_prob(x)

    torch.manual_seed(0)
    post = importance_log_evidence(loglik, lg.prior(), lg.posterior(x), 1)
    assert torch.allclose(post, exact, atol=1e-10)  # zero variance: p(x, z) / p(z|x) = p(x)
    naive = importance_log_evidence(loglik, lg.prior(), lg.prior().expand((4,)), 200_000)
    assert torch.allclose(naive, exact, atol=0.02)  # k = 1: the prior covers the posterior well
    few = torch.stack([importance_log_evidence(loglik, lg.prior(), lg.prior().expand((4,)), 3) for _ in range(2000)])
    assert (few.mean(0) < exact).all()  # Jensen: E[log mean w] ≤ log E[mean w] = log p(x)
    with pytest.raises(ValueError, match="n_samples"):
        importance_log_evidence(loglik, lg.prior(), lg.posterior(x), 0)
