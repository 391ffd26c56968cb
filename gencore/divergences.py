"""Divergences between *known* densities, in nats (natural logarithm) throughout.

Every function takes two distributions in one of two forms:

- **probability vectors** (``dx=None``): ``p``, ``q`` of shape ``(K,)``, non-negative,
  each summing to 1; integrals are sums;
- **densities on a uniform 1-D grid** (``dx`` given): ``p``, ``q`` are density
  values at grid points spaced ``dx`` apart; integrals are Riemann sums
  ``Σ_i f(x_i) dx``. The grid must hold (almost) all the mass.

The formulas, with their equation labels in ``book/optimal_discriminator.ipynb``
(``od-``) and ``book/js_wasserstein.ipynb`` (``jw-``)::

    KL(p‖q)   = ∫ p log(p / q)
    JS(p‖q)   = ½ KL(p‖m) + ½ KL(q‖m),   m = ½(p + q)           (od-js)
    TV(p, q)  = ½ ∫ |p − q| = sup_A |P(A) − Q(A)|               (jw-tv)
    W1(p, q)  = ∫ |F_p(x) − F_q(x)| dx      (in 1-D; F = CDF)   (jw-w1-cdf)
    D*(x)     = p_r(x) / (p_r(x) + p_g(x))                      (od-d-star)
    V(D, G)   = ∫ p_r log D + p_g log(1 − D)                    (od-value)
    V(D*, G)  = 2 JS(p_r‖p_g) − 2 log 2                         (od-v-star)

Conventions: ``0 log(0/q) = 0``; ``p log(p/0) = +inf`` for ``p > 0``. Hence
``KL`` may be ``inf``, while ``0 ≤ JS ≤ log 2`` and ``0 ≤ TV ≤ 1`` always.
:func:`parallel_lines` gives all of them in closed form for Example 1 of
Arjovsky et al. (2017).
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = [
    "kl",
    "reverse_kl",
    "js",
    "total_variation",
    "w1",
    "optimal_discriminator",
    "gan_value",
    "parallel_lines",
]

#: how far the total mass may be from 1: probability vectors / grid densities
MASS_TOL_VECTOR = 1e-6
MASS_TOL_GRID = 1e-2


def _pair(p, q, dx: float | None) -> tuple[np.ndarray, np.ndarray, float]:
    """Check two distributions of the same kind and return them as float64 arrays and the cell size."""
    p, q = _array(p), _array(q)
    if p.ndim != 1 or p.shape != q.shape:
        raise ValueError(f"p and q must be 1-D arrays of the same length, got shapes {p.shape} and {q.shape}")
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))) or (p < 0).any() or (q < 0).any():
        raise ValueError("p and q must be finite and non-negative")
    if dx is None:
        w, tol, kind = 1.0, MASS_TOL_VECTOR, "probability vector"
    else:
        if not dx > 0:
            raise ValueError(f"grid spacing dx must be positive, got {dx}")
        w, tol, kind = float(dx), MASS_TOL_GRID, "grid density (widen the grid if mass is missing)"
    for name, v in (("p", p), ("q", q)):
        mass = v.sum() * w
        if abs(mass - 1) > tol:
            raise ValueError(f"{name} has total mass {mass:.6g}, not 1, as a {kind}")
    return p, q, w


def _array(v) -> np.ndarray:
    """``v`` as a float64 array; torch tensors are read (detached, on the CPU), never refused."""
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu()
    return np.asarray(v, dtype=np.float64)


def _kl_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Pointwise p log(p/q) with 0 log(0/q) = 0 and p log(p/0) = inf."""
    out = np.zeros_like(p)
    pos = p > 0
    with np.errstate(divide="ignore"):
        out[pos] = p[pos] * (np.log(p[pos]) - np.log(q[pos]))
    return out


def kl(p, q, dx: float | None = None) -> float:
    """KL(p‖q) = ∫ p log(p/q) in nats; ``inf`` where q = 0 < p somewhere."""
    p, q, w = _pair(p, q, dx)
    return float(_kl_terms(p, q).sum() * w)


def reverse_kl(p, q, dx: float | None = None) -> float:
    """The reverse KL, KL(q‖p): the data distribution ``p`` as the *second* argument.

    With ``p = p_r`` and ``q = p_g`` this is KL(p_g‖p_r), the divergence that
    punishes a model for putting mass where the data has none.
    """
    return kl(q, p, dx)


def js(p, q, dx: float | None = None) -> float:
    """Eq. (od-js): JS(p‖q) = ½ KL(p‖m) + ½ KL(q‖m), m = ½(p + q), in nats; 0 ≤ JS ≤ log 2.

    Symmetric in p and q; equals log 2 exactly when p and q have disjoint supports.
    (``scipy.spatial.distance.jensenshannon`` returns the *square root* of this.)
    """
    p, q, w = _pair(p, q, dx)
    m = 0.5 * (p + q)
    return float(0.5 * (_kl_terms(p, m).sum() + _kl_terms(q, m).sum()) * w)


def total_variation(p, q, dx: float | None = None) -> float:
    """Eq. (jw-tv): TV(p, q) = ½ ∫ |p − q| = sup_A |P(A) − Q(A)|, in [0, 1]."""
    p, q, w = _pair(p, q, dx)
    return float(0.5 * np.abs(p - q).sum() * w)


def w1(p, q, dx: float | None = None, *, support=None) -> float:
    """Eq. (jw-w1-cdf): the 1-D Wasserstein-1 distance ∫ |F_p(x) − F_q(x)| dx.

    - Grid densities (``dx`` given): the mass ``p_i dx`` sits at the grid point
      x_i; the CDFs are cumulative sums and the integral is Σ_i |F_p − F_q|(x_i) dx.
    - Probability vectors (``dx=None``): masses at the sorted points ``support``
      (default ``0, 1, ..., K−1``); W1 = Σ_i |F_p − F_q|(x_i) (x_{i+1} − x_i).

    Units are those of x. Unlike KL and JS, W1 grows with how *far* the mass
    must move, so it keeps changing when the supports are disjoint.
    """
    p, q, w = _pair(p, q, dx)
    cdf_gap = np.abs(np.cumsum(p - q) * w)[:-1]
    if dx is not None:
        if support is not None:
            raise ValueError("give either dx (a uniform grid) or support (point locations), not both")
        return float(cdf_gap.sum() * dx)
    x = np.arange(len(p), dtype=np.float64) if support is None else np.asarray(support, dtype=np.float64)
    if x.shape != p.shape or (np.diff(x) < 0).any():
        raise ValueError("support must be sorted and as long as p")
    return float((cdf_gap * np.diff(x)).sum())


def optimal_discriminator(p_r, p_g, dx: float | None = None):
    """Eq. (od-d-star): D*(x) = p_r(x) / (p_r(x) + p_g(x)), elementwise, in [0, 1].

    ``p_r`` and ``p_g`` are the two densities evaluated at the same points (any
    shapes that broadcast). They must be finite and non-negative, else
    ``ValueError``: a negative or NaN "density" would give a D* outside [0, 1] or
    NaN. Normalization: D* only compares the two values at each point, so it is
    correct whenever p_r and p_g are densities *with the same normalization*
    (both normalized, or both scaled by the same constant); values at a few
    arbitrary points carry no information about the total mass, so none is
    checked by default. Pass ``dx`` when the points are a uniform 1-D grid that
    holds (almost) all the mass: then each of p_r and p_g must integrate to 1
    (``Σ p dx``, within 1 %), as in the other functions of this module, which
    catches a histogram of counts passed beside a density.

    Where p_r = p_g = 0 neither distribution ever produces x, V(D, G) does not
    depend on D(x), and every value is optimal: we return ½ there ("cannot
    tell"), the value D* takes wherever p_r = p_g. Accepts NumPy arrays (returns
    an array) or torch tensors (returns a tensor, differentiable).
    """
    if isinstance(p_r, torch.Tensor) or isinstance(p_g, torch.Tensor):
        p_r, p_g = torch.as_tensor(p_r), torch.as_tensor(p_g)
        _check_densities(_array(p_r), _array(p_g), dx)
        total = p_r + p_g
        return torch.where(total > 0, p_r / torch.where(total > 0, total, 1), 0.5)
    p_r, p_g = _array(p_r), _array(p_g)
    _check_densities(p_r, p_g, dx)
    total = p_r + p_g
    return np.where(total > 0, p_r / np.where(total > 0, total, 1.0), 0.5)


def _check_densities(p_r: np.ndarray, p_g: np.ndarray, dx: float | None) -> None:
    try:
        np.broadcast_shapes(p_r.shape, p_g.shape)
    except ValueError:
        raise ValueError(
            f"p_r and p_g must be densities at the same points: shapes {p_r.shape} and {p_g.shape} do not broadcast"
        ) from None
    for name, v in (("p_r", p_r), ("p_g", p_g)):
        if not np.all(np.isfinite(v)) or (v < 0).any():
            bad = np.asarray(v)[~(np.isfinite(v) & (v >= 0))].ravel()[0]
            raise ValueError(f"{name} must be finite and non-negative (densities), but holds {bad}")
    if dx is not None:
        _pair(p_r.ravel(), p_g.ravel(), dx)


def gan_value(p_r, p_g, d, dx: float | None = None) -> float:
    """Eq. (od-value): V(D, G) = ∫ p_r log D + p_g log(1 − D), for a discriminator ``d`` given on the same points.

    ``d`` holds D(x_i) in [0, 1]. Terms where the density is 0 count as 0. D is
    clipped to [tiny, 1 − 2⁻⁵³] first: in float64, D* rounds to exactly 1
    wherever p_g < 1e-16 p_r, and the true term p_g log(1 − D*) there is
    negligible, not −inf. At ``d = optimal_discriminator(p_r, p_g)`` this equals
    Eq. (od-v-star), 2 JS(p_r‖p_g) − 2 log 2; any other ``d`` gives less.
    """
    p_r, p_g, w = _pair(p_r, p_g, dx)
    d = _array(d)
    if d.shape != p_r.shape or not ((d >= 0) & (d <= 1)).all():  # NaN fails both comparisons
        raise ValueError(f"d must have the shape of p_r {p_r.shape} and values in [0, 1] (no NaN), got shape {d.shape}")
    d = np.clip(d, np.finfo(np.float64).tiny, 1 - 2.0**-53)
    return float((p_r * np.log(d) + p_g * np.log1p(-d)).sum() * w)


def parallel_lines(theta) -> dict:
    """Example 1 of Arjovsky et al. (2017) in closed form (Eq. (jw-parallel-lines) of the book).

    P_0 is uniform on the segment {0} × [0, 1] of the plane and P_θ uniform on
    {θ} × [0, 1]. For θ ≠ 0 the supports are disjoint, so

    - ``js`` = log 2 (nats),  ``kl`` = KL(P_0‖P_θ) = +inf,  ``tv`` = 1;
    - ``w1`` = |θ|: move every point horizontally by θ.

    At θ = 0 all four are 0. ``theta``: a float (values come back as floats) or
    an array (arrays of the same shape come back).
    """
    t = _array(theta)
    if not np.isfinite(t).all():
        raise ValueError(f"theta (the offset of P_θ) must be finite, got {theta!r}")
    off = t != 0
    out = {
        "js": np.where(off, math.log(2), 0.0),
        "kl": np.where(off, np.inf, 0.0),
        "tv": np.where(off, 1.0, 0.0),
        "w1": np.abs(t),
    }
    if t.ndim == 0:
        return {k: float(v) for k, v in out.items()}
    return out
