"""The one checkpoint format: a safetensors file of the state dict.

safetensors holds tensors only, so loading a file cannot run code (unlike a
pickle). The configuration and provenance live in ``weights/manifest.json``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save(model: torch.nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> str:
    """Write ``model``'s state dict to ``path``; returns the file's sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path), metadata={k: str(v) for k, v in (metadata or {}).items()})
    return sha256(path)


def load_into(
    model: torch.nn.Module, path: str | Path, *, expected_sha256: str | None = None, rebuild_hint: str = ""
) -> torch.nn.Module:
    """Load the weights at ``path`` into ``model`` (strictly: every tensor must match)."""
    path = Path(path)
    hint = f" {rebuild_hint}" if rebuild_hint else ""
    if not path.exists():
        raise FileNotFoundError(f"weights file {path} is missing.{hint}")
    if expected_sha256 and sha256(path) != expected_sha256:
        raise ValueError(f"weights file {path} is corrupt or was changed (sha256 does not match the manifest).{hint}")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"weights file {path} cannot be read as safetensors ({err}).{hint}") from err
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(f"weights file {path} does not fit the model's architecture: {err}.{hint}") from err
    return model
