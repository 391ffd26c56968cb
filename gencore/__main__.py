"""Command line: ``python -m gencore train NAME``, ``python -m gencore bench``, ``python -m gencore list``."""

from __future__ import annotations

import argparse
import platform
import sys

import torch


def _train(args: argparse.Namespace) -> int:
    import gencore
    from gencore import checkpoint, pretrained, recipes

    names = recipes.names() if args.name == "all" else [args.name]
    for name in names:
        r = recipes.recipe(name)
        print(f"training {name}: {r.description}")
        model, history, config = recipes.train_recipe(name, steps=args.steps, seed=args.seed)
        if history.interrupted:
            print(f"{name}: interrupted; weights not written")
            return 130
        metrics = r.evaluate(model)
        path = pretrained.WEIGHTS_DIR / f"{name}.safetensors"
        digest = checkpoint.save(model, path, {"name": name, "recipe": name})
        critic = getattr(history, "critic", None)  # GANs also ship their discriminator/critic
        critic_entry = {}
        if critic is not None:
            critic_path = pretrained.WEIGHTS_DIR / f"{name}.critic.safetensors"
            critic_entry = {
                "critic_file": critic_path.name,
                "critic_sha256": checkpoint.save(critic, critic_path, {"name": name, "part": "critic"}),
            }
        pretrained.record(
            name,
            {
                "file": path.name,
                "recipe": name,
                "description": r.description,
                "config": config,
                "seed": config["seed"],
                "steps": history.completed_steps,
                "device": str(gencore.device()),
                "device_name": torch.cuda.get_device_name()
                if torch.cuda.is_available()
                else platform.processor() or platform.machine(),
                "wall_time_s": round(history.wall_time_s, 1),
                "torch": torch.__version__,
                "metrics": {k: round(v, 4) for k, v in metrics.items()},
                "curves": {k: [[s, round(v, 4)] for s, v in pts] for k, pts in history.evals.items()},
                "sha256": digest,
                **critic_entry,
            },
        )
        print(
            f"{name}: {history.completed_steps} steps in {history.wall_time_s:.1f} s; metrics {metrics}; wrote {path}"
        )
    return 0


def _bench(args: argparse.Namespace) -> int:
    from gencore.bench import main as bench_main

    return bench_main(chapters=args.chapters, out=args.out, skip_chapters=args.no_chapters, only=args.only)


def _list(_: argparse.Namespace) -> int:
    from gencore import data, pretrained, recipes

    print("data sets:     ", ", ".join(data.names()))
    print("recipes:       ", ", ".join(recipes.names()))
    print("shipped models:", ", ".join(pretrained.names()))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gencore")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="retrain a shipped model from its recipe (NAME or 'all')")
    t.add_argument("name")
    t.add_argument("--steps", type=int, default=None, help="override the recipe's number of steps")
    t.add_argument("--seed", type=int, default=None)
    t.set_defaults(func=_train)
    b = sub.add_parser("bench", help="time every chapter and run the benchmarks")
    b.add_argument("--chapters", nargs="*", default=None, help="chapter stems to time (default: all)")
    b.add_argument("--no-chapters", action="store_true", help="skip chapter timing")
    b.add_argument("--only", nargs="*", default=None, help="benchmarks to run (default: all)")
    b.add_argument("--out", default="_build/bench.json")
    b.set_defaults(func=_bench)
    sub.add_parser("list", help="list data sets, recipes and shipped models").set_defaults(func=_list)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
