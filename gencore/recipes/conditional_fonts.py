"""``font-recognizer``, ``cvae-fonts``, ``cgan-fonts``, ``cvae-gan-fonts``: ``book/conditional.ipynb``'s task.

The class is (digit, font) over the eight fonts of :data:`FONTS_USED` of ``printed-fonts``:
80 classes, 100 training images each. ``font-recognizer`` is the judge (trained on
the real training images only, never used to train a generator); the three
generators share one architecture (:class:`~gencore.models.conditional.ConditionalGenerator`)
and differ only in how it is trained. Their step counts are set so that each trains
for about the same CPU time on one thread (:data:`BUDGET_CPU_S`); the manifest
records the CPU seconds each run took.

Each generator is measured on :data:`N_EVAL` images, :data:`N_EVAL` / 80 per class:
the recognizer's top-1 accuracy (does the image show its class?), FID in the
recognizer's features against the 8,000 training images, and IS from its 80-class
probabilities (at most 80).
"""

from __future__ import annotations

import functools
import time

import numpy as np
import torch

import gencore
from gencore import data, metrics, pretrained
from gencore.models.conditional import balanced_labels
from gencore.recipes.base import Recipe, register
from gencore.train import History, classifier_phase, train
from gencore.train.conditional import cgan_phases, cvae_gan_phases, cvae_phase

#: indices into ``gencore.data.printed_digits.FONTS``: DejaVuSans, DejaVuSans-Oblique, DejaVuSerif,
#: DejaVuSerif-Italic, DejaVuSansMono-Bold, STIXGeneral, cmtt10, cmti10
FONTS_USED = (0, 2, 3, 5, 7, 8, 14, 15)
CLASSES = 10 * len(FONTS_USED)
#: generated images per measurement (25 per class)
N_EVAL = 2000
#: the CPU seconds (one thread) each generator's step count was set to reach
BUDGET_CPU_S = 100


@functools.cache
def _task(split: str) -> data.Data:
    return data.load("printed-fonts", split=split, fonts=FONTS_USED)


def task(split: str = "train") -> data.Data:
    """The (digit, font) images of ``split`` (``train``: 8,000; ``heldout``: 2,000), labels in 0..79."""
    d = _task(split)
    return data.Data(d.name, d.split, d.x.clone(), d.y.clone(), dict(d.info))


def train_one_thread(phases, batches, steps: int, progress: bool | None, **train_options) -> History:
    """:func:`gencore.train.train` on one thread; the CPU seconds it took are logged as ``cpu_time_s``.

    The manifest keeps them among the run's curves, so the chapter can show that the three
    generators had the same CPU budget.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    start = time.process_time()
    try:
        history = train(phases, batches, steps, progress=progress, **train_options)
    finally:
        torch.set_num_threads(threads)
    history.evals["cpu_time_s"] = [(history.completed_steps, round(time.process_time() - start, 1))]
    return history


def fit_recognizer(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    model, tr = parts["recognizer"], config["train"]
    batches = task("train").batches(tr["batch_size"], seed=tr["seed"])
    phase = classifier_phase(model, torch.optim.Adam(model.parameters(), lr=config["optim"]["lr"]))
    return train([phase], batches, tr["steps"], progress=progress, **train_options)


def recognizer_accuracy(model) -> dict[str, float]:
    """Top-1 accuracy on the 2,000 held-out real images: the ceiling for generated ones."""
    held = task("heldout")
    return {"heldout_accuracy": metrics.accuracy(metrics.predict(model, held.x), held.y)}


register(
    Recipe(
        name="font-recognizer",
        description="CNN recognizing 80 (digit, font) classes of printed digits, the judge of book/conditional.ipynb",
        config={
            "model": {"classes": CLASSES, "width": 32, "feature_dim": 128, "dropout": 0.3},
            "optim": {"lr": 1e-3},
            "train": {"batch_size": 64, "steps": 2500, "seed": 0},
        },
        parts=lambda c: {"recognizer": ("recognizer", c["model"])},
        main="recognizer",
        fit=fit_recognizer,
        evaluate=lambda parts: recognizer_accuracy(parts["recognizer"]),
    )
)


@functools.cache
def reference_features(sha256: str) -> np.ndarray:
    """The recognizer's features of the 8,000 training images (cached per recognizer version)."""
    return metrics.features(pretrained.cached("font-recognizer"), task("train").x)


def score(images: torch.Tensor, labels: torch.Tensor, recognizer=None) -> dict[str, float]:
    """Top-1 of the recognizer on ``images`` of classes ``labels``, FID (vs the training images) and IS."""
    rec = recognizer if recognizer is not None else pretrained.cached("font-recognizer")
    feats, probs = metrics.classifier_outputs(rec, images)
    ref = reference_features(pretrained.main_sha256("font-recognizer"))
    top1 = float((torch.from_numpy(probs.argmax(1)) == labels.cpu()).float().mean())
    order = np.random.default_rng(0).permutation(len(probs))
    return {
        "top1": top1,
        "fid": metrics.frechet_distance(feats, ref),
        "is": metrics.inception_score(probs[order], splits=10)[0],
    }


def generated(generator, seed: int = 0, n: int = N_EVAL) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images of ``generator`` (n / 80 per class, z from ``seed``) and their classes."""
    labels = balanced_labels(n, CLASSES)
    with gencore.eval_mode(generator):
        return generator.sample(labels, seed=seed).cpu(), labels


def generator_scores(parts: dict) -> dict[str, float]:
    return score(*generated(parts["generator"]))


def _adam(params, opt: dict) -> torch.optim.Adam:
    return torch.optim.Adam(params, lr=opt["lr"], betas=tuple(opt["betas"]))


def fit_cvae(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    enc, gen, tr = parts["encoder"], parts["generator"], config["train"]
    opt = _adam([*enc.parameters(), *gen.parameters()], config["optim"])
    batches = task("train").batches(tr["batch_size"], seed=tr["seed"])
    phases = [cvae_phase(enc, gen, opt, beta=tr["beta"])]
    return train_one_thread(phases, batches, tr["steps"], progress, **train_options)


def fit_cgan(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    gen, disc, tr = parts["generator"], parts["discriminator"], config["train"]
    phases = cgan_phases(gen, disc, _adam(gen.parameters(), config["optim"]), _adam(disc.parameters(), config["optim"]))
    batches = task("train").batches(tr["batch_size"], seed=tr["seed"])
    return train_one_thread(phases, batches, tr["steps"], progress, **train_options)


def fit_cvae_gan(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    enc, gen, disc, clf = (parts[k] for k in ("encoder", "generator", "discriminator", "classifier"))
    tr, opt = config["train"], config["optim"]
    phases = cvae_gan_phases(
        enc,
        gen,
        disc,
        clf,
        _adam([*enc.parameters(), *gen.parameters()], opt),
        _adam(disc.parameters(), opt),
        _adam(clf.parameters(), opt),
        weights=config["weights"],
    )
    batches = task("train").batches(tr["batch_size"], seed=tr["seed"])
    return train_one_thread(phases, batches, tr["steps"], progress, **train_options)


def _generator(c: dict) -> tuple[str, dict]:
    m = c["model"]
    return "conditional-generator", {"classes": CLASSES, "latent_dim": m["latent_dim"], "width": m["width"]}


def _encoder(c: dict) -> tuple[str, dict]:
    m = c["model"]
    return "conditional-encoder", {"classes": CLASSES, "latent_dim": m["latent_dim"], "width": m["width"]}


MODEL = {"latent_dim": 32, "width": 32}
OPTIM = {"lr": 1e-3, "betas": [0.5, 0.999]}

register(
    Recipe(
        name="cvae-fonts",
        description="conditional VAE (Sohn et al., 2015) of 80 (digit, font) classes (book/conditional.ipynb)",
        config={
            "model": dict(MODEL),
            "optim": dict(OPTIM),
            "train": {"batch_size": 64, "steps": 3000, "beta": 1.0, "seed": 0},
        },
        parts=lambda c: {"generator": _generator(c), "encoder": _encoder(c)},
        main="generator",
        fit=fit_cvae,
        evaluate=generator_scores,
        measured_with=("font-recognizer",),
    )
)

register(
    Recipe(
        name="cgan-fonts",
        description="conditional GAN (Mirza & Osindero, 2014) of 80 (digit, font) classes (book/conditional.ipynb)",
        config={
            "model": dict(MODEL),
            "optim": {"lr": 2e-4, "betas": [0.5, 0.999]},
            "train": {"batch_size": 64, "steps": 1500, "seed": 0},
        },
        parts=lambda c: {
            "generator": _generator(c),
            "discriminator": ("feature-discriminator", {"classes": CLASSES, "width": c["model"]["width"]}),
        },
        main="generator",
        fit=fit_cgan,
        evaluate=generator_scores,
        measured_with=("font-recognizer",),
    )
)

register(
    Recipe(
        name="cvae-gan-fonts",
        description="CVAE-GAN (Bao et al., 2017) of 80 (digit, font) classes (book/conditional.ipynb)",
        config={
            "model": {**MODEL, "d_width": 16},
            "optim": {"lr": 1e-3, "betas": [0.5, 0.999]},
            "weights": {"kl": 3.0, "pair": 1.0, "centre_d": 0.01, "centre_c": 0.01},
            "train": {"batch_size": 64, "steps": 570, "seed": 0},
        },
        parts=lambda c: {
            "generator": _generator(c),
            "encoder": _encoder(c),
            "discriminator": ("feature-discriminator", {"classes": 0, "width": c["model"]["d_width"]}),
            "classifier": ("recognizer", {"classes": CLASSES, "width": c["model"]["d_width"]}),
        },
        main="generator",
        fit=fit_cvae_gan,
        evaluate=generator_scores,
        measured_with=("font-recognizer",),
    )
)
