"""Procedural 32x32 colour shapes whose generative factors are known.

Each image is one shape (circle, square or triangle) on a grey background, drawn
from six continuous factors sampled independently and uniformly:

=============  ===============  ==========================================
factor         range            meaning
=============  ===============  ==========================================
``hue``        [0, 1)           hue of the shape (saturation 0.85, value 1)
``x``, ``y``   [-0.3, 0.3]      centre, in image units ([-1, 1] across; y up)
``scale``      [0.3, 0.5]       radius / half-side / 0.77 x circumradius
``rotation``   [-30, 30]        degrees, counter-clockwise (a circle has none)
``background`` [0, 0.5]         grey level of the background
=============  ===============  ==========================================

Edges are anti-aliased from a distance to the boundary, so a small change of a
factor is a small change of the image: what a generator, a regressor and the
SeFa chapter need. Rendering is vectorised; 20,000 images take about a second.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from gencore import rng
from gencore.data.base import Data

SHAPES = ("circle", "square", "triangle")
FACTORS = ("hue", "x", "y", "scale", "rotation", "background")
#: factor -> (low, high) of its uniform distribution
FACTOR_RANGES: dict[str, tuple[float, float]] = {
    "hue": (0.0, 1.0),
    "x": (-0.3, 0.3),
    "y": (-0.3, 0.3),
    "scale": (0.3, 0.5),
    "rotation": (-30.0, 30.0),
    "background": (0.0, 0.5),
}
SIZE = 32
#: most images one call draws (12 kB each as float32: 2.4 GB)
MAX_IMAGES = 200_000
SATURATION = 0.85
TRIANGLE_CIRCUMRADIUS = 1.3  # in units of the scale factor
#: seeds of the held-out split are offset by this, so no held-out image is a training image
HELDOUT_SEED_OFFSET = 1_000_003
#: torch's CPU generator keeps only the low 32 bits of a seed: split seeds stay below 2**32, apart
SEED_LIMIT = 2**31 - HELDOUT_SEED_OFFSET


def split_seed(seed: int, split: str) -> int:
    """The generator seed of ``split``: every train seed differs from every held-out seed, for every ``seed``.

    Held-out: ``seed + HELDOUT_SEED_OFFSET``, in [offset, 2**31); train: ``seed`` below the offset
    (as always), else ``seed - HELDOUT_SEED_OFFSET + 2**31``, in [2**31, 2**32). Seeds lie in [0, SEED_LIMIT).
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be an integer from 0 to {SEED_LIMIT - 1:,}, got {seed!r}")
    if split == "heldout":
        return seed + HELDOUT_SEED_OFFSET
    return seed if seed < HELDOUT_SEED_OFFSET else seed - HELDOUT_SEED_OFFSET + 2**31


def hsv_to_rgb(hue: torch.Tensor, saturation: float = SATURATION, value: float = 1.0) -> torch.Tensor:
    """``(N,)`` hues in [0, 1) -> ``(N, 3)`` RGB in [0, 1] (the standard HSV cone)."""
    n = torch.tensor([5.0, 3.0, 1.0], dtype=hue.dtype)
    k = (n + 6.0 * hue[:, None]) % 6.0
    return value - value * saturation * torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)


def _signed_distance(shape: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """Distance of points ``p`` (N, H, W, 2), in shape units, outside the unit shape (< 0 inside)."""
    circle = p.norm(dim=-1) - 1.0
    square = p.abs().amax(dim=-1) - 1.0
    angles = torch.tensor([-math.pi / 2, math.pi / 6, 5 * math.pi / 6], dtype=p.dtype)
    normals = torch.stack([torch.cos(angles), torch.sin(angles)], 1)  # outward normals of the 3 edges
    triangle = (p @ normals.T).amax(dim=-1) - TRIANGLE_CIRCUMRADIUS / 2  # inradius = R / 2
    return torch.where(shape[:, None, None] == 0, circle, torch.where(shape[:, None, None] == 1, square, triangle))


def render(shape: torch.Tensor, factors: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """Draw shapes: ``shape`` (N,) in {0, 1, 2}, ``factors`` (N, 6) in :data:`FACTORS` order.

    Returns ``(N, 3, size, size)`` images in [-1, 1].
    """
    if factors.ndim != 2 or factors.shape[1] != len(FACTORS):
        raise ValueError(
            f"factors must have shape (N, {len(FACTORS)}) ({', '.join(FACTORS)}), got {tuple(factors.shape)}"
        )
    if shape.shape != factors.shape[:1]:
        raise ValueError(f"shape must have shape ({len(factors)},), got {tuple(shape.shape)}")
    if len(shape) and (int(shape.min()) < 0 or int(shape.max()) >= len(SHAPES)):
        raise ValueError(f"shape indices must lie in 0..{len(SHAPES) - 1} ({', '.join(SHAPES)}), got {shape.tolist()}")
    if not bool(torch.isfinite(factors).all()):
        raise ValueError("factors hold NaN or infinite values")
    factors = factors.double()
    hue, cx, cy, scale, rotation, background = factors.unbind(1)
    grid = (torch.arange(size, dtype=torch.float64) + 0.5) / size * 2.0 - 1.0
    px = grid[None, None, :] - cx[:, None, None]
    py = -grid[None, :, None] - cy[:, None, None]  # row 0 is the top: y points up
    theta = torch.deg2rad(rotation)[:, None, None]
    c, s = torch.cos(theta), torch.sin(theta)
    local = torch.stack([c * px + s * py, -s * px + c * py], -1) / scale[:, None, None, None]
    pixel = 2.0 / size
    distance = _signed_distance(shape, local) * scale[:, None, None] / pixel  # in pixels
    alpha = torch.clamp(0.5 - distance, 0.0, 1.0)[:, None]
    colour = hsv_to_rgb(hue)[:, :, None, None]
    image = alpha * colour + (1.0 - alpha) * background[:, None, None, None]
    return (image * 2.0 - 1.0).float()


def factor_spans() -> torch.Tensor:
    """The width of each factor's range, in :data:`FACTORS` order (hue: half a turn, its largest change)."""
    return torch.tensor([0.5] + [FACTOR_RANGES[f][1] - FACTOR_RANGES[f][0] for f in FACTORS[1:]])


def factor_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """|a - b| per factor (N, 6) as a share of :func:`factor_spans`; hue along the circle."""
    d = (a - b).abs()
    d[:, 0] = torch.minimum(d[:, 0], 1.0 - d[:, 0])  # hue is an angle, in turns
    return d / factor_spans()


def sample_factors(n: int, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` shapes (N,) and factors (N, 6), uniform on :data:`FACTOR_RANGES`."""
    gen = rng(seed)
    shape = torch.randint(len(SHAPES), (n,), generator=gen)
    low = torch.tensor([FACTOR_RANGES[f][0] for f in FACTORS], dtype=torch.float64)
    high = torch.tensor([FACTOR_RANGES[f][1] for f in FACTORS], dtype=torch.float64)
    factors = low + (high - low) * torch.rand(n, len(FACTORS), generator=gen, dtype=torch.float64)
    return shape, factors.float()


def load_shapes(n: int = 20_000, seed: int = 0, split: str = "train") -> Data:
    """``n`` shape images: ``x`` (N, 3, 32, 32) in [-1, 1], ``y`` the shape (0 circle, 1 square, 2 triangle).

    ``info["factors"]`` is the (N, 6) float tensor of factors in the order of
    ``info["factor_names"]`` (:data:`FACTORS`). The same ``seed`` and ``split`` give the same images;
    ``split="heldout"`` draws from a disjoint seed.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 < n <= MAX_IMAGES:
        raise ValueError(f"n must be a positive integer of at most {MAX_IMAGES:,}, got {n!r}")
    if split not in ("train", "heldout"):
        raise ValueError(f"unknown split {split!r} for shapes; use 'train' or 'heldout'")
    shape, factors = sample_factors(n, split_seed(seed, split))
    images = torch.cat([render(shape[i : i + 4096], factors[i : i + 4096]) for i in range(0, n, 4096)])
    info = {"factors": factors, "factor_names": FACTORS, "factor_ranges": FACTOR_RANGES, "shapes": SHAPES}
    return Data("shapes", split, images, shape, info)


def shapes_stream(batch_size: int, seed: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless fresh batches ``(x (batch_size, 3, 32, 32), shape (batch_size,))`` of training shapes.

    A generator trained on the stream never sees an image twice, so it cannot memorize
    its data. Batch ``i`` is drawn from its own seed (taken from the stream's
    ``torch.Generator``), below the held-out seeds, so the stream for a given ``seed``
    is always the same and never draws a held-out image.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 0 < batch_size <= MAX_IMAGES:
        raise ValueError(f"batch_size must be a positive integer of at most {MAX_IMAGES:,}, got {batch_size!r}")
    gen = torch.Generator().manual_seed(split_seed(seed, "train"))
    while True:
        shape, factors = sample_factors(batch_size, int(torch.randint(HELDOUT_SEED_OFFSET, (1,), generator=gen)))
        yield render(shape, factors), shape
