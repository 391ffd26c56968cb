"""Held-out judges of a translation between handwritten and printed digits (``book/cyclegan.ipynb``).

A judge is a k-nearest-neighbour vote in pixel space (k = 10, Euclidean distance
between the raw [-1, 1] images), fitted on training images only and never used
to train a translation:

- :func:`domain_judge`: handwritten (``mnist5k``) or printed (``printed-digits``)?
  Fitted on the train splits of both domains; label 0 = handwritten, 1 = printed.
- :func:`digit_judge`: which digit, read by the neighbours *of one domain* (the
  target of a translation), so that a translated digit counts as kept only if it
  is close to real digits of the target domain with the same label.

A pixel k-NN looks at the whole shape, as a person does: a small change a person
cannot see moves an image by a small distance, so it cannot fool the vote the way
it can fool a trained network.
"""

from __future__ import annotations

import functools

import torch

from gencore import data

#: the domains, in the order of the domain judge's labels
DOMAINS = ("handwritten", "printed")
_DATASETS = {"handwritten": "mnist5k", "printed": "printed-digits"}


def _check_images(x: torch.Tensor, what: str, channels: int | None = None) -> None:
    ok = isinstance(x, torch.Tensor) and x.ndim == 4 and tuple(x.shape[2:]) == (28, 28)
    if not ok or (channels is not None and x.shape[1] != channels):
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        c = "C" if channels is None else channels
        raise ValueError(f"{what}: expected images of shape (N, {c}, 28, 28) in [-1, 1], got {shape}")


class KNNJudge:
    """A k-nearest-neighbour vote over flattened images.

    ``images`` ``(N, C, 28, 28)`` (C = 1 for grey, 3 for colour) and integer ``labels`` ``(N,)`` are the training
    set; :meth:`predict` returns the majority label of the ``k`` nearest training
    images (ties go to the smaller label), :meth:`accuracy` the share of
    predictions equal to given labels.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, k: int = 10):
        _check_images(images, "KNNJudge training images")
        labels = torch.as_tensor(labels).long()
        if labels.shape != (len(images),):
            raise ValueError(f"KNNJudge: need one label per image, got {tuple(labels.shape)} for {len(images)} images")
        if not (isinstance(k, int) and 1 <= k <= len(images)):
            raise ValueError(f"KNNJudge: k must be an integer from 1 to the number of images ({len(images)}), got {k}")
        self.points = images.detach().cpu().reshape(len(images), -1).float()
        self.labels = labels
        self.k = k
        self.classes = int(labels.max()) + 1

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """The majority label ``(N,)`` of each image's ``k`` nearest training images."""
        _check_images(images, "KNNJudge.predict", self.points.shape[1] // (28 * 28))
        out = []
        for i in range(0, len(images), batch_size):
            q = images[i : i + batch_size].detach().cpu().reshape(-1, self.points.shape[1]).float()
            near = torch.cdist(q, self.points).topk(self.k, largest=False).indices
            votes = torch.nn.functional.one_hot(self.labels[near], self.classes).sum(1)
            out.append(votes.argmax(1))
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)

    def accuracy(self, images: torch.Tensor, labels) -> float:
        """The share of ``images`` whose predicted label equals ``labels`` (an int for all, or ``(N,)``)."""
        labels = torch.as_tensor(labels).long().expand(len(images))
        return (self.predict(images) == labels).double().mean().item()


@functools.cache
def domain_judge(k: int = 10) -> KNNJudge:
    """Handwritten (0) or printed (1), fitted on the train splits of ``mnist5k`` and ``printed-digits``."""
    a, b = (data.load(_DATASETS[d], split="train").x for d in DOMAINS)
    return KNNJudge(torch.cat([a, b]), torch.cat([torch.zeros(len(a)), torch.ones(len(b))]), k=k)


@functools.cache
def digit_judge(domain: str, k: int = 10) -> KNNJudge:
    """The digit 0-9, read by the nearest train images of ``domain`` (``"handwritten"`` or ``"printed"``) only."""
    if domain not in _DATASETS:
        raise ValueError(f"digit_judge: unknown domain {domain!r}; domains: {list(DOMAINS)}")
    d = data.load(_DATASETS[domain], split="train")
    return KNNJudge(d.x, d.y, k=k)


def translation_scores(translated: torch.Tensor, labels: torch.Tensor, target: str) -> dict[str, float]:
    """How ``translated`` images (meant for domain ``target``) look, with source digits ``labels``.

    ``looks_target``: the share the domain judge calls ``target``; ``digit_kept``:
    the share the digit judge of ``target`` reads as their source digit.
    """
    if target not in _DATASETS:
        raise ValueError(f"translation_scores: unknown target domain {target!r}; domains: {list(DOMAINS)}")
    return {
        "looks_target": domain_judge().accuracy(translated, DOMAINS.index(target)),
        "digit_kept": digit_judge(target).accuracy(translated, labels),
    }
