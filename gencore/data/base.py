"""The one container every loader returns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from gencore import rng

SPLITS = ("train", "heldout", "all")


@dataclass(eq=False)
class Data(Dataset):
    """Samples ``x`` with labels ``y`` (class, or mixture component for toy data).

    ``x``: ``(N, C, H, W)`` in ``[-1, 1]`` for images, ``(N, 2)`` for toy data.
    ``y``: ``(N,)`` int64.

    A ``torch.utils.data.Dataset``: ``data[i]`` is the pair ``(x[i], y[i])``, so
    ``DataLoader(data, batch_size=...)`` works as on any data set;
    :meth:`loader` and :meth:`batches` are the seeded shortcuts the book uses.
    """

    name: str
    split: str
    x: torch.Tensor
    y: torch.Tensor
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]

    def __repr__(self) -> str:
        values = f", range=[{self.x.min():.2f}, {self.x.max():.2f}]" if self.x.numel() else ", empty"
        return f"Data({self.name!r}, split={self.split!r}, x={tuple(self.x.shape)}{values})"

    def _check_batch_size(self, batch_size, *, whole: bool) -> int:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if whole and batch_size > len(self):
            raise ValueError(
                f"batch_size {batch_size} is larger than the data set {self.name!r} (split {self.split!r}), "
                f"which holds {len(self)} examples: shuffled batches drop the incomplete last batch, so "
                f"there would be none; use batch_size <= {len(self)} (or load more data)"
            )
        return int(batch_size)

    def loader(self, batch_size: int = 128, *, shuffle: bool = True, seed: int | None = 0) -> DataLoader:
        """A ``DataLoader`` over ``(x, y)``; ``seed`` fixes the shuffling order.

        Shuffled loaders drop the incomplete last batch, so ``batch_size`` may not
        exceed ``len(self)`` (``ValueError``); unshuffled ones keep it.
        """
        batch_size = self._check_batch_size(batch_size, whole=shuffle)
        return DataLoader(
            TensorDataset(self.x, self.y),
            batch_size=batch_size,
            shuffle=shuffle,
            drop_last=shuffle,
            generator=rng(seed),
        )

    def batches(self, batch_size: int = 128, *, seed: int | None = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """An endless iterator of shuffled ``(x, y)`` batches, for training loops.

        Epoch ``e`` is shuffled with seed ``seed + e``. ``batch_size`` must be a
        positive integer no larger than ``len(self)``; a bad one raises
        ``ValueError`` here, at the call, not at the first ``next``.
        """
        batch_size = self._check_batch_size(batch_size, whole=True)
        rng(seed)  # a bad seed raises here, not at the first batch
        return self._endless(batch_size, seed)

    def _endless(self, batch_size: int, seed: int | None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
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
        return Data(name, split, x.clone(), y.clone())  # never hand out the cached tensors themselves
    train, held = stratified_split(y.numpy(), frac)
    idx = torch.as_tensor(train if split == "train" else held)
    return Data(name, split, x[idx], y[idx])
