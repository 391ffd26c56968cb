import pytest
import torch
from torch.distributions import Normal, kl_divergence

from gencore import losses
from gencore.losses import elbo, gaussian_kl
from gencore.models import VAE


def test_shapes_ranges_and_distributions():
    torch.manual_seed(0)
    m = VAE(latent_dim=3, hidden=(32,))
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    q = m.encode(x)
    assert q.batch_shape == (5,) and q.event_shape == (3,)
    p = m.decode(q.rsample())
    assert p.batch_shape == (5,) and p.event_shape == (1, 28, 28)
    s = m.sample(4, seed=1)
    assert s.shape == (4, 1, 28, 28) and s.min() >= -1 and s.max() <= 1
    assert torch.equal(s, m.sample(4, seed=1))


def test_wrong_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"expects images of shape \(N, 1, 28, 28\)"):
        VAE().encode(torch.zeros(2, 784))
    with pytest.raises(ValueError, match="decoder must be"):
        VAE(decoder="laplace")


def test_gaussian_kl_matches_torch():
    mu, log_var = torch.randn(6, 4), torch.randn(6, 4)
    ref = kl_divergence(Normal(mu, (0.5 * log_var).exp()), Normal(0.0, 1.0)).sum(-1)
    assert torch.allclose(gaussian_kl(mu, log_var), ref, atol=1e-5)


@pytest.mark.parametrize("decoder", ["bernoulli", "gaussian"])
def test_elbo_terms_match_hand_computation(decoder):
    torch.manual_seed(0)
    m = VAE(latent_dim=2, hidden=(16,), decoder=decoder)
    x = torch.where(torch.rand(3, 1, 28, 28) > 0.5, 1.0, -1.0)
    torch.manual_seed(1)
    t = elbo(m, x, beta=2.0)
    torch.manual_seed(1)
    q = m.encode(x)
    z = q.mean + q.stddev * torch.randn(1, 3, 2)[0]
    logits_or_mean = m.decoder(z).view(3, 1, 28, 28)
    target = (x + 1) / 2
    if decoder == "bernoulli":
        recon = -torch.nn.functional.binary_cross_entropy_with_logits(logits_or_mean, target, reduction="none")
    else:
        recon = Normal(torch.sigmoid(logits_or_mean), m.config.obs_std).log_prob(target)
    recon = recon.flatten(1).sum(1)
    kl = gaussian_kl(q.mean, 2 * q.stddev.log())
    assert torch.allclose(t["recon"], recon, atol=1e-3)
    assert torch.allclose(t["kl"], kl, atol=1e-4)
    assert torch.allclose(t["loss"], -(recon - 2.0 * kl), atol=1e-3)


@pytest.mark.parametrize("n", [0, 2.5, True])
def test_sample_counts_of_the_elbo_and_the_importance_estimate(n):
    model = VAE(hidden=(8,))
    x = torch.zeros(2, 1, 28, 28)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        losses.elbo(model, x, n_samples=n)
    prior = model.prior().expand((2,))
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        losses.importance_log_evidence(lambda z: z.sum(-1), model.prior(), prior, n)
