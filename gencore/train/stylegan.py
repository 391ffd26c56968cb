"""StyleGAN2's training: style mixing, the optimizer of lazy regularization, and the two steps
(Karras et al., 2020; ``book/stylegan.ipynb``).

- :func:`mix_styles`: the ws of a training batch, with style mixing;
- :func:`lazy_adam`: Adam with the learning rate and betas of lazy regularization (optional, see there);
- :func:`stylegan_phases`: the discriminator's step (with lazy R1, :func:`gencore.losses.r1_penalty`)
  and the generator's step (with style mixing), on the non-saturating logistic loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gencore import frozen, module_device
from gencore.losses import r1_penalty
from gencore.models.stylegan import StyleGenerator
from gencore.train.loop import Phase


def mix_styles(
    generator: StyleGenerator, z: torch.Tensor, *, prob: float = 0.9, generator_rng: torch.Generator | None = None
) -> torch.Tensor:
    """ws for training with style mixing: with probability ``prob`` each example switches, at a
    random layer, from the w of its z to the w of a second z (StyleGAN's mixing regularization).

    ``z`` (N, z_dim) -> ws (N, num_ws, w_dim). The mapping of ``z`` updates the generator's
    running mean of w (``w_avg``); the second z is drawn from ``generator_rng`` (torch's global
    stream when ``None``) on ``z``'s device.
    """
    w = generator.mapping(z, update_w_avg=True)
    ws = generator.broadcast(w).clone()
    if prob <= 0:
        return ws
    n, num_ws = z.shape[0], generator.num_ws
    z2 = torch.randn(z.shape, generator=generator_rng, device=z.device, dtype=z.dtype)
    w2 = generator.mapping(z2)
    cutoff = torch.randint(1, num_ws, (n,), generator=generator_rng, device=z.device)
    mixed = torch.rand(n, generator=generator_rng, device=z.device) < prob
    cutoff = torch.where(mixed, cutoff, torch.full_like(cutoff, num_ws))
    later = torch.arange(num_ws, device=z.device)[None] >= cutoff[:, None]
    return torch.where(later[:, :, None], w2[:, None], ws)


def lazy_adam(params, lr: float, betas: tuple[float, float], every: int, *, rescale: bool = True) -> torch.optim.Adam:
    """Adam for a network regularized every ``every`` steps: with ``rescale`` and c = every / (every + 1),
    the rate becomes c·lr and the betas β^c; without it (or with ``every=0``), ``lr`` and ``betas`` as given.

    In stylegan2-ada-pytorch the regularization is a *separate* optimizer step every
    ``every`` steps, and this rescaling keeps the optimizer's statistics per main step
    as they would be without those extra steps. :func:`stylegan_phases` does not take a
    separate step: it folds the penalty into every ``every``-th main step. There are
    then no extra steps to compensate for, and ``rescale=True`` is merely a slightly
    smaller rate and shorter-memory betas, not parity with the paper. It is the default
    because the shipped ``stylegan-shapes`` was trained with it (its config says
    ``r1_adam_rescale: true``, so the recipe reproduces the shipped weights); a new run
    that wants the paper's effective rate with folded R1 sets ``rescale=False``.
    """
    c = every / (every + 1) if every and rescale else 1.0
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
    ``r1_every``-th step (steps 0, ``r1_every``, ...) it adds (γ/2)·R1·``r1_every`` to that
    step's loss: lazy R1 folded into the main step, not a step of its own (see
    :func:`lazy_adam` for what that means for the optimizer). ``generator`` then steps
    on fresh fakes with the discriminator :func:`~gencore.frozen`; both
    draw their ws with style mixing (probability ``mixing``) and the generator's step
    updates the running mean of w. Neither uses path-length regularization (the
    official CIFAR-10 configuration does not either).
    """
    dev = module_device(generator)
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
        with frozen(discriminator):
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
