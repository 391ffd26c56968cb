"""Toy-GAN experiments on the 2-D mixtures: one function trains a named method.

``book/mode_collapse.ipynb`` compares, on ``ring8`` and ``grid25``,

- ``gan``: the vanilla GAN with the non-saturating generator loss
  −E_z[log D(G(z))] (Goodfellow et al., 2014), the loss whose optimum is
  KL(p_g ‖ p_r) − 2 JS(p_r ‖ p_g) + const (``book/reverse_kl.ipynb``);
- ``wgan-gp``: the Wasserstein loss with gradient penalty (Gulrajani et al., 2017);
- ``pacgan``: the same loss as ``gan``, but D judges ``pack`` samples at once,
  concatenated (Lin et al., 2018), so a generator that repeats itself is easy to spot.

Every method shares the networks, optimizer, batch size and number of steps
(:data:`BASE`); :data:`METHODS` holds what differs. :func:`train_toy_gan`
returns the generator, the training history (with snapshots of samples for a
slider) and :func:`gencore.metrics.mode_coverage` on 2,500 samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace

import torch

import gencore
from gencore.data import mixture
from gencore.metrics import mode_coverage
from gencore.models.toy import MLPDiscriminator, MLPGenerator
from gencore.train import History, Phase, gan_phases, train

__all__ = ["ToyGANConfig", "ToyGANResult", "BASE", "METHODS", "config_for", "mixture_batches", "train_toy_gan"]


@dataclass(frozen=True)
class ToyGANConfig:
    """Everything a toy-GAN run depends on (with the seed and the mixture's name)."""

    loss: str = "nonsaturating"  # a name of gencore.losses.gan_losses
    pack: int = 1  # PacGAN degree: D judges `pack` samples at once
    n_critic: int = 1  # D steps per G step
    gp_weight: float = 0.0  # λ of the gradient penalty
    steps: int = 8000  # generator steps
    batch_size: int = 256  # real samples per D step (and fakes per step)
    latent_dim: int = 2
    g_hidden: int = 128
    g_depth: int = 3
    d_hidden: int = 128
    d_depth: int = 3
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    decay_from: float = 0.5  # learning rates decay linearly to 0 from this fraction of the steps
    n_eval: int = 2500  # samples for the final mode_coverage (VEEGAN/PacGAN use 2,500)
    n_snapshot: int = 1000  # samples per snapshot, drawn from one fixed latent batch
    n_snapshots: int = 12  # snapshots over the run (plus step 0)
    extra: dict = field(default_factory=dict)


#: the setting every method shares
BASE = ToyGANConfig()

#: what each method changes in BASE
METHODS: dict[str, dict] = {
    "gan": {},
    "wgan-gp": {"loss": "wasserstein", "n_critic": 5, "gp_weight": 0.1, "betas": (0.5, 0.9)},
    "pacgan": {"pack": 4},
}


def config_for(method: str, **overrides) -> ToyGANConfig:
    """BASE with ``METHODS[method]`` and then ``overrides`` applied."""
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; known methods: {', '.join(METHODS)}")
    return replace(BASE, **{**METHODS[method], **overrides})


def mixture_batches(name: str, batch_size: int, seed: int) -> Iterator[torch.Tensor]:
    """Endless fresh batches ``(batch_size, 2)`` from a toy mixture (uniform over its modes)."""
    means, std = mixture(name)
    gen = torch.Generator().manual_seed(seed)
    while True:
        y = torch.randint(len(means), (batch_size,), generator=gen)
        yield means[y] + std * torch.randn(batch_size, 2, generator=gen)


@dataclass
class ToyGANResult:
    generator: MLPGenerator
    history: History
    metrics: dict[str, float]
    config: ToyGANConfig
    method: str
    mixture: str
    seed: int

    def summary(self) -> dict:
        """A JSON-able record of the run: what ran, what it measured, how long it took."""
        return {"method": self.method, "mixture": self.mixture, "seed": self.seed,
                "steps": self.history.completed_steps, "wall_time_s": round(self.history.wall_time_s, 2),
                **self.metrics}


def _lr_decay(optimizers: list[torch.optim.Optimizer], steps: int, decay_from: float) -> Phase:
    """A phase that scales the learning rates linearly to 0 over the last (1 − decay_from) of the steps."""
    base = [[g["lr"] for g in opt.param_groups] for opt in optimizers]
    start = int(decay_from * steps)
    count = {"step": 0}

    def update(_batch) -> dict[str, float]:
        count["step"] += 1
        scale = min(1.0, max(0.0, (steps - count["step"]) / max(1, steps - start)))
        for opt, lrs in zip(optimizers, base):
            for g, lr in zip(opt.param_groups, lrs):
                g["lr"] = lr * scale
        return {}

    return Phase("lr", update)


def train_toy_gan(
    method: str,
    mixture_name: str,
    seed: int = 0,
    *,
    config: ToyGANConfig | None = None,
    progress: bool | None = None,
    **overrides,
) -> ToyGANResult:
    """Train ``method`` (a key of :data:`METHODS`) on ``mixture_name`` (``ring8``/``grid25``) from ``seed``.

    ``config`` replaces the method's default config; ``overrides`` change single
    fields (e.g. ``steps=500``). The history holds the losses and
    ``n_snapshots + 1`` snapshots ``(step, samples (n_snapshot, 2))``; metrics are
    :func:`gencore.metrics.mode_coverage` of 2,500 fresh samples.
    """
    cfg = replace(config, **overrides) if config is not None else config_for(method, **overrides)
    means, std = mixture(mixture_name)
    gencore.seed(seed)
    dev = gencore.device()
    G = MLPGenerator(cfg.latent_dim, cfg.g_hidden, cfg.g_depth).to(dev)
    D = MLPDiscriminator(2, cfg.d_hidden, cfg.d_depth, pack=cfg.pack).to(dev)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    phases = gan_phases(G, D, opt_g, opt_d, loss=cfg.loss, n_critic=cfg.n_critic, gp_weight=cfg.gp_weight)
    phases.append(_lr_decay([opt_g, opt_d], cfg.steps, cfg.decay_from))
    z_fixed = torch.randn(cfg.n_snapshot, cfg.latent_dim, generator=torch.Generator().manual_seed(seed)).to(dev)

    def snapshot() -> torch.Tensor:
        with torch.no_grad():
            return G(z_fixed).cpu()

    every = max(1, cfg.steps // cfg.n_snapshots)
    history = train(phases, mixture_batches(mixture_name, cfg.batch_size, seed), cfg.steps,
                    snapshot=snapshot, snapshot_every=every, progress=progress)
    samples = G.sample(cfg.n_eval, seed=10_000 + seed).cpu()
    metrics = mode_coverage(samples, means, std)
    return ToyGANResult(G, history, metrics, cfg, method, mixture_name, seed)


def config_dict(cfg: ToyGANConfig) -> dict:
    """The config as a JSON-able dict."""
    d = asdict(cfg)
    d["betas"] = list(d["betas"])
    return d
