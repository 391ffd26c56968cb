"""Closed-form factorization of a generator's latent space (SeFa, Shen & Zhou 2021).

A style-based generator turns its latent code ``w`` into each layer's style by
an affine map ``s = A w + b``. Moving ``w`` along a unit direction ``n`` moves the
styles by ``A n``; the directions that move them most solve

    maximize  sum_i ||A n_i||^2   subject to  ||n_i|| = 1  (n_i orthonormal),

whose Lagrangian ``sum_i ||A n_i||^2 - lambda_i (n_i^T n_i - 1)`` is stationary where
``A^T A n_i = lambda_i n_i``: the optimum is the top-k eigenvectors of ``A^T A``, and the
objective's value is the sum of the top-k eigenvalues.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


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


def objective(weights: Sequence[torch.Tensor], directions: torch.Tensor, *, normalize: bool = True) -> float:
    """``sum_i ||A n_i||^2`` for the rows ``n_i`` of ``directions`` (the quantity SeFa maximizes)."""
    a = stack_weights(weights, normalize=normalize)
    n = torch.as_tensor(directions, dtype=torch.float64).reshape(-1, a.shape[1])
    return float((n @ a.T).pow(2).sum())
