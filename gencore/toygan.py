"""Toy-GAN experiments on the 2-D mixtures: one function trains a named method.

``book/mode_collapse.ipynb`` compares, on ``ring8`` and ``grid25``,

- ``gan``: the vanilla GAN with the non-saturating generator loss
  −E_z[log D(G(z))] (Goodfellow et al., 2014); at D* its gradient is that of
  KL(p_g ‖ p_r) − 2 JS(p_r ‖ p_g) (``book/reverse_kl.ipynb``, Eq. (rk-ns-grad));
- ``mbstd``: the same loss, with a discriminator that also reads the standard
  deviation of each of its features over groups of 32 points of the batch
  (:class:`gencore.models.toy.MinibatchStdDiscriminator`, after Karras et al., 2018);
- ``wgan-gp``: the Wasserstein loss with gradient penalty (Gulrajani et al., 2017);
- ``pacgan``: the same loss as ``gan``, but D judges ``pack`` samples at once,
  concatenated (Lin et al., 2018). Not in the benchmark: see the chapter's "What to try".

Every method shares the networks, optimizer, batch size, learning-rate schedule and
the exponential moving average of G's weights that samples are drawn from
(:data:`BASE`); :data:`METHODS` holds what differs. :func:`train_toy_gan` returns the
generator (the average), the training history (with snapshots of samples for a
slider) and :func:`gencore.metrics.mode_coverage` on 2,500 samples. The learning-rate
decay and the average are training hooks (:class:`gencore.train.LinearDecay`,
:class:`gencore.train.EMA`). The five-seed grid of runs behind the chapter's table is
:mod:`gencore.bench.mode_collapse` (``python -m gencore bench mode-collapse``).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace

import torch

import gencore
from gencore.data import mixture, mixture_stream
from gencore.metrics import mode_coverage
from gencore.models.toy import MinibatchStdDiscriminator, MLPDiscriminator, MLPGenerator
from gencore.train import EMA, History, LinearDecay, gan_phases, train

__all__ = [
    "ToyGANConfig",
    "ToyGANResult",
    "BASE",
    "METHODS",
    "BENCHMARK_METHODS",
    "config_for",
    "config_dict",
    "train_toy_gan",
]


@dataclass(frozen=True)
class ToyGANConfig:
    """Everything a toy-GAN run depends on, besides the method's name, the mixture and the seed."""

    loss: str = "nonsaturating"  # a name of gencore.losses.gan_losses
    minibatch_std: bool = False  # D reads per-feature standard deviations over the batch
    minibatch_group: int = 0  # ... over groups of this many points (0: the whole batch)
    pack: int = 1  # PacGAN degree: D judges `pack` samples at once, concatenated
    n_critic: int = 1  # D steps per G step
    gp_weight: float = 0.0  # λ of the gradient penalty
    steps: int = 14_000  # generator steps
    batch_size: int = 256  # real samples per D step (and fakes per step)
    latent_dim: int = 2
    hidden: int = 128  # units per hidden layer, G and D
    depth: int = 3  # hidden layers, G and D
    lr_g: float = 7e-4
    lr_d: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    decay_from: float = 0.5  # both learning rates decay linearly to 0 from this fraction of the steps
    ema: float = 0.999  # > 0: sample from an exponential moving average of G's weights with this decay
    n_eval: int = 2500  # samples for the final mode_coverage (as VEEGAN and PacGAN)
    n_snapshot: int = 1000  # samples per snapshot, from one fixed batch of latents
    n_snapshots: int = 12  # snapshots over the run, the last at the final step (plus one at step 0)


#: the setting every method shares
BASE = ToyGANConfig()

#: what each method changes in BASE
METHODS: dict[str, dict] = {
    "gan": {},
    "mbstd": {"minibatch_std": True, "minibatch_group": 32},
    # 5 critic steps with a double backward cost ~5x a GAN step: fewer generator steps, similar wall time
    "wgan-gp": {"loss": "wasserstein", "n_critic": 5, "gp_weight": 0.1, "betas": (0.5, 0.9), "steps": 4000},
    "pacgan": {"pack": 2},
}

#: the methods the benchmark and the chapter's table compare
BENCHMARK_METHODS = ("gan", "mbstd", "wgan-gp")


def config_for(method: str, **overrides) -> ToyGANConfig:
    """BASE with ``METHODS[method]`` and then ``overrides`` applied."""
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; known methods: {', '.join(METHODS)}")
    return replace(BASE, **{**METHODS[method], **overrides})


@dataclass
class ToyGANResult:
    """A trained generator, its history (losses, snapshots ``(step, (n_snapshot, 2))``) and its metrics."""

    generator: MLPGenerator
    history: History
    metrics: dict[str, float]
    config: ToyGANConfig
    method: str
    mixture: str
    seed: int
    cpu_time_s: float = 0.0

    def summary(self) -> dict:
        """A JSON-able record of the run: what ran, what it measured, how long it took."""
        return {
            "method": self.method,
            "mixture": self.mixture,
            "seed": self.seed,
            "steps": self.history.completed_steps,
            "wall_time_s": round(self.history.wall_time_s, 2),
            "cpu_time_s": round(self.cpu_time_s, 2),
            **{k: (round(v, 5) if isinstance(v, float) else v) for k, v in self.metrics.items()},
        }


def _discriminator(cfg: ToyGANConfig) -> torch.nn.Module:
    if cfg.minibatch_std:
        return MinibatchStdDiscriminator(2, cfg.hidden, cfg.depth, group=cfg.minibatch_group)
    return MLPDiscriminator(2, cfg.hidden, cfg.depth, pack=cfg.pack)


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
    fields (e.g. ``steps=500``). Real batches are fresh draws from the mixture.
    The history holds the losses and ``n_snapshots + 1`` snapshots
    ``(step, samples (n_snapshot, 2))``; the metrics are
    :func:`gencore.metrics.mode_coverage` of ``n_eval`` fresh samples.
    """
    cfg = replace(config, **overrides) if config is not None else config_for(method, **overrides)
    means, std = mixture(mixture_name)
    cpu0 = time.process_time()
    gencore.seed(seed)
    dev = gencore.device()
    G = MLPGenerator(cfg.latent_dim, cfg.hidden, cfg.depth).to(dev)
    D = _discriminator(cfg).to(dev)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    phases = gan_phases(G, D, opt_g, opt_d, loss=cfg.loss, n_critic=cfg.n_critic, gp_weight=cfg.gp_weight)
    hooks = [LinearDecay([opt_g, opt_d], cfg.steps, cfg.decay_from)]
    if cfg.ema:
        ema = EMA(G, cfg.ema)  # the phases train G; snapshots and samples use the average
        hooks.append(ema)
        G = ema.average
    z_fixed = torch.randn(cfg.n_snapshot, cfg.latent_dim, generator=torch.Generator().manual_seed(seed)).to(dev)

    def snapshot() -> torch.Tensor:
        with torch.no_grad():
            return G(z_fixed).cpu()

    every = max(1, math.ceil(cfg.steps / cfg.n_snapshots))  # n_snapshots − 1 on the way, one at the end
    batches = mixture_stream(mixture_name, cfg.batch_size, seed)
    label = f"{method} on {mixture_name}, seed {seed}"  # one bar per run, named by its method
    history = train(
        phases, batches, cfg.steps, hooks=hooks, snapshot=snapshot, snapshot_every=every, progress=progress, desc=label
    )
    samples = G.sample(cfg.n_eval, seed=10_000 + seed).cpu()
    metrics = mode_coverage(samples, means, std)
    return ToyGANResult(G, history, metrics, cfg, method, mixture_name, seed, time.process_time() - cpu0)


def config_dict(cfg: ToyGANConfig) -> dict:
    """The config as a JSON-able dict."""
    d = asdict(cfg)
    d["betas"] = list(d["betas"])
    return d
