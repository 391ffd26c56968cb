"""Walking a generator's latent space: interpolation and inpainting (``book/dcgan.ipynb``).

Inpainting by optimising z (Yeh et al., 2017; seed 003), for an image y with
mask M (1 where pixels are known):

    L(z) = ‖M ⊙ (G(z) − y)‖₁ + λ log(1 − D(G(z)))                         (inpaint)
    ẑ = argmin_z L(z)           (seed 003 writes argmin over λ: it is over z)
    x̂ = M ⊙ y + (1 − M) ⊙ G(ẑ)

The first term is the *contextual* loss (agree with the known pixels), the
second the *perceptual* (adversarial) loss (look real to the discriminator).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def lerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Linear interpolation (1 − t) a + t b; ``t`` scalar or (N,) for rows of ``a``, ``b``."""
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device).reshape(-1, *([1] * (a.ndim - 1)))
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Spherical interpolation between rows of ``a`` and ``b`` (N, d) at fractions ``t`` (scalar or (N,)).

    For Gaussian z, slerp keeps the norm near the typical √d shell that the
    generator was trained on, where lerp passes closer to the origin.
    """
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device).reshape(-1, 1)
    an, bn = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    omega = torch.acos((an * bn).sum(1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def inpaint(
    generator,
    discriminator,
    image: torch.Tensor,
    mask: torch.Tensor,
    *,
    lam: float = 0.01,
    steps: int = 300,
    lr: float = 0.05,
    restarts: int = 16,
    seed: int = 0,
) -> dict[str, torch.Tensor]:
    """Eq. (inpaint) for one image ``(1, C, H, W)`` in [-1, 1] and a mask of the same shape (1 = known).

    Optimises ``restarts`` latent codes in parallel with Adam and keeps the one
    with the smallest contextual loss. Returns ``z``, ``generated`` G(ẑ),
    ``completed`` M ⊙ y + (1 − M) ⊙ G(ẑ), and the ``contextual`` loss per restart.
    """
    if image.ndim != 4 or image.shape[0] != 1:
        raise ValueError(f"inpaint takes one image of shape (1, C, H, W), got {tuple(image.shape)}")
    if mask.shape != image.shape:
        raise ValueError(f"mask shape {tuple(mask.shape)} differs from image shape {tuple(image.shape)}")
    dev = next(generator.parameters()).device
    image, mask = image.to(dev), mask.to(dev, image.dtype)
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(restarts, generator.latent_dim, generator=gen).to(dev).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    modes = generator.training, discriminator.training
    generator.eval(), discriminator.eval()
    for p in [*generator.parameters(), *discriminator.parameters()]:
        p.requires_grad_(False)
    try:
        for _ in range(steps):
            fake = generator(z)
            contextual = (mask * (fake - image)).abs().flatten(1).sum(1)
            perceptual = -F.softplus(discriminator(fake))  # log(1 − D(G(z))) with D = σ(logit)
            loss = (contextual + lam * perceptual).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    finally:
        for p in [*generator.parameters(), *discriminator.parameters()]:
            p.requires_grad_(True)
        generator.train(modes[0]), discriminator.train(modes[1])
    with torch.no_grad():
        fake = generator(z)
        contextual = (mask * (fake - image)).abs().flatten(1).sum(1)
        best = contextual.argmin()
        generated = fake[best : best + 1]
        completed = mask * image + (1 - mask) * generated
    return {"z": z[best].detach(), "generated": generated, "completed": completed, "contextual": contextual}
