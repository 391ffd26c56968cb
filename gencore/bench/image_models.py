"""Benchmarks of the shipped image models: retraining the VAE, and GAN training throughput."""

from __future__ import annotations

import time

import torch

import gencore
from gencore import data, recipes
from gencore.bench.registry import benchmark
from gencore.train import gan_phases


@benchmark("vae-mnist")
def vae_mnist() -> dict:
    """Retrain the shipped VAE from its recipe: wall time and held-out ELBO (compare with the manifest)."""
    run = recipes.train_recipe("vae-mnist", progress=False)
    metrics = recipes.recipe("vae-mnist").evaluate(run.parts)
    return {
        "steps": run.history.completed_steps,
        "train_wall_time_s": round(run.history.wall_time_s, 1),
        **{k: round(v, 2) for k, v in metrics.items()},
    }


def gan_throughput(recipe_name: str, steps: int, *, bf16: bool = False, channels_last: bool = False) -> float:
    """Real images per second through the GAN steps (n_critic critic steps + one generator step) of a recipe."""
    r = recipes.recipe(recipe_name)
    config = r.config
    dev = gencore.device()
    gencore.seed(0)
    parts = {k: m.to(dev) for k, m in r.build(config).items()}
    g, d = parts["generator"], parts["critic"]
    if channels_last:
        g, d = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
    opt, tr = config["optim"], config["train"]
    phases = gan_phases(
        g,
        d,
        torch.optim.Adam(g.parameters(), opt["lr"], betas=tuple(opt["betas"])),
        torch.optim.Adam(d.parameters(), opt["lr"], betas=tuple(opt["betas"])),
        loss=tr["loss"],
        n_critic=tr["n_critic"],
        gp_weight=tr.get("gp_weight", 0.0),
    )
    batches = data.load("mnist5k", split="train").batches(tr["batch_size"])
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16)

    def step():
        with autocast:
            for phase in phases:
                for _ in range(phase.repeat):
                    phase.update(next(batches) if phase.takes_batch else None)

    step()  # warm-up
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return tr["batch_size"] * tr["n_critic"] * steps / (time.perf_counter() - t0)


@benchmark("image-gan-throughput")
def image_gan_throughput() -> dict:
    """Training throughput of DCGAN and WGAN-GP (real images per second, G + D steps)."""
    out: dict = {"device": str(gencore.device()), "threads": torch.get_num_threads()}
    variants = [("fp32", False, False)]
    if gencore.device().type == "cuda":
        variants += [("bf16", True, False), ("bf16+channels_last", True, True)]
    for name, steps in (("dcgan-mnist", 30), ("wgan-gp-mnist", 10)):
        for label, bf16, cl in variants:
            out[f"{name} {label} images/s"] = round(gan_throughput(name, steps, bf16=bf16, channels_last=cl), 1)
    return out
