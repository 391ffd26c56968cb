"""Small MLPs for the 2-D toy chapters (optimal discriminator ... reverse KL)."""

from __future__ import annotations

import torch
from torch import nn

from gencore.models.layers import mlp as _mlp
from gencore.models.sampling import sample_in_chunks


class MLPGenerator(nn.Module):
    """G: z ~ N(0, I_latent) -> x in R^out_dim."""

    def __init__(self, latent_dim: int = 2, hidden: int = 128, depth: int = 3, out_dim: int = 2):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = _mlp([latent_dim, *[hidden] * depth, out_dim])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim == 0 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(z)

    def sample(self, n: int, *, seed: int | None = None) -> torch.Tensor:
        """``n`` samples (n, out_dim) from z ~ N(0, I), without gradients.

        ``n`` must be a non-negative integer; more than
        :data:`gencore.models.sampling.CHUNK` samples are drawn in chunks and
        returned on the CPU (see :mod:`gencore.models.sampling`).
        """
        w = self.net[-1].weight
        return sample_in_chunks(
            lambda k, gen: self(torch.randn(k, self.latent_dim, generator=gen).to(w.device)),
            n,
            (self.net[-1].out_features,),
            seed=seed,
            device=w.device,
            dtype=w.dtype,
        )


class MLPDiscriminator(nn.Module):
    """D (or a WGAN critic): x in R^in_dim -> one logit/score per example, shape (N,).

    ``pack`` > 1 is PacGAN (Lin et al., 2018): the discriminator judges ``pack``
    samples at once, concatenated, so it can see the lack of diversity of a
    collapsed generator. Returns (N / pack,) scores; N must be divisible by pack.
    """

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3, pack: int = 1):
        super().__init__()
        if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
            raise ValueError(f"pack must be a positive integer (samples judged together; 1: no packing), got {pack!r}")
        self.in_dim, self.pack = in_dim, pack
        self.net = _mlp([in_dim * pack, *[hidden] * depth, 1], act=lambda: nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected points of shape (N, {self.in_dim}), got {tuple(x.shape)}")
        if x.shape[0] % self.pack:
            raise ValueError(f"batch size {x.shape[0]} is not divisible by pack={self.pack}")
        return self.net(x.reshape(-1, self.in_dim * self.pack)).squeeze(-1)


class MinibatchStdDiscriminator(nn.Module):
    """D with a minibatch-standard-deviation layer (after Karras et al., 2018), for the toy chapters.

    Each point goes through ``depth − 1`` hidden layers to features h(x) ∈ R^hidden.
    Then s, the standard deviation of every feature over a group of ``group``
    points of the batch (0: the whole batch), joins each point's features: one more
    hidden layer reads [h(x), s] and a linear output gives the score. Keeping one
    std per feature (ProGAN averages them into one number) lets D notice that a
    feature which fires on one mode of the data never fires on the generator's
    batch: a dropped mode. Call D on a batch of real points or of generated points,
    never on a mix. Input (N, in_dim); returns (N,) scores.
    """

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3, group: int = 0):
        super().__init__()
        if depth < 2:
            raise ValueError(f"depth must be >= 2 (features, then the layer that reads the std), got {depth}")
        self.in_dim, self.group = in_dim, group
        act = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        self.features = nn.Sequential(_mlp([in_dim, *[hidden] * (depth - 1)], act=act), act())
        # the layer on [h, s], split as W_h h + W_s s: s is shared by a group, so W_s s is computed once per group
        self.read_h = nn.Linear(hidden, hidden)
        self.read_s = nn.Linear(hidden, hidden, bias=False)
        self.out = nn.Sequential(act(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected points of shape (N, {self.in_dim}), got {tuple(x.shape)}")
        n = x.shape[0]
        g = self.group or n
        if g < 2 or n % g:
            raise ValueError(f"batch size {n} must be a multiple of the group size {g} (>= 2)")
        h = self.features(x)  # (N, hidden)
        hg = h.reshape(n // g, g, -1)
        s = (hg.var(1, unbiased=False) + 1e-8).sqrt()  # (N / g, hidden): one std per feature and group
        pre = self.read_h(hg) + self.read_s(s).unsqueeze(1)  # (N / g, g, hidden)
        return self.out(pre.reshape(n, -1)).squeeze(-1)
