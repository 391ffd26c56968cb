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
