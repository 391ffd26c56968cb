"""Tiny stand-in networks shared by the tests of latent-space tools and image metrics."""

import torch
from torch import nn


class TinyGenerator(nn.Module):
    """z (N, 3) -> images (N, 1, 2, 2) in (-1, 1)."""

    def __init__(self):
        super().__init__()
        self.latent_dim = 3
        self.lin = nn.Linear(3, 4)

    def forward(self, z):
        return torch.tanh(self.lin(z)).view(-1, 1, 2, 2)


class TinyDiscriminator(nn.Module):
    """images (N, 1, 2, 2) -> logits (N,)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 1)

    def forward(self, x):
        return self.lin(x.flatten(1)).squeeze(-1)


class PixelClassifier(nn.Module):
    """A stand-in domain classifier: its features are the raw pixels."""

    def __init__(self, n_pixels: int = 4, n_classes: int = 2):
        super().__init__()
        self.head = nn.Linear(n_pixels, n_classes)

    def features(self, x):
        return x.flatten(1)
