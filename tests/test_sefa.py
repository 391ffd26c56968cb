import numpy as np
import pytest
import torch

from gencore import sefa


def _weights(seed=0):
    g = torch.Generator().manual_seed(seed)
    # three layers' affine maps from a 16-d latent code, with very different scales
    return [torch.randn(24, 16, generator=g) * s for s in (0.1, 1.0, 5.0)]


def test_directions_are_orthonormal_and_sorted():
    values, directions = sefa.factorize(_weights())
    assert values.shape == (16,) and directions.shape == (16, 16)
    assert torch.allclose(directions @ directions.T, torch.eye(16, dtype=torch.float64), atol=1e-10)
    assert torch.all(values[:-1] >= values[1:])


def test_matches_numpy_svd_of_the_row_normalized_stack():
    weights = _weights(1)
    a = np.concatenate([w.numpy().astype(np.float64) for w in weights])
    a /= np.linalg.norm(a, axis=1, keepdims=True)  # the official code's normalization
    _, s, vt = np.linalg.svd(a)
    values, directions = sefa.factorize(weights)
    np.testing.assert_allclose(values.numpy(), s**2, rtol=1e-9)
    # the top direction maximizes ||A n|| over unit n: it is the top right singular vector (up to sign)
    assert abs(float(directions[0].numpy() @ vt[0])) == pytest.approx(1.0, abs=1e-9)
    assert np.linalg.norm(a @ directions[0].numpy()) == pytest.approx(s[0], rel=1e-9)


def test_top_k_objective_is_the_sum_of_the_top_k_eigenvalues_and_beats_other_frames():
    weights = _weights(2)
    values, directions = sefa.factorize(weights)
    for k in (1, 3, 5):
        assert sefa.objective(weights, directions[:k]) == pytest.approx(float(values[:k].sum()), rel=1e-9)
    g = torch.Generator().manual_seed(0)
    for _ in range(20):  # any other orthonormal k-frame does worse
        q, _ = torch.linalg.qr(torch.randn(16, 5, generator=g, dtype=torch.float64))
        assert sefa.objective(weights, q.T) <= float(values[:5].sum()) + 1e-9


def test_normalization_removes_each_layers_scale():
    weights = _weights(3)
    scaled = [w * 100.0 for w in weights]
    v1, d1 = sefa.factorize(weights)
    v2, d2 = sefa.factorize(scaled)
    assert torch.allclose(v1, v2) and torch.allclose(d1, d2, atol=1e-5)  # float32 rounding of w * 100
    raw, _ = sefa.factorize(weights, normalize=False)
    assert raw[0] > 100 * v1[0]  # without it, the 5x layer dominates


def test_accepts_linear_layers_weights_and_a_single_tensor():
    layer = torch.nn.Linear(8, 12)
    values, directions = sefa.factorize([layer.weight])
    assert directions.shape == (8, 8) and not directions.requires_grad
    values1, _ = sefa.factorize(layer.weight)
    assert torch.equal(values, values1)


def test_bad_input_says_what_to_pass():
    with pytest.raises(ValueError, match="at least one"):
        sefa.factorize([])
    with pytest.raises(ValueError, match=r"shape \(out, in\)"):
        sefa.factorize([torch.randn(2, 3, 4)])
    with pytest.raises(ValueError, match="must share"):
        sefa.factorize([torch.randn(4, 3), torch.randn(4, 5)])
    with pytest.raises(ValueError, match="all zeros"):
        sefa.factorize([torch.zeros(2, 3)])
    with pytest.raises(ValueError, match="NaN"):
        sefa.factorize([torch.full((2, 3), float("nan"))])


def test_edits_move_only_the_chosen_layers_and_baselines_are_orthonormal():
    from gencore.models.regressor import FactorRegressor
    from gencore.models.stylegan import StyleGANConfig, StyleGenerator

    g = StyleGenerator(StyleGANConfig(z_dim=8, w_dim=8, mapping_layers=2, channels=(8, 8, 4, 4)))
    w = torch.randn(3, 8)
    n = sefa.random_directions(1, 8)[0].float()
    ws = sefa.edit_styles(g, w, n, torch.tensor([1.0, 2.0, -1.0]), layers=[0, 1])
    assert torch.allclose(ws[:, 0] - w, torch.tensor([1.0, 2.0, -1.0])[:, None] * n)
    assert torch.equal(ws[:, 2:], g.broadcast(w)[:, 2:])
    values, directions = sefa.pca_directions(g, n=500)
    assert torch.allclose(directions @ directions.T, torch.eye(8, dtype=torch.float64), atol=1e-10)
    wn = g.mapping(torch.randn(500, 8, generator=torch.Generator().manual_seed(0))).detach().double().numpy()
    np.testing.assert_allclose(values.numpy(), np.sort(np.linalg.eigvalsh(np.cov(wn.T)))[::-1], rtol=1e-6)
    changes = sefa.factor_changes(g, FactorRegressor(width=4), directions[0].float(), n=8)
    assert set(changes) == {"hue", "x", "y", "scale", "rotation", "background", "shape"}
    assert all(0.0 <= v <= 1.0 + 1e-6 or k not in ("hue", "shape") for k, v in changes.items())


def test_exclusivity_is_the_top_factors_share():
    assert sefa.exclusivity({"hue": 0.3, "x": 0.1, "y": 0.0}) == ("hue", pytest.approx(0.75))
    assert sefa.exclusivity({"hue": 0.0, "x": 0.0}) == ("hue", 0.0)


def test_a_circles_rotation_reading_does_not_count_as_change():
    from gencore.data.shapes import FACTORS
    from gencore.models.stylegan import StyleGANConfig, StyleGenerator

    g = StyleGenerator(StyleGANConfig(z_dim=8, w_dim=8, mapping_layers=2, channels=(8, 8, 4, 4)))
    circle_first = torch.tensor([0, 0, 1, 2])  # the shapes it reads: two circles, a square, a triangle

    class Reader(torch.nn.Module):
        """Reads every factor as 0 except rotation, a different random value for every image."""

        def factors(self, images):
            f = torch.zeros(len(images), len(FACTORS))
            f[:, FACTORS.index("rotation")] = torch.rand(len(images)) * 60 - 30
            return f

        def forward(self, images):
            logits = torch.nn.functional.one_hot(circle_first, 3).float()
            return None, logits

    n = sefa.random_directions(1, 8)[0].float()
    g.eval()
    changes = sefa.factor_changes(g, Reader(), n, n=4)
    assert changes["shape"] == 0.0 and changes["hue"] == 0.0
    assert 0.0 < changes["rotation"] <= 1.0  # from the square and the triangle only

    class Circles(Reader):
        def forward(self, images):
            return None, torch.nn.functional.one_hot(torch.zeros(len(images), dtype=torch.long), 3).float()

    assert sefa.factor_changes(g, Circles(), n, n=4)["rotation"] == 0.0


def test_any_basis_of_the_top_k_eigenspace_is_optimal_and_tilting_out_of_it_costs_the_eigengap():
    weights = _weights(4)
    values, directions = sefa.factorize(weights)
    lam = np.sort(np.linalg.eigvalsh((sefa.stack_weights(weights).T @ sefa.stack_weights(weights)).numpy()))[::-1]
    g = torch.Generator().manual_seed(1)
    for k in (1, 3, 5):
        best = sefa.objective(weights, directions[:k])
        assert best == pytest.approx(lam[:k].sum(), rel=1e-9)
        r, _ = torch.linalg.qr(torch.randn(k, k, generator=g, dtype=torch.float64))
        assert sefa.objective(weights, r @ directions[:k]) == pytest.approx(best, rel=1e-9)
        for theta in (0.1, 0.7):
            tilted = directions[:k].clone()
            tilted[-1] = np.cos(theta) * directions[k - 1] + np.sin(theta) * directions[k]
            drop = best - sefa.objective(weights, tilted)
            assert drop == pytest.approx(np.sin(theta) ** 2 * (lam[k - 1] - lam[k]), rel=1e-7, abs=1e-9)


def test_objective_requires_orthonormal_directions_unless_told_otherwise():
    weights = _weights(5)
    _, directions = sefa.factorize(weights)
    copies = directions[:1].repeat(3, 1)
    with pytest.raises(ValueError, match="orthonormal"):
        sefa.objective(weights, copies)
    # under unit norms alone, three copies of the top direction beat the top-3 eigenvectors
    assert sefa.objective(weights, copies, orthonormal=False) > sefa.objective(weights, directions[:3])


def test_a_single_factor_edit_of_real_shapes_moves_that_factor_and_scores_the_ceiling():
    from gencore import pretrained
    from gencore.data.shapes import FACTORS

    reg = pretrained.load("shapes-regressor").eval()
    for factor in ("hue", "x", "background"):
        changes = sefa.single_factor_changes(reg, factor, n=40)
        top, share = sefa.exclusivity(changes)
        assert top == factor and share > 0.75
        # the edit's size is half the factor's range (hue: half of its span, half a turn)
        assert changes[factor] == pytest.approx(0.5, abs=0.1)
        assert changes["shape"] < 0.01
        assert set(changes) == {*FACTORS, "shape"}


def test_a_single_factor_edit_refuses_an_unknown_factor_or_size():
    with pytest.raises(ValueError, match="factor must be one of"):
        sefa.single_factor_changes(None, "colour")
    for bad in (0, 1.5, True, "half"):
        with pytest.raises(ValueError, match="fraction must be"):
            sefa.single_factor_changes(None, "x", fraction=bad)
