"""Coverage of a mixture with known modes (``book/mode_collapse.ipynb``), after
VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018):

    high quality (hq):  ‖x − μ_{k(x)}‖ ≤ 3σ, with k(x) = argmin_k ‖x − μ_k‖
    modes:              #{k : some high-quality sample has k(x) = k}
    reverse KL:         KL(p̂ ‖ u) = Σ_k p̂_k log(K p̂_k),
                        p̂_k = share of the high-quality samples nearest to μ_k, u = 1/K
    spread:             median_{hq x} ‖x − μ_{k(x)}‖ / (σ m_d),
                        m_d = F⁻¹(F(3)/2), F the CDF of the χ distribution with d degrees
                        of freedom: the median of ‖x − μ‖/σ for a Gaussian, given ≤ 3
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats

from gencore.metrics.arrays import points as _points


def mode_coverage(samples, means, std: float) -> dict[str, float]:
    """How many modes of a mixture the samples cover, and how well (``book/mode_collapse.ipynb``).

    High quality and modes as above, the reverse KL of Eq. (mc-rkl) and the spread of Eq. (spread).

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
    sample), which reports no KL. The reverse KL follows PacGAN's Table 1: its
    public metric code adds a sample to the histogram over modes only when it lies
    within 3σ of a mode, so its reverse KL, like ours, is over the high-quality
    samples.
    """
    means_a = _points(means, "means")
    x = _points(samples, "samples", dim=means_a.shape[1])
    if not (isinstance(std, (int, float, np.floating)) and std > 0 and math.isfinite(std)):
        raise ValueError(f"std must be a positive number, got {std!r}")
    if len(np.unique(means_a, axis=0)) < len(means_a):
        raise ValueError("means hold duplicate modes: give each mode once")
    k = means_a.shape[0]
    d2 = ((x[:, None, :] - means_a[None, :, :]) ** 2).sum(-1)  # (N, K) squared distances
    nearest = d2.argmin(1)
    good = d2[np.arange(len(x)), nearest] <= (3.0 * std) ** 2  # high quality: within 3σ of the nearest mean
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
