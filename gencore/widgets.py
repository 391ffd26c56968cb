"""Sliders that work in Jupyter *and* in the static HTML book.

:func:`slider` returns a :class:`SliderView`. In a live kernel it displays as
an ipywidget that calls ``render`` as the reader drags. Its display bundle also
holds a self-contained ``text/html`` version: every frame precomputed as a PNG,
switched by plain ``<input type="range">`` elements and ten lines of inline
JavaScript. The book's ``_config.yml`` ranks ``text/html`` above the widget
view for the HTML builder (myst-nb ``nb_mime_priority_overrides``), so the
built pages show sliders that move with no kernel and no CDN.

Each slider shows its parameter's label and current value, and the first and last values at
the two ends of its track, so that a reader sees the range before moving it.

Frames are sharp on high-density screens: a matplotlib figure is drawn at
``viz.DENSITY`` pixels per CSS pixel and shown at its own size (at most
``viz.MAX_WIDTH`` px and the column width); an image tensor keeps one pixel per
data pixel and is shown enlarged, pixelated. Figure frames are 256-colour palette
PNGs, and a slider whose frames would weigh more than ``max_bytes`` is drawn at a
lower density, so that a page with sliders stays light.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import uuid
from collections.abc import Callable, Sequence

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

from gencore import viz
from gencore.viz import to_png

#: Default budget for one slider's frames (base64 bytes in the page).
MAX_BYTES = 450_000

#: Most frames one slider may precompute (the product of its parameters' numbers of values).
MAX_FRAMES = 400

_SCRIPT = """(function(){var root=document.getElementById(%(id)s);var frames=%(frames)s;
var shape=%(shape)s;var labels=%(labels)s;var img=root.querySelector('img');
var inputs=root.querySelectorAll('input[type=range]');var outs=root.querySelectorAll('output');
function show(){var k=0;for(var i=0;i<inputs.length;i++){var v=+inputs[i].value;k=k*shape[i]+v;
outs[i].textContent=labels[i][v];}img.src='data:image/png;base64,'+frames[k];}
for(var i=0;i<inputs.length;i++){inputs[i].addEventListener('input',show);}})();"""


def _label(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.3g}"
    return str(v)


def _js(value) -> str:
    """``value`` as JSON safe inside ``<script>``: no ``</script>`` or ``<!--`` can end or bend the script."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class SliderView:
    """Frames ``render(**params)`` over the grid of parameter values, behind sliders."""

    def __init__(
        self,
        render: Callable[..., object],
        params: dict[str, Sequence],
        *,
        initial: dict[str, object] | None = None,
        width: int | None = None,
        title: str = "",
        labels: dict[str, str] | None = None,
        alt: str = "",
        max_bytes: int = MAX_BYTES,
    ):
        if not params:
            raise ValueError("slider() needs at least one parameter, e.g. slider(render, z1=[-2, 0, 2])")
        params = {k: list(v) for k, v in params.items()}
        for name, values in params.items():
            if len(values) < 2:
                raise ValueError(f"parameter {name!r} needs at least two values, got {list(values)!r}")
        count = math.prod(len(v) for v in params.values())
        if count > MAX_FRAMES:
            sizes = " × ".join(f"{len(v)} ({k})" for k, v in params.items())
            raise ValueError(f"slider of {sizes} = {count} frames; at most {MAX_FRAMES}: use fewer values")
        if width is not None and (isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width <= 0):
            raise ValueError(f"width must be a positive number of CSS pixels or None, got {width!r}")
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) or max_bytes <= 0:
            raise ValueError(f"max_bytes must be a positive integer, got {max_bytes!r}")
        self.render = render
        self.params = {k: list(v) for k, v in params.items()}
        initial = initial or {}
        unknown_initial = set(initial) - set(self.params)
        if unknown_initial:
            raise ValueError(
                f"initial names unknown parameters {sorted(unknown_initial)}; parameters: {list(self.params)}"
            )
        self.initial = {k: self._nearest(k, initial.get(k, v[len(v) // 2])) for k, v in self.params.items()}
        self.width = width
        self.title = title
        unknown = set(labels or {}) - set(self.params)
        if unknown:
            raise ValueError(f"labels name unknown parameters {sorted(unknown)}; parameters: {list(self.params)}")
        #: what the reader sees beside each slider, e.g. {"theta": "θ (offset of the line)"}
        self.labels = {k: (labels or {}).get(k, k) for k in self.params}
        #: alt text of the image: what the figure shows
        self.alt = alt or title
        self.max_bytes = max_bytes
        self._frames: list[str] | None = None
        self._figure = False  # whether frames are matplotlib figures (else images)
        self._display_width = 0

    def _nearest(self, name: str, value) -> int:
        values = self.params[name]
        if value in values:
            return values.index(value)
        try:
            return int(np.argmin([abs(float(v) - float(value)) for v in values]))
        except (TypeError, ValueError):
            raise ValueError(f"initial value {value!r} is not among the values of {name!r}") from None

    def _png(self, idx: tuple[int, ...]) -> bytes:
        kwargs = {k: self.params[k][i] for k, i in zip(self.params, idx)}
        with torch.no_grad():
            return to_png(self.render(**kwargs))

    def _draw(self, idx: tuple[int, ...]) -> Image.Image | bytes:
        """One frame: a figure as an RGB image at ``viz.DENSITY``x, anything else as PNG bytes."""
        kwargs = {k: self.params[k][i] for k, i in zip(self.params, idx)}
        with torch.no_grad():
            frame = self.render(**kwargs)
        if not isinstance(frame, matplotlib.figure.Figure):
            return to_png(frame)
        buf = io.BytesIO()
        frame.savefig(buf, format="png", dpi=frame.dpi * viz.DENSITY, bbox_inches="tight", facecolor="white")
        plt.close(frame)
        buf.seek(0)
        return Image.open(buf).convert("RGB")

    @staticmethod
    def _encode(img: Image.Image, scale: float, colours: int = 256) -> str:
        """A drawn figure as a base64 palette PNG of ``colours`` colours, resized by ``scale``."""
        if scale != 1:
            img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
        buf = io.BytesIO()
        img.quantize(colors=colours).save(buf, format="png", optimize=True)
        return base64.b64encode(buf.getvalue()).decode()

    def frames(self) -> list[str]:
        """All frames as base64 PNGs, in row-major order of the parameter grid."""
        if self._frames is None:
            ranges = [range(len(v)) for v in self.params.values()]
            drawn = [self._draw(idx) for idx in itertools.product(*ranges)]
            self._figure = isinstance(drawn[0], Image.Image)
            if self._figure:
                self._display_width = int(min(viz.MAX_WIDTH, max(drawn[0].width // viz.DENSITY, viz.MIN_WIDTH)))
                # Full density (DENSITY pixels per CSS pixel of the displayed width) if the
                # frames fit the budget, else fewer pixels down to one per CSS pixel, then
                # fewer colours, then (blurred, before refusing) down to half a pixel per CSS pixel.
                width = self.width or self._display_width
                tiers = ((viz.DENSITY, 256), (1.5, 256), (1.25, 256), (1.0, 256), (1.0, 64), (0.75, 64), (0.5, 64))
                for density, colours in tiers:
                    scale = min(1.0, density * width / drawn[0].width)
                    frames = [self._encode(img, scale, colours) for img in drawn]
                    if sum(map(len, frames)) <= self.max_bytes:
                        break
            else:
                frames = [base64.b64encode(png).decode() for png in drawn]
                self._display_width = viz.display_width(drawn[0], figure=False)
                for colours in (256, 16):  # over the budget: palette images, as a last resort of fewer colours
                    if sum(map(len, frames)) <= self.max_bytes:
                        break
                    frames = [self._encode(Image.open(io.BytesIO(png)).convert("RGB"), 1, colours) for png in drawn]
            total = sum(map(len, frames))
            if total > self.max_bytes:
                raise ValueError(
                    f"the slider's {len(frames)} frames weigh {total:,} bytes, over max_bytes={self.max_bytes:,}: "
                    "use fewer values, smaller frames or a larger max_bytes"
                )
            self._frames = frames
        return self._frames

    def to_html(self) -> str:
        """The kernel-free version: precomputed frames and range inputs."""
        uid = "gencore-slider-" + uuid.uuid4().hex[:10]
        frames = self.frames()
        shape = [len(v) for v in self.params.values()]
        start = 0
        for name, n in zip(self.params, shape):
            start = start * n + self.initial[name]
        width = self.width or self._display_width
        style = f"width:{width}px;max-width:100%;height:auto;"
        if not self._figure:
            style += "image-rendering:pixelated;"
        # the two ends of the track; the first right-aligned in a fixed width, so that tracks line up
        end = (
            '<span class="gencore-slider-end" style="display:inline-block;min-width:{w};text-align:{a};'
            'font-variant-numeric:tabular-nums">{v}</span>'
        )
        controls = "".join(
            f'<label style="display:block;font-family:sans-serif;font-size:0.9em">{html.escape(self.labels[name])}: '
            f"<output>{html.escape(_label(vals[self.initial[name]]))}</output><br>"
            + end.format(w="3em", a="right", v=html.escape(_label(vals[0])))
            + f' <input type="range" min="0" max="{len(vals) - 1}" step="1" value="{self.initial[name]}" '
            f'aria-label="{html.escape(self.labels[name])}" style="vertical-align:middle"> '
            + end.format(w="0", a="left", v=html.escape(_label(vals[-1])))
            + "</label>"
            for name, vals in self.params.items()
        )
        labels = [[_label(v) for v in vals] for vals in self.params.values()]
        script = _SCRIPT % {
            "id": _js(uid),
            "frames": _js(frames),
            "shape": _js(shape),
            "labels": _js(labels),
        }
        caption = f'<div style="font-weight:bold">{html.escape(self.title)}</div>' if self.title else ""
        return (
            f'<div class="gencore-slider" id="{uid}">{caption}'
            f'<img alt="{html.escape(self.alt or "slider frame")}" style="{style}" '
            f'src="data:image/png;base64,{frames[start]}">{controls}<script>{script}</script></div>'
        )

    def widget(self):
        """The live ipywidget: one SelectionSlider per parameter and an Image."""
        import ipywidgets as w

        self.frames()  # sets the display width and whether frames are figures (cached)
        image = w.Image(format="png", value=self._png(tuple(self.initial.values())))
        # The same size as the HTML version: a 28x28 digit is enlarged to its display width,
        # pixelated, not stretched to the output's width and blurred.
        image.layout.width = f"{self.width or self._display_width}px"
        image.layout.max_width = "100%"
        image.layout.height = "auto"
        extra = []
        if not self._figure:
            image.add_class("gencore-pixelated")
            extra.append(
                w.HTML("<style>.gencore-pixelated img, img.gencore-pixelated {image-rendering: pixelated}</style>")
            )
        sliders, headings, rows = [], [], []
        for name, vals in self.params.items():
            # the whole label and the current value above the track (ipywidgets would cut a
            # description at 80 px), the first and last values at the track's two ends
            heading = w.HTML(self._heading(name, self.initial[name]))
            slider = w.SelectionSlider(
                options=[(_label(v), i) for i, v in enumerate(vals)],
                value=self.initial[name],
                readout=False,
                tooltip=self.labels[name],  # the track's accessible name, as the HTML version's aria-label
                layout=w.Layout(width="100%", max_width="560px"),
            )
            ends = [w.HTML(_label(vals[0])), w.HTML(_label(vals[-1]))]
            sliders.append(slider)
            headings.append(heading)
            rows += [heading, w.HBox([ends[0], slider, ends[1]], layout=w.Layout(align_items="center"))]

        def update(_=None):
            for name, slider, heading in zip(self.params, sliders, headings):
                heading.value = self._heading(name, slider.value)
            image.value = self._png(tuple(s.value for s in sliders))

        for s in sliders:
            s.observe(update, names="value")
        children = ([w.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []) + [*extra, image, *rows]
        return w.VBox(children)

    def _heading(self, name: str, index: int) -> str:
        """The label of parameter ``name`` and its value at ``index``, as HTML."""
        return f"{html.escape(self.labels[name])}: <b>{html.escape(_label(self.params[name][index]))}</b>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle: dict[str, object] = {
            "text/plain": f"SliderView({', '.join(f'{k}: {len(v)} values' for k, v in self.params.items())})",
            "text/html": self.to_html(),
        }
        try:
            view = self.widget()._repr_mimebundle_(include=include, exclude=exclude)
        except Exception:  # no ipywidgets front end: the HTML version is enough
            view = None
        if view:
            bundle.update({k: v for k, v in view.items() if k != "text/plain"})
        return bundle


def slider(
    render: Callable[..., object],
    *,
    initial: dict | None = None,
    width: int | None = None,
    title: str = "",
    labels: dict[str, str] | None = None,
    alt: str = "",
    max_bytes: int = MAX_BYTES,
    **params: Sequence,
) -> SliderView:
    """A slider over each keyword's values; ``render(**values)`` returns a frame.

    A frame is a matplotlib Figure, an image tensor in [-1, 1], an array in
    [0, 1], or PNG bytes. Example::

        slider(lambda z1, z2: vae.decode_mean(torch.tensor([[z1, z2]])), z1=grid, z2=grid,
               labels={"z1": "z₁", "z2": "z₂"}, alt="decoded digit at (z₁, z₂)")

    ``labels`` maps parameter names to what the reader sees (a symbol and its
    meaning); ``alt`` is the image's alt text (what the figure shows). ``width``
    fixes the display width in CSS pixels (default: the figure's own size, at
    most ``viz.MAX_WIDTH``; never wider than the column); ``max_bytes`` caps the
    weight of the frames in the page (figures are drawn at a lower density to fit).
    """
    return SliderView(
        render, params, initial=initial, width=width, title=title, labels=labels, alt=alt, max_bytes=max_bytes
    )


def latent_slider(
    decode: Callable[[torch.Tensor], torch.Tensor],
    values: Sequence[float] = tuple(np.linspace(-3, 3, 13)),
    *,
    dims: Sequence[int] = (0, 1),
    latent_dim: int | None = None,
    base: torch.Tensor | None = None,
    width: int | None = None,
    title: str = "",
    labels: dict[str, str] | None = None,
    alt: str = "",
) -> SliderView:
    """Slide latent coordinates ``dims`` of ``z`` (others fixed at ``base``, default 0) through ``decode``.

    ``decode`` maps ``(1, latent_dim)`` to an image ``(1, C, H, W)`` in [-1, 1].
    """
    dims = list(dims)
    if not dims or len(set(dims)) < len(dims):
        raise ValueError(f"dims must name one or more distinct latent coordinates, got {dims!r}")
    latent_dim = latent_dim or (len(base) if base is not None else max(dims) + 1)
    if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 0 <= d < latent_dim for d in dims):
        raise ValueError(f"dims must be integers from 0 to latent_dim - 1 = {latent_dim - 1}, got {dims!r}")
    if not np.isfinite(np.asarray(list(values), dtype=float)).all():
        raise ValueError("values must be finite numbers")
    z0 = torch.zeros(latent_dim) if base is None else torch.as_tensor(base, dtype=torch.float32).clone()

    def render(**kw):
        z = z0.clone()
        for d in dims:
            z[d] = float(kw[f"z{d + 1}"])
        return decode(z.unsqueeze(0))[0].cpu()

    subscript = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    default = {f"z{d + 1}": f"z{str(d + 1).translate(subscript)}" for d in dims}
    return slider(
        render,
        width=width,
        title=title,
        labels={**default, **(labels or {})},
        alt=alt or f"the image decoded from z as {', '.join(default.values())} move",
        **{f"z{d + 1}": list(values) for d in dims},
    )


def snapshot_slider(
    snapshots: Sequence[tuple[int, object]],
    render: Callable[[object], object],
    *,
    width: int | None = None,
    title: str = "",
    alt: str = "",
) -> SliderView:
    """A slider over training snapshots ``[(step, value), ...]`` from :class:`gencore.train.History`."""
    steps = [step for step, _ in snapshots]
    if len(set(steps)) < len(steps):
        raise ValueError(f"snapshots hold a step more than once: {sorted(s for s in set(steps) if steps.count(s) > 1)}")
    if len(steps) < 2:
        raise ValueError(f"a snapshot slider needs at least two snapshots, got {len(steps)}")
    by_step = dict(snapshots)
    return slider(
        lambda step: render(by_step[step]),
        step=list(by_step),
        initial={"step": list(by_step)[-1]},
        width=width,
        title=title,
        labels={"step": "training step"},
        alt=alt or title,
    )
