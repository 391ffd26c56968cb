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
