"""The one container every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

SPLITS = ("train", "heldout", "all")


@dataclass
class Data:
    """Samples ``x`` with labels ``y`` (class, or mixture component for toy data).

    ``x``: ``(N, C, H, W)`` in ``[-1, 1]`` for images, ``(N, 2)`` for toy data.
    ``y``: ``(N,)`` int64.
    """

    name: str
    split: str
    x: torch.Tensor
    y: torch.Tensor
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        return (
            f"Data({self.name!r}, split={self.split!r}, x={tuple(self.x.shape)}, "
            f"range=[{self.x.min():.2f}, {self.x.max():.2f}])"
        )

    def loader(self, batch_size: int = 128, *, shuffle: bool = True, seed: int | None = 0) -> DataLoader:
        """A ``DataLoader`` over ``(x, y)``; ``seed`` fixes the shuffling order."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        return DataLoader(
            TensorDataset(self.x, self.y),
            batch_size=batch_size,
            shuffle=shuffle,
            drop_last=shuffle,
            generator=gen,
        )

    def batches(self, batch_size: int = 128, *, seed: int | None = 0):
        """An endless iterator of shuffled ``(x, y)`` batches, for training loops."""
        epoch = 0
        while True:
            s = None if seed is None else seed + epoch
            yield from self.loader(batch_size, shuffle=True, seed=s)
            epoch += 1


def stratified_split(y: np.ndarray, heldout_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fixed train / held-out indices with the same class proportions in each."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(len(idx) * heldout_fraction))
        held.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held))


def select_split(name: str, x: torch.Tensor, y: torch.Tensor, split: str, frac: float) -> Data:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for {name!r}; use one of {SPLITS}")
    if split == "all":
        return Data(name, split, x, y)
    train, held = stratified_split(y.numpy(), frac)
    idx = torch.as_tensor(train if split == "train" else held)
    return Data(name, split, x[idx], y[idx])
