"""Bad model configurations and arguments get gencore's words, not a ZeroDivisionError or an AttributeError."""

import pytest
import torch

from gencore import latent, models
from gencore.models.stylegan import StyleDiscriminator, StyleGANConfig, StyleGenerator

SMALL = {"z_dim": 8, "w_dim": 8, "mapping_layers": 2, "channels": [8, 8, 4, 4]}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"mapping_lr": 0}, "mapping_lr must be a positive"),
        ({"mapping_lr": float("nan")}, "mapping_lr must be a positive"),
        ({"z_dim": 0}, "z_dim must be an integer of at least 1"),
        ({"channels": []}, "channels must be positive integers"),
        ({"channels": [8, 0]}, "channels must be positive integers"),
        ({"mbstd_group": 0}, "mbstd_group"),
        ({"w_avg_beta": 2.0}, "w_avg_beta"),
    ],
)
def test_bad_stylegan_configs_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        StyleGANConfig(**{**SMALL, **change})
    with pytest.raises(ValueError, match="stylegan-generator config|StyleGANConfig"):
        models.build("stylegan-generator", {**SMALL, **change})


def test_the_discriminator_refuses_an_empty_batch():
    d = StyleDiscriminator(StyleGANConfig(**{**SMALL, "channels": (8, 8, 4, 4)}))
    with pytest.raises(ValueError, match="at least one image"):
        d(torch.zeros(0, 3, 32, 32))


def _stylegan_pair():
    cfg = StyleGANConfig(**{**SMALL, "channels": (8, 8, 4, 4)})
    return StyleGenerator(cfg), StyleDiscriminator(cfg)


@pytest.mark.parametrize("value", [2.0, -1.0, float("nan")])
def test_inpaint_refuses_mask_values_outside_zero_one(value):
    g, d = _stylegan_pair()
    mask = torch.ones(1, 3, 32, 32)
    mask[0, 0, 0, 0] = value
    with pytest.raises(ValueError, match=r"mask values must lie in \[0, 1\]"):
        latent.inpaint(g, d, torch.zeros(1, 3, 32, 32), mask, steps=1, restarts=4)


def test_inpaint_works_with_a_stylegan_generator():
    g, d = _stylegan_pair()
    mask = torch.zeros(1, 3, 32, 32)
    mask[..., :16, :] = 1
    out = latent.inpaint(g, d, torch.zeros(1, 3, 32, 32), mask, steps=2, restarts=4)
    assert out["z"].shape == (1, 8) and out["completed"].shape == (1, 3, 32, 32)


def test_inpaint_refuses_a_generator_without_a_latent_size():
    g = torch.nn.Conv2d(1, 1, 1)
    with pytest.raises(ValueError, match="latent_dim"):
        latent.inpaint(g, g, torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4))


@pytest.mark.parametrize(
    "arch, config, key",
    [
        ("dcgan-generator", {"width": 0}, "width"),
        ("dcgan-critic", {"latent_dim": 0}, "latent_dim"),
        ("vae", {"latent_dim": -2}, "latent_dim"),
        ("mnist-classifier", {"width": -1}, "width"),
        ("mlp-generator", {"hidden": 0}, "hidden"),
        ("vae", {"obs_std": float("nan")}, "obs_std"),
    ],
)
def test_build_refuses_negative_counts_and_sizes_below_one(arch, config, key):
    with pytest.raises(ValueError, match=f"{arch} config '{key}'"):
        models.build(arch, config)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: latent.slerp(torch.zeros(2, 3), torch.ones(2, 4), 0.5), "same shape"),
        (lambda: latent.lerp(torch.zeros(2, 3), torch.ones(2, 4), 0.5), "same shape"),
        (lambda: latent.slerp(torch.zeros(2, 3), torch.ones(2, 3), 0.5), "non-zero vectors"),
        (lambda: latent.slerp(torch.ones(2, 3), -torch.ones(2, 3), float("nan")), "t must be finite"),
    ],
)
def test_interpolation_checks_its_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_kl_fit_and_sefa_helpers_check_their_arguments():
    import numpy as np

    from gencore import kl_fit, sefa

    with pytest.raises(ValueError, match="positive, finite sigma"):
        kl_fit.gaussian(np.linspace(-1, 1, 5), 0.0, 0.0)
    with pytest.raises(KeyError, match="unknown objective"):
        kl_fit.fit_gaussian(np.linspace(-1, 1, 5), np.full(5, 0.2), "x")
    with pytest.raises(ValueError, match="k must be"):
        sefa.random_directions(-1, 3)
