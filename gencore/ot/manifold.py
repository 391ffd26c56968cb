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
    x = x - x.mean(0)
    var = torch.linalg.eigvalsh(x.T @ x).flip(0).clamp_min(0)  # the covariance's eigenvalues, largest first
    return (var / var.sum()).numpy()


def neighbour_distances(x, k: int, chunk: int = 1024) -> torch.Tensor:
    """Distances ``(N, k)`` (float32) from each row of ``x`` ``(N, ...)`` to its k nearest other rows, nearest first."""
    x = torch.as_tensor(x, dtype=torch.float32).flatten(1)
    out = []
    for i, part in enumerate(x.split(chunk)):
        d = torch.cdist(part, x)
        d[torch.arange(len(part)), i * chunk + torch.arange(len(part))] = float("inf")  # not itself
        out.append(d.topk(k, dim=1, largest=False).values)
    return torch.cat(out)


def twonn_dimension(distances: torch.Tensor) -> float:
    """TwoNN maximum-likelihood estimate from :func:`neighbour_distances` ``(N, ≥ 2)`` of distinct points."""
    r = distances[distances[:, 0] > 0].double()  # a duplicate point has no ratio
    mu = r[:, 1] / r[:, 0]
    return float((len(mu) - 1) / torch.log(mu).sum())


def levina_bickel_dimension(distances: torch.Tensor) -> float:
    """Levina–Bickel estimate with k = ``distances.shape[1]`` neighbours: the inverse of the mean of 1/m̂_k(x).

    Averaging the inverses (MacKay and Ghahramani's correction) rather than m̂_k(x)
    itself: 1/x is convex, so noise in each point's denominator inflates a plain mean.
    """
    t = distances[distances[:, 0] > 0].double()
    inv = torch.log(t[:, -1:] / t[:, :-1]).sum(1) / (t.shape[1] - 1)  # 1 / m̂_k(x)
    return float(1 / inv.mean())
