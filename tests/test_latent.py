"""gencore.latent: attribute directions and batched inpainting (book/dcgan.ipynb)."""

import pytest
import torch
from tiny_nets import TinyDiscriminator, TinyGenerator

from gencore import latent


def test_attribute_direction_recovers_a_linear_attribute():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(4000, 8, generator=gen)
    true = torch.tensor([1.0, -2.0, 0, 0, 0, 0, 0, 0])
    direction = latent.attribute_direction(z, z @ true, frac=0.25)
    cos = torch.nn.functional.cosine_similarity(direction, true, dim=0)
    assert cos > 0.98  # the top and bottom quarters differ along the attribute's axis
    assert torch.equal(latent.attribute_direction(z, z @ true), direction)  # frac=0.25 is the default


def test_attribute_direction_within_classes_removes_the_class_component():
    # The score is the class (coordinate 0) plus a within-class attribute (coordinate 1).
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(6000, 4, generator=gen)
    labels = (z[:, 0] > 0).long()
    scores = 3.0 * labels + z[:, 1]
    pooled = latent.attribute_direction(z, scores)
    within = latent.attribute_direction(z, scores, labels=labels)
    assert abs(pooled[0]) > 1.0  # pooled: the class leaks into the direction
    assert abs(within[0]) < 0.1 < within[1]  # within classes: only the attribute is left
    # one class with a single sample is skipped, not an error
    labels[0] = 7
    assert torch.isfinite(latent.attribute_direction(z, scores, labels=labels)).all()


def test_attribute_direction_rejects_bad_input():
    z = torch.zeros(10, 3)
    with pytest.raises(ValueError, match="scores"):
        latent.attribute_direction(z, torch.zeros(9))
    with pytest.raises(ValueError, match="frac"):
        latent.attribute_direction(z, torch.zeros(10), frac=0.8)


def test_inpaint_a_batch_equals_one_image_at_a_time_for_the_first():
    torch.manual_seed(0)
    g, d = TinyGenerator(), TinyDiscriminator()
    with torch.no_grad():
        targets = g(torch.tensor([[0.5, -1.0, 0.3], [-0.7, 0.2, 1.1]]))
    mask = torch.tensor([[[[1.0, 1.0], [1.0, 0.0]]]])  # shared by both images
    both = latent.inpaint(g, d, targets, mask, lam=0.01, steps=100, restarts=3)
    first = latent.inpaint(g, d, targets[:1], mask, lam=0.01, steps=100, restarts=3)
    assert both["z"].shape == (2, 3) and both["contextual"].shape == (2, 3)
    assert both["completed"].shape == targets.shape
    assert torch.allclose(both["completed"][:1], first["completed"], atol=1e-5)
    assert torch.allclose(both["completed"] * mask, targets * mask)
    best = both["contextual"].min(1).values
    assert torch.allclose(best, ((both["generated"] - targets) * mask).abs().flatten(1).sum(1), atol=1e-5)
    with pytest.raises(ValueError, match="mask shape"):
        latent.inpaint(g, d, targets, torch.ones(3, 1, 2, 2))


def test_lerp_endpoints():
    a, b = torch.zeros(3, 2), torch.ones(3, 2)
    assert torch.equal(latent.lerp(a, b, 0.0), a) and torch.equal(latent.lerp(a, b, 1.0), b)
    assert torch.allclose(latent.lerp(a, b, torch.tensor([0.0, 0.5, 1.0]))[:, 0], torch.tensor([0.0, 0.5, 1.0]))


def test_inpaint_recovers_an_image_the_generator_can_make():
    torch.manual_seed(0)
    g, d = TinyGenerator(), TinyDiscriminator()
    with torch.no_grad():
        target = g(torch.tensor([[0.5, -1.0, 0.3]]))
    mask = torch.tensor([[[[1.0, 1.0], [1.0, 0.0]]]])  # the last pixel is missing
    out = latent.inpaint(g, d, target, mask, lam=0.0, steps=400, lr=0.05, restarts=4)
    assert out["completed"].shape == target.shape
    assert torch.allclose(out["completed"] * mask, target * mask)
    assert (out["generated"] - target).abs().max() < 0.05  # the missing pixel is filled in correctly
    assert all(p.requires_grad for p in g.parameters())  # the networks are left as they were
    with pytest.raises(ValueError, match="mask shape"):
        latent.inpaint(g, d, target, mask[..., :1])
