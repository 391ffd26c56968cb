"""``mnist-classifier``: the CNN whose features and probabilities the image metrics use (``book/evaluation.ipynb``)."""

from __future__ import annotations

import torch

import gencore
from gencore import data
from gencore.data.augment import random_shift
from gencore.recipes.base import Recipe, register
from gencore.train import History, classifier_phase, train


def fit(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    model, opt, tr = parts["classifier"], config["optim"], config["train"]
    optimizer = torch.optim.Adam(model.parameters(), lr=opt["lr"])
    batches = data.load("mnist5k", split="train").batches(tr["batch_size"], seed=tr["seed"])
    phase = classifier_phase(model, optimizer, augment=random_shift)
    return train([phase], batches, tr["steps"], progress=progress, **train_options)


@torch.no_grad()
def heldout_accuracy(model) -> dict[str, float]:
    """Accuracy on the 1,000 held-out MNIST-5k digits."""
    held = data.load("mnist5k", split="heldout")
    with gencore.eval_mode(model):
        pred = model(held.x.to(gencore.module_device(model))).argmax(1).cpu()
    return {"heldout_accuracy": (pred == held.y).float().mean().item()}


register(
    Recipe(
        name="mnist-classifier",
        description="CNN on MNIST-5k train: features for FID/PPL, probabilities for IS (book/evaluation.ipynb)",
        config={
            "model": {"width": 32, "dropout": 0.3},
            "optim": {"lr": 1e-3},
            "train": {"batch_size": 128, "steps": 1500, "seed": 0},
        },
        parts=lambda c: {"classifier": ("mnist-classifier", c["model"])},
        main="classifier",
        fit=fit,
        evaluate=lambda parts: heldout_accuracy(parts["classifier"]),
    )
)
