"""Figures: one image-grid helper, 2-D scatter/density plots, loss curves, block diagrams, PNG export.

Importing this module (``gencore.widgets`` imports it too) sets the book's figure
style, which every chapter inherits: the Okabe–Ito colour-blind-safe palette as the
colour cycle (``"C0"``, ``"C1"``, … and default line colours), text no smaller than
9 pt, and inline figures rendered at twice their pixel density ("retina") so they
stay sharp on high-density screens.
"""

from __future__ import annotations

import io

import matplotlib as mpl
import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import torch
from cycler import cycler
from PIL import Image
from torchvision.utils import make_grid

#: Okabe & Ito's palette, distinguishable with every common colour-vision deficiency
#: (blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

#: The book's matplotlib settings (applied on import; :func:`use_book_style` re-applies them).
STYLE = {
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "image.cmap": "viridis",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 11,
    "figure.dpi": 110,
}

#: Slider frames and figures are drawn at this many pixels per CSS pixel, and shown
#: at ``figure.dpi`` CSS pixels per inch (110: 10-pt text is about as large as the
#: book's body text).
DENSITY = 2
#: Slider frames are shown at most this wide (CSS pixels), and never wider than the column.
MAX_WIDTH = 640
#: A figure frame narrower than this (at ``figure.dpi``) is enlarged to it.
MIN_WIDTH = 440


def figure_png(fig: matplotlib.figure.Figure) -> tuple[bytes, dict[str, int]]:
    """A figure as the notebook shows it: drawn at ``DENSITY`` times its pixel size, as a
    256-colour palette PNG, with the size to display it at (CSS pixels) as metadata."""
    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=fig.dpi * DENSITY, bbox_inches="tight", facecolor="white")
    raw.seek(0)
    img = Image.open(raw)
    buf = io.BytesIO()
    _quantized_png(img, buf)
    return buf.getvalue(), {"width": img.width // DENSITY, "height": img.height // DENSITY}


def use_book_style() -> None:
    """Apply :data:`STYLE`; in IPython, show figures sharp (2x) and light (palette PNG)."""
    mpl.rcParams.update(STYLE)
    try:  # only inside IPython; a plain script keeps its backend
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        return
    if shell is None:
        return
    if "inline" in str(mpl.rcParams._get("backend")):
        # Load the inline backend now: on load it registers its own PNG formatter for
        # figures, which must not replace ours later.
        import matplotlib_inline.backend_inline  # noqa: F401
    shell.display_formatter.formatters["image/png"].for_type(matplotlib.figure.Figure, figure_png)


use_book_style()


def grid_array(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> np.ndarray:
    """Images ``(N, C, H, W)`` in ``[-1, 1]`` -> one ``(H', W')`` or ``(H', W', 3)`` array in ``[0, 1]``."""
    images = torch.as_tensor(images).detach().float().cpu()
    if images.ndim == 3:
        images = images.unsqueeze(1)
    if images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"expected a non-empty batch of images (N, C, H, W), got {tuple(images.shape)}")
    if isinstance(nrow, bool) or not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow must be a positive integer, got {nrow!r}")
    g = make_grid(images.clamp(-1, 1), nrow=nrow, padding=padding, normalize=True, value_range=(-1, 1), pad_value=1)
    arr = g.permute(1, 2, 0).numpy()
    return arr[..., 0] if images.shape[1] == 1 else arr


def image_grid(images: torch.Tensor, nrow: int = 8, *, ax=None, title: str | None = None, padding: int = 2):
    """Show ``(N, C, H, W)`` images in ``[-1, 1]`` as one grid; returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(min(8, 0.6 * nrow + 1),) * 2)
    ax.imshow(grid_array(images, nrow, padding), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def scatter2d(points, *, ax=None, c=None, means=None, s: float = 2, title: str | None = None, lim=None, **kw):
    """Scatter ``(N, 2)`` points; ``means`` ``(K, 2)`` are drawn as open red rings *under* the
    points, so that a mode's samples stay visible inside its ring."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    p = np.asarray(torch.as_tensor(points).detach().cpu())
    ax.scatter(p[:, 0], p[:, 1], s=s, c=c, zorder=3, **kw)
    if means is not None:
        m = np.asarray(torch.as_tensor(means).cpu())
        ax.scatter(
            m[:, 0], m[:, 1], marker="o", s=90, facecolors="none", edgecolors="tab:red", linewidths=1.2, zorder=2
        )
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def density2d(values: np.ndarray, extent: tuple[float, float, float, float], *, ax=None, title=None, cmap="viridis"):
    """Show a density evaluated on a grid (rows = y, columns = x)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(np.asarray(values), origin="lower", extent=extent, cmap=cmap, aspect="auto")
    if title:
        ax.set_title(title)
    return ax


def loss_curves(history, keys: list[str] | None = None, *, ax=None, smooth: int = 1, title: str | None = None):
    """Plot the losses a :class:`gencore.train.History` logged (moving average over ``smooth`` steps)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for k in keys or sorted(history.losses):
        v = np.asarray(history.losses[k], dtype=float)
        if smooth > 1 and len(v) >= smooth:
            v = np.convolve(v, np.ones(smooth) / smooth, mode="valid")
        ax.plot(history.steps[-len(v) :], v, label=k)
    ax.set_xlabel("step")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def _quantized_png(img: Image.Image, buf: io.BytesIO) -> None:
    """Save a rendered figure as a 256-colour palette PNG: anti-aliased plots on white
    look the same, at about a third of the bytes of an RGBA PNG."""
    img.convert("RGB").quantize(colors=256).save(buf, format="png", optimize=True)


def to_png(frame, *, dpi: int | None = None) -> bytes:
    """PNG bytes of a frame: a matplotlib Figure (closed afterwards), PNG bytes, an image
    tensor ``(C, H, W)``/``(N, C, H, W)`` in ``[-1, 1]``, or an array ``(H, W[, 3])`` in ``[0, 1]``.

    Figures are drawn at ``dpi`` (default ``figure.dpi * DENSITY``: sharp on
    high-density screens when shown at their size in CSS pixels) on white, and stored
    as palette PNGs; images and arrays keep one pixel per data pixel (grey-scale or RGB)."""
    if isinstance(frame, bytes):
        return frame
    buf = io.BytesIO()
    if isinstance(frame, matplotlib.figure.Figure):
        raw = io.BytesIO()
        frame.savefig(raw, format="png", dpi=dpi or frame.dpi * DENSITY, bbox_inches="tight", facecolor="white")
        plt.close(frame)
        raw.seek(0)
        _quantized_png(Image.open(raw), buf)
        return buf.getvalue()
    if isinstance(frame, torch.Tensor):
        frame = grid_array(frame if frame.ndim == 4 else frame.unsqueeze(0), nrow=8, padding=0)
    arr = np.clip(np.asarray(frame, dtype=float), 0, 1)
    if arr.ndim not in (2, 3):
        raise ValueError(f"cannot turn an array of shape {arr.shape} into an image")
    Image.fromarray(np.round(arr * 255).astype(np.uint8)).save(buf, format="png", optimize=True)
    return buf.getvalue()


def display_width(png: bytes, *, figure: bool) -> int:
    """The width in CSS pixels to show a frame at, never over :data:`MAX_WIDTH` (and the
    page caps it at the column width). A ``figure`` (drawn by :func:`to_png` at
    ``DENSITY`` pixels per CSS pixel) is shown at its own size, so that its text keeps
    its point size, but at least :data:`MIN_WIDTH` wide; a small image (one pixel
    per data pixel, shown pixelated) is enlarged by a whole factor to about 480 px."""
    with Image.open(io.BytesIO(png)) as img:
        w = img.width
    if figure:
        return int(min(MAX_WIDTH, max(w // DENSITY, MIN_WIDTH)))
    if w > MAX_WIDTH:
        return MAX_WIDTH
    return w * max(1, min(480 // w, MAX_WIDTH // w))


def block_diagram(blocks: dict, arrows, *, ax=None, title: str | None = None, fontsize: float = 10):
    """An architecture drawn as labelled boxes joined by arrows, the book's diagrams of its models.

    ``blocks`` maps a name to ``(text, x, y)`` or ``(text, x, y, colour)``: the box's text (mathtext
    allowed) and the centre of the box in axes units; ``arrows`` is a list of ``(from, to)`` or
    ``(from, to, label)`` pairs of block names, drawn from box edge to box edge (a block may point
    to itself only through another). Returns the axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.4))
    unknown = {name for arrow in arrows for name in arrow[:2]} - set(blocks)
    if unknown:
        raise ValueError(f"arrows name blocks that do not exist: {sorted(unknown)}; blocks: {sorted(blocks)}")
    texts = {}
    for name, (text, x, y, *colour) in blocks.items():
        face = colour[0] if colour else "#EEF4FA"
        texts[name] = ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=fontsize,
            transform=ax.transAxes,
            bbox={"boxstyle": "round,pad=0.45", "fc": face, "ec": "#4D4D4D", "lw": 1},
            zorder=3,
        )
    for start, end, *label in arrows:
        a, b = texts[start], texts[end]
        (xa, ya), (xb, yb) = a.get_position(), b.get_position()
        # from the side of one box that faces the other, to the facing side of the other
        if abs(xb - xa) >= abs(yb - ya):
            side_a, side_b = ((1, 0.5), (0, 0.5)) if xb > xa else ((0, 0.5), (1, 0.5))
        else:
            side_a, side_b = ((0.5, 1), (0.5, 0)) if yb > ya else ((0.5, 0), (0.5, 1))
        pad = 0.45 * fontsize + 2  # the box's padding, in points, and a gap
        ax.annotate(
            "",
            xy=side_b,
            xycoords=b,
            xytext=side_a,
            textcoords=a,
            arrowprops={"arrowstyle": "-|>", "color": "#4D4D4D", "lw": 1.2, "shrinkA": pad, "shrinkB": pad},
            zorder=4,
        )
        if label:
            ax.text(
                (xa + xb) / 2,
                (ya + yb) / 2 + 0.06,
                label[0],
                ha="center",
                va="bottom",
                fontsize=fontsize - 1,
                transform=ax.transAxes,
                color="#333333",
            )
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def stylegan_diagram(config, *, ax=None, fontsize: float = 9):
    """StyleGAN2's generator as a block diagram, with the widths of ``config``.

    ``config`` is a ``StyleGANConfig`` or a mapping with its fields ``z_dim``, ``w_dim``,
    ``mapping_layers``, ``channels`` (one width per resolution from 4 px) and ``image_channels``.
    Top row: the mapping network, z normalized then ``mapping_layers`` fully connected layers
    (drawn as one box when there are more than three) to w. Middle: the synthesis network, from
    the learned constant through one block per resolution (4 px: one modulated 3×3 convolution;
    each larger one: upsampling and two), each fed by A, the learned affine maps from w to the
    styles of its convolutions and toRGB, and by B, noise images scaled by learned strengths.
    Bottom: the toRGB outputs, each upsampled ×2 (bilinear) and added to the next. Returns the axes.
    """

    def get(name):
        value = config.get(name) if isinstance(config, dict) else getattr(config, name, None)
        if value is None:
            raise ValueError(
                f"stylegan_diagram needs the config field {name!r} (a StyleGANConfig or a dict with z_dim, w_dim, "
                f"mapping_layers, channels, image_channels), got {config!r}"
            )
        return value

    z_dim, w_dim, n_fc, image_channels = (get(k) for k in ("z_dim", "w_dim", "mapping_layers", "image_channels"))
    channels = list(get("channels"))
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    white, style, noise = "white", "#FCEFD4", "#E3F2EA"
    blocks = {"z": (f"$z \\sim \\mathcal{{N}}(0, I_{{{z_dim}}})$", 0.07, 0.9, white), "norm": ("normalize", 0.22, 0.9)}
    fcs = [f"FC {z_dim if i == 0 else w_dim} → {w_dim}\nleaky ReLU" for i in range(n_fc)]
    if n_fc > 3:
        fcs = [f"{n_fc} × FC → {w_dim}\nleaky ReLU"]
    step = 0.34 / len(fcs)
    for i, text in enumerate(fcs):
        blocks[f"fc{i}"] = (text, 0.32 + step * (i + 0.5), 0.9)
    blocks["w"] = (f"$w \\in \\mathbb{{R}}^{{{w_dim}}}$", 0.78, 0.9, white)
    arrows = [("z", "norm"), ("norm", "fc0"), *[(f"fc{i}", f"fc{i + 1}") for i in range(len(fcs) - 1)]]
    arrows.append((f"fc{len(fcs) - 1}", "w"))
    blocks["const"] = (f"learned\nconstant\n{channels[0]} × 4 × 4", 0.055, 0.42, white)
    previous = "const"
    xs = np.linspace(0.215, 0.795, len(channels)) if len(channels) > 1 else [0.5]
    for k, (c, x) in enumerate(zip(channels, xs)):
        r = 4 * 2**k
        convs = f"{r}×{r}\nmod conv 3×3" if k == 0 else f"{r}×{r}: up ×2\n2 × mod conv 3×3"
        blocks[f"b{k}"] = (f"{convs}\n{c} × {r} × {r}", x, 0.42)
        blocks[f"A{k}"] = ("A", x - 0.035, 0.64, style)
        blocks[f"B{k}"] = ("B", x + 0.035, 0.64, noise)
        blocks[f"rgb{k}"] = (f"toRGB\n{image_channels} × {r} × {r}", x, 0.12)
        arrows += [(previous, f"b{k}"), ("w", f"A{k}"), (f"A{k}", f"b{k}"), (f"B{k}", f"b{k}"), (f"b{k}", f"rgb{k}")]
        if k:
            arrows.append((f"rgb{k - 1}", f"rgb{k}", "up ×2, +"))
        previous = f"b{k}"
    r = 4 * 2 ** (len(channels) - 1)
    blocks["image"] = (f"image\n{image_channels} × {r} × {r}", 0.94, 0.12, white)
    arrows.append((f"rgb{len(channels) - 1}", "image"))
    block_diagram(blocks, arrows, ax=ax, fontsize=fontsize)
    ax.text(0.01, 0.99, "mapping network", transform=ax.transAxes, fontsize=fontsize, va="top", style="italic")
    ax.text(0.01, 0.62, "synthesis network", transform=ax.transAxes, fontsize=fontsize, va="top", style="italic")
    return ax
