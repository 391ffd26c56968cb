"""The generic phases: one optimizer step each (see :mod:`gencore.train.loop`).

- :func:`vae_phase`: a step on the negative β-ELBO;
- :func:`gan_phases`: the critic (``n_critic`` times) and the generator of a GAN;
- :func:`critic_phase`: a discriminator or critic alone, between two fixed distributions;
- :func:`classifier_phase`: cross-entropy on labelled images;

Every generator step runs with the discriminator :func:`gencore.frozen`: it needs the
gradients of the discriminator's input only, not those of its weights.

A model family's own phases live in a module of that family's name beside this one
(``gencore.train.cyclegan``, ``gencore.train.stylegan``); this module imports no family.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from gencore import frozen, module_device
from gencore.losses import clip_weights, elbo, gan_losses, gradient_penalty
from gencore.train.loop import Phase


def vae_phase(model, optimizer: torch.optim.Optimizer, *, beta: float = 1.0) -> Phase:
    """The VAE's one update: a gradient step on −(recon − β·KL), the negative β-ELBO. Reads ``batch[0]``."""
    dev = module_device(model)

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
    step on the generator loss with as many fakes as the last real batch had, with
    the discriminator :func:`frozen`; it draws no batch.
    """
    if n_critic < 1:
        raise ValueError(f"n_critic must be >= 1, got {n_critic!r}")
    _, g_loss_fn = gan_losses(loss)
    dev = module_device(generator)
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
        with frozen(discriminator):
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
    dev = module_device(critic)

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
    dev = module_device(model)

    def update(batch) -> dict[str, float]:
        x, y = batch[0], batch[1]
        logits = model((augment(x) if augment else x).to(dev))
        loss = F.cross_entropy(logits, y.to(dev))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "acc": (logits.argmax(1).cpu() == y).float().mean().item()}

    return Phase("classifier", update)
