"""Benchmarks that ``make bench`` runs (registered with :func:`gencore.bench.benchmark`)."""

from __future__ import annotations

from gencore.bench import benchmark


@benchmark("vae-mnist")
def vae_mnist() -> dict:
    """Retrain the shipped VAE from its recipe: wall time and held-out ELBO."""
    from gencore import recipes

    model, history, config = recipes.train_recipe("vae-mnist", progress=False)
    metrics = recipes.recipe("vae-mnist").evaluate(model)
    return {"steps": history.completed_steps, "train_wall_time_s": round(history.wall_time_s, 1),
            **{k: round(v, 2) for k, v in metrics.items()}}
