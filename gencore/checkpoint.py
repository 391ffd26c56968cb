"""The one checkpoint format: a safetensors file of a module's state dict.

safetensors holds tensors only, so loading a file cannot run code (unlike a
pickle). A file's own metadata names the shipped model and the part it holds;
configuration and provenance live in ``weights/manifest.json``. Files are
written to a temporary name and moved into place, so a reader never sees half
a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file


def sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, as lower-case hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tensors_sha256(state: dict[str, torch.Tensor]) -> str:
    """A digest of the tensors themselves (names, dtypes, shapes, bytes), independent of the file's metadata."""
    h = hashlib.sha256()
    for k in sorted(state):
        t = state[k].detach().to("cpu").contiguous()
        h.update(f"{k}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then move it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(model: torch.nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> str:
    """Write ``model``'s state dict to ``path`` (atomically) with ``metadata``; returns the file's sha256."""
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    meta = {k: str(v) for k, v in (metadata or {}).items()}
    atomic_write(Path(path), lambda tmp: save_file(state, tmp, metadata=meta))
    return sha256(path)


def metadata(path: str | Path) -> dict[str, str]:
    """The metadata stored in a safetensors file."""
    with safe_open(str(path), framework="pt") as f:
        return dict(f.metadata() or {})


def load_into(
    model: torch.nn.Module,
    path: str | Path,
    *,
    expected_sha256: str,
    expected_metadata: dict[str, str] | None = None,
    expected_tensors_sha256: str | None = None,
    rebuild_hint: str = "",
) -> torch.nn.Module:
    """Load the weights at ``path`` into ``model`` strictly (every tensor must match).

    The file's sha256 must equal ``expected_sha256`` (hex, any case) and its metadata
    must hold every item of ``expected_metadata`` (e.g. the model's name and part),
    so that a changed file or another model's file of the same shape is refused.
    The file's size is checked against the model's before the file is hashed, and
    ``expected_tensors_sha256`` (the manifest's :func:`tensors_sha256`), when given, after it is read.
    """
    path = Path(path)
    hint = f" {rebuild_hint}" if rebuild_hint else ""
    if not expected_sha256:
        raise ValueError(f"no sha256 given for {path}: every shipped weights file must have one in the manifest.{hint}")
    if not path.is_file():
        what = "is missing" if not path.exists() else "is a directory, not a file" if path.is_dir() else "is not a file"
        raise FileNotFoundError(f"weights file {path} {what}.{hint}")
    tensors = model.state_dict()
    need = sum(t.numel() * t.element_size() for t in tensors.values())
    size = path.stat().st_size
    if not need <= size <= need + (1 << 20) + 256 * len(tensors):  # the data plus a header of names and metadata
        raise ValueError(f"weights file {path} is {size:,} bytes; the model's tensors take {need:,}.{hint}")
    if sha256(path) != expected_sha256.strip().lower():
        raise ValueError(f"weights file {path} is corrupt or was changed (sha256 does not match the manifest).{hint}")
    try:
        meta = metadata(path)
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"weights file {path} cannot be read as safetensors ({err}).{hint}") from err
    wrong = {k: (meta.get(k), v) for k, v in (expected_metadata or {}).items() if meta.get(k) != str(v)}
    if wrong:
        detail = ", ".join(f"{k} is {got!r}, expected {want!r}" for k, (got, want) in wrong.items())
        raise ValueError(f"weights file {path} holds another model ({detail}).{hint}")
    if expected_tensors_sha256 and tensors_sha256(state) != expected_tensors_sha256.strip().lower():
        raise ValueError(f"weights file {path} holds other tensors than the manifest records (tensors_sha256).{hint}")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(f"weights file {path} does not fit the model's architecture: {err}.{hint}") from err
    return model
