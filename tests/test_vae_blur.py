"""The pieces of ``book/vae_blur.ipynb``: MMD, the high-frequency share, the MSE-optimal decoder,
code fitting, the autoencoder, its phases (WAE-GAN's too) and the ``blur-mnist`` recipe."""

import math

import pytest
import torch

from gencore import metrics, models
from gencore.latent import fit_codes, mse_optimal_decoder, posterior_responsibilities
from gencore.losses import mmd2, rbf_mmd2_gaussians
from gencore.train import train
from gencore.train.autoencoder import aegan_phases, autoencoder_phase, reconstruction_cost, wae_gan_phase


def test_mmd2_matches_the_gaussian_closed_form_and_is_unbiased():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3000, 3, generator=g)
    y = 0.5 + 1.5 * torch.randn(3000, 3, generator=g)
    ref = rbf_mmd2_gaussians(torch.zeros(3), 1.0, torch.full((3,), 0.5), 1.5, scale=6.0)
    assert mmd2(x, y, kernel="rbf", scales=[6.0]).item() == pytest.approx(ref, abs=0.01)
    # same law: the unbiased estimates average to 0 (each may be negative)
    same = [mmd2(torch.randn(200, 3, generator=g), torch.randn(200, 3, generator=g)).item() for _ in range(30)]
    assert abs(sum(same) / len(same)) < 0.01 and min(same) < 0


def test_mmd2_small_case_by_hand():
    x, y = torch.tensor([[0.0], [1.0]]), torch.tensor([[0.0], [2.0]])
    k = lambda a, b: math.exp(-((a - b) ** 2) / 2.0)  # noqa: E731
    by_hand = k(0, 1) + k(0, 2) - 0.5 * (k(0, 0) + k(0, 2) + k(1, 0) + k(1, 2))
    assert mmd2(x, y, kernel="rbf", scales=[2.0]).item() == pytest.approx(by_hand, abs=1e-6)


def test_mmd2_bad_input():
    with pytest.raises(ValueError, match="kernel must be"):
        mmd2(torch.zeros(3, 2), torch.zeros(3, 2), kernel="laplace")
    with pytest.raises(ValueError, match="n, m >= 2"):
        mmd2(torch.zeros(1, 2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="scales must be positive"):
        mmd2(torch.zeros(3, 2), torch.zeros(3, 2), scales=[0.0])


def test_high_frequency_share_white_noise_blur_and_constant():
    g = torch.Generator().manual_seed(0)
    noise = torch.rand(400, 1, 16, 16, generator=g) * 2 - 1
    f = torch.fft.fftfreq(16)
    expected = ((f[:, None] ** 2 + f[None] ** 2).sqrt() > 0.25).sum().item() / (16 * 16 - 1)
    assert metrics.high_frequency_share(noise).mean().item() == pytest.approx(expected, abs=0.01)
    blurred = torch.nn.functional.avg_pool2d(noise, 3, 1, 1)
    assert (metrics.high_frequency_share(blurred) < metrics.high_frequency_share(noise)).all()
    assert metrics.high_frequency_share(torch.zeros(2, 1, 8, 8)).tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="cutoff must be"):
        metrics.high_frequency_share(noise, cutoff=0.8)
    with pytest.raises(ValueError, match="NaN"):
        metrics.high_frequency_share(torch.full((1, 1, 4, 4), float("nan")))


def test_mse_optimal_decoder_averages_overlapping_posteriors_and_keeps_separate_ones():
    images = torch.stack([torch.full((1, 2, 2), -1.0), torch.full((1, 2, 2), 1.0)])
    mu = torch.tensor([[-1.0], [1.0]])
    z = torch.tensor([[-1.0], [0.0]])
    sharp = mse_optimal_decoder(z, mu, torch.full((2, 1), 0.01), images)
    assert torch.allclose(sharp[0], images[0]) and torch.allclose(sharp[1], torch.zeros(1, 2, 2), atol=1e-6)
    wide = posterior_responsibilities(z, mu, torch.full((2, 1), 100.0)).float()
    assert torch.allclose(wide, torch.full((2, 2), 0.5), atol=1e-3) and torch.allclose(wide.sum(1), torch.ones(2))
    with pytest.raises(ValueError, match="positive"):
        posterior_responsibilities(z, mu, torch.zeros(2, 1))


def test_fit_codes_recovers_a_code_through_a_linear_decoder():
    torch.manual_seed(0)
    dec = torch.nn.Linear(3, 8)
    target_z = torch.tensor([[0.5, -1.0, 2.0]])
    with torch.no_grad():
        target = dec(target_z).view(1, 1, 2, 4)
    z = fit_codes(lambda z: dec(z).view(-1, 1, 2, 4), target, 3, steps=500, lr=0.05)
    assert torch.allclose(dec(z), dec(target_z), atol=1e-2)
    assert dec.weight.grad is None


def test_autoencoder_shapes_and_errors():
    ae = models.build("autoencoder", {"latent_dim": 4, "hidden": [16], "image_shape": [1, 28, 28]})
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    assert ae.encode(x).shape == (3, 4) and ae(x).shape == x.shape and ae(x).abs().max() <= 1
    with pytest.raises(ValueError, match="expects images of shape"):
        ae.encode(torch.zeros(3, 784))
    with pytest.raises(ValueError, match="codes of shape"):
        ae.decode(torch.zeros(3, 5))
    assert reconstruction_cost(x, x).abs().max() == 0


def test_phases_lower_their_losses_and_aegan_leaves_the_autoencoder_alone():
    torch.manual_seed(0)
    ae = models.build("autoencoder", {"latent_dim": 2, "hidden": [32], "image_shape": [1, 4, 4]})
    x = torch.rand(64, 1, 4, 4) * 2 - 1
    batches = iter(lambda: (x,), None)
    opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
    h = train([autoencoder_phase(ae, opt, mmd_weight=1.0)], batches, 200, progress=False)
    assert h.losses["recon"][-1] < h.losses["recon"][0] and "mmd2" in h.losses
    g1 = models.build("mlp-generator", {"latent_dim": 2, "hidden": 16, "depth": 1, "out_dim": 2})
    d1 = models.build("mlp-discriminator", {"in_dim": 2, "hidden": 16, "depth": 1})
    d2 = models.build("mlp-discriminator", {"in_dim": 16, "hidden": 16, "depth": 1})
    before = {k: v.clone() for k, v in ae.state_dict().items()}
    opt_g = torch.optim.Adam(g1.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam([*d1.parameters(), *d2.parameters()], lr=1e-3)
    h = train(aegan_phases(ae, g1, d1, d2, opt_g, opt_d), batches, 5, progress=False)
    assert {"d1_loss", "d2_loss", "g1_code", "g1_image"} <= set(h.losses)
    assert all(torch.equal(before[k], v) for k, v in ae.state_dict().items())
    with pytest.raises(ValueError, match="mmd_weight"):
        autoencoder_phase(ae, opt, mmd_weight=-1.0)


def test_wae_gan_pulls_the_codes_to_the_prior_until_its_adversary_cannot_tell():
    torch.manual_seed(0)
    ae = models.build("autoencoder", {"latent_dim": 2, "hidden": [32], "image_shape": [1, 4, 4]})
    d_z = models.build("mlp-discriminator", {"in_dim": 2, "hidden": 16, "depth": 1})
    with torch.no_grad():
        ae.encoder[-1].bias += 3.0  # codes start far from N(0, I): easy for D_Z
    x = torch.rand(64, 1, 4, 4) * 2 - 1
    prior = torch.randn(64, 2)
    with torch.no_grad():
        before = mmd2(ae.encode(x), prior).item()
    opt_ae = torch.optim.Adam(ae.parameters(), lr=1e-2)
    opt_d = torch.optim.Adam(d_z.parameters(), lr=1e-2, betas=(0.5, 0.999))
    h = train([wae_gan_phase(ae, d_z, opt_ae, opt_d)], iter(lambda: (x,), None), 150, progress=False)
    with torch.no_grad():
        codes = ae.encode(x)
    assert codes.shape == (64, 2) and {"recon", "adversary", "d_z_loss", "d_z_acc"} <= set(h.losses)
    acc = h.losses["d_z_acc"]
    # measured: MMD² 7.0 -> -0.01; D_Z's accuracy 0.84 over the first 10 steps, 0.47 over the last 30
    assert sum(acc[:10]) / 10 > 0.75 and sum(acc[-30:]) / 30 < 0.65
    assert mmd2(codes, prior).item() < before / 20 and h.losses["recon"][-1] < h.losses["recon"][0]
    with pytest.raises(ValueError, match="gan_weight must be > 0"):
        wae_gan_phase(ae, d_z, opt_ae, opt_d, gan_weight=0.0)
    wide = models.build("mlp-discriminator", {"in_dim": 3, "hidden": 16, "depth": 1})
    with pytest.raises(ValueError, match="codes have dimension 2; build D_Z with in_dim=2"):
        wae_gan_phase(ae, wide, opt_ae, opt_d)


def test_recipe_trains_every_model_and_samples():
    from gencore import recipes
    from gencore.recipes import blur_mnist

    run = recipes.train_recipe("blur-mnist", steps=2, gan_steps=2, hidden=[16], gan_hidden=8, progress=False)
    assert run.history.completed_steps == 12 and {f"cpu_s/{m}" for m in blur_mnist.MODELS} <= set(run.history.evals)
    assert "wae_gan/d_z_acc" in run.history.losses and set(run.parts) >= {"wae_gan", "d_z"}
    for m in blur_mnist.MODELS:
        s = blur_mnist.sample(run.parts, m, 5, seed=1)
        assert s.shape == (5, 1, 28, 28) and torch.equal(s, blur_mnist.sample(run.parts, m, 5, seed=1))
    with pytest.raises(ValueError, match="unknown model"):
        blur_mnist.sample(run.parts, "gan", 5)


def test_the_ordering_benchmark_runs_on_a_tiny_recipe(tmp_path):
    import json

    from gencore.bench import blur

    tiny = {"steps": 2, "gan_steps": 2, "hidden": [16], "gan_hidden": 8}
    out = blur.blur_ordering(seeds=[0], overrides=tiny, out_dir=str(tmp_path), sample_seeds=[0, 1])
    row = out["runs"]["0"]
    assert set(row["equal_steps"]["fid"]) == {"ae", "vae", "wae", "wae_gan", "aegan"}
    assert all(len(f) == 2 for f in row["equal_steps"]["fid"].values())
    assert set(row["equal_cpu"]["fid"]) == {"vae", "wae", "wae_gan", "aegan"}
    # the extended models trained at least their recipe steps, for about AEGAN's CPU seconds
    assert all(row["equal_cpu"]["steps"][m] >= 2 for m in ("vae", "wae", "wae_gan"))
    assert isinstance(out["ordered_all_equal_steps"], bool) and isinstance(out["ordered_all_equal_cpu"], bool)
    assert json.loads((tmp_path / "blur_ordering_results.json").read_text())["runs"]["0"] == row


def test_the_equal_cpu_benchmark_adds_a_row_next_to_the_shipped_ones(tmp_path):
    import json

    from gencore.bench import blur

    out = blur.blur_equal_cpu(models=("wae_gan",), out_dir=str(tmp_path), budget_s=0.5)
    row = json.loads((tmp_path / "blur_equal_cpu.json").read_text())["wae_gan"]
    assert row == out["wae_gan"] and row["steps"] >= 1 and len(row["fid"]) == 5
    assert {"vae", "wae"} <= set(out)  # the shipped rows are kept
