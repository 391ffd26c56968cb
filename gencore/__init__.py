"""gencore: the small package behind the book *Deep Generative Models, Executed*.

Data flows one way: ``data -> models -> losses -> train -> metrics -> viz/widgets``,
with ``pretrained`` beside ``train``. This top-level module holds only the two
helpers every chapter needs: :func:`device` and :func:`seed`.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__version__ = "0.1.0"

__all__ = ["device", "seed", "full_mode", "__version__"]


def device() -> torch.device:
    """The device every chapter trains on: CUDA when present, else the CPU.

    Set ``GENCORE_DEVICE=cpu`` (or ``cuda:1``...) to override. Code in the book
    never calls ``.cuda()``; it moves tensors with ``.to(gencore.device())``.
    """
    name = os.environ.get("GENCORE_DEVICE")
    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed(n: int) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA) with ``n``.

    Also asks torch for deterministic algorithms where it has them
    (``warn_only=True``: ops without a deterministic version warn, not fail).
    Returns a ``torch.Generator`` seeded with ``n`` for code that wants its own
    stream.
    """
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"seed must be a non-negative integer, got {n!r}")
    n = int(n)
    random.seed(n)
    np.random.seed(n % 2**32)
    torch.manual_seed(n)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(n)
    torch.use_deterministic_algorithms(True, warn_only=True)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return torch.Generator().manual_seed(n)


def full_mode() -> bool:
    """True when ``GENCORE_FULL=1``: chapters retrain everything from scratch."""
    return os.environ.get("GENCORE_FULL", "0") not in ("", "0", "false", "False")
