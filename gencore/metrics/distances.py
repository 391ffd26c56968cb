"""Distances between two sets of samples.

Exact Wasserstein distances between two empirical distributions (equal weights),
by linear programming with POT's ``ot.emd2``:

    W_p(a, b) = ( min_{γ ∈ Π(a, b)} Σ_ij γ_ij ‖a_i − b_j‖₂^p )^{1/p}

The Fréchet distance between Gaussians fitted to two feature sets (FID when the
features are a classifier's; ``book/evaluation.ipynb``):

    FD(a, b) = ‖μ_a − μ_b‖₂² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2})

(one source writes ‖μ_a − μ_b‖ without the square: the mean term is squared.)

A critic's gap E_a[f] − E_b[f], the batch estimate of the Kantorovich–Rubinstein dual
``sup_{‖f‖_L ≤ 1} E_a[f] − E_b[f] = W_1`` when f is 1-Lipschitz (``book/wgan_gp.ipynb``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

import gencore
from gencore.metrics.arrays import points as _points


def wasserstein(samples_a, samples_b, p: int = 1) -> float:
    """The exact p-Wasserstein distance between two point clouds (uniform weights).

    ``samples_a`` ``(N, d)`` and ``samples_b`` ``(M, d)`` (1-D arrays are read as
    points in R^1); ``p`` is 1 or 2; ground cost: Euclidean distance to the power
    ``p``. Solved exactly by POT's network simplex ``ot.emd2``: O(N·M) memory,
    fine up to a few thousand points.
    """
    import ot

    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p!r}")
    a = _points(samples_a, "samples_a")
    b = _points(samples_b, "samples_b", dim=a.shape[1])
    cost = ot.dist(a, b, metric="euclidean")
    if p == 2:
        cost = cost**2
    wa = np.full(len(a), 1.0 / len(a))
    wb = np.full(len(b), 1.0 / len(b))
    value = float(ot.emd2(wa, wb, cost, numItermax=10_000_000))
    return value ** (1.0 / p)


def frechet_distance(feats_a, feats_b, eps: float = 1e-6) -> float:
    """Eq. (ev-fid) of ``book/evaluation.ipynb``: the Fréchet distance of Gaussians fitted to two feature sets.

    ``feats_a`` ``(N, d)``, ``feats_b`` ``(M, d)``.

    Numerics as pytorch-fid: ``scipy.linalg.sqrtm`` of Σ_a Σ_b; if that is not
    finite, ``eps`` is added to both diagonals; a complex result whose
    imaginary diagonal exceeds 1e-3 raises ``ValueError``.
    """
    from scipy import linalg

    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps >= 0):
        raise ValueError(f"eps must be a non-negative number, got {eps!r}")

    a, b = _points(feats_a, "feats_a"), _points(feats_b, "feats_b", dim=_points(feats_a, "feats_a").shape[1])
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each feature set needs at least 2 rows to estimate a covariance")
    if min(len(a), len(b)) <= a.shape[1]:
        warnings.warn(
            f"Fréchet distance from {len(a)} and {len(b)} samples of {a.shape[1]}-d features: with no more samples "
            "than dimensions the covariance is singular and the value is dominated by its bias; use more samples",
            stacklevel=2,
        )
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():
        # Dead ReLU features make the covariances singular; scipy then warns even when the
        # root is accurate. Accuracy is checked below (finite, small imaginary part).
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        try:
            covmean = linalg.sqrtm(s_a @ s_b)
            if not np.isfinite(covmean).all():
                offset = np.eye(len(s_a)) * eps
                covmean = linalg.sqrtm((s_a + offset) @ (s_b + offset))
        except (linalg.LinAlgError, ValueError) as err:
            raise ValueError(
                f"the square root of Σ_a Σ_b failed ({err}): the features are too large or degenerate"
            ) from None
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(
                f"matrix square root has a large imaginary part ({np.abs(covmean.imag).max():.3g}); "
                "use more samples than feature dimensions or a larger eps"
            )
        covmean = covmean.real
    diff = mu_a - mu_b
    value = float(diff @ diff + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(covmean))
    if not np.isfinite(value):
        raise ValueError(f"the Fréchet distance is {value}: the features are too large or degenerate")
    return value


@torch.no_grad()
def critic_gap(critic, samples_a: torch.Tensor, samples_b: torch.Tensor) -> float:
    """E_a[f] − E_b[f] for a critic f (N, ...) -> (N,), evaluated in eval mode (restored afterwards)."""
    with gencore.eval_mode(critic):
        gap = (critic(samples_a).mean() - critic(samples_b).mean()).item()
    if not np.isfinite(gap):
        raise ValueError(f"the critic gap is {gap}: the critic's outputs (or the samples) are not finite")
    return gap


def kernel_distance(feats_a, feats_b) -> float:
    """KID (Bińkowski et al. 2018), Eq. (ev-kid) of ``book/evaluation.ipynb``: the unbiased MMD² with a cubic kernel.

    k(x, y) = (xᵀy / d + 1)³ on features ``(N, d)`` and ``(M, d)``; the unbiased
    estimator leaves out the diagonal terms k(x, x), so its expectation is the
    population MMD² at every sample size (0 for two samples of one distribution;
    a single estimate can be slightly negative).
    """
    a = torch.from_numpy(_points(feats_a, "feats_a"))
    b = torch.from_numpy(_points(feats_b, "feats_b", dim=a.shape[1]))
    n, m, d = len(a), len(b), a.shape[1]
    if n < 2 or m < 2:
        raise ValueError(f"kernel_distance needs at least two points on each side, got {n} and {m}")
    kaa, kbb, kab = ((a @ a.T) / d + 1) ** 3, ((b @ b.T) / d + 1) ** 3, ((a @ b.T) / d + 1) ** 3
    within_a = (kaa.sum() - kaa.diagonal().sum()) / (n * (n - 1))
    within_b = (kbb.sum() - kbb.diagonal().sum()) / (m * (m - 1))
    return float(within_a + within_b - 2 * kab.mean())
