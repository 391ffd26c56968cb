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
slider) and :func:`gencore.metrics.mode_coverage` on 2,500 samples. :func:`benchmark`
runs every method × mixture × seed and summarizes; ``python -m gencore.toygan --out FILE``
writes that record as JSON (the chapter reads ``gencore/weights/mode_collapse_results.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

import numpy as np
import torch

import gencore
from gencore.data import mixture
from gencore.metrics import mode_coverage
from gencore.models.toy import MinibatchStdDiscriminator, MLPDiscriminator, MLPGenerator
from gencore.train import History, Phase, gan_phases, train

__all__ = [
    "ToyGANConfig",
    "ToyGANResult",
    "BASE",
    "METHODS",
    "BENCHMARK_METHODS",
    "config_for",
    "mixture_batches",
    "train_toy_gan",
    "benchmark",
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


def mixture_batches(name: str, batch_size: int, seed: int) -> Iterator[torch.Tensor]:
    """Endless fresh batches ``(batch_size, 2)`` from a toy mixture (uniform over its modes)."""
    means, std = mixture(name)
    gen = torch.Generator().manual_seed(seed)
    while True:
        y = torch.randint(len(means), (batch_size,), generator=gen)
        yield means[y] + std * torch.randn(batch_size, 2, generator=gen)


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


def _lr_decay(optimizers: list[torch.optim.Optimizer], steps: int, decay_from: float) -> Phase:
    """A phase that scales the learning rates linearly to 0 over the last (1 − decay_from) of the steps."""
    base = [[g["lr"] for g in opt.param_groups] for opt in optimizers]
    start = int(decay_from * steps)
    done = [0]

    def update(_batch) -> dict[str, float]:
        done[0] += 1
        scale = min(1.0, max(0.0, (steps - done[0]) / max(1, steps - start)))
        for opt, lrs in zip(optimizers, base):
            for group, lr in zip(opt.param_groups, lrs):
                group["lr"] = lr * scale
        return {}

    return Phase("lr", update)


def _ema_copy(G: torch.nn.Module, decay: float, phases: list[Phase]) -> torch.nn.Module:
    """A frozen copy of G whose weights follow an exponential moving average of G's, updated by a new phase.

    After t updates the average moves by 1 − min(decay, (1 + t)/(10 + t)) toward
    G: a short memory early on, so that the random initial weights fade out even
    in a run of a few hundred steps, and ``decay`` (a memory of about
    1/(1 − decay) steps) after that.
    """
    if not 0.0 < decay < 1.0:
        raise ValueError(f"ema must be in (0, 1), got {decay}")
    G_ema = copy.deepcopy(G).requires_grad_(False)
    done = [0]

    def update(_batch) -> dict[str, float]:
        beta = min(decay, (1 + done[0]) / (10 + done[0]))
        done[0] += 1
        with torch.no_grad():
            for p_ema, p in zip(G_ema.parameters(), G.parameters()):
                p_ema.lerp_(p, 1.0 - beta)
        return {}

    phases.append(Phase("ema", update))
    return G_ema


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
    phases.append(_lr_decay([opt_g, opt_d], cfg.steps, cfg.decay_from))
    if cfg.ema:
        G = _ema_copy(G, cfg.ema, phases)  # the phases train the original; snapshots and samples use the average
    z_fixed = torch.randn(cfg.n_snapshot, cfg.latent_dim, generator=torch.Generator().manual_seed(seed)).to(dev)

    def snapshot() -> torch.Tensor:
        with torch.no_grad():
            return G(z_fixed).cpu()

    every = max(1, math.ceil(cfg.steps / cfg.n_snapshots))  # n_snapshots − 1 on the way, one at the end
    batches = mixture_batches(mixture_name, cfg.batch_size, seed)
    history = train(phases, batches, cfg.steps, snapshot=snapshot, snapshot_every=every, progress=progress)
    samples = G.sample(cfg.n_eval, seed=10_000 + seed).cpu()
    metrics = mode_coverage(samples, means, std)
    return ToyGANResult(G, history, metrics, cfg, method, mixture_name, seed, time.process_time() - cpu0)


def config_dict(cfg: ToyGANConfig) -> dict:
    """The config as a JSON-able dict."""
    d = asdict(cfg)
    d["betas"] = list(d["betas"])
    return d


def summarize(runs: Sequence[dict]) -> list[dict]:
    """Mean and (population) standard deviation over seeds, per method and mixture, of each measured number."""
    keys = ("modes", "hq", "reverse_kl", "spread", "wall_time_s", "cpu_time_s")
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in runs:
        groups.setdefault((r["method"], r["mixture"]), []).append(r)
    out = []
    for (method, mix), rs in groups.items():
        row: dict = {"method": method, "mixture": mix, "seeds": [r["seed"] for r in rs]}
        for k in keys:
            v = np.array([r[k] for r in rs], dtype=float)
            with np.errstate(invalid="ignore"):  # a run with no high-quality sample: reverse_kl inf, spread nan
                row[f"{k}_mean"], row[f"{k}_std"] = round(float(v.mean()), 4), round(float(v.std()), 4)
        row["modes_min"] = int(min(r["modes"] for r in rs))
        out.append(row)
    return out


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def _run(job: tuple[str, str, int, dict]) -> dict:
    """One benchmark run on one torch thread (top level, so a worker process can import it)."""
    method, mix, seed, overrides = job
    torch.set_num_threads(1)
    return train_toy_gan(method, mix, seed, progress=False, **overrides).summary()


def benchmark(
    methods: Sequence[str] = BENCHMARK_METHODS,
    mixtures: Sequence[str] = ("ring8", "grid25"),
    seeds: Sequence[int] = range(5),
    *,
    jobs: int = 1,
    log=print,
    **overrides,
) -> dict:
    """Train every method × mixture × seed, each run on one thread, and record runs, summary and settings.

    ``jobs`` > 1 runs that many runs at once in worker processes (each still on one
    thread); a run's result does not depend on it, but its wall time does when the
    workers share too few cores.
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    todo = [(method, mix, seed, overrides) for mix in mixtures for method in methods for seed in seeds]
    threads = torch.get_num_threads()
    runs = []
    try:
        pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) if jobs > 1 else None
        with pool or contextlib.nullcontext():
            for summary in (pool.map if pool else map)(_run, todo):
                runs.append(summary)
                log(json.dumps(summary))
    finally:
        torch.set_num_threads(threads)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{_cpu_name()}, {os.cpu_count()} cores, {jobs} run(s) at a time on 1 torch thread each, "
        f"torch {torch.__version__}, device {gencore.device()}",
        "configs": {m: config_dict(config_for(m, **overrides)) for m in methods},
        "summary": summarize(runs),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gencore.toygan", description="toy-GAN mode-coverage benchmark")
    p.add_argument("--out", default="_build/mode_collapse_results.json")
    p.add_argument("--methods", nargs="*", default=list(BENCHMARK_METHODS))
    p.add_argument("--mixtures", nargs="*", default=["ring8", "grid25"])
    p.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1")
    p.add_argument("--jobs", type=int, default=1, help="runs at once, in worker processes (at most one per core)")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error(f"--jobs must be at least 1, got {args.jobs}")
    record = benchmark(args.methods, args.mixtures, range(args.seeds), jobs=args.jobs)
    command = "python -m gencore.toygan " + " ".join(argv if argv is not None else sys.argv[1:])
    record = {"command": command, **record}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
