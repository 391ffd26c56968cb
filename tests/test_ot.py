"""gencore.ot: linear regions against a known arrangement, semi-discrete OT against POT, AE-OT coverage."""

import math

import numpy as np
import ot as pot
import pytest
import torch
from torch import nn

from gencore import data, metrics
from gencore import ot as got


def tangent_lines_net(k: int) -> nn.Sequential:
    """One hidden layer whose k units switch on the tangents of the unit circle at angles 2πi/k.

    For odd k no two are parallel and no three meet.
    """
    net = nn.Sequential(nn.Linear(2, k), nn.ReLU(), nn.Linear(k, 1)).double()
    a = torch.arange(k, dtype=torch.float64) * 2 * math.pi / k
    with torch.no_grad():
        net[0].weight.copy_(torch.stack([a.cos(), a.sin()], 1))
        net[0].bias.fill_(-1.0)
    return net


@pytest.mark.parametrize("k", [3, 5, 7])
def test_linear_regions_of_a_line_arrangement(k):
    # tangents at angles 2πi/k meet at most 1/cos(π(k−1)/(2k)) from the origin: the box holds every crossing
    reach = 1 / math.cos(math.pi * (k - 1) / (2 * k))
    b = 1.2 * reach
    count, labels = got.linear_regions(tangent_lines_net(k), box=(-b, b, -b, b), resolution=1200)
    assert count == got.arrangement_regions(k) == 1 + k + k * (k - 1) // 2
    assert labels.shape == (1200, 1200)


def test_region_bounds():
    assert got.region_upper_bound([5]) == got.arrangement_regions(5) == 16
    assert got.region_upper_bound([4, 4]) == 11 * 11
    assert got.region_lower_bound([4, 4]) == 4 * 11
    # a random net never beats the bound
    torch.manual_seed(0)
    net = got.relu_mlp([8, 8])
    count, _ = got.linear_regions(net, box=(-3, 3, -3, 3), resolution=300)
    assert count <= got.region_upper_bound([8, 8])


def test_exact_solver_masses_and_monte_carlo_check():
    g = torch.Generator().manual_seed(0)
    y = 1.6 * torch.rand(20, 2, generator=g, dtype=torch.float64) - 0.8
    nu = torch.rand(20, generator=g, dtype=torch.float64) + 0.5
    nu = nu / nu.sum()
    res = got.solve_exact(y, nu, tol=1e-9)
    assert res.converged and res.iterations <= 20
    areas, _ = got.power_cells(y, res.potential.h)
    np.testing.assert_allclose(areas / 4, nu.numpy(), rtol=1e-8)
    # every cell's Monte Carlo mass is within 5 standard errors of its target (400k uniform points)
    x = got.sample_source("uniform", 400_000, 2, g)
    rel = res.mass_errors(x).abs()
    assert (rel < 5 * torch.sqrt((1 - nu) / (nu * len(x)))).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_transport_cost_matches_pot_emd2(seed):
    g = torch.Generator().manual_seed(seed)
    y = 1.6 * torch.rand(50, 2, generator=g, dtype=torch.float64) - 0.8
    res = got.solve_exact(y, tol=1e-8)
    x = got.sample_source("uniform", 4000, 2, g)
    exact = pot.emd2(np.full(4000, 1 / 4000), np.full(50, 1 / 50), pot.dist(x.numpy(), y.numpy()))
    # the semi-discrete map is optimal for μ, the discrete plan for the 4,000 points: they agree within 3 %
    assert abs(res.cost(x) - exact) / exact < 0.03


def test_adam_monte_carlo_solver_gaussian_source():
    g = torch.Generator().manual_seed(1)
    y = torch.randn(10, 2, generator=g, dtype=torch.float64)
    res = got.solve(y, source="gaussian", tol=0.05, check=200_000, seed=0)
    assert res.converged
    assert res.history[-1]["max_error"] < 0.05
    assert [r["iteration"] for r in res.history] == sorted(r["iteration"] for r in res.history)
    x = got.sample_source("gaussian", 200_000, 2, g)  # a fresh sample: the check was not overfitted
    assert res.mass_errors(x).abs().max() < 0.08


def test_transport_map_is_the_argmax_cell():
    y = torch.tensor([[0.5, 0.0], [-0.5, 0.0]], dtype=torch.float64)
    pot_ = got.BrenierPotential(y, torch.zeros(2, dtype=torch.float64))
    x = torch.tensor([[0.3, 0.9], [-0.2, -0.4]], dtype=torch.float64)
    assert torch.equal(pot_.transport(x), y[[0, 1]])
    assert torch.allclose(pot_(x), torch.tensor([0.15, 0.1], dtype=torch.float64))


def test_facet_angles():
    y = torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    ang = got.facet_angles(y, torch.tensor([0, 0]), torch.tensor([0, 1]))
    assert ang[0] == 0 and abs(float(ang[1]) - math.pi / 4) < 1e-12


def test_aeot_covers_every_mode_of_grid25_without_copying_its_codes():
    codes = data.toy2d("grid25", 1000, seed=0)
    means, std = data.mixture("grid25")
    model = got.fit_aeot(codes)
    z, rejected = got.aeot_sample(model, 2500, seed=0)
    cov = metrics.mode_coverage(z, means, std)
    assert z.shape == (2500, 2) and rejected < 0.4  # the singular simplices between modes
    assert cov["modes"] == 25 and cov["hq"] >= 0.99 and 0.7 <= cov["spread"] <= 1.0
    copies = metrics.copy_shares(z, codes, std)
    fresh = metrics.copy_shares(data.toy2d("grid25", 2500, seed=1), codes, std)
    assert copies["copies_exact"] == 0 and copies["copies_near"] < 5 * fresh["copies_near"]
    # the codes themselves, a sampler that copies, score as copies
    assert metrics.copy_shares(codes, codes, std)["copies_exact"] == 1


def test_piecewise_linear_extension_is_barycentric_and_hits_each_code_at_its_mass_centre():
    g = torch.Generator().manual_seed(3)
    codes = torch.rand(60, 2, generator=g) * 2 - 1  # one connected mode: nothing singular
    model = got.fit_aeot(codes)
    ext = got.piecewise_linear_extension(model)
    assert not ext.singular.any()
    centres = ext.centres
    assert (model.ot.potential.cells(centres) == torch.arange(60)).all()  # cells are convex
    # G sends each mass centre inside the hull to its own code ...
    z, keep = got.extend(model, ext, centres)
    assert keep.sum() >= 20
    assert torch.allclose(z, model.ot.potential.targets[keep], atol=1e-9)
    # ... and is affine inside a simplex: the map of a mean is the mean of the maps
    tri = ext.triangulation
    corners = torch.from_numpy(tri.points[tri.simplices[0]])  # (3, 2)
    a, b = 0.6 * corners[0] + 0.2 * corners[1] + 0.2 * corners[2], corners.mean(0)
    (za, zb, zm), _ = got.extend(model, ext, torch.stack([a, b, (a + b) / 2]))
    assert torch.allclose(zm, (za + zb) / 2, atol=1e-9)
    assert got.aeot_sample(model, 500, seed=0, extension=ext)[0].shape == (500, 2)


def test_aeot_sample_rejects_bad_n_and_says_when_it_cannot_fill_the_request():
    model = got.fit_aeot(data.toy2d("ring8", 200, seed=0))
    with pytest.raises(ValueError, match="positive integer"):
        got.aeot_sample(model, 0)
    with pytest.raises(ValueError, match="positive integer"):
        got.aeot_sample(model, -3)
    with pytest.raises(RuntimeError, match="singular"):
        got.aeot_sample(model, 500, stretch=1.0001, max_rounds=1)


def test_intrinsic_dimension_of_a_curved_3d_set_in_10d():
    g = torch.Generator().manual_seed(0)
    t = torch.rand(4000, 3, generator=g)
    x = torch.cat([t, torch.sin(3 * t), t[:, :1] * t[:, 1:]], 1)  # a 3-D graph in ℝ^8
    x = x @ torch.linalg.qr(torch.randn(8, 10, generator=g).T)[0].T  # rotated into ℝ^10
    near = got.neighbour_distances(x, 20)
    assert abs(got.twonn_dimension(near) - 3) < 0.3
    assert abs(got.levina_bickel_dimension(near) - 3) < 0.3
    shares = got.pca_spectrum(x)
    assert shares.shape == (10,) and abs(shares.sum() - 1) < 1e-9 and shares[8:].sum() < 1e-9


def test_two_spirals_and_a_classifier_fit():
    x, y = got.two_spirals(200, seed=0)
    assert x.shape == (200, 2) and set(y.tolist()) == {0, 1} and x.abs().max() < 1.3
    net, acc = got.fit_relu_classifier([16], x, y, steps=50, seed=0)
    assert 0 <= acc <= 1 and net(x).shape == (200, 2)


def test_exact_newton_decreases_the_mass_error_at_every_step():
    g = torch.Generator().manual_seed(5)
    y = 1.8 * torch.rand(40, 2, generator=g, dtype=torch.float64) - 0.9
    nu = torch.rand(40, generator=g, dtype=torch.float64) + 0.2
    nu = nu / nu.sum()
    fit = got.solve_exact(y, nu, tol=1e-9)
    errors = [np.linalg.norm(got.power_cells(y, r["h"])[0] / 4 - nu.numpy()) for r in fit.history]
    assert fit.converged and all(b <= a for a, b in zip(errors, errors[1:]))


def test_a_newton_step_needs_both_mass_in_every_cell_and_enough_decrease():
    nu = np.full(4, 0.25)
    w = np.array([0.4, 0.2, 0.2, 0.2])  # error ‖w − ν‖ = 0.173
    assert got.newton_step_accepted(w, np.array([0.28, 0.24, 0.24, 0.24]), nu, floor=0.05, t=1.0)
    # every cell keeps mass, but the error falls only by 10 %: a full step must halve it
    slow = nu + 0.9 * (w - nu)
    assert not got.newton_step_accepted(w, slow, nu, floor=0.05, t=1.0)
    assert got.newton_step_accepted(w, slow, nu, floor=0.05, t=0.125)  # (1 − t/2) = 0.9375 ≥ 0.9
    # the error falls, but a cell loses its mass
    assert not got.newton_step_accepted(w, np.array([0.26, 0.26, 0.44, 0.04]), nu, 0.05, 1.0)


def test_the_extension_refuses_what_it_cannot_triangulate():
    line = torch.stack([torch.linspace(-0.9, 0.9, 30), torch.zeros(30)], 1)
    with pytest.raises(ValueError, match="d = 2, 3 or 4"):
        got.piecewise_linear_extension(got.fit_aeot(line[:, :1].repeat(1, 1) * 1.0, max_iter=200))
    with pytest.raises(ValueError, match="at least"):
        got.piecewise_linear_extension(got.fit_aeot(torch.tensor([[0.1, 0.2], [0.5, -0.3], [-0.4, 0.4]])))
    assert got.aeot_sample(got.fit_aeot(data.toy2d("ring8", 200, seed=0)), np.int64(50))[0].shape == (50, 2)


def test_solve_exact_raises_when_no_damped_step_passes_the_decrease_test(monkeypatch):
    from gencore.ot import semidiscrete

    monkeypatch.setattr(semidiscrete, "newton_step_accepted", lambda *args: False)
    targets = torch.tensor([[-0.5, -0.5], [0.5, 0.2], [0.1, 0.6]])
    with pytest.raises(FloatingPointError, match="no Newton step of size down to 1e-6"):
        semidiscrete.solve_exact(targets, tol=1e-9)
