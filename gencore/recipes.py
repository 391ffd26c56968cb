"""How each shipped model is built, trained and measured.

A :class:`Recipe` is the single source of truth for a shipped model: the
manifest records which recipe and config produced a weights file, and
``python -m gencore train NAME`` reruns it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

import gencore
from gencore import data
from gencore.losses import elbo
from gencore.models import VAE
from gencore.models.vae import VAEConfig
from gencore.train import History, train, vae_phase


@dataclass
class Recipe:
    name: str
    description: str
    config: dict
    build: Callable[[dict], torch.nn.Module]
    fit: Callable[[torch.nn.Module, dict, bool | None], History]
    evaluate: Callable[[torch.nn.Module], dict[str, float]]


_RECIPES: dict[str, Recipe] = {}


def register(r: Recipe) -> Recipe:
    _RECIPES[r.name] = r
    return r


def recipe(name: str) -> Recipe:
    if name not in _RECIPES:
        raise KeyError(f"no recipe named {name!r}; recipes: {', '.join(sorted(_RECIPES))}")
    return _RECIPES[name]


def names() -> list[str]:
    return sorted(_RECIPES)


# --- vae-mnist -------------------------------------------------------------

def binarize(x: torch.Tensor) -> torch.Tensor:
    """Threshold [-1, 1] images at intensity 0.5, giving values in {-1, 1}.

    On binary pixels the Bernoulli decoder is a true likelihood, so the ELBO is
    a bound on log p(x) in nats.
    """
    return torch.where(x > 0, 1.0, -1.0)


def mnist_binary(split: str) -> data.Data:
    d = data.load("mnist5k", split=split)
    return data.Data("mnist5k-binary", split, binarize(d.x), d.y)


def _vae_build(config: dict) -> VAE:
    keys = VAEConfig.__dataclass_fields__
    return VAE(VAEConfig(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in config.items() if k in keys}))


def _vae_fit(model: VAE, config: dict, progress: bool | None = None) -> History:
    dev = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
    batches = mnist_binary("train").batches(config["batch_size"], seed=config["seed"])
    return train([vae_phase(model, opt, beta=config.get("beta", 1.0))], batches, config["steps"], progress=progress)


@torch.no_grad()
def vae_heldout_elbo(model: VAE, n_samples: int = 10, seed: int = 0) -> dict[str, float]:
    """Mean ELBO, E_q[log p(x|z)] and KL in nats per image on the binarized held-out split."""
    x = mnist_binary("heldout").x.to(next(model.parameters()).device)
    was_training = model.training
    model.eval()
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        t = elbo(model, x, n_samples=n_samples)
    finally:
        torch.random.set_rng_state(state)
        model.train(was_training)
    return {"heldout_elbo": t["elbo"].mean().item(), "heldout_recon": t["recon"].mean().item(),
            "heldout_kl": t["kl"].mean().item()}


register(
    Recipe(
        name="vae-mnist",
        description="VAE with a 2-D latent, Bernoulli decoder, binarized MNIST-5k (book/vae.ipynb)",
        config={"latent_dim": 2, "hidden": [512, 256], "image_shape": [1, 28, 28], "decoder": "bernoulli",
                "lr": 1e-3, "batch_size": 128, "steps": 6000, "beta": 1.0, "seed": 0},
        build=_vae_build,
        fit=_vae_fit,
        evaluate=vae_heldout_elbo,
    )
)


def train_recipe(name: str, *, steps: int | None = None, seed: int | None = None, progress: bool | None = None):
    """Train recipe ``name`` from scratch; returns (model, history, config)."""
    r = recipe(name)
    config = dict(r.config)
    if steps is not None:
        config["steps"] = steps
    if seed is not None:
        config["seed"] = seed
    gencore.seed(config["seed"])
    model = r.build(config).to(gencore.device())
    history = r.fit(model, config, progress)
    return model.eval(), history, config
