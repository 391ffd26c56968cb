"""How each shipped model is built, trained and measured.

A :class:`Recipe` is the single source of truth for a shipped model: the
manifest records which recipe and config produced a weights file, and
``python -m gencore train NAME`` reruns it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

import gencore
from gencore import data, metrics
from gencore.losses import elbo
from gencore.models import VAE
from gencore.models.classifier import MNISTClassifier
from gencore.models.dcgan import Critic, DCGANConfig, Discriminator, Generator
from gencore.models.vae import VAEConfig
from gencore.train import History, Phase, gan_phases, train, vae_phase


@dataclass
class Recipe:
    name: str
    description: str
    config: dict
    build: Callable[[dict], torch.nn.Module]
    fit: Callable[[torch.nn.Module, dict, bool | None], History]
    evaluate: Callable[[torch.nn.Module], dict[str, float]]
    build_critic: Callable[[dict], torch.nn.Module] | None = None


_RECIPES: dict[str, Recipe] = {}


def register(r: Recipe) -> Recipe:
    _RECIPES[r.name] = r
    return r


def recipe(name: str) -> Recipe:
    if name not in _RECIPES:
        raise KeyError(f"no recipe named {name!r}; recipes: {', '.join(sorted(_RECIPES))}")
    return _RECIPES[name]


def names() -> list[str]:
    """Recipe names in registration order (models that others depend on come first)."""
    return list(_RECIPES)


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


# --- mnist-classifier --------------------------------------------------------


def _random_shift(x: torch.Tensor, pixels: int = 2) -> torch.Tensor:
    """Augmentation: translate each image by up to ``pixels`` in x and y (padding with -1)."""
    n = x.shape[0]
    padded = torch.nn.functional.pad(x, (pixels,) * 4, value=-1.0)
    dx, dy = torch.randint(0, 2 * pixels + 1, (2, n))
    return torch.stack([padded[i, :, dy[i] : dy[i] + 28, dx[i] : dx[i] + 28] for i in range(n)])


def classifier_phase(model: MNISTClassifier, optimizer: torch.optim.Optimizer) -> Phase:
    """One cross-entropy step on a shifted batch of labelled digits."""
    dev = next(model.parameters()).device

    def update(batch) -> dict[str, float]:
        x, y = batch
        logits = model(_random_shift(x).to(dev))
        loss = torch.nn.functional.cross_entropy(logits, y.to(dev))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "acc": (logits.argmax(1).cpu() == y).float().mean().item()}

    return Phase("classifier", update)


def _classifier_fit(model: MNISTClassifier, config: dict, progress: bool | None = None) -> History:
    opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
    batches = data.load("mnist5k", split="train").batches(config["batch_size"], seed=config["seed"])
    return train([classifier_phase(model, opt)], batches, config["steps"], progress=progress)


@torch.no_grad()
def classifier_accuracy(model: MNISTClassifier) -> dict[str, float]:
    held = data.load("mnist5k", split="heldout")
    model.eval()
    pred = model(held.x.to(next(model.parameters()).device)).argmax(1).cpu()
    return {"heldout_accuracy": (pred == held.y).float().mean().item()}


register(
    Recipe(
        name="mnist-classifier",
        description="CNN on MNIST-5k train: features for FID/PPL, probabilities for IS (book/evaluation.ipynb)",
        config={"width": 32, "dropout": 0.3, "lr": 1e-3, "batch_size": 128, "steps": 1500, "seed": 0},
        build=lambda c: MNISTClassifier(width=c["width"], dropout=c["dropout"]),
        fit=_classifier_fit,
        evaluate=classifier_accuracy,
    )
)


# --- dcgan-mnist and wgan-gp-mnist -------------------------------------------

#: FID compares this many generated images with the 4,000 training images; the
#: floor compares as many held-out real images (1,000) with the same set.
FID_SAMPLES = 1000


@functools.cache
def _train_features() -> np.ndarray:
    from gencore import pretrained

    clf = pretrained.load("mnist-classifier", device="cpu")
    return metrics.classifier_outputs(clf, data.load("mnist5k", split="train").x)[0]


def generator_fid(generator, n: int = FID_SAMPLES, seed: int = 0) -> float:
    """FID (Eq. fd, classifier features) of ``n`` samples against the MNIST-5k train split."""
    from gencore import pretrained

    clf = pretrained.load("mnist-classifier", device="cpu")
    was_training = generator.training
    generator.eval()
    fake = generator.sample(n, seed=seed).cpu()
    generator.train(was_training)
    return metrics.frechet_distance(metrics.classifier_outputs(clf, fake)[0], _train_features())


def fid_floor() -> float:
    """FID of the 1,000 held-out real images against the train split: what a perfect generator would get."""
    from gencore import pretrained

    clf = pretrained.load("mnist-classifier", device="cpu")
    held = metrics.classifier_outputs(clf, data.load("mnist5k", split="heldout").x)[0]
    return metrics.frechet_distance(held, _train_features())


def _gan_build(config: dict) -> Generator:
    return Generator(DCGANConfig(latent_dim=config["latent_dim"], width=config["width"]))


def _critic_build(config: dict) -> torch.nn.Module:
    c = DCGANConfig(latent_dim=config["latent_dim"], width=config["width"])
    if config["loss"] == "wasserstein":
        return Critic(c, norm=config.get("critic_norm", "none"))
    return Discriminator(c)


def _gan_fit(generator: Generator, config: dict, progress: bool | None = None) -> History:
    """Train ``generator`` against a fresh discriminator/critic built from ``config``."""
    dev = next(generator.parameters()).device
    critic = _critic_build(config).to(dev)
    betas = tuple(config["betas"])
    opt_g = torch.optim.Adam(generator.parameters(), lr=config["lr"], betas=betas)
    opt_d = torch.optim.Adam(critic.parameters(), lr=config["lr"], betas=betas)
    train_split = data.load("mnist5k", split="train")
    held = data.load("mnist5k", split="heldout").x[:500].to(dev)
    phases = gan_phases(generator, critic, opt_g, opt_d, loss=config["loss"], n_critic=config["n_critic"],
                        gp_weight=config.get("gp_weight", 0.0))

    def evaluate() -> dict[str, float]:
        # The critic's estimate E_r[D] − E_g[D] on held-out images, and FID on 500 samples.
        with torch.no_grad():
            critic.eval()
            fake = generator.eval().sample(500, seed=1)
            gap = (critic(held).mean() - critic(fake).mean()).item()
            critic.train(), generator.train()
        return {"critic_gap": gap, "fid500": generator_fid(generator, n=500, seed=1)}

    history = train(phases, train_split.batches(config["batch_size"], seed=config["seed"]), config["steps"],
                    evaluate=evaluate, eval_every=config.get("eval_every", 0), progress=progress)
    history.critic = critic  # kept for chapters that inspect it; not saved
    return history


def generator_metrics(generator) -> dict[str, float]:
    return {"fid": generator_fid(generator), "fid_floor": fid_floor()}


register(
    Recipe(
        name="dcgan-mnist",
        description="DCGAN (non-saturating loss, batch norm) on MNIST-5k train (book/dcgan.ipynb)",
        config={"latent_dim": 64, "width": 32, "loss": "nonsaturating", "n_critic": 1, "lr": 2e-4,
                "betas": [0.5, 0.999], "batch_size": 128, "steps": 4000, "eval_every": 250, "seed": 0},
        build=_gan_build,
        fit=_gan_fit,
        evaluate=generator_metrics,
        build_critic=_critic_build,
    )
)

register(
    Recipe(
        name="wgan-gp-mnist",
        description="WGAN-GP (λ = 10, n_critic = 5, no batch norm in the critic) on MNIST-5k (book/wgan_gp.ipynb)",
        config={"latent_dim": 64, "width": 32, "loss": "wasserstein", "n_critic": 5, "gp_weight": 10.0,
                "critic_norm": "none", "lr": 1e-4, "betas": [0.0, 0.9], "batch_size": 64, "steps": 6000,
                "eval_every": 250, "seed": 0},
        build=_gan_build,
        fit=_gan_fit,
        evaluate=generator_metrics,
        build_critic=_critic_build,
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
