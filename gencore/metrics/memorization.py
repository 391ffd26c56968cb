"""Does a generator return its training points? Distances from samples to the nearest training point.

A sampler that copies its training set scores perfectly on coverage (every mode,
high quality, the right spread) and well on FID; only the distance to the nearest
training point tells it from one that generates (``book/ot_geometry.ipynb``,
``book/evaluation.ipynb``). Distances are in a ``unit`` the caller names: the
mixture's σ for toy mixtures, or the training points' own mean nearest-neighbour
distance (:func:`nearest_neighbour_spacing`) for codes of no known scale.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from gencore.metrics.arrays import points as _points


def nearest_training_distances(samples, training, chunk: int = 4096) -> np.ndarray:
    """Distance ``(N,)`` from each sample ``(N, d)`` to its nearest point of ``training`` ``(M, d)``."""
    train = torch.from_numpy(_points(training, "training"))
    x = torch.from_numpy(_points(samples, "samples", dim=train.shape[1]))
    return torch.cat([torch.cdist(part, train).min(1).values for part in x.split(chunk)]).numpy()


def nearest_neighbour_spacing(training, chunk: int = 4096) -> float:
    """Mean distance from each training point ``(M, d)`` to its nearest *other* point (duplicates count as 0)."""
    t = torch.from_numpy(_points(training, "training"))
    if len(t) < 2:
        raise ValueError("nearest_neighbour_spacing needs at least two training points")
    out = []
    for start in range(0, len(t), chunk):
        dist = torch.cdist(t[start : start + chunk], t)
        dist[torch.arange(len(dist)), torch.arange(start, start + len(dist))] = np.inf  # not itself
        out.append(dist.min(1).values)
    return float(torch.cat(out).mean())


def copy_shares(samples, training, unit: float, *, exact: float = 1e-4, near: float = 0.05) -> dict[str, float]:
    """Shares of samples that are copies of a training point: ``exact`` (distance < exact·unit), ``near`` (< near·unit).

    Also ``median``: the median distance to the nearest training point, in units.
    """
    if isinstance(unit, torch.Tensor) and unit.numel() == 1:
        unit = unit.item()
    if isinstance(unit, bool) or not isinstance(unit, numbers.Real) or not (np.isfinite(unit) and unit > 0):
        raise ValueError(f"unit must be a positive distance, got {unit!r}")
    unit = float(unit)
    if not 0 < exact <= near:
        raise ValueError(f"need 0 < exact <= near, got exact={exact}, near={near}")
    dist = nearest_training_distances(samples, training) / unit
    return {
        "copies_exact": float((dist < exact).mean()),
        "copies_near": float((dist < near).mean()),
        "copy_distance_median": float(np.median(dist)),
    }
