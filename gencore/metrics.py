"""Metrics on samples: how well a generator's samples match a target.

Mode coverage on the 2-D mixtures (``book/mode_collapse.ipynb``), after
VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018):

    high quality (hq):  ‖x − μ_{k(x)}‖ ≤ 3σ, with k(x) = argmin_k ‖x − μ_k‖       (hq)
    modes:              #{k : some high-quality sample has k(x) = k}              (modes)
    reverse KL:         KL(p̂ ‖ u) = Σ_k p̂_k log(K p̂_k),                         (rkl)
                        p̂_k = share of the high-quality samples nearest to μ_k, u = 1/K

Exact Wasserstein distances between two empirical distributions (equal
weights), by linear programming with POT's ``ot.emd2``:

    W_p(a, b) = ( min_{γ ∈ Π(a, b)} Σ_ij γ_ij ‖a_i − b_j‖₂^p )^{1/p}              (wp)

Sharpness of images (``book/vae.ipynb``, the blur of a VAE), the mean absolute
discrete Laplacian of the intensities u = (x + 1)/2 in [0, 1]:

    S(x) = mean_{i,j} |u_{i-1,j} + u_{i+1,j} + u_{i,j-1} + u_{i,j+1} − 4 u_{i,j}|   (sharpness)

More metrics (Fréchet distance, FID, IS, PPL) will join this module.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["mode_coverage", "wasserstein", "laplacian_sharpness"]


def _points(x, name: str, dim: int | None = None) -> np.ndarray:
    """``x`` as a float64 array ``(N, d)`` (a 1-D input is read as N points in R^1)."""
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


def mode_coverage(samples, means, std: float) -> dict[str, float]:
    """Eqs. (hq), (modes), (rkl): how many modes of a mixture the samples cover, and how well.

    ``samples`` ``(N, d)``, ``means`` ``(K, d)`` (tensors or arrays), ``std``: the
    mixture's common standard deviation σ. Returns

    - ``modes``: number of modes with at least one high-quality sample (0..K);
    - ``hq``: fraction of samples within 3σ of their nearest mean, in [0, 1];
    - ``reverse_kl``: KL(p̂ ‖ uniform) in nats, where p̂ is the histogram of the
      *high-quality* samples over their nearest modes; 0 when they are spread
      evenly, log K when they all sit on one mode (``inf`` when no sample is
      high quality, which is the limit of the definition).

    ``modes`` and ``hq`` follow VEEGAN's Table 1 (2,500 samples, 3σ, "modes
    captured" = components whose mean is nearest to at least one high-quality
    sample), which reports no KL. The reverse KL is *our* definition: PacGAN's
    Table 1 reports a reverse KL between the distribution over modes induced by
    the generated samples and the uniform one, and its wording leaves open
    whether every sample or only the high-quality ones are counted. Compare
    our KL with theirs as the same idea, not as the same number.
    """
    means_a = _points(means, "means")
    x = _points(samples, "samples", dim=means_a.shape[1])
    if not (isinstance(std, (int, float, np.floating)) and std > 0 and math.isfinite(std)):
        raise ValueError(f"std must be a positive number, got {std!r}")
    k = means_a.shape[0]
    d2 = ((x[:, None, :] - means_a[None, :, :]) ** 2).sum(-1)  # (N, K) squared distances
    nearest = d2.argmin(1)
    good = d2[np.arange(len(x)), nearest] <= (3.0 * std) ** 2  # Eq. (hq)
    counts = np.bincount(nearest[good], minlength=k)
    n_good = int(counts.sum())
    if n_good == 0:
        rkl = math.inf
    else:
        p = counts[counts > 0] / n_good  # 0 log 0 = 0
        rkl = float((p * np.log(p * k)).sum())  # Eq. (rkl)
    return {"modes": int((counts > 0).sum()), "hq": n_good / len(x), "reverse_kl": max(rkl, 0.0)}


def wasserstein(samples_a, samples_b, p: int = 1) -> float:
    """Eq. (wp): the exact p-Wasserstein distance between two point clouds (uniform weights).

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


def laplacian_sharpness(images: torch.Tensor) -> torch.Tensor:
    """Eq. (sharpness): per-image mean |Laplacian| of ``images`` ``(N, C, H, W)`` in [-1, 1] -> ``(N,)``.

    Computed on intensities (x + 1)/2 in [0, 1] over the interior pixels (no
    padding), channels averaged. A constant image scores 0; blurring lowers the
    score; a binary checkerboard scores the maximum, 4.
    """
    x = torch.as_tensor(images).detach().float()
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(x.shape)}")
    kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], device=x.device)
    u = ((x + 1) / 2).flatten(0, 1).unsqueeze(1)  # (N·C, 1, H, W)
    lap = torch.nn.functional.conv2d(u, kernel.view(1, 1, 3, 3))
    return lap.abs().mean(dim=(1, 2, 3)).view(x.shape[0], x.shape[1]).mean(1)
