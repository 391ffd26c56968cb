"""What runs beside the optimizer steps and draws no data.

- :class:`EMA`: an exponential moving average of a module's weights, the copy
  that ProGAN, StyleGAN and the book's toy GANs sample from; :func:`ema_copy`
  trains a copy of a module and keeps the average in the module itself;
- :class:`LinearDecay`: a constant learning rate, then a linear decay to zero
  (CycleGAN's schedule; the toy GANs decay over their second half);
- :class:`ImagePool`: CycleGAN's history buffer of generated images, from which
  the discriminators see older fakes (Shrivastava et al., 2017; Zhu et al., 2017).

``EMA`` and ``LinearDecay`` are hooks of :func:`gencore.train.train`: called as
``hook(step)`` after every step, with ``step`` the number of completed steps.
``ImagePool`` is called by a phase on each batch of fakes.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch


class EMA:
    """θ̄ ← β_t θ̄ + (1 − β_t) θ after every step, β_t = min(decay, (1 + t)/(10 + t)) with warm-up.

    t counts the updates made so far. The warm-up gives a short memory early on, so
    that the random initial weights fade out even in a run of a few hundred steps;
    after it the memory is about 1/(1 − decay) steps. ``warmup=False`` uses β_t = decay.
    ``average`` is a frozen copy of ``module`` (same class, eval-ready).

    ``buffers`` says what the average's buffers hold. ``"copy"`` (the default) copies
    them from ``module`` at every update: right for statistics the trained module
    keeps about its inputs (StyleGAN's running mean of w). ``"average"`` gives the
    floating-point buffers the same moving average as the weights (integer ones, such
    as batch norm's step counter, are copied): right for batch-norm running
    statistics, which describe the activations of the weights they were measured
    with. Copied statistics of the latest weights do not match the averaged weights,
    so an averaged generator with batch norm then samples from shifted activations.

    ``average``: a module of the same architecture, equal to ``module`` at the start,
    to hold the average in place of the copy (its ``requires_grad`` is left alone),
    e.g. the part a recipe ships, so that everything that reads that part during
    training (snapshots, evaluations) sees the average.
    """

    def __init__(
        self,
        module: torch.nn.Module,
        decay: float = 0.999,
        *,
        warmup: bool = True,
        buffers: str = "copy",
        average: torch.nn.Module | None = None,
    ):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay!r}")
        if buffers not in ("copy", "average"):
            raise ValueError(f"EMA buffers must be 'copy' or 'average', got {buffers!r}")
        self.module, self.decay, self.warmup, self.updates = module, decay, warmup, 0
        self.buffers = buffers
        # the module that holds the average: a frozen copy, or one the caller gives (equal to `module` at the start)
        self.average = copy.deepcopy(module).requires_grad_(False) if average is None else average

    def beta(self) -> float:
        """The weight of the old average at the next update."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates)) if self.warmup else self.decay

    @torch.no_grad()
    def __call__(self, step: int) -> None:
        beta = self.beta()
        self.updates += 1
        for p_avg, p in zip(self.average.parameters(), self.module.parameters(), strict=True):
            p_avg.lerp_(p, 1.0 - beta)
        for b_avg, b in zip(self.average.buffers(), self.module.buffers(), strict=True):
            if self.buffers == "average" and b.is_floating_point():
                b_avg.lerp_(b, 1.0 - beta)
            else:
                b_avg.copy_(b)


def ema_copy(shipped: torch.nn.Module, decay: float, **ema_options) -> tuple[torch.nn.Module, EMA | None]:
    """Train a copy, ship the average: ``(trained, hook)`` for a recipe whose part ``shipped`` is an EMA.

    ``trained`` is a deep copy of ``shipped`` (it draws no random numbers) for the optimizer
    and the phases; ``hook`` is an :class:`EMA` of ``trained`` whose average *is* ``shipped``
    (``EMA(trained, decay, average=shipped, **ema_options)``), so that from the first step on
    everything that reads the shipped part during training (snapshots, evaluations, what is
    left after Ctrl-C) sees the average. ``decay=0`` trains ``shipped`` itself: ``(shipped, None)``.
    """
    if not decay:
        return shipped, None
    trained = copy.deepcopy(shipped)
    return trained, EMA(trained, decay, average=shipped, **ema_options)


class LinearDecay:
    """lr_t = lr_0 · min(1, (T − t) / (T − t₀)), t₀ = ⌊decay_from · T⌋: constant, then linearly to 0 at t = T.

    ``optimizers``: every parameter group's rate is scaled from the rate it has when
    the hook is made. ``total_steps`` T. After step t the rate for step t + 1 is set.
    Returns ``{"lr_scale": ...}`` to log.
    """

    def __init__(self, optimizers: Sequence[torch.optim.Optimizer], total_steps: int, decay_from: float = 0.5):
        if not 0.0 <= decay_from <= 1.0:
            raise ValueError(f"decay_from must be in [0, 1], got {decay_from!r}")
        if total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {total_steps!r}")
        self.optimizers = list(optimizers)
        self.base = [[g["lr"] for g in opt.param_groups] for opt in self.optimizers]
        self.total, self.start = total_steps, int(decay_from * total_steps)

    def scale(self, step: int) -> float:
        return min(1.0, max(0.0, (self.total - step) / max(1, self.total - self.start)))

    def __call__(self, step: int) -> dict[str, float]:
        s = self.scale(step)
        for opt, lrs in zip(self.optimizers, self.base, strict=True):
            for group, lr in zip(opt.param_groups, lrs, strict=True):
                group["lr"] = lr * s
        return {"lr_scale": s}


class ImagePool:
    """A buffer of up to ``size`` generated images that the discriminator also sees.

    ``query(images)`` returns a batch of the same shape: while the pool is not
    full, each image is stored and returned as it is; once full, each image is,
    with probability ``p``, swapped for a random stored one (which it replaces),
    and otherwise returned as it is. ``size=0`` returns ``images`` unchanged.
    Images are detached; ``generator`` (a ``torch.Generator``) makes the draws
    repeatable.
    """

    def __init__(self, size: int = 50, p: float = 0.5, *, generator: torch.Generator | None = None):
        if size < 0 or not 0.0 <= p <= 1.0:
            raise ValueError(f"need size >= 0 and 0 <= p <= 1, got size={size!r}, p={p!r}")
        self.size, self.p, self.generator = size, p, generator
        self.images: list[torch.Tensor] = []

    def __len__(self) -> int:
        return len(self.images)

    @torch.no_grad()
    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images.detach()
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand((), generator=self.generator).item() < self.p:
                i = int(torch.randint(len(self.images), (), generator=self.generator))
                out.append(self.images[i].clone())
                self.images[i] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)
