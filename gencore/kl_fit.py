"""Fitting one Gaussian to a two-mode mixture by different divergences (``book/reverse_kl.ipynb``).

On a uniform 1-D grid x_i with spacing dx, the data density is

    p_r(x) = ½ N(x; −s, τ²) + ½ N(x; s, τ²)                               (rk-mixture)

and the model is one Gaussian q_θ = N(μ, σ²), θ = (μ, σ). :func:`fit_gaussian`
minimizes over θ one of

    forward KL      KL(p_r ‖ q_θ)                                         (rk-forward)
    reverse KL      KL(q_θ ‖ p_r)                                         (rk-reverse)
    JS              JS(p_r ‖ q_θ)                 (the minimax GAN at D*)
    non-saturating  KL(q_θ ‖ p_r) − 2 JS(p_r ‖ q_θ)  (its gradient is that of
                    the non-saturating generator loss at D*, Eq. (rk-ns-grad))

with the divergences of :mod:`gencore.divergences` (Riemann sums, nats).
:func:`nonsaturating_terms` splits the non-saturating loss at D* into the terms
of Eq. (rk-ns):

    E_{p_g}[−log D*] = KL(p_g‖p_r) − 2 JS(p_r‖p_g) + 2 log 2 + E_{p_r}[log D*]   (rk-ns)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from gencore.divergences import js, kl, optimal_discriminator

__all__ = [
    "OBJECTIVES",
    "gaussian",
    "two_mode_mixture",
    "objective",
    "fit_gaussian",
    "nonsaturating_terms",
    "frozen_gradients",
]

OBJECTIVES = ("forward_kl", "reverse_kl", "js", "nonsaturating")

#: what the optimizer sees outside the feasible set, or where a divergence is infinite
#: (a finite value keeps Nelder–Mead's arithmetic clean)
_INFEASIBLE = 1e10

#: the fitted σ is kept at or above this many grid cells, so q_θ stays resolved by the grid
MIN_CELLS_PER_SIGMA = 5


def gaussian(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """The density of N(μ, σ²) at the points ``x``."""
    if not (math.isfinite(sigma) and sigma > 0 and math.isfinite(mu)):
        raise ValueError(f"need a finite mu and a positive, finite sigma; got mu={mu!r}, sigma={sigma!r}")
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def two_mode_mixture(x: np.ndarray, separation: float, std: float = 1.0) -> np.ndarray:
    """Eq. (rk-mixture): ½ N(−s, τ²) + ½ N(s, τ²) with means ±s, s = ``separation`` / 2, τ = ``std``."""
    s = separation / 2
    return 0.5 * gaussian(x, -s, std) + 0.5 * gaussian(x, s, std)


def objective(name: str, p_r: np.ndarray, q: np.ndarray, dx: float) -> float:
    """The value of objective ``name`` (one of :data:`OBJECTIVES`) for data ``p_r`` and model ``q`` on the grid."""
    if name == "forward_kl":
        return kl(p_r, q, dx)
    if name == "reverse_kl":
        return kl(q, p_r, dx)
    if name == "js":
        return js(p_r, q, dx)
    if name == "nonsaturating":
        return kl(q, p_r, dx) - 2 * js(p_r, q, dx)
    raise KeyError(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}")


def fit_gaussian(x: np.ndarray, p_r: np.ndarray, name: str, starts=None) -> dict[str, float]:
    """The Gaussian N(μ, σ²) that minimizes objective ``name`` against ``p_r`` on the grid ``x``.

    Nelder–Mead over (μ, log σ) from several ``starts`` ``[(μ, σ), ...]`` (default:
    the moments of p_r and a narrow Gaussian at each of its two quartiles), best
    result kept; σ stays at least ``MIN_CELLS_PER_SIGMA`` grid cells and the model's
    mass on the grid at least 0.999. Returns ``{"mu", "sigma", "value"}``.
    """
    if name not in OBJECTIVES:
        raise KeyError(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}")
    x = np.asarray(x, dtype=np.float64)
    dx = float(x[1] - x[0])
    p_r = np.asarray(p_r, dtype=np.float64)
    mean = float((x * p_r).sum() * dx)
    sd = math.sqrt(max(float(((x - mean) ** 2 * p_r).sum() * dx), dx**2))
    if starts is None:
        cdf = np.cumsum(p_r) * dx
        q1, q3 = (float(x[np.searchsorted(cdf, a)]) for a in (0.25, 0.75))
        starts = [(mean, sd), (q3, sd / 2), (q1, sd / 2)]

    def loss(theta: np.ndarray) -> float:
        mu, sigma = float(theta[0]), math.exp(float(theta[1]))
        if sigma < MIN_CELLS_PER_SIGMA * dx:
            return _INFEASIBLE
        q = gaussian(x, mu, sigma)
        if q.sum() * dx < 0.999:
            return _INFEASIBLE
        value = objective(name, p_r, q, dx)  # inf where q underflows to 0 under p_r (forward KL)
        return value if math.isfinite(value) else _INFEASIBLE

    best = None
    for mu0, s0 in starts:
        res = minimize(
            loss,
            np.array([mu0, math.log(s0)]),
            method="Nelder-Mead",
            options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 2000},
        )
        if best is None or res.fun < best.fun - 1e-10:
            best = res
    return {"mu": float(best.x[0]), "sigma": math.exp(float(best.x[1])), "value": float(best.fun)}


def nonsaturating_terms(p_r: np.ndarray, p_g: np.ndarray, dx: float) -> dict[str, float]:
    """The terms of Eq. (rk-ns) for densities ``p_r``, ``p_g`` on a grid with spacing ``dx``.

    Returns ``loss`` = E_{p_g}[−log D*(x)] computed directly with
    D* = p_r/(p_r + p_g), and ``reverse_kl`` = KL(p_g‖p_r), ``js`` = JS(p_r‖p_g),
    ``real_term`` = E_{p_r}[log D*(x)] (≤ 0, and it changes with p_g), so that
    ``loss == reverse_kl − 2·js + 2·log 2 + real_term`` (to rounding, when both
    densities sum to exactly 1 on the grid: the 2 log 2 comes from ∫ p_r + ∫ p_g = 2).
    """
    p_r = np.asarray(p_r, dtype=np.float64)
    p_g = np.asarray(p_g, dtype=np.float64)
    d_star = optimal_discriminator(p_r, p_g)
    with np.errstate(divide="ignore"):
        log_d = np.log(d_star)
    on_g, on_r = p_g > 0, p_r > 0
    loss = float(-(p_g[on_g] * log_d[on_g]).sum() * dx)
    real_term = float((p_r[on_r] * log_d[on_r]).sum() * dx)
    return {"loss": loss, "reverse_kl": kl(p_g, p_r, dx), "js": js(p_r, p_g, dx), "real_term": real_term}


def frozen_gradients(x: np.ndarray, p_r: np.ndarray, mu: float, sigma: float, h: float = 1e-4) -> dict[str, float]:
    """d/dμ at μ of the non-saturating loss with D* frozen at θ₀ = (μ, σ), and of KL(q_θ‖p_r) − 2 JS(p_r‖q_θ).

    Eq. (rk-ns-grad): the two are equal, because the terms of Eq. (rk-ns) that the
    frozen loss leaves out have zero derivative at θ₀. The frozen loss is
    L(μ') = −Σ_i q_{μ', σ}(x_i) log D*_{θ₀}(x_i) dx; both derivatives are central
    differences with step ``h`` on the grid ``x``. Returns ``{"frozen": ..., "divergence": ...}``.
    """
    x = np.asarray(x, dtype=np.float64)
    p_r = np.asarray(p_r, dtype=np.float64)
    dx = float(x[1] - x[0])
    log_d0 = np.log(optimal_discriminator(p_r, gaussian(x, mu, sigma)))

    def frozen(m: float) -> float:
        return float(-(gaussian(x, m, sigma) * log_d0).sum() * dx)

    def divergence(m: float) -> float:
        q = gaussian(x, m, sigma)
        return kl(q, p_r, dx) - 2 * js(p_r, q, dx)

    return {
        "frozen": (frozen(mu + h) - frozen(mu - h)) / (2 * h),
        "divergence": (divergence(mu + h) - divergence(mu - h)) / (2 * h),
    }
