"""``vae-mnist``: a VAE with a 2-D latent and a Bernoulli decoder on binarized MNIST-5k (``book/vae.ipynb``)."""

from __future__ import annotations

import torch

import gencore
from gencore import data
from gencore.losses import elbo
from gencore.recipes.base import Recipe, register
from gencore.train import History, train, vae_phase


def fit(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    """Adam on the negative β-ELBO; the held-out ELBO every ``eval_every`` steps and at the end (0: never)."""
    vae, opt, tr = parts["vae"], config["optim"], config["train"]
    optimizer = torch.optim.Adam(vae.parameters(), lr=opt["lr"])
    batches = data.load("mnist5k-binary", split="train").batches(tr["batch_size"], seed=tr["seed"])
    evaluate = (lambda: heldout_elbo(vae)) if tr["eval_every"] else None
    return train(
        [vae_phase(vae, optimizer, beta=tr["beta"])],
        batches,
        tr["steps"],
        evaluate=evaluate,
        eval_every=tr["eval_every"],
        progress=progress,
        **train_options,
    )


@torch.no_grad()
def heldout_elbo(model, n_samples: int = 10, seed: int = 0) -> dict[str, float]:
    """Mean ELBO, E_q[log p(x|z)] and KL in nats per image on the binarized held-out split."""
    x = data.load("mnist5k-binary", split="heldout").x.to(gencore.module_device(model))
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        with gencore.eval_mode(model):
            t = elbo(model, x, n_samples=n_samples)
    finally:
        torch.random.set_rng_state(state)
    return {
        "heldout_elbo": t["elbo"].mean().item(),
        "heldout_recon": t["recon"].mean().item(),
        "heldout_kl": t["kl"].mean().item(),
    }


register(
    Recipe(
        name="vae-mnist",
        description="VAE with a 2-D latent, Bernoulli decoder, binarized MNIST-5k (book/vae.ipynb)",
        config={
            "model": {"latent_dim": 2, "hidden": [512, 256], "image_shape": [1, 28, 28], "decoder": "bernoulli"},
            "optim": {"lr": 1e-3},
            "train": {"batch_size": 128, "steps": 6000, "beta": 1.0, "eval_every": 0, "seed": 0},
        },
        parts=lambda c: {"vae": ("vae", c["model"])},
        main="vae",
        fit=fit,
        evaluate=lambda parts: heldout_elbo(parts["vae"]),
    )
)
