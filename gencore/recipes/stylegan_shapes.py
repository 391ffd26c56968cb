"""``stylegan-shapes``: a StyleGAN2 at 32x32 trained on shapes with known factors (StyleGAN and SeFa chapters).

Ships the EMA of the generator's weights (``generator``, the main part, which is
what StyleGAN samples from) and the discriminator. Quality is a Fréchet distance
in the features of the shipped ``shapes-regressor`` against held-out real
shapes, beside the same distance for real training shapes (its floor).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

import gencore
from gencore import data, metrics, pretrained
from gencore.recipes.base import Recipe, register
from gencore.train import EMA, History, lazy_adam, stylegan_phases, train

#: how many samples (and held-out real images) the Fréchet distance compares
FD_SAMPLES = 2000
#: the StyleGAN trains on seed 0 of the shapes data set; the regressor on seed 1
TRAIN_SEED = 0


@functools.cache
def _reference(regressor_sha: str) -> tuple[torch.nn.Module, np.ndarray]:
    regressor = pretrained.load("shapes-regressor", device="cpu")
    held = data.load("shapes", n=FD_SAMPLES, seed=TRAIN_SEED, split="heldout")
    return regressor, regressor_features(regressor, held.x)


@torch.no_grad()
def regressor_features(regressor, images: torch.Tensor, batch_size: int = 500) -> np.ndarray:
    """The shipped regressor's 128-d features of images (N, 3, 32, 32)."""
    with gencore.eval_mode(regressor):
        feats = [regressor.features(images[i : i + batch_size].cpu()) for i in range(0, len(images), batch_size)]
    return torch.cat(feats).double().numpy()


def shapes_fd(images: torch.Tensor) -> float:
    """Fréchet distance of images to the held-out real shapes, in the regressor's features."""
    regressor, reference = _reference(pretrained.main_sha256("shapes-regressor"))
    return metrics.frechet_distance(regressor_features(regressor, images), reference)


def fd_floor() -> float:
    """The same distance for as many real training shapes: what a perfect generator would get."""
    return shapes_fd(data.load("shapes", n=FD_SAMPLES, seed=TRAIN_SEED).x)


def fit(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    g, d, opt, tr = parts["generator"], parts["discriminator"], config["optim"], config["train"]
    raw = type(g)(g.config).to(next(g.parameters()).device)  # the generator that trains; `g` gets its EMA
    raw.load_state_dict(g.state_dict())
    betas = tuple(opt["betas"])
    opt_g = torch.optim.Adam(raw.parameters(), lr=opt["lr"], betas=betas)
    opt_d = lazy_adam(d.parameters(), opt["lr"], betas, tr["r1_every"])
    phases = stylegan_phases(
        raw, d, opt_g, opt_d, r1_gamma=tr["r1_gamma"], r1_every=tr["r1_every"], mixing=tr["mixing"]
    )
    ema = EMA(raw, decay=tr["ema_decay"])
    batches = data.load("shapes", n=tr["images"], seed=TRAIN_SEED).batches(tr["batch_size"], seed=tr["seed"])
    try:
        return train(phases, batches, tr["steps"], hooks=[ema], progress=progress, **train_options)
    finally:  # also after Ctrl-C: the parts hold what was trained
        g.load_state_dict(ema.average.state_dict())


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
                "steps": 6000,
                "images": 20_000,
                "r1_gamma": 0.01,
                "r1_every": 16,
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
