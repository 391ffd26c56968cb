"""The training steps of ``book/vae_blur.ipynb``: the plain AE, WAE-MMD, WAE-GAN and AEGAN's latent GAN.

Images x in [-1, 1] are compared on intensities u = (x + 1)/2 in [0, 1], as the VAE's
Gaussian decoder does; c(x, x') = ‖u − u'‖², summed over pixels, averaged over the batch.

- :func:`autoencoder_phase`: the AE's step on E c(X, Dec(Enc(X))), plus λ·MMD²(Q_Z, P_Z)
  (:func:`gencore.losses.mmd2`, Eq. (blur-mmd)) for WAE-MMD when ``mmd_weight`` = λ > 0:
  the WAE objective of Tolstikhin et al. (2018) with a deterministic encoder, Eq. (blur-wae);
- :func:`wae_gan_phase`: WAE-GAN (their Algorithm 1), D_Z(Q_Z, P_Z) estimated by an adversary D_Z
  in the latent space, Eq. (blur-waegan): D_Z tells prior draws z ~ N(0, I) from codes Enc(x), and the
  autoencoder minimizes c(x, Dec(Enc(x))) − λ log D_Z(Enc(x)), the non-saturating loss that makes
  codes look like prior draws;
- :func:`aegan_phases`: AEGAN's GAN on a trained, frozen AE (Eq. (blur-aegan)): D₁ tells codes
  h = Enc(x) from G₁(z), D₂ tells images x from Dec(G₁(z)); G₁ minimizes
  −E log D₁(G₁(z)) − λ₂ E log D₂(Dec(G₁(z))), so D₂'s gradient reaches G₁ through the decoder.
"""

from __future__ import annotations

import torch

from gencore import frozen, module_device
from gencore.losses import d_loss_minimax, g_loss_nonsaturating, mmd2
from gencore.train.loop import Phase


def reconstruction_cost(x: torch.Tensor, x_rec: torch.Tensor) -> torch.Tensor:
    """c(x, x') = ‖u − u'‖² on intensities u = (x + 1)/2, per image: ``(N, ...)`` pairs -> ``(N,)``."""
    if x.shape != x_rec.shape or x.numel() == 0:
        raise ValueError(f"need two non-empty batches of one shape, got {tuple(x.shape)} and {tuple(x_rec.shape)}")
    return ((x - x_rec) / 2).pow(2).flatten(1).sum(1)


def autoencoder_phase(ae, optimizer: torch.optim.Optimizer, *, mmd_weight: float = 0.0) -> Phase:
    """One step on E c(x, Dec(Enc(x))) + ``mmd_weight`` · MMD²({Enc(x)}, {z ~ N(0, I)}). Reads ``batch[0]``."""
    if not mmd_weight >= 0:
        raise ValueError(f"mmd_weight must be >= 0 (0: the plain autoencoder), got {mmd_weight!r}")
    dev = module_device(ae)

    def update(batch) -> dict[str, float]:
        x = batch[0].to(dev)
        h = ae.encode(x)
        recon = reconstruction_cost(x, ae.decode(h)).mean()
        out = {"recon": recon.item()}
        loss = recon
        if mmd_weight > 0:
            penalty = mmd2(h, torch.randn_like(h))  # D_Z(Q_Z, P_Z) on the batch, Eq. (blur-mmd)
            loss = loss + mmd_weight * penalty
            out["mmd2"] = penalty.item()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), **out}

    return Phase("wae" if mmd_weight > 0 else "ae", update)


def wae_gan_phase(
    ae, d_z, opt_ae: torch.optim.Optimizer, opt_d: torch.optim.Optimizer, *, gan_weight: float = 1.0
) -> Phase:
    """One step of WAE-GAN (Tolstikhin et al., 2018, Algorithm 1) on one batch (reads ``batch[0]``).

    First D_Z ``(N, k) -> (N,)`` logits, on −E log D_Z(z) − E log(1 − D_Z(Enc(x))) with z ~ N(0, I)
    the "real" side (the paper scales this by λ too: with Adam a constant factor changes nothing);
    then the autoencoder, with D_Z :func:`frozen`, on E c(x, Dec(Enc(x))) − λ E log D_Z(Enc(x)),
    λ = ``gan_weight``. Logged: the losses and ``d_z_acc``, the share of the batch's prior draws
    and codes that D_Z classified correctly before its step (1/2: it cannot tell them apart).
    """
    if not gan_weight > 0:
        raise ValueError(
            f"gan_weight must be > 0 (λ of the latent GAN; 0 is the plain AE: autoencoder_phase), got {gan_weight!r}"
        )
    if getattr(d_z, "in_dim", None) != ae.latent_dim:
        raise ValueError(
            f"the latent discriminator reads points of dimension {getattr(d_z, 'in_dim', None)}, "
            f"but the autoencoder's codes have dimension {ae.latent_dim}; build D_Z with in_dim={ae.latent_dim}"
        )
    dev = module_device(ae)

    def update(batch) -> dict[str, float]:
        x = batch[0].to(dev)
        h = ae.encode(x)
        z = torch.randn_like(h)  # z ~ P_Z = N(0, I), D_Z's "real" side
        real, fake = d_z(z), d_z(h.detach())
        d_loss = d_loss_minimax(real, fake)
        acc = torch.cat([real > 0, fake < 0]).float().mean().item()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        with frozen(d_z):
            recon = reconstruction_cost(x, ae.decode(h)).mean()
            adversary = g_loss_nonsaturating(d_z(h))  # −E log D_Z(Enc(x)), Eq. (blur-waegan)
            loss = recon + gan_weight * adversary
            opt_ae.zero_grad(set_to_none=True)
            loss.backward()
        opt_ae.step()
        return {
            "loss": loss.item(),
            "recon": recon.item(),
            "adversary": adversary.item(),
            "d_z_loss": d_loss.item(),
            "d_z_acc": acc,
        }

    return Phase("wae_gan", update)


def aegan_phases(
    ae, g1, d1, d2, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer, *, image_weight: float = 1.0
) -> list[Phase]:
    """AEGAN's two steps on a trained autoencoder ``ae`` that stays fixed.

    ``discriminators`` (reads ``batch[0]``): D₁ on codes Enc(x) (real) vs G₁(z) (fake) and D₂ on
    images x vs Dec(G₁(z)), each with −E log D(real) − E log(1 − D(fake)); one optimizer
    ``opt_d`` for both. ``generator`` (no batch): G₁ on −E log D₁(G₁(z)) − ``image_weight``
    · E log D₂(Dec(G₁(z))), with D₁, D₂ and the AE :func:`frozen`. D₂ reads flattened images.
    """
    if not image_weight >= 0:
        raise ValueError(f"image_weight must be >= 0 (0: no image discriminator), got {image_weight!r}")
    dev = module_device(g1)
    size = [0]

    def fake_codes(n: int) -> torch.Tensor:
        return g1(torch.randn(n, g1.latent_dim, device=dev))

    def d_update(batch) -> dict[str, float]:
        x = batch[0].to(dev)
        size[0] = x.shape[0]
        with torch.no_grad():
            h, h_fake = ae.encode(x), fake_codes(x.shape[0])
            x_fake = ae.decode(h_fake)
        l1 = d_loss_minimax(d1(h), d1(h_fake))
        l2 = d_loss_minimax(d2(x.flatten(1)), d2(x_fake.flatten(1)))
        opt_d.zero_grad(set_to_none=True)
        (l1 + l2).backward()
        opt_d.step()
        return {"d1_loss": l1.item(), "d2_loss": l2.item()}

    def g_update(_: None) -> dict[str, float]:
        with frozen(d1, d2, ae):
            h_fake = fake_codes(size[0])
            g_code = g_loss_nonsaturating(d1(h_fake))
            g_image = g_loss_nonsaturating(d2(ae.decode(h_fake).flatten(1)))
            loss = g_code + image_weight * g_image
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
        opt_g.step()
        return {"g1_code": g_code.item(), "g1_image": g_image.item()}

    return [Phase("discriminators", d_update), Phase("generator", g_update, takes_batch=False)]
