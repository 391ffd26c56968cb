"""gencore.models: sampling counts and chunks, config overrides, the checks of shapes and settings."""

import numpy as np
import pytest
import torch
from torch import nn

import gencore
from gencore.models.dcgan import Critic, DCGANConfig, Discriminator, Generator
from gencore.models.linear_gaussian import LinearGaussian
from gencore.models.toy import MLPGenerator
from gencore.models.vae import VAE

# --- sampling -------------------------------------------------------------------


def _models():
    return [
        (Generator(latent_dim=4, width=4).eval(), (1, 28, 28)),
        (VAE(hidden=(8,)), (1, 28, 28)),
        (MLPGenerator(hidden=8, depth=1), (2,)),
        (LinearGaussian(5, 2), (5,)),
    ]


def test_a_training_generator_cannot_sample_one_image_and_says_so():
    with pytest.raises(ValueError, match=r"\.eval\(\)"):
        Generator(latent_dim=4, width=4).sample(1)
    assert Generator(latent_dim=4, width=4).eval().sample(1).shape == (1, 1, 28, 28)


@pytest.mark.parametrize("i", range(4))
def test_sample_zero_gives_an_empty_batch(i):
    model, shape = _models()[i]
    out = model.sample(0, seed=0)
    assert out.shape == (0, *shape)


@pytest.mark.parametrize("i", range(4))
@pytest.mark.parametrize("bad", [2.5, True, "3", -1, None])
def test_sample_rejects_a_count_that_is_not_a_non_negative_integer(i, bad):
    model, _ = _models()[i]
    with pytest.raises(ValueError, match="non-negative integer"):
        model.sample(bad)


@pytest.mark.parametrize("i", range(4))
def test_large_samples_are_drawn_in_chunks(i, monkeypatch):
    from gencore.models import sampling

    model, shape = _models()[i]
    sizes, randn = [], torch.randn

    def spy(*size, **kwargs):
        sizes.append(size[0])
        return randn(*size, **kwargs)

    monkeypatch.setattr(sampling, "CHUNK", 7)
    monkeypatch.setattr(torch, "randn", spy)
    out = model.sample(23, seed=1)
    noises = 2 if isinstance(model, LinearGaussian) else 1  # LinearGaussian draws z and ε
    assert out.shape == (23, *shape) and sorted(sizes) == sorted([6, 6, 6, 5] * noises)
    assert out.device.type == "cpu"
    assert torch.equal(out, model.sample(23, seed=1))  # a seed still fixes the whole batch
    assert model.sample(np.int64(3), seed=0).shape == (3, *shape)


def test_sample_count_helper_names_what_n_must_be(monkeypatch):
    from gencore.models import sampling

    monkeypatch.setattr(sampling, "CHUNK", 10)
    assert sampling.chunk_sizes(10) == [10] and sampling.chunk_sizes(21) == [7, 7, 7]
    assert sampling.chunk_sizes(11) == [6, 5]  # never a lone sample (batch norm in training mode needs 2)
    assert sampling.check_count(np.int32(4)) == 4
    with pytest.raises(ValueError, match="n must be a non-negative integer.*2.5"):
        sampling.check_count(2.5)


# --- models -------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Generator, Discriminator, Critic])
def test_dcgan_overrides_apply_on_top_of_a_config(cls):
    m = cls(DCGANConfig(latent_dim=8, width=4), width=6)
    assert (m.config.latent_dim, m.config.width) == (8, 6)
    assert cls(width=5).config.width == 5 and cls(DCGANConfig(width=3)).config.width == 3


def test_one_mlp_builder_keeps_the_state_dict_keys():
    from gencore.models import toy, vae
    from gencore.models.layers import mlp

    assert toy._mlp is mlp and vae._mlp is mlp
    assert list(VAE(hidden=(8, 4)).state_dict()) == [
        f"{part}.{i}.{p}" for part in ("encoder", "decoder") for i in (0, 2, 4) for p in ("weight", "bias")
    ]
    net = mlp([2, 3, 1], act=lambda: nn.LeakyReLU(0.2))
    assert [type(m).__name__ for m in net] == ["Linear", "LeakyReLU", "Linear"]


@pytest.mark.parametrize("how", ["zero scale", "inf scale", "nan mean"])
def test_diverged_vae_encoder_raises_floating_point_error(how):
    model = VAE(hidden=(8,))
    last = model.encoder[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
        k = model.latent_dim
        if how == "zero scale":
            last.bias[k:] = -1e4  # log σ² = −10⁴: σ underflows to 0
        elif how == "inf scale":
            last.bias[k:] = 1e4
        else:
            last.bias[:k] = float("nan")
    with pytest.raises(FloatingPointError, match="(?s)VAE encoder.*learning rate"):
        model.encode(torch.zeros(3, 1, 28, 28))


def test_models_say_what_shape_and_settings_they_expect():
    from gencore.models.toy import MLPDiscriminator

    with pytest.raises(ValueError, match="pack"):
        MLPDiscriminator(pack=0)
    with pytest.raises(ValueError, match=r"z of shape \(N, 2\)"):
        VAE(hidden=(8,)).decode(torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"z of shape \(N, 2\)"):
        MLPGenerator(hidden=8, depth=1)(torch.zeros(3, 5))
    for sigma in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="sigma"):
            LinearGaussian(3, 2, sigma=sigma)
    with pytest.raises(TypeError, match="nn.Module"):
        with gencore.eval_mode("G"):
            pass
