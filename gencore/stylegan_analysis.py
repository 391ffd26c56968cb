"""The StyleGAN chapter's measurements of a generator, with the shipped ``shapes-regressor`` reading
the factors of its images (``book/stylegan.ipynb``).

- :func:`style_mixing_sources`: which of two codes each factor follows when the layers are split between them;
- :func:`truncation_tradeoff`: Fréchet distance, diversity and confidence along the truncation ψ;
- :func:`path_lengths`: perceptual path length terms in z or in w (:func:`gencore.metrics.step_lengths`
  in the regressor's features);
- :func:`copy_fit`: a generator trained as a plain regressor, fixed codes to fixed images, with no
  discriminator: how fast an architecture can draw the data at all.

The Fréchet distance is the ``stylegan-shapes`` recipe's own measurement
(:func:`gencore.recipes.stylegan_shapes.shapes_fd`).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F

import gencore
from gencore import metrics, pretrained
from gencore.data.shapes import FACTORS, factor_distance, factor_spans
from gencore.latent import slerp
from gencore.recipes.stylegan_shapes import shapes_fd


def _codes(generator, n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, generator.config.z_dim, generator=gencore.rng(seed)).to(gencore.module_device(generator))


@torch.no_grad()
def style_mixing_sources(generator, cut: int, n: int = 500, seed: int = 0) -> dict[str, float]:
    """Which source each factor follows when the layers before ``cut`` read w_A and the rest w_B.

    For ``n`` pairs, the regressor reads the factors of A, B and the mix; the value
    for a factor is the fraction of pairs whose mix is closer to A than to B in that
    factor (``shape``: the mix has A's shape rather than B's, among pairs whose shapes differ).
    """
    reg = pretrained.cached("shapes-regressor")
    wa = generator.broadcast(generator.mapping(_codes(generator, n, seed)))
    wb = generator.broadcast(generator.mapping(_codes(generator, n, seed + 1)))
    mixed = torch.cat([wa[:, :cut], wb[:, cut:]], 1)
    images = [generator.synthesis(w, noise_mode="const").cpu() for w in (wa, wb, mixed)]
    fa, fb, fm = (reg.factors(x) for x in images)
    sa, sb, sm = (reg(x)[1].argmax(1) for x in images)
    closer_to_a = factor_distance(fm, fa) < factor_distance(fm, fb)
    out = {f: float(closer_to_a[:, j].float().mean()) for j, f in enumerate(FACTORS)}
    differ = sa != sb
    out["shape"] = float((sm[differ] == sa[differ]).float().mean()) if differ.any() else float("nan")
    return out


@torch.no_grad()
def truncation_tradeoff(generator, psis, n: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """For each ψ: Fréchet distance to real shapes, diversity and shape confidence of ``n`` samples.

    diversity: the mean over factors of the factor's standard deviation as a share of
    its range (real shapes, uniform factors: 1/sqrt(12) = 0.289; hue is left out, as an angle);
    confidence: the regressor's mean top shape probability.
    """
    reg, z = pretrained.cached("shapes-regressor"), _codes(generator, n, seed)
    spans = factor_spans()[1:]
    out: dict[str, list[float]] = {"psi": [], "fd": [], "diversity": [], "confidence": []}
    for psi in psis:
        x = generator(z, psi=float(psi), noise_mode="const").cpu()
        factors = reg.factors(x)
        out["psi"].append(float(psi))
        out["fd"].append(shapes_fd(x))
        out["diversity"].append(float((factors[:, 1:].std(0) / spans).mean()))
        out["confidence"].append(float(torch.softmax(reg(x)[1], 1).amax(1).mean()))
    return out


@torch.no_grad()
def path_lengths(generator, space: str, n: int = 1000, eps: float = 1e-4, seed: int = 0) -> np.ndarray:
    """StyleGAN's perceptual path length terms in ``space`` 'z' (slerp) or 'w' (lerp of mapped codes),
    with d = squared distance of the regressor's features: d(G(p(t)), G(p(t + eps))) / eps^2."""
    if space not in ("z", "w"):
        raise ValueError(f"space must be 'z' or 'w', got {space!r}")
    z1, z2 = _codes(generator, n, seed), _codes(generator, n, seed + 1)
    t = torch.rand(n, generator=gencore.rng(seed + 2)).to(z1.device)[:, None]
    if space == "z":
        ends = [generator.mapping(slerp(z1, z2, t)), generator.mapping(slerp(z1, z2, t + eps))]
    else:
        w1, w2 = generator.mapping(z1), generator.mapping(z2)
        ends = [w1.lerp(w2, t), w1.lerp(w2, t + eps)]
    a, b = (generator.synthesis(generator.broadcast(w), noise_mode="const") for w in ends)
    return metrics.step_lengths(a, b, pretrained.cached("shapes-regressor"), eps)


def copy_fit(
    generator,
    images: torch.Tensor,
    *,
    steps: int,
    lr: float,
    betas: tuple[float, float] = (0.5, 0.99),
    batch_size: int = 32,
    every: int = 50,
    seed: int = 0,
) -> dict:
    """Train a copy of ``generator`` as a regressor: fixed codes z_i (one per image, drawn with
    ``seed``) to ``images`` (N, C, H, W), mean squared error, Adam, no discriminator.

    A generator that cannot *copy* N images from N codes in some number of steps cannot learn
    to draw them adversarially in as many. Returns ``{"steps": [...], "mse": [...],
    "copies": (N, C, H, W)}``: the MSE over all N images every ``every`` steps and the copies
    at the end. A StyleGAN generator renders without noise; other modules are called on z.
    The copy trains in train mode (batch norm uses batch statistics) and is read in eval mode.
    """
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}")
    for name, value in (("steps", steps), ("every", every), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    model = copy.deepcopy(generator).train()
    styled = hasattr(model, "synthesis")
    z_dim = model.config.z_dim if styled else model.latent_dim
    device = gencore.module_device(model)
    gen = gencore.rng(seed)
    z = torch.randn(len(images), z_dim, generator=gen).to(device)
    images = images.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=betas)

    def render(codes: torch.Tensor) -> torch.Tensor:
        return model(codes, noise_mode="none") if styled else model(codes)

    def measure() -> torch.Tensor:
        with gencore.eval_mode(model), torch.no_grad():
            return torch.cat([render(z[i : i + 256]) for i in range(0, len(z), 256)])

    out = {"steps": [], "mse": []}
    for step in range(1, steps + 1):
        idx = torch.randint(len(images), (min(batch_size, len(images)),), generator=gen).to(device)
        loss = F.mse_loss(render(z[idx]), images[idx])
        if not torch.isfinite(loss):
            raise FloatingPointError(f"copy_fit: the loss became {loss.item()} at step {step}; lower lr ({lr})")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % every == 0 or step == steps:
            out["steps"].append(step)
            out["mse"].append(float(F.mse_loss(measure(), images)))
    out["copies"] = measure().cpu()
    return out
