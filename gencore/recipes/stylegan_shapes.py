"""``stylegan-shapes``: a StyleGAN2 at 32x32 trained on shapes with known factors (StyleGAN and SeFa chapters).

Ships the EMA of the generator's weights (``generator``, the main part, which is
what StyleGAN samples from) and the discriminator. Quality is a Fréchet distance
in the features of the shipped ``shapes-regressor`` against held-out real
shapes, beside the same distance for real training shapes (its floor). The
chapter's analyses of the generator are in :mod:`gencore.stylegan_analysis`.
"""

from __future__ import annotations

import numpy as np
import torch

import gencore
from gencore import data, metrics, pretrained
from gencore.recipes.base import Recipe, register
from gencore.train import History, ema_copy, train
from gencore.train.stylegan import lazy_adam, stylegan_phases

#: how many samples (and held-out real images) the Fréchet distance compares
FD_SAMPLES = 2000
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


def fit(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    """Train a copy of the generator against the discriminator; ``parts["generator"]`` holds the EMA of
    its weights from the first step on (:func:`gencore.train.ema_copy`), so snapshots see what ships."""
    g, d, opt, tr = parts["generator"], parts["discriminator"], config["optim"], config["train"]
    # The shipped weights were trained from a copy built as a fresh network, whose initialization drew
    # from torch's global stream before training began: the same draw keeps the recipe on their trajectory.
    type(g)(g.config)
    raw, ema = ema_copy(g, tr["ema_decay"])  # `raw` trains, `g` is its average
    betas = tuple(opt["betas"])
    opt_g = torch.optim.Adam(raw.parameters(), lr=opt["lr"], betas=betas)
    opt_d = lazy_adam(d.parameters(), opt["lr"], betas, tr["r1_every"], rescale=tr["r1_adam_rescale"])
    phases = stylegan_phases(
        raw, d, opt_g, opt_d, r1_gamma=tr["r1_gamma"], r1_every=tr["r1_every"], mixing=tr["mixing"]
    )
    batches = data.load("shapes", n=tr["images"], seed=TRAIN_SEED).batches(tr["batch_size"], seed=tr["seed"])
    return train(phases, batches, tr["steps"], hooks=[ema] if ema else (), progress=progress, **train_options)


def evaluate(parts: dict) -> dict[str, float]:
    g = parts["generator"]
    with gencore.eval_mode(g):
        fake = g.sample(FD_SAMPLES, seed=0).cpu()
    return {"fd": shapes_fd(fake), "fd_floor": fd_floor()}


register(
    Recipe(
        name="stylegan-shapes",
        description="StyleGAN2 at 32x32 on shapes with known factors (book/stylegan.ipynb, book/sefa.ipynb)",
        config={
            "model": {
                "z_dim": 64,
                "w_dim": 64,
                "mapping_layers": 8,
                "mapping_lr": 0.01,
                "channels": [64, 64, 32, 16],
                "image_channels": 3,
                "w_avg_beta": 0.995,
                "mbstd_group": 4,
            },
            "optim": {"lr": 0.0025, "betas": [0.0, 0.99]},
            "train": {
                "batch_size": 32,
                "steps": 9000,
                "images": 20_000,
                "r1_gamma": 0.01,
                "r1_every": 16,
                # lazy_adam's rescaling, which the shipped weights were trained with (see its docstring)
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
