"""Shipped weights: ``gencore.pretrained.load(name)`` returns a ready model.

Each model has a safetensors file in ``gencore/weights/`` and an entry in
``gencore/weights/manifest.json``: the recipe and config that trained it, the
seed, steps, device, wall time, library versions, metrics measured on it, and
the file's sha256. ``make weights`` (``python -m gencore train NAME``)
rebuilds them.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

import gencore
from gencore import checkpoint

WEIGHTS_DIR = Path(__file__).parent / "weights"
MANIFEST = WEIGHTS_DIR / "manifest.json"


def manifest() -> dict[str, dict]:
    """The manifest: name -> entry."""
    if not MANIFEST.exists():
        return {}
    return json.loads(MANIFEST.read_text())


def names() -> list[str]:
    return sorted(manifest())


def entry(name: str) -> dict:
    m = manifest()
    if name not in m:
        raise KeyError(f"no shipped model named {name!r}; shipped models: {', '.join(sorted(m)) or 'none'}")
    return m[name]


def record(name: str, new_entry: dict) -> None:
    """Add or replace one manifest entry (used by ``python -m gencore train``)."""
    m = manifest()
    m[name] = new_entry
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    MANIFEST.write_text(json.dumps(dict(sorted(m.items())), indent=2) + "\n")


def load(name: str, device: torch.device | str | None = None) -> torch.nn.Module:
    """The shipped model ``name`` with its weights, in eval mode, on ``device``.

    Every generative model returned has ``.sample(n, *, seed=None)``.
    """
    from gencore.recipes import recipe

    e = entry(name)
    return _ready(recipe(e["recipe"]).build(e["config"]), name, e["file"], e.get("sha256"), device)


def _ready(model, name: str, file: str, sha: str | None, device) -> torch.nn.Module:
    """Load ``file`` into ``model`` (checking its sha256) and return it in eval mode on ``device``."""
    checkpoint.load_into(
        model,
        WEIGHTS_DIR / file,
        expected_sha256=sha,
        rebuild_hint=f"Rebuild it with `make weights` or `python -m gencore train {name}`.",
    )
    return model.to(device or gencore.device()).eval()


def load_critic(name: str, device: torch.device | str | None = None) -> torch.nn.Module:
    """The discriminator (or WGAN critic) trained with the shipped GAN ``name``, in eval mode."""
    from gencore.recipes import recipe

    e = entry(name)
    r = recipe(e["recipe"])
    if "critic_file" not in e or r.build_critic is None:
        raise KeyError(
            f"{name!r} ships no discriminator/critic; models that do: "
            f"{', '.join(n for n, x in manifest().items() if 'critic_file' in x) or 'none'}"
        )
    return _ready(r.build_critic(e["config"]), name, e["critic_file"], e.get("critic_sha256"), device)
