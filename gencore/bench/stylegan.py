"""Benchmarks of the StyleGAN and SeFa chapters: the shipped generator's quality, and how well
SeFa's directions isolate the known factors of the shapes, against GANSpace and random directions."""

from __future__ import annotations

import time

import torch

import gencore
from gencore import data, pretrained, recipes, sefa
from gencore.bench.registry import benchmark
from gencore.recipes import stylegan_shapes


@benchmark("stylegan-shapes")
def stylegan_quality() -> dict:
    """Training time (from the manifest), Fréchet distance in the regressor's features and its floor,
    and sampling speed of the shipped generator."""
    g, entry = pretrained.load("stylegan-shapes"), pretrained.entry("stylegan-shapes")
    t0 = time.perf_counter()
    with torch.no_grad():
        g.sample(1000, seed=0)
    return {
        "train_steps": entry["steps"],
        "train_wall_time_s": entry["wall_time_s"],
        "train_machine": entry.get("device_name"),
        "fd": round(stylegan_shapes.evaluate({"generator": g})["fd"], 3),
        "fd_floor": round(stylegan_shapes.fd_floor(), 3),
        "samples_per_s": round(1000 / (time.perf_counter() - t0), 1),
    }


@benchmark("stylegan-vs-dcgan")
def stylegan_vs_dcgan(cpu_minutes: float = 10.0, seed: int = 0) -> dict:
    """StyleGAN and a plain DCGAN trained side by side in one run, on one thread each, for the same
    CPU budget on the same stream of fresh shapes: images per CPU-second, the learning curve (FD of
    1,000 samples against training CPU-minutes) and what the shape judge reads in 2,000 samples at
    the end (:func:`gencore.recipes.stylegan_shapes.shape_report`; real shapes give the ceiling)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out: dict = {"cpu_minutes": cpu_minutes, "seed": seed}
    try:
        for name, every in (("stylegan-shapes", 250), ("dcgan-shapes", 1000)):
            run = recipes.train_recipe(
                name, progress=False, steps=10**9, cpu_minutes=cpu_minutes, eval_every=every, seed=seed
            )
            curve = run.history.evals
            minutes = curve["cpu_minutes"][-1][1]
            g = run.parts["generator"]
            with gencore.eval_mode(g), torch.no_grad():
                report = stylegan_shapes.shape_report(g.sample(stylegan_shapes.FD_SAMPLES, seed=0).cpu())
            out[name] = {
                "steps": run.history.completed_steps,
                "images_per_cpu_s": round(
                    run.history.completed_steps * run.config["train"]["batch_size"] / (60 * minutes), 1
                ),
                "curve_cpu_min_fd": [
                    [round(m, 2), round(f, 1)] for (_, m), (_, f) in zip(curve["cpu_minutes"], curve["fd"])
                ],
                "judge": {k: round(v, 3) for k, v in report.items()},
            }
        out["real"] = {
            k: round(v, 3)
            for k, v in stylegan_shapes.shape_report(
                data.load("shapes", n=stylegan_shapes.FD_SAMPLES, seed=stylegan_shapes.TRAIN_SEED).x
            ).items()
        }
    finally:
        torch.set_num_threads(threads)
    return out


@benchmark("sefa")
def sefa_directions(k: int = 5, seeds=(0, 1, 2)) -> dict:
    """How many of the top-k directions of SeFa, GANSpace and random move one factor with at least
    70 % exclusivity, and their mean total change, at a step of 2 sigma_w, for several draws of the
    200 codes; and the same for the top direction of the 32x32 layers alone (SeFa chapter)."""
    g, reg = pretrained.load("stylegan-shapes"), pretrained.load("shapes-regressor")
    alpha = 2 * sefa.w_spread(g)
    fine = sefa.layers_by_resolution(g)[g.config.resolution]  # the 32x32 layers: two convolutions, the toRGB
    candidates = {
        "sefa": (sefa.factorize(g.style_weights())[1][:k], None),
        "ganspace": (sefa.pca_directions(g)[1][:k], None),
        "random": (sefa.random_directions(k, g.config.w_dim, seed=0), None),
        "sefa_32px_top1": (sefa.factorize(g.style_weights(fine))[1][:1], fine),
    }
    out: dict = {"alpha": round(alpha, 4)}
    for method, (dirs, layers) in candidates.items():
        counts, totals, factors = [], [], []
        for seed in seeds:
            rows = sefa.describe_directions(g, reg, dirs, alpha=alpha, layers=layers, seed=seed)
            counts.append(sum(r["exclusivity"] >= sefa.EXCLUSIVE for r in rows))
            totals.append(round(sum(r["total change"] for r in rows) / len(rows), 3))
            factors.append([f"{r['moves most']} {r['exclusivity']:.2f}" for r in rows])
        out[method] = {"exclusive_of_k": counts, "mean_total_change": totals, "directions": factors}
    return out
