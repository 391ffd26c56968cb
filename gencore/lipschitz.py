"""Lipschitz constants of critics, measured and bounded (``book/wgan_gp.ipynb``).

A function f is K-Lipschitz when |f(x) − f(y)| ≤ K ‖x − y‖₂ for all x, y. For a
differentiable f the smallest such K is sup_x ‖∇_x f(x)‖₂, so

- :func:`input_gradient_norm` gives a *lower* bound on K: the slope at the points
  one looks at (the quantity the WGAN-GP penalty pushes towards 1);
- :func:`lipschitz_bound` gives an *upper* bound for a sequential network: the
  product of the operator norms of its linear layers, Eq. (wg-lip-product),
  since Lip(g ∘ h) ≤ Lip(g) Lip(h), a bias does not change a slope, and
  (Leaky)ReLU with slope ≤ 1 is 1-Lipschitz.

The operator norm of a linear map A is its largest singular value σ_max(A),
found by power iteration on AᵀA (:func:`operator_norm`). For a convolution this
is the norm of the whole map on images, which can exceed σ_max of the reshaped
kernel matrix (out_channels, in_channels·k·k) that spectral normalization
(Miyato et al., 2018) divides by: each input pixel enters up to ⌈k/s⌉² patches,
so ‖conv‖ ≤ ⌈k/s⌉ · σ_max(kernel matrix), Eq. (wg-conv-bound).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

import gencore

#: layers that are 1-Lipschitz and have no weights: they contribute a factor of at most 1
_ONE_LIPSCHITZ = (nn.Flatten, nn.Identity, nn.ReLU, nn.Dropout)


def operator_norm(
    linear_map: Callable[[torch.Tensor], torch.Tensor],
    input_shape: Sequence[int],
    iters: int = 100,
    seed: int = 0,
) -> float:
    """σ_max of a *linear* map, by power iteration on AᵀA (Aᵀ via a vector-Jacobian product).

    ``linear_map`` takes a tensor of shape ``(1, *input_shape)``; it must be linear
    (no bias, no nonlinearity). Returns ‖A v‖ for the final unit vector v, which
    increases towards σ_max with ``iters`` (a lower bound at every iteration).
    """
    if iters < 1:
        raise ValueError(f"iters must be >= 1, got {iters}")
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(1, *input_shape, generator=gen, dtype=torch.float64)
    v /= v.norm()
    with torch.enable_grad():
        for _ in range(iters):
            v.requires_grad_(True)
            out = linear_map(v)
            (w,) = torch.autograd.grad(out, v, grad_outputs=out.detach())  # AᵀA v, as A is linear
            v = (w / w.norm()).detach()
    with torch.no_grad():
        return linear_map(v).norm().item()


def _weight_map(m: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    w = m.weight.detach().double().cpu()  # power iteration runs on the CPU, in float64
    if isinstance(m, nn.Conv2d):
        return lambda v: F.conv2d(v, w, None, m.stride, m.padding, m.dilation, m.groups)
    return lambda v: F.linear(v, w)


def layer_norms(net: nn.Sequential, input_shape: Sequence[int], iters: int = 100) -> list[dict]:
    """Per weight layer of ``net``: σ_max of its weight matrix and its operator norm.

    ``input_shape``: one example's shape, e.g. ``(1, 28, 28)``. Each row has
    ``index`` (position in ``net``), ``layer`` (class name), ``matrix_norm``
    (σ_max of the weight reshaped to (out, −1), what spectral normalization
    divides by) and ``operator_norm`` (σ_max of the layer as a map on its actual
    input, by :func:`operator_norm`). Accepts Conv2d and Linear layers (with or
    without a spectral-norm parametrization), 1-Lipschitz activations and
    reshapes; raises ``ValueError`` for anything else (batch or layer norm have no
    fixed Lipschitz constant). Call it on a network in eval mode: in train mode,
    reading a spectral-normalized weight runs one more power-iteration step.
    """
    rows = []
    x = torch.zeros(1, *input_shape, device=gencore.module_device(net))  # only to track shapes
    with torch.no_grad():
        for i, m in enumerate(net):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                rows.append(
                    {
                        "index": i,
                        "layer": "Conv2d" if isinstance(m, nn.Conv2d) else "Linear",
                        "matrix_norm": torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2).item(),
                        "operator_norm": operator_norm(_weight_map(m), x.shape[1:], iters),
                    }
                )
            elif isinstance(m, nn.LeakyReLU):
                if abs(m.negative_slope) > 1:
                    raise ValueError(f"LeakyReLU with slope {m.negative_slope} is not 1-Lipschitz")
            elif not isinstance(m, _ONE_LIPSCHITZ):
                raise ValueError(
                    f"no Lipschitz bound for layer {i} ({type(m).__name__}); "
                    "supported: Conv2d, Linear, (Leaky)ReLU, Flatten, Identity, Dropout"
                )
            x = m(x)
    return rows


def lipschitz_bound(net: nn.Sequential, input_shape: Sequence[int], iters: int = 100) -> float:
    """Eq. (wg-lip-product): the product of the operator norms of ``net``'s layers, ≥ Lip(net)."""
    return math.prod(r["operator_norm"] for r in layer_norms(net, input_shape, iters))


def input_gradient_norm(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """‖∇_x D(x_i)‖₂ for every example: ``x`` (N, ...) -> (N,).

    ``critic`` maps (N, ...) to scores (N,), each depending on its own example
    only (true without batch norm), so the gradient of the summed scores holds
    every example's own gradient.
    """
    with torch.enable_grad():
        x = x.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x).sum(), x)
    return grad.flatten(1).norm(dim=1)


def activation_gradient_norms(net: nn.Sequential, x: torch.Tensor) -> list[float]:
    """Mean over examples of ‖∂f/∂h‖₂, where h is the input of each Conv2d/Linear layer of ``net``.

    ``x``: (N, ...) a batch of inputs; ``f`` = ``net`` summed over its output.
    Returned in forward order, so the first entry is the gradient with respect to
    the input image and the last the gradient at the input of the final layer:
    the gradient flows backwards from the last entry to the first.
    """
    inputs = []
    with torch.enable_grad():
        h = x.detach().clone().requires_grad_(True)
        for m in net:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                inputs.append(h)
            h = m(h.clone() if getattr(m, "inplace", False) else h)  # keep the recorded input intact
        grads = torch.autograd.grad(h.sum(), inputs)  # leaves the parameters' .grad untouched
    return [g.flatten(1).norm(dim=1).mean().item() for g in grads]
