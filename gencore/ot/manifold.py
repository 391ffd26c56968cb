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
    s = torch.linalg.svdvals(x - x.mean(0))
    return (s**2 / (s**2).sum()).numpy()


def _neighbour_distances(x, k: int, chunk: int = 1024) -> torch.Tensor:
    """Distances ``(N, k)`` from each row of ``x`` to its k nearest other rows, nearest first."""
    x = torch.as_tensor(x, dtype=torch.float64).flatten(1)
    out = []
    for i, part in enumerate(x.split(chunk)):
        d = torch.cdist(part, x)
        d[torch.arange(len(part)), i * chunk + torch.arange(len(part))] = float("inf")  # not itself
        out.append(d.topk(k, dim=1, largest=False).values)
    return torch.cat(out)


def twonn_dimension(x) -> float:
    """TwoNN maximum-likelihood estimate of the intrinsic dimension of ``x`` ``(N, D)`` (distinct rows)."""
    r = _neighbour_distances(x, 2)
    mu = r[:, 1] / r[:, 0]
    return float((len(mu) - 1) / torch.log(mu).sum())


def levina_bickel_dimension(x, k: int = 20) -> float:
    """Levina–Bickel estimate with k neighbours, averaged over the points of ``x`` ``(N, D)``."""
    t = _neighbour_distances(x, k)
    inv = torch.log(t[:, -1:] / t[:, :-1]).sum(1) / (k - 1)  # 1 / m̂_k(x)
    return float(1 / inv.mean())
