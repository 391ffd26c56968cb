"""Shipped weights: ``gencore.pretrained.load(name)`` returns a ready model.

A shipped model is a set of named *parts* (a GAN's ``generator`` and ``critic``;
a CycleGAN's two generators and two discriminators), one of which is its *main*
part. ``gencore/weights/manifest.json`` holds, per model::

    recipe, description, main, config (the recipe's, by section), seed, steps,
    device, wall time, torch version, metrics, curves,
    parts: {part: {arch, config, file, sha256, tensors_sha256}},
    measured_with: {other shipped model: sha256 of its main part}   # metrics that used it

:func:`load` builds a part with :func:`gencore.models.build` and fills it from its
safetensors file after checking the file's sha256 and metadata; nothing here
knows how a model is trained (that is :mod:`gencore.recipes`). ``make weights`` /
``python -m gencore train NAME --replace`` rebuilds them.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable
from pathlib import Path

import torch

import gencore
from gencore import checkpoint, models

WEIGHTS_DIR = Path(__file__).parent / "weights"
MANIFEST = WEIGHTS_DIR / "manifest.json"
RESTORE = "restore the shipped files with `git checkout gencore/weights` or rebuild them with `make weights`"

#: keys every manifest entry and every part must have
ENTRY_KEYS = ("recipe", "main", "parts", "config", "metrics")
PART_KEYS = ("arch", "config", "file", "sha256")


@contextlib.contextmanager
def manifest_lock(manifest: Path | None = None):
    """An exclusive lock on the manifest (a ``.lock`` file beside it) while entries are read and rewritten."""
    path = Path(manifest or MANIFEST).with_suffix(".json.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, the atomic replace still protects readers
            yield
            return
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def manifest(path: Path | None = None) -> dict[str, dict]:
    """The manifest: name -> entry. A missing or unreadable manifest raises an error that says how to restore it."""
    path = Path(path or MANIFEST)
    if not path.is_file():
        raise FileNotFoundError(f"the manifest {path} is missing: {RESTORE}")
    try:
        m = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"the manifest {path} is truncated or corrupt ({err}): {RESTORE}") from None
    if not isinstance(m, dict):
        raise ValueError(f"the manifest {path} is not a JSON object of entries: {RESTORE}")
    return m


def names() -> list[str]:
    """The shipped models."""
    return sorted(manifest())


def entry(name: str) -> dict:
    """The manifest entry of shipped model ``name``, checked for completeness."""
    m = manifest()
    if name not in m:
        raise KeyError(f"no shipped model named {name!r}; shipped models: {', '.join(sorted(m)) or 'none'}")
    e = m[name]
    missing = [k for k in ENTRY_KEYS if k not in e]
    missing += [f"parts.{p}.{k}" for p, pe in e.get("parts", {}).items() for k in PART_KEYS if k not in pe]
    if missing:
        raise ValueError(f"the manifest entry of {name!r} in {MANIFEST} lacks {', '.join(missing)}: {RESTORE}")
    return e


def parts(name: str) -> list[str]:
    """The part names of shipped model ``name``, main part first."""
    e = entry(name)
    return [e["main"], *sorted(p for p in e["parts"] if p != e["main"])]


def load(name: str, part: str | None = None, device: torch.device | str | None = None) -> torch.nn.Module:
    """Part ``part`` (default: the main part) of shipped model ``name`` with its weights, in eval mode.

    Every main part that generates from noise (VAE, GAN and StyleGAN generators) has
    ``.sample(n, *, seed=None)``; a translator (CycleGAN's ``G_AB``) maps images to images instead.
    """
    e = entry(name)
    part = e["main"] if part is None else part
    if part not in e["parts"]:
        raise KeyError(f"shipped model {name!r} has no part {part!r}; its parts: {', '.join(parts(name))}")
    p = e["parts"][part]
    model = models.build(p["arch"], p["config"])
    checkpoint.load_into(
        model,
        weights_file(name, part, p["file"]),
        expected_sha256=p["sha256"],
        expected_metadata={"name": name, "part": part},
        expected_tensors_sha256=p.get("tensors_sha256"),
        rebuild_hint=f"To fix it, {RESTORE} (or `python -m gencore train {name} --replace`).",
    )
    return model.to(device or gencore.device()).eval()


def weights_file(name: str, part: str, file: str) -> Path:
    """The path of a part's file, which must lie in :data:`WEIGHTS_DIR` (symbolic links resolved)."""
    path = WEIGHTS_DIR / str(file)
    if path.resolve().parent != WEIGHTS_DIR.resolve():
        raise ValueError(
            f"the manifest entry of {name!r}, part {part!r}, names {file!r}, which is not in {WEIGHTS_DIR}: {RESTORE}"
        )
    return path


def load_parts(name: str, device: torch.device | str | None = None) -> dict[str, torch.nn.Module]:
    """Every part of shipped model ``name``: {part: module}, main part first."""
    return {p: load(name, p, device) for p in parts(name)}


def cached(name: str, derive: Callable[[torch.nn.Module], object] | None = None):
    """The main part of shipped model ``name`` on the CPU, in eval mode, loaded once per process and
    version (the sha256 of its file), so a retrained model is loaded again; with ``derive``, what
    ``derive(model)`` returns, also computed once per version (the features of a reference set, say).

    The one loader of shipped models for measurements (FID's classifier, the regressor): callers share
    the returned objects and must not change them. ``derive`` is a key of the cache: pass a function
    defined once (at module level), not a new lambda each call.
    """
    return _cached(name, main_sha256(name), derive)


@functools.cache
def _cached(name: str, sha256: str, derive):
    if derive is not None:
        return derive(_cached(name, sha256, None))
    return load(name, device="cpu")


def main_sha256(name: str) -> str:
    """The sha256 of the main part's file of shipped model ``name`` (what ``measured_with`` records)."""
    e = entry(name)
    return e["parts"][e["main"]]["sha256"]


def stale_measurements(name: str) -> list[str]:
    """The shipped models that ``name``'s metrics were measured with and that have changed since."""
    e = entry(name)
    return [other for other, sha in e.get("measured_with", {}).items() if main_sha256(other) != sha]


def record(name: str, new_entry: dict, *, weights_dir: Path | None = None) -> None:
    """Add or replace one manifest entry, under the manifest lock, written atomically."""
    path = Path(weights_dir or WEIGHTS_DIR) / "manifest.json"
    with manifest_lock(path):
        m = manifest(path) if path.exists() else {}
        m[name] = new_entry
        text = json.dumps(dict(sorted(m.items())), indent=2, ensure_ascii=False) + "\n"
        checkpoint.atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def replace(name: str, modules: dict[str, torch.nn.Module], make_entry, *, weights_dir: Path | None = None) -> dict:
    """Replace shipped model ``name``'s part files and manifest entry as one change; returns the entry.

    Each part is written to a temporary file first; ``make_entry(files)`` builds the entry from
    ``files``: {part: (file name, sha256, tensors sha256)}. Then, under the manifest lock, the files
    are moved into place and the entry recorded; if anything fails (or is interrupted) on the way,
    the previous files and manifest are put back, so the shipped model stays loadable.
    """
    wdir = Path(weights_dir or WEIGHTS_DIR)
    path = wdir / "manifest.json"
    staged: dict[str, Path] = {}
    backups: dict[Path, Path | None] = {}
    with manifest_lock(path):
        old_manifest = path.read_bytes() if path.exists() else None
        try:
            files = {}
            for part, module in modules.items():
                final = wdir / f"{name}.{part}.safetensors"
                tmp = wdir / f".{final.name}.new"
                sha = checkpoint.save(module, tmp, {"name": name, "part": part, "recipe": name})
                staged[part] = tmp
                files[part] = (final.name, sha, checkpoint.tensors_sha256(module.state_dict()))
            new_entry = make_entry(files)
            for part, tmp in staged.items():
                final = wdir / files[part][0]
                backup = wdir / f".{final.name}.old"
                backup.unlink(missing_ok=True)
                if final.exists():
                    os.link(final, backup)  # the old bytes stay reachable until the manifest is written
                backups[final] = backup if final.exists() else None
                os.replace(tmp, final)
            m = manifest(path) if old_manifest is not None else {}
            m[name] = new_entry
            text = json.dumps(dict(sorted(m.items())), indent=2, ensure_ascii=False) + "\n"
            checkpoint.atomic_write(path, lambda t: Path(t).write_text(text))
        except BaseException:
            for final, backup in backups.items():
                if backup is None:
                    final.unlink(missing_ok=True)
                else:
                    os.replace(backup, final)
            if old_manifest is not None and path.read_bytes() != old_manifest:
                checkpoint.atomic_write(path, lambda t: Path(t).write_bytes(old_manifest))
            raise
        finally:
            for tmp in staged.values():
                tmp.unlink(missing_ok=True)
            for backup in backups.values():
                if backup is not None:
                    backup.unlink(missing_ok=True)
    return new_entry
