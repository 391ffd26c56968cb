"""Benchmarks that ``make bench`` runs (registered with :func:`gencore.bench.benchmark`)."""

from __future__ import annotations

import os

from gencore.bench import benchmark


@benchmark("vae-mnist")
def vae_mnist() -> dict:
    """Retrain the shipped VAE from its recipe: wall time and held-out ELBO."""
    from gencore import recipes

    model, history, config = recipes.train_recipe("vae-mnist", progress=False)
    metrics = recipes.recipe("vae-mnist").evaluate(model)
    return {
        "steps": history.completed_steps,
        "train_wall_time_s": round(history.wall_time_s, 1),
        **{k: round(v, 2) for k, v in metrics.items()},
    }


def _gan_throughput(recipe_name: str, steps: int, *, bf16: bool = False, channels_last: bool = False) -> float:
    """Images per second through one generator + discriminator step (n_critic critic steps) of a recipe."""
    import time

    import torch

    import gencore
    from gencore import data, recipes
    from gencore.train import gan_phases

    config = recipes.recipe(recipe_name).config
    dev = gencore.device()
    gencore.seed(0)
    g = recipes.recipe(recipe_name).build(config).to(dev)
    d = recipes.recipe(recipe_name).build_critic(config).to(dev)
    if channels_last:
        g, d = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
    betas = tuple(config["betas"])
    phases = gan_phases(
        g,
        d,
        torch.optim.Adam(g.parameters(), config["lr"], betas=betas),
        torch.optim.Adam(d.parameters(), config["lr"], betas=betas),
        loss=config["loss"],
        n_critic=config["n_critic"],
        gp_weight=config.get("gp_weight", 0.0),
    )
    batches = data.load("mnist5k", split="train").batches(config["batch_size"])
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16)

    def step():
        with autocast:
            for phase in phases:
                for _ in range(phase.repeat):
                    phase.update(next(batches))

    step()  # warm-up
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    # Real images seen per second: n_critic batches per generator step.
    return config["batch_size"] * config["n_critic"] * steps / seconds


@benchmark("image-gan-throughput")
def image_gan_throughput() -> dict:
    """Training throughput of DCGAN and WGAN-GP (real images per second, G + D steps)."""
    import torch

    import gencore

    out: dict = {"device": str(gencore.device()), "threads": torch.get_num_threads()}
    variants = [("fp32", False, False)]
    if gencore.device().type == "cuda":
        variants += [("bf16", True, False), ("bf16+channels_last", True, True)]
    for name, steps in (("dcgan-mnist", 30), ("wgan-gp-mnist", 10)):
        for label, bf16, cl in variants:
            out[f"{name} {label} images/s"] = round(_gan_throughput(name, steps, bf16=bf16, channels_last=cl), 1)
    return out


@benchmark("mode-collapse")
def mode_collapse() -> dict:
    """Mode coverage of the toy GANs (book/mode_collapse.ipynb): each method x {ring8, grid25} x seeds 0-4.

    One run per core at a time, each on one thread; mean and std over seeds of modes, hq,
    reverse KL, and wall and CPU time per run. ``python -m gencore.toygan --out FILE`` runs the same code and
    writes the full record; the chapter reads ``gencore/weights/mode_collapse_results.json``.
    """
    from gencore import toygan

    record = toygan.benchmark(jobs=os.cpu_count() or 1, log=lambda line: print(line, flush=True))
    return {"machine": record["machine"], "summary": record["summary"]}
