"""Small MLPs for the 2-D toy chapters (optimal discriminator ... reverse KL)."""

from __future__ import annotations

import torch
from torch import nn


def _mlp(sizes: list[int], act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), act()]
    return nn.Sequential(*layers[:-1])


class MLPGenerator(nn.Module):
    """G: z ~ N(0, I_latent) -> x in R^out_dim."""

    def __init__(self, latent_dim: int = 2, hidden: int = 128, depth: int = 3, out_dim: int = 2):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = _mlp([latent_dim, *[hidden] * depth, out_dim])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def sample(self, n: int, *, seed: int | None = None) -> torch.Tensor:
        """``n`` samples (n, out_dim)."""
        dev = next(self.parameters()).device
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        with torch.no_grad():
            return self(torch.randn(n, self.latent_dim, generator=gen).to(dev))


class MLPDiscriminator(nn.Module):
    """D (or a WGAN critic): x in R^in_dim -> one logit/score per example, shape (N,).

    ``pack`` > 1 is PacGAN (Lin et al., 2018): the discriminator judges ``pack``
    samples at once, concatenated, so it can see the lack of diversity of a
    collapsed generator. Returns (N / pack,) scores; N must be divisible by pack.
    """

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3, pack: int = 1):
        super().__init__()
        self.in_dim, self.pack = in_dim, pack
        self.net = _mlp([in_dim * pack, *[hidden] * depth, 1], act=lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected points of shape (N, {self.in_dim}), got {tuple(x.shape)}")
        if x.shape[0] % self.pack:
            raise ValueError(f"batch size {x.shape[0]} is not divisible by pack={self.pack}")
        return self.net(x.reshape(-1, self.in_dim * self.pack)).squeeze(-1)
