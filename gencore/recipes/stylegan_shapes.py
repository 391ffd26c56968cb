"""``stylegan-shapes``: a StyleGAN2 at 32x32 trained on shapes with known factors (StyleGAN and SeFa chapters).

Ships the EMA of the generator's weights (``generator``, the main part, which is
what StyleGAN samples from) and the discriminator. Quality is a Fréchet distance
in the features of the shipped ``shapes-regressor`` against held-out real
shapes, beside the same distance for real training shapes (its floor). The
chapter's analyses of the generator are in :mod:`gencore.stylegan_analysis`.
"""

from __future__ import annotations

import time

import numpy as np
import torch

import gencore
from gencore import data, metrics, pretrained
from gencore.data.shapes import SHAPES, shapes_stream
from gencore.recipes.base import Recipe, register
from gencore.train import History, ema_copy, train
from gencore.train.phases import gan_phases
from gencore.train.stylegan import lazy_adam, stylegan_phases

#: how many samples (and held-out real images) the Fréchet distance compares
FD_SAMPLES = 2000
#: samples of each point of the learning curve (fewer: it is measured during training)
CURVE_SAMPLES = 1000
#: the StyleGAN trains on seed 0 of the shapes data set; the regressor on seed 1
TRAIN_SEED = 0


def _heldout_features(regressor) -> np.ndarray:
    return metrics.features(regressor, data.load("shapes", n=FD_SAMPLES, seed=TRAIN_SEED, split="heldout").x)


def shapes_fd(images: torch.Tensor) -> float:
    """Fréchet distance of images (N, 3, 32, 32) to the held-out real shapes, in the regressor's features."""
    reference = pretrained.cached("shapes-regressor", _heldout_features)
    # the toRGB output is linear and overshoots [-1, 1]: measured as drawn, as the manifest's FD was
    return metrics.fid(images, reference, pretrained.cached("shapes-regressor"), check_range=False)


def fd_floor() -> float:
    """The same distance for as many real training shapes: what a perfect generator would get."""
    return shapes_fd(data.load("shapes", n=FD_SAMPLES, seed=TRAIN_SEED).x)


@torch.no_grad()
def shape_report(images: torch.Tensor) -> dict[str, float]:
    """What the ``shapes-regressor`` reads in images (N, 3, 32, 32), beside held-out real shapes.

    ``circle``, ``square``, ``triangle``: the share of images it calls each shape;
    ``confidence``: its mean probability for the shape it picks (a lumpy blob gets a share
    but a low confidence); ``precision`` and ``recall``: improved precision and recall
    (k = 3) against :data:`FD_SAMPLES` held-out real shapes in its features. Compare them
    with ``shape_report`` of real shapes: the same numbers for a perfect generator.
    """
    reg = pretrained.cached("shapes-regressor")
    logits = torch.cat([reg(images[i : i + 500])[1] for i in range(0, len(images), 500)])
    probs = logits.softmax(1)
    picked = probs.argmax(1)
    shares = torch.bincount(picked, minlength=len(SHAPES)).double() / len(images)
    pr = metrics.precision_recall(
        pretrained.cached("shapes-regressor", _heldout_features), metrics.features(reg, images)
    )
    out = {name: float(shares[i]) for i, name in enumerate(SHAPES)}
    out.update(confidence=float(probs.max(1).values.mean()), precision=pr.precision, recall=pr.recall)
    return out


class _CpuClock:
    """CPU seconds of this process spent training: the clock stops while the curve is measured."""

    def __init__(self) -> None:
        self.start, self.paused = time.process_time(), 0.0

    def minutes(self) -> float:
        return (time.process_time() - self.start - self.paused) / 60

    def measure(self, fn):
        t0 = time.process_time()
        try:
            return fn()
        finally:
            self.paused += time.process_time() - t0


def _batches(tr: dict):
    """A fresh stream of shapes (``stream: true``) or epochs over a fixed set of ``images``."""
    if tr.get("stream"):
        return shapes_stream(tr["batch_size"], seed=tr["seed"])
    return data.load("shapes", n=tr["images"], seed=TRAIN_SEED).batches(tr["batch_size"], seed=tr["seed"])


def _curve(generator, clock: _CpuClock):
    """The learning curve: FD of 1,000 samples of the shipped (averaged) generator, against CPU-minutes."""

    def evaluate() -> dict[str, float]:
        minutes = clock.minutes()

        def fd() -> float:
            with gencore.eval_mode(generator), torch.no_grad():
                return shapes_fd(generator.sample(CURVE_SAMPLES, seed=0).cpu())

        return {"cpu_minutes": minutes, "fd": clock.measure(fd)}

    return evaluate


def _train(phases, ema, shipped, clock: _CpuClock, tr: dict, progress, options: dict) -> History:
    """The loop both recipes share: ``steps`` steps, or fewer when ``cpu_minutes`` (> 0) of training
    CPU time run out first; the learning curve every ``eval_every`` steps."""
    budget, stop = tr.get("cpu_minutes", 0), options.pop("stop", None)
    if budget:
        options["stop"] = lambda step: clock.minutes() >= budget or bool(stop and stop(step))
    elif stop is not None:
        options["stop"] = stop
    every = tr.get("eval_every", 0)
    return train(
        phases,
        _batches(tr),
        tr["steps"],
        hooks=[ema] if ema else (),
        evaluate=_curve(shipped, clock) if every else None,
        eval_every=every,
        progress=progress,
        **options,
    )


def fit(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    """Train a copy of the generator against the discriminator; ``parts["generator"]`` holds the EMA of
    its weights from the first step on (:func:`gencore.train.ema_copy`), so snapshots see what ships."""
    g, d, opt, tr = parts["generator"], parts["discriminator"], config["optim"], config["train"]
    clock = _CpuClock()
    raw, ema = ema_copy(g, tr["ema_decay"])  # `raw` trains, `g` is its average
    betas = tuple(opt["betas"])
    opt_g = torch.optim.Adam(raw.parameters(), lr=opt["lr"], betas=betas)
    opt_d = lazy_adam(d.parameters(), opt["lr"], betas, tr["r1_every"], rescale=tr["r1_adam_rescale"])
    phases = stylegan_phases(
        raw, d, opt_g, opt_d, r1_gamma=tr["r1_gamma"], r1_every=tr["r1_every"], mixing=tr["mixing"]
    )
    return _train(phases, ema, g, clock, tr, progress, train_options)


def fit_dcgan(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    """The baseline: a DCGAN (batch norm, Adam, the non-saturating loss) on the same stream of shapes,
    shipping the EMA of its generator's weights (batch-norm statistics averaged with them)."""
    g, d, opt, tr = parts["generator"], parts["discriminator"], config["optim"], config["train"]
    clock = _CpuClock()
    raw, ema = ema_copy(g, tr["ema_decay"], buffers="average")
    betas = tuple(opt["betas"])
    opt_g = torch.optim.Adam(raw.parameters(), lr=opt["lr"], betas=betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=opt["lr"], betas=betas)
    return _train(gan_phases(raw, d, opt_g, opt_d, loss="nonsaturating"), ema, g, clock, tr, progress, train_options)


def evaluate(parts: dict) -> dict[str, float]:
    g = parts["generator"]
    with gencore.eval_mode(g), torch.no_grad():
        fake = g.sample(FD_SAMPLES, seed=0).cpu()
    report = shape_report(fake)
    return {"fd": shapes_fd(fake), "fd_floor": fd_floor(), **{f"judge_{k}": v for k, v in report.items()}}


register(
    Recipe(
        name="stylegan-shapes",
        description="StyleGAN2 at 32x32 on shapes with known factors (book/stylegan.ipynb, book/sefa.ipynb)",
        config={
            "model": {
                "z_dim": 64,
                "w_dim": 64,
                "mapping_layers": 2,  # as the official 32x32 (CIFAR-10) configuration
                "mapping_lr": 0.01,
                "channels": [64, 64, 32, 16],
                "d_channels": None,
                "image_channels": 3,
                "w_avg_beta": 0.995,
                "mbstd_group": 4,
            },
            "optim": {"lr": 0.001, "betas": [0.0, 0.99]},
            "train": {
                "batch_size": 32,
                "steps": 9000,
                "stream": True,  # a fresh batch of shapes every step
                "images": 20_000,  # the size of the fixed set when stream is false
                "cpu_minutes": 0,  # > 0: stop when training has used this much CPU time
                "eval_every": 500,  # the learning curve
                "r1_gamma": 0.01,
                "r1_every": 16,
                # lazy_adam's rescaling (see its docstring)
                "r1_adam_rescale": True,
                "mixing": 0.9,
                "ema_decay": 0.998,
                "seed": 0,
            },
        },
        parts=lambda c: {
            "generator": ("stylegan-generator", c["model"]),
            "discriminator": ("stylegan-discriminator", c["model"]),
        },
        main="generator",
        fit=fit,
        evaluate=evaluate,
        measured_with=("shapes-regressor",),
    )
)

register(
    Recipe(
        name="dcgan-shapes",
        description="A plain DCGAN at 32x32 on the same stream of shapes: the StyleGAN chapter's baseline",
        config={
            "model": {"latent_dim": 64, "width": 32, "channels": 3},
            "optim": {"lr": 0.0002, "betas": [0.5, 0.999]},
            "train": {
                "batch_size": 64,
                "steps": 15_000,
                "stream": True,
                "cpu_minutes": 0,
                "eval_every": 1000,
                "ema_decay": 0.999,
                "seed": 0,
            },
        },
        parts=lambda c: {
            "generator": ("dcgan32-generator", c["model"]),
            "discriminator": ("dcgan32-discriminator", c["model"]),
        },
        main="generator",
        fit=fit_dcgan,
        evaluate=evaluate,
        measured_with=("shapes-regressor",),
    )
)
