"""AE-OT (An et al. 2020), Eq. (ot-aeot) of ``book/ot_geometry.ipynb``: OT from noise to codes.

Codes yᵢ (the data themselves for 2-D toys, an autoencoder's codes for images)
are the targets of a semi-discrete OT map. The map sends all of cell Wᵢ to yᵢ, so
sampling it returns the codes; :func:`aeot_sample` samples a piecewise-linear
extension instead (:func:`piecewise_linear_extension`, :func:`extend`): noise x in a
simplex of the triangulation of the cells' mass centres cᵢ goes to the same
barycentric combination of their codes. Simplices that span a gap between modes
(:func:`piecewise_linear_extension`'s ``stretch`` test) are singular: noise there is
rejected, as is noise outside the centres' convex hull.
"""

from __future__ import annotations

import math
import numbers
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


def mass_centres(model: AEOT, *, per_cell: int = 200, seed: int = 0) -> torch.Tensor:
    """The centres of mass ``(n, d)`` of the n power cells in noise space (Monte Carlo, ``per_cell`` points a cell).

    A cell's centre is the mean of the noise it receives; every cell carries mass 1/n,
    so ``per_cell · n`` uniform points give each about ``per_cell`` of them.
    """
    pot = model.ot.potential
    n, d = pot.targets.shape
    gen = torch.Generator().manual_seed(seed)
    x = sample_source(model.ot.source, per_cell * n, d, gen)
    cell = pot.cells(x)
    counts = torch.bincount(cell, minlength=n).to(x.dtype)
    if (counts == 0).any():
        raise RuntimeError(
            f"{int((counts == 0).sum())} of {n} cells received no noise: the OT fit has not converged"
            " (check model.ot.converged) or per_cell is too small"
        )
    return torch.zeros(n, d, dtype=x.dtype).index_add_(0, cell, x) / counts[:, None]


@dataclass
class Extension:
    """AE-OT's piecewise-linear extension of the OT map: a triangulation of the cells' mass centres.

    ``singular`` ``(m,)`` marks the simplices of ``triangulation.simplices`` ``(m, d + 1)``
    (indices of codes) that span a gap between modes.
    """

    centres: torch.Tensor
    triangulation: object  # scipy.spatial.Delaunay of the centres
    singular: torch.Tensor


def piecewise_linear_extension(model: AEOT, *, stretch: float = 8.0, per_cell: int = 200, seed: int = 0) -> Extension:
    """Triangulate the mass centres cᵢ of the power cells and mark the singular simplices.

    The Delaunay triangulation of the centres stands in for An et al.'s triangulation
    dual to the power diagram. An edge ij of it is stretched by ‖yᵢ − yⱼ‖ / ‖cᵢ − cⱼ‖
    (how far apart its codes are per unit of noise); a simplex is singular when one of
    its edges is stretched more than ``stretch`` times the median edge: its cells send
    neighbouring noise to codes far apart, across a gap between modes. (An et al. test
    the angle between the cells' supporting planes instead, :func:`facet_angles`, which
    for the same jump shrinks as the codes move away from the origin.)
    """
    from scipy.spatial import Delaunay

    y = model.ot.potential.targets
    n, d = y.shape
    if not 2 <= d <= 4:
        raise ValueError(f"the extension triangulates the noise space, which works for d = 2, 3 or 4; got d = {d}")
    if n < d + 2:
        raise ValueError(f"the extension needs at least d + 2 = {d + 2} codes to triangulate, got {n}")
    if not stretch > 1:
        raise ValueError(f"stretch must be above 1 (a multiple of the median edge's), got {stretch!r}")
    centres = mass_centres(model, per_cell=per_cell, seed=seed)
    try:
        tri = Delaunay(centres.numpy())
    except Exception as err:  # scipy's QhullError: the centres lie in a lower-dimensional set
        raise ValueError(f"the cells' mass centres cannot be triangulated (are the codes degenerate?): {err}") from err
    simplices = torch.from_numpy(tri.simplices).long()
    pairs = [(a, b) for a in range(d + 1) for b in range(a + 1, d + 1)]
    ratios = torch.stack(
        [
            (y[simplices[:, a]] - y[simplices[:, b]]).norm(dim=1)
            / (centres[simplices[:, a]] - centres[simplices[:, b]]).norm(dim=1)
            for a, b in pairs
        ],
        1,
    )  # (m, edges)
    singular = ratios.max(1).values > stretch * ratios.median()
    return Extension(centres, tri, singular)


@torch.no_grad()
def extend(model: AEOT, extension: Extension, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """G(x), Eq. (ot-aeot), for noise ``x`` ``(m, d)``: the targets ``(k, d)`` (in the box) of the kept noise, and the
    mask ``(m,)`` of the noise kept (inside a non-singular simplex of the centres' triangulation)."""
    y = model.ot.potential.targets
    tri = extension.triangulation
    d = y.shape[1]
    x = torch.as_tensor(x, dtype=torch.float64)
    simplex = torch.from_numpy(tri.find_simplex(x.numpy())).long()
    keep = simplex >= 0
    keep[keep.clone()] = ~extension.singular[simplex[keep]]
    s = simplex[keep].numpy()
    transform = torch.from_numpy(tri.transform[s])  # (k, d + 1, d): inverse of the vertex matrix, and the offset
    lam = torch.einsum("kij,kj->ki", transform[:, :d], x[keep] - transform[:, d])
    lam = torch.cat([lam, 1 - lam.sum(1, keepdim=True)], 1)  # (k, d + 1) barycentric coordinates
    vertices = torch.from_numpy(tri.simplices[s]).long()
    return (lam[:, :, None] * y[vertices]).sum(1), keep


@torch.no_grad()
def aeot_sample(
    model: AEOT,
    n: int,
    *,
    stretch: float = 8.0,
    seed: int = 0,
    max_rounds: int = 50,
    extension: Extension | None = None,
) -> tuple[torch.Tensor, float]:
    """``n`` generated codes ``(n, d)`` and the share of noise rejected, Eq. (ot-aeot).

    After An et al.'s piecewise-linear extension: noise x that falls in a simplex of the
    triangulation of the mass centres c_{i_0}, ..., c_{i_d} (:func:`piecewise_linear_extension`),
    with barycentric coordinates λ (x = Σₖ λₖ c_{i_k}, Σₖ λₖ = 1, λ ≥ 0), goes to
    G(x) = Σₖ λₖ y_{i_k}. G is affine on each simplex and continuous across shared
    faces (not one-to-one: a simplex may fold over a neighbour). It returns a code
    only on a set of measure zero (at cᵢ, or where a folded simplex passes over a
    code), so a sample is a copy with probability zero. Noise in a singular simplex
    (between modes), or outside the centres' convex hull (a strip along the box's
    edge), is rejected and redrawn. ``stretch`` is used only when no ``extension``
    is given.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a positive integer number of samples, got {n!r}")
    n = int(n)
    ext = extension if extension is not None else piecewise_linear_extension(model, stretch=stretch, seed=seed)
    d = model.ot.potential.targets.shape[1]
    gen = torch.Generator().manual_seed(seed + 1)
    out, drawn, kept = [], 0, 0
    for _ in range(max_rounds):
        x = sample_source(model.ot.source, max(2 * (n - kept), 1000), d, gen)
        z, keep = extend(model, ext, x)
        out.append(z)
        drawn, kept = drawn + len(x), kept + int(keep.sum())
        if kept >= n:
            break
    if kept < n:
        raise RuntimeError(
            f"only {kept} of {n} samples after {max_rounds} rounds: {1 - kept / drawn:.0%} of the noise falls in"
            " singular simplices or outside the centres' hull; raise stretch or max_rounds"
        )
    z = torch.cat(out)[:n]
    return (z * model.scale + model.center).float(), 1 - kept / drawn


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
    """AE-OT on ``codes`` points of a mixture, scored by ``metrics.mode_coverage`` and ``metrics.copy_shares``.

    Returns the coverage of ``samples`` generated points (``modes``, ``hq``,
    ``reverse_kl``, ``spread``) and their shares of copies of a code (``copies_exact``:
    nearer than 1e-4 σ; ``copies_near``: nearer than 0.05 σ); the same scores of the
    codes themselves (``codes_hq``, ...: what a sampler that copies its training
    points would get, with ``codes_copies_exact`` = 1) and of a fresh draw of the
    mixture (``fresh_copies_near``: how often new data fall that near a code by
    chance); the share of noise rejected, the solver's Newton iterations and the seconds.
    """
    from gencore.metrics import copy_shares, mode_coverage

    t0 = time.perf_counter()
    c = mixture_codes(means, std, codes, seed)
    model = fit_aeot(c, record=False)
    z, rejected = aeot_sample(model, samples, seed=seed, **sample_options)
    fresh = mixture_codes(means, std, samples, seed + 10_000)
    scores = mode_coverage(z, means, std) | copy_shares(z, c, std)
    own = {f"codes_{k}": v for k, v in (mode_coverage(c, means, std) | copy_shares(c, c, std)).items()}
    ref = {f"fresh_{k}": v for k, v in copy_shares(fresh, c, std).items()}
    extra = {"rejected": rejected, "iterations": model.ot.iterations, "seconds": time.perf_counter() - t0}
    return scores | own | ref | extra
