"""One training loop for every model in the book.

A model is trained by a list of :class:`Phase` s run in turn at every step:
a VAE has one (``vae``); a GAN has two (``critic`` repeated ``n_critic``
times, then ``generator``). A phase's ``update`` takes a batch, makes one
optimizer step and returns its losses as floats. :func:`train` adds the rest:
the progress bar, the history, snapshots, checkpoints, NaN detection, and a
Ctrl-C that stops cleanly and keeps the model and the history.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm.auto import tqdm

from gencore.losses import elbo


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite. ``history`` holds everything up to then."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


@dataclass
class Phase:
    """One kind of update: ``update(batch) -> {loss name: float}``, run ``repeat`` times a step."""

    name: str
    update: Callable[[Any], dict[str, float]]
    repeat: int = 1


@dataclass
class History:
    """What a run leaves: per-step losses, evaluations, snapshots, and how it ended."""

    steps: list[int] = field(default_factory=list)
    losses: dict[str, list[float]] = field(default_factory=dict)
    evals: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    snapshots: list[tuple[int, Any]] = field(default_factory=list)
    interrupted: bool = False
    completed_steps: int = 0
    wall_time_s: float = 0.0

    def log(self, step: int, values: dict[str, float]) -> None:
        self.steps.append(step)
        for k, v in values.items():
            self.losses.setdefault(k, []).append(float(v))

    def last(self, key: str, n: int = 1) -> float:
        """Mean of the last ``n`` logged values of ``key``."""
        vals = self.losses.get(key) or [v for _, v in self.evals.get(key, [])]
        if not vals:
            raise KeyError(f"no values logged under {key!r}; logged: {sorted(self.losses) + sorted(self.evals)}")
        tail = vals[-n:]
        return sum(tail) / len(tail)


def _progress_default() -> bool:
    return os.environ.get("GENCORE_PROGRESS", "1") not in ("0", "", "false")


def train(
    phases: list[Phase],
    batches: Iterator,
    steps: int,
    *,
    evaluate: Callable[[], dict[str, float]] | None = None,
    eval_every: int = 0,
    snapshot: Callable[[], Any] | None = None,
    snapshot_every: int = 0,
    checkpoint: Callable[[int], None] | None = None,
    checkpoint_every: int = 0,
    progress: bool | None = None,
    history: History | None = None,
) -> History:
    """Run ``steps`` steps of the ``phases`` on batches drawn from ``batches``.

    ``evaluate() -> dict`` runs every ``eval_every`` steps (and at the end);
    ``snapshot() -> anything`` every ``snapshot_every`` steps (also at step 0
    and at the end), e.g. samples for a slider over training;
    ``checkpoint(step)`` every ``checkpoint_every`` steps and at the end.
    Pass ``history`` to continue a run. Raises :class:`TrainingDiverged` on a
    NaN/inf loss; on Ctrl-C returns the history with ``interrupted=True``.
    """
    if not phases:
        raise ValueError("train() needs at least one Phase")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    history = history or History()
    start = history.completed_steps
    show = _progress_default() if progress is None else progress
    bar = tqdm(total=steps, disable=not show, desc="+".join(p.name for p in phases), leave=False)
    t0 = time.perf_counter()
    step = start

    def due(every: int) -> bool:
        return every > 0 and step % every == 0

    try:
        if snapshot is not None and snapshot_every and not history.snapshots:
            history.snapshots.append((step, snapshot()))
        for step in range(start + 1, start + steps + 1):
            values: dict[str, float] = {}
            for phase in phases:
                for _ in range(phase.repeat):
                    out = phase.update(next(batches))
                    for k, v in out.items():
                        v = float(v)
                        if not math.isfinite(v):
                            history.completed_steps = step - 1
                            raise TrainingDiverged(
                                f"loss {k!r} of phase {phase.name!r} became {v} at step {step}. "
                                "Lower the learning rate, check the data range, or clip gradients; "
                                "the history up to here is in err.history.",
                                history,
                            )
                        values[k] = v
            history.log(step, values)
            history.completed_steps = step
            if evaluate is not None and due(eval_every):
                for k, v in evaluate().items():
                    history.evals.setdefault(k, []).append((step, float(v)))
            if snapshot is not None and due(snapshot_every):
                history.snapshots.append((step, snapshot()))
            if checkpoint is not None and due(checkpoint_every):
                checkpoint(step)
            bar.update(1)
            if show and step % 10 == 0:
                bar.set_postfix({k: f"{v:.3g}" for k, v in values.items()})
    except KeyboardInterrupt:
        history.interrupted = True
        print(
            f"Interrupted at step {history.completed_steps} of {start + steps}: "
            "the model keeps its weights and the history is returned."
        )
    finally:
        bar.close()
        history.wall_time_s += time.perf_counter() - t0
    step = history.completed_steps
    if not history.interrupted:
        if evaluate is not None and not due(eval_every):
            for k, v in evaluate().items():
                history.evals.setdefault(k, []).append((step, float(v)))
        if snapshot is not None and snapshot_every and history.snapshots[-1][0] != step:
            history.snapshots.append((step, snapshot()))
        if checkpoint is not None and not due(checkpoint_every):
            checkpoint(step)
    return history


def vae_phase(model, optimizer: torch.optim.Optimizer, *, beta: float = 1.0) -> Phase:
    """The VAE's one update: a gradient step on −(recon − β·KL), Eq. (elbo)."""
    dev = next(model.parameters()).device

    def update(batch) -> dict[str, float]:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        terms = elbo(model, x.to(dev), beta=beta)
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

    ``critic`` runs ``n_critic`` times a step: minimize the discriminator loss
    of :func:`gencore.losses.gan_losses` ``(loss)``, plus ``gp_weight`` ×
    gradient penalty, then clip weights to ±``clip`` if given. ``generator``
    then takes one step on the generator loss. Batches are real samples (a
    tensor, or a tuple whose first item is one); fakes match their size.
    """
    from gencore.losses import gan_losses

    _, g_loss_fn = gan_losses(loss)
    dev = next(generator.parameters()).device
    latent_dim = latent_dim or generator.latent_dim

    def real_of(batch) -> torch.Tensor:
        return (batch[0] if isinstance(batch, (tuple, list)) else batch).to(dev)

    # One critic step is critic_phase's update on (real, fresh fakes).
    critic_step = critic_phase(discriminator, opt_d, loss=loss, gp_weight=gp_weight, clip=clip).update

    def critic_update(batch) -> dict[str, float]:
        real = real_of(batch)
        with torch.no_grad():
            fake = generator(torch.randn(real.shape[0], latent_dim, device=dev))
        return critic_step((real, fake))

    def generator_update(batch) -> dict[str, float]:
        n = real_of(batch).shape[0]
        g_loss = g_loss_fn(discriminator(generator(torch.randn(n, latent_dim, device=dev))))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        return {"g_loss": g_loss.item()}

    return [Phase("critic", critic_update, repeat=n_critic), Phase("generator", generator_update)]


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
    −E_{p_r}[log D] − E_{p_g}[log(1 − D)], whose minimizer is D* of Eq.
    (od-d-star) in ``book/optimal_discriminator.ipynb``), plus ``gp_weight`` ×
    :func:`gencore.losses.gradient_penalty`; then it clips the weights to
    ±``clip`` if given and steps the learning-rate ``scheduler`` if given (a
    decaying rate lets D settle close to its optimum instead of jittering
    around it). Returns ``d_loss`` and, for the Wasserstein loss, ``w1``, the
    batch estimate E_{p_r}[f] − E_{p_g}[f] of the dual Eq. (jw-kr-dual) in
    ``book/js_wasserstein.ipynb``; with ``gp_weight``, also ``gp``.
    """
    from gencore.losses import clip_weights, gan_losses, gradient_penalty

    d_loss_fn, _ = gan_losses(loss)
    dev = next(critic.parameters()).device

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
