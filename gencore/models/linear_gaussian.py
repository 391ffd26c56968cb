"""A latent-variable model whose evidence is closed form (probabilistic PCA).

p(z) = N(0, I_k),  p(x|z) = N(W z + b, σ² I_d)  ⇒  p(x) = N(b, W Wᵀ + σ² I_d),
p(z|x) = N(M⁻¹ Wᵀ (x − b), σ² M⁻¹) with M = Wᵀ W + σ² I_k.

``book/vae.ipynb`` uses it to check ELBO = log p(x) − KL(q ‖ p(z|x)) exactly.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.distributions import Independent, MultivariateNormal, Normal


class LinearGaussian(nn.Module):
    def __init__(self, data_dim: int, latent_dim: int, sigma: float = 0.5, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.W = nn.Parameter(torch.randn(data_dim, latent_dim, generator=g, dtype=torch.float64))
        self.b = nn.Parameter(torch.randn(data_dim, generator=g, dtype=torch.float64))
        self.log_sigma = nn.Parameter(torch.tensor(float(sigma), dtype=torch.float64).log())

    @property
    def sigma(self) -> torch.Tensor:
        return self.log_sigma.exp()

    def prior(self) -> Independent:
        k = self.W.shape[1]
        return Independent(Normal(torch.zeros(k, dtype=torch.float64), torch.ones(k, dtype=torch.float64)), 1)

    def likelihood(self, z: torch.Tensor) -> Independent:
        """p(x|z) for z of shape (..., k)."""
        return Independent(Normal(z @ self.W.T + self.b, self.sigma), 1)

    def marginal(self) -> MultivariateNormal:
        """p(x) = N(b, W Wᵀ + σ² I)."""
        d = self.W.shape[0]
        cov = self.W @ self.W.T + self.sigma**2 * torch.eye(d, dtype=torch.float64)
        return MultivariateNormal(self.b, covariance_matrix=cov)

    def posterior(self, x: torch.Tensor) -> MultivariateNormal:
        """p(z|x) for x of shape (..., d)."""
        k = self.W.shape[1]
        m = self.W.T @ self.W + self.sigma**2 * torch.eye(k, dtype=torch.float64)
        m_inv = torch.linalg.inv(m)
        mean = (x - self.b) @ self.W @ m_inv.T
        return MultivariateNormal(mean, covariance_matrix=self.sigma**2 * m_inv)

    def sample(self, n: int, *, seed: int | None = None) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = torch.randn(n, self.W.shape[1], generator=gen, dtype=torch.float64)
        eps = torch.randn(n, self.W.shape[0], generator=gen, dtype=torch.float64)
        with torch.no_grad():
            return z @ self.W.T + self.b + self.sigma * eps
