"""gencore: the small package behind the book *Deep Generative Models, Executed*.

Imports run one way, through the layers of ``ARCHITECTURE.md`` (``data`` and ``viz``;
``models`` and ``widgets``; ``losses`` and the chapter tools; ``train``; ``metrics``;
``checkpoint`` and ``pretrained``; ``recipes``, ``toygan`` and ``ot``; ``bench``; the CLI).
This top-level module, the lowest layer, holds only the small helpers every layer
needs: :func:`device`, :func:`seed`, :func:`rng`, :func:`eval_mode`, :func:`frozen`,
:func:`module_device`, :func:`map_batches` and :func:`full_mode`.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
from collections.abc import Iterator

# CPU threading default, set before torch (and its OpenMP runtime) loads: threads that
# spin while they wait make a busy CPU several times slower. A user's own setting wins.
# Import gencore before torch for it to take effect (the chapters' first cell does).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "device",
    "seed",
    "rng",
    "eval_mode",
    "frozen",
    "module_device",
    "map_batches",
    "full_mode",
    "__version__",
]


def _allowed_devices() -> str:
    allowed = ["cpu"]
    if torch.cuda.is_available():
        allowed += ["cuda", f"cuda:N (N = 0..{torch.cuda.device_count() - 1})"]
    else:
        allowed += ["cuda, cuda:N (none: torch sees no CUDA device here)"]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        allowed.append("mps")
    return ", ".join(allowed)


def device() -> torch.device:
    """The device every chapter trains on: CUDA when present, else the CPU.

    Set ``GENCORE_DEVICE`` to override: ``cpu``, ``cuda``, ``cuda:N`` (the N-th
    GPU) or, on Apple machines, ``mps``. Any other value, or a device that torch
    does not see on this machine, raises ``ValueError`` naming the allowed
    values. Code in the book never calls ``.cuda()``; it moves tensors with
    ``.to(gencore.device())``.
    """
    name = os.environ.get("GENCORE_DEVICE", "").strip()
    if not name:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    match = re.fullmatch(r"cpu|mps|cuda(?::(\d+))?", name)
    available = match is not None and (
        name == "cpu"
        or (name == "mps" and getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available())
        or (
            name.startswith("cuda")
            and torch.cuda.is_available()
            and int(match.group(1) or 0) < torch.cuda.device_count()
        )
    )
    if not available:
        what = "is not a device name" if match is None else "names a device that torch does not see on this machine"
        raise ValueError(
            f"GENCORE_DEVICE={name!r} {what}; set it to one of: {_allowed_devices()} "
            "(or unset it: CUDA when present, else cpu)"
        )
    return torch.device(name)


def _check_seed(n, what: str = "seed") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {n!r}")
    return int(n)


def seed(n: int, *, deterministic: bool = True) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA) with ``n``.

    **Process-wide side effect.** With ``deterministic=True`` (the default) this
    also calls ``torch.use_deterministic_algorithms(True, warn_only=True)`` and
    sets ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` (unless already set), for the whole
    process and until changed: every later torch op, in any code, uses its
    deterministic implementation where torch has one, and ops without one emit
    a warning instead of failing. On the CPU this changes nothing measurable; on
    a GPU some ops (scatter-add, some pooling backwards, ...) get slower. It is
    what makes the book's numbers repeat bit for bit. Pass
    ``deterministic=False`` to leave torch's setting as it is (it is *not*
    switched off), or call ``torch.use_deterministic_algorithms(False)``
    yourself to switch it off. (The setting is not scoped to a ``with`` block
    because the training that needs it runs after ``seed`` returns.)

    Returns a ``torch.Generator`` seeded with ``n`` for code that wants its own
    stream (:func:`rng` gives one without touching the global state).
    """
    n = _check_seed(n)
    random.seed(n)
    np.random.seed(n % 2**32)
    torch.manual_seed(n)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(n)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return torch.Generator().manual_seed(n)


def rng(seed: int | None) -> torch.Generator | None:
    """A CPU ``torch.Generator`` seeded with ``seed``, or ``None`` when ``seed`` is ``None``.

    The idiom behind every ``seed=`` keyword of the package: ``None`` means
    "torch's global stream", an integer a private, repeatable one. Nothing global
    is touched. Draw on the CPU with it and move the result:
    ``torch.randn(n, d, generator=gencore.rng(seed)).to(device)``.
    """
    if seed is None:
        return None
    return torch.Generator().manual_seed(_check_seed(seed))


@contextlib.contextmanager
def eval_mode(*nets: torch.nn.Module) -> Iterator[None]:
    """Put ``nets`` in eval mode for the ``with`` block, then restore every module's own mode.

    The previous ``training`` flag of each module *and each of its submodules*
    is recorded and put back on exit, also when the block raises, so a network
    that was partly in eval mode (a frozen batch norm inside a training network)
    comes back exactly as it was. Gradients are not switched off: combine with
    ``torch.no_grad()`` when they are not needed.
    """
    for net in nets:
        if not isinstance(net, torch.nn.Module):
            raise TypeError(f"eval_mode takes nn.Module objects, got {type(net).__name__}")
    modes = [(m, m.training) for net in nets for m in net.modules()]
    try:
        for net in nets:
            net.eval()
        yield
    finally:
        for m, was_training in modes:
            m.training = was_training


@contextlib.contextmanager
def frozen(*modules: torch.nn.Module) -> Iterator[None]:
    """Switch ``requires_grad`` off for every parameter of ``modules`` in the ``with`` block; restore each
    parameter's own flag after, also when the block raises.

    For a network that gradients pass *through* but whose weights must not get any: the
    discriminator in its generator's step (the training phases), or both networks while a
    latent code is optimized (:func:`gencore.latent.inpaint`). Autograd then skips the
    gradients of those weights, which would be computed and thrown away; every other
    gradient is the same, bit for bit, and the frozen weights' ``.grad`` is left as it was.
    """
    params = [p for m in modules for p in m.parameters()]
    flags = [p.requires_grad for p in params]
    try:
        for p in params:
            p.requires_grad_(False)
        yield
    finally:
        for p, flag in zip(params, flags, strict=True):
            p.requires_grad_(flag)


def module_device(module: torch.nn.Module) -> torch.device:
    """The device of ``module``'s first parameter (or, with none, of its first buffer; else the CPU)."""
    for t in module.parameters():
        return t.device
    for t in module.buffers():
        return t.device
    return torch.device("cpu")


@torch.no_grad()
def map_batches(net: torch.nn.Module, x: torch.Tensor, fn=None, batch_size: int = 500):
    """``fn(net, batch)`` (default ``net(batch)``) over ``x`` in batches of ``batch_size``, without gradients and
    with ``net`` in eval mode (its modes are restored after, see :func:`eval_mode`).

    Each batch of ``x`` (N, ...) is moved to ``net``'s device (:func:`module_device`); the outputs, a
    tensor or a tuple of tensors per batch, are moved to the CPU and concatenated along the first axis,
    so the result is a tensor (N, ...) or a tuple of them. An empty ``x`` gives what ``fn`` gives on it.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    fn = fn or (lambda m, b: m(b))
    dev = module_device(net)
    with eval_mode(net):
        outs = [fn(net, x[i : i + batch_size].to(dev)) for i in range(0, max(len(x), 1), batch_size)]
    if isinstance(outs[0], tuple):
        return tuple(torch.cat([o[k].cpu() for o in outs]) for k in range(len(outs[0])))
    return torch.cat([o.cpu() for o in outs])


def full_mode() -> bool:
    """True when ``GENCORE_FULL=1``: chapters retrain everything from scratch."""
    return os.environ.get("GENCORE_FULL", "0") not in ("", "0", "false", "False")
