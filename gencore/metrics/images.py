"""Image metrics with the book's domain classifier (``book/evaluation.ipynb``).

    IS   = exp( E_x KL(p(y|x) ‖ p(y)) ),  p(y) = E_x p(y|x)
         = exp( H(p̄) − E_x H(p(y|x)) ) ≤ K,   p̄(y) = E_x p(y|x)
    PPL  = E_{z1,z2,t} [ d(G(slerp(z1, z2, t)), G(slerp(z1, z2, t + ε))) / ε² ],  t ~ U(0, 1)
    E[FID_n] ≈ FID_∞ + k / n        (Chong & Forsyth, 2020)

FID is :func:`gencore.metrics.frechet_distance` of the 128-d penultimate features of the
shipped ``mnist-classifier`` rather than Inception-v3's (which knows nothing of digits and
needs a download); IS uses its class probabilities; PPL uses the squared distance between
its features as d, where StyleGAN uses LPIPS. Numbers are therefore comparable within this
book, not with published FIDs.

Sharpness of images (``book/vae.ipynb``, the blur of a VAE), the mean absolute discrete
Laplacian of the intensities u = (x + 1)/2 in [0, 1]:

    S(x) = mean_{i,j} |u_{i-1,j} + u_{i+1,j} + u_{i,j-1} + u_{i,j+1} − 4 u_{i,j}|

and (``book/vae_blur.ipynb``) the share of an image's energy at high spatial frequencies, with
û(f) the 2-D discrete Fourier transform of u minus its mean and |f| the radial frequency in cycles
per pixel (Nyquist: 0.5):

    HF(x) = Σ_{|f| > f_c} |û(f)|² / Σ_f |û(f)|²                                   Eq. (blur-hf)
"""

from __future__ import annotations

import math

import numpy as np
import torch

import gencore
from gencore.latent import slerp
from gencore.metrics.arrays import images as _images
from gencore.metrics.arrays import points as _points
from gencore.metrics.distances import frechet_distance
from gencore.metrics.manifolds import PrecisionRecall, precision_recall


def laplacian_sharpness(images: torch.Tensor) -> torch.Tensor:
    """The sharpness S(x) above: per-image mean |Laplacian| of ``images`` ``(N, C, H, W)`` in [-1, 1] -> ``(N,)``.

    Computed on intensities (x + 1)/2 in [0, 1] over the interior pixels (no
    padding), channels averaged. A constant image scores 0; blurring lowers the
    score; a binary checkerboard scores the maximum, 4.
    """
    x = torch.as_tensor(images).detach().float()
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("images hold NaN or infinite values")
    if x.shape[0] == 0 or min(x.shape[2:]) < 3:
        raise ValueError(f"the Laplacian needs at least one image of 3x3 pixels or more, got {tuple(x.shape)}")
    kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], device=x.device)
    u = ((x + 1) / 2).flatten(0, 1).unsqueeze(1)  # (N·C, 1, H, W)
    lap = torch.nn.functional.conv2d(u, kernel.view(1, 1, 3, 3))
    return lap.abs().mean(dim=(1, 2, 3)).view(x.shape[0], x.shape[1]).mean(1)


def high_frequency_share(images: torch.Tensor, cutoff: float = 0.25) -> torch.Tensor:
    """Eq. (blur-hf): per-image share of the energy above ``cutoff`` cycles/pixel, ``(N, C, H, W)`` -> ``(N,)``.

    ``images`` in [-1, 1]; channels are pooled. Blurring (a low-pass filter) lowers the share; white
    noise has a flat spectrum, so its share is the fraction of non-zero frequencies above the cutoff.
    A constant image has no energy to share: it scores 0.
    """
    x = torch.as_tensor(images).detach().double()
    if x.ndim != 4 or x.shape[0] == 0:
        raise ValueError(f"expected images of shape (N, C, H, W) with N >= 1, got {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("images hold NaN or infinite values")
    if not (isinstance(cutoff, (int, float)) and not isinstance(cutoff, bool) and 0 <= cutoff < 0.5 * math.sqrt(2)):
        raise ValueError(f"cutoff must be a frequency in cycles/pixel from 0 to below √2/2 ≈ 0.707, got {cutoff!r}")
    u = (x + 1) / 2
    u = u - u.mean(dim=(2, 3), keepdim=True)  # the mean (f = 0) carries no sharpness
    power = torch.fft.fft2(u).abs().pow(2).sum(1)  # (N, H, W), channels pooled
    fy, fx = torch.fft.fftfreq(x.shape[2], dtype=x.dtype), torch.fft.fftfreq(x.shape[3], dtype=x.dtype)
    high = (fy[:, None] ** 2 + fx[None, :] ** 2).sqrt() > cutoff
    total = power.sum(dim=(1, 2))
    return torch.where(total > 0, (power * high).sum(dim=(1, 2)) / total.clamp_min(1e-300), 0.0).float()


def features(extractor, images: torch.Tensor, batch_size: int = 500) -> np.ndarray:
    """``extractor.features`` of ``images`` ``(N, ...)`` as float64 rows ``(N, d)``, in batches, in eval mode.

    The feature space of FID, precision and recall and PPL: the shipped ``mnist-classifier``'s
    128-d penultimate features for digits, or any network with a ``features`` method (the
    ``shapes-regressor``'s for the StyleGAN chapter's shapes).
    """
    return gencore.map_batches(extractor, images, lambda m, x: m.features(x), batch_size).double().numpy()


def classifier_outputs(classifier, images: torch.Tensor, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(N, 128)`` and class probabilities ``(N, 10)`` of images ``(N, 1, 28, 28)`` in [-1, 1]."""

    def outputs(m, x):
        f = m.features(x)
        return f, torch.softmax(m.head(f), dim=1)

    feats, probs = gencore.map_batches(classifier, images, outputs, batch_size)
    return feats.double().numpy(), probs.double().numpy()


def fid(
    images: torch.Tensor, reference_features, extractor, batch_size: int = 500, *, check_range: bool = True
) -> float:
    """FID of ``images`` against ``reference_features`` (M, d) of real images, in ``extractor``'s features.

    The features of ``images`` are :func:`features` ``(extractor, images)`` (for digits, the
    classifier's, images (N, 1, 28, 28) in [-1, 1]); compute the reference features once with
    the same extractor and reuse them. ``check_range`` refuses images outside [-1, 1] or in
    [0, 1]; a generator whose last layer is linear (StyleGAN's toRGB) overshoots [-1, 1]
    a little, and its images are measured as drawn with ``check_range=False``.
    """
    images = _images(images, refuse_unit_range=True) if check_range else images
    return frechet_distance(features(extractor, images, batch_size), reference_features)


def image_precision_recall(
    images: torch.Tensor, reference_features, extractor, k: int = 3, batch_size: int = 500
) -> PrecisionRecall:
    """Improved precision and recall (Eq. (ev-pr)) of ``images`` against ``reference_features`` (M, d)
    of real images, in ``extractor``'s features, called like :func:`fid`."""
    images = _images(images, refuse_unit_range=True)
    return precision_recall(reference_features, features(extractor, images, batch_size), k=k)


def inception_score(probs, splits: int = 10) -> tuple[float, float]:
    """The Inception score, Eq. (ev-is) of ``book/evaluation.ipynb``, from class probabilities ``(N, K)``.

    Mean and std over ``splits`` equal parts (1 <= splits <= N).
    """
    p = _points(probs, "probs")
    if np.any(p < 0) or not np.allclose(p.sum(1), 1, atol=1e-4):
        raise ValueError("probs must be rows of class probabilities summing to 1")
    if isinstance(splits, bool) or not isinstance(splits, (int, np.integer)) or not 1 <= splits <= len(p):
        raise ValueError(f"splits must be an integer from 1 to the number of samples ({len(p)}), got {splits!r}")
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(0, keepdims=True)
        kl = (part * (np.log(np.clip(part, 1e-12, None)) - np.log(np.clip(py, 1e-12, None)))).sum(1)
        scores.append(math.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def class_histogram(probs) -> np.ndarray:
    """Share of images assigned to each class (argmax of ``probs`` (N, K)): shows dropped modes."""
    p = _points(probs, "probs")
    return np.bincount(p.argmax(1), minlength=p.shape[1]) / len(p)


def kl_from_uniform(hist) -> float:
    """KL(h ‖ u) in nats of class shares ``hist`` ``(K,)`` from the uniform u = 1/K.

    0 when every class has the same share, log K when one class has them all
    (empty classes contribute 0 log 0 = 0).
    """
    h = np.asarray(hist, dtype=np.float64).ravel()
    if h.size == 0 or np.any(h < 0) or not np.isclose(h.sum(), 1, atol=1e-6):
        raise ValueError("hist must be non-negative class shares summing to 1")
    p = h[h > 0]
    return max(float((p * np.log(p * h.size)).sum()), 0.0)


def sample_summary(feats, probs, reference_feats, *, splits: int = 10, seed: int = 0) -> dict[str, float]:
    """FID, IS and class-histogram summary of one image set, from its classifier outputs.

    ``feats`` ``(N, d)`` and ``probs`` ``(N, K)`` as returned by
    :func:`classifier_outputs`; ``reference_feats`` ``(M, d)``: the real images
    that FID compares with. IS (Eq. (ev-is)) is computed over ``splits`` parts of a
    random permutation (``seed``) of the rows, so that a set sorted by class (as
    the MNIST-5k splits are) does not put one class in each part. Returns
    ``fid``, ``is``, ``is_std``, ``max_share`` and ``min_share`` (largest and
    smallest class share of :func:`class_histogram`) and ``kl_uniform``
    (:func:`kl_from_uniform` of that histogram, nats).
    """
    p = _points(probs, "probs")
    order = np.random.default_rng(seed).permutation(len(p))
    is_mean, is_std = inception_score(p[order], splits=splits)
    hist = class_histogram(p)
    return {
        "fid": frechet_distance(feats, reference_feats),
        "is": is_mean,
        "is_std": is_std,
        "max_share": float(hist.max()),
        "min_share": float(hist.min()),
        "kl_uniform": kl_from_uniform(hist),
    }


def fid_versus_n(feats, reference_feats, sizes, seeds=(0, 1, 2)) -> np.ndarray:
    """FID (Eq. (ev-fid)) of random subsets of ``feats`` ``(N, d)`` against all of ``reference_feats`` ``(M, d)``.

    For each n in ``sizes`` (each ≤ N) and each seed, n rows are drawn without
    replacement. Returns an array ``(len(sizes), len(seeds))``. With n = N every
    seed would give the whole set, so its FID is computed once and repeated.
    """
    a = _points(feats, "feats")
    if len(seeds) == 0 or len(sizes) == 0:
        raise ValueError("give at least one sample size and one seed")
    out = np.empty((len(sizes), len(seeds)))
    for i, n in enumerate(sizes):
        if not 2 <= n <= len(a):
            raise ValueError(f"sample size {n} must lie between 2 and the {len(a)} rows of feats")
        if n == len(a):
            out[i] = frechet_distance(a, reference_feats)
            continue
        for j, s in enumerate(seeds):
            rows = np.random.default_rng(s).choice(len(a), size=n, replace=False)
            out[i, j] = frechet_distance(a[rows], reference_feats)
    return out


def fid_infinity(sizes, fids) -> tuple[float, float]:
    """Eq. (ev-fid-n) of ``book/evaluation.ipynb``: least-squares fit of FID_n = FID_∞ + k/n; returns ``(FID_∞, k)``.

    ``sizes`` ``(S,)``; ``fids`` ``(S,)`` or ``(S, R)`` (R repeats per size, all used).
    Needs at least two distinct sizes.
    """
    n = np.asarray(sizes, dtype=np.float64).ravel()
    f = np.asarray(fids, dtype=np.float64)
    if f.ndim not in (1, 2) or len(f) != len(n) or f.size == 0:
        raise ValueError(f"fids must have shape ({len(n)},) or ({len(n)}, R), one row per size; got {f.shape}")
    f = f.reshape(len(n), -1)
    if len(np.unique(n)) < 2:
        raise ValueError("need FIDs at two or more distinct sample sizes")
    if not (np.isfinite(f).all() and np.isfinite(n).all() and (n > 0).all()):
        raise ValueError("sizes must be positive and fids finite")
    x = np.repeat(1.0 / n, f.shape[1])
    k, intercept = np.polyfit(x, f.ravel(), 1)
    return float(intercept), float(k)


def step_lengths(images_a: torch.Tensor, images_b: torch.Tensor, extractor, eps: float) -> np.ndarray:
    """d(a, b) / ε² for each pair of images, d the squared distance of ``extractor``'s :func:`features`:
    the terms of a perceptual path length (``(N,)``, float64)."""
    fa, fb = features(extractor, images_a), features(extractor, images_b)
    return ((fa - fb) ** 2).sum(1) / eps**2


@torch.no_grad()
def path_lengths(
    decode, latent_dim: int, extractor, n: int = 1000, eps: float = 1e-4, seed: int = 0, batch_size: int = 500
) -> np.ndarray:
    """The n terms ``(n,)`` of Eq. (ev-ppl) of ``book/evaluation.ipynb``.

    Each is d(G(slerp(z1, z2, t)), G(slerp(z1, z2, t + ε))) / ε² (:func:`step_lengths`, d in the
    features of ``extractor``, the classifier for digits).

    ``decode`` maps codes ``(m, latent_dim)`` to images ``(m, 1, 28, 28)`` in [-1, 1]
    (a generator in eval mode, or a VAE's ``decode_mean``); codes are moved to
    the extractor's device. z1, z2 ~ N(0, I) and t ~ U[0, 1] are drawn in the
    same order as :func:`perceptual_path_length`, whose value is the mean of
    these terms. StyleGAN reports a trimmed mean (terms below the
    1st or above the 99th percentile dropped), e.g. ``scipy.stats.trim_mean(x, 0.01)``.
    """
    gen = torch.Generator().manual_seed(seed)
    dev = gencore.module_device(extractor)
    out = []
    for i in range(0, n, batch_size):
        m = min(batch_size, n - i)
        z1 = torch.randn(m, latent_dim, generator=gen)
        z2 = torch.randn(m, latent_dim, generator=gen)
        t = torch.rand(m, generator=gen)
        out.append(
            step_lengths(decode(slerp(z1, z2, t).to(dev)), decode(slerp(z1, z2, t + eps).to(dev)), extractor, eps)
        )
    return np.concatenate(out)


def perceptual_path_length(
    generator, classifier, n: int = 2000, eps: float = 1e-4, seed: int = 0, batch_size: int = 500
) -> float:
    """PPL in z-space with slerp, d = squared distance of classifier features: the mean of :func:`path_lengths`.

    Small when a small step in z changes the image a little everywhere along
    the path; large where the generator jumps between digits. ``generator`` is
    evaluated in eval mode (its mode is restored afterwards).
    """
    dev = gencore.module_device(generator)
    with gencore.eval_mode(generator):
        terms = path_lengths(lambda z: generator(z.to(dev)), generator.latent_dim, classifier, n, eps, seed, batch_size)
    if not np.isfinite(terms).all():
        raise ValueError("path lengths hold NaN or infinite values: the generator's images are not finite")
    return float(terms.mean())
