"""``font-factor-judge`` and ``ipgan-fonts``: IP-GAN's open-set experiment in ``book/conditional.ipynb``.

The identity is the font, among the eight of :data:`~gencore.recipes.conditional_fonts.FONTS_USED`;
two of them (:data:`HELD_OUT`) are never shown to IP-GAN. Its identity network I is a font
classifier of the six others, trained with softmax first and then frozen; the attribute
encoder A, the generator G and the discriminator D are then trained on pairs of training
images (x^a, x^s) (:func:`pair_batches`), half of them of one font.

A mixed image G(f_I(x^s), z_a(x^a)) is judged by two shipped networks that IP-GAN never
trains with: ``font-recognizer`` reads its font (the font marginal of its 80 classes; it
knows all eight fonts), ``font-factor-judge`` reads the digit, the stroke weight, the
height, the rotation and the shift (:class:`~gencore.models.conditional.PrintedFactorJudge`).
"""

from __future__ import annotations

import functools
import time

import numpy as np
import torch
import torch.nn.functional as F

import gencore
from gencore import pretrained
from gencore.models.conditional import POSE, POSE_CENTRE, POSE_SPREAD, pose_targets
from gencore.recipes.base import Recipe, register
from gencore.recipes.conditional_fonts import FONTS_USED, task
from gencore.train import History, Phase, classifier_phase, train
from gencore.train.conditional import ipgan_phases

#: positions in FONTS_USED of the fonts IP-GAN never sees: DejaVuSerif-Italic and cmtt10
HELD_OUT = (3, 6)
#: positions of the six training identities; identity k of IP-GAN is font TRAIN_FONTS[k]
TRAIN_FONTS = tuple(j for j in range(len(FONTS_USED)) if j not in HELD_OUT)
#: mixed pairs per measurement
N_PAIRS = 500


def font_position(d) -> torch.Tensor:
    """Each image's font as a position in FONTS_USED (0..7)."""
    return d.y % len(FONTS_USED)


def identity_task(split: str = "train"):
    """The images of the six training fonts of ``split`` and their identities 0..5 (index into TRAIN_FONTS)."""
    d = task(split)
    pos = font_position(d)
    keep = torch.isin(pos, torch.tensor(TRAIN_FONTS))
    ident = torch.searchsorted(torch.tensor(TRAIN_FONTS), pos[keep])
    return d.x[keep], ident


def pair_batches(x: torch.Tensor, ident: torch.Tensor, batch_size: int, seed: int, p_same: float = 0.5):
    """Endless batches ``(x^a, c^a, x^s, c^s)``: x^a in shuffled order; x^s another image of the same
    identity with probability ``p_same``, else any training image."""
    if not 0 <= p_same <= 1:
        raise ValueError(f"p_same must be a probability in [0, 1], got {p_same!r}")
    gen = gencore.rng(seed)
    members = [torch.nonzero(ident == k).squeeze(1) for k in range(int(ident.max()) + 1)]
    while True:
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x) - batch_size + 1, batch_size):
            a = order[i : i + batch_size]
            s = torch.randint(len(x), (batch_size,), generator=gen)
            same = torch.rand(batch_size, generator=gen) < p_same
            for j in torch.nonzero(same).squeeze(1).tolist():
                pool = members[int(ident[a[j]])]
                s[j] = pool[torch.randint(len(pool), (1,), generator=gen)]
            yield x[a], ident[a], x[s], ident[s]


# --- the attribute judge ----------------------------------------------------------------------------


def fit_judge(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    judge, tr = parts["judge"], config["train"]
    d = task("train")
    opt = torch.optim.Adam(judge.parameters(), lr=config["optim"]["lr"])
    weight, pose = d.info["weight"], pose_targets(d.info)
    gen = gencore.rng(tr["seed"])

    def batches():
        while True:
            order = torch.randperm(len(d), generator=gen)
            for i in range(0, len(d) - tr["batch_size"] + 1, tr["batch_size"]):
                k = order[i : i + tr["batch_size"]]
                yield d.x[k], d.info["digit"][k], weight[k], pose[k]

    def update(batch) -> dict[str, float]:
        x, digit, w, p = batch
        out_d, out_w, out_p = judge(x)
        losses = {
            "digit": F.cross_entropy(out_d, digit),
            "weight": F.cross_entropy(out_w, w),
            "pose": (out_p - p).pow(2).mean(),
        }
        loss = sum(losses.values())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {k: v.item() for k, v in losses.items()}

    return train([Phase("judge", update)], batches(), tr["steps"], progress=progress, **train_options)


def factor_agreement(read: dict[str, torch.Tensor], factors: dict[str, torch.Tensor]) -> dict[str, float]:
    """How well ``read`` (a :meth:`PrintedFactorJudge.read`) matches the true ``factors`` of images:
    the share of digits and of stroke weights read right, and R² of each pose number."""
    true = pose_targets(factors)
    out = {
        "digit": float((read["digit"] == factors["digit"]).float().mean()),
        "weight": float((read["weight"] == factors["weight"]).float().mean()),
    }
    for i, name in enumerate(POSE):
        est = (read[name] - POSE_CENTRE[i]) / POSE_SPREAD[i]
        out[name] = float(1 - (est - true[:, i]).pow(2).sum() / (true[:, i] - true[:, i].mean()).pow(2).sum())
    return out


def _factors(d, idx=None) -> dict[str, torch.Tensor]:
    keys = ("digit", "weight", "height", "rotation", "shift")
    return {k: d.info[k] if idx is None else d.info[k][idx] for k in keys}


def judge_accuracy(judge) -> dict[str, float]:
    """On the 2,000 held-out real images: digit and weight accuracy, R² of each pose number."""
    held = task("heldout")
    with gencore.eval_mode(judge):
        return factor_agreement(judge.read(held.x), _factors(held))


register(
    Recipe(
        name="font-factor-judge",
        description="CNN reading digit, stroke weight, height, rotation and shift of printed digits "
        "(judge of IP-GAN in book/conditional.ipynb)",
        config={
            "model": {"width": 32, "feature_dim": 128},
            "optim": {"lr": 1e-3},
            "train": {"batch_size": 64, "steps": 2000, "seed": 0},
        },
        parts=lambda c: {"judge": ("printed-factor-judge", c["model"])},
        main="judge",
        fit=fit_judge,
        evaluate=lambda parts: judge_accuracy(parts["judge"]),
    )
)


# --- IP-GAN -----------------------------------------------------------------------------------------


@torch.no_grad()
def identity_centres(identity, x: torch.Tensor, ident: torch.Tensor) -> torch.Tensor:
    """E[f_I(x) | c] of the real training images of each identity: (K, feature_dim)."""
    with gencore.eval_mode(identity):
        f = torch.cat([identity.features(chunk) for chunk in x.split(500)])
    return torch.stack([f[ident == k].mean(0) for k in range(int(ident.max()) + 1)])


def fit_ipgan(parts: dict, config: dict, progress: bool | None = None, **train_options) -> History:
    """Train I with softmax on the six training fonts (``identity_steps``), freeze it, then A, G and D
    (``steps``), all on one thread; the CPU seconds of both stages are logged as ``cpu_time_s``."""
    ident_net, enc, gen, disc = (parts[k] for k in ("identity", "attributes", "generator", "discriminator"))
    tr, opt = config["train"], config["optim"]
    x, ident = identity_task("train")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    start = time.process_time()
    try:
        i_opt = torch.optim.Adam(ident_net.parameters(), lr=opt["lr"])
        i_batches = ((x[k], ident[k]) for k in _shuffled(len(x), tr["batch_size"], tr["seed"]))
        train([classifier_phase(ident_net, i_opt)], i_batches, tr["identity_steps"], progress=progress)
        centres = identity_centres(ident_net, x, ident)
        betas = tuple(opt["betas"])
        phases = ipgan_phases(
            ident_net,
            enc,
            gen,
            disc,
            torch.optim.Adam([*enc.parameters(), *gen.parameters()], lr=opt["lr"], betas=betas),
            torch.optim.Adam(disc.parameters(), lr=opt["lr"], betas=betas),
            centres=centres,
            weights=config["weights"],
        )
        batches = pair_batches(x, ident, tr["batch_size"], tr["seed"], tr["p_same"])
        history = train(phases, batches, tr["steps"], progress=progress, **train_options)
    finally:
        torch.set_num_threads(threads)
    history.evals["cpu_time_s"] = [(history.completed_steps, round(time.process_time() - start, 1))]
    return history


def _shuffled(n: int, batch_size: int, seed: int):
    gen = gencore.rng(seed)
    while True:
        order = torch.randperm(n, generator=gen)
        yield from (order[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size))


@torch.no_grad()
def mix(parts: dict, x_s: torch.Tensor, x_a: torch.Tensor, seed: int | None = 0) -> torch.Tensor:
    """G(f_I(x^s), z_a), z_a ~ q(z | x^a) drawn from ``seed`` (``None``: the mean μ): (N, 1, 28, 28)."""
    if x_s.shape != x_a.shape:
        raise ValueError(
            f"mix needs as many identity images as attribute images, got {tuple(x_s.shape)} and {tuple(x_a.shape)}"
        )
    ident_net, enc, gen = parts["identity"], parts["attributes"], parts["generator"]
    with gencore.eval_mode(ident_net, enc, gen):
        mu, log_var = enc(x_a)
        if seed is not None:
            eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed))
            mu = mu + eps * (0.5 * log_var).exp()
        return gen(ident_net.features(x_s), mu)


SOURCES = ("held-out fonts", "training fonts")


def mixing_pairs(source: str, seed: int, n: int = N_PAIRS) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices into ``task("heldout")`` of ``n`` pairs (x^s, x^a): x^s of a held-out font or of a training
    font (``source``, one of :data:`SOURCES`), x^a of a training font *other* than x^s's and of another digit,
    so that copying either image keeps only one side."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    d = task("heldout")
    pos, digit = font_position(d).numpy(), d.info["digit"].numpy()
    fonts = HELD_OUT if source == SOURCES[0] else TRAIN_FONTS
    rng = np.random.default_rng(seed)
    s = rng.choice(np.flatnonzero(np.isin(pos, fonts)), n)
    attr_pool = np.flatnonzero(np.isin(pos, TRAIN_FONTS))
    a = np.empty(n, dtype=np.int64)
    for i, j in enumerate(s):
        ok = attr_pool[(pos[attr_pool] != pos[j]) & (digit[attr_pool] != digit[j])]
        a[i] = rng.choice(ok)
    return torch.from_numpy(s), torch.from_numpy(a)


def font_read(images: torch.Tensor, recognizer=None) -> torch.Tensor:
    """The font (position in FONTS_USED) that ``font-recognizer`` reads: argmax of its font marginal."""
    rec = recognizer if recognizer is not None else pretrained.cached("font-recognizer")
    with gencore.eval_mode(rec):
        probs = torch.cat([rec(c).softmax(1) for c in images.split(500)])
    return probs.view(len(images), 10, len(FONTS_USED)).sum(1).argmax(1)


def readings(images: torch.Tensor, recognizer=None, judge=None) -> dict[str, torch.Tensor]:
    """What the two judges read in ``images``: ``font`` (:func:`font_read`) and the factors of
    :meth:`PrintedFactorJudge.read` (default judges: the shipped ``font-recognizer`` and ``font-factor-judge``)."""
    judge = judge if judge is not None else pretrained.cached("font-factor-judge")
    with gencore.eval_mode(judge):
        return {"font": font_read(images, recognizer), **judge.read(images)}


@functools.cache
def _real_readings(recognizer_sha256: str, judge_sha256: str) -> dict[str, torch.Tensor]:
    return readings(task("heldout").x)


def agreement(read: dict[str, torch.Tensor], idx_s, idx_a) -> dict[str, float]:
    """What images with :func:`readings` ``read`` (one per pair) kept of x^s = ``task("heldout")[idx_s]`` and
    of x^a: the share read as x^s's font (``font_of_s``) and as x^a's (``font_of_a``), the factor agreement
    with x^a (:func:`factor_agreement`: digit, weight, R² of each pose number) and the share read as x^s's
    digit (``digit_of_s``)."""
    d = task("heldout")
    pos = font_position(d)
    out = {
        "font_of_s": float((read["font"] == pos[idx_s]).float().mean()),
        "font_of_a": float((read["font"] == pos[idx_a]).float().mean()),
    }
    out.update(factor_agreement(read, _factors(d, idx_a)))
    out["digit_of_s"] = float((read["digit"] == d.info["digit"][idx_s]).float().mean())
    return out


def transfer_scores(images: torch.Tensor, idx_s, idx_a, recognizer=None, judge=None) -> dict[str, float]:
    """:func:`agreement` of ``images`` (one per pair (x^s, x^a))."""
    return agreement(readings(images, recognizer, judge), idx_s, idx_a)


def mixing_scores(parts: dict, source: str, seed: int, recognizer=None, judge=None) -> dict[str, dict[str, float]]:
    """:func:`agreement` of IP-GAN's mixed images and of the two copying baselines (x^s itself, x^a itself),
    on the pairs :func:`mixing_pairs` draws from ``seed`` (which also draws z_a). The real images are read
    once (per version of the default judges) and indexed."""
    d = task("heldout")
    s, a = mixing_pairs(source, seed)
    if recognizer is None and judge is None:
        real = _real_readings(pretrained.main_sha256("font-recognizer"), pretrained.main_sha256("font-factor-judge"))
    else:
        real = readings(d.x, recognizer, judge)
    mixed = readings(mix(parts, d.x[s], d.x[a], seed), recognizer, judge)
    return {
        "IP-GAN": agreement(mixed, s, a),
        "copy x^s": agreement({k: v[s] for k, v in real.items()}, s, a),
        "copy x^a": agreement({k: v[a] for k, v in real.items()}, s, a),
    }


def ipgan_scores(parts: dict) -> dict[str, float]:
    """Sample seed 0: the share of mixed images read as x^s's font and as x^a's digit, for held-out and
    training fonts."""
    out = {}
    for source, key in zip(SOURCES, ("heldout", "train"), strict=True):
        m = mixing_scores(parts, source, 0)["IP-GAN"]
        out[f"{key}_font_of_s"], out[f"{key}_digit_of_a"] = m["font_of_s"], m["digit"]
    return out


register(
    Recipe(
        name="ipgan-fonts",
        description="IP-GAN (Bao et al., 2018): font of one printed digit, digit and pose of another; "
        "two fonts held out (book/conditional.ipynb)",
        config={
            "model": {"latent_dim": 16, "width": 32, "d_width": 16, "i_width": 16},
            "optim": {"lr": 1e-3, "betas": [0.5, 0.999]},
            "weights": {"lambda": 0.1, "kl": 1.0, "centre_d": 0.01, "centre_c": 1.0},
            "train": {"batch_size": 64, "identity_steps": 2000, "steps": 2000, "p_same": 0.5, "seed": 0},
        },
        parts=lambda c: {
            "generator": ("identity-generator", {"latent_dim": c["model"]["latent_dim"], "width": c["model"]["width"]}),
            "attributes": ("attribute-encoder", {"latent_dim": c["model"]["latent_dim"], "width": c["model"]["width"]}),
            "identity": ("recognizer", {"classes": len(TRAIN_FONTS), "width": c["model"]["i_width"]}),
            "discriminator": ("feature-discriminator", {"classes": 0, "width": c["model"]["d_width"]}),
        },
        main="generator",
        fit=fit_ipgan,
        evaluate=ipgan_scores,
        measured_with=("font-recognizer", "font-factor-judge"),
    )
)
