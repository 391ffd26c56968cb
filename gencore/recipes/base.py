"""What a recipe is: how one shipped model is built, trained and measured."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

import gencore
from gencore import models
from gencore.train import History, TrainingDiverged

#: a recipe's config has these sections; others (e.g. ``critic``) may be added
SECTIONS = ("model", "optim", "train")


@dataclass(frozen=True)
class Recipe:
    """The single source of truth for a shipped model.

    ``config`` is a dict of sections: ``model`` (the main part's architecture),
    ``optim`` (optimizer settings), ``train`` (steps, batch size, seed, losses...),
    and any other a recipe needs. ``parts(config)`` names each part's architecture
    and its model config ``{part: (arch, config)}``; ``main`` is the part that
    ``gencore.pretrained.load(name)`` returns. ``fit(parts, config, progress, **train_options)``
    trains the parts in place and returns the history (``train_options`` such as ``stop`` or
    ``snapshot``/``snapshot_every`` go to :func:`gencore.train.train`); ``evaluate(parts)`` measures
    them. ``measured_with`` names the shipped models ``evaluate`` uses (e.g. the
    classifier behind FID): they are trained first, and the manifest records which
    version of them measured this one.
    """

    name: str
    description: str
    config: dict
    parts: Callable[[dict], dict[str, tuple[str, dict]]]
    main: str
    fit: Callable[..., History]
    evaluate: Callable[[dict[str, torch.nn.Module]], dict[str, float]]
    measured_with: tuple[str, ...] = ()

    def build(self, config: dict | None = None) -> dict[str, torch.nn.Module]:
        """Fresh, untrained parts ``{part: module}`` for ``config`` (default: the recipe's)."""
        return {p: models.build(arch, cfg) for p, (arch, cfg) in self.parts(config or self.config).items()}


@dataclass
class Run:
    """What :func:`train_recipe` returns: the trained parts, the history and the config used."""

    recipe: str
    parts: dict[str, torch.nn.Module]
    history: History
    config: dict
    main_part: str = field(default="")

    @property
    def main(self) -> torch.nn.Module:
        """The main part (the model ``gencore.pretrained.load`` would return)."""
        return self.parts[self.main_part]


_RECIPES: dict[str, Recipe] = {}


def register(r: Recipe) -> Recipe:
    for section in SECTIONS:
        if section not in r.config:
            raise ValueError(f"recipe {r.name!r} has no {section!r} section in its config")
    _RECIPES[r.name] = r
    return r


def recipe(name: str) -> Recipe:
    if name not in _RECIPES:
        raise KeyError(f"no recipe named {name!r}; recipes: {', '.join(sorted(_RECIPES))}")
    return _RECIPES[name]


def names() -> list[str]:
    """Recipe names, every recipe after the ones its metrics are measured with (then alphabetical)."""
    done: list[str] = []

    def visit(n: str, path: tuple[str, ...]) -> None:
        if n in done:
            return
        if n in path:
            raise ValueError(f"recipes measure each other in a cycle: {' -> '.join((*path, n))}")
        for dep in recipe(n).measured_with:
            visit(dep, (*path, n))
        done.append(n)

    for n in sorted(_RECIPES):
        visit(n, ())
    return done


def settings(config: dict) -> dict[str, str]:
    """Every setting name of a config and the section that holds it."""
    out: dict[str, str] = {}
    for section, values in config.items():
        for key in values:
            out[key] = section if key not in out else "(ambiguous)"
    return out


def with_overrides(name: str, config: dict, overrides: dict) -> dict:
    """A copy of ``config`` with ``overrides`` applied: each key names a setting of one section
    (``steps``, ``beta``, ``width``...) or ``section.key`` when two sections share a name."""
    new = copy.deepcopy(config)
    where = settings(config)
    for key, value in overrides.items():
        section, _, setting = key.rpartition(".")
        if not section:
            section = where.get(key, "")
        if section == "(ambiguous)":
            raise KeyError(f"setting {key!r} of recipe {name!r} is in several sections: write 'section.{key}'")
        if section not in new or setting not in new[section]:
            raise KeyError(f"recipe {name!r} has no setting {key!r}; settings: {', '.join(sorted(where))}")
        new[section][setting] = value
    return new


def train_recipe(
    name: str,
    *,
    progress: bool | None = None,
    snapshot: Callable[[dict[str, torch.nn.Module]], object] | None = None,
    snapshot_every: int = 0,
    stop: Callable[[int], bool] | None = None,
    **overrides,
) -> Run:
    """Train recipe ``name`` from scratch, with ``overrides`` of its settings; returns a :class:`Run`.

    Example: ``train_recipe("vae-mnist", beta=0.1, steps=2000)``,
    ``train_recipe("dcgan-mnist", width=16, steps=300)``. ``snapshot(parts)`` runs
    every ``snapshot_every`` steps (and at steps 0 and the last); its values are in
    ``run.history.snapshots``, e.g. for a slider over training. ``stop(step) -> bool``
    ends training early when it returns true (see :func:`gencore.train.train`);
    ``run.history.completed_steps`` says how many steps were made.
    """
    r = recipe(name)
    config = with_overrides(name, r.config, overrides)
    steps, seed = config["train"].get("steps"), config["train"].get("seed")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be a non-negative integer below 2**32, got {seed!r}")
    gencore.seed(seed)
    parts = {p: m.to(gencore.device()) for p, m in r.build(config).items()}
    options = {"snapshot": (lambda: snapshot(parts)), "snapshot_every": snapshot_every} if snapshot else {}
    if stop is not None:
        options["stop"] = stop
    try:
        history = r.fit(parts, config, progress, **options)
        for m in parts.values():
            m.eval()
        if not history.interrupted:
            _check_finite_weights(parts, history)
    except BaseException as err:
        # keep the trained parts with the error, as ``err.run`` (``err.history`` is set by ``train``)
        for m in parts.values():
            m.eval()
        if getattr(err, "run", None) is None:
            with contextlib.suppress(AttributeError):
                err.run = Run(name, parts, getattr(err, "history", None) or History(), config, r.main)
        raise
    return Run(name, parts, history, config, r.main)


def _check_finite_weights(parts: dict[str, torch.nn.Module], history: History) -> None:
    """Raise :class:`TrainingDiverged` when a part's weights are NaN or infinite after the last step."""
    for part, module in parts.items():
        bad = [k for k, t in module.state_dict().items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]
        if bad:
            raise TrainingDiverged(
                f"part {part!r} has NaN or infinite weights after step {history.completed_steps} "
                f"({', '.join(bad[:3])}{', ...' if len(bad) > 3 else ''}); the last step diverged. "
                "Lower the learning rate or train fewer steps; the history is in err.history.",
                history,
            )
