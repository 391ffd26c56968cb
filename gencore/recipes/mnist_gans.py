"""``dcgan-mnist`` and ``wgan-gp-mnist``: image GANs on MNIST-5k (``book/dcgan.ipynb``, ``book/wgan_gp.ipynb``).

Both ship their generator (main part) and the discriminator or critic it was
trained against. Their FID is measured with the shipped ``mnist-classifier``.
"""

from __future__ import annotations

import numpy as np
import torch

import gencore
from gencore import data, metrics, pretrained
from gencore.recipes.base import Recipe, register
from gencore.train import History, ema_copy, gan_phases, train

#: FID compares this many generated images with the 4,000 training images; the
#: floor compares as many held-out real images (1,000) with the same set.
FID_SAMPLES = 1000


def _train_features(classifier) -> np.ndarray:
    return metrics.features(classifier, data.load("mnist5k", split="train").x)


def _reference() -> tuple[torch.nn.Module, np.ndarray]:
    """The shipped classifier and its features of the train split (cached per version of the classifier)."""
    return pretrained.cached("mnist-classifier"), pretrained.cached("mnist-classifier", _train_features)


def generator_fid(generator, n: int = FID_SAMPLES, seed: int = 0) -> float:
    """FID of ``n`` samples (in classifier features) against the MNIST-5k train split."""
    clf, reference = _reference()
    with gencore.eval_mode(generator):
        fake = generator.sample(n, seed=seed).cpu()
    return metrics.fid(fake, reference, clf)


def fid_floor() -> float:
    """FID of the 1,000 held-out real images against the train split: what a perfect generator would get."""
    clf, reference = _reference()
    return metrics.fid(data.load("mnist5k", split="heldout").x, reference, clf)


def _critic_part(config: dict) -> tuple[str, str, dict]:
    """(part name, arch, config) of the network the generator trains against."""
    if config["train"]["loss"] == "wasserstein":
        return "critic", "dcgan-critic", {**config["model"], "norm": config["critic"]["norm"]}
    return "discriminator", "dcgan-discriminator", dict(config["model"])


def gan_parts(config: dict) -> dict[str, tuple[str, dict]]:
    name, arch, cfg = _critic_part(config)
    return {"generator": ("dcgan-generator", dict(config["model"])), name: (arch, cfg)}


def fit(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    """Train the generator against the discriminator/critic (both in ``parts``, in place).

    Every ``eval_every`` steps and at the end (never when 0) the history records the
    critic's gap on 500 held-out digits and FID on 500 samples (of the generator that
    ships). With ``train.ema_decay`` > 0 a copy of the generator trains and
    ``parts["generator"]`` receives the exponential moving average of its weights
    (:class:`gencore.train.EMA`) after every step, also after Ctrl-C; 0 trains and
    ships the generator itself.
    """
    shipped, critic = parts["generator"], parts[_critic_part(config)[0]]
    dev = gencore.module_device(shipped)
    opt, tr = config["optim"], config["train"]
    # `generator` trains; `shipped` holds the average from the first step on, so that snapshots and
    # curves see what ships; batch-norm statistics are averaged with the weights they describe
    generator, ema = ema_copy(shipped, tr.get("ema_decay", 0.0), buffers="average")
    betas = tuple(opt["betas"])
    opt_g = torch.optim.Adam(generator.parameters(), lr=opt["lr"], betas=betas)
    opt_d = torch.optim.Adam(critic.parameters(), lr=opt["lr"], betas=betas)
    held = data.load("mnist5k", split="heldout").x[:500].to(dev)
    phases = gan_phases(
        generator, critic, opt_g, opt_d, loss=tr["loss"], n_critic=tr["n_critic"], gp_weight=tr.get("gp_weight", 0.0)
    )

    def evaluate() -> dict[str, float]:
        # The critic's estimate E_r[D] − E_g[D] on held-out images, and FID on 500 samples.
        with gencore.eval_mode(shipped), torch.no_grad():
            fake = shipped.sample(500, seed=1)
        return {"critic_gap": metrics.critic_gap(critic, held, fake), "fid500": generator_fid(shipped, 500, 1)}

    batches = data.load("mnist5k", split="train").batches(tr["batch_size"], seed=tr["seed"])
    every = tr.get("eval_every", 0)
    return train(
        phases,
        batches,
        tr["steps"],
        hooks=[ema] if ema else (),
        evaluate=evaluate if every else None,
        eval_every=every,
        progress=progress,
        **train_options,
    )


def evaluate(parts: dict) -> dict[str, float]:
    return {"fid": generator_fid(parts["generator"]), "fid_floor": fid_floor()}


def register_gan(name: str, description: str, config: dict) -> Recipe:
    """Register an image GAN on MNIST-5k: generator (main part) and discriminator or critic, FID measured."""
    return register(
        Recipe(
            name=name,
            description=description,
            config=config,
            parts=gan_parts,
            main="generator",
            fit=fit,
            evaluate=evaluate,
            measured_with=("mnist-classifier",),
        )
    )


register_gan(
    "dcgan-mnist",
    "DCGAN (non-saturating loss, batch norm; two extra 3×3 convolutions in D, batches of 32, EMA of G) "
    "on MNIST-5k train (book/dcgan.ipynb)",
    # Tuned per CPU-second (600 CPU-s, one thread, seed 0; gencore/bench/cpu_budget.py): batches of 32
    # instead of DCGAN's 128 took FID from 175 to 134, two extra convolutions at 7×7 in the discriminator
    # (d_blocks) to 77, and the EMA of G's weights (decay 0.995) keeps the digit shares a little more even.
    {
        "model": {"latent_dim": 64, "width": 32, "d_blocks": 2},
        "optim": {"lr": 2e-4, "betas": [0.5, 0.999]},
        "train": {
            "loss": "nonsaturating",
            "n_critic": 1,
            "batch_size": 32,
            "steps": 20000,
            "ema_decay": 0.995,
            "eval_every": 1000,
            "seed": 0,
        },
    },
)

register_gan(
    "wgan-gp-mnist",
    "WGAN-GP (λ = 10, no batch norm in the critic; a critic with 2 extra 3×3 convolutions, n_critic = 2, batches "
    "of 16, Adam 2e-4 with β = (0.5, 0.999), EMA of G; tuned per CPU-second) on MNIST-5k (book/wgan_gp.ipynb)",
    # Gulrajani et al. (2017) use n_critic = 5, batches of 64 and Adam 1e-4 with β = (0, 0.9). At an equal
    # budget of CPU time on one thread (``python -m gencore bench cpu-budget``) more, cheaper steps win, and
    # a deeper critic (d_blocks = 2) more than pays for its cost: see the results in gencore/bench/cpu_budget.py.
    {
        "model": {"latent_dim": 64, "width": 32, "d_blocks": 2},
        "critic": {"norm": "none"},
        "optim": {"lr": 2e-4, "betas": [0.5, 0.999]},
        "train": {
            "loss": "wasserstein",
            "n_critic": 2,
            "gp_weight": 10.0,
            "batch_size": 16,
            "steps": 18000,
            "ema_decay": 0.995,
            "eval_every": 250,
            "seed": 0,
        },
    },
)
