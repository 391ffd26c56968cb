"""Improved precision and recall (Kynkäänniemi et al., 2019), ``book/evaluation.ipynb``.

Each set of feature vectors Φ is given a manifold: the union of balls around its
points, each ball's radius the distance to that point's k-th nearest neighbour in Φ,

    manifold(Φ) = ∪_{φ ∈ Φ} B(φ, ‖φ − NN_k(φ, Φ)‖₂),
    f(φ, Φ)     = 1 if φ ∈ manifold(Φ) else 0,

and with real features Φ_r and generated features Φ_g

    precision = (1/|Φ_g|) Σ_{φ_g ∈ Φ_g} f(φ_g, Φ_r)   (share of samples that look real)
    recall    = (1/|Φ_r|) Σ_{φ_r ∈ Φ_r} f(φ_r, Φ_g)   (share of real data the samples cover)

Eq. (ev-pr) of ``book/evaluation.ipynb``. The paper uses k = 3 and VGG-16 features of
50,000 images per set; the book uses the 128-d features of the shipped
``mnist-classifier`` (as FID does), so the numbers are comparable within the book only.
Distances are computed in float64 blocks of ``chunk`` rows, so that 5,000 × 5,000
points take a fraction of a second and little memory.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from gencore.metrics.arrays import points as _points


class PrecisionRecall(NamedTuple):
    """``precision``: share of generated points inside the real manifold; ``recall``: the reverse."""

    precision: float
    recall: float


def _blocks(a: torch.Tensor, b: torch.Tensor, chunk: int):
    """Squared distances ``(rows, len(b))`` from blocks of ``a`` to all of ``b``, with each block's start."""
    b_sq = (b * b).sum(1)
    for i in range(0, len(a), chunk):
        x = a[i : i + chunk]
        d2 = (x * x).sum(1, keepdim=True) + b_sq - 2 * x @ b.T
        yield i, d2.clamp_(min=0)


def knn_radii(features, k: int = 3, chunk: int = 1000) -> np.ndarray:
    """Distance ``(N,)`` from each of ``features`` ``(N, d)`` to its k-th nearest other point (needs N > k)."""
    a = torch.from_numpy(_points(features, "features"))
    _check_k(k, len(a))
    out = torch.empty(len(a), dtype=torch.float64)
    for i, d2 in _blocks(a, a, chunk):
        # the (k+1)-th smallest, counting the point itself at distance 0
        out[i : i + len(d2)] = d2.kthvalue(k + 1, dim=1).values
    return out.sqrt().numpy()


def manifold_membership(queries, features, radii, chunk: int = 1000) -> np.ndarray:
    """f(φ, Φ) above for each of ``queries`` ``(M, d)``: bool ``(M,)``, whether it lies in some ball
    ``B(features[j], radii[j])``."""
    q = torch.from_numpy(_points(queries, "queries"))
    f = torch.from_numpy(_points(features, "features", dim=q.shape[1]))
    r2 = torch.as_tensor(np.asarray(radii, dtype=np.float64)) ** 2
    if r2.shape != (len(f),):
        raise ValueError(f"need one radius per feature vector ({len(f)}), got shape {tuple(r2.shape)}")
    if not bool(torch.isfinite(r2).all()) or bool((torch.as_tensor(np.asarray(radii, dtype=np.float64)) < 0).any()):
        raise ValueError("radii must be finite and non-negative")
    inside = torch.empty(len(q), dtype=torch.bool)
    for i, d2 in _blocks(q, f, chunk):
        inside[i : i + len(d2)] = (d2 <= r2).any(1)
    return inside.numpy()


def _check_k(k, n: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < n:
        raise ValueError(f"k must be an integer from 1 to the number of points minus 1 ({n - 1}), got {k!r}")


def precision_recall(real_features, fake_features, k: int = 3, chunk: int = 1000) -> PrecisionRecall:
    """Improved precision and recall, Eq. (ev-pr) of ``book/evaluation.ipynb``, of ``fake_features``
    ``(M, d)`` against ``real_features`` ``(N, d)`` with k-NN balls (k = 3 as in the paper).

    Identical sets give (1, 1) (unless points repeat more than k times); a generator
    that repeats a few real images gives precision 1 and a recall near 0; sets far
    apart give (0, 0). Both numbers depend on the set sizes (a ball's radius shrinks
    as its set grows): compare them at the same sizes, as with FID.
    """
    real = _points(real_features, "real_features")
    fake = _points(fake_features, "fake_features", dim=real.shape[1])
    _check_k(k, min(len(real), len(fake)))
    precision = manifold_membership(fake, real, knn_radii(real, k, chunk), chunk).mean()
    recall = manifold_membership(real, fake, knn_radii(fake, k, chunk), chunk).mean()
    return PrecisionRecall(float(precision), float(recall))
