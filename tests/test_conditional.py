"""The conditional family: data, networks, losses and phases of ``book/conditional.ipynb``."""

from __future__ import annotations

import pytest
import torch

from gencore import data, models
from gencore.models.conditional import (
    ConditionalEncoder,
    ConditionalGenerator,
    FeatureDiscriminator,
    Recognizer,
    balanced_labels,
)
from gencore.train.conditional import (
    cgan_phases,
    classwise_centre_loss,
    cvae_gan_phases,
    cvae_phase,
    feature_centre_loss,
    pixel_bce,
)


def test_printed_fonts_classes_are_digit_times_fonts_plus_font():
    d = data.load("printed-fonts", split="heldout", n_per_class=2, fonts=(3, 0, 14))
    assert d.x.shape == (60, 1, 28, 28) and float(d.x.min()) >= -1 and float(d.x.max()) <= 1
    assert torch.bincount(d.y, minlength=30).tolist() == [2] * 30
    fonts = torch.tensor([3, 0, 14])
    assert torch.equal(d.info["digit"] * 3 + (d.info["font"][:, None] == fonts).float().argmax(1), d.y)
    assert d.info["fonts"] == ("DejaVuSerif", "DejaVuSans", "cmtt10")
    again = data.load("printed-fonts", split="heldout", n_per_class=2, fonts=(3, 0, 14))
    assert torch.equal(again.x, d.x)


@pytest.mark.parametrize("fonts", [(), (0, 0), (16,), (-1,)])
def test_printed_fonts_refuses_bad_fonts(fonts):
    with pytest.raises(ValueError, match="fonts must be distinct indices"):
        data.load("printed-fonts", fonts=fonts, n_per_class=1)


def test_printed_digits_default_stream_unchanged_by_font_argument():
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    from gencore.data.printed_digits import render

    digits = torch.arange(10)
    x1, f1 = render(digits, g1)
    x2, f2 = render(digits, g2, None)
    assert torch.equal(x1, x2) and torch.equal(f1, f2)
    x3, f3 = render(digits, torch.Generator().manual_seed(5), torch.full((10,), 4))
    assert (f3 == 4).all()
    with pytest.raises(ValueError, match="font must hold one index"):
        render(digits, torch.Generator(), torch.full((3,), 4))


def test_factors_render_the_same_images_and_are_returned_by_printed_fonts():
    from gencore.data.printed_digits import draw_factors, render, render_factors

    digits = torch.arange(10)
    x, font = render(digits, torch.Generator().manual_seed(3))
    factors = draw_factors(10, torch.Generator().manual_seed(3))
    assert torch.equal(render_factors(digits, factors), x) and torch.equal(factors["font"], font)
    d = data.load("printed-fonts", split="heldout", n_per_class=1, fonts=(1, 2))
    again = render_factors(d.info["digit"], {k: d.info[k] for k in ("font", "weight", "height", "rotation", "shift")})
    assert torch.equal(again, d.x)
    assert float(d.info["height"].min()) >= 16 and float(d.info["shift"].abs().max()) <= 2


def test_networks_shapes_and_build():
    g = models.build("conditional-generator", {"classes": 6, "latent_dim": 4, "width": 4})
    e = models.build("conditional-encoder", {"classes": 6, "latent_dim": 4, "width": 4})
    d = models.build("feature-discriminator", {"classes": 6, "width": 4, "feature_dim": 8})
    r = models.build("recognizer", {"classes": 6, "width": 4, "feature_dim": 8})
    c = balanced_labels(12, 6)
    x = g(torch.randn(12, 4), c)
    assert x.shape == (12, 1, 28, 28) and float(x.detach().abs().max()) <= 1
    mu, log_var = e(x, c)
    assert mu.shape == log_var.shape == (12, 4)
    assert d(x, c).shape == (12,) and d.features(x).shape == (12, 8)
    assert r(x).shape == (12, 6) and r.features(x).shape == (12, 8)
    g.eval()
    a, b = g.sample(c, seed=1), g.sample(c, seed=1)
    assert torch.equal(a, b)


@pytest.mark.parametrize("arch", ["conditional-generator", "conditional-encoder", "recognizer"])
def test_networks_refuse_a_class_count_below_one(arch):
    with pytest.raises(ValueError, match="classes = the number of classes"):
        models.build(arch, {"classes": 0})


def test_networks_refuse_bad_labels_and_images():
    g = ConditionalGenerator(classes=3, latent_dim=2, width=2)
    with pytest.raises(ValueError, match="integer class labels in 0..2"):
        g(torch.randn(2, 2), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="one class label per example"):
        g(torch.randn(2, 2), torch.tensor([0]))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        Recognizer(classes=3, width=2).features(torch.zeros(2, 1, 14, 14))
    with pytest.raises(ValueError, match="conditional"):
        FeatureDiscriminator(classes=3, width=2)(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match="unconditional"):
        FeatureDiscriminator(classes=0, width=2)(torch.zeros(2, 1, 28, 28), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="z of shape"):
        g(torch.randn(2, 5), torch.tensor([0, 1]))
    enc = ConditionalEncoder(classes=3, latent_dim=2, width=2)
    assert enc(torch.zeros(2, 1, 28, 28), torch.tensor([0, 2]))[0].shape == (2, 2)


def test_feature_centre_loss_matches_its_formula_and_gradient():
    real, fake = torch.randn(7, 5, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    loss = feature_centre_loss(real, fake)
    gap = real.mean(0) - fake.mean(0)
    assert torch.allclose(loss, 0.5 * (gap**2).sum())
    loss.backward()
    # d/d f_j of ½‖m_r − m_f‖² = −(m_r − m_f)/M for each fake j: never 0 while the centres differ
    assert torch.allclose(fake.grad, (-(real.mean(0) - fake.mean(0)) / 4).expand(4, 5).detach())
    with pytest.raises(ValueError, match="feature batches of one width"):
        feature_centre_loss(real, torch.randn(4, 3))


def test_classwise_centre_loss_against_a_loop():
    torch.manual_seed(0)
    centres, fake, labels = torch.randn(5, 3), torch.randn(9, 3), torch.tensor([0, 0, 2, 2, 2, 4, 1, 1, 0])
    ref = []
    for k in labels.unique():
        ref.append(0.5 * (centres[k] - fake[labels == k].mean(0)).pow(2).sum())
    assert torch.allclose(classwise_centre_loss(centres, fake, labels), torch.stack(ref).mean())


def test_pixel_bce_is_bernoulli_negative_log_likelihood():
    logits, x = torch.randn(3, 1, 28, 28), torch.rand(3, 1, 28, 28) * 2 - 1
    u = (x + 1) / 2
    p = torch.sigmoid(logits)
    ref = -(u * p.log() + (1 - u) * (1 - p).log()).flatten(1).sum(1)
    assert torch.allclose(pixel_bce(logits, x), ref, atol=1e-3)


def _batch(n=8, classes=4):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 28, 28, generator=g) * 2 - 1, balanced_labels(n, classes)


def test_phases_take_one_step_each_and_change_their_networks():
    torch.manual_seed(0)
    k = 4
    g = ConditionalGenerator(classes=k, latent_dim=4, width=4)
    e = ConditionalEncoder(classes=k, latent_dim=4, width=4)
    d_c = FeatureDiscriminator(classes=k, width=4, feature_dim=8)
    d = FeatureDiscriminator(classes=0, width=4, feature_dim=8)
    c = Recognizer(classes=k, width=4, feature_dim=8)
    batch = _batch()

    def adam(*ms):
        return torch.optim.Adam([p for m in ms for p in m.parameters()], lr=1e-3)

    before = {n: [p.detach().clone() for p in m.parameters()] for n, m in {"g": g, "d_c": d_c}.items()}
    phases = cgan_phases(g, d_c, adam(g), adam(d_c))
    out = {**phases[0].update(batch), **phases[1].update(None)}
    assert set(out) == {"d_loss", "g_loss"}
    for n, m in {"g": g, "d_c": d_c}.items():
        assert any(not torch.equal(a, b) for a, b in zip(before[n], m.parameters(), strict=True))

    out = cvae_phase(e, g, adam(e, g)).update(batch)
    assert out["loss"] == pytest.approx(out["recon"] + out["kl"], rel=1e-5)

    w = {"kl": 1.0, "pair": 1.0, "centre_d": 1.0, "centre_c": 1.0}
    ph = cvae_gan_phases(e, g, d, c, adam(e, g), adam(d), adam(c), weights=w)
    assert [p.takes_batch for p in ph] == [True, False, False]
    d_before = [p.detach().clone() for p in d.parameters()]
    out = {**ph[0].update(batch), **ph[1].update(None)}
    d_after = [p.detach().clone() for p in d.parameters()]
    out.update(ph[2].update(None))
    assert set(out) == {"d_loss", "c_loss", "kl", "pair", "centre_d", "centre_c"}
    # the E+G step leaves D unchanged (it is frozen there)
    assert all(torch.equal(a, b) for a, b in zip(d_after, d.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(d_before, d_after, strict=True))
    with pytest.raises(ValueError, match="missing"):
        cvae_gan_phases(e, g, d, c, adam(e, g), adam(d), adam(c), weights={"kl": 1.0})
