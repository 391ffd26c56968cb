"""Losses as pure functions. Each docstring names the book's equation it computes.

ELBO terms (``book/vae.ipynb``):

    ELBO(x) = E_{q_φ(z|x)}[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z))     Eq. (vae-elbo)
    KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_k (μ_k² + σ_k² − log σ_k² − 1)   Eq. (vae-kl-gauss)
    log p(x) ≈ log (1/S) Σ_s p(x|z_s) p(z_s) / q(z_s),  z_s ~ q         (importance sampling)

The importance-sampling estimate is ``book/generative_models.ipynb``'s naive estimate when q = p(z)
and the importance-weighted bound of Burda et al. (2016) when q = q_φ(z|x).

The WAE-MMD penalty (``book/vae_blur.ipynb``), the unbiased estimate of the squared maximum mean
discrepancy between samples x_1..x_n ~ P and y_1..y_m ~ Q, for a kernel k:

    MMD²_u = 1/(n(n−1)) Σ_{i≠j} k(x_i, x_j) + 1/(m(m−1)) Σ_{i≠j} k(y_i, y_j) − 2/(nm) Σ_{i,j} k(x_i, y_j)
                                                                                 Eq. (blur-mmd)
    k_imq(x, y) = Σ_s s / (s + ‖x − y‖²),   k_rbf(x, y) = Σ_s exp(−‖x − y‖² / s)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.distributions import kl_divergence


def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Eq. (vae-kl-gauss): KL(N(μ, diag σ²) ‖ N(0, I)) per row, shape (N,)."""
    return 0.5 * (mu.pow(2) + log_var.exp() - log_var - 1).sum(dim=-1)


def elbo(model, x: torch.Tensor, *, beta: float = 1.0, n_samples: int = 1) -> dict[str, torch.Tensor]:
    """Eq. (vae-elbo) for a VAE-like ``model`` (``encode``, ``decode``, ``prior``, ``to_unit``).

    ``x``: (N, C, H, W) in [-1, 1]. Returns per-example tensors of shape (N,):
    ``recon`` = E_q[log p(x|z)] (``n_samples`` reparameterized draws),
    ``kl`` = KL(q(z|x) ‖ p(z)) (analytic), ``elbo`` = recon − kl, and
    ``loss`` = −(recon − beta · kl), the β-VAE objective to minimize.
    """
    _check_n_samples(n_samples)
    q = model.encode(x)
    target = model.to_unit(x)
    z = q.rsample((n_samples,))  # reparameterization: z = μ + σ ⊙ ε
    recon = torch.stack([model.decode(zs).log_prob(target) for zs in z]).mean(0)
    kl = kl_divergence(q, model.prior())
    return {"recon": recon, "kl": kl, "elbo": recon - kl, "loss": -(recon - beta * kl)}


def importance_log_evidence(
    log_likelihood: Callable[[torch.Tensor], torch.Tensor],
    prior: torch.distributions.Distribution,
    proposal: torch.distributions.Distribution,
    n_samples: int,
) -> torch.Tensor:
    """The importance-sampling estimate above: a Monte Carlo estimate of log p(x) for each of N data points, shape (N,).

    ``proposal`` q has batch shape (N,) and event shape (k,) (one proposal per
    point; ``prior.expand((N,))`` gives the naive estimator); ``prior`` p(z) has
    event shape (k,); ``log_likelihood(z)`` maps z of shape (S, N, k) to
    log p(x_n|z_{s,n}) of shape (S, N). With q = p(z|x) every draw gives log p(x)
    exactly; for any other q the estimate is biased low (Jensen) and, for
    q = q_φ(z|x), it is the importance-weighted bound, at least the ELBO in
    expectation and tighter as ``n_samples`` grows.
    """
    _check_n_samples(n_samples)
    z = proposal.sample((n_samples,))
    log_w = log_likelihood(z) + prior.log_prob(z) - proposal.log_prob(z)  # log p(x, z_s) − log q(z_s)
    return torch.logsumexp(log_w, dim=0) - math.log(n_samples)


def _check_n_samples(n_samples) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer (draws of z per example), got {n_samples!r}")


# --- GAN losses -------------------------------------------------------------
#
# Functions of the discriminator's *logits* l = D(x) before any sigmoid (for
# the Wasserstein and hinge losses, the critic's scores). Each returns a scalar
# to minimize. With D(x) = σ(l):  log D = −softplus(−l),  log(1 − D) = −softplus(l).
# An empty batch of scores raises ValueError (its mean would be a silent NaN).


def _scores(*batches: torch.Tensor) -> None:
    for t in batches:
        if t.numel() == 0:
            raise ValueError(
                f"a GAN loss got an empty batch of scores (shape {tuple(t.shape)}); "
                "call it on at least one real and one generated example"
            )


def d_loss_minimax(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator side of the minimax game (Goodfellow et al., 2014):
    −E_{p_r}[log D(x)] − E_{p_g}[log(1 − D(x))]. Shared by the minimax and non-saturating GANs."""
    _scores(real, fake)
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def g_loss_minimax(fake: torch.Tensor) -> torch.Tensor:
    """Generator side of the minimax game: E_z[log(1 − D(G(z)))] (saturates when D wins)."""
    _scores(fake)
    return -F.softplus(fake).mean()


def g_loss_nonsaturating(fake: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss: −E_z[log D(G(z))] (NNDL eq. 13.48's objective)."""
    _scores(fake)
    return F.softplus(-fake).mean()


def d_loss_wasserstein(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN critic loss: E_{p_g}[D(x̃)] − E_{p_r}[D(x)] (minimized; the negated W1 estimate)."""
    _scores(real, fake)
    return fake.mean() - real.mean()


def g_loss_wasserstein(fake: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss: −E_z[D(G(z))]."""
    _scores(fake)
    return -fake.mean()


def d_loss_hinge(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge loss: E_{p_r}[max(0, 1 − D(x))] + E_{p_g}[max(0, 1 + D(x̃))]."""
    _scores(real, fake)
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def d_loss_least_squares(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """LSGAN: ½E_{p_r}[(D(x) − 1)²] + ½E_{p_g}[D(x̃)²]."""
    _scores(real, fake)
    return 0.5 * (real - 1).pow(2).mean() + 0.5 * fake.pow(2).mean()


def g_loss_least_squares(fake: torch.Tensor, *, scale: float = 0.5) -> torch.Tensor:
    """LSGAN generator: ``scale`` · E_z[(D(G(z)) − 1)²], the mean over every score (a PatchGAN's too).

    ``scale=0.5`` is the ½ of Mao et al. (2017), the generator loss of ``gan_losses("least_squares")``;
    CycleGAN's code takes the plain mean squared error, ``scale=1`` (Eq. (cg-adv) of ``book/cyclegan.ipynb``).
    """
    _scores(fake)
    return scale * (fake - 1).pow(2).mean()


#: name -> (discriminator loss, generator loss)
GAN_LOSSES = {
    "minimax": (d_loss_minimax, g_loss_minimax),
    "nonsaturating": (d_loss_minimax, g_loss_nonsaturating),
    "wasserstein": (d_loss_wasserstein, g_loss_wasserstein),
    "hinge": (d_loss_hinge, g_loss_wasserstein),
    "least_squares": (d_loss_least_squares, g_loss_least_squares),
}


def gan_losses(name: str):
    """The (discriminator loss, generator loss) pair called ``name``."""
    if name not in GAN_LOSSES:
        raise KeyError(f"unknown GAN loss {name!r}; known losses: {', '.join(GAN_LOSSES)}")
    return GAN_LOSSES[name]


def interpolates(real: torch.Tensor, fake: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """The points x̂ = ε x + (1 − ε) x̃ of WGAN-GP, with ε ~ U[0, 1] drawn once *per example* (not per pixel).

    ``real`` and ``fake`` are batches of the same shape ``(N, ...)`` and floating
    dtype; the result has that shape, on ``real``'s device, and keeps the graph
    of ``real`` and ``fake`` (detach them first if it should not). ``generator``
    (e.g. ``gencore.rng(seed)``) draws the N values of ε on its own device, CPU
    by default, and moves them; ``None`` draws from torch's global stream on
    ``real``'s device.
    """
    _check_pair(real, fake)
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    if generator is None:
        eps = torch.rand(shape, device=real.device, dtype=real.dtype)
    else:
        eps = torch.rand(shape, generator=generator, device=generator.device, dtype=real.dtype).to(real.device)
    return eps * real + (1 - eps) * fake


def _check_pair(real: torch.Tensor, fake: torch.Tensor) -> None:
    if real.shape != fake.shape:
        raise ValueError(f"real and fake batches differ in shape: {tuple(real.shape)} vs {tuple(fake.shape)}")
    if real.ndim == 0 or real.shape[0] == 0:
        raise ValueError(
            f"real and fake must be batches of shape (N, ...) with N >= 1, got shape {tuple(real.shape)} "
            "(an empty batch has no gradient penalty)"
        )
    if not (real.is_floating_point() and fake.is_floating_point()):
        raise ValueError(
            f"real and fake must be floating-point tensors (gradients are taken at their interpolates), "
            f"got {real.dtype} and {fake.dtype}; convert with .float()"
        )


def gradient_penalty(
    critic, real: torch.Tensor, fake: torch.Tensor, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The gradient penalty of WGAN-GP (Gulrajani et al., 2017): E_{x̂}[(‖∇_x̂ D(x̂)‖₂ − 1)²].

    It is the last term of Eq. (wg-gp-loss) in ``book/wgan_gp.ipynb``.

    x̂ = ε x + (1 − ε) x̃ from :func:`interpolates` (ε ~ U[0, 1] once per
    example; ``generator`` as there). λ is applied by the caller. The graph is
    kept so the penalty can be back-propagated into the critic's weights (not
    into ``real`` or ``fake``). Empty batches, batches of different shapes and
    integer tensors raise ``ValueError``.
    """
    x_hat = interpolates(real.detach(), fake.detach(), generator=generator).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()


def r1_penalty(discriminator, real: torch.Tensor) -> torch.Tensor:
    """R1 regularization (Mescheder et al., 2018): E_x[‖∇_x D(x)‖²] on real data only.

    StyleGAN2 adds (γ/2) times this to the discriminator's loss, computed lazily
    (every 16 steps, then scaled by 16); γ and the schedule are the caller's
    (:func:`gencore.train.stylegan.stylegan_phases`). The
    graph is kept so the penalty back-propagates into the discriminator's weights.
    """
    if real.ndim < 2 or real.shape[0] == 0 or not real.is_floating_point():
        raise ValueError(
            f"real must be a non-empty floating-point batch (N, ...), got {real.dtype} {tuple(real.shape)}"
        )
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(discriminator(x).sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(1).mean()


@torch.no_grad()
def clip_weights(module: torch.nn.Module, c: float) -> None:
    """WGAN's weight clipping: every parameter of ``module`` into [−c, c], in place."""
    if isinstance(c, bool) or not isinstance(c, numbers.Real) or not 0 < c < math.inf:
        raise ValueError(f"clipping bound must be a positive finite number, got {c!r}")
    for p in module.parameters():
        p.clamp_(-c, c)


#: WAE's scales of the inverse multiquadratic kernel, times 2·d (σ_z = 1): Tolstikhin et al. (2018)
IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def mmd2(x: torch.Tensor, y: torch.Tensor, *, kernel: str = "imq", scales=None) -> torch.Tensor:
    """Eq. (blur-mmd): the unbiased MMD² of samples ``x`` (n, d) and ``y`` (m, d), n, m >= 2; a 0-d tensor.

    ``kernel``: ``"imq"`` (WAE's inverse multiquadratic, default scales :data:`IMQ_SCALES` × 2d) or
    ``"rbf"`` (Gaussian, exp(−‖x − y‖²/s), default s = 2d); ``scales`` lists the s of a sum of kernels.
    Unbiased: its mean over repeated samples of one law is 0, so one estimate can be negative.
    """
    if kernel not in ("imq", "rbf"):
        raise ValueError(f"kernel must be 'imq' or 'rbf', got {kernel!r}")
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or min(x.shape[0], y.shape[0]) < 2:
        raise ValueError(
            f"mmd2 needs two samples (n, d) and (m, d) with n, m >= 2, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    d = x.shape[1]
    if scales is None:
        scales = [2 * d * s for s in IMQ_SCALES] if kernel == "imq" else [2.0 * d]
    scales = [float(s) for s in scales]
    if not scales or not all(math.isfinite(s) and s > 0 for s in scales):
        raise ValueError(f"scales must be positive finite numbers, got {scales!r}")

    def k(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        sq = torch.cdist(a, b).pow(2)
        if kernel == "imq":
            return sum(s / (s + sq) for s in scales)
        return sum(torch.exp(-sq / s) for s in scales)

    n, m = x.shape[0], y.shape[0]
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    off_x = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))  # Σ_{i≠j}: the diagonal k(x_i, x_i) left out
    off_y = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    return off_x + off_y - 2 * kxy.mean()


def rbf_mmd2_gaussians(mean_p, std_p: float, mean_q, std_q: float, scale: float) -> float:
    """Closed form of MMD² with k(x, y) = exp(−‖x − y‖²/s) between N(μ_p, σ_p² I) and N(μ_q, σ_q² I) in d dims.

    For X ~ N(a, α² I), Y ~ N(b, β² I) independent, E k(X, Y) = (1 + 2v/s)^(−d/2) exp(−‖a − b‖²/(s + 2v)),
    v = α² + β²; MMD² = E k(X, X') + E k(Y, Y') − 2 E k(X, Y). The reference for :func:`mmd2`.
    """
    a, b = (torch.as_tensor(m, dtype=torch.float64).flatten() for m in (mean_p, mean_q))
    d, s = a.numel(), float(scale)

    def ek(v: float, gap2: float) -> float:
        return (1 + 2 * v / s) ** (-d / 2) * math.exp(-gap2 / (s + 2 * v))

    gap2 = float((a - b).pow(2).sum())
    return ek(2 * std_p**2, 0.0) + ek(2 * std_q**2, 0.0) - 2 * ek(std_p**2 + std_q**2, gap2)
