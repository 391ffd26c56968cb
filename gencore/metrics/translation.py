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


def translate(generator, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """``generator`` applied to ``images`` ``(N, 1, 28, 28)`` in [-1, 1] in batches, in eval mode; on the CPU."""
    return gencore.map_batches(generator, images, batch_size=batch_size)


def predict(classifier, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The classifier's digit ``(N,)`` for each image."""
    return gencore.map_batches(classifier, images, lambda m, x: m(x).argmax(1), batch_size)


def accuracy(predictions: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of ``predictions`` ``(N,)`` equal to ``labels`` ``(N,)`` (e.g. a classifier's on
    untranslated images: the ceiling of label preservation, since its own mistakes count against a translation)."""
    predictions, labels = torch.as_tensor(predictions), torch.as_tensor(labels)
    if predictions.ndim != 1 or predictions.shape != labels.shape or len(labels) == 0:
        raise ValueError(
            f"predictions and labels must be two non-empty (N,) vectors, got {tuple(predictions.shape)} "
            f"and {tuple(labels.shape)}"
        )
    return (predictions == labels).float().mean().item()


def label_preservation(generator, images: torch.Tensor, labels: torch.Tensor, classifier) -> float:
    """The fraction of translated ``images`` that ``classifier`` reads as their source digit ``labels``:
    :func:`accuracy` of :func:`predict` on :func:`translate`."""
    images = _images(images)
    labels = _labels(labels, len(images))
    return accuracy(predict(classifier, _finite_translation(generator, images)), labels)


def _finite_translation(generator, images: torch.Tensor) -> torch.Tensor:
    out = translate(generator, images)
    if not bool(torch.isfinite(out).all()):
        raise ValueError("the generator's translation holds NaN or infinite values")
    return out


def cycle_error(generator, inverse, images: torch.Tensor) -> float:
    """Mean absolute difference per pixel between ``images`` and ``inverse(generator(images))``."""
    images = _images(images)
    return (_finite_translation(inverse, _finite_translation(generator, images)) - images).abs().mean().item()


def confusion(predictions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(10, 10) counts: row = source digit ``labels``, column = the digit read, ``predictions``
    (:func:`predict` of a translation)."""
    predictions = torch.as_tensor(predictions)
    labels = _labels(labels, len(predictions))
    outside = len(predictions) and (predictions.min() < 0 or predictions.max() >= 10)
    if predictions.shape != labels.shape or outside:
        raise ValueError(f"predictions must be {len(labels)} digits 0..9, got shape {tuple(predictions.shape)}")
    return torch.bincount(labels * 10 + predictions.long(), minlength=100).reshape(10, 10)
