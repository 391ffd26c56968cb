"""Walking a generator's latent space: interpolation and inpainting (``book/dcgan.ipynb``).

Inpainting by optimising z (Yeh et al., 2017; seed 003), for an image y with
mask M (1 where pixels are known):

    L(z) = ‖M ⊙ (G(z) − y)‖₁ + λ log(1 − D(G(z)))                         (inpaint)
    ẑ = argmin_z L(z)           (seed 003 writes argmin over λ: it is over z)
    x̂ = M ⊙ y + (1 − M) ⊙ G(ẑ)

The first term is the *contextual* loss (agree with the known pixels), the
second the *perceptual* (adversarial) loss (look real to the discriminator).

Latent vector arithmetic (Radford et al., 2016; seed 003): a direction for an
attribute a(x) measured on images (stroke ink, say) is the difference of the
mean codes of the samples that score highest and lowest on it,

    Δ = mean{z : a(G(z)) in the top q} − mean{z : a(G(z)) in the bottom q},     (direction)

optionally computed within each class c and averaged over classes, so that an
attribute correlated with the class (1s have little ink, 0s a lot) does not
pull the class into the direction.

In the book these are Eqs. (dc-inpaint) and (dc-direction) of ``book/dcgan.ipynb``.

Why a VAE blurs (``book/vae_blur.ipynb``). With posteriors q(z|x_j) = N(μ_j, diag σ_j²) of N
training images, the decoder that minimizes E_j E_{z~q(z|x_j)} ‖x_j − D(z)‖² is the
posterior-weighted average of the images,

    D*(z) = Σ_j r_j(z) x_j,   r_j(z) = q(z|x_j) / Σ_i q(z|x_i)                    Eq. (blur-dstar)

so where posteriors overlap (r spread over many j) the best decoder under MSE averages images.
Codes are fitted to images as the talk does for its interpolation: ẑ = argmin_z ‖x − Dec(z)‖².
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

import gencore


def _check_pair(a: torch.Tensor, b: torch.Tensor, t) -> None:
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if not bool(torch.isfinite(torch.as_tensor(t, dtype=torch.float64)).all()):
        raise ValueError(f"t must be finite, got {t!r}")


def lerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Linear interpolation (1 − t) a + t b; ``t`` scalar or (N,) for rows of ``a``, ``b``."""
    _check_pair(a, b, t)
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device).reshape(-1, *([1] * (a.ndim - 1)))
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Spherical interpolation between rows of ``a`` and ``b`` (N, d) at fractions ``t`` (scalar or (N,)).

    For Gaussian z, slerp keeps the norm near the typical √d shell that the
    generator was trained on, where lerp passes closer to the origin.
    """
    _check_pair(a, b, t)
    if a.ndim != 2:
        raise ValueError(f"slerp takes rows (N, d), got shape {tuple(a.shape)}")
    if bool((a.norm(dim=1) == 0).any()) or bool((b.norm(dim=1) == 0).any()):
        raise ValueError("slerp needs non-zero vectors: a zero vector has no direction")
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device).reshape(-1, 1)
    an, bn = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    omega = torch.acos((an * bn).sum(1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def attribute_direction(
    z: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor | None = None, frac: float = 0.25
) -> torch.Tensor:
    """Eq. (dc-direction) of ``book/dcgan.ipynb``: codes ``z`` (N, d), scores (N,) of G(z) -> a direction (d,).

    The mean code of the top ``frac`` of samples by score minus that of the
    bottom ``frac``. With ``labels`` (N,) (e.g. a classifier's predicted digit),
    the difference is taken within each class that has at least 2 samples and
    averaged over those classes with equal weights.
    """
    scores = torch.as_tensor(scores, dtype=z.dtype, device=z.device).reshape(-1)
    if z.ndim != 2 or len(scores) != len(z):
        raise ValueError(f"expected z (N, d) and scores (N,), got {tuple(z.shape)} and {tuple(scores.shape)}")
    if not 0 < frac <= 0.5:
        raise ValueError(f"frac must be in (0, 0.5], got {frac}")
    labels = torch.zeros(len(z), dtype=torch.long) if labels is None else torch.as_tensor(labels).reshape(-1)
    diffs = []
    for c in labels.unique():
        idx = (labels == c).nonzero().squeeze(1).to(z.device)
        if len(idx) < 2:
            continue
        order = idx[scores[idx].argsort()]
        q = max(1, int(frac * len(order)))
        diffs.append(z[order[-q:]].mean(0) - z[order[:q]].mean(0))
    if not diffs:
        raise ValueError("no class has 2 or more samples")
    return torch.stack(diffs).mean(0)


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
    """Eq. (dc-inpaint) of ``book/dcgan.ipynb``.

    For images ``(N, C, H, W)`` in [-1, 1] and a mask ``(N or 1, C, H, W)`` (1 = known).

    Optimises ``restarts`` latent codes per image, all N·restarts in parallel
    with Adam (the images do not interact: the loss is a sum over them and the
    networks are in eval mode), and keeps for each image the code with the
    smallest contextual loss. Returns ``z`` (N, d), ``generated`` G(ẑ)
    (N, C, H, W), ``completed`` M ⊙ y + (1 − M) ⊙ G(ẑ) (N, C, H, W), and the
    ``contextual`` loss of every restart (N, restarts).
    """
    if image.ndim != 4:
        raise ValueError(f"inpaint takes images of shape (N, C, H, W), got {tuple(image.shape)}")
    if mask.ndim != 4 or mask.shape[1:] != image.shape[1:] or mask.shape[0] not in (1, image.shape[0]):
        raise ValueError(f"mask shape {tuple(mask.shape)} differs from image shape {tuple(image.shape)}")
    if not bool(torch.isfinite(mask).all()) or float(mask.min()) < 0 or float(mask.max()) > 1:
        raise ValueError(f"mask values must lie in [0, 1] (1 = known), got {float(mask.min())} to {float(mask.max())}")
    if not isinstance(getattr(generator, "latent_dim", None), int):
        raise ValueError(f"inpaint needs a generator from noise with .latent_dim; {type(generator).__name__} has none")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 1:
        raise ValueError(f"restarts must be a positive integer, got {restarts!r}")
    dev = gencore.module_device(generator)
    n = image.shape[0]
    image, mask = image.to(dev), mask.to(dev, image.dtype)
    target = image.repeat_interleave(restarts, 0)  # row i·restarts + r: restart r of image i
    known = mask.expand_as(image).repeat_interleave(restarts, 0)
    gen = torch.Generator().manual_seed(seed)
    # drawn image by image, so that image 0 starts exactly where a call on it alone would
    z = torch.cat([torch.randn(restarts, generator.latent_dim, generator=gen) for _ in range(n)])
    z = z.to(dev).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    with gencore.eval_mode(generator, discriminator):
        with gencore.frozen(generator, discriminator):  # gradients of z only
            for _ in range(steps):
                fake = generator(z)
                contextual = (known * (fake - target)).abs().flatten(1).sum(1)
                perceptual = -F.softplus(discriminator(fake))  # log(1 − D(G(z))) with D = σ(logit)
                loss = (contextual + lam * perceptual).sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        with torch.no_grad():
            fake = generator(z)
            contextual = (known * (fake - target)).abs().flatten(1).sum(1).view(n, restarts)
            best = torch.arange(n, device=dev) * restarts + contextual.argmin(1)
            generated = fake[best]
            completed = mask * image + (1 - mask) * generated
    return {"z": z[best].detach(), "generated": generated, "completed": completed, "contextual": contextual}


def posterior_responsibilities(z: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Eq. (blur-dstar)'s r_j(z): ``(M, N)`` weights, rows summing to 1, for codes ``z`` (M, d) and the
    diagonal Gaussian posteriors N(μ_j, diag σ_j²) of N images (``mu``, ``sigma``: (N, d), σ > 0)."""
    if z.ndim != 2 or mu.shape != sigma.shape or mu.ndim != 2 or z.shape[1] != mu.shape[1]:
        raise ValueError(
            f"expected z (M, d) and mu, sigma (N, d) of one d, got {tuple(z.shape)}, {tuple(mu.shape)}, "
            f"{tuple(sigma.shape)}"
        )
    if not bool((sigma > 0).all()):
        raise ValueError("sigma must be positive: a posterior with σ = 0 has no density")
    z, mu, sigma = z.double(), mu.double(), sigma.double()
    # log N(z_m; μ_j, σ_j²), summed over the d coordinates: (M, N)
    log_q = -0.5 * (((z[:, None, :] - mu[None]) / sigma[None]) ** 2).sum(-1) - sigma.log().sum(-1)[None]
    return torch.softmax(log_q, dim=1)


def mse_optimal_decoder(z: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Eq. (blur-dstar): D*(z) = Σ_j r_j(z) x_j for ``images`` (N, C, H, W) with posteriors ``mu``, ``sigma``."""
    if images.shape[0] != mu.shape[0]:
        raise ValueError(f"need one image per posterior, got {images.shape[0]} images and {mu.shape[0]} posteriors")
    r = posterior_responsibilities(z, mu, sigma).to(images.dtype)
    return (r @ images.flatten(1)).view(-1, *images.shape[1:])


def fit_codes(
    decode, targets: torch.Tensor, latent_dim: int, *, steps: int = 300, lr: float = 0.05, seed: int = 0
) -> torch.Tensor:
    """Codes ẑ (N, latent_dim) with ``decode(ẑ)`` close to ``targets`` (N, C, H, W): Adam on ‖x − decode(z)‖²
    from z ~ N(0, I) (seeded), as the talk fits z₁, z₂ before interpolating. Only z receives gradients."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(targets.shape[0], latent_dim, generator=gen).to(targets.device).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    for _ in range(steps):
        loss = (decode(z) - targets).pow(2).flatten(1).sum(1).sum()
        (grad,) = torch.autograd.grad(loss, z)  # the decoder's weights get no .grad
        z.grad = grad
        opt.step()
    return z.detach()
