import base64
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gencore import viz, widgets


def _fig(a):
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, a])
    return fig


def test_slider_html_has_every_frame_and_a_range_input_per_parameter():
    s = widgets.slider(lambda a, b: np.full((4, 4), (a + b) / 4), a=[0, 1], b=[0, 1, 2])
    html = s.to_html()
    assert html.count('type="range"') == 2
    frames = s.frames()
    assert len(frames) == 6 and len(set(frames)) == 4  # (a+b) takes 4 distinct values
    assert all(base64.b64decode(f)[:8] == b"\x89PNG\r\n\x1a\n" for f in frames)
    assert "http" not in html  # nothing loads from elsewhere


def test_mimebundle_carries_html_and_widget_view():
    b = widgets.slider(_fig, a=[1, 2, 3])._repr_mimebundle_()
    assert "text/html" in b and "gencore-slider" in b["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in b


def test_initial_value_and_row_major_order():
    s = widgets.slider(
        lambda a, b: np.full((2, 2), a * 0.1 + b * 0.01), a=[0, 5], b=[0, 3, 9], initial={"a": 5, "b": 3}
    )
    shown = re.search(r'src="data:image/png;base64,([^"]+)"', s.to_html()).group(1)
    assert shown == s.frames()[1 * 3 + 1]


def test_slider_errors():
    with pytest.raises(ValueError, match="at least one parameter"):
        widgets.slider(lambda: None)
    with pytest.raises(ValueError, match="at least two values"):
        widgets.slider(lambda a: None, a=[1])


def test_latent_slider_decodes_the_chosen_dims():
    seen = []

    def decode(z):
        seen.append(z.clone())
        return torch.zeros(1, 1, 4, 4)

    s = widgets.latent_slider(decode, values=[-1.0, 1.0], dims=(0, 2), latent_dim=3)
    s.frames()
    assert {tuple(z[0].tolist()) for z in seen} >= {(-1.0, 0.0, -1.0), (1.0, 0.0, 1.0)}


def test_snapshot_slider_defaults_to_the_last_step():
    s = widgets.snapshot_slider([(0, 0.0), (10, 0.5), (20, 1.0)], lambda v: np.full((2, 2), v))
    assert s.initial == {"step": 2}


def test_to_png_accepts_every_frame_kind():
    for frame in (_fig(1), torch.zeros(1, 8, 8), torch.zeros(2, 1, 8, 8), np.zeros((5, 5)), np.zeros((5, 5, 3))):
        assert viz.to_png(frame)[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="cannot turn"):
        viz.to_png(np.zeros(5))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        viz.grid_array(torch.zeros(5))
