"""The deterministic autoencoder of ``book/vae_blur.ipynb`` (the plain AE, WAE-MMD, WAE-GAN and AEGAN's AE).

An encoder h = Enc(x) and a decoder x' = Dec(h), both MLPs, with no distribution
over h: the code of an image is a point, not a Gaussian. The decoder's last layer
is a sigmoid on [0, 1] intensities mapped to [-1, 1], as the Gaussian decoder mean of
:class:`gencore.models.vae.VAE`, so the two families differ only in the latent constraint.
Images enter and leave as ``(N, 1, H, W)`` in ``[-1, 1]``.
"""

from __future__ import annotations

import torch
from torch import nn

from gencore.models.layers import mlp as _mlp


class Autoencoder(nn.Module):
    """Enc: ``(N, *image_shape)`` -> ``(N, latent_dim)``; Dec: back to images in [-1, 1]."""

    def __init__(self, latent_dim: int = 8, hidden: tuple[int, ...] = (512, 256), image_shape=(1, 28, 28)):
        super().__init__()
        self.latent_dim, self.image_shape = int(latent_dim), tuple(image_shape)
        d = int(torch.tensor(self.image_shape).prod())
        h = list(hidden)
        self.encoder = _mlp([d, *h, self.latent_dim])
        self.decoder = _mlp([self.latent_dim, *reversed(h), d])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code h = Enc(x), ``(N, latent_dim)``, of images ``(N, *image_shape)``."""
        if x.ndim != 4 or tuple(x.shape[1:]) != self.image_shape:
            shape = ", ".join(map(str, self.image_shape))
            raise ValueError(f"the autoencoder expects images of shape (N, {shape}), got {tuple(x.shape)}")
        return self.encoder(x.flatten(1))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """Dec(h): images ``(N, *image_shape)`` in [-1, 1] from codes ``(N, latent_dim)``."""
        if h.ndim != 2 or h.shape[1] != self.latent_dim:
            raise ValueError(f"expected codes of shape (N, {self.latent_dim}), got {tuple(h.shape)}")
        return torch.sigmoid(self.decoder(h)).view(-1, *self.image_shape) * 2 - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction Dec(Enc(x))."""
        return self.decode(self.encode(x))
