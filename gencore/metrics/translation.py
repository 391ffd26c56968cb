"""Metrics of an unpaired translation G: A → B with its inverse F: B → A (``book/cyclegan.ipynb``).

    label preservation(G) = (1/N) Σ_i 1[ argmax c(G(x_i)) = y_i ]     x_i of domain A with digit y_i
    cycle error(G, F)     = (1/N) Σ_i mean_pixels |F(G(x_i)) − x_i|    (on [-1, 1] intensities)

c is a classifier that reads both domains (the shipped ``digit-classifier``);
the labels are never seen by the translation's training.
"""

from __future__ import annotations

import torch

import gencore
from gencore.metrics.arrays import images as _images
from gencore.metrics.arrays import labels as _labels


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
    images = _images(images)
    labels = _labels(labels, len(images))
    out = images if generator is None else _finite_translation(generator, images)
    return (predict(classifier, out) == labels).float().mean().item()


def _finite_translation(generator, images: torch.Tensor) -> torch.Tensor:
    out = translate(generator, images)
    if not bool(torch.isfinite(out).all()):
        raise ValueError("the generator's translation holds NaN or infinite values")
    return out


def cycle_error(generator, inverse, images: torch.Tensor) -> float:
    """Mean absolute difference per pixel between ``images`` and ``inverse(generator(images))``."""
    images = _images(images)
    return (_finite_translation(inverse, _finite_translation(generator, images)) - images).abs().mean().item()


def confusion(generator, images: torch.Tensor, labels: torch.Tensor, classifier) -> torch.Tensor:
    """(10, 10) counts: row = source digit, column = the classifier's reading of its translation."""
    images = _images(images)
    labels = _labels(labels, len(images))
    out = images if generator is None else _finite_translation(generator, images)
    pred = predict(classifier, out)
    if int(pred.max()) >= 10:
        raise ValueError(f"the classifier reads {int(pred.max()) + 1} or more classes; confusion counts digits 0..9")
    return torch.bincount(labels * 10 + pred, minlength=100).reshape(10, 10)
