"""CycleGAN's losses and training step (Zhu et al., 2017; ``book/cyclegan.ipynb``).

G: A → B and F: B → A are two generators, D_A and D_B two discriminators; the
adversarial terms are the least-squares losses of :mod:`gencore.losses`
(:func:`~gencore.losses.g_loss_least_squares` with ``scale=1``, the official code's MSE,
and :func:`~gencore.losses.d_loss_least_squares`).

- :func:`cycle_loss`, :func:`identity_loss`: Eqs. (cg-cyc) and (cg-idt), pure functions;
- :func:`cyclegan_phases`: both generators' step, then both discriminators' step.
"""

from __future__ import annotations

import torch

from gencore import frozen, module_device
from gencore.losses import d_loss_least_squares, g_loss_least_squares
from gencore.train.hooks import ImagePool
from gencore.train.loop import Phase


def _check_same(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if a.shape != b.shape or a.numel() == 0:
        raise ValueError(
            f"{what} needs two non-empty batches of the same shape, got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def cycle_loss(real: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """Eq. (cg-cyc), one direction: E_x[‖F(G(x)) − x‖₁], the L1 distance averaged over pixels and examples.

    ``real`` x and ``reconstructed`` F(G(x)): ``(N, C, H, W)``. The mean over pixels
    (rather than the sum) is the official code's ``nn.L1Loss``; λ is applied by the caller.
    """
    _check_same(real, reconstructed, "cycle_loss")
    return (reconstructed - real).abs().mean()


def identity_loss(real: torch.Tensor, mapped: torch.Tensor) -> torch.Tensor:
    """Eq. (cg-idt), one direction: E_y[‖G(y) − y‖₁] for y of G's *target* domain, averaged over pixels."""
    _check_same(real, mapped, "identity_loss")
    return (mapped - real).abs().mean()


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
    ``generators`` takes one step of ``opt_g`` (both generators, both discriminators
    :func:`~gencore.frozen`) on
    ``(D_B(G_AB(a)) − 1)² + (D_A(G_BA(b)) − 1)²`` + ``cycle`` × (L1 of both
    cycles) + ``identity · cycle`` × (L1 of both identity maps): the identity
    weight is relative to λ = ``cycle``, as in the official code (``lambda_identity``),
    so ``cycle=0`` leaves the adversarial losses alone. ``discriminators`` then
    takes one step of ``opt_d`` (both discriminators) on the least-squares loss,
    real images against the fakes of that step passed through ``pools``
    (:class:`~gencore.train.hooks.ImagePool`, default 50 images each); it draws no batch.
    """
    pool_a, pool_b = pools or (ImagePool(50), ImagePool(50))
    dev = module_device(g_ab)
    last: dict[str, torch.Tensor] = {}

    def generators(batch) -> dict[str, float]:
        a, b = (t.to(dev) for t in batch[:2])
        with frozen(d_a, d_b):
            fake_b, fake_a = g_ab(a), g_ba(b)
            adv = g_loss_least_squares(d_b(fake_b), scale=1.0) + g_loss_least_squares(d_a(fake_a), scale=1.0)
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
