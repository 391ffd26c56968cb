"""Grey and coloured digits: the appearance pair of ``book/cyclegan.ipynb``, made from MNIST-5k.

Each split of MNIST-5k (``train``: 400 images per digit, ``heldout``: 100) is cut
into two *disjoint* halves, digit by digit, with a fixed permutation: the first
half is the grey domain, the second the coloured one, so that no digit image is in
both domains and the pair is unpaired.

- ``mnist-grey``: the digit as MNIST draws it, white on black, repeated over three
  channels: ``(N, 3, 28, 28)`` in ``[-1, 1]``.
- ``mnist-colour``: the same kind of digit drawn in one flat colour over a smooth,
  textured colour background (an MNIST-M-like domain made by code): the background
  is a random 3x3 grid of colours blown up bilinearly to 28x28 (a colour gradient),
  plus a random 7x7 grid at a third of the amplitude (a texture); the digit's colour
  is the background's mean colour shifted by half the range in every channel, so it
  always stands out. Each image's colours are drawn from a generator seeded by
  the split, so every load gives the same images.

The change between the two is one of appearance (colour, background, texture), not
of geometry: the stroke shapes are MNIST's in both.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from gencore.data.base import Data
from gencore.data.images import load_mnist5k

#: the halves' names: the first half of each digit's images is grey, the second coloured
DOMAINS = ("grey", "colour")
#: seeds of the split into halves and of the colours of each split
HALF_SEED, COLOUR_SEEDS = 11, {"train": 101, "heldout": 202}
#: the texture's amplitude relative to the gradient's
TEXTURE = 1 / 3
_SPLITS = ("train", "heldout")


def _half_indices(y: torch.Tensor, domain: str) -> torch.Tensor:
    """Indices of ``domain``'s half: for each digit, a fixed permutation of its images cut in two."""
    rng = np.random.default_rng(HALF_SEED)
    out = []
    for c in range(10):
        idx = rng.permutation(np.flatnonzero(y.numpy() == c))
        half = len(idx) // 2
        out.append(idx[:half] if domain == "grey" else idx[half:])
    return torch.as_tensor(np.sort(np.concatenate(out)))


def colourize(digits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Grey digits ``(N, 1, 28, 28)`` in [-1, 1] -> ``(N, 3, 28, 28)`` in [-1, 1]: each drawn in a flat colour
    on a random smooth, textured colour background (see the module's docstring)."""
    if not isinstance(digits, torch.Tensor) or digits.ndim != 4 or tuple(digits.shape[1:]) != (1, 28, 28):
        shape = tuple(digits.shape) if isinstance(digits, torch.Tensor) else type(digits).__name__
        raise ValueError(f"colourize: expected grey digits of shape (N, 1, 28, 28) in [-1, 1], got {shape}")
    n = len(digits)
    coarse = torch.rand(n, 3, 3, 3, generator=generator)
    fine = torch.rand(n, 3, 7, 7, generator=generator) - 0.5
    background = F.interpolate(coarse, size=28, mode="bilinear", align_corners=True)
    background = background + TEXTURE * F.interpolate(fine, size=28, mode="bilinear", align_corners=True)
    background = background.clamp(0, 1)
    ink = (background.mean((2, 3), keepdim=True) + 0.5) % 1.0  # half the range away from the mean, per channel
    alpha = (digits + 1) / 2  # 0 background, 1 stroke
    return (background * (1 - alpha) + ink * alpha) * 2 - 1


@functools.cache
def _load(domain: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    d = load_mnist5k(split)
    idx = _half_indices(d.y, domain)
    x, y = d.x[idx], d.y[idx]
    if domain == "grey":
        return x.expand(-1, 3, -1, -1).contiguous(), y
    return colourize(x, torch.Generator().manual_seed(COLOUR_SEEDS[split])), y


def load_colour_pair(domain: str, split: str = "train") -> Data:
    """One domain of the grey/colour pair: ``domain`` is ``"grey"`` or ``"colour"``, ``split`` is ``"train"``
    (2,000 images, 200 per digit) or ``"heldout"`` (500, 50 per digit). Images ``(N, 3, 28, 28)`` in [-1, 1]."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r} of the grey/colour digits; use one of {DOMAINS}")
    if split not in _SPLITS:
        raise ValueError(f"unknown split {split!r} for the {domain} digits; use one of {_SPLITS}")
    x, y = _load(domain, split)
    return Data(f"mnist-{domain}", split, x.clone(), y.clone(), {"halves_of": "mnist5k", "domain": domain})


def load_mnist_grey(split: str = "train") -> Data:
    """The grey half of MNIST-5k's ``split``, white on black over three channels (:func:`load_colour_pair`)."""
    return load_colour_pair("grey", split)


def load_mnist_colour(split: str = "train") -> Data:
    """The coloured half of MNIST-5k's ``split``, on textured colour backgrounds (:func:`load_colour_pair`)."""
    return load_colour_pair("colour", split)
