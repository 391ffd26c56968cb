"""``shapes-regressor``: reads the known factors back from shape images (StyleGAN and SeFa chapters)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import gencore
from gencore import data, rng
from gencore.data.shapes import FACTORS
from gencore.models.regressor import OUTPUTS, targets
from gencore.recipes.base import Recipe, register
from gencore.train import History, Phase, train

ROTATION = OUTPUTS.index("rotation")
#: the regressor trains on its own seed, so no StyleGAN training image is in its training set
TRAIN_SEED = 1


def shape_batches(d: data.Data, batch_size: int, seed: int):
    """Endless shuffled batches ``(x, shape, factors)`` of a shapes data set."""
    gen, factors = rng(seed), d.info["factors"]
    while True:
        order = torch.randperm(len(d), generator=gen)
        for i in range(0, len(d) - batch_size + 1, batch_size):
            idx = order[i : i + batch_size]
            yield d.x[idx], d.y[idx], factors[idx]


def regression_loss(model, x, shape, factors) -> dict[str, torch.Tensor]:
    """Mean squared error on the standardized factors (a circle's rotation is not seen, so not asked)
    plus the cross-entropy of the shape."""
    out, logits = model(x)
    err = (out - targets(factors)).pow(2)
    err[:, ROTATION] = err[:, ROTATION] * (shape != 0)
    return {"mse": err.mean(), "ce": F.cross_entropy(logits, shape)}


def fit(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    model, opt, tr = parts["regressor"], config["optim"], config["train"]
    optimizer = torch.optim.Adam(model.parameters(), lr=opt["lr"])
    dev = gencore.module_device(model)
    d = data.load("shapes", n=tr["images"], seed=TRAIN_SEED)

    def update(batch) -> dict[str, float]:
        x, shape, factors = (t.to(dev) for t in batch)
        losses = regression_loss(model, x, shape, factors)
        loss = losses["mse"] + losses["ce"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {k: v.item() for k, v in losses.items()}

    batches = shape_batches(d, tr["batch_size"], tr["seed"])
    return train([Phase("regressor", update)], batches, tr["steps"], progress=progress, **train_options)


@torch.no_grad()
def heldout_errors(model, n: int = 2000) -> dict[str, float]:
    """On held-out shapes: each factor's mean absolute error (hue in turns, on the circle; rotation on
    squares and triangles only) and the shape accuracy."""
    held = data.load("shapes", n=n, seed=TRAIN_SEED, split="heldout")
    true = held.info["factors"]
    with gencore.eval_mode(model):
        x = held.x.to(gencore.module_device(model))
        est, logits = model.factors(x).cpu(), model(x)[1].argmax(1).cpu()
    err = (est - true).abs()
    err[:, 0] = torch.minimum(err[:, 0], 1 - err[:, 0])
    out = {f"mae_{f}": err[:, j].mean().item() for j, f in enumerate(FACTORS)}
    out["mae_rotation"] = err[held.y != 0, FACTORS.index("rotation")].mean().item()
    out["shape_accuracy"] = (logits == held.y).float().mean().item()
    return out


register(
    Recipe(
        name="shapes-regressor",
        description="CNN reading the factors of shape images: the measuring instrument of the StyleGAN/SeFa chapters",
        config={
            "model": {"width": 32},
            "optim": {"lr": 1e-3},
            "train": {"batch_size": 128, "steps": 2500, "images": 20_000, "seed": 0},
        },
        parts=lambda c: {"regressor": ("factor-regressor", c["model"])},
        main="regressor",
        fit=fit,
        evaluate=lambda parts: heldout_errors(parts["regressor"]),
    )
)
