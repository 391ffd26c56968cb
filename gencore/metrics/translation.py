"""Metrics of an unpaired translation G: A → B with its inverse F: B → A (``book/cyclegan.ipynb``).

    label preservation(G) = (1/N) Σ_i 1[ argmax c(G(x_i)) = y_i ]     x_i of domain A with digit y_i
    cycle error(G, F)     = (1/N) Σ_i mean_pixels |F(G(x_i)) − x_i|    (on [-1, 1] intensities)

c is a classifier that reads both domains (the shipped ``digit-classifier``);
the labels are never seen by the translation's training.
"""

from __future__ import annotations

import torch

import gencore


def _device(module: torch.nn.Module) -> torch.device:
    return next(module.parameters()).device


@torch.no_grad()
def translate(generator, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """``generator`` applied to ``images`` ``(N, 1, 28, 28)`` in [-1, 1] in batches, in eval mode; on the CPU."""
    dev = _device(generator)
    with gencore.eval_mode(generator):
        return torch.cat(
            [generator(images[i : i + batch_size].to(dev)).cpu() for i in range(0, len(images), batch_size)]
        )


@torch.no_grad()
def predict(classifier, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The classifier's digit ``(N,)`` for each image."""
    dev = _device(classifier)
    with gencore.eval_mode(classifier):
        return torch.cat(
            [classifier(images[i : i + batch_size].to(dev)).argmax(1).cpu() for i in range(0, len(images), batch_size)]
        )


def label_preservation(generator, images: torch.Tensor, labels: torch.Tensor, classifier) -> float:
    """The fraction of translated ``images`` that ``classifier`` reads as their source digit ``labels``.

    ``generator=None`` measures the classifier on the untranslated images (the
    metric of the identity map, which bounds what a translation can reach).
    """
    out = images if generator is None else translate(generator, images)
    return (predict(classifier, out) == torch.as_tensor(labels)).float().mean().item()


def cycle_error(generator, inverse, images: torch.Tensor) -> float:
    """Mean absolute difference per pixel between ``images`` and ``inverse(generator(images))``."""
    return (translate(inverse, translate(generator, images)) - images).abs().mean().item()


def confusion(generator, images: torch.Tensor, labels: torch.Tensor, classifier) -> torch.Tensor:
    """(10, 10) counts: row = source digit, column = the classifier's reading of its translation."""
    out = images if generator is None else translate(generator, images)
    pred = predict(classifier, out)
    return torch.bincount(torch.as_tensor(labels) * 10 + pred, minlength=100).reshape(10, 10)
