import math

import pytest
import torch

from gencore import data
from gencore.data import shapes


def test_shapes_are_seeded_in_range_and_carry_their_factors():
    d = data.load("shapes", n=300, seed=3)
    assert d.x.shape == (300, 3, 32, 32) and d.x.dtype == torch.float32
    assert d.x.min() >= -1 and d.x.max() <= 1
    assert set(d.y.tolist()) == {0, 1, 2}
    f = d.info["factors"]
    assert f.shape == (300, 6) and d.info["factor_names"] == shapes.FACTORS
    for j, name in enumerate(shapes.FACTORS):
        low, high = shapes.FACTOR_RANGES[name]
        assert f[:, j].min() >= low and f[:, j].max() <= high
    again = data.load("shapes", n=300, seed=3)
    assert torch.equal(again.x, d.x) and torch.equal(again.info["factors"], f)
    other = data.load("shapes", n=300, seed=3, split="heldout")
    assert not torch.equal(other.info["factors"], f)


def _one(shape, **factors):
    values = {"hue": 0.0, "x": 0.0, "y": 0.0, "scale": 0.4, "rotation": 0.0, "background": 0.2} | factors
    f = torch.tensor([[values[k] for k in shapes.FACTORS]])
    return shapes.render(torch.tensor([shape]), f)[0]


def test_each_factor_does_what_its_name_says():
    # hue 0 is red: the shape's pixels are red, the corner keeps the background grey
    img = (_one(0) + 1) / 2
    assert img[:, 16, 16].tolist() == pytest.approx([1.0, 0.15, 0.15], abs=1e-6)
    assert img[:, 0, 0].tolist() == pytest.approx([0.2, 0.2, 0.2], abs=1e-6)

    # x moves the shape right, y moves it up (row 0 is the top)
    def centre(img):
        mass = ((img + 1) / 2 - 0.2).abs().sum(0)
        rows, cols = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
        return float((mass * cols).sum() / mass.sum()), float((mass * rows).sum() / mass.sum())

    x0, y0 = centre(_one(1))
    x1, y1 = centre(_one(1, x=0.25, y=0.25))
    assert x1 - x0 == pytest.approx(0.25 * 16, abs=0.2) and y0 - y1 == pytest.approx(0.25 * 16, abs=0.2)
    # scale: a circle's area is pi r^2 (r = scale * 16 pixels), anti-aliasing keeps it to the pixel
    area = float((((_one(0) + 1) / 2)[1] - 0.2).div(0.15 - 0.2).sum())
    assert area == pytest.approx(math.pi * (0.4 * 16) ** 2, rel=0.01)
    # rotation turns a square but not a circle
    assert not torch.allclose(_one(1), _one(1, rotation=20.0), atol=0.1)
    assert torch.allclose(_one(0), _one(0, rotation=20.0), atol=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="positive integer"):
        data.load("shapes", n=0)
    with pytest.raises(ValueError, match="unknown split"):
        data.load("shapes", n=5, split="test")
    with pytest.raises(ValueError, match=r"\(N, 6\)"):
        shapes.render(torch.tensor([0]), torch.zeros(1, 5))


def test_factor_distance_takes_hue_around_the_circle_and_scales_by_range():
    a = torch.tensor([[0.95, 0.0, 0.0, 0.3, -30.0, 0.0]])
    b = torch.tensor([[0.05, 0.3, -0.3, 0.5, 30.0, 0.25]])
    d = shapes.factor_distance(a, b)[0]
    assert d.tolist() == pytest.approx([0.2, 0.5, 0.5, 1.0, 1.0, 0.5])
