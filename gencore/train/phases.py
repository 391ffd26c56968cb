"""The phases the book trains with: one optimizer step each (see :mod:`gencore.train.loop`).

- :func:`vae_phase`: a step on the negative β-ELBO;
- :func:`gan_phases`: the critic (``n_critic`` times) and the generator of a GAN;
- :func:`critic_phase`: a discriminator or critic alone, between two fixed distributions;
- :func:`classifier_phase`: cross-entropy on labelled images;
- :func:`cyclegan_phases`: CycleGAN's generators (both) and discriminators (both);
- :func:`stylegan_phases`: StyleGAN2's discriminator (with lazy R1) and generator (with style mixing).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from gencore.losses import (
    clip_weights,
    cycle_loss,
    d_loss_least_squares,
    elbo,
    gan_losses,
    gradient_penalty,
    identity_loss,
    lsgan_generator_loss,
    r1_penalty,
)
from gencore.models.stylegan import mix_styles
from gencore.train.hooks import ImagePool
from gencore.train.loop import Phase


def _device(module: torch.nn.Module) -> torch.device:
    return next(module.parameters()).device


def vae_phase(model, optimizer: torch.optim.Optimizer, *, beta: float = 1.0) -> Phase:
    """The VAE's one update: a gradient step on −(recon − β·KL), the negative β-ELBO. Reads ``batch[0]``."""
    dev = _device(model)

    def update(batch) -> dict[str, float]:
        terms = elbo(model, batch[0].to(dev), beta=beta)
        loss = terms["loss"].mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "recon": terms["recon"].mean().item(), "kl": terms["kl"].mean().item()}

    return Phase("vae", update)


def gan_phases(
    generator,
    discriminator,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    *,
    loss: str = "nonsaturating",
    n_critic: int = 1,
    gp_weight: float = 0.0,
    clip: float | None = None,
    latent_dim: int | None = None,
) -> list[Phase]:
    """The alternating GAN updates (NNDL Algorithm 13.1 / WGAN Algorithm 1).

    ``critic`` runs ``n_critic`` times a step on a batch of real samples (``batch[0]``)
    and as many fresh fakes: it minimizes the discriminator loss of
    :func:`gencore.losses.gan_losses` ``(loss)``, plus ``gp_weight`` × gradient
    penalty, then clips weights to ±``clip`` if given. ``generator`` then takes one
    step on the generator loss with as many fakes as the last real batch had; it
    draws no batch.
    """
    if n_critic < 1:
        raise ValueError(f"n_critic must be >= 1, got {n_critic!r}")
    _, g_loss_fn = gan_losses(loss)
    dev = _device(generator)
    latent_dim = latent_dim or generator.latent_dim
    critic_step = critic_phase(discriminator, opt_d, loss=loss, gp_weight=gp_weight, clip=clip).update
    last_batch_size = [0]

    def critic_update(batch) -> dict[str, float]:
        real = batch[0].to(dev)
        last_batch_size[0] = real.shape[0]
        with torch.no_grad():
            fake = generator(torch.randn(real.shape[0], latent_dim, device=dev))
        return critic_step((real, fake))

    def generator_update(_: None) -> dict[str, float]:
        g_loss = g_loss_fn(discriminator(generator(torch.randn(last_batch_size[0], latent_dim, device=dev))))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        return {"g_loss": g_loss.item()}

    return [Phase("critic", critic_update, repeat=n_critic), Phase("generator", generator_update, takes_batch=False)]


def critic_phase(
    critic,
    optimizer: torch.optim.Optimizer,
    *,
    loss: str = "minimax",
    gp_weight: float = 0.0,
    clip: float | None = None,
    scheduler=None,
) -> Phase:
    """Train a discriminator or critic alone, between two *fixed* distributions.

    Each batch is a pair ``(real, fake)`` of samples (N, ...) drawn from p_r and
    p_g; no generator is involved. One update minimizes the discriminator loss
    of :func:`gencore.losses.gan_losses` ``(loss)`` (for ``"minimax"``,
    −E_{p_r}[log D] − E_{p_g}[log(1 − D)], whose minimizer is the optimal
    discriminator D* = p_r/(p_r + p_g) of ``book/optimal_discriminator.ipynb``), plus
    ``gp_weight`` × :func:`gencore.losses.gradient_penalty`; then it clips the
    weights to ±``clip`` if given and steps the learning-rate ``scheduler`` if
    given (a decaying rate lets D settle close to its optimum instead of
    jittering around it). Returns ``d_loss`` and, for the Wasserstein loss,
    ``w1``, the batch estimate E_{p_r}[f] − E_{p_g}[f] of the Kantorovich–Rubinstein
    dual of ``book/js_wasserstein.ipynb``; with ``gp_weight``, also ``gp``.
    """
    d_loss_fn, _ = gan_losses(loss)
    dev = _device(critic)

    def update(batch) -> dict[str, float]:
        real, fake = (t.to(dev) for t in batch)
        real_scores, fake_scores = critic(real), critic(fake)
        d_loss = d_loss_fn(real_scores, fake_scores)
        out = {"d_loss": d_loss.item()}
        if loss == "wasserstein":
            out["w1"] = (real_scores.mean() - fake_scores.mean()).item()
        if gp_weight:
            gp = gradient_penalty(critic, real, fake)
            d_loss = d_loss + gp_weight * gp
            out["gp"] = gp.item()
        optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        optimizer.step()
        if clip is not None:
            clip_weights(critic, clip)
        if scheduler is not None:
            scheduler.step()
        return out

    return Phase("critic", update)


def classifier_phase(
    model, optimizer: torch.optim.Optimizer, *, augment: Callable[[torch.Tensor], torch.Tensor] | None = None
) -> Phase:
    """One cross-entropy step on a batch ``(x, y)`` of labelled images, ``augment(x)`` first if given."""
    dev = _device(model)

    def update(batch) -> dict[str, float]:
        x, y = batch[0], batch[1]
        logits = model((augment(x) if augment else x).to(dev))
        loss = F.cross_entropy(logits, y.to(dev))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "acc": (logits.argmax(1).cpu() == y).float().mean().item()}

    return Phase("classifier", update)


def cyclegan_phases(
    g_ab,
    g_ba,
    d_a,
    d_b,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    *,
    cycle: float = 10.0,
    identity: float = 0.5,
    pools: tuple[ImagePool, ImagePool] | None = None,
) -> list[Phase]:
    """CycleGAN's two updates (Zhu et al., 2017; Eq. (cg-full) in ``book/cyclegan.ipynb``).

    A batch is a pair ``(x_a, x_b)`` of *unpaired* images of the two domains.
    ``generators`` takes one step of ``opt_g`` (both generators) on
    ``(D_B(G_AB(a)) − 1)² + (D_A(G_BA(b)) − 1)²`` + ``cycle`` × (L1 of both
    cycles) + ``identity · cycle`` × (L1 of both identity maps): the identity
    weight is relative to λ = ``cycle``, as in the official code (``lambda_identity``),
    so ``cycle=0`` leaves the adversarial losses alone. ``discriminators`` then
    takes one step of ``opt_d`` (both discriminators) on the least-squares loss,
    real images against the fakes of that step passed through ``pools``
    (:class:`~gencore.train.hooks.ImagePool`, default 50 images each); it draws no batch.
    """
    pool_a, pool_b = pools or (ImagePool(50), ImagePool(50))
    dev = _device(g_ab)
    last: dict[str, torch.Tensor] = {}

    def generators(batch) -> dict[str, float]:
        a, b = (t.to(dev) for t in batch[:2])
        fake_b, fake_a = g_ab(a), g_ba(b)
        adv = lsgan_generator_loss(d_b(fake_b)) + lsgan_generator_loss(d_a(fake_a))
        cyc = cycle_loss(a, g_ba(fake_b)) + cycle_loss(b, g_ab(fake_a))
        loss = adv + cycle * cyc
        out = {"g_adv": adv.item(), "cycle": cyc.item()}
        if identity and cycle:
            idt = identity_loss(b, g_ab(b)) + identity_loss(a, g_ba(a))
            loss = loss + identity * cycle * idt
            out["identity"] = idt.item()
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
        last.update(a=a, b=b, fake_a=fake_a.detach(), fake_b=fake_b.detach())
        return out

    def discriminators(_: None) -> dict[str, float]:
        fake_a, fake_b = pool_a.query(last["fake_a"]), pool_b.query(last["fake_b"])
        loss_a = d_loss_least_squares(d_a(last["a"]), d_a(fake_a))
        loss_b = d_loss_least_squares(d_b(last["b"]), d_b(fake_b))
        opt_d.zero_grad(set_to_none=True)
        (loss_a + loss_b).backward()
        opt_d.step()
        return {"d_a": loss_a.item(), "d_b": loss_b.item()}

    return [Phase("generators", generators), Phase("discriminators", discriminators, takes_batch=False)]


def lazy_adam(params, lr: float, betas: tuple[float, float], every: int) -> torch.optim.Adam:
    """Adam for a network regularized every ``every`` steps (StyleGAN2's lazy regularization):
    with c = every / (every + 1), the rate becomes c·lr and the betas β^c, so that the
    regularized steps keep the optimizer's effective statistics (stylegan2-ada-pytorch)."""
    c = every / (every + 1) if every else 1.0
    return torch.optim.Adam(params, lr=lr * c, betas=(betas[0] ** c, betas[1] ** c))


def stylegan_phases(
    generator,
    discriminator,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    *,
    r1_gamma: float,
    r1_every: int = 16,
    mixing: float = 0.9,
) -> list[Phase]:
    """StyleGAN2's alternating updates with the non-saturating logistic loss.

    ``discriminator`` steps on a real batch (``batch[0]``) and as many fakes; every
    ``r1_every``-th step it adds (γ/2)·R1·``r1_every`` (lazy R1). ``generator`` then steps
    on fresh fakes; both draw their ws with style mixing (probability ``mixing``)
    and the generator's step updates the running mean of w. Neither uses
    path-length regularization (the official CIFAR-10 configuration does not either).
    """
    dev = _device(generator)
    z_dim, steps, size = generator.config.z_dim, [0], [0]

    def discriminator_update(batch) -> dict[str, float]:
        real = batch[0].to(dev)
        size[0] = real.shape[0]
        with torch.no_grad():
            fake = generator.synthesis(mix_styles(generator, torch.randn(size[0], z_dim, device=dev), prob=mixing))
        loss = F.softplus(discriminator(fake)).mean() + F.softplus(-discriminator(real)).mean()
        out = {"d_loss": loss.item()}
        if r1_every and steps[0] % r1_every == 0:
            r1 = r1_penalty(discriminator, real)
            loss = loss + r1 * (r1_gamma / 2) * r1_every
            out["r1"] = r1.item()
        steps[0] += 1
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        return out

    def generator_update(_: None) -> dict[str, float]:
        ws = mix_styles(generator, torch.randn(size[0], z_dim, device=dev), prob=mixing)
        loss = F.softplus(-discriminator(generator.synthesis(ws))).mean()
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
        return {"g_loss": loss.item()}

    return [
        Phase("discriminator", discriminator_update),
        Phase("generator", generator_update, takes_batch=False),
    ]
