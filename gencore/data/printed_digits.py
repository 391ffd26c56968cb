"""Printed digits: the second domain of ``book/cyclegan.ipynb``, rendered from the fonts matplotlib ships.

Each of the :data:`FONTS` is rasterized once per digit at high resolution (a
64x64 glyph bank, two stroke weights); an image is then a glyph drawn at random
from the bank and mapped to 28x28 by a random affine transform (scale, rotation,
shift) with ``torch`` ops, a whole batch at a time. Images have MNIST's format:
``(N, 1, 28, 28)`` in ``[-1, 1]``, a light digit on a dark background, about 20
pixels tall. Labels are the digits, balanced: ``y = i mod 10`` before shuffling.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from gencore.data.base import SPLITS, Data

#: the font files (in matplotlib's ``mpl-data/fonts/ttf``): sans, serif, mono, STIX and Computer Modern
FONTS = (
    "DejaVuSans",
    "DejaVuSans-Bold",
    "DejaVuSans-Oblique",
    "DejaVuSerif",
    "DejaVuSerif-Bold",
    "DejaVuSerif-Italic",
    "DejaVuSansMono",
    "DejaVuSansMono-Bold",
    "STIXGeneral",
    "STIXGeneralBol",
    "STIXGeneralItalic",
    "cmr10",
    "cmb10",
    "cmss10",
    "cmtt10",
    "cmti10",
)
#: glyphs are drawn this tall (pixels) on a square canvas of side BANK_SIDE
GLYPH_HEIGHT, BANK_SIDE = 40, 64
#: stroke weights: dilation by a square of side 1 or 3 pixels of the 64x64 canvas
STROKE_KERNELS = (1, 3)
#: ranges of the random transform: digit height (pixels of 28), rotation (degrees), shift (pixels)
HEIGHT, ROTATION, SHIFT = (16.0, 22.0), 12.0, 2.0
#: default sizes of the two splits (as MNIST-5k: 4,000 train, 1,000 held out)
SIZES = {"train": 4000, "heldout": 1000}


def _glyph(path: str, digit: int) -> torch.Tensor:
    """One digit of one font: (64, 64) in [0, 1], scaled to GLYPH_HEIGHT pixels and centered."""
    from matplotlib import ft2font

    font = ft2font.FT2Font(path)
    font.set_size(96, 72)
    font.set_text(str(digit), 0.0)
    font.draw_glyphs_to_bitmap(antialiased=True)
    img = np.asarray(font.get_image(), dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(img.max(1) > 0), np.flatnonzero(img.max(0) > 0)
    img = torch.from_numpy(img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].copy())
    h, w = img.shape
    new_w = max(1, min(BANK_SIDE - 4, round(w * GLYPH_HEIGHT / h)))
    img = F.interpolate(img[None, None], size=(GLYPH_HEIGHT, new_w), mode="area")[0, 0]
    canvas = torch.zeros(BANK_SIDE, BANK_SIDE)
    top, left = (BANK_SIDE - GLYPH_HEIGHT) // 2, (BANK_SIDE - new_w) // 2
    canvas[top : top + GLYPH_HEIGHT, left : left + new_w] = img
    return canvas


@functools.cache
def glyph_bank() -> torch.Tensor:
    """Every font x digit x stroke weight: (len(FONTS), 10, len(STROKE_KERNELS), 64, 64) in [0, 1]."""
    import matplotlib

    root = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    base = torch.stack([torch.stack([_glyph(os.path.join(root, f + ".ttf"), d) for d in range(10)]) for f in FONTS])
    flat = base.reshape(-1, 1, BANK_SIDE, BANK_SIDE)
    weights = [F.max_pool2d(flat, k, stride=1, padding=k // 2) for k in STROKE_KERNELS]
    return torch.stack(weights, 1).reshape(len(FONTS), 10, len(STROKE_KERNELS), BANK_SIDE, BANK_SIDE)


def draw_factors(n: int, generator: torch.Generator, font: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """The random factors of ``n`` printed images, as :func:`render` draws them.

    ``font`` (n,) index into :data:`FONTS` (uniform unless given), ``weight`` (n,) index
    into :data:`STROKE_KERNELS` (uniform), ``height`` (n,) in pixels (uniform in
    :data:`HEIGHT`), ``rotation`` (n,) in radians (uniform in ±ROTATION degrees), ``shift``
    (n, 2) in pixels (x, y; uniform in ±SHIFT).
    """
    if font is None:
        font = torch.randint(len(FONTS), (n,), generator=generator)
    elif len(font) != n or (n and (int(font.min()) < 0 or int(font.max()) >= len(FONTS))):
        raise ValueError(f"font must hold one index in 0..{len(FONTS) - 1} per digit ({n}), got {tuple(font.shape)}")
    weight = torch.randint(len(STROKE_KERNELS), (n,), generator=generator)
    u = torch.rand(n, 4, generator=generator)
    return {
        "font": font,
        "weight": weight,
        "height": HEIGHT[0] + (HEIGHT[1] - HEIGHT[0]) * u[:, 0],
        "rotation": math.radians(ROTATION) * (2 * u[:, 1] - 1),
        "shift": SHIFT * (2 * u[:, 2:] - 1),
    }


def render_factors(digits: torch.Tensor, factors: dict[str, torch.Tensor]) -> torch.Tensor:
    """Images ``(N, 1, 28, 28)`` in ``[-1, 1]`` of ``digits`` (N,) drawn with the given :func:`draw_factors`."""
    n = len(digits)
    if n and (int(digits.min()) < 0 or int(digits.max()) > 9):
        raise ValueError(f"digits must lie in 0..9, got values from {int(digits.min())} to {int(digits.max())}")
    height, angle = factors["height"], factors["rotation"]
    shift = factors["shift"] * 2 / 28  # in the [-1, 1] coordinates of the output
    # affine_grid maps output coordinates to input ones: input = s R output + t
    s = (GLYPH_HEIGHT / BANK_SIDE) / (height / 28)
    cos, sin = torch.cos(angle) * s, torch.sin(angle) * s
    theta = torch.stack(
        [torch.stack([cos, -sin, -shift[:, 0] * s], 1), torch.stack([sin, cos, -shift[:, 1] * s], 1)], 1
    )
    glyphs = glyph_bank()[factors["font"], digits, factors["weight"]][:, None]
    grid = F.affine_grid(theta, [n, 1, 56, 56], align_corners=False)
    images = F.avg_pool2d(F.grid_sample(glyphs, grid, align_corners=False), 2)
    return images.clamp(0, 1) * 2 - 1


def render(
    digits: torch.Tensor, generator: torch.Generator, font: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Printed images of ``digits`` (N,): ``(N, 1, 28, 28)`` in ``[-1, 1]`` and the font index of each.

    Font (unless ``font`` (N,) gives each image's index into :data:`FONTS`) and
    stroke weight are uniform; the height is uniform in :data:`HEIGHT`
    pixels, the rotation in ±ROTATION degrees, the shift in ±SHIFT pixels
    (:func:`draw_factors`, then :func:`render_factors`).
    """
    n = len(digits)
    if n and (int(digits.min()) < 0 or int(digits.max()) > 9):
        raise ValueError(f"digits must lie in 0..9, got values from {int(digits.min())} to {int(digits.max())}")
    factors = draw_factors(n, generator, font)
    return render_factors(digits, factors), factors["font"]


def _seed(seed: int, split: str) -> torch.Generator:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return torch.Generator().manual_seed(2 * seed + (split == "heldout"))


def load_printed_digits(split: str = "train", n: int | None = None, seed: int = 0) -> Data:
    """Printed digits ``(N, 1, 28, 28)`` in ``[-1, 1]``, labels ``(N,)`` balanced over 0-9.

    ``split``: ``"train"`` (4,000 by default), ``"heldout"`` (1,000) or ``"all"``
    (both). The two splits are drawn with different seeds from the same fonts, so
    no held-out image is a training image. The same ``(split, n, seed)`` gives the
    same images. ``info["font"]`` holds each image's index into ``info["fonts"]``.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for 'printed-digits'; use one of {SPLITS}")
    if split == "all":
        parts = [load_printed_digits(s, n, seed) for s in ("train", "heldout")]
        x, y = torch.cat([p.x for p in parts]), torch.cat([p.y for p in parts])
        font = torch.cat([p.info["font"] for p in parts])
        return Data("printed-digits", "all", x, y, {"fonts": FONTS, "font": font})
    n = SIZES[split] if n is None else n
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    g = _seed(seed, split)
    y = (torch.arange(n) % 10)[torch.randperm(n, generator=g)]
    x, font = render(y, g)
    return Data("printed-digits", split, x, y, {"fonts": FONTS, "font": font})


#: sizes of the splits of ``printed-fonts`` per class (digit, font)
FONT_CLASS_SIZES = {"train": 100, "heldout": 25}


def load_printed_fonts(
    split: str = "train", n_per_class: int | None = None, seed: int = 0, fonts: tuple[int, ...] | None = None
) -> Data:
    """Printed digits whose class is (digit, font): ``y = digit · F + j`` for font ``fonts[j]``, F = len(fonts).

    The fine-grained task of ``book/conditional.ipynb``: ``fonts`` (indices into
    :data:`FONTS`, default all 16) gives ``10 · F`` classes, each with ``n_per_class``
    images (default :data:`FONT_CLASS_SIZES`: 100 train, 25 held out), in random
    order. ``info["digit"]`` and ``info["font"]`` (the index into :data:`FONTS`) hold
    each image's class factors, ``info["fonts"]`` the names of the fonts used, and
    ``weight``, ``height``, ``rotation``, ``shift`` its other factors (:func:`draw_factors`).
    """
    if split not in ("train", "heldout"):
        raise ValueError(f"unknown split {split!r} for 'printed-fonts'; use 'train' or 'heldout'")
    fonts = tuple(range(len(FONTS))) if fonts is None else tuple(int(f) for f in fonts)
    if not fonts or len(set(fonts)) != len(fonts) or min(fonts) < 0 or max(fonts) >= len(FONTS):
        raise ValueError(f"fonts must be distinct indices in 0..{len(FONTS) - 1}, got {fonts!r}")
    n_per_class = FONT_CLASS_SIZES[split] if n_per_class is None else n_per_class
    if isinstance(n_per_class, bool) or not isinstance(n_per_class, int) or n_per_class <= 0:
        raise ValueError(f"n_per_class must be a positive integer, got {n_per_class!r}")
    g = _seed(seed, split)
    k = 10 * len(fonts)
    y = (torch.arange(k * n_per_class) % k)[torch.randperm(k * n_per_class, generator=g)]
    digit, font = y // len(fonts), torch.tensor(fonts)[y % len(fonts)]
    factors = draw_factors(len(y), g, font)
    x = render_factors(digit, factors)
    info = {"fonts": tuple(FONTS[f] for f in fonts), "digit": digit, **factors}
    return Data("printed-fonts", split, x, y, info)
