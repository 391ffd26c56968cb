import pytest
import torch
from torch import nn

from gencore.models.classifier import MNISTClassifier
from gencore.models.dcgan import Critic, DCGANConfig, Discriminator, Generator


def test_shapes_and_ranges():
    torch.manual_seed(0)
    g, d = Generator(latent_dim=16, width=8), Discriminator(width=8)
    x = g.sample(5, seed=0)
    assert x.shape == (5, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert torch.equal(x, g.sample(5, seed=0))
    assert d(x).shape == (5,) and Critic(width=8)(x).shape == (5,)
    assert MNISTClassifier(width=4).features(x).shape == (5, 128)


def test_dcgan_rules_hold():
    g, d = Generator(width=16), Discriminator(width=16)
    convs = [m for m in [*g.modules(), *d.modules()] if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    weights = torch.cat([m.weight.flatten() for m in convs])
    assert abs(weights.std().item() - 0.02) < 0.002 and abs(weights.mean().item()) < 0.002  # N(0, 0.02²)
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in [*g.modules(), *d.modules()])
    assert isinstance(g.net[-1], nn.Tanh)
    assert any(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in d.modules())
    assert not isinstance(d.net[1], nn.BatchNorm2d)  # no batch norm on the input layer


def test_critic_norms():
    assert not any(isinstance(m, nn.BatchNorm2d) for m in Critic(width=8).modules())
    assert any(isinstance(m, nn.LayerNorm) for m in Critic(width=8, norm="layer").modules())
    sn = Critic(width=8, norm="spectral")
    w = sn.net[0].weight  # parametrized: normalised by its largest singular value
    assert torch.linalg.matrix_norm(w.flatten(1), ord=2).item() == pytest.approx(1.0, abs=0.15)
    with pytest.raises(ValueError, match="norm must be"):
        Critic(norm="group")


def test_wrong_shapes_are_clear_errors():
    with pytest.raises(ValueError, match=r"z of shape \(N, 64\)"):
        Generator()(torch.zeros(2, 10))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        Discriminator()(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        MNISTClassifier().features(torch.zeros(2, 784))
    assert DCGANConfig().latent_dim == 64


def test_the_gan_recipes_ship_the_ema_of_the_generator_when_asked():
    import gencore
    from gencore.recipes import recipe, train_recipe, with_overrides

    small = {"steps": 1, "width": 8, "batch_size": 8, "n_critic": 1, "eval_every": 0}
    plain = train_recipe("wgan-gp-mnist", ema_decay=0.0, progress=False, **small)
    averaged = train_recipe("wgan-gp-mnist", ema_decay=0.9, progress=False, **small)
    # the same training (the EMA draws no random numbers): the same critic
    for a, b in zip(plain.parts["critic"].parameters(), averaged.parts["critic"].parameters()):
        assert torch.equal(a, b)
    # after one step the EMA keeps min(0.9, 1/10) of the initial weights (gencore.train.EMA)
    gencore.seed(0)
    config = with_overrides("wgan-gp-mnist", recipe("wgan-gp-mnist").config, small)
    start = recipe("wgan-gp-mnist").build(config)["generator"]
    for p0, p1, avg in zip(start.parameters(), plain.main.parameters(), averaged.main.parameters()):
        assert torch.allclose(avg, 0.1 * p0 + 0.9 * p1, atol=1e-6)
    # so are the batch-norm statistics, which belong to the weights they were measured with
    for name, b0 in start.named_buffers():
        if b0.is_floating_point():
            b1, avg = plain.main.get_buffer(name), averaged.main.get_buffer(name)
            assert torch.allclose(avg, 0.1 * b0 + 0.9 * b1, atol=1e-6), name
    assert not torch.allclose(averaged.main.net[-2].weight, plain.main.net[-2].weight)


def test_extra_blocks_add_3x3_convolutions_at_7x7_and_keep_the_shapes():
    from gencore.models.dcgan import Critic, DCGANConfig, Discriminator, Generator

    base, deep = DCGANConfig(latent_dim=8, width=4), DCGANConfig(latent_dim=8, width=4, g_blocks=1, d_blocks=2)
    z, x = torch.randn(3, 8), torch.randn(3, 1, 28, 28)
    for cls, extra in [(Generator, 64 * 9 + 2 * 8), (Discriminator, 2 * (64 * 9 + 2 * 8)), (Critic, 2 * (64 * 9 + 8))]:
        nets = [cls(c) for c in (base, deep)]
        counts = [sum(p.numel() for p in n.parameters()) for n in nets]
        assert counts[1] - counts[0] == extra, cls.__name__
        out = [n.eval()(z if cls is Generator else x).shape for n in nets]
        assert out[0] == out[1]
    # without blocks the parameter names are those of the shipped weights
    assert list(Generator(base).state_dict()) == [k for k in Generator(deep).state_dict() if "blocks" not in k]


def test_snapshots_during_training_see_the_averaged_generator_that_ships():
    from gencore.recipes import train_recipe

    small = {"steps": 2, "width": 8, "batch_size": 8, "n_critic": 1, "eval_every": 0, "ema_decay": 0.9}
    run = train_recipe(
        "wgan-gp-mnist",
        progress=False,
        snapshot=lambda parts: parts["generator"].project[0].weight.detach().clone(),
        snapshot_every=1,
        **small,
    )
    (_, first), *_, (_, last) = run.history.snapshots
    assert not torch.equal(first, last)  # the shipped part moved during training
    assert torch.equal(last, run.main.project[0].weight)
