"""Command line: ``python -m gencore list | train NAME | bench [NAME ...]``."""

from __future__ import annotations

import argparse
import json
import platform
import sys
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
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
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
        "torch": torch.__version__,
        "metrics": {k: round(v, 4) for k, v in metrics.items()},
        "curves": {k: [[s, round(v, 4)] for s, v in pts] for k, pts in run.history.evals.items()},
        **({"measured_with": measured_with} if measured_with else {}),
    }


def _train(args: argparse.Namespace) -> int:
    from gencore import checkpoint, pretrained, recipes

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
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for name in names:
        r = recipes.recipe(name)
        out_dir = pretrained.WEIGHTS_DIR if args.replace else Path(args.out) / f"{name}-{stamp}"
        print(f"training {name}: {r.description}")
        overrides = {k: v for k, v in (("steps", args.steps), ("seed", args.seed)) if v is not None}
        run = recipes.train_recipe(name, **overrides)
        if run.history.interrupted:
            print(f"{name}: interrupted at step {run.history.completed_steps}; nothing written")
            return 130
        metrics = r.evaluate(run.parts)
        files = {}
        for part, module in run.parts.items():
            path = out_dir / f"{name}.{part}.safetensors"
            sha = checkpoint.save(module, path, {"name": name, "part": part, "recipe": name})
            files[part] = (path.name, sha, checkpoint.tensors_sha256(module.state_dict()))
        measured_with = {d: pretrained.main_sha256(d) for d in r.measured_with}
        entry = _entry(run, metrics, files, measured_with)
        if args.replace:
            pretrained.record(name, entry)
            print(
                f"{name}: replaced the shipped weights and manifest entry in {out_dir}; "
                f"to restore the previous ones: git checkout gencore/weights"
            )
        else:
            (out_dir / "entry.json").write_text(json.dumps(entry, indent=2, ensure_ascii=False) + "\n")
            print(
                f"{name}: wrote {out_dir} (the shipped weights are unchanged; "
                f"`python -m gencore train {name} --replace` replaces them)"
            )
        print(f"{name}: {run.history.completed_steps} steps in {run.history.wall_time_s:.1f} s; metrics {metrics}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from gencore import bench

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
    t.add_argument("--steps", type=_non_negative, default=None, help="override the recipe's number of steps")
    t.add_argument("--seed", type=_non_negative, default=None, help="override the recipe's seed")
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
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
