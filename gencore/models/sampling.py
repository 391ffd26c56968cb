"""The one ``sample(n)`` loop behind every model's ``.sample``: checks ``n``, draws in chunks.

A model's ``sample(n, seed=...)`` calls :func:`sample_in_chunks` with a function
``draw(k, generator)`` that makes ``k`` samples on the model's device. Where the
result lives:

- ``n <= CHUNK`` (10,000): one draw, on the model's device, exactly as one call
  of ``draw(n, generator)`` would give;
- ``n > CHUNK``: the fewest near-equal draws of at most ``CHUNK`` samples
  (:func:`chunk_sizes`), each moved to the CPU and concatenated there, so the
  model's device only ever holds one chunk (its activations included) and the
  peak memory besides the result is bounded. With a ``seed`` the whole batch
  still repeats, but it differs from one draw of ``n`` (the noise is drawn
  chunk by chunk), and a model in training mode with batch norm normalizes
  each chunk by that chunk's statistics.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from gencore import rng

#: how many samples one draw makes at most
CHUNK = 10_000


def check_count(n) -> int:
    """``n`` as an ``int`` if it is a non-negative integer (Python or NumPy, not ``bool``), else ``ValueError``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer (the number of samples to draw), got {n!r}")
    return int(n)


def sample_in_chunks(
    draw: Callable[[int, torch.Generator | None], torch.Tensor],
    n,
    event_shape: tuple[int, ...],
    *,
    seed: int | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``n`` samples of shape ``event_shape`` from ``draw(k, generator)``, without gradients.

    ``n = 0`` gives an empty ``(0, *event_shape)`` tensor of ``dtype`` on
    ``device`` without calling ``draw``. ``seed`` seeds one CPU generator shared
    by all the draws (``None``: torch's global stream). See the module docstring
    for where the result lives.
    """
    n = check_count(n)
    gen = rng(seed)
    with torch.no_grad():
        if n == 0:
            return torch.empty(0, *event_shape, dtype=dtype, device=device)
        if n <= CHUNK:
            return draw(n, gen)
        return torch.cat([draw(k, gen).cpu() for k in chunk_sizes(n)])


def chunk_sizes(n: int) -> list[int]:
    """``n`` split into the fewest near-equal parts of at most :data:`CHUNK` (never a lone last sample)."""
    parts = -(-n // CHUNK)
    return [n // parts + (i < n % parts) for i in range(parts)]
