"""Closed-form factorization of a generator's latent space (SeFa, Shen & Zhou 2021).

A style-based generator turns its latent code ``w`` into each layer's style by
an affine map ``s = A w + b``. Moving ``w`` along a unit direction ``n`` moves the
styles by ``A n``; the k directions that move them most solve (Eq. (sefa-objective)
in ``book/sefa.ipynb``)

    maximize  tr(N^T A^T A N) = sum_i ||A n_i||^2   subject to  N^T N = I_k,

for N = [n_1, ..., n_k]. Orthonormality is needed: under ||n_i|| = 1 alone every n_i
would be the top eigenvector. The Lagrangian tr(N^T M N) - tr(Lambda (N^T N - I))
with M = A^T A and a symmetric multiplier Lambda is stationary where M N = N Lambda;
by Ky Fan's theorem the maximum is the sum of the top-k eigenvalues of M, reached by
every orthonormal basis of the top-k eigenspace. :func:`factorize` returns the
eigenvectors, the canonical such basis (nested in k, each the best direction
orthogonal to those before it).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

import gencore
from gencore.data.shapes import FACTOR_RANGES, FACTORS, SHAPES, factor_distance, render, sample_factors

#: a direction "moves one factor" when that factor takes at least this share of its total change
#: (:func:`exclusivity`); the SeFa chapter and ``gencore.bench.stylegan`` count directions by it
EXCLUSIVE = 0.7


def layers_by_resolution(generator) -> dict[int, list[int]]:
    """The indices into ws (and :meth:`style_weights`) of each resolution's layers, e.g. for the 32x32
    StyleGAN ``{4: [0], 8: [1, 2], 16: [3, 4], 32: [5, 6, 7]}`` (its two convolutions, and at the
    top resolution the toRGB that reads the last w), from ``generator.synthesis.layer_names()``."""
    out: dict[int, list[int]] = {}
    for i, name in enumerate(generator.synthesis.layer_names()):
        out.setdefault(int(name.split("x")[0]), []).append(i)
    return out


def stack_weights(weights: Sequence[torch.Tensor], *, normalize: bool = True) -> torch.Tensor:
    """Stack ``(out_j, in)`` weight matrices into ``A`` (sum out_j, in), float64.

    ``normalize=True`` scales each row (one output unit's weight vector) to unit
    length, as the official SeFa code does, so that no layer dominates by its scale.
    """
    if isinstance(weights, torch.Tensor):
        weights = [weights]
    if len(weights) == 0:
        raise ValueError("factorize needs at least one weight matrix")
    mats = []
    for j, w in enumerate(weights):
        w = torch.as_tensor(w).detach()
        if w.ndim != 2:
            raise ValueError(
                f"weight {j} has shape {tuple(w.shape)}; pass nn.Linear weights of shape (out, in) "
                "(for a convolution, reshape its weight to (out, in) first)"
            )
        mats.append(w.to("cpu", torch.float64))
    widths = {m.shape[1] for m in mats}
    if len(widths) != 1:
        raise ValueError(f"weights map latent codes of different sizes {sorted(widths)}; they must share `in`")
    a = torch.cat(mats)
    if not torch.isfinite(a).all():
        raise ValueError("weights contain NaN or infinity")
    if normalize:
        norms = a.norm(dim=1, keepdim=True)
        if (norms == 0).any():
            raise ValueError("a weight row is all zeros and cannot be normalized; pass normalize=False")
        a = a / norms
    return a


def factorize(weights: Sequence[torch.Tensor], *, normalize: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (descending) and directions (rows, unit length) of ``A^T A``.

    ``weights``: ``nn.Linear`` weights ``(out, in)`` that map the latent code to the
    chosen layers' styles; they are stacked into ``A`` by :func:`stack_weights`.
    Returns ``(eigenvalues (in,), directions (in, in))`` in float64 on the CPU;
    ``directions[k]`` is the k-th direction, and ``||A directions[k]||^2 == eigenvalues[k]``.
    """
    a = stack_weights(weights, normalize=normalize)
    eigenvalues, vectors = torch.linalg.eigh(a.T @ a)  # symmetric solver, ascending
    order = torch.argsort(eigenvalues, descending=True)
    directions = vectors[:, order].T.contiguous()
    # fix each direction's sign (an eigenvector's sign is arbitrary): largest |component| positive
    signs = torch.sign(directions.gather(1, directions.abs().argmax(1, keepdim=True)))
    return eigenvalues[order].clamp_min(0.0), directions * signs


def objective(
    weights: Sequence[torch.Tensor], directions: torch.Tensor, *, normalize: bool = True, orthonormal: bool = True
) -> float:
    """``sum_i ||A n_i||^2`` for the rows ``n_i`` of ``directions`` (the quantity SeFa maximizes).

    The rows must be orthonormal (the problem's constraint N^T N = I, to 1e-8);
    ``orthonormal=False`` scores any rows, for example to show what the unit-norm-only
    problem would prefer.
    """
    a = stack_weights(weights, normalize=normalize)
    n = torch.as_tensor(directions, dtype=torch.float64).reshape(-1, a.shape[1])
    if orthonormal:
        gram = n @ n.T
        if not torch.allclose(gram, torch.eye(len(n), dtype=gram.dtype), atol=1e-8):
            raise ValueError("directions must be orthonormal rows (N N^T = I); pass orthonormal=False to score others")
    return float((n @ a.T).pow(2).sum())


def edit_styles(generator, w: torch.Tensor, direction: torch.Tensor, alpha, layers=None) -> torch.Tensor:
    """ws (N, num_ws, w_dim) of ``w`` (N, w_dim) moved by ``alpha`` along ``direction`` in ``layers``
    (indices of ws; all by default), the rest unchanged. ``alpha`` is a number or (N,).

    A toRGB layer reads the same entry of ws as the convolution after it, so moving
    ws[:, i] also moves the intermediate toRGBs that read ws[:, 1], ws[:, 3], ws[:, 5];
    their affine maps are not among ``style_weights()`` and so not in A.
    """
    ws = generator.broadcast(w).clone()
    chosen = list(range(ws.shape[1])) if layers is None else list(layers)
    step = torch.as_tensor(alpha, dtype=w.dtype, device=w.device).reshape(-1, 1, 1)
    ws[:, chosen] = ws[:, chosen] + step * direction.to(w)[None, None]
    return ws


@torch.no_grad()
def factor_changes(
    generator, regressor, direction: torch.Tensor, *, alpha: float = 3.0, layers=None, n: int = 200, seed: int = 0
) -> dict[str, float]:
    """What moving along ``direction`` changes, read by the factor regressor.

    For ``n`` codes w (truncation off, constant noise), renders w - alpha n and
    w + alpha n and returns, per factor of ``gencore.data.shapes.FACTORS``, the mean
    absolute change as a share of the factor's range (hue: along the circle, at
    most half a turn), and ``shape``: the mean total-variation distance between the
    regressor's shape probabilities at the two ends (1 for a sure flip, small for a
    wobble of an ambiguous blob's reading). Rotation counts only codes that are not
    a circle at either end (a circle's rotation is not a property of the image).
    Directions are in w-space (unit length).
    """
    gen = torch.Generator().manual_seed(seed)
    device = gencore.module_device(generator)
    z = torch.randn(n, generator.config.z_dim, generator=gen).to(device)
    w = generator.mapping(z)
    ends = [
        generator.synthesis(edit_styles(generator, w, direction, a, layers), noise_mode="const")
        for a in (-alpha, alpha)
    ]
    return _read_changes(regressor, *ends)


@torch.no_grad()
def _read_changes(regressor, before: torch.Tensor, after: torch.Tensor) -> dict[str, float]:
    """What the regressor reads changing between two batches of images (N, 3, 32, 32), image by image:
    per factor the mean share of its range (rotation only where neither end is a circle), and ``shape``
    the mean total-variation distance of the shape probabilities (see :func:`factor_changes`)."""
    out = []
    for images in (before, after):
        factors = regressor.factors(images).cpu()
        out.append((factors, torch.softmax(regressor(images)[1], 1).cpu()))
    (f0, p0), (f1, p1) = out
    s0, s1 = p0.argmax(1), p1.argmax(1)
    distance = factor_distance(f1, f0)
    change = distance.mean(0)
    # a circle has no rotation: its reading is noise, so rotation is averaged over the
    # codes that are not a circle at either end (0 if every one is)
    angular = (s0 != SHAPES.index("circle")) & (s1 != SHAPES.index("circle"))
    rot = FACTORS.index("rotation")
    change[rot] = distance[angular, rot].mean() if angular.any() else 0.0
    changes = {f: float(v) for f, v in zip(FACTORS, change, strict=True)}
    changes["shape"] = float(0.5 * (p1 - p0).abs().sum(1).mean())
    return changes


@torch.no_grad()
def single_factor_changes(
    regressor, factor: str, *, fraction: float = 0.5, n: int = 200, seed: int = 0
) -> dict[str, float]:
    """What the regressor reads when real shapes change in ``factor`` alone: the score of a perfect direction.

    ``n`` shapes are drawn (:func:`gencore.data.shapes.sample_factors`, ``seed``) and each is
    rendered twice, with only ``factor`` changed by ``fraction`` of its range (hue: of half a
    turn, around the shape's own hue; the others: placed symmetrically about the middle of
    their range), and the two renderings are read as :func:`factor_changes` reads a
    direction's two ends. Its :func:`exclusivity` is what the measure gives an edit that
    moves one factor and nothing else, with the regressor's own errors included.
    """
    if factor not in FACTORS:
        raise ValueError(f"factor must be one of {', '.join(FACTORS)}, got {factor!r}")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise ValueError(f"fraction must be a number in (0, 1], the share of the factor's range, got {fraction!r}")
    shape, factors = sample_factors(n, seed=seed)
    i = FACTORS.index(factor)
    ends = [factors.clone(), factors.clone()]
    if factor == "hue":
        for end, sign in zip(ends, (-1, 1)):
            end[:, i] = (factors[:, i] + sign * fraction * 0.25) % 1.0  # half a turn is the hue's span
    else:
        low, high = FACTOR_RANGES[factor]
        for end, sign in zip(ends, (-1, 1)):
            end[:, i] = (low + high) / 2 + sign * fraction * (high - low) / 2
    device = gencore.module_device(regressor)
    return _read_changes(regressor, *(render(shape, end).to(device) for end in ends))


def exclusivity(changes: dict[str, float]) -> tuple[str, float]:
    """The factor a direction moves most and its share of all the change it makes."""
    total = sum(changes.values())
    top = max(changes, key=changes.get)
    return top, (changes[top] / total if total > 0 else 0.0)


@torch.no_grad()
def pca_directions(generator, n: int = 10_000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """GANSpace's directions (Härkönen et al., 2020): the principal axes of sampled w's.

    Returns ``(variances (w_dim,), directions (w_dim, w_dim))``, descending, directions as rows.
    """
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, generator.config.z_dim, generator=gen).to(gencore.module_device(generator))
    w = generator.mapping(z).cpu().double()
    w = w - w.mean(0)
    values, vectors = torch.linalg.eigh(w.T @ w / (n - 1))
    order = torch.argsort(values, descending=True)
    return values[order], vectors[:, order].T.contiguous()


def random_directions(k: int, dim: int, seed: int = 0) -> torch.Tensor:
    """``k`` random unit directions (rows) in ``dim`` dimensions: the chance baseline."""
    if (
        isinstance(k, bool)
        or not isinstance(k, int)
        or k < 0
        or isinstance(dim, bool)
        or not isinstance(dim, int)
        or dim < 1
    ):
        raise ValueError(f"k must be an integer >= 0 and dim >= 1, got {k!r} and {dim!r}")
    d = torch.randn(k, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return d / d.norm(dim=1, keepdim=True)


def describe_directions(
    generator, regressor, directions: torch.Tensor, *, alpha: float, layers=None, n: int = 200, seed: int = 0
) -> list[dict]:
    """For each direction (a row): the factor it moves most, its exclusivity and the total change
    (:func:`factor_changes` with the same codes for every direction)."""
    out = []
    for d in directions:
        changes = factor_changes(generator, regressor, d.float(), alpha=alpha, layers=layers, n=n, seed=seed)
        factor, share = exclusivity(changes)
        out.append({"moves most": factor, "exclusivity": share, "total change": sum(changes.values())})
    return out


@torch.no_grad()
def w_spread(generator, n: int = 5000, seed: int = 1) -> float:
    """sigma_w: the standard deviation of sampled codes w along a typical direction, sqrt(trace(Cov w) / dim)."""
    z = torch.randn(n, generator.config.z_dim, generator=torch.Generator().manual_seed(seed))
    w = generator.mapping(z.to(gencore.module_device(generator)))
    return float(w.var(0).mean().sqrt())
