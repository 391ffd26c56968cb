"""AE-OT (An et al. 2020), Eq. (ot-aeot) of ``book/ot_geometry.ipynb``: OT from noise to codes.

Codes yᵢ (the data themselves for 2-D toys, an autoencoder's codes for images)
are the targets of a semi-discrete OT map; :func:`aeot_sample` draws noise x,
finds its two best cells i, j and blends yᵢ, yⱼ piecewise linearly in the
distance to their common facet, unless the angle between the cells' supporting
planes exceeds θ̂: then the facet belongs to the singular set between modes and
samples within the band around it are rejected.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from gencore.ot.semidiscrete import OTResult, check_targets, sample_source, solve, solve_exact


def facet_angles(targets: torch.Tensor, i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
    """Angle (radians) between the supporting planes of cells i and j: their normals (yᵢ, −1), (yⱼ, −1)."""
    ni = torch.cat([targets[i], -torch.ones(len(i), 1, dtype=targets.dtype)], 1)
    nj = torch.cat([targets[j], -torch.ones(len(j), 1, dtype=targets.dtype)], 1)
    cos = (ni * nj).sum(1) / (ni.norm(dim=1) * nj.norm(dim=1))
    return torch.arccos(cos.clamp(-1, 1))


@dataclass
class AEOT:
    """An AE-OT generator: the OT fit to the codes put into the box, and how to take them out again.

    ``center`` ``(d,)`` and ``scale`` map codes c to targets y = (c − center) / scale in [−1, 1]^d.
    """

    ot: OTResult
    center: torch.Tensor
    scale: float


def fit_aeot(codes, *, source: str = "uniform", seed: int = 0, **solve_options) -> AEOT:
    """OT from noise to the codes ``(n, d)`` (each of mass 1/n), centred and scaled into the box [−1, 1]^d.

    Codes in the plane with a uniform source use the exact solver :func:`solve_exact`
    (``tol`` 1e-3 unless given); others :func:`solve` (Monte Carlo, Adam, ``seed``).
    """
    c = check_targets(codes, "codes")
    if len(c) < 2:
        raise ValueError(f"fit_aeot needs at least 2 distinct codes, got {len(c)}")
    center = c.mean(0)
    scale = float((c - center).abs().max())
    y = (c - center) / scale
    if c.shape[1] == 2 and source == "uniform":
        return AEOT(solve_exact(y, **solve_options), center, scale)
    return AEOT(solve(y, source=source, seed=seed, **solve_options), center, scale)


@torch.no_grad()
def aeot_sample(
    model: AEOT, n: int, *, angle: float = 0.2, band: float = 1.0, seed: int = 0, max_rounds: int = 50
) -> tuple[torch.Tensor, float]:
    """``n`` generated codes ``(n, d)`` and the share of noise rejected, Eq. (ot-aeot).

    For noise x with best cells i, j (scores sᵢ ≥ sⱼ), the distance to their common
    facet is δ = (sᵢ − sⱼ)/‖yᵢ − yⱼ‖ (in units of r, the mean distance between a code
    and its nearest other code). If the angle between the two cells' supporting
    planes is at most ``angle`` the output is (1 − λ) yᵢ + λ yⱼ with
    λ = ½ max(0, 1 − δ/(band·r)): continuous across the facet, yᵢ deep inside the cell.
    Otherwise the facet is singular, and x is rejected when δ < band·r.
    """
    pot = model.ot.potential
    y = pot.targets
    r = _mean_nn_distance(y)
    gen = torch.Generator().manual_seed(seed)
    out, drawn, kept = [], 0, 0
    for _ in range(max_rounds):
        x = sample_source(model.ot.source, max(2 * (n - kept), 1000), y.shape[1], gen)
        s, idx = pot.top(x, 2)
        i, j = idx[:, 0], idx[:, 1]
        gap = (s[:, 0] - s[:, 1]) / (y[i] - y[j]).norm(dim=1).clamp_min(1e-12)  # distance to the facet
        lam = 0.5 * (1 - gap / (band * r)).clamp_min(0)
        singular = facet_angles(y, i, j) > angle
        keep = ~(singular & (lam > 0))
        lam = torch.where(singular, torch.zeros_like(lam), lam)
        z = (1 - lam[:, None]) * y[i] + lam[:, None] * y[j]
        out.append(z[keep])
        drawn, kept = drawn + len(x), kept + int(keep.sum())
        if kept >= n:
            break
    z = torch.cat(out)[:n]
    return (z * model.scale + model.center).float(), 1 - kept / drawn


def _mean_nn_distance(y: torch.Tensor, chunk: int = 2048) -> float:
    """Mean distance from each row of ``y`` to its nearest other row."""
    d = []
    for part in y.split(chunk):
        dist = torch.cdist(part, y)
        dist[dist == 0] = math.inf
        d.append(dist.min(1).values)
    return float(torch.cat(d).mean())


def mixture_codes(means, std: float, n: int, seed: int) -> torch.Tensor:
    """``n`` points ``(n, 2)`` of the equal-weight mixture (``means``, ``std``), drawn as ``data.toy2d`` draws them."""
    means = torch.as_tensor(means, dtype=torch.float32)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not (math.isfinite(std) and std >= 0) or means.ndim != 2 or len(means) == 0:
        raise ValueError(f"need means (K, d) and a finite std >= 0, got shape {tuple(means.shape)} and {std!r}")
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(len(means), (n,), generator=gen)
    return means[y] + std * torch.randn(n, means.shape[1], generator=gen)


def aeot_coverage(means, std: float, seed: int, *, codes: int = 1000, samples: int = 2500, **sample_options) -> dict:
    """AE-OT on ``codes`` points of a mixture, scored by ``metrics.mode_coverage`` on ``samples`` generated points.

    Returns the coverage (``modes``, ``hq``, ``reverse_kl``, ``spread``), the same
    scores of the codes themselves (``codes_hq``, ...: what a sampler that copies
    its training points would get), the share rejected by the angle test, the
    solver's Newton iterations and the seconds.
    """
    from gencore.metrics import mode_coverage

    t0 = time.perf_counter()
    c = mixture_codes(means, std, codes, seed)
    model = fit_aeot(c, record=False)
    z, rejected = aeot_sample(model, samples, seed=seed, **sample_options)
    cov = mode_coverage(z, means, std)
    own = {f"codes_{k}": v for k, v in mode_coverage(c, means, std).items()}
    return cov | own | {"rejected": rejected, "iterations": model.ot.iterations, "seconds": time.perf_counter() - t0}
