"""Losses as pure functions. Each docstring names the book's equation it computes.

ELBO terms (``book/vae.ipynb``):

    ELBO(x) = E_{q_φ(z|x)}[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z))     (elbo)
    KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_k (μ_k² + σ_k² − log σ_k² − 1)   (kl-gauss)
"""

from __future__ import annotations

import torch
from torch.distributions import kl_divergence


def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Eq. (kl-gauss): KL(N(μ, diag σ²) ‖ N(0, I)) per row, shape (N,)."""
    return 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum(dim=-1)


def elbo(model, x: torch.Tensor, *, beta: float = 1.0, n_samples: int = 1) -> dict[str, torch.Tensor]:
    """Eq. (elbo) for a VAE-like ``model`` (``encode``, ``decode``, ``prior``, ``to_unit``).

    ``x``: (N, C, H, W) in [-1, 1]. Returns per-example tensors of shape (N,):
    ``recon`` = E_q[log p(x|z)] (``n_samples`` reparameterized draws),
    ``kl`` = KL(q(z|x) ‖ p(z)) (analytic), ``elbo`` = recon − kl, and
    ``loss`` = −(recon − beta · kl), the β-VAE objective to minimize.
    """
    q = model.encode(x)
    target = model.to_unit(x)
    z = q.rsample((n_samples,))  # reparameterization: z = μ + σ ⊙ ε
    recon = torch.stack([model.decode(zs).log_prob(target) for zs in z]).mean(0)
    kl = kl_divergence(q, model.prior())
    return {"recon": recon, "kl": kl, "elbo": recon - kl, "loss": -(recon - beta * kl)}
