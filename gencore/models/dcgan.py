"""DCGAN for 28×28 images (Radford et al., 2016), used in ``book/dcgan.ipynb`` and ``book/wgan_gp.ipynb``.

The DCGAN rules, as applied here:
- no pooling: the discriminator downsamples with strided convolutions, the
  generator upsamples with fractionally-strided (transposed) convolutions;
- batch norm in the generator and the discriminator (not on the generator's
  output layer nor the discriminator's input layer);
- no hidden fully connected layers beyond the projection of z and the final score;
- ReLU in the generator (tanh on the output, images in [-1, 1]);
  LeakyReLU(0.2) in the discriminator;
- weights initialised from N(0, 0.02²) (standard deviation 0.02; seed 003 says
  "variance", which is wrong), batch-norm scales from N(1, 0.02²).

:class:`Critic` is the WGAN-GP variant: no batch norm (the gradient penalty is
per example, and batch norm couples the examples of a batch), optionally
layer norm, or spectral normalisation of every layer
(``torch.nn.utils.parametrizations.spectral_norm``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gencore.models.sampling import check_count, sample_in_chunks


@dataclass
class DCGANConfig:
    latent_dim: int = 64
    width: int = 64  # channels of the widest hidden layer
    channels: int = 1
    # extra 3×3, stride-1 convolutions at 7×7 (the same number of channels in and out):
    g_blocks: int = 0  # in the generator, before the first upsampling (conv, batch norm, ReLU)
    d_blocks: int = 0  # in the discriminator (conv, batch norm, LeakyReLU) or critic (conv, LeakyReLU)


def with_overrides(config: DCGANConfig | None, overrides: dict) -> DCGANConfig:
    """``config`` (default: ``DCGANConfig()``) with the fields in ``overrides`` replaced."""
    known = {f.name for f in fields(DCGANConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown DCGANConfig field(s) {', '.join(unknown)}; known fields: {', '.join(sorted(known))}")
    return replace(config or DCGANConfig(), **overrides)


def dcgan_init(module: nn.Module) -> None:
    """N(0, 0.02²) weights for convolutions and linear layers; N(1, 0.02²) batch-norm scales."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(nn.Module):
    """G: z (N, latent_dim) ~ N(0, I) -> images (N, channels, 28, 28) in [-1, 1]."""

    def __init__(self, config: DCGANConfig | None = None, **overrides):
        super().__init__()
        c = with_overrides(config, overrides)
        self.config, self.latent_dim = c, c.latent_dim
        w = c.width
        self.project = nn.Sequential(
            nn.Linear(c.latent_dim, 2 * w * 7 * 7, bias=False), nn.BatchNorm1d(2 * w * 7 * 7), nn.ReLU(True)
        )
        self.blocks = nn.Sequential(
            *[
                m
                for _ in range(c.g_blocks)
                for m in (nn.Conv2d(2 * w, 2 * w, 3, 1, 1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(True))
            ]
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False),  # 7 -> 14
            nn.BatchNorm2d(w),
            nn.ReLU(True),
            nn.ConvTranspose2d(w, c.channels, 4, 2, 1),  # 14 -> 28
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(self.blocks(self.project(z).view(z.shape[0], -1, 7, 7)))

    def sample(self, n: int, *, seed: int | None = None) -> torch.Tensor:
        """``n`` images (n, C, 28, 28) in [-1, 1] from z ~ N(0, I), without gradients, in the current mode.

        ``n`` must be a non-negative integer; more than
        :data:`gencore.models.sampling.CHUNK` images are drawn in chunks and
        returned on the CPU (see :mod:`gencore.models.sampling`).
        """
        return _sample(self, n, seed, 28)


class Discriminator(nn.Module):
    """D: images (N, C, 28, 28) in [-1, 1] -> logits (N,). Strided convolutions, batch norm, LeakyReLU(0.2)."""

    def __init__(self, config: DCGANConfig | None = None, **overrides):
        super().__init__()
        c = with_overrides(config, overrides)
        self.config = c
        w = c.width
        self.net = nn.Sequential(
            nn.Conv2d(c.channels, w, 4, 2, 1),  # 28 -> 14; no batch norm on the input layer
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False),  # 14 -> 7
            nn.BatchNorm2d(2 * w),
            nn.LeakyReLU(0.2, True),
            *[
                m
                for _ in range(c.d_blocks)
                for m in (nn.Conv2d(2 * w, 2 * w, 3, 1, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, True))
            ],
            nn.Flatten(),
            nn.Linear(2 * w * 7 * 7, 1),
        )
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self.config.channels)
        return self.net(x).squeeze(-1)


class Critic(nn.Module):
    """WGAN critic: images -> unbounded scores (N,). ``norm``: "none", "layer", "batch" (to show why not)
    or "spectral" (spectral normalisation of every weight, Miyato et al., 2018)."""

    def __init__(self, config: DCGANConfig | None = None, norm: str = "none", **overrides):
        super().__init__()
        if norm not in ("none", "layer", "batch", "spectral"):
            raise ValueError(f"norm must be 'none', 'layer', 'batch' or 'spectral', got {norm!r}")
        c = with_overrides(config, overrides)
        self.config, self.norm = c, norm
        w = c.width
        sn = spectral_norm if norm == "spectral" else (lambda m: m)
        mid = {
            "none": nn.Identity(),
            "spectral": nn.Identity(),
            "layer": nn.LayerNorm([2 * w, 7, 7]),
            "batch": nn.BatchNorm2d(2 * w),
        }[norm]
        self.net = nn.Sequential(
            sn(nn.Conv2d(c.channels, w, 4, 2, 1)),
            nn.LeakyReLU(0.2, True),
            sn(nn.Conv2d(w, 2 * w, 4, 2, 1)),
            mid,
            nn.LeakyReLU(0.2, True),
            *[m for _ in range(c.d_blocks) for m in (sn(nn.Conv2d(2 * w, 2 * w, 3, 1, 1)), nn.LeakyReLU(0.2, True))],
            nn.Flatten(),
            sn(nn.Linear(2 * w * 7 * 7, 1)),
        )
        if norm != "spectral":
            self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self.config.channels)
        return self.net(x).squeeze(-1)


def _check_images(x: torch.Tensor, channels: int) -> None:
    if x.ndim != 4 or tuple(x.shape[1:]) != (channels, 28, 28):
        raise ValueError(f"expected images of shape (N, {channels}, 28, 28), got {tuple(x.shape)}")


class Generator32(nn.Module):
    """The DCGAN generator at 32x32 (the paper's own layout, 4 -> 8 -> 16 -> 32): z (N, latent_dim)
    -> images (N, channels, 32, 32) in [-1, 1]; ``width`` channels at 16x16, twice that at 8x8, four
    times at 4x4. The StyleGAN chapter's baseline on the shapes."""

    def __init__(self, config: DCGANConfig | None = None, **overrides):
        super().__init__()
        c = with_overrides(config, overrides)
        self.config, self.latent_dim = c, c.latent_dim
        w = c.width
        self.project = nn.Sequential(
            nn.Linear(c.latent_dim, 4 * w * 16, bias=False), nn.BatchNorm1d(4 * w * 16), nn.ReLU(True)
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False),  # 4 -> 8
            nn.BatchNorm2d(2 * w),
            nn.ReLU(True),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False),  # 8 -> 16
            nn.BatchNorm2d(w),
            nn.ReLU(True),
            nn.ConvTranspose2d(w, c.channels, 4, 2, 1),  # 16 -> 32
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(self.project(z).view(z.shape[0], -1, 4, 4))

    def sample(self, n: int, *, seed: int | None = None) -> torch.Tensor:
        """``n`` images (n, C, 32, 32) in [-1, 1], without gradients, in the current mode (see
        :meth:`Generator.sample`)."""
        return _sample(self, n, seed, 32)


class Discriminator32(nn.Module):
    """D at 32x32: images (N, channels, 32, 32) in [-1, 1] -> logits (N,); 32 -> 16 -> 8 -> 4 by
    strided convolutions, batch norm after the first, LeakyReLU(0.2)."""

    def __init__(self, config: DCGANConfig | None = None, **overrides):
        super().__init__()
        c = with_overrides(config, overrides)
        self.config = c
        w = c.width
        self.net = nn.Sequential(
            nn.Conv2d(c.channels, w, 4, 2, 1),  # 32 -> 16; no batch norm on the input layer
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False),  # 16 -> 8
            nn.BatchNorm2d(2 * w),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1, bias=False),  # 8 -> 4
            nn.BatchNorm2d(4 * w),
            nn.LeakyReLU(0.2, True),
            nn.Flatten(),
            nn.Linear(4 * w * 16, 1),
        )
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.config.channels, 32, 32):
            raise ValueError(f"expected images of shape (N, {self.config.channels}, 32, 32), got {tuple(x.shape)}")
        return self.net(x).squeeze(-1)


def _sample(g: nn.Module, n: int, seed: int | None, size: int) -> torch.Tensor:
    """``n`` images (n, C, size, size) of a batch-norm generator whose first layer is ``project[0]``."""
    if g.training and check_count(n) == 1:
        raise ValueError(
            f"a {type(g).__name__} in training mode normalizes each batch by the batch's own statistics "
            "(batch norm), so it cannot generate a single image: call .eval() first, or sample n >= 2"
        )
    w = g.project[0].weight
    return sample_in_chunks(
        lambda k, gen: g(torch.randn(k, g.latent_dim, generator=gen).to(w.device)),
        n,
        (g.config.channels, size, size),
        seed=seed,
        device=w.device,
        dtype=w.dtype,
    )
