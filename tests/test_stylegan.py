import pytest
import torch
import torch.nn.functional as F

from gencore import losses, models, sefa
from gencore.models.stylegan import (
    ModulatedConv2d,
    StyleDiscriminator,
    StyleGANConfig,
    StyleGenerator,
    demodulation,
    minibatch_std,
)
from gencore.train.stylegan import mix_styles

SMALL = StyleGANConfig(z_dim=8, w_dim=8, mapping_layers=2, channels=(8, 8, 4, 4))


def test_shapes_and_the_number_of_styles():
    g, d = StyleGenerator(SMALL), StyleDiscriminator(SMALL)
    x = g(torch.randn(4, 8))
    assert x.shape == (4, 3, 32, 32) and d(x).shape == (4,)
    assert SMALL.num_ws == 8 and len(g.synthesis.layer_names()) == 8
    assert g.synthesis.layer_names()[0] == "4x4 conv" and g.synthesis.layer_names()[-1] == "32x32 toRGB"
    assert [w.shape for w in g.style_weights()] == [(8, 8)] * 4 + [(4, 8)] * 4  # (in_channels, w_dim)


def test_synthesis_returns_the_partial_sums_of_its_skips():
    g = StyleGenerator(SMALL)
    ws = g.broadcast(g.mapping(torch.randn(2, 8)))
    image, partials = g.synthesis(ws, noise_mode="const", return_partials=True)
    assert [p.shape[-1] for p in partials] == [4, 8, 16, 32]
    assert torch.equal(partials[-1], image) and torch.equal(image, g.synthesis(ws, noise_mode="const"))


def test_demodulated_weights_have_unit_norm_per_output_channel_and_match_the_fused_convolution():
    torch.manual_seed(0)
    conv = ModulatedConv2d(5, 7, w_dim=6)
    x, w = torch.randn(3, 5, 6, 6), torch.randn(3, 6)
    styles = conv.affine(w)
    weight = conv.weight * conv.weight_gain
    # the papers' form: w' = s_i w_oik, w'' = w' / sqrt(sum_ik w'^2 + eps), one conv per example
    w1 = weight[None] * styles[:, None, :, None, None]
    w2 = w1 / (w1.pow(2).sum(dim=(2, 3, 4), keepdim=True) + 1e-8).sqrt()
    assert torch.allclose(w2.pow(2).sum(dim=(2, 3, 4)), torch.ones(3, 7), atol=1e-6)
    fused = torch.stack([F.conv2d(x[i : i + 1], w2[i], padding=1)[0] for i in range(3)])
    assert torch.allclose(conv(x, w), fused, atol=1e-5)
    assert torch.allclose(demodulation(weight, styles), w1.pow(2).sum(dim=(2, 3, 4)).add(1e-8).rsqrt(), rtol=1e-5)


def test_truncation_and_the_running_average_of_w():
    torch.manual_seed(1)
    g = StyleGenerator(SMALL)
    z = torch.randn(16, 8)
    w = g.mapping(z, update_w_avg=True)
    assert torch.allclose(g.mapping.w_avg, (1 - 0.995) * w.mean(0), atol=1e-7)  # from zero, one update
    assert torch.allclose(g.mapping(z, psi=0.0), g.mapping.w_avg.expand(16, -1))
    half = g.mapping(z, psi=0.5)
    assert torch.allclose(half, g.mapping.w_avg + 0.5 * (g.mapping(z) - g.mapping.w_avg), atol=1e-6)


def test_noise_inputs_start_silent_and_each_mode_does_what_it_says():
    torch.manual_seed(2)
    g = StyleGenerator(SMALL)
    z = torch.randn(2, 8)
    assert torch.equal(g(z, noise_mode="random"), g(z, noise_mode="none"))  # strengths start at 0
    for layer in g.synthesis.layers:
        layer.noise_strength.data.fill_(0.5)
    assert not torch.allclose(g(z, noise_mode="random"), g(z, noise_mode="random"))
    assert torch.equal(g(z, noise_mode="const"), g(z, noise_mode="const"))
    assert not torch.allclose(g(z, noise_mode="const"), g(z, noise_mode="none"))
    with pytest.raises(ValueError, match="noise_mode must be"):
        g(z, noise_mode="off")


def test_style_mixing_switches_to_the_second_code_after_one_random_layer():
    torch.manual_seed(3)
    g = StyleGenerator(SMALL)
    z = torch.randn(64, 8)
    w = g.mapping(z)
    plain = mix_styles(g, z, prob=0.0)
    assert torch.allclose(plain, w[:, None].expand(-1, 8, -1))
    ws = mix_styles(g, z, prob=1.0, generator_rng=torch.Generator().manual_seed(0))
    same = torch.isclose(ws, w[:, None], atol=1e-6).all(-1)  # (64, 8): layer still reads the first w
    cutoffs = same.sum(1)
    assert torch.all(same == (torch.arange(8)[None] < cutoffs[:, None]))  # a prefix, then the other code
    assert cutoffs.min() >= 1 and cutoffs.max() <= 7 and len(set(cutoffs.tolist())) > 3


def test_sample_is_seeded_and_sefa_factorizes_the_style_maps():
    g = StyleGenerator(SMALL)
    assert torch.equal(g.sample(5, seed=0), g.sample(5, seed=0))
    values, directions = sefa.factorize(g.style_weights())
    assert directions.shape == (8, 8) and values[0] >= values[-1]
    values4, _ = sefa.factorize(g.style_weights([0, 1, 2]))
    assert values4.shape == (8,)


def test_minibatch_std_and_the_discriminator_check_their_input():
    x = torch.randn(8, 3, 4, 4)
    y = minibatch_std(x, 4)
    assert y.shape == (8, 4, 4, 4)
    expected = x.reshape(4, 2, 3, 4, 4).std(0, unbiased=False).mean(dim=(1, 2, 3))
    assert torch.allclose(y[:2, 3, 0, 0], expected, atol=1e-5)
    with pytest.raises(ValueError, match="divisible by 4"):
        minibatch_std(torch.randn(6, 3, 4, 4), 4)
    with pytest.raises(ValueError, match=r"\(N, 3, 32, 32\)"):
        StyleDiscriminator(SMALL)(torch.randn(4, 1, 28, 28))
    with pytest.raises(ValueError, match=r"z must have shape \(N, 8\)"):
        StyleGenerator(SMALL)(torch.randn(4, 7))


def test_build_round_trips_the_config_and_weights():
    g = StyleGenerator(SMALL)
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in vars(SMALL).items()}
    h = models.build("stylegan-generator", config)
    h.load_state_dict(g.state_dict())
    z = torch.randn(2, 8)
    assert torch.equal(g(z, noise_mode="const"), h(z, noise_mode="const"))
    assert isinstance(models.build("stylegan-discriminator", config), StyleDiscriminator)


def test_r1_penalty_is_the_squared_gradient_norm_on_real_data():
    a = torch.randn(3, 4, 4)
    linear = lambda x: (x * a).flatten(1).sum(1)  # noqa: E731 (gradient a everywhere)
    penalty = losses.r1_penalty(linear, torch.randn(5, 3, 4, 4))
    assert penalty.item() == pytest.approx(a.pow(2).sum().item(), rel=1e-6)
    d = StyleDiscriminator(SMALL)
    penalty = losses.r1_penalty(d, torch.randn(4, 3, 32, 32))
    penalty.backward()
    assert d.from_rgb.weight.grad is not None
    with pytest.raises(ValueError, match="non-empty floating-point"):
        losses.r1_penalty(d, torch.zeros(0, 3, 32, 32))


def test_the_recipe_trains_with_ema_lazy_r1_and_mixing_and_keeps_its_parts():
    from gencore.recipes import train_recipe

    tiny = {"z_dim": 8, "w_dim": 8, "mapping_layers": 2, "channels": [8, 8, 4, 4], "images": 64, "batch_size": 8}
    run = train_recipe("stylegan-shapes", steps=3, r1_every=2, **tiny)
    h = run.history
    assert set(run.parts) == {"generator", "discriminator"}
    assert len(h.losses["d_loss"]) == 3 and len(h.losses["g_loss"]) == 3
    assert len(h.losses["r1"]) == 2  # steps 0 and 2
    assert run.main.mapping.w_avg.abs().sum() > 0  # the running mean of w was tracked and copied to the EMA
    assert run.main.sample(4, seed=0).shape == (4, 3, 32, 32)


def test_the_recipes_snapshots_see_the_generator_that_ships_as_it_trains():
    """The shipped part holds the EMA from the first step on, so snapshots change during training."""
    from gencore.recipes import train_recipe

    def weight_sum(parts):
        return float(sum(p.detach().double().sum() for p in parts["generator"].parameters()))

    tiny = {"z_dim": 8, "w_dim": 8, "mapping_layers": 2, "channels": [8, 8, 4, 4], "images": 64, "batch_size": 8}
    run = train_recipe("stylegan-shapes", steps=4, r1_every=2, snapshot=weight_sum, snapshot_every=2, **tiny)
    sums = [v for _, v in run.history.snapshots]
    assert [s for s, _ in run.history.snapshots] == [0, 2, 4]
    assert sums[0] != sums[1] != sums[2]
    assert sums[-1] == weight_sum(run.parts)  # the last snapshot is what ships


def test_the_factor_regressor_reads_back_its_own_targets():
    from gencore.data.shapes import sample_factors
    from gencore.models.regressor import FactorRegressor, targets

    _, f = sample_factors(50, seed=0)
    reg = FactorRegressor(width=4)
    with torch.no_grad():
        reg.head.weight.zero_()
        reg.head.bias.zero_()
    x = torch.zeros(50, 3, 32, 32)
    reg.head.bias.data[:7] = targets(f[:1])[0]  # a constant prediction: the first factors
    assert torch.allclose(reg.factors(x)[0], f[0], atol=1e-5)


@pytest.mark.filterwarnings("ignore:Fréchet distance from 16")
def test_chapter_measurements_on_a_small_generator():
    from gencore import stylegan_analysis as sg

    torch.manual_seed(0)
    g = StyleGenerator(StyleGANConfig(z_dim=8, w_dim=8, mapping_layers=2, channels=(8, 8, 4, 4))).eval()
    g.mapping(torch.randn(64, 8), update_w_avg=True)
    trade = sg.truncation_tradeoff(g, [0.0, 1.0], n=16)
    assert trade["diversity"][0] == pytest.approx(0.0, abs=1e-5) and trade["diversity"][1] > 0
    follow = sg.style_mixing_sources(g, cut=8, n=16)  # every layer from A: the mix is A
    assert all(follow[f] == 1.0 for f in ("x", "y", "scale", "background"))
    assert sg.path_lengths(g, "w", n=8).shape == (8,)
    with pytest.raises(ValueError, match="'z' or 'w'"):
        sg.path_lengths(g, "s", n=8)


def test_the_discriminators_downsampling_convolution_is_conv_then_average_pool_at_a_quarter_of_the_cost():
    from gencore.models.stylegan import conv3x3_avg_pool

    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 8, 8, generator=g, dtype=torch.float64)
    w, b = torch.randn(7, 5, 3, 3, generator=g, dtype=torch.float64), torch.randn(7, generator=g, dtype=torch.float64)
    expected = F.avg_pool2d(F.conv2d(x, w, b, padding=1), 2)
    assert torch.allclose(conv3x3_avg_pool(x, w, b), expected, atol=1e-12)  # borders included


def test_the_upsampling_convolution_doubles_the_resolution_and_blurs_with_the_1_3_3_1_filter():
    from gencore.models.stylegan import blur

    conv = ModulatedConv2d(4, 6, 8)
    x, w = torch.randn(2, 4, 5, 5), torch.randn(2, 8)
    assert conv(x, w, up=True).shape == (2, 6, 10, 10)
    # the blur keeps a constant image constant away from the border (its taps sum to 4 per 2x2 phase)
    ones = torch.zeros(1, 1, 9, 9)
    ones[..., ::2, ::2] = 1.0  # what a stride-2 transposed convolution leaves between its samples
    assert torch.allclose(blur(ones)[..., 2:-2, 2:-2], torch.ones(1, 1, 4, 4))
    # demodulation still gives unit output scale (away from the borders, on unit-variance inputs)
    big = torch.randn(64, 4, 16, 16)
    out = ModulatedConv2d(4, 6, 8)(big, torch.randn(1, 8).expand(64, -1), up=True)[..., 2:-2, 2:-2]
    assert 0.3 < out.std().item() < 1.5  # a stride-2 transposed conv spreads each tap over 4 phases


def test_the_discriminator_may_have_its_own_channels_and_refuses_a_mismatched_list():
    cfg = StyleGANConfig(z_dim=8, w_dim=8, mapping_layers=2, channels=(8, 8, 4, 4), d_channels=(16, 8, 8, 8))
    d = StyleDiscriminator(cfg)
    assert d.from_rgb.weight.shape[0] == 8 and d(torch.randn(4, 3, 32, 32)).shape == (4,)
    with pytest.raises(ValueError, match="d_channels must have one entry per resolution"):
        StyleGANConfig(channels=(8, 8, 4, 4), d_channels=(8, 8))


def test_the_stream_of_shapes_is_fresh_every_batch_and_the_same_for_a_seed():
    from gencore.data.shapes import shapes_stream

    a, b = shapes_stream(8, seed=3), shapes_stream(8, seed=3)
    first, second = next(a), next(a)
    assert first[0].shape == (8, 3, 32, 32) and first[1].shape == (8,)
    assert not torch.equal(first[0], second[0])
    assert torch.equal(next(b)[0], first[0])
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        next(shapes_stream(0))


def test_the_dcgan_baseline_at_32_pixels_checks_its_inputs():
    g = models.build("dcgan32-generator", {"latent_dim": 8, "width": 4, "channels": 3})
    d = models.build("dcgan32-discriminator", {"latent_dim": 8, "width": 4, "channels": 3})
    x = g.eval().sample(5, seed=0)
    assert x.shape == (5, 3, 32, 32) and x.abs().max() <= 1 and d(x).shape == (5,)
    with pytest.raises(ValueError, match=r"\(N, 3, 32, 32\)"):
        d(torch.randn(2, 3, 28, 28))


def test_the_shape_judge_reads_real_shapes_with_confidence_and_a_blank_image_without():
    from gencore import data
    from gencore.recipes import stylegan_shapes

    real = stylegan_shapes.shape_report(data.load("shapes", n=600, seed=5).x)
    assert abs(real["circle"] + real["square"] + real["triangle"] - 1) < 1e-9
    assert min(real["circle"], real["square"], real["triangle"]) > 0.25 and real["confidence"] > 0.95
    grey = stylegan_shapes.shape_report(torch.zeros(600, 3, 32, 32))
    assert grey["precision"] < 0.05 and grey["recall"] < 0.05


def test_a_cpu_budget_ends_the_recipe_early_and_the_curve_counts_training_minutes():
    from gencore import recipes

    torch.set_num_threads(1)
    run = recipes.train_recipe("dcgan-shapes", steps=10**6, cpu_minutes=0.02, eval_every=5, width=4, progress=False)
    minutes = [m for _, m in run.history.evals["cpu_minutes"]]
    assert run.history.completed_steps < 10**6 and minutes == sorted(minutes) and minutes[-1] >= 0.02
    assert run.history.cpu_time_s > 0


def test_copy_fit_trains_a_copy_as_a_regressor_and_leaves_the_generator_alone():
    from gencore import stylegan_analysis as sg
    from gencore.models.dcgan import DCGANConfig, Generator32

    torch.manual_seed(0)
    targets = (torch.rand(8, 3, 1, 1) * 2 - 1).expand(-1, -1, 32, 32).contiguous()  # flat colours
    for g in (StyleGenerator(SMALL), Generator32(DCGANConfig(latent_dim=8, width=4, channels=3))):
        before = [p.detach().clone() for p in g.parameters()]
        out = sg.copy_fit(g, targets, steps=60, lr=0.01, every=20, batch_size=8)
        assert out["steps"] == [20, 40, 60] and len(out["mse"]) == 3
        assert out["copies"].shape == targets.shape
        assert out["mse"][-1] < 0.8 * out["mse"][0]  # it learns to copy
        assert all(torch.equal(a, b) for a, b in zip(before, g.parameters()))  # it trained a copy
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        sg.copy_fit(StyleGenerator(SMALL), torch.zeros(3, 32, 32), steps=1, lr=0.01)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        sg.copy_fit(StyleGenerator(SMALL), targets, steps=0, lr=0.01)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        sg.copy_fit(StyleGenerator(SMALL), targets, steps=1, lr=float("nan"))
