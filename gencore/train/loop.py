"""One training loop for every model in the book.

A model is trained by a list of :class:`Phase` s run in turn at every step:
a VAE has one (``vae``); a GAN has two (``critic`` repeated ``n_critic``
times, then ``generator``). A phase's ``update`` takes a batch, makes one
optimizer step and returns its losses as floats. After every step the
*hooks* run: they draw no data and adjust or record state (an average of
weights, a learning-rate schedule; see :mod:`gencore.train.hooks`).
:func:`train` adds the rest: the progress bar, the history, snapshots,
checkpoints, NaN detection, and a Ctrl-C that stops cleanly and keeps the
model and the history.

The batch convention, for every phase: a batch is a tuple of tensors whose
first item is the data, ``(x, y)`` as :meth:`gencore.data.Data.batches` and
:func:`gencore.data.mixture_stream` yield them. A phase that needs no data
(the generator's step of a GAN) says so with ``takes_batch=False`` and is
called with ``None``: it consumes nothing from the stream.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm


class TrainingDiverged(FloatingPointError):
    """A loss (or a quantity a model checks) became NaN or infinite. ``history`` holds everything up to then."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


@dataclass
class Phase:
    """One kind of update: ``update(batch) -> {loss name: float}``, run ``repeat`` times a step.

    ``takes_batch=False``: the phase draws no batch and ``update`` receives ``None``.
    """

    name: str
    update: Callable[[Any], dict[str, float]]
    repeat: int = 1
    takes_batch: bool = True


#: A hook runs after every step with the number of completed steps and may return values to log.
Hook = Callable[[int], "dict[str, float] | None"]


@dataclass
class History:
    """What a run leaves: per-step losses, evaluations, snapshots, and how it ended."""

    steps: list[int] = field(default_factory=list)
    losses: dict[str, list[float]] = field(default_factory=dict)
    evals: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    snapshots: list[tuple[int, Any]] = field(default_factory=list)
    interrupted: bool = False
    completed_steps: int = 0
    wall_time_s: float = 0.0
    #: CPU seconds of the process over the same span (all threads; more than the wall time when several run)
    cpu_time_s: float = 0.0

    def log(self, step: int, values: dict[str, float]) -> None:
        self.steps.append(step)
        for k, v in values.items():
            self.losses.setdefault(k, []).append(float(v))

    def last(self, key: str, n: int = 1) -> float:
        """Mean of the last ``n`` logged values of ``key``."""
        vals = self.losses.get(key) or [v for _, v in self.evals.get(key, [])]
        if not vals:
            raise KeyError(f"no values logged under {key!r}; logged: {sorted(self.losses) + sorted(self.evals)}")
        tail = vals[-n:]
        return sum(tail) / len(tail)


def _progress_default() -> bool:
    return os.environ.get("GENCORE_PROGRESS", "1") not in ("0", "", "false")


def _diverged(history: History, step: int, what: str) -> TrainingDiverged:
    history.completed_steps = step - 1
    return TrainingDiverged(
        f"{what} at step {step}. Lower the learning rate, check the data range, or clip gradients; "
        "the history up to here is in err.history.",
        history,
    )


def _keep_history(err: BaseException, history: History) -> None:
    """Attach ``history`` to ``err`` (as ``err.history``) so that no error loses the run."""
    if getattr(err, "history", None) is None:
        try:
            err.history = history
        except AttributeError:  # an exception type without a __dict__: say where the history went
            pass
    if hasattr(err, "add_note") and not any("err.history" in n for n in getattr(err, "__notes__", [])):
        done = history.completed_steps
        err.add_note(f"gencore.train: stopped after {done} completed steps; the history is in err.history")


def _draw(batches: Iterator, history: History, step: int, phase: str):
    try:
        return next(batches)
    except StopIteration:
        history.completed_steps = step - 1
        raise ValueError(
            f"the batch iterator ended at step {step} (phase {phase!r}) after {step - 1} completed steps: "
            "pass an endless iterator (Data.batches and mixture_stream are) or fewer steps"
        ) from None


def _finite(values: dict[str, float], history: History, step: int, what: str) -> dict[str, float]:
    """``values`` as floats; a NaN or infinite one raises :class:`TrainingDiverged` (nothing is stored)."""
    out = {}
    for k, v in values.items():
        v = float(v)
        if not math.isfinite(v):
            why = f"{what} {k!r} is {v} at step {step}; the history up to here is in err.history."
            raise TrainingDiverged(why, history)
        out[k] = v
    return out


def train(
    phases: Sequence[Phase],
    batches: Iterator,
    steps: int,
    *,
    hooks: Sequence[Hook] = (),
    evaluate: Callable[[], dict[str, float]] | None = None,
    eval_every: int = 0,
    snapshot: Callable[[], Any] | None = None,
    snapshot_every: int = 0,
    checkpoint: Callable[[int], None] | None = None,
    checkpoint_every: int = 0,
    progress: bool | None = None,
    history: History | None = None,
    stop: Callable[[int], bool] | None = None,
    desc: str | None = None,
) -> History:
    """Run ``steps`` steps of the ``phases`` on batches drawn from ``batches``.

    After each step every ``hook(step)`` runs (``step`` = completed steps, counted
    across continued runs); what a hook returns is logged with the losses.
    ``evaluate() -> dict`` runs every ``eval_every`` steps (and at the end);
    ``snapshot() -> anything`` every ``snapshot_every`` steps (also at step 0
    and at the end), e.g. samples for a slider over training;
    ``checkpoint(step)`` every ``checkpoint_every`` steps and at the end.
    ``stop(step) -> bool`` runs after each step (after the hooks, evaluation,
    snapshot and checkpoint of that step); when it returns true the run ends
    there as if ``steps`` were done (the end-of-run evaluation, snapshot and
    checkpoint follow), e.g. at a budget of CPU seconds (``gencore.bench.cpu_budget``).
    ``desc`` labels the progress bar (default: the phases' names, ``critic+generator``).
    Pass ``history`` to continue a run. Raises :class:`TrainingDiverged` on a
    NaN/inf loss or when a model raises ``FloatingPointError``; on Ctrl-C
    returns the history with ``interrupted=True``.
    """
    if not phases:
        raise ValueError("train() needs at least one Phase")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    for phase in phases:
        if not isinstance(phase, Phase):
            raise ValueError(f"train() takes Phase objects, got {type(phase).__name__}")
        if isinstance(phase.repeat, bool) or not isinstance(phase.repeat, int) or phase.repeat < 1:
            raise ValueError(f"phase {phase.name!r}: repeat must be a positive integer, got {phase.repeat!r}")
    for name, every in (("eval_every", eval_every), ("snapshot_every", snapshot_every)):
        if isinstance(every, bool) or not isinstance(every, int) or every < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {every!r}")
    if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int) or checkpoint_every < 0:
        raise ValueError(f"checkpoint_every must be a non-negative integer, got {checkpoint_every!r}")
    if any(p.takes_batch for p in phases) and not hasattr(batches, "__next__"):
        raise ValueError(f"batches must be an iterator (a generator, or iter(...)), got {type(batches).__name__}")
    history = history or History()
    history.interrupted = False  # a continued run after Ctrl-C is a new call: it ends normally
    start = history.completed_steps
    show = _progress_default() if progress is None else progress
    bar = tqdm(total=steps, disable=not show, desc=desc or "+".join(p.name for p in phases), leave=False)
    t0, c0 = time.perf_counter(), time.process_time()
    step = start

    def due(every: int) -> bool:
        return every > 0 and step % every == 0

    try:
        if snapshot is not None and snapshot_every and not history.snapshots:
            history.snapshots.append((step, snapshot()))
        for step in range(start + 1, start + steps + 1):
            values: dict[str, float] = {}
            for phase in phases:
                for _ in range(phase.repeat):
                    batch = _draw(batches, history, step, phase.name) if phase.takes_batch else None
                    try:
                        out = phase.update(batch)
                    except FloatingPointError as err:
                        if isinstance(err, TrainingDiverged):
                            raise
                        raise _diverged(history, step, f"phase {phase.name!r} failed: {err}") from err
                    if not isinstance(out, dict):
                        raise TypeError(
                            f"phase {phase.name!r} returned {type(out).__name__}; update must return a dict"
                        )
                    for k, v in out.items():
                        v = float(v)
                        if not math.isfinite(v):
                            raise _diverged(history, step, f"loss {k!r} of phase {phase.name!r} became {v}")
                        values[k] = v
            for hook in hooks:
                values.update(_finite(hook(step) or {}, history, step, "the value a hook logged as"))
            history.log(step, values)
            history.completed_steps = step
            if evaluate is not None and due(eval_every):
                for k, v in _finite(evaluate(), history, step, "evaluation").items():
                    history.evals.setdefault(k, []).append((step, v))
            if snapshot is not None and due(snapshot_every):
                history.snapshots.append((step, snapshot()))
            if checkpoint is not None and due(checkpoint_every):
                checkpoint(step)
            bar.update(1)
            if show and step % 10 == 0:
                bar.set_postfix({k: f"{v:.3g}" for k, v in values.items()})
            if stop is not None and stop(step):
                break
    except KeyboardInterrupt:
        history.interrupted = True
        print(
            f"Interrupted at step {history.completed_steps} of {start + steps}: "
            "the model keeps its weights and the history is returned."
        )
    except BaseException as err:
        _keep_history(err, history)
        raise
    finally:
        bar.close()
        history.wall_time_s += time.perf_counter() - t0
        history.cpu_time_s += time.process_time() - c0
    step = history.completed_steps
    if not history.interrupted:
        try:
            if evaluate is not None and not due(eval_every):
                for k, v in _finite(evaluate(), history, step, "evaluation").items():
                    history.evals.setdefault(k, []).append((step, v))
            if snapshot is not None and snapshot_every and history.snapshots[-1][0] != step:
                history.snapshots.append((step, snapshot()))
            if checkpoint is not None and not due(checkpoint_every):
                checkpoint(step)
        except KeyboardInterrupt:
            history.interrupted = True
            print(f"Interrupted after step {step}, in the end-of-run evaluation, snapshot or checkpoint.")
        except BaseException as err:
            _keep_history(err, history)
            raise
    return history
