"""2-D toy distributions with known modes, the test bed of the GAN chapters.

``ring8``: 8 Gaussians with means (cos 2πk/8, sin 2πk/8), std 0.01.
``grid25``: 25 Gaussians with means {-4, -2, 0, 2, 4}^2, std 0.05.
``swissroll``: a 2-D swiss roll (a curve with noise; no discrete modes).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from gencore import rng
from gencore.data.base import Data


def _ring8() -> torch.Tensor:
    k = torch.arange(8, dtype=torch.float64)
    return torch.stack([torch.cos(2 * math.pi * k / 8), torch.sin(2 * math.pi * k / 8)], 1).float()


def _grid25() -> torch.Tensor:
    v = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    return torch.cartesian_prod(v, v)


#: name -> (means (K, 2), std)
MIXTURES: dict[str, tuple[torch.Tensor, float]] = {
    "ring8": (_ring8(), 0.01),
    "grid25": (_grid25(), 0.05),
}
TOY_NAMES = ("ring8", "grid25", "swissroll")


def mixture(name: str) -> tuple[torch.Tensor, float]:
    """The true means ``(K, 2)`` and the common std of a toy mixture."""
    if name not in MIXTURES:
        known = ", ".join(MIXTURES)
        hint = " (the swiss roll is a curve, not a mixture)" if name == "swissroll" else ""
        raise KeyError(f"unknown mixture {name!r}{hint}; known mixtures: {known}")
    means, std = MIXTURES[name]
    return means.clone(), std


def toy2d(name: str, n: int, seed: int | None = None) -> torch.Tensor:
    """``n`` samples ``(n, 2)`` from a toy distribution (``seed=None``: torch's global RNG)."""
    return load_toy2d(name, n=n, seed=seed).x


def load_toy2d(name: str, n: int = 2500, seed: int | None = None) -> Data:
    if name not in TOY_NAMES:
        raise KeyError(f"unknown toy data set {name!r}; known toy data sets: {', '.join(TOY_NAMES)}")
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    gen = rng(seed)
    if name == "swissroll":
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=gen))
        x = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / 5.0
        x = x + 0.05 * torch.randn(n, 2, generator=gen)
        return Data(name, "all", x, torch.zeros(n, dtype=torch.int64))
    means, std = MIXTURES[name]
    y = torch.randint(len(means), (n,), generator=gen)
    x = means[y] + std * torch.randn(n, 2, generator=gen)
    return Data(name, "all", x, y, {"means": means.clone(), "std": std})


def mixture_stream(name: str, batch_size: int, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless fresh batches ``(x (batch_size, 2), y (batch_size,))`` from a toy mixture.

    Components ``y`` are uniform over the modes; ``x = μ_y + σ ε``. The stream for a
    given ``seed`` is always the same (its own ``torch.Generator``).
    """
    means, std = mixture(name)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    gen = torch.Generator().manual_seed(seed)
    while True:
        y = torch.randint(len(means), (batch_size,), generator=gen)
        yield means[y] + std * torch.randn(batch_size, 2, generator=gen), y
