"""OT solvers, AE-OT and the intrinsic-dimension estimators refuse bad input instead of answering wrongly."""

import math

import pytest
import torch

from gencore import ot


def _targets(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return 1.6 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 0.8


SOLVERS = {
    "solve": lambda y, nu=None, **kw: ot.solve(y, nu, max_iter=kw.pop("max_iter", 50), check=2000, batch=500, **kw),
    "solve_exact": lambda y, nu=None, **kw: ot.solve_exact(y, nu, **kw),
}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("n", [3, 5])
def test_solvers_refuse_duplicate_targets(solver, n):
    y = _targets(n)
    y[2] = y[0]
    with pytest.raises(ValueError, match="duplicate points \\(rows 0 and 2"):
        SOLVERS[solver](y)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_solvers_refuse_non_finite_targets(solver, value):
    y = _targets()
    y[1, 0] = value
    with pytest.raises(ValueError, match="NaN or infinite"):
        SOLVERS[solver](y)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    "nu, message",
    [
        ([0.25] * 6, "sum to 1"),
        ([0.5, -0.1, 0.15, 0.15, 0.15, 0.15], "positive"),
        ([0.0, 0.2, 0.2, 0.2, 0.2, 0.2], "positive"),
        ([math.nan, 0.2, 0.2, 0.2, 0.2, 0.2], "NaN"),
        ([0.5, 0.5], r"shape \(6,\)"),
    ],
)
def test_solvers_refuse_bad_weights(solver, nu, message):
    with pytest.raises(ValueError, match=message):
        SOLVERS[solver](_targets(), torch.tensor(nu, dtype=torch.float64))


@pytest.mark.parametrize("solver", SOLVERS)
def test_solvers_refuse_zero_targets(solver):
    with pytest.raises(ValueError, match="non-empty"):
        SOLVERS[solver](torch.zeros(0, 2, dtype=torch.float64))


@pytest.mark.parametrize(
    "option",
    [{"batch": 0}, {"check": 0}, {"check_every": 0}, {"max_iter": -1}, {"tol": 0}, {"lr": math.nan}, {"batch": 2.5}],
)
def test_solve_refuses_bad_options(option):
    with pytest.raises(ValueError, match=next(iter(option))):
        ot.solve(_targets(), **option)


@pytest.mark.parametrize("option", [{"max_iter": -1}, {"tol": -1.0}])
def test_solve_exact_refuses_bad_options(option):
    with pytest.raises(ValueError, match=next(iter(option))):
        ot.solve_exact(_targets(), **option)


def test_solvers_still_converge_on_valid_input():
    y = _targets(12)
    assert ot.solve_exact(y).converged
    assert ot.solve(y, tol=0.1, seed=0).converged


@pytest.mark.parametrize(
    "codes, message",
    [
        (torch.ones(1, 3), "at least 2"),
        (torch.ones(5, 3), "duplicate"),
        (torch.tensor([[0.0, 1.0], [1.0, math.inf], [2.0, 0.5]]), "NaN or infinite"),
        (torch.zeros(0, 2), "non-empty"),
    ],
)
def test_fit_aeot_refuses_bad_codes(codes, message):
    with pytest.raises(ValueError, match=message):
        ot.fit_aeot(codes)


@pytest.mark.parametrize(
    "x, k, message",
    [(torch.randn(5, 3), 5, "k must be"), (torch.randn(5, 3), 0, "k must be"), (torch.randn(5), 2, "shape")],
)
def test_neighbour_distances_refuse_bad_k(x, k, message):
    with pytest.raises(ValueError, match=message):
        ot.neighbour_distances(x, k)


def test_dimension_estimators_refuse_degenerate_clouds():
    same = ot.neighbour_distances(torch.zeros(10, 3), 3)
    for estimate in (ot.twonn_dimension, ot.levina_bickel_dimension):
        with pytest.raises(ValueError, match="only 0 of 10 points"):
            estimate(same)
    with pytest.raises(ValueError, match="k ≥ 2"):
        ot.levina_bickel_dimension(ot.neighbour_distances(torch.randn(10, 3), 1))
    angle = torch.arange(20) * 2 * math.pi / 20
    ring = torch.stack([angle.cos(), angle.sin()], 1)  # a regular polygon: both neighbours equally far
    near = ot.neighbour_distances(ring, 2)
    with pytest.raises(ValueError, match="degenerate"):
        ot.twonn_dimension(near)
    line = ot.neighbour_distances(torch.rand(500, 1, generator=torch.Generator().manual_seed(0)) * torch.ones(1, 3), 5)
    assert 0.7 < ot.twonn_dimension(line) < 1.3 and 0.7 < ot.levina_bickel_dimension(line) < 1.3


def test_pca_spectrum_and_solve_seed_are_checked():
    with pytest.raises(ValueError, match="at least 2 finite points"):
        ot.pca_spectrum(torch.rand(1, 3))
    with pytest.raises(ValueError, match="all points of x are equal"):
        ot.pca_spectrum(torch.ones(5, 3))
    with pytest.raises(ValueError, match="seed must be"):
        ot.solve(_targets(), seed=-1)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ot.box_grid((-1, 1, -1, 1), -1), "resolution must be a positive integer"),
        (lambda: ot.box_grid((1, -1, -1, 1), 4), "x0 < x1"),
        (lambda: ot.relu_mlp([]), "at least one hidden width"),
        (lambda: ot.relu_mlp([0]), "positive integer"),
        (lambda: ot.two_spirals(-1), "n must be a positive integer"),
        (lambda: ot.two_spirals(10, noise=math.nan), "noise"),
        (lambda: ot.sample_source("uniform", -1, 2, torch.Generator()), "n must be"),
        (lambda: ot.mixture_codes([[0.0, 0.0]], math.nan, 5, 0), "std"),
    ],
)
def test_region_and_sampling_helpers_check_their_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
