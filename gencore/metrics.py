"""Metrics on samples: how well a generator's samples match a target.

Mode coverage on the 2-D mixtures (``book/mode_collapse.ipynb``), after
VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018):

    high quality (hq):  ‖x − μ_{k(x)}‖ ≤ 3σ, with k(x) = argmin_k ‖x − μ_k‖       (hq)
    modes:              #{k : some high-quality sample has k(x) = k}              (modes)
    reverse KL:         KL(p̂ ‖ u) = Σ_k p̂_k log(K p̂_k),                         (mc-rkl)
                        p̂_k = share of the high-quality samples nearest to μ_k, u = 1/K
    spread:             median_{hq x} ‖x − μ_{k(x)}‖ / (σ m_d),                    (spread)
                        m_d = F⁻¹(F(3)/2), F the CDF of the χ distribution with d degrees
                        of freedom: the median of ‖x − μ‖/σ for a Gaussian, given ≤ 3

Exact Wasserstein distances between two empirical distributions (equal
weights), by linear programming with POT's ``ot.emd2``:

    W_p(a, b) = ( min_{γ ∈ Π(a, b)} Σ_ij γ_ij ‖a_i − b_j‖₂^p )^{1/p}              (wp)

Sharpness of images (``book/vae.ipynb``, the blur of a VAE), the mean absolute
discrete Laplacian of the intensities u = (x + 1)/2 in [0, 1]:

    S(x) = mean_{i,j} |u_{i-1,j} + u_{i+1,j} + u_{i,j-1} + u_{i,j+1} − 4 u_{i,j}|   (sharpness)

Image metrics with the domain classifier (FID, IS, PPL) are at the end of the module.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.stats
import torch

__all__ = [
    "mode_coverage",
    "wasserstein",
    "laplacian_sharpness",
    "frechet_distance",
    "fid",
    "inception_score",
    "perceptual_path_length",
    "classifier_outputs",
    "class_histogram",
]


def _points(x, name: str, dim: int | None = None) -> np.ndarray:
    """``x`` as a float64 array ``(N, d)`` (a 1-D input is read as N points in R^1)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty array of points (N, d), got shape {a.shape}")
    if dim is not None and a.shape[1] != dim:
        raise ValueError(f"{name} has points of dimension {a.shape[1]}, expected {dim}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return a


def mode_coverage(samples, means, std: float) -> dict[str, float]:
    """Eqs. (hq), (modes), (mc-rkl), (spread): how many modes of a mixture the samples cover, and how well.

    ``samples`` ``(N, d)``, ``means`` ``(K, d)`` (tensors or arrays), ``std``: the
    mixture's common standard deviation σ. Returns

    - ``modes``: number of modes with at least one high-quality sample (0..K);
    - ``hq``: fraction of samples within 3σ of their nearest mean, in [0, 1];
    - ``reverse_kl``: KL(p̂ ‖ uniform) in nats, where p̂ is the histogram of the
      *high-quality* samples over their nearest modes; 0 when they are spread
      evenly, log K when they all sit on one mode (``inf`` when no sample is
      high quality, which is the limit of the definition).
    - ``spread``: how wide the high-quality samples sit around their modes, as the
      median distance to the nearest mean over the same median for the true
      mixture (Eq. (spread)); 1 for samples of the mixture, below 1 when they are
      too concentrated, above 1 when too wide (``nan`` when no sample is high
      quality). hq cannot see a generator that squeezes each mode to a point:
      such samples score hq = 1 and spread = 0. Spread is ours too.

    ``modes`` and ``hq`` follow VEEGAN's Table 1 (2,500 samples, 3σ, "modes
    captured" = components whose mean is nearest to at least one high-quality
    sample), which reports no KL. The reverse KL is *our* definition: PacGAN's
    Table 1 reports a reverse KL between the distribution over modes induced by
    the generated samples and the uniform one; we could not check whether it
    counts every sample or only the high-quality ones. Compare our KL with
    theirs as the same idea, not as the same number.
    """
    means_a = _points(means, "means")
    x = _points(samples, "samples", dim=means_a.shape[1])
    if not (isinstance(std, (int, float, np.floating)) and std > 0 and math.isfinite(std)):
        raise ValueError(f"std must be a positive number, got {std!r}")
    k = means_a.shape[0]
    d2 = ((x[:, None, :] - means_a[None, :, :]) ** 2).sum(-1)  # (N, K) squared distances
    nearest = d2.argmin(1)
    good = d2[np.arange(len(x)), nearest] <= (3.0 * std) ** 2  # Eq. (hq)
    counts = np.bincount(nearest[good], minlength=k)
    n_good = int(counts.sum())
    if n_good == 0:
        rkl = math.inf
    else:
        p = counts[counts > 0] / n_good  # 0 log 0 = 0
        rkl = float((p * np.log(p * k)).sum())  # Eq. (mc-rkl)
    dist = np.sqrt(d2[np.arange(len(x)), nearest][good])
    spread = float(np.median(dist)) / (std * _chi_median_within(3.0, means_a.shape[1])) if n_good else math.nan
    return {"modes": int((counts > 0).sum()), "hq": n_good / len(x), "reverse_kl": max(rkl, 0.0), "spread": spread}


def _chi_median_within(r: float, d: int) -> float:
    """Median of ‖x − μ‖/σ for x ~ N(μ, σ² I_d), given ‖x − μ‖ ≤ rσ: the χ_d quantile at F_d(r)/2."""
    chi = scipy.stats.chi(d)
    return float(chi.ppf(chi.cdf(r) / 2))


def wasserstein(samples_a, samples_b, p: int = 1) -> float:
    """Eq. (wp): the exact p-Wasserstein distance between two point clouds (uniform weights).

    ``samples_a`` ``(N, d)`` and ``samples_b`` ``(M, d)`` (1-D arrays are read as
    points in R^1); ``p`` is 1 or 2; ground cost: Euclidean distance to the power
    ``p``. Solved exactly by POT's network simplex ``ot.emd2``: O(N·M) memory,
    fine up to a few thousand points.
    """
    import ot

    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p!r}")
    a = _points(samples_a, "samples_a")
    b = _points(samples_b, "samples_b", dim=a.shape[1])
    cost = ot.dist(a, b, metric="euclidean")
    if p == 2:
        cost = cost**2
    wa = np.full(len(a), 1.0 / len(a))
    wb = np.full(len(b), 1.0 / len(b))
    value = float(ot.emd2(wa, wb, cost, numItermax=10_000_000))
    return value ** (1.0 / p)


def laplacian_sharpness(images: torch.Tensor) -> torch.Tensor:
    """Eq. (sharpness): per-image mean |Laplacian| of ``images`` ``(N, C, H, W)`` in [-1, 1] -> ``(N,)``.

    Computed on intensities (x + 1)/2 in [0, 1] over the interior pixels (no
    padding), channels averaged. A constant image scores 0; blurring lowers the
    score; a binary checkerboard scores the maximum, 4.
    """
    x = torch.as_tensor(images).detach().float()
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(x.shape)}")
    kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], device=x.device)
    u = ((x + 1) / 2).flatten(0, 1).unsqueeze(1)  # (N·C, 1, H, W)
    lap = torch.nn.functional.conv2d(u, kernel.view(1, 1, 3, 3))
    return lap.abs().mean(dim=(1, 2, 3)).view(x.shape[0], x.shape[1]).mean(1)


# --- Image metrics with the domain classifier (book/evaluation.ipynb) -------
#
#   FD(a, b) = ‖μ_a − μ_b‖₂² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2})                (fd)
#   (seed 004 writes ‖μ_a − μ_b‖ without the square: the mean term is squared.)
#   IS = exp( E_x KL(p(y|x) ‖ p(y)) ),  p(y) = E_x p(y|x)                          (is)
#   PPL = E_{z1,z2,t} [ d(G(slerp(z1, z2, t)), G(slerp(z1, z2, t + ε))) / ε² ]     (ppl)
#
# FID uses the 128-d penultimate features of the shipped ``mnist-classifier``
# rather than Inception-v3's (which knows nothing of digits and needs a
# download); IS uses its class probabilities; PPL uses the squared distance
# between its features as d, where StyleGAN uses LPIPS. Numbers are therefore
# comparable within this book, not with published FIDs.


def frechet_distance(feats_a, feats_b, eps: float = 1e-6) -> float:
    """Eq. (fd) between Gaussians fitted to two feature sets ``(N, d)`` and ``(M, d)``.

    Numerics as pytorch-fid: ``scipy.linalg.sqrtm`` of Σ_a Σ_b; if that is not
    finite, ``eps`` is added to both diagonals; a complex result whose
    imaginary diagonal exceeds 1e-3 raises ``ValueError``.
    """
    from scipy import linalg

    a, b = _points(feats_a, "feats_a"), _points(feats_b, "feats_b", dim=_points(feats_a, "feats_a").shape[1])
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each feature set needs at least 2 rows to estimate a covariance")
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():
        # Dead ReLU features make the covariances singular; scipy then warns even when the
        # root is accurate. Accuracy is checked below (finite, small imaginary part).
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(s_a @ s_b)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(s_a)) * eps
        covmean = linalg.sqrtm((s_a + offset) @ (s_b + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(
                f"matrix square root has a large imaginary part ({np.abs(covmean.imag).max():.3g}); "
                "use more samples than feature dimensions or a larger eps"
            )
        covmean = covmean.real
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(covmean))


@torch.no_grad()
def classifier_outputs(classifier, images: torch.Tensor, batch_size: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(N, 128)`` and class probabilities ``(N, 10)`` of images ``(N, 1, 28, 28)`` in [-1, 1]."""
    dev = next(classifier.parameters()).device
    was_training = classifier.training
    classifier.eval()
    feats, probs = [], []
    for i in range(0, len(images), batch_size):
        f = classifier.features(images[i : i + batch_size].to(dev))
        feats.append(f.cpu())
        probs.append(torch.softmax(classifier.head(f), dim=1).cpu())
    classifier.train(was_training)
    return torch.cat(feats).double().numpy(), torch.cat(probs).double().numpy()


def fid(images_a: torch.Tensor, images_b: torch.Tensor, classifier) -> float:
    """Fréchet distance between the classifier features of two image sets (Eq. fd)."""
    return frechet_distance(classifier_outputs(classifier, images_a)[0], classifier_outputs(classifier, images_b)[0])


def inception_score(probs, splits: int = 10) -> tuple[float, float]:
    """Eq. (is) from class probabilities ``(N, K)``: mean and std over ``splits`` equal parts."""
    p = _points(probs, "probs")
    if np.any(p < 0) or not np.allclose(p.sum(1), 1, atol=1e-4):
        raise ValueError("probs must be rows of class probabilities summing to 1")
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(0, keepdims=True)
        kl = (part * (np.log(np.clip(part, 1e-12, None)) - np.log(np.clip(py, 1e-12, None)))).sum(1)
        scores.append(math.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


@torch.no_grad()
def perceptual_path_length(
    generator, classifier, n: int = 2000, eps: float = 1e-4, seed: int = 0, batch_size: int = 500
) -> float:
    """Eq. (ppl) in z-space with slerp, d = squared distance of classifier features.

    Small when a small step in z changes the image a little everywhere along
    the path; large where the generator jumps between digits.
    """
    from gencore.latent import slerp

    gen = torch.Generator().manual_seed(seed)
    dev = next(generator.parameters()).device
    g_training = generator.training
    generator.eval()
    total = []
    for i in range(0, n, batch_size):
        m = min(batch_size, n - i)
        z1 = torch.randn(m, generator.latent_dim, generator=gen)
        z2 = torch.randn(m, generator.latent_dim, generator=gen)
        t = torch.rand(m, generator=gen)
        za, zb = slerp(z1, z2, t), slerp(z1, z2, t + eps)
        fa = classifier_outputs(classifier, generator(za.to(dev)))[0]
        fb = classifier_outputs(classifier, generator(zb.to(dev)))[0]
        total.append(((fa - fb) ** 2).sum(1) / eps**2)
    generator.train(g_training)
    return float(np.concatenate(total).mean())


def class_histogram(probs) -> np.ndarray:
    """Share of images assigned to each class (argmax of ``probs`` (N, K)): shows dropped modes."""
    p = _points(probs, "probs")
    return np.bincount(p.argmax(1), minlength=p.shape[1]) / len(p)


# --- Reading FID, IS and PPL (book/evaluation.ipynb) ------------------------
#
#   IS = exp( H(p̄) − E_x H(p(y|x)) ) ≤ K,   p̄(y) = E_x p(y|x)                     (is-entropy)
#   E[FID_n] ≈ FID_∞ + k / n        (Chong & Forsyth, 2020)                            (fid-n)
#
# (is-entropy) is Eq. (is) rewritten: E_x KL(p(y|x) ‖ p̄) = H(p̄) − E_x H(p(y|x)).
# In the book these are Eqs. (ev-is-entropy) and (ev-fid-n).

__all__ += ["kl_from_uniform", "sample_summary", "fid_versus_n", "fid_infinity", "path_lengths"]


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
    that FID compares with. IS (Eq. is) is computed over ``splits`` parts of a
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
    """FID (Eq. fd) of random subsets of ``feats`` ``(N, d)`` against all of ``reference_feats`` ``(M, d)``.

    For each n in ``sizes`` (each ≤ N) and each seed, n rows are drawn without
    replacement. Returns an array ``(len(sizes), len(seeds))``. With n = N every
    seed would give the whole set, so its FID is computed once and repeated.
    """
    a = _points(feats, "feats")
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
    """Eq. (fid-n): least-squares fit of FID_n = FID_∞ + k/n; returns ``(FID_∞, k)``.

    ``sizes`` ``(S,)``; ``fids`` ``(S,)`` or ``(S, R)`` (R repeats per size, all used).
    Needs at least two distinct sizes.
    """
    n = np.asarray(sizes, dtype=np.float64)
    f = np.asarray(fids, dtype=np.float64).reshape(len(n), -1)
    if len(np.unique(n)) < 2:
        raise ValueError("need FIDs at two or more distinct sample sizes")
    x = np.repeat(1.0 / n, f.shape[1])
    k, intercept = np.polyfit(x, f.ravel(), 1)
    return float(intercept), float(k)


@torch.no_grad()
def path_lengths(
    decode, latent_dim: int, classifier, n: int = 1000, eps: float = 1e-4, seed: int = 0, batch_size: int = 500
) -> np.ndarray:
    """The n terms ``(n,)`` of Eq. (ppl), d(G(slerp(z1, z2, t)), G(slerp(z1, z2, t + ε))) / ε².

    ``decode`` maps codes ``(m, latent_dim)`` to images ``(m, 1, 28, 28)`` in [-1, 1]
    (a generator in eval mode, or a VAE's ``decode_mean``); codes are moved to
    the classifier's device. z1, z2 ~ N(0, I) and t ~ U[0, 1] are drawn in the
    same order as :func:`perceptual_path_length`, whose value is the mean of
    these terms for equal arguments. StyleGAN reports a trimmed mean (terms below the
    1st or above the 99th percentile dropped), e.g. ``scipy.stats.trim_mean(x, 0.01)``.
    """
    from gencore.latent import slerp

    gen = torch.Generator().manual_seed(seed)
    dev = next(classifier.parameters()).device
    out = []
    for i in range(0, n, batch_size):
        m = min(batch_size, n - i)
        z1 = torch.randn(m, latent_dim, generator=gen)
        z2 = torch.randn(m, latent_dim, generator=gen)
        t = torch.rand(m, generator=gen)
        fa = classifier_outputs(classifier, decode(slerp(z1, z2, t).to(dev)))[0]
        fb = classifier_outputs(classifier, decode(slerp(z1, z2, t + eps).to(dev)))[0]
        out.append(((fa - fb) ** 2).sum(1) / eps**2)
    return np.concatenate(out)
