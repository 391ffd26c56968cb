"""The domain classifier behind FID, IS and PPL in ``book/evaluation.ipynb``.

Inception-v3 features are the usual choice for natural images; for MNIST a
small CNN trained on MNIST itself gives features that mean something for
digits (as in, e.g., the MNIST evaluations of many GAN papers). Its
penultimate activations (``features``, 128-d) feed the Fréchet distance; its
class probabilities feed the Inception-style score.
"""

from __future__ import annotations

import torch
from torch import nn

from gencore.models.layers import conv_trunk


class MNISTClassifier(nn.Module):
    """Images (N, C, 28, 28) in [-1, 1] -> logits (N, classes); C = ``channels`` (1 for MNIST, 3 for colour)."""

    feature_dim = 128

    def __init__(self, width: int = 32, dropout: float = 0.3, channels: int = 1, classes: int = 10):
        super().__init__()
        for what, v in (("channels", channels), ("classes", classes)):
            if not (isinstance(v, int) and v >= 1):
                raise ValueError(f"MNISTClassifier: {what} must be a positive integer, got {v!r}")
        self.channels = channels
        self.body = conv_trunk(channels, width, self.feature_dim, dropout)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.feature_dim, classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (N, 128)."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.channels, 28, 28):
            raise ValueError(f"expected images of shape (N, {self.channels}, 28, 28) in [-1, 1], got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
