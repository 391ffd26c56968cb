"""gencore.divergences against scipy and against the properties the book states."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import norm, wasserstein_distance

from gencore import divergences
from gencore import divergences as dv

LOG2 = math.log(2)


def random_pair(k: int, seed: int, zeros: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p, q = rng.random(k), rng.random(k)
    if zeros:
        p[rng.random(k) < 0.3] = 0
        q[rng.random(k) < 0.3] = 0
        p[0] = q[1] = 1.0  # neither vector is all zeros
    return p / p.sum(), q / q.sum()


def gaussian_grid(mu1, s1, mu2, s2, lo=-15.0, hi=15.0, n=6001):
    x = np.linspace(lo, hi, n)
    return x, norm.pdf(x, mu1, s1), norm.pdf(x, mu2, s2), x[1] - x[0]


# --- probability vectors against scipy --------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("zeros", [False, True])
def test_kl_matches_rel_entr(seed, zeros):
    p, q = random_pair(7, seed, zeros)
    assert dv.kl(p, q) == pytest.approx(rel_entr(p, q).sum(), rel=1e-12, abs=1e-12)
    assert dv.reverse_kl(p, q) == pytest.approx(rel_entr(q, p).sum(), rel=1e-12, abs=1e-12)


def test_kl_infinite_when_q_misses_mass_of_p():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([1.0, 0.0, 0.0])
    assert dv.kl(p, q) == math.inf == rel_entr(p, q).sum()
    assert dv.kl(q, p) == pytest.approx(math.log(2))  # 0 log(0/q) = 0: finite the other way


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("zeros", [False, True])
def test_js_matches_scipy_jensenshannon(seed, zeros):
    p, q = random_pair(9, seed, zeros)
    # scipy returns sqrt(JS), in nats by default (base=None uses the natural log)
    assert dv.js(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-10, abs=1e-14)
    assert dv.js(p, q) / LOG2 == pytest.approx(jensenshannon(p, q, base=2) ** 2, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_w1_vectors_match_scipy(seed):
    p, q = random_pair(8, seed, zeros=True)
    support = np.sort(np.random.default_rng(seed).normal(size=8))
    ref = wasserstein_distance(support, support, p, q)
    assert dv.w1(p, q, support=support) == pytest.approx(ref, rel=1e-10)
    ref_int = wasserstein_distance(np.arange(8), np.arange(8), p, q)
    assert dv.w1(p, q) == pytest.approx(ref_int, rel=1e-10)


def test_w1_point_masses_is_distance():
    p, q = np.array([1.0, 0, 0, 0]), np.array([0, 0, 0, 1.0])
    assert dv.w1(p, q) == pytest.approx(3.0)
    assert dv.w1(p, q, support=[0.0, 0.5, 1.0, 2.5]) == pytest.approx(2.5)


def test_tv_vectors():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    assert dv.total_variation(p, q) == pytest.approx(0.5)  # sup_A |P(A) − Q(A)| at A = {0}
    assert dv.total_variation([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)


# --- properties ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_properties(seed):
    p, q = random_pair(6, seed, zeros=seed % 2 == 1)
    assert dv.js(p, q) == pytest.approx(dv.js(q, p), rel=1e-12)  # symmetric
    assert 0 <= dv.js(p, q) <= LOG2 + 1e-12
    assert dv.kl(p, q) >= 0 and dv.kl(q, p) >= 0
    assert 0 <= dv.total_variation(p, q) <= 1
    assert dv.w1(p, q) == pytest.approx(dv.w1(q, p))
    # JS <= TV · log 2 (Lin, 1991): a bounded divergence is also controlled by TV
    assert dv.js(p, q) <= dv.total_variation(p, q) * LOG2 + 1e-12
    for f in (dv.kl, dv.js, dv.total_variation, dv.w1):
        assert f(p, p) == pytest.approx(0.0, abs=1e-12)


def test_disjoint_supports():
    p, q = np.array([0.3, 0.7, 0, 0]), np.array([0, 0, 0.4, 0.6])
    assert dv.js(p, q) == pytest.approx(LOG2)
    assert dv.kl(p, q) == math.inf and dv.reverse_kl(p, q) == math.inf
    assert dv.total_variation(p, q) == pytest.approx(1.0)


# --- densities on a grid -------------------------------------------------------


def test_grid_kl_gaussians_closed_form():
    mu1, s1, mu2, s2 = 0.3, 1.0, -0.5, 1.7
    _, p, q, dx = gaussian_grid(mu1, s1, mu2, s2)
    exact = math.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5
    assert dv.kl(p, q, dx) == pytest.approx(exact, rel=1e-6)
    assert dv.reverse_kl(q, p, dx) == pytest.approx(exact, rel=1e-6)


def test_grid_w1_matches_scipy_and_closed_form():
    x, p, q, dx = gaussian_grid(0.0, 1.0, 2.5, 1.0)
    assert dv.w1(p, q, dx) == pytest.approx(wasserstein_distance(x, x, p, q), rel=1e-9)
    assert dv.w1(p, q, dx) == pytest.approx(2.5, rel=1e-3)  # equal shapes: W1 = shift


def test_grid_js_and_tv_of_far_apart_densities_saturate():
    _, p, q, dx = gaussian_grid(-6.0, 0.5, 6.0, 0.5)
    assert dv.js(p, q, dx) == pytest.approx(LOG2, rel=1e-6)
    assert dv.total_variation(p, q, dx) == pytest.approx(1.0, rel=1e-6)


def test_grid_tv_gaussians_closed_form():
    delta = 1.2  # two unit-variance Gaussians: TV = 2Φ(Δ/2) − 1
    _, p, q, dx = gaussian_grid(0.0, 1.0, delta, 1.0)
    assert dv.total_variation(p, q, dx) == pytest.approx(2 * norm.cdf(delta / 2) - 1, rel=1e-5)


def test_mass_is_checked():
    with pytest.raises(ValueError, match="total mass"):
        dv.kl([0.5, 0.4], [0.5, 0.5])
    x = np.linspace(-1, 1, 101)
    with pytest.raises(ValueError, match="widen the grid"):
        dv.js(norm.pdf(x), norm.pdf(x), x[1] - x[0])
    with pytest.raises(ValueError, match="same length"):
        dv.js([1.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="non-negative"):
        dv.js([1.5, -0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="not both"):
        dv.w1([1.0, 0.0], [0.0, 1.0], 1.0, support=[0.0, 1.0])


# --- optimal discriminator and the value of the game -------------------------


def test_optimal_discriminator_known_densities():
    x, p, q, _ = gaussian_grid(-1.0, 1.0, 1.0, 1.0, lo=-5, hi=5, n=11)
    d = dv.optimal_discriminator(p, q)
    # equal variances: D*(x) = σ(log p − log q) = σ(−2x)
    assert d == pytest.approx(1 / (1 + np.exp(2 * x)), rel=1e-9)
    assert dv.optimal_discriminator(np.ones(3), np.ones(3)) == pytest.approx(0.5)
    assert dv.optimal_discriminator([1.0, 0.0], [0.0, 2.0]).tolist() == [1.0, 0.0]


def test_optimal_discriminator_where_both_are_zero():
    d = dv.optimal_discriminator(np.array([0.0, 1.0, 0.0]), np.array([0.0, 1.0, 3.0]))
    assert d.tolist() == [0.5, 0.5, 0.0]
    t = dv.optimal_discriminator(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 2.0]))
    assert torch.equal(t, torch.tensor([0.5, 0.5]))


def test_optimal_discriminator_torch_is_differentiable():
    p = torch.tensor([0.2, 0.7], requires_grad=True)
    d = dv.optimal_discriminator(p, torch.tensor([0.6, 0.1]))
    d.sum().backward()
    assert torch.allclose(p.grad, torch.tensor([0.6 / 0.8**2, 0.1 / 0.8**2]))


@pytest.mark.parametrize("shift", [0.0, 0.5, 2.0, 8.0])
def test_value_at_optimum_is_two_js_minus_two_log2(shift):
    _, p, q, dx = gaussian_grid(0.0, 1.0, shift, 1.3, lo=-15.0, hi=25.0, n=8001)
    v_star = dv.gan_value(p, q, dv.optimal_discriminator(p, q), dx)
    assert v_star == pytest.approx(2 * dv.js(p, q, dx) - 2 * LOG2, abs=1e-10)
    # D* is the maximizer: any other discriminator does worse
    for other in (np.full_like(p, 0.5), np.clip(dv.optimal_discriminator(p, q) + 0.05, 0, 1)):
        assert dv.gan_value(p, q, other, dx) < v_star


def test_value_vectors_disjoint():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.0, 1.0])
    assert dv.gan_value(p, q, dv.optimal_discriminator(p, q)) == pytest.approx(0.0, abs=1e-12)  # 2 log 2 − 2 log 2
    assert dv.gan_value(p, q, np.full(3, 0.5)) == pytest.approx(-2 * LOG2)


# --- the parallel lines -------------------------------------------------------


def test_parallel_lines_scalar():
    out = dv.parallel_lines(0.7)
    assert out == {"js": pytest.approx(LOG2), "kl": math.inf, "tv": 1.0, "w1": pytest.approx(0.7)}
    assert all(isinstance(v, float) for v in out.values())
    assert dv.parallel_lines(0.0) == {"js": 0.0, "kl": 0.0, "tv": 0.0, "w1": 0.0}
    assert dv.parallel_lines(-2.0)["w1"] == 2.0


def test_parallel_lines_array():
    theta = np.linspace(-1, 1, 5)
    out = dv.parallel_lines(theta)
    assert out["w1"] == pytest.approx(np.abs(theta))
    assert out["js"] == pytest.approx([LOG2, LOG2, 0, LOG2, LOG2])
    assert out["kl"].tolist() == [math.inf, math.inf, 0, math.inf, math.inf]
    assert out["tv"].tolist() == [1, 1, 0, 1, 1]


def test_parallel_lines_agrees_with_discretized_lines():
    # Discretize the plane into columns of width h: P_0 sits in column 0, P_θ in column k.
    h, k = 0.25, 3
    p, q = np.zeros(8), np.zeros(8)
    p[0], q[k] = 1.0, 1.0
    ref = dv.parallel_lines(k * h)
    assert dv.js(p, q) == pytest.approx(ref["js"])
    assert dv.kl(p, q) == ref["kl"]
    assert dv.total_variation(p, q) == pytest.approx(ref["tv"])
    assert dv.w1(p, q, support=h * np.arange(8)) == pytest.approx(ref["w1"])


# --- divergences and losses -------------------------------------------------------


@pytest.mark.parametrize(
    "p_r,p_g", [([2.0], [-1.0]), ([float("nan")], [1.0]), ([1.0], [float("inf")]), ([-0.5, 1], [1, 1])]
)
def test_optimal_discriminator_rejects_negative_or_non_finite_densities(p_r, p_g):
    with pytest.raises(ValueError, match="finite and non-negative"):
        divergences.optimal_discriminator(p_r, p_g)
    with pytest.raises(ValueError, match="finite and non-negative"):
        divergences.optimal_discriminator(torch.tensor(p_r), torch.tensor(p_g))


def test_optimal_discriminator_checks_the_mass_on_a_grid():
    x = np.linspace(-5, 5, 1001)
    dx = x[1] - x[0]
    p = np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
    assert divergences.optimal_discriminator(p, p, dx=dx) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="total mass"):
        divergences.optimal_discriminator(3 * p, p, dx=dx)
    # without dx the values are densities at points: any positive scale is allowed
    assert divergences.optimal_discriminator([3.0, 0.0], [1.0, 0.0]).tolist() == [0.75, 0.5]


def test_divergence_helpers_reject_nan_and_mismatched_inputs():
    p = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match=r"d must .*\[0, 1\]"):
        divergences.gan_value(p, p, [0.5, float("nan")])
    with pytest.raises(ValueError, match="broadcast"):
        divergences.optimal_discriminator([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ValueError, match="theta"):
        divergences.parallel_lines(float("nan"))
    q = torch.tensor([0.25, 0.75], requires_grad=True)  # a tensor that requires grad is read, not refused
    assert divergences.kl(p, q) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3))
