"""``blur-mnist``: the six models of ``book/vae_blur.ipynb`` on MNIST-5k, one recipe with nine parts.

- ``ae``: a plain autoencoder, E c(X, Dec(Enc(X))) only, no constraint on the codes;
- ``vae``: a VAE with a Gaussian decoder (σ = ``obs_std`` on [0, 1] intensities, i.e. MSE / 2σ²) and
  the KL term at β = ``beta``; ``vae_weak``: the same at β = ``weak_beta`` < 1;
- ``wae``: WAE-MMD, the autoencoder plus ``mmd_weight`` · MMD²(Q_Z, P_Z) (Tolstikhin et al., 2018);
- ``wae_gan``, ``d_z``: WAE-GAN, the autoencoder plus ``gan_weight`` · the non-saturating loss of a latent
  discriminator D_Z that tells prior draws from codes (their Algorithm 1), trained last;
- ``g1``, ``d1``, ``d2``: AEGAN on the trained ``ae`` (kept fixed): G₁ maps noise to codes, D₁ judges
  codes, D₂ judges the images Dec(G₁(z)) and guides G₁ too.

Every autoencoder uses the same MLP sizes and latent dimension and trains ``steps`` Adam steps on
batches of ``batch_size``; AEGAN adds ``gan_steps`` steps of its GAN on top of the AE's training. The
CPU seconds of each stage are kept in the history (``cpu_s/<model>``), and so in the manifest's curves.
:func:`stages` and :func:`fit_stage` train one model at a time (the ``blur-ordering`` benchmark uses them).
Samples: ``sample(parts, model, n, seed)``; the AE samples from a Gaussian fitted to its training codes
(mean and covariance), the baseline sampler that AEGAN's G₁ replaces.
"""

from __future__ import annotations

import time

import numpy as np
import torch

import gencore
from gencore import data, metrics, models, pretrained
from gencore.recipes.base import Recipe, register
from gencore.train import History, train, vae_phase
from gencore.train.autoencoder import aegan_phases, autoencoder_phase, reconstruction_cost, wae_gan_phase

#: the models of the chapter, in its order; ``aegan`` is ``ae``'s decoder fed by ``g1``
MODELS = ("ae", "vae", "vae_weak", "wae", "wae_gan", "aegan")
#: the order in which :func:`fit` trains them (WAE-GAN, added last, after AEGAN's GAN)
STAGES = ("ae", "vae", "vae_weak", "wae", "aegan", "wae_gan")
#: the parts of the first five models, built first (see :func:`align_rng`)
_FIRST_PARTS = ("ae", "vae", "vae_weak", "wae", "g1", "d1", "d2")
#: FID and sharpness use this many samples (and the 1,000 held-out digits for reconstructions)
N_EVAL = 1000


def blur_parts(config: dict) -> dict[str, tuple[str, dict]]:
    m = config["model"]
    net = {"latent_dim": m["latent_dim"], "hidden": list(m["hidden"]), "image_shape": list(m["image_shape"])}
    vae = {**net, "decoder": "gaussian", "obs_std": m["obs_std"]}
    k, w = m["latent_dim"], m["gan_hidden"]
    pixels = int(np.prod(m["image_shape"]))
    return {
        "ae": ("autoencoder", net),
        "vae": ("vae", vae),
        "vae_weak": ("vae", vae),
        "wae": ("autoencoder", net),
        "g1": ("mlp-generator", {"latent_dim": k, "hidden": w, "depth": 2, "out_dim": k}),
        "d1": ("mlp-discriminator", {"in_dim": k, "hidden": w, "depth": 2}),
        "d2": ("mlp-discriminator", {"in_dim": pixels, "hidden": w, "depth": 2}),
        "wae_gan": ("autoencoder", net),
        "d_z": ("mlp-discriminator", {"in_dim": k, "hidden": w, "depth": 2}),
    }


def _merge(total: History, stage: str, h: History, cpu_s: float) -> None:
    """Add a stage's history to the recipe's, its keys prefixed by the stage (``vae/loss``)."""
    offset = total.completed_steps
    total.steps += [offset + s for s in h.steps]
    for k, v in h.losses.items():
        total.losses.setdefault(f"{stage}/{k}", []).extend(v)
    for k, v in h.evals.items():
        total.evals.setdefault(f"{stage}/{k}", []).extend((offset + s, x) for s, x in v)
    total.evals[f"cpu_s/{stage}"] = [(h.completed_steps, round(cpu_s, 1))]
    total.completed_steps += h.completed_steps
    total.wall_time_s += h.wall_time_s
    total.cpu_time_s += h.cpu_time_s
    total.interrupted |= h.interrupted


def stages(parts: dict, config: dict) -> dict[str, tuple]:
    """``{model: (phases factory, steps)}`` in training order; each factory builds fresh optimizers."""
    opt, tr = config["optim"], config["train"]
    adam = lambda m: torch.optim.Adam(m.parameters(), lr=opt["lr"])  # noqa: E731
    return {
        "ae": (lambda: [autoencoder_phase(parts["ae"], adam(parts["ae"]))], tr["steps"]),
        "vae": (lambda: [vae_phase(parts["vae"], adam(parts["vae"]), beta=tr["beta"])], tr["steps"]),
        "vae_weak": (
            lambda: [vae_phase(parts["vae_weak"], adam(parts["vae_weak"]), beta=tr["weak_beta"])],
            tr["steps"],
        ),
        "wae": (
            lambda: [autoencoder_phase(parts["wae"], adam(parts["wae"]), mmd_weight=tr["mmd_weight"])],
            tr["steps"],
        ),
        "aegan": (lambda: _aegan(parts, config), tr["gan_steps"]),
        "wae_gan": (lambda: [_wae_gan(parts, config)], tr["steps"]),
    }


def stage_batches(config: dict, model: str):
    """The endless batches of ``model``'s stage: seed ``100 · seed + its index`` in :data:`STAGES`."""
    tr = config["train"]
    return data.load("mnist5k", split="train").batches(tr["batch_size"], seed=tr["seed"] * 100 + STAGES.index(model))


def fit_stage(parts: dict, config: dict, model: str, progress: bool | None = None, **train_options) -> tuple:
    """Train one model's stage (its recipe steps unless ``steps=`` is given); returns (history, CPU seconds)."""
    _check_model(model)
    phases, steps = stages(parts, config)[model]
    steps = train_options.pop("steps", steps)
    cpu0 = time.process_time()
    h = train(phases(), stage_batches(config, model), steps, progress=progress, desc=model, **train_options)
    return h, time.process_time() - cpu0


def align_rng(config: dict) -> None:
    """Put torch's generator where it stood when the recipe had five models.

    :func:`gencore.recipes.train_recipe` seeds, then builds every part; WAE-GAN's parts, added to the
    recipe later, are built after the others and draw their initial weights from the same generator.
    Re-seeding and building the first five models' parts again (and throwing them away) gives the
    generator the state it had before, so the first five models train exactly as they did.
    """
    gencore.seed(config["train"]["seed"])
    specs = blur_parts(config)
    for p in _FIRST_PARTS:
        models.build(*specs[p])


def fit(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    """Train ``ae``, ``vae``, ``vae_weak``, ``wae`` (``steps`` each), AEGAN's G₁, D₁, D₂ (``gan_steps``), then
    WAE-GAN (``steps``)."""
    total = History()
    align_rng(config)
    for model in STAGES:
        h, cpu_s = fit_stage(parts, config, model, progress=progress, **train_options)
        _merge(total, model, h, cpu_s)
        if h.interrupted:
            break
    return total


def _wae_gan(parts: dict, config: dict):
    # WAE-GAN, added to the recipe last, draws its prior samples from its own seed, so that its stage
    # can be trained (and reproduced) without the draws of the stages before it
    torch.manual_seed(config["train"]["seed"] * 100 + STAGES.index("wae_gan"))
    opt = config["optim"]
    opt_ae = torch.optim.Adam(parts["wae_gan"].parameters(), lr=opt["lr"])
    opt_d = torch.optim.Adam(parts["d_z"].parameters(), lr=opt["latent_d_lr"], betas=tuple(opt["gan_betas"]))
    return wae_gan_phase(parts["wae_gan"], parts["d_z"], opt_ae, opt_d, gan_weight=config["train"]["gan_weight"])


def _aegan(parts: dict, config: dict) -> list:
    betas = tuple(config["optim"]["gan_betas"])
    lr = config["optim"]["gan_lr"]
    opt_g = torch.optim.Adam(parts["g1"].parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam([*parts["d1"].parameters(), *parts["d2"].parameters()], lr=lr, betas=betas)
    parts["ae"].eval()
    return aegan_phases(
        parts["ae"], parts["g1"], parts["d1"], parts["d2"], opt_g, opt_d, image_weight=config["train"]["image_weight"]
    )


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; the chapter's models: {', '.join(MODELS)}")


@torch.no_grad()
def encode(parts: dict, model: str, x: torch.Tensor) -> torch.Tensor:
    """The code of images ``x``: Enc(x) for the autoencoders, the posterior mean μ(x) for the VAEs."""
    _check_model(model)
    net = parts["ae" if model == "aegan" else model]
    with gencore.eval_mode(net):
        return net.encode(x).mean if model.startswith("vae") else net.encode(x)


@torch.no_grad()
def decode(parts: dict, model: str, h: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] from codes: Dec(h), or the VAE decoder's mean."""
    _check_model(model)
    net = parts["ae" if model == "aegan" else model]
    with gencore.eval_mode(net):
        return net.decode_mean(h) if model.startswith("vae") else net.decode(h)


def reconstruct(parts: dict, model: str, x: torch.Tensor) -> torch.Tensor:
    """Dec(Enc(x)) (for a VAE, the decoder's mean at z = μ(x)); AEGAN reconstructs with its AE."""
    return decode(parts, model, encode(parts, model, x))


def fitted_gaussian(parts: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (k,) and Cholesky factor (k, k) of a Gaussian fitted to the AE's codes of the train split."""
    h = encode(parts, "ae", data.load("mnist5k", split="train").x).double()
    mean = h.mean(0)
    cov = torch.cov(h.T) + 1e-6 * torch.eye(h.shape[1], dtype=h.dtype)
    return mean.float(), torch.linalg.cholesky(cov).float()


@torch.no_grad()
def sample_codes(parts: dict, model: str, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` codes the model's sampler draws (seeded): N(0, I) (VAE, WAE), the AE's fitted Gaussian, G₁(z)."""
    _check_model(model)
    k = parts["ae"].latent_dim
    eps = torch.randn(n, k, generator=torch.Generator().manual_seed(seed))
    if model == "ae":
        mean, chol = fitted_gaussian(parts)
        return mean + eps @ chol.T
    if model == "aegan":
        with gencore.eval_mode(parts["g1"]):
            return parts["g1"](eps)
    return eps


def sample(parts: dict, model: str, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` images ``(n, 1, 28, 28)`` in [-1, 1] from ``model``'s sampler (``seed``)."""
    return decode(parts, model, sample_codes(parts, model, n, seed))


def _train_features(classifier) -> np.ndarray:
    return metrics.features(classifier, data.load("mnist5k", split="train").x)


def fid_to_train(images: torch.Tensor) -> float:
    """FID of ``images`` in the shipped classifier's features against the 4,000 training digits."""
    clf = pretrained.cached("mnist-classifier")
    return metrics.fid(images, pretrained.cached("mnist-classifier", _train_features), clf)


def measure(parts: dict, model: str, seed: int = 0) -> dict[str, float]:
    """FID and high-frequency share (Eq. (blur-hf)) of ``N_EVAL`` samples (``seed``) and of the
    reconstructions of the held-out digits, and their reconstruction cost c (per image)."""
    x = data.load("mnist5k", split="heldout").x[:N_EVAL]
    fake, rec = sample(parts, model, N_EVAL, seed), reconstruct(parts, model, x)
    return {
        "fid": fid_to_train(fake),
        "hf": metrics.high_frequency_share(fake).mean().item(),
        "recon_fid": fid_to_train(rec),
        "recon_hf": metrics.high_frequency_share(rec).mean().item(),
        "recon_cost": reconstruction_cost(x, rec).mean().item(),
    }


def evaluate(parts: dict) -> dict[str, float]:
    held = data.load("mnist5k", split="heldout").x[:N_EVAL]
    out = {"data_hf": metrics.high_frequency_share(held).mean().item(), "fid_floor": fid_to_train(held)}
    for model in MODELS:
        out.update({f"{model}_{k}": v for k, v in measure(parts, model).items()})
    return out


register(
    Recipe(
        name="blur-mnist",
        description="AE, VAE (β = 1 and weak β), WAE-MMD, WAE-GAN and AEGAN with 8-D codes and MLPs on MNIST-5k "
        "(book/vae_blur.ipynb)",
        config={
            "model": {
                "latent_dim": 8,
                "hidden": [512, 256],
                "image_shape": [1, 28, 28],
                "obs_std": 0.3,
                "gan_hidden": 256,
            },
            "optim": {"lr": 1e-3, "gan_lr": 2e-4, "gan_betas": [0.5, 0.999], "latent_d_lr": 5e-4},
            "train": {
                "batch_size": 64,
                "steps": 6000,
                "gan_steps": 6000,
                "beta": 1.0,
                "weak_beta": 0.1,
                "mmd_weight": 10.0,
                "gan_weight": 1.0,
                "image_weight": 1.0,
                "seed": 0,
            },
        },
        parts=blur_parts,
        main="ae",
        fit=fit,
        evaluate=evaluate,
        measured_with=("mnist-classifier",),
    )
)
