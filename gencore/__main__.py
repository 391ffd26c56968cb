"""Command line: ``python -m gencore list | train NAME | bench [NAME ...]``."""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import os
import platform
import signal
import sys
import threading
import time
from pathlib import Path

import torch


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; use 0 or more")
    return value


def _positive(text: str) -> int:
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError("use 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{value} is not a positive, finite number")
    return value


def _seed(text: str) -> int:
    value = _non_negative(text)
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"{value} is too large; seeds go from 0 to 2**32 - 1")
    return value


def _entry(run, metrics: dict, files: dict[str, tuple[str, str, str]], measured_with: dict) -> dict:
    """The manifest entry of a trained run; ``files``: part -> (file name, sha256, tensors sha256)."""
    import gencore
    from gencore import recipes

    r = recipes.recipe(run.recipe)
    spec = r.parts(run.config)
    return {
        "recipe": run.recipe,
        "description": r.description,
        "main": r.main,
        "parts": {
            p: {"arch": arch, "config": cfg, "file": files[p][0], "sha256": files[p][1], "tensors_sha256": files[p][2]}
            for p, (arch, cfg) in spec.items()
        },
        "config": run.config,
        "seed": run.config["train"]["seed"],
        "steps": run.history.completed_steps,
        "device": str(gencore.device()),
        "device_name": torch.cuda.get_device_name() if torch.cuda.is_available() else platform.machine(),
        "wall_time_s": round(run.history.wall_time_s, 1),
        "cpu_time_s": round(run.history.cpu_time_s, 1),
        "torch": torch.__version__,
        "metrics": {k: round(v, 4) for k, v in metrics.items()},
        "curves": {k: [[s, round(v, 4)] for s, v in pts] for k, pts in run.history.evals.items()},
        **({"measured_with": measured_with} if measured_with else {}),
    }


@contextlib.contextmanager
def _deferred_interrupt():
    """Hold a Ctrl-C until the block is done (a half-written run is worse than a late exit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _check_out(out: str) -> str | None:
    """Why the run folder ``out`` cannot be used, or None when it can (it is created if missing)."""
    base = Path(out)
    if base.exists() and not base.is_dir():
        return f"--out {out} is not a folder"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return f"--out {out}: cannot create the folder ({err.strerror or err})"
    if not base.is_dir():
        return f"--out {out} is not a folder"
    if not os.access(base, os.W_OK | os.X_OK):
        return f"--out {out} is not writable"
    return None


def _new_run_dir(base: Path, name: str) -> Path:
    """A new, empty folder ``base/NAME-YYYYmmdd-HHMMSS`` (``-2``, ``-3``... when taken): runs never share one."""
    stem = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    for i in range(1, 10_000):
        d = base / (stem if i == 1 else f"{stem}-{i}")
        try:
            d.mkdir()
            return d
        except FileExistsError:
            continue
    raise FileExistsError(f"{base}: too many runs named {stem}")


def _write_run(out_dir: Path, run, metrics: dict, measured_with: dict, status: str = "", error: str = "") -> None:
    """The run's part files and ``entry.json`` in ``out_dir``; ``status`` marks an interrupted or failed run."""
    from gencore import checkpoint

    with _deferred_interrupt():
        files = {}
        for part, module in run.parts.items():
            path = out_dir / f"{run.recipe}.{part}.safetensors"
            sha = checkpoint.save(module, path, {"name": run.recipe, "part": part, "recipe": run.recipe})
            files[part] = (path.name, sha, checkpoint.tensors_sha256(module.state_dict()))
        entry = _entry(run, metrics, files, measured_with)
        if status:
            entry = {"status": status, **({"error": error} if error else {}), **entry}
        text = json.dumps(entry, indent=2, ensure_ascii=False) + "\n"
        checkpoint.atomic_write(out_dir / "entry.json", lambda tmp: Path(tmp).write_text(text))


def _keep_unfinished(name: str, run, out: Path, run_dir: Path | None, status: str, error: str = "") -> int:
    """Write an interrupted or failed run (never over the shipped weights) and say what to do; the exit code."""
    steps = run.history.completed_steps
    total = run.config["train"]["steps"]
    run_dir = run_dir or _new_run_dir(out, name)
    _write_run(run_dir, run, {}, {}, status, error)
    if status == "interrupted":
        print(
            f"{name}: interrupted at step {steps} of {total}{f' ({error})' if error else ''}; "
            f"wrote the model as it was to {run_dir} "
            f"(entry.json: status 'interrupted', steps {steps}). The recipe cannot resume a run: "
            f"`python -m gencore train {name}` trains it again from the start.",
            file=sys.stderr,
        )
        return 130
    print(
        f"{name}: failed at step {steps} of {total}: {error}\n"
        f"wrote the model as it was to {run_dir} (entry.json: status 'failed', steps {steps})",
        file=sys.stderr,
    )
    return 1


def _train(args: argparse.Namespace) -> int:
    from gencore import pretrained, recipes

    names = recipes.names() if args.name == "all" else [args.name]
    if args.replace and not args.force:
        short = [n for n in names if args.steps is not None and args.steps < recipes.recipe(n).config["train"]["steps"]]
        if short:
            print(
                f"refusing to replace shipped {', '.join(short)} with fewer steps ({args.steps}) than the recipe's; "
                "add --force to do it anyway",
                file=sys.stderr,
            )
            return 2
    problem = _check_out(args.out)  # before any training: an interrupted run is written there too
    if problem is None and args.replace and not os.access(pretrained.WEIGHTS_DIR, os.W_OK):
        problem = f"{pretrained.WEIGHTS_DIR} is not writable; cannot --replace"
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    out = Path(args.out)
    for name in names:
        r = recipes.recipe(name)
        run_dir = None if args.replace else _new_run_dir(out, name)
        print(f"training {name}: {r.description}")
        overrides = {k: v for k, v in (("steps", args.steps), ("seed", args.seed)) if v is not None}
        try:
            run = recipes.train_recipe(name, **overrides)
        except BaseException as err:
            run = getattr(err, "run", None)
            if run is None:
                if run_dir is not None and not any(run_dir.iterdir()):
                    run_dir.rmdir()
                raise
            if isinstance(err, KeyboardInterrupt):
                return _keep_unfinished(name, run, out, run_dir, "interrupted")
            return _keep_unfinished(name, run, out, run_dir, "failed", f"{type(err).__name__}: {err}")
        if run.history.interrupted:
            return _keep_unfinished(name, run, out, run_dir, "interrupted")
        try:
            metrics = r.evaluate(run.parts)
        except KeyboardInterrupt:
            return _keep_unfinished(
                name, run, out, run_dir, "interrupted", "in the evaluation, after training; no metrics"
            )
        except Exception as err:
            why = f"the evaluation failed: {type(err).__name__}: {err}"
            return _keep_unfinished(name, run, out, run_dir, "failed", why)
        bad = {k: v for k, v in metrics.items() if not math.isfinite(v)}
        if bad:
            return _keep_unfinished(name, run, out, run_dir, "failed", f"the evaluation gave non-finite metrics {bad}")
        measured_with = {d: pretrained.main_sha256(d) for d in r.measured_with}
        if args.replace:
            make_entry = functools.partial(_entry, run, metrics, measured_with=measured_with)
            with _deferred_interrupt():
                pretrained.replace(name, run.parts, make_entry)
            print(
                f"{name}: replaced the shipped weights and manifest entry in {pretrained.WEIGHTS_DIR}; "
                f"to restore the previous ones: git checkout gencore/weights"
            )
        else:
            _write_run(run_dir, run, metrics, measured_with)
            print(
                f"{name}: wrote {run_dir} (the shipped weights are unchanged; "
                f"`python -m gencore train {name} --replace` replaces them)"
            )
        print(f"{name}: {run.history.completed_steps} steps in {run.history.wall_time_s:.1f} s; metrics {metrics}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from gencore import bench

    problem = _check_out(str(Path(args.out).parent))  # before the benchmarks run, not after
    if problem is None and Path(args.out).is_dir():
        problem = f"--out {args.out} is a folder; name a file"
    if problem:
        print(f"error: {problem.replace('--out', '--out folder', 1)}", file=sys.stderr)
        return 2

    options = {
        "jobs": args.jobs,
        "seeds": args.seeds,
        "methods": args.methods,
        "mixtures": args.mixtures,
        "ship": args.ship,
        "budget": args.budget,
    }
    return bench.main(args.names, chapters=args.chapters, skip_chapters=args.no_chapters, out=args.out, options=options)


def _list(_: argparse.Namespace) -> int:
    from gencore import bench, data, pretrained, recipes

    print("data sets:     ", ", ".join(data.names()))
    print("recipes:       ", ", ".join(recipes.names()))
    print("shipped models:", ", ".join(f"{n} ({', '.join(pretrained.parts(n))})" for n in pretrained.names()))
    print("benchmarks:    ", ", ".join(bench.BENCHMARKS))
    return 0


def parser() -> argparse.ArgumentParser:
    from gencore import bench, recipes, toygan

    p = argparse.ArgumentParser(prog="python -m gencore", description="data sets, shipped models and benchmarks")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="retrain a shipped model from its recipe (NAME or 'all')")
    t.add_argument("name", choices=[*recipes.names(), "all"], metavar="NAME", help="a recipe, or 'all'")
    t.add_argument("--steps", type=_positive, default=None, help="override the recipe's number of steps (1 or more)")
    t.add_argument("--seed", type=_seed, default=None, help="override the recipe's seed")
    t.add_argument("--out", default="runs", help="folder for the run's weights and entry (default: runs/)")
    t.add_argument("--replace", action="store_true", help="replace the shipped weights and manifest entry")
    t.add_argument("--force", action="store_true", help="with --replace: allow fewer steps than the recipe's")
    t.set_defaults(func=_train)
    b = sub.add_parser("bench", help="time every chapter and run the benchmarks")
    b.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all): {', '.join(bench.BENCHMARKS)}"
    )
    b.add_argument("--chapters", nargs="*", default=None, help="chapter stems to time (default: all)")
    b.add_argument("--no-chapters", action="store_true", help="skip chapter timing")
    b.add_argument("--jobs", type=_positive, default=None, help="mode-collapse: runs at once (one per core)")
    b.add_argument("--seeds", type=_positive, default=None, help="mode-collapse: seeds 0 .. N-1 (default 5)")
    b.add_argument("--methods", nargs="+", choices=list(toygan.METHODS), default=None, help="mode-collapse methods")
    b.add_argument("--mixtures", nargs="+", choices=["ring8", "grid25"], default=None, help="mode-collapse mixtures")
    b.add_argument("--ship", action="store_true", help="mode-collapse: replace the shipped results file")
    b.add_argument("--budget", type=_positive_float, default=None, help="cpu-budget: CPU seconds per recipe (600)")
    b.add_argument("--out", default="_build/bench.json")
    b.set_defaults(func=_bench)
    sub.add_parser("list", help="list data sets, recipes, shipped models and benchmarks").set_defaults(func=_list)
    return p


def main(argv: list[str] | None = None) -> int:
    from gencore import bench

    p = parser()
    args = p.parse_args(argv)
    unknown = [n for n in getattr(args, "names", []) if n not in bench.BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(bench.BENCHMARKS)}")
    if getattr(args, "chapters", None):
        stems = [c.stem for c in bench.chapters()]
        missing = [c for c in args.chapters if c not in stems]
        if missing:
            p.error(f"unknown chapter {', '.join(missing)}; choose from {', '.join(stems)}")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
