"""Building blocks shared by the model families."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn


def mlp(sizes: list[int], act: Callable[[], nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers ``sizes[0] -> sizes[1] -> ... -> sizes[-1]`` with ``act()`` between them, none after the last.

    The ``nn.Sequential`` holds ``Linear, act, Linear, act, ..., Linear`` (its
    state-dict keys are ``0.weight``, ``0.bias``, ``2.weight``, ...; shipped
    weights rely on this layout).
    """
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=False):
        layers += [nn.Linear(a, b), act()]
    return nn.Sequential(*layers[:-1])


def conv_trunk(channels: int, width: int, feature_dim: int, dropout: float | None) -> nn.Sequential:
    """The small CNN of the book's classifiers and judges: images (N, channels, 28, 28) -> features
    (N, feature_dim), by two 3x3 convolutions (``width``, ``2 * width``) each max-pooled by 2 (28 -> 14
    -> 7), then a linear layer; ReLU after each. ``dropout`` (``None``: no dropout layer at all) comes
    before the linear layer.

    The state-dict keys are ``0.*`` and ``3.*`` for the convolutions and ``7.*`` (``8.*`` with a
    dropout layer) for the linear one; shipped weights rely on this layout.
    """
    layers: list[nn.Module] = [
        nn.Conv2d(channels, width, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 14
        nn.Conv2d(width, 2 * width, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # 7
        nn.Flatten(),
    ]
    if dropout is not None:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(2 * width * 7 * 7, feature_dim), nn.ReLU())
