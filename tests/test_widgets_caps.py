"""Sliders cap their frames, keep every frame type within the page budget, escape labels, refuse bad widths."""

import json
import re

import numpy as np
import pytest
import torch

from gencore import widgets


def test_too_many_frames_are_refused_before_any_is_drawn():
    def render(**_):
        pytest.fail("drew a frame")

    with pytest.raises(ValueError, match=r"1000 \(z1\) × 1000 \(z2\) = 1000000 frames; at most 400"):
        widgets.latent_slider(render, values=np.linspace(-3, 3, 1000))
    with pytest.raises(ValueError, match="216000 frames"):
        widgets.slider(render, a=range(60), b=range(60), c=range(60))


def test_image_frames_respect_the_page_budget():
    gen = torch.Generator().manual_seed(0)

    def noise(a, size=256):
        return torch.rand(3, size, size, generator=gen) * 2 - 1

    with pytest.raises(ValueError, match=r"20 frames weigh .* over max_bytes=450,000"):
        widgets.slider(noise, a=range(20)).frames()
    # about 370 kB as RGB PNGs: drawn as palette PNGs to fit 300 kB
    s = widgets.slider(lambda a: noise(a, 96), a=range(10), max_bytes=300_000)
    assert sum(map(len, s.frames())) <= 300_000


def test_labels_cannot_end_the_inline_script():
    s = widgets.slider(lambda a: np.zeros((2, 2)), a=["</script><script>alert(1)</script>", "<!--"])
    page = s.to_html()
    script = re.search(r"<script>(.*)</script></div>$", page, re.S).group(1)
    assert "</script" not in script and "<!--" not in script
    labels = re.search(r"var labels=(\[.*?\]\]);", script).group(1)
    assert json.loads(labels)[0][0] == "</script><script>alert(1)</script>"


@pytest.mark.parametrize("width", [0, -100, 2.5, True])
def test_width_must_be_a_positive_integer(width):
    with pytest.raises(ValueError, match="width must be a positive"):
        widgets.slider(lambda a: np.zeros((2, 2)), a=[0, 1], width=width)


def test_max_bytes_must_be_positive():
    with pytest.raises(ValueError, match="max_bytes must be a positive"):
        widgets.slider(lambda a: np.zeros((2, 2)), a=[0, 1], max_bytes=0)


def test_figure_frames_over_every_tier_of_the_budget_are_refused():
    import matplotlib.pyplot as plt

    def fig(a):
        f, ax = plt.subplots(figsize=(2, 2))
        ax.imshow(np.random.default_rng(a).random((64, 64, 3)))
        return f

    with pytest.raises(ValueError, match="over max_bytes=1,000"):
        widgets.slider(fig, a=[0, 1], max_bytes=1000).frames()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dims": (5,), "latent_dim": 3}, r"from 0 to latent_dim - 1 = 2"),
        ({"dims": (-1,), "latent_dim": 3}, "from 0 to"),
        ({"dims": ()}, "one or more distinct"),
        ({"dims": (0, 0)}, "one or more distinct"),
        ({"values": [float("nan"), 1.0]}, "finite"),
    ],
)
def test_latent_slider_checks_dims_and_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        widgets.latent_slider(lambda z: torch.zeros(1, 1, 4, 4), **{"values": [0.0, 1.0], **kwargs})


def test_snapshot_and_initial_checks():
    with pytest.raises(ValueError, match="at least two snapshots"):
        widgets.snapshot_slider([], lambda v: np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"more than once: \[0\]"):
        widgets.snapshot_slider([(0, 1), (0, 2)], lambda v: np.zeros((2, 2)))
    with pytest.raises(ValueError, match="initial names unknown parameters"):
        widgets.slider(lambda a: np.zeros((2, 2)), a=[0, 1], initial={"b": 3})
