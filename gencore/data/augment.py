"""Augmentations of image batches used in training."""

from __future__ import annotations

import torch


def random_shift(x: torch.Tensor, pixels: int = 2, edge: bool = False) -> torch.Tensor:
    """Translate each image of ``x`` (N, C, H, W) in [-1, 1] by up to ``pixels`` in x and y, padding with -1
    (black), or with ``edge=True`` by repeating the border pixels (for images on a coloured background)."""
    n, _, h, w = x.shape
    if edge:
        padded = torch.nn.functional.pad(x, (pixels,) * 4, mode="replicate")
    else:
        padded = torch.nn.functional.pad(x, (pixels,) * 4, value=-1.0)
    dx, dy = torch.randint(0, 2 * pixels + 1, (2, n))
    return torch.stack([padded[i, :, dy[i] : dy[i] + h, dx[i] : dx[i] + w] for i in range(n)])
