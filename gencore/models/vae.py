"""The variational autoencoder of ``book/vae.ipynb``.

Convention (the book's, and Kingma & Welling's): the *encoder* is
q_φ(z|x), the *decoder* is p_θ(x|z), the prior is p(z) = N(0, I).
(Seed 000 swaps the letters: its p(z|x) is our q_φ(z|x), its q(x|z) our p_θ(x|z).)

Both networks return ``torch.distributions`` objects, so the ELBO in
:func:`gencore.losses.elbo` reads like its formula. Images enter as
``(N, 1, H, W)`` in ``[-1, 1]``; the likelihood is evaluated on pixel
intensities ``(x + 1) / 2`` in ``[0, 1]``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.distributions import Bernoulli, Independent, Normal

from gencore.models.layers import mlp as _mlp
from gencore.models.sampling import sample_in_chunks


@dataclass
class VAEConfig:
    latent_dim: int = 2
    hidden: tuple[int, ...] = (512, 256)
    image_shape: tuple[int, int, int] = (1, 28, 28)
    decoder: str = "bernoulli"  # "bernoulli" (BCE) or "gaussian" (MSE)
    obs_std: float = 0.1  # σ of the Gaussian decoder, on [0, 1] intensities


class VAE(nn.Module):
    def __init__(self, config: VAEConfig | None = None, **overrides):
        super().__init__()
        config = config or VAEConfig()
        if overrides:
            config = VAEConfig(**{**asdict(config), **overrides})
        if config.decoder not in ("bernoulli", "gaussian"):
            raise ValueError(f"decoder must be 'bernoulli' or 'gaussian', got {config.decoder!r}")
        self.config = config
        d = int(torch.tensor(config.image_shape).prod())
        h = list(config.hidden)
        self.encoder = _mlp([d, *h, 2 * config.latent_dim])
        self.decoder = _mlp([config.latent_dim, *reversed(h), d])

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def _check(self, x: torch.Tensor) -> None:
        shape = tuple(self.config.image_shape)
        if x.ndim != 4 or tuple(x.shape[1:]) != shape:
            raise ValueError(f"VAE expects images of shape (N, {', '.join(map(str, shape))}), got {tuple(x.shape)}")

    def prior(self) -> Independent:
        """p(z) = N(0, I)."""
        zeros = torch.zeros(self.latent_dim, device=self.encoder[0].weight.device)
        return Independent(Normal(zeros, torch.ones_like(zeros)), 1)

    def encode(self, x: torch.Tensor) -> Independent:
        """q_φ(z|x) = N(μ_φ(x), diag σ_φ²(x)) for ``x`` of shape (N, 1, H, W) in [-1, 1].

        Raises ``FloatingPointError`` when the encoder's output is unusable (a
        non-finite μ, or a scale σ that is 0, inf or NaN): the sign of a training
        run that diverged (``gencore.train`` reports it as ``TrainingDiverged``).
        """
        self._check(x)
        mu, log_var = self.encoder(x.flatten(1)).chunk(2, dim=1)
        scale = torch.exp(0.5 * log_var)
        _check_posterior(mu, log_var, scale)
        return Independent(Normal(mu, scale), 1)

    def decode(self, z: torch.Tensor) -> Independent:
        """p_θ(x|z) over intensities in [0, 1]: Bernoulli(logits) or N(mean, obs_std²)."""
        if z.ndim == 0 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        out = self.decoder(z).view(-1, *self.config.image_shape)
        if self.config.decoder == "bernoulli":
            # validate_args=False: grey levels in (0, 1) give the cross-entropy (BCE).
            return Independent(Bernoulli(logits=out, validate_args=False), 3)
        return Independent(Normal(torch.sigmoid(out), self.config.obs_std), 3)

    @staticmethod
    def to_unit(x: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images -> [0, 1] intensities (what the likelihood sees)."""
        return (x + 1) / 2

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """E[x|z] as images in [-1, 1]."""
        return self.decode(z).mean * 2 - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction E[x|z=μ_φ(x)] in [-1, 1]."""
        return self.decode_mean(self.encode(x).mean)

    def sample(self, n: int, *, seed: int | None = None) -> torch.Tensor:
        """``n`` images (n, 1, H, W) in [-1, 1]: decoder means at z ~ p(z), without gradients.

        ``n`` must be a non-negative integer; more than
        :data:`gencore.models.sampling.CHUNK` images are drawn in chunks and
        returned on the CPU (see :mod:`gencore.models.sampling`).
        """
        w = self.encoder[0].weight
        return sample_in_chunks(
            lambda k, gen: self.decode_mean(torch.randn(k, self.latent_dim, generator=gen).to(w.device)),
            n,
            tuple(self.config.image_shape),
            seed=seed,
            device=w.device,
            dtype=w.dtype,
        )


def _check_posterior(mu: torch.Tensor, log_var: torch.Tensor, scale: torch.Tensor) -> None:
    """``FloatingPointError`` naming the quantity when q_φ(z|x) cannot be a Normal distribution."""
    if bool(torch.isfinite(mu).all() & ((scale > 0) & (scale < math.inf)).all()):
        return  # one check (one device sync) on the common path; the details only on failure
    if not torch.isfinite(mu).all():
        what = f"a non-finite mean μ ({int((~torch.isfinite(mu)).sum())} of {mu.numel()} entries are NaN or inf)"
    else:
        bad = ~(torch.isfinite(scale) & (scale > 0))
        lv = log_var[bad]
        what = (
            f"a scale σ = exp(log σ² / 2) that is 0, inf or NaN in {int(bad.sum())} of {scale.numel()} entries "
            f"(log σ² from {lv.min().item():.3g} to {lv.max().item():.3g}; float32 σ underflows to 0 below "
            "log σ² ≈ −208 and overflows above ≈ 177)"
        )
    raise FloatingPointError(
        f"the VAE encoder produced {what}, so q(z|x) is not a distribution: the weights have diverged. "
        "Lower the learning rate (e.g. by 10x), or restart from the last good weights."
    )
