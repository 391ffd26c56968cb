import base64
import io
import re

import ipywidgets as w
import matplotlib
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


def test_slider_shows_its_label_its_value_and_both_ends():
    s = widgets.slider(
        lambda a: np.full((2, 2), a / 4), a=[-1.5, 0, 2.5, 4], labels={"a": "α (step)"}, initial={"a": 0}
    )
    html = s.to_html()
    assert "α (step): <output>0</output>" in html
    ends = re.findall(r'<span class="gencore-slider-end"[^>]*>([^<]*)</span>', html)
    assert ends == ["-1.5", "4"]
    view = s.widget()
    texts = [c.value for c in view.children if isinstance(c, w.HTML)]
    assert "α (step): <b>0</b>" in texts
    (row,) = [c for c in view.children if isinstance(c, w.HBox)]
    first, track, last = row.children
    assert (first.value, last.value) == ("-1.5", "4") and track.tooltip == "α (step)" and not track.readout
    track.value = 3  # moving the slider updates the value shown and the picture
    assert "α (step): <b>4</b>" in [c.value for c in view.children if isinstance(c, w.HTML)]


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


def _png_size(b64: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(b64))) as img:
        return img.size


def _wide_fig(a):
    fig, ax = plt.subplots(figsize=(5, 2.5))
    ax.plot(np.linspace(0, 1, 50), np.sin(np.linspace(0, 6, 50) + a), label="sin")
    ax.set_xlabel("t")
    ax.legend()
    return fig


def test_figure_frames_are_drawn_at_twice_their_display_size():
    s = widgets.slider(_wide_fig, a=[0.0, 1.0], alt="a sine wave shifted by a")
    html = s.to_html()
    shown = int(re.search(r"width:(\d+)px", html).group(1))
    w, _ = _png_size(s.frames()[0])
    assert w == pytest.approx(viz.DENSITY * shown, rel=0.02)  # sharp on 2x screens
    assert viz.MIN_WIDTH <= shown <= viz.MAX_WIDTH
    assert "max-width:100%" in html and "pixelated" not in html
    assert 'alt="a sine wave shifted by a"' in html


def test_image_frames_are_enlarged_pixelated():
    s = widgets.slider(lambda a: np.full((28, 28), a), a=[0.0, 1.0])
    html = s.to_html()
    shown = int(re.search(r"width:(\d+)px", html).group(1))
    assert shown % 28 == 0 and 400 <= shown <= viz.MAX_WIDTH
    assert "image-rendering:pixelated" in html and "max-width:100%" in html


def test_heavy_sliders_are_drawn_at_lower_density_to_fit_their_budget():
    def noisy(a):
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.scatter(*np.random.default_rng(int(a)).normal(size=(2, 3000)), s=2, c=np.arange(3000))
        return fig

    full = widgets.slider(noisy, a=[0, 1, 2])
    light = widgets.slider(noisy, a=[0, 1, 2], max_bytes=sum(map(len, full.frames())) // 2)
    assert _png_size(light.frames()[0])[0] < _png_size(full.frames()[0])[0]
    assert re.search(r"width:(\d+)px", light.to_html()).group(1) == re.search(r"width:(\d+)px", full.to_html()).group(1)


def test_figure_frames_are_palette_pngs():
    from PIL import Image

    png = viz.to_png(_wide_fig(0.0))
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "P"  # 256 colours: about a third of the bytes of RGBA


def test_book_style_is_colour_blind_safe_and_readable():
    import matplotlib as mpl

    colours = [c["color"].lower() for c in mpl.rcParams["axes.prop_cycle"]]
    assert colours[: len(viz.PALETTE)] == [c.lower() for c in viz.PALETTE]
    assert "#ff0000" not in colours and "red" not in colours
    assert min(mpl.rcParams["xtick.labelsize"], mpl.rcParams["legend.fontsize"]) >= 9


def test_scatter_means_are_rings_under_the_points_so_the_samples_stay_visible():
    ax = viz.scatter2d(np.zeros((10, 2)), c="black", means=np.zeros((1, 2)))
    points, rings = ax.collections
    assert rings.get_facecolor().size == 0 or rings.get_facecolor()[0][3] == 0  # open: no fill
    assert np.allclose(rings.get_edgecolor()[0][:3], matplotlib.colors.to_rgb("tab:red"))
    assert rings.get_zorder() < points.get_zorder()  # drawn under the samples
    plt.close(ax.figure)


def test_block_diagram_draws_a_box_per_block_and_an_arrow_per_pair():
    fig, ax = plt.subplots()
    viz.block_diagram(
        {"x": ("input", 0.1, 0.5, "white"), "f": ("$f$", 0.5, 0.5), "y": ("output", 0.9, 0.5), "l": ("loss", 0.5, 0.1)},
        [("x", "f"), ("f", "y", "maps"), ("f", "l")],
        ax=ax,
    )
    boxes = [t for t in ax.texts if t.get_bbox_patch() is not None]
    assert sorted(t.get_text() for t in boxes) == ["$f$", "input", "loss", "output"]
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == 3 and "maps" in [t.get_text() for t in ax.texts]
    fig.canvas.draw()  # the arrows resolve their ends against the drawn boxes
    plt.close(fig)
    with pytest.raises(ValueError, match=r"arrows name blocks that do not exist: \['z'\]"):
        viz.block_diagram({"x": ("input", 0.1, 0.5)}, [("x", "z")])


def _boxes(ax) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_bbox_patch() is not None]


def test_stylegan_diagram_draws_the_widths_of_its_config():
    from gencore.models.stylegan import StyleGANConfig

    ax = viz.stylegan_diagram(StyleGANConfig(mapping_layers=2, channels=(64, 64, 32, 16)))
    boxes = _boxes(ax)
    assert boxes.count("FC 64 → 64\nleaky ReLU") == 2  # the mapping network's layers
    assert boxes.count("A") == boxes.count("B") == 4  # one style input and one noise input per resolution
    assert "learned\nconstant\n64 × 4 × 4" in boxes
    blocks = [b for b in boxes if "mod conv" in b]
    assert [b.splitlines()[-1] for b in blocks] == ["64 × 4 × 4", "64 × 8 × 8", "32 × 16 × 16", "16 × 32 × 32"]
    assert blocks[0].count("mod conv") == 1 and all("up ×2\n2 × mod conv" in b for b in blocks[1:])
    assert [b for b in boxes if b.startswith("toRGB")] == [f"toRGB\n3 × {r} × {r}" for r in (4, 8, 16, 32)]
    assert "image\n3 × 32 × 32" in boxes
    assert [t.get_text() for t in ax.texts].count("up ×2, +") == 3  # the skips between the toRGB outputs
    ax.figure.canvas.draw()
    plt.close(ax.figure)

    # a dict (a manifest's config["model"]) works too; many mapping layers are drawn as one box
    config = {"z_dim": 8, "w_dim": 16, "mapping_layers": 8, "channels": [8, 4], "image_channels": 1}
    ax = viz.stylegan_diagram(config)
    boxes = _boxes(ax)
    assert {"8 × FC → 16\nleaky ReLU", "learned\nconstant\n8 × 4 × 4", "image\n1 × 8 × 8"} <= set(boxes)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="needs the config field 'channels'"):
        viz.stylegan_diagram({k: v for k, v in config.items() if k != "channels"})
