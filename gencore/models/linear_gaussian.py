"""A latent-variable model whose evidence is closed form (probabilistic PCA).

p(z) = N(0, I_k),  p(x|z) = N(W z + b, σ² I_d)  ⇒  p(x) = N(b, W Wᵀ + σ² I_d),
p(z|x) = N(M⁻¹ Wᵀ (x − b), σ² M⁻¹) with M = Wᵀ W + σ² I_k.

``book/vae.ipynb`` uses it to check ELBO = log p(x) − KL(q ‖ p(z|x)) exactly,
and, with :func:`gaussian_joint`, the joint-KL route to the ELBO (Eq. (vae-joint-kl)):
KL(p̃(x) q(z|x) ‖ p(z) p(x|z)) = KL(p̃ ‖ p(x)) + E_p̃[KL(q(z|x) ‖ p(z|x))].
``book/generative_models.ipynb`` uses it to show the naive Monte Carlo
estimate of log p(x) = log E_{p(z)}[p(x|z)] failing as k grows.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.distributions import Independent, MultivariateNormal, Normal

from gencore.models.sampling import sample_in_chunks


class LinearGaussian(nn.Module):
    def __init__(self, data_dim: int, latent_dim: int, sigma: float = 0.5, seed: int = 0):
        super().__init__()
        if not 0 < sigma < float("inf"):  # NaN fails too
            raise ValueError(f"sigma (the observation noise σ) must be positive and finite, got {sigma!r}")
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

    def posterior_params(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The exact posterior as a linear-Gaussian encoder: p(z|x) = N(A x + c, S).

        A = M⁻¹ Wᵀ (k, d), c = −A b (k,), S = σ² M⁻¹ (k, k), with M = Wᵀ W + σ² I_k.
        """
        k = self.W.shape[1]
        m = self.W.T @ self.W + self.sigma**2 * torch.eye(k, dtype=torch.float64)
        a = torch.linalg.solve(m, self.W.T)
        return a, -a @ self.b, self.sigma**2 * torch.linalg.inv(m)

    def posterior(self, x: torch.Tensor) -> MultivariateNormal:
        """p(z|x) for x of shape (..., d)."""
        a, c, s = self.posterior_params()
        return MultivariateNormal(x @ a.T + c, covariance_matrix=s)

    def joint(self) -> MultivariateNormal:
        """p(x, z) over the stacked vector (x, z) of length d + k.

        Mean (b, 0); covariance [[W Wᵀ + σ² I, W], [Wᵀ, I]].
        """
        k = self.W.shape[1]
        eye_k = torch.eye(k, dtype=torch.float64)
        cov = torch.cat([torch.cat([self.marginal().covariance_matrix, self.W], 1), torch.cat([self.W.T, eye_k], 1)], 0)
        mean = torch.cat([self.b, torch.zeros(k, dtype=torch.float64)])
        return MultivariateNormal(mean, covariance_matrix=cov)

    def sample(self, n: int, *, seed: int | None = None) -> torch.Tensor:
        """``n`` draws x = W z + b + σ ε (n, d) in float64, without gradients.

        ``n`` must be a non-negative integer; more than
        :data:`gencore.models.sampling.CHUNK` draws are made in chunks (see
        :mod:`gencore.models.sampling`).
        """
        d, k = self.W.shape

        def draw(m: int, gen: torch.Generator | None) -> torch.Tensor:
            z = torch.randn(m, k, generator=gen, dtype=torch.float64).to(self.W.device)
            eps = torch.randn(m, d, generator=gen, dtype=torch.float64).to(self.W.device)
            return z @ self.W.T + self.b + self.sigma * eps

        return sample_in_chunks(draw, n, (d,), seed=seed, device=self.W.device, dtype=torch.float64)


def gaussian_joint(px: MultivariateNormal, A: torch.Tensor, c: torch.Tensor, S: torch.Tensor) -> MultivariateNormal:
    """The joint of x ~ ``px`` = N(m, P) and y | x ~ N(A x + c, S), over the stacked vector (x, y).

    Shapes: ``m`` (d,), ``P`` (d, d), ``A`` (k, d), ``c`` (k,), ``S`` (k, k).
    Mean (m, A m + c); covariance [[P, P Aᵀ], [A P, A P Aᵀ + S]]. With ``px`` a
    data distribution p̃(x) and (A, c, S) a linear-Gaussian encoder q(z|x), this
    is the "data side" p̃(x) q(z|x) of the joint KL in ``book/vae.ipynb``.
    """
    m, P = px.loc, px.covariance_matrix
    mean = torch.cat([m, A @ m + c])
    cov = torch.cat([torch.cat([P, P @ A.T], 1), torch.cat([A @ P, A @ P @ A.T + S], 1)], 0)
    return MultivariateNormal(mean, covariance_matrix=cov)
