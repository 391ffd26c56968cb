"""Checking the arrays that the metrics take."""

from __future__ import annotations

import numpy as np
import torch


def points(x, name: str, dim: int | None = None) -> np.ndarray:
    """``x`` as a float64 array ``(N, d)`` (a 1-D input is read as N points in R^1), finite and non-empty."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty array of points (N, d), got shape {a.shape}")
    if dim is not None and a.shape[1] != dim:
        raise ValueError(f"{name} has points of dimension {a.shape[1]}, expected {dim}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return a


def images(x, name: str = "images", *, refuse_unit_range: bool = False) -> torch.Tensor:
    """``x`` as a float tensor ``(N, C, H, W)`` in [-1, 1], finite and non-empty.

    ``refuse_unit_range``: also refuse images that are nowhere negative, the mark of
    intensities in [0, 1] (a classifier trained on [-1, 1] reads them as other images).
    """
    t = torch.as_tensor(x)
    if t.ndim != 4 or t.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty batch (N, C, H, W), got shape {tuple(t.shape)}")
    if not t.is_floating_point():
        raise ValueError(f"{name} must be floats in [-1, 1], got dtype {t.dtype}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} hold NaN or infinite values")
    lo, hi = float(t.min()), float(t.max())
    if lo < -1 - 1e-3 or hi > 1 + 1e-3:
        hint = ": they look like [0, 255]; pass x / 127.5 - 1" if hi > 2 else ""
        raise ValueError(f"{name} must lie in [-1, 1], got values in [{lo:.4g}, {hi:.4g}]{hint}")
    if refuse_unit_range and lo >= 0:
        raise ValueError(
            f"{name} are nowhere negative (values in [{lo:.4g}, {hi:.4g}]): they look like [0, 1]; "
            "the classifier reads [-1, 1]: pass 2 * x - 1"
        )
    return t


def labels(y, n: int, name: str = "labels", classes: int = 10) -> torch.Tensor:
    """``y`` as an integer tensor ``(n,)`` with values in 0 .. classes - 1."""
    t = torch.as_tensor(y)
    if t.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got {tuple(t.shape)}")
    if len(t) != n:
        raise ValueError(f"{n} images but {len(t)} {name}: give one label per image")
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"{name} must be integers, got dtype {t.dtype}")
    if n and (int(t.min()) < 0 or int(t.max()) >= classes):
        raise ValueError(f"{name} must lie in 0..{classes - 1}, got values from {int(t.min())} to {int(t.max())}")
    return t.long()
