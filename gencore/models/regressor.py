"""The factor regressor: a CNN that reads back the known factors of ``data.load("shapes")``.

It is the measuring instrument of the StyleGAN and SeFa chapters, never a part
of a generator: its factor estimates say what a latent direction changes, and its
penultimate features (``features``, 128-d) give a Fréchet distance for images of
shapes, as the MNIST classifier's do for digits.
"""

from __future__ import annotations

import math

import torch
from torch import nn

#: the regressor's outputs, in order: hue as a point on the unit circle (hue is an angle), then
#: x, y, scale, rotation and background, each standardized by :data:`CENTRE` and :data:`SPREAD`
OUTPUTS = ("hue_cos", "hue_sin", "x", "y", "scale", "rotation", "background")
CENTRE = torch.tensor([0.0, 0.0, 0.4, 0.0, 0.25])  # x, y, scale, rotation, background
SPREAD = torch.tensor([0.3, 0.3, 0.1, 30.0, 0.25])
N_SHAPES = 3


class FactorRegressor(nn.Module):
    """Images (N, 3, 32, 32) in [-1, 1] -> (standardized factor outputs (N, 7), shape logits (N, 3))."""

    feature_dim = 128

    def __init__(self, width: int = 32):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(3, w, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1, stride=2),  # 16
            nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, padding=1, stride=2),  # 8
            nn.ReLU(),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1, stride=2),  # 4
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(2 * w * 16, self.feature_dim),
            nn.ReLU(),
        )
        self.head = nn.Linear(self.feature_dim, len(OUTPUTS) + N_SHAPES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (N, 128)."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (3, 32, 32):
            raise ValueError(f"expected shape images (N, 3, 32, 32) in [-1, 1], got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.head(self.features(x))
        return out[:, : len(OUTPUTS)], out[:, len(OUTPUTS) :]

    @torch.no_grad()
    def factors(self, x: torch.Tensor) -> torch.Tensor:
        """Estimated factors (N, 6) in natural units, in the order of ``gencore.data.shapes.FACTORS``."""
        out, _ = self(x)
        hue = torch.atan2(out[:, 1], out[:, 0]) / (2 * math.pi) % 1.0
        rest = out[:, 2:] * SPREAD.to(out) + CENTRE.to(out)
        return torch.cat([hue[:, None], rest], 1)


def targets(factors: torch.Tensor) -> torch.Tensor:
    """Factors (N, 6) in natural units -> the regressor's standardized targets (N, 7)."""
    angle = 2 * math.pi * factors[:, 0]
    rest = (factors[:, 1:] - CENTRE.to(factors)) / SPREAD.to(factors)
    return torch.cat([torch.cos(angle)[:, None], torch.sin(angle)[:, None], rest], 1)
