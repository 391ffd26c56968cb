"""Intrinsic dimension of a point cloud (``book/ot_geometry.ipynb``): PCA spectrum and two neighbour estimators.

- PCA: the share of variance along each principal axis; a linear estimate is the
  number of axes needed for a share (say 90 %).
- TwoNN (Facco et al. 2017): for each point the ratio μ = r₂/r₁ of its second to
  first neighbour distance is Pareto distributed, P(μ > t) = t^(−m), on a manifold
  of dimension m; the maximum-likelihood m̂ = (N − 1) / Σ log μᵢ.
- Levina and Bickel (2005): m̂_k(x) = [(1/(k − 1)) Σ_{j<k} log(T_k(x)/T_j(x))]⁻¹ from the
  distances T_j to the j-th neighbour; averaged over points as MacKay and
  Ghahramani suggest (the mean of the inverses, inverted).
"""

from __future__ import annotations

import numpy as np
import torch


def pca_spectrum(x) -> np.ndarray:
    """Shares of variance ``(min(N, D),)`` along the principal axes of ``x`` ``(N, D)``, largest first."""
    x = torch.as_tensor(x, dtype=torch.float64).flatten(1)
    if len(x) < 2 or not bool(torch.isfinite(x).all()):
        raise ValueError(f"x must be at least 2 finite points (N, D), got shape {tuple(x.shape)}")
    x = x - x.mean(0)
    var = torch.linalg.eigvalsh(x.T @ x).flip(0).clamp_min(0)  # the covariance's eigenvalues, largest first
    if float(var.sum()) == 0:
        raise ValueError("all points of x are equal: there is no variance to share")
    return (var / var.sum()).numpy()


def neighbour_distances(x, k: int, chunk: int = 1024) -> torch.Tensor:
    """Distances ``(N, k)`` (float32) from each row of ``x`` ``(N, ...)`` to its k nearest other rows, nearest first."""
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.ndim < 2:
        raise ValueError(f"x must be points (N, ...), got shape {tuple(x.shape)}")
    x = x.flatten(1)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k < len(x):
        raise ValueError(f"k must be an integer from 1 to the number of points minus 1 ({len(x) - 1}), got {k!r}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x holds NaN or infinite values")
    out = []
    for i, part in enumerate(x.split(chunk)):
        d = torch.cdist(part, x)
        d[torch.arange(len(part)), i * chunk + torch.arange(len(part))] = float("inf")  # not itself
        out.append(d.topk(k, dim=1, largest=False).values)
    return torch.cat(out)


def twonn_dimension(distances: torch.Tensor) -> float:
    """TwoNN maximum-likelihood estimate from :func:`neighbour_distances` ``(N, ≥ 2)`` of distinct points."""
    r = _distinct(distances, 2).double()  # a duplicate point has no ratio
    mu = r[:, 1] / r[:, 0]
    total = float(torch.log(mu).sum())
    if total <= 1e-6 * len(mu):  # float32 distances: equal up to rounding
        raise ValueError("every point's two nearest neighbours are equally far: the cloud is degenerate (a lattice?)")
    return (len(mu) - 1) / total


def levina_bickel_dimension(distances: torch.Tensor) -> float:
    """Levina–Bickel estimate with k = ``distances.shape[1]`` neighbours: the inverse of the mean of 1/m̂_k(x).

    Averaging the inverses (MacKay and Ghahramani's correction) rather than m̂_k(x)
    itself: 1/x is convex, so noise in each point's denominator inflates a plain mean.
    """
    t = _distinct(distances, 2).double()
    inv = torch.log(t[:, -1:] / t[:, :-1]).sum(1) / (t.shape[1] - 1)  # 1 / m̂_k(x)
    if float(inv.mean()) <= 1e-6:  # float32 distances: equal up to rounding
        raise ValueError("every point's k nearest neighbours are equally far: the cloud is degenerate")
    return float(1 / inv.mean())


def _distinct(distances: torch.Tensor, least_k: int) -> torch.Tensor:
    """The rows of ``distances`` ``(N, k)`` whose nearest neighbour is no duplicate (at least 2; k ≥ ``least_k``)."""
    d = torch.as_tensor(distances)
    if d.ndim != 2 or d.shape[1] < least_k:
        raise ValueError(f"distances must be (N, k) with k ≥ {least_k} neighbours, got shape {tuple(d.shape)}")
    if not bool(torch.isfinite(d).all()):
        raise ValueError("distances hold NaN or infinite values (fewer points than k + 1?)")
    kept = d[d[:, 0] > 0]
    if len(kept) < 2:
        raise ValueError(f"only {len(kept)} of {len(d)} points have a nearest neighbour at a distance > 0: need 2")
    return kept
