"""Metrics of an unpaired translation G: A → B with its inverse F: B → A (``book/cyclegan.ipynb``).

    label preservation(G) = (1/N) Σ_i 1[ argmax c(G(x_i)) = y_i ]     x_i of domain A with digit y_i
    cycle error(G, F)     = (1/N) Σ_i mean_pixels |F(G(x_i)) − x_i|    (on [-1, 1] intensities)

c is a classifier that reads both domains (the shipped ``digit-classifier``);
the labels are never seen by the translation's training.
"""

from __future__ import annotations

import torch

import gencore


def translate(generator, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """``generator`` applied to ``images`` ``(N, 1, 28, 28)`` in [-1, 1] in batches, in eval mode; on the CPU."""
    return gencore.map_batches(generator, images, batch_size=batch_size)


def predict(classifier, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The classifier's digit ``(N,)`` for each image."""
    return gencore.map_batches(classifier, images, lambda m, x: m(x).argmax(1), batch_size)


def accuracy(predictions: torch.Tensor, labels: torch.Tensor) -> float:
    """The fraction of ``predictions`` ``(N,)`` equal to ``labels`` ``(N,)`` (e.g. a classifier's on
    untranslated images: the ceiling of label preservation, since its own mistakes count against a translation)."""
    return (torch.as_tensor(predictions) == torch.as_tensor(labels)).float().mean().item()


def label_preservation(generator, images: torch.Tensor, labels: torch.Tensor, classifier) -> float:
    """The fraction of translated ``images`` that ``classifier`` reads as their source digit ``labels``:
    :func:`accuracy` of :func:`predict` on :func:`translate`."""
    return accuracy(predict(classifier, translate(generator, images)), labels)


def cycle_error(generator, inverse, images: torch.Tensor) -> float:
    """Mean absolute difference per pixel between ``images`` and ``inverse(generator(images))``."""
    return (translate(inverse, translate(generator, images)) - images).abs().mean().item()


def confusion(predictions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(10, 10) counts: row = source digit ``labels``, column = the digit read, ``predictions``
    (:func:`predict` of a translation)."""
    return torch.bincount(torch.as_tensor(labels) * 10 + torch.as_tensor(predictions), minlength=100).reshape(10, 10)
