"""Semi-discrete optimal transport (``book/ot_geometry.ipynb``), Eqs. (ot-brenier) and (ot-energy).

The source μ is continuous (uniform on [−1, 1]^d or a standard Gaussian); the
target ν = Σᵢ νᵢ δ_{yᵢ}. The Brenier potential u_h(x) = maxᵢ (⟨x, yᵢ⟩ + hᵢ) splits
space into the cells of a power diagram, Wᵢ(h) = {x : argmax = i}; its gradient
x ↦ y_{argmax} is the optimal map once every cell carries its target mass,
wᵢ(h) = μ(Wᵢ(h)) = νᵢ. That h minimises the convex energy
E(h) = ∫ u_h dμ − Σᵢ νᵢ hᵢ, whose gradient is ∂E/∂hᵢ = wᵢ(h) − νᵢ.
:func:`solve` runs Adam on h with Monte Carlo cell masses (any d, either source);
:func:`solve_exact` runs damped Newton with exact cells (uniform source, d = 2).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

SOURCES = ("uniform", "gaussian")


def sample_source(source: str, n: int, d: int, gen: torch.Generator) -> torch.Tensor:
    """``n`` points ``(n, d)`` (float64) of the source: ``uniform`` on [−1, 1]^d or a standard ``gaussian``."""
    _count(n, "n", 0)
    _count(d, "d", 1)
    if source == "uniform":
        return 2 * torch.rand(n, d, generator=gen, dtype=torch.float64) - 1
    if source == "gaussian":
        return torch.randn(n, d, generator=gen, dtype=torch.float64)
    raise ValueError(f"unknown source {source!r}; known: {', '.join(SOURCES)}")


def check_targets(targets, name: str = "targets") -> torch.Tensor:
    """``targets`` as float64 ``(n, d)``, n ≥ 1, d ≥ 1, finite and distinct (two equal targets share one cell)."""
    y = torch.as_tensor(targets, dtype=torch.float64)
    if y.ndim != 2 or y.shape[0] == 0 or y.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty array of points (n, d), got shape {tuple(y.shape)}")
    if not bool(torch.isfinite(y).all()):
        raise ValueError(f"{name} hold NaN or infinite values")
    uniq, inverse = torch.unique(y, dim=0, return_inverse=True)
    if len(uniq) < len(y):
        first = torch.full((len(uniq),), -1, dtype=torch.long)
        for row, u in enumerate(inverse.tolist()):
            if first[u] >= 0:
                raise ValueError(
                    f"{name} hold duplicate points (rows {int(first[u])} and {row} are equal): "
                    f"{len(y) - len(uniq)} duplicates; drop them (and add their weights to the one kept)"
                )
            first[u] = row
    return y


def check_weights(nu, n: int) -> torch.Tensor:
    """``nu`` as float64 ``(n,)``: finite, positive, summing to 1."""
    w = torch.as_tensor(nu, dtype=torch.float64)
    if w.shape != (n,):
        raise ValueError(f"nu must have one weight per target, shape ({n},), got {tuple(w.shape)}")
    if not bool(torch.isfinite(w).all()):
        raise ValueError("nu holds NaN or infinite weights")
    if bool((w <= 0).any()):
        raise ValueError(f"nu must be positive weights, got a smallest weight of {float(w.min()):.4g}")
    if abs(float(w.sum()) - 1) > 1e-9:
        raise ValueError(f"nu must sum to 1, sums to {float(w.sum()):.10g}")
    return w


def _count(value, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}")
    return int(value)


def _positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive, finite number, got {value!r}")
    return float(value)


@dataclass
class BrenierPotential:
    """u_h(x) = maxᵢ (⟨x, yᵢ⟩ + hᵢ), Eq. (ot-brenier): ``targets`` y ``(n, d)`` and heights h ``(n,)`` (float64)."""

    targets: torch.Tensor
    h: torch.Tensor
    chunk: int = 2048

    def top(self, x: torch.Tensor, k: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        """The k largest ⟨x, yᵢ⟩ + hᵢ ``(N, k)`` and their cells ``(N, k)``, in chunks of ``chunk`` points."""
        x = x.to(self.targets.dtype)
        vals, idx = [], []
        for part in x.split(self.chunk):
            v, i = torch.topk(torch.addmm(self.h.to(self.targets.dtype), part, self.targets.T), k, dim=1)
            vals.append(v)
            idx.append(i)
        return torch.cat(vals), torch.cat(idx)

    def cells(self, x: torch.Tensor) -> torch.Tensor:
        """Index of the power cell ``(N,)`` that holds each point of ``x`` ``(N, d)``."""
        return self.top(x)[1][:, 0]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """u_h(x) ``(N,)``."""
        return self.top(x)[0][:, 0]

    def transport(self, x: torch.Tensor) -> torch.Tensor:
        """The OT map ∇u_h(x) = y_{argmax} ``(N, d)``."""
        return self.targets[self.cells(x)]

    def masses(self, x: torch.Tensor) -> torch.Tensor:
        """Monte Carlo cell masses wᵢ(h) ``(n,)``: the share of the source sample ``x`` in each cell."""
        return torch.bincount(self.cells(x), minlength=len(self.targets)).to(torch.float64) / len(x)


@dataclass
class OTResult:
    """What :func:`solve` returns: the potential and the history of the fit.

    ``history``: one dict per recorded iteration with ``iteration``, ``h`` (a copy),
    ``max_error`` (maxᵢ |wᵢ − νᵢ| / νᵢ on the check sample) and ``seconds``.
    """

    potential: BrenierPotential
    nu: torch.Tensor
    source: str
    history: list[dict] = field(default_factory=list)
    converged: bool = False

    @property
    def iterations(self) -> int:
        return self.history[-1]["iteration"] if self.history else 0

    def mass_errors(self, x: torch.Tensor) -> torch.Tensor:
        """Relative mass errors (wᵢ − νᵢ) / νᵢ ``(n,)`` measured on source points ``x``."""
        return (self.potential.masses(x) - self.nu) / self.nu

    def cost(self, x: torch.Tensor) -> float:
        """Transport cost E‖x − T(x)‖² over source points ``x`` (the squared-distance cost)."""
        return float(((x.to(torch.float64) - self.potential.transport(x)) ** 2).sum(1).mean())


def solve(
    targets,
    nu=None,
    source: str = "uniform",
    *,
    tol: float = 0.05,
    lr: float = 0.01,
    batch: int = 20_000,
    check: int = 200_000,
    check_every: int = 25,
    max_iter: int = 3000,
    record_every: int = 0,
    seed: int = 0,
) -> OTResult:
    """Semi-discrete OT from ``source`` to ``targets`` ``(n, d)`` with weights ``nu`` (default uniform).

    Adam on the energy E(h), Eq. (ot-energy), with gradient wᵢ(h) − νᵢ estimated on a
    fresh source sample of ``batch`` points per iteration. Every ``check_every``
    iterations the masses are measured on a fixed sample of ``check`` points; the
    fit stops when the largest relative error maxᵢ |wᵢ − νᵢ| / νᵢ is below ``tol``
    (that sample's own noise is about √(n/check) per cell, so ``tol`` must sit
    above it), halving the learning rate when the error did not improve. Records h
    every ``record_every`` iterations (0: only at the checks).
    """
    y = check_targets(targets)
    n, d = y.shape
    w_nu = torch.full((n,), 1.0 / n, dtype=torch.float64) if nu is None else check_weights(nu, n)
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; known: {', '.join(SOURCES)}")
    seed = _count(seed, "seed", 0)
    tol, lr = _positive(tol, "tol"), _positive(lr, "lr")
    batch, check, check_every = (
        _count(batch, "batch", 1),
        _count(check, "check", 1),
        _count(check_every, "check_every", 1),
    )
    max_iter, record_every = _count(max_iter, "max_iter", 0), _count(record_every, "record_every", 0)
    gen = torch.Generator().manual_seed(seed)
    x_check = sample_source(source, check, d, gen)
    # start from the Voronoi diagram of the targets (hᵢ = −‖yᵢ‖²/2), close to the answer when μ and ν overlap
    h = (-0.5 * (y**2).sum(1)).requires_grad_(True)
    pot = BrenierPotential(y, h.detach())  # shares h's storage: sees every Adam step
    opt = torch.optim.Adam([h], lr=lr)
    result = OTResult(pot, w_nu, source)
    best, t0 = math.inf, time.perf_counter()
    for it in range(max_iter + 1):
        checking = it % check_every == 0 or it == max_iter
        if checking or (record_every and it % record_every == 0):
            err = float(result.mass_errors(x_check).abs().max()) if checking else math.nan
            result.history.append(
                {"iteration": it, "h": h.detach().clone(), "max_error": err, "seconds": time.perf_counter() - t0}
            )
            if checking:
                if err < tol and bool(torch.isfinite(h).all()):
                    result.converged = True
                    break
                if err >= best:
                    for g in opt.param_groups:
                        g["lr"] /= 2
                best = min(best, err)
        if it == max_iter:
            break
        h.grad = pot.masses(sample_source(source, batch, d, gen)) - w_nu  # ∂E/∂h, Eq. (ot-energy)
        opt.step()
    return result


def power_cells(targets: torch.Tensor, h: torch.Tensor) -> tuple[np.ndarray, dict[tuple[int, int], float]]:
    """Exact power cells of u_h in the box [−1, 1]² (d = 2): their areas ``(n,)`` and facet lengths.

    Cell i is the box cut by the half-planes ⟨x, yⱼ − yᵢ⟩ ≤ hᵢ − hⱼ of its neighbours j,
    the edges of the lower convex hull of the lifted points (yᵢ, −hᵢ) (the dual
    regular triangulation); a target off that hull has an empty cell. Returns the
    areas and ``{(i, j): length of the facet between cells i and j}`` for i < j.
    """
    y, hh = targets.double().numpy(), h.double().numpy()
    n = len(y)
    neighbours: list[set[int]] = [set() for _ in range(n)]
    if n <= 3:
        for i in range(n):
            neighbours[i] = set(range(n)) - {i}
    else:
        from scipy.spatial import ConvexHull, QhullError

        lifted = np.column_stack([y, -hh])
        try:
            hull = ConvexHull(lifted)
        except QhullError:
            hull = ConvexHull(lifted, qhull_options="QJ")
        for simplex in hull.simplices[hull.equations[:, 2] < 0]:  # lower hull: outward normal points down
            for a in range(3):
                i, j = simplex[a], simplex[(a + 1) % 3]
                neighbours[i].add(j)
                neighbours[j].add(i)
    box = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
    areas = np.zeros(n)
    facets: dict[tuple[int, int], float] = {}
    for i in range(n):
        if n > 1 and not neighbours[i]:
            continue  # off the lower hull: the plane of i is below u_h everywhere
        poly = [(p, -1) for p in box]  # vertex and the label of the edge that leaves it (−1: the box)
        for j in neighbours[i]:
            poly = _clip(poly, y[j] - y[i], hh[i] - hh[j], j)
            if not poly:
                break
        if len(poly) < 3:
            continue
        pts = np.array([p for p, _ in poly])
        nxt = np.roll(pts, -1, axis=0)
        areas[i] = 0.5 * abs(float((pts[:, 0] * nxt[:, 1] - nxt[:, 0] * pts[:, 1]).sum()))
        for (p, label), q in zip(poly, nxt, strict=True):
            if label >= 0 and i < label:
                facets[(i, label)] = float(np.hypot(*(q - np.asarray(p))))
    return areas, facets


def _clip(poly: list, a: np.ndarray, b: float, label: int) -> list:
    """Sutherland–Hodgman: the part of polygon ``poly`` with ⟨a, x⟩ ≤ b; new edges carry ``label``."""
    out = []
    m = len(poly)
    for k in range(m):
        (p, lp), (q, _) = poly[k], poly[(k + 1) % m]
        fp, fq = a[0] * p[0] + a[1] * p[1] - b, a[0] * q[0] + a[1] * q[1] - b
        if fp <= 0:
            out.append((p, label if fp == 0 < fq else lp))
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            cross = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
            out.append((cross, lp if fp > 0 else label))  # entering keeps the edge, leaving follows the cut
    return out


def newton_step_accepted(w: np.ndarray, w_new: np.ndarray, nu: np.ndarray, floor: float, t: float) -> bool:
    """Kitagawa, Mérigot and Thibert's test of a damped Newton step of size ``t``: every cell's mass
    ``w_new`` stays at least ``floor``, and the error falls enough, ‖w_new − ν‖ ≤ (1 − t/2) ‖w − ν‖."""
    decrease = np.linalg.norm(w_new - nu) <= (1 - t / 2) * np.linalg.norm(w - nu)
    return bool(w_new.min() >= floor and decrease)


def solve_exact(targets, nu=None, *, tol: float = 1e-3, max_iter: int = 100, record: bool = True) -> OTResult:
    """Semi-discrete OT from the uniform measure on [−1, 1]² to distinct ``targets`` ``(n, 2)`` in that box.

    Damped Newton with exact cells, starting from the targets' Voronoi diagram.
    Cell areas and the Hessian of E(h), Eq. (ot-energy), come from :func:`power_cells`:
    ∂wᵢ/∂hⱼ = −|facet ij| / (4‖yᵢ − yⱼ‖) for j ≠ i, and minus the sum of those on the diagonal
    (4 is the box's area). Each Newton step t·Δh is halved until every cell keeps at
    least half of min(νᵢ, the smallest initial cell) and the error decreases enough,
    ‖w(h + tΔh) − ν‖ ≤ (1 − t/2) ‖w(h) − ν‖ (Kitagawa, Mérigot and Thibert 2019,
    :func:`newton_step_accepted`). Stops when maxᵢ |wᵢ − νᵢ| / νᵢ < ``tol`` (exact, no sampling noise).
    Raises ``FloatingPointError`` when no step down to t = 10⁻⁶ passes the test, rather than
    taking a step the theory does not cover.
    """
    import scipy.sparse
    import scipy.sparse.linalg

    y = check_targets(targets)
    n = len(y)
    if y.shape[1] != 2:
        raise ValueError(f"solve_exact works in the plane: targets must be (n, 2), got {tuple(y.shape)}")
    w_nu = np.full(n, 1.0 / n) if nu is None else check_weights(nu, n).numpy()
    tol, max_iter = _positive(tol, "tol"), _count(max_iter, "max_iter", 0)
    h = -0.5 * (y**2).sum(1).numpy()  # the targets' Voronoi diagram
    result = OTResult(BrenierPotential(y, torch.from_numpy(h.copy())), torch.from_numpy(w_nu), "uniform")
    t0 = time.perf_counter()
    areas, facets = power_cells(y, torch.from_numpy(h))
    if areas.min() <= 0:
        raise ValueError("every target's Voronoi cell must meet the box: put distinct targets inside [−1, 1]²")
    floor = 0.5 * min(w_nu.min(), areas.min() / 4)
    yn = y.numpy()
    for it in range(max_iter + 1):
        w = areas / 4
        err = float((np.abs(w - w_nu) / w_nu).max())
        if record or err < tol or it == max_iter:
            result.history.append(
                {"iteration": it, "h": torch.from_numpy(h.copy()), "max_error": err}
                | {"seconds": time.perf_counter() - t0}
            )
        if err < tol and np.isfinite(h).all():
            result.converged = True
            break
        if it == max_iter:
            break
        ij = np.array(list(facets), dtype=np.int64).reshape(-1, 2)
        val = np.array(list(facets.values())) / (4 * np.linalg.norm(yn[ij[:, 0]] - yn[ij[:, 1]], axis=1))
        off = scipy.sparse.coo_matrix((np.r_[val, val], (np.r_[ij[:, 0], ij[:, 1]], np.r_[ij[:, 1], ij[:, 0]])), (n, n))
        hess = (scipy.sparse.diags(np.asarray(off.sum(1)).ravel()) - off).tocsc()
        # ∂w/∂h has the constants in its kernel: pin h₀ by solving on the other n − 1 cells
        step = np.zeros(n)
        step[1:] = scipy.sparse.linalg.spsolve(hess[1:, 1:], -(w - w_nu)[1:])
        t = 1.0
        while True:
            new_areas, new_facets = power_cells(y, torch.from_numpy(h + t * step))
            if newton_step_accepted(w, new_areas / 4, w_nu, floor, t):
                break
            if t < 1e-6:
                raise FloatingPointError(
                    f"solve_exact: no Newton step of size down to 1e-6 decreases the error at iteration {it} "
                    f"(max relative error {err:.2e}); the targets may be nearly coincident. Spread them apart, "
                    "or use the Monte Carlo solver (gencore.ot.solve)."
                )
            t /= 2
        h, areas, facets = h + t * step, new_areas, new_facets
    result.potential.h = torch.from_numpy(h)
    return result
