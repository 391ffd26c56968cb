"""Linear regions of ReLU networks on a 2-D box (``book/ot_geometry.ipynb``).

A ReLU network f is linear on each set of inputs that share one activation
pattern (which units are on); :func:`linear_regions` counts the distinct patterns
on a dense grid. k lines in general position cut the plane into
1 + k + k(k−1)/2 regions (:func:`arrangement_regions`); a deep net's count is at
most the product of the per-layer counts (:func:`region_upper_bound`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def activation_patterns(net: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """On/off pattern ``(N, units)`` (bool) of every ReLU of ``net`` (an ``nn.Sequential``) at inputs ``x``."""
    pattern = []
    h = x
    for layer in net:
        if isinstance(layer, nn.ReLU):
            pattern.append(h > 0)
        h = layer(h)
    return torch.cat(pattern, 1)


def box_grid(box: tuple[float, float, float, float], resolution: int) -> torch.Tensor:
    """``resolution²`` pixel centres ``(resolution², 2)`` of ``box = (x0, x1, y0, y1)``, row-major from y0."""
    resolution = _positive_int(resolution, "resolution")
    x0, x1, y0, y1 = (float(v) for v in box)
    if not (all(map(math.isfinite, (x0, x1, y0, y1))) and x0 < x1 and y0 < y1):
        raise ValueError(f"box must be finite (x0, x1, y0, y1) with x0 < x1 and y0 < y1, got {box!r}")
    xs = x0 + (torch.arange(resolution, dtype=torch.float64) + 0.5) * (x1 - x0) / resolution
    ys = y0 + (torch.arange(resolution, dtype=torch.float64) + 0.5) * (y1 - y0) / resolution
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)


@torch.no_grad()
def linear_regions(
    net: nn.Sequential, box: tuple[float, float, float, float] = (-1, 1, -1, 1), resolution: int = 400
) -> tuple[int, np.ndarray]:
    """Number of linear regions of ``net`` seen on a ``resolution`` × ``resolution`` grid of ``box``.

    Returns the count of distinct activation patterns and a label image
    ``(resolution, resolution)`` (row 0 at y0) for drawing the cell decomposition.
    A region thinner than a pixel can be missed: the count is a lower bound that
    grows to the exact one with the resolution.
    """
    dtype = next(net.parameters()).dtype
    codes = activation_patterns(net, box_grid(box, resolution).to(dtype)).numpy()
    _, labels = np.unique(np.packbits(codes, axis=1), axis=0, return_inverse=True)
    labels = labels.reshape(resolution, resolution)
    return int(labels.max()) + 1, labels


def arrangement_regions(k: int, d: int = 2) -> int:
    """Regions of ℝ^d cut by k hyperplanes in general position: Σ_{j≤d} C(k, j) (Zaslavsky)."""
    return sum(math.comb(k, j) for j in range(d + 1))


def region_upper_bound(widths: list[int], d: int = 2) -> int:
    """Upper bound on the linear regions of a ReLU net on ℝ^d with hidden ``widths``: Π_l Σ_{j≤d} C(n_l, j).

    One hidden layer attains it (an arrangement of n_1 hyperplanes); each further
    layer can split each existing region by at most an arrangement of its own
    n_l hyperplanes (Raghu et al. 2017; Serra et al. 2018 sharpen it).
    """
    return math.prod(arrangement_regions(n, d) for n in widths)


def region_lower_bound(widths: list[int], d: int = 2) -> int:
    """Montúfar et al. (2014)'s construction: (Π_{l<L} ⌊n_l/d⌋^d) Σ_{j≤d} C(n_L, j) regions are attainable."""
    return math.prod((n // d) ** d for n in widths[:-1]) * arrangement_regions(widths[-1], d)


def relu_mlp(widths: list[int], d_in: int = 2, d_out: int = 1) -> nn.Sequential:
    """A ReLU MLP ``d_in → widths… → d_out`` (PyTorch's default initialisation)."""
    if not len(widths):
        raise ValueError("relu_mlp needs at least one hidden width")
    for n in (*widths, d_in, d_out):
        _positive_int(n, "widths, d_in and d_out")
    layers: list[nn.Module] = []
    for a, b in zip([d_in, *widths[:-1]], widths, strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(widths[-1], d_out))


def two_spirals(n: int, turns: float = 1.5, noise: float = 0.05, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spiral arms in [−1, 1]²: points ``(n, 2)`` and arm labels ``(n,)`` in {0, 1}.

    Arm a at angle t ∈ [0, 2π·turns] sits at radius t / (2π·turns) and angle t + πa,
    plus Gaussian noise of std ``noise``.
    """
    n = _positive_int(n, "n")
    if not (math.isfinite(turns) and turns > 0 and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"turns must be positive and noise non-negative, both finite; got {turns!r}, {noise!r}")
    gen = torch.Generator().manual_seed(seed)
    arm = torch.randint(2, (n,), generator=gen)
    t = torch.rand(n, generator=gen).sqrt() * 2 * math.pi * turns  # √: even density along the arm's length
    r = t / (2 * math.pi * turns)
    x = torch.stack([r * torch.cos(t + math.pi * arm), r * torch.sin(t + math.pi * arm)], 1)
    return x + noise * torch.randn(n, 2, generator=gen), arm


def fit_relu_classifier(
    widths: list[int], x: torch.Tensor, y: torch.Tensor, *, steps: int = 1500, lr: float = 0.01, seed: int = 0
) -> tuple[nn.Sequential, float]:
    """A ReLU MLP with hidden ``widths`` trained full-batch with Adam on ``(x, y)``; returns it and its accuracy."""
    from gencore.train import classifier_phase, train

    torch.manual_seed(seed)
    net = relu_mlp(widths, d_in=x.shape[1], d_out=int(y.max()) + 1)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    train([classifier_phase(net, opt)], iter(lambda: (x, y), None), steps, progress=False)
    with torch.no_grad():
        acc = float((net(x).argmax(1) == y).float().mean())
    return net, acc
