"""Figures: one image-grid helper, 2-D scatter/density plots, loss curves, PNG export."""

from __future__ import annotations

import io

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import torch
from torchvision.utils import make_grid


def grid_array(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """Images ``(N, C, H, W)`` in ``[-1, 1]`` -> one ``(H', W')`` or ``(H', W', 3)`` array in ``[0, 1]``."""
    images = torch.as_tensor(images).detach().float().cpu()
    if images.ndim == 3:
        images = images.unsqueeze(1)
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(images.shape)}")
    g = make_grid(images.clamp(-1, 1), nrow=nrow, padding=padding, normalize=True, value_range=(-1, 1), pad_value=1)
    arr = g.permute(1, 2, 0).numpy()
    return arr[..., 0] if images.shape[1] == 1 else arr


def image_grid(images: torch.Tensor, nrow: int = 8, *, ax=None, title: str | None = None, padding: int = 2):
    """Show ``(N, C, H, W)`` images in ``[-1, 1]`` as one grid; returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(min(8, 0.6 * nrow + 1),) * 2)
    ax.imshow(grid_array(images, nrow, padding), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def scatter2d(points, *, ax=None, c=None, means=None, s: float = 2, title: str | None = None, lim=None, **kw):
    """Scatter ``(N, 2)`` points; ``means`` ``(K, 2)`` are drawn as red crosses."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    p = np.asarray(torch.as_tensor(points).detach().cpu())
    ax.scatter(p[:, 0], p[:, 1], s=s, c=c, **kw)
    if means is not None:
        m = np.asarray(torch.as_tensor(means).cpu())
        ax.scatter(m[:, 0], m[:, 1], marker="x", c="red", s=40, linewidths=1.5)
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def density2d(values: np.ndarray, extent: tuple[float, float, float, float], *, ax=None, title=None, cmap="viridis"):
    """Show a density evaluated on a grid (rows = y, columns = x)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(np.asarray(values), origin="lower", extent=extent, cmap=cmap, aspect="auto")
    if title:
        ax.set_title(title)
    return ax


def loss_curves(history, keys: list[str] | None = None, *, ax=None, smooth: int = 1, title: str | None = None):
    """Plot the losses a :class:`gencore.train.History` logged (moving average over ``smooth`` steps)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for k in keys or sorted(history.losses):
        v = np.asarray(history.losses[k], dtype=float)
        if smooth > 1 and len(v) >= smooth:
            v = np.convolve(v, np.ones(smooth) / smooth, mode="valid")
        ax.plot(history.steps[-len(v) :], v, label=k)
    ax.set_xlabel("step")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def to_png(frame, *, dpi: int = 72) -> bytes:
    """PNG bytes of a frame: a matplotlib Figure (closed afterwards), PNG bytes, an image
    tensor ``(C, H, W)``/``(N, C, H, W)`` in ``[-1, 1]``, or an array ``(H, W[, 3])`` in ``[0, 1]``."""
    if isinstance(frame, bytes):
        return frame
    buf = io.BytesIO()
    if isinstance(frame, matplotlib.figure.Figure):
        frame.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        plt.close(frame)
        return buf.getvalue()
    if isinstance(frame, torch.Tensor):
        frame = grid_array(frame if frame.ndim == 4 else frame.unsqueeze(0), nrow=8, padding=0)
    arr = np.clip(np.asarray(frame, dtype=float), 0, 1)
    if arr.ndim not in (2, 3):
        raise ValueError(f"cannot turn an array of shape {arr.shape} into an image")
    plt.imsave(buf, arr, cmap="gray", vmin=0, vmax=1, format="png")
    return buf.getvalue()
