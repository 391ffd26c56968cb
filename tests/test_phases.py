"""gencore.frozen in gencore.train.phases and the families' phases: the discriminator is frozen in every
generator step."""

import contextlib

import pytest
import torch

import gencore
from gencore import models
from gencore.models.stylegan import StyleDiscriminator, StyleGANConfig, StyleGenerator
from gencore.train import cyclegan as cg
from gencore.train import gan_phases, phases
from gencore.train import stylegan as sg


def test_frozen_switches_gradients_off_and_restores_each_flag_also_on_error():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    net[1].bias.requires_grad_(False)  # a parameter already frozen stays frozen
    with pytest.raises(RuntimeError, match="inside"):
        with gencore.frozen(net):
            assert not any(p.requires_grad for p in net.parameters())
            raise RuntimeError("inside")
    assert [p.requires_grad for p in net.parameters()] == [True, True, True, False]


def _dcgan():
    g = models.build("dcgan-generator", {"latent_dim": 8, "width": 4})
    d = models.build("dcgan-discriminator", {"latent_dim": 8, "width": 4})
    opt_g, opt_d = torch.optim.Adam(g.parameters(), lr=1e-3), torch.optim.Adam(d.parameters(), lr=1e-3)
    step = gan_phases(g, d, opt_g, opt_d, loss="nonsaturating")
    return [g], [d], step, (torch.rand(4, 1, 28, 28) * 2 - 1,)


def _cyclegan():
    gs = [models.build("cyclegan-generator", {"width": 4, "blocks": 1}) for _ in range(2)]
    ds = [models.build("patchgan-discriminator", {"width": 4}) for _ in range(2)]
    opt_g = torch.optim.Adam([p for g in gs for p in g.parameters()], lr=1e-3)
    opt_d = torch.optim.Adam([p for d in ds for p in d.parameters()], lr=1e-3)
    step = cg.cyclegan_phases(*gs, *ds, opt_g, opt_d)
    return gs, ds, step, (torch.rand(4, 1, 28, 28) * 2 - 1, torch.rand(4, 1, 28, 28) * 2 - 1)


def _stylegan():
    config = StyleGANConfig(z_dim=8, w_dim=8, mapping_layers=2, channels=(8, 8, 4, 4))
    g, d = StyleGenerator(config), StyleDiscriminator(config)
    opt_g, opt_d = torch.optim.Adam(g.parameters(), lr=1e-3), sg.lazy_adam(d.parameters(), 1e-3, (0.0, 0.99), 2)
    step = sg.stylegan_phases(g, d, opt_g, opt_d, r1_gamma=1.0, r1_every=2)
    return [g], [d], step, (torch.rand(4, 3, 32, 32) * 2 - 1,)


def _one_step(family, freeze: bool, monkeypatch):
    """Build a family's nets from seed 0, take one discriminator and one generator step; return the nets
    and the discriminators' .grad just before the generator's step and after it."""
    with monkeypatch.context() as m:
        if not freeze:  # the code before the freeze: the generator's step also fills D's .grad
            for module in (phases, cg, sg):
                m.setattr(module, "frozen", lambda *nets: contextlib.nullcontext())
        gencore.seed(0)
        gs, ds, (d_phase, g_phase), batch = family()
        if d_phase.name.startswith("generator"):  # CycleGAN steps its generators first
            d_phase, g_phase = g_phase, d_phase
            g_phase.update(batch)
        d_phase.update(batch if d_phase.takes_batch else None)
        before = [p.grad.clone() if p.grad is not None else None for d in ds for p in d.parameters()]
        g_phase.update(batch if g_phase.takes_batch else None)
        after = [p.grad for d in ds for p in d.parameters()]
    return gs, before, after


@pytest.mark.parametrize("family", [_dcgan, _cyclegan, _stylegan], ids=["dcgan", "cyclegan", "stylegan"])
def test_a_generator_step_leaves_the_discriminators_grad_alone_and_updates_as_before(family, monkeypatch):
    gs, before, after = _one_step(family, True, monkeypatch)
    assert all(a is b or torch.equal(a, b) for a, b in zip(before, after, strict=True))  # untouched
    old_gs, old_before, old_after = _one_step(family, False, monkeypatch)
    assert any(not torch.equal(a, b) for a, b in zip(old_before, old_after, strict=True) if a is not None)
    for g, old in zip(gs, old_gs, strict=True):
        for (name, p), q in zip(g.state_dict().items(), old.state_dict().values(), strict=True):
            assert torch.equal(p, q), name  # the generator's update is bit-identical


def test_lazy_adam_rescales_only_when_asked():
    p = [torch.nn.Parameter(torch.zeros(1))]
    g = sg.lazy_adam(p, 0.01, (0.0, 0.99), 16).param_groups[0]
    assert g["lr"] == pytest.approx(0.01 * 16 / 17) and g["betas"][1] == pytest.approx(0.99 ** (16 / 17))
    g = sg.lazy_adam(p, 0.01, (0.0, 0.99), 16, rescale=False).param_groups[0]
    assert g["lr"] == 0.01 and g["betas"] == (0.0, 0.99)
