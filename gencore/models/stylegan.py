"""A StyleGAN2 generator and discriminator scaled to 32x32 RGB (Karras et al. 2019, 2020).

Every idea of StyleGAN / StyleGAN2 is kept; the sizes are made for a CPU. The
defaults follow NVIDIA's stylegan2-ada-pytorch; where this file differs it says so.

Generator
- a mapping network z -> w: the z is normalized to unit second moment, then
  ``mapping_layers`` (default 8) fully connected layers with leaky ReLU and a
  learning-rate multiplier of 0.01;
- a running average of w (``w_avg``, beta = 0.995) for the truncation trick
  ``w' = w_avg + psi (w - w_avg)``;
- a learned constant 4x4 input;
- modulated convolutions: the style ``s = A w + b`` (bias initialised to 1)
  scales the input channels of the weight, ``w'_{oik} = s_i w_{oik}``, and
  demodulation rescales each output channel to unit expected norm,
  ``w''_{oik} = w'_{oik} / sqrt(sum_{i,k} w'_{oik}^2 + eps)``. This replaces AdaIN's
  instance normalization, which caused StyleGAN's "droplet" artifacts. It is
  computed as in the official code's unfused path: scale the activations by
  ``s``, convolve with the shared weight, scale by the demodulation coefficients;
- per-layer noise inputs, one noise image per layer, scaled by a learned
  per-layer strength initialised to 0;
- upsampling by 2 in the first convolution of each block, as in the official code:
  a transposed convolution of stride 2 followed by the FIR filter [1, 3, 3, 1]; and an
  image built from toRGB outputs at every resolution, each added to the bilinearly
  upsampled image of the one below ("skip" architecture; bilinear upsampling is the
  same [1, 3, 3, 1] filter except at the border);
- equalized learning rate: weights drawn from N(0, 1) and scaled by
  1/sqrt(fan_in) at run time.

Discriminator: the residual architecture, with 2x2 average-pool downsampling (the
official code uses the [1, 3, 3, 1] filter), computed at the low resolution where the
pooling allows it, minibatch standard deviation
(groups of 4, one feature) before the last convolution, and equalized learning rate.

Style mixing (probability 0.9) and R1 regularization belong to training:
``gencore.train.stylegan.mix_styles`` and ``gencore.losses.r1_penalty``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gencore.models.sampling import check_count, sample_in_chunks

SQRT2 = math.sqrt(2.0)


@dataclass
class StyleGANConfig:
    z_dim: int = 64
    w_dim: int = 64
    mapping_layers: int = 8  # stylegan2-ada-pytorch's default
    mapping_lr: float = 0.01  # learning-rate multiplier of the mapping network
    channels: tuple[int, ...] = (128, 128, 64, 32)  # at 4, 8, 16, 32 pixels
    #: the discriminator's channels at 4, 8, 16, 32 pixels (``None``: the generator's ``channels``)
    d_channels: tuple[int, ...] | None = None
    image_channels: int = 3
    w_avg_beta: float = 0.995
    mbstd_group: int = 4  # discriminator

    def __post_init__(self) -> None:
        def integer(name: str, least: int) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < least:
                raise ValueError(f"StyleGANConfig.{name} must be an integer of at least {least}, got {v!r}")

        for name in ("z_dim", "w_dim", "mapping_layers", "image_channels", "mbstd_group"):
            integer(name, 1)
        if isinstance(self.mapping_lr, bool) or not (
            isinstance(self.mapping_lr, (int, float)) and math.isfinite(self.mapping_lr) and self.mapping_lr > 0
        ):
            raise ValueError(f"StyleGANConfig.mapping_lr must be a positive number, got {self.mapping_lr!r}")
        if not isinstance(self.w_avg_beta, (int, float)) or not 0 <= self.w_avg_beta <= 1:
            raise ValueError(f"StyleGANConfig.w_avg_beta must lie in [0, 1], got {self.w_avg_beta!r}")
        for name in ("channels", "d_channels"):
            c = getattr(self, name)
            if name == "d_channels" and c is None:
                continue
            if (
                not isinstance(c, (tuple, list))
                or not c
                or any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in c)
            ):
                raise ValueError(
                    f"StyleGANConfig.{name} must be positive integers, one per resolution from 4 px, got {c!r}"
                )
        if self.d_channels is not None and len(self.d_channels) != len(self.channels):
            raise ValueError(
                f"StyleGANConfig.d_channels must have one entry per resolution, as channels {tuple(self.channels)!r} "
                f"has, got {tuple(self.d_channels)!r}"
            )

    @property
    def resolution(self) -> int:
        return 4 * 2 ** (len(self.channels) - 1)

    @property
    def num_ws(self) -> int:
        """How many w's the synthesis network reads: one per convolution, plus the last toRGB."""
        return 2 * len(self.channels)


def lrelu(x: torch.Tensor) -> torch.Tensor:
    """Leaky ReLU (slope 0.2) with the gain sqrt(2) that keeps activations' scale."""
    return F.leaky_relu(x, 0.2) * SQRT2


class EqualLinear(nn.Module):
    """A linear layer with equalized learning rate (and an optional learning-rate multiplier)."""

    def __init__(self, in_features: int, out_features: int, *, bias_init: float = 0.0, lr: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr))
        self.weight_gain = lr / math.sqrt(in_features)
        self.bias_gain = lr

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)


class EqualConv2d(nn.Module):
    """A convolution with equalized learning rate ('same' padding)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel * kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.weight_gain, self.bias, padding=self.weight.shape[-1] // 2)


class MappingNetwork(nn.Module):
    """z -> w: normalize z, then ``layers`` fully connected layers; keeps the running mean ``w_avg``."""

    def __init__(self, config: StyleGANConfig):
        super().__init__()
        dims = [config.z_dim] + [config.w_dim] * config.mapping_layers
        self.layers = nn.ModuleList(EqualLinear(a, b, lr=config.mapping_lr) for a, b in zip(dims, dims[1:]))
        self.register_buffer("w_avg", torch.zeros(config.w_dim))
        self.w_avg_beta = config.w_avg_beta

    def forward(self, z: torch.Tensor, *, psi: float = 1.0, update_w_avg: bool = False) -> torch.Tensor:
        x = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        for layer in self.layers:
            x = lrelu(layer(x))
        if update_w_avg:
            with torch.no_grad():
                self.w_avg.copy_(x.detach().mean(0).lerp(self.w_avg, self.w_avg_beta))
        if psi != 1.0:
            x = self.w_avg.lerp(x, psi)  # w_avg + psi (w - w_avg)
        return x


def blur(x: torch.Tensor) -> torch.Tensor:
    """The [1, 3, 3, 1] low-pass filter (separable, gain 4, padding 1 each side) after a stride-2
    transposed 3x3 convolution: (N, C, 2H + 1, 2W + 1) -> (N, C, 2H, 2W)."""
    f = torch.tensor([1.0, 3.0, 3.0, 1.0], dtype=x.dtype, device=x.device)
    k = (f[:, None] * f[None, :]) / 16  # sums to 4: each output pixel gets a quarter of the inputs' taps
    c = x.shape[1]
    return F.conv2d(F.pad(x, (1, 1, 1, 1)), k.expand(c, 1, 4, 4), groups=c)


def demodulation(weight: torch.Tensor, styles: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``1 / sqrt(sum_{i,k} (s_i w_{oik})^2 + eps)`` for each example and output channel: (N, out)."""
    return torch.rsqrt((weight.pow(2).sum(dim=(2, 3))[None] * styles.pow(2)[:, None, :]).sum(2) + eps)


class ModulatedConv2d(nn.Module):
    """A 3x3 (or 1x1) convolution whose input channels are scaled by a style from w, then demodulated."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel: int = 3, *, demodulate: bool = True):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)  # the "A" of the papers
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel * kernel)
        self.demodulate = demodulate

    def forward(self, x: torch.Tensor, w: torch.Tensor, *, up: bool = False) -> torch.Tensor:
        """With ``up``, the output has twice the resolution: a transposed convolution of stride 2,
        then the [1, 3, 3, 1] blur (as in the official code), a quarter of the cost of upsampling
        first and convolving at the new resolution."""
        styles = self.affine(w)
        weight = self.weight * self.weight_gain
        x = x * styles[:, :, None, None]
        if up:
            x = blur(F.conv_transpose2d(x, weight.transpose(0, 1), stride=2))
        else:
            x = F.conv2d(x, weight, padding=weight.shape[-1] // 2)
        if self.demodulate:
            x = x * demodulation(weight, styles)[:, :, None, None]
        return x


class SynthesisLayer(nn.Module):
    """Modulated 3x3 convolution, noise with a learned strength, bias, leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, *, up: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, w_dim)
        self.up = up
        self.resolution = resolution
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "random") -> torch.Tensor:
        """``noise_mode``: ``"random"`` (fresh noise images, as in training), ``"const"`` (the layer's
        fixed noise image) or ``"none"``; each scaled by the learned strength."""
        x = self.conv(x, w, up=self.up)
        if noise_mode == "random":
            n = torch.randn(x.shape[0], 1, self.resolution, self.resolution, device=x.device, dtype=x.dtype)
            x = x + n * self.noise_strength
        elif noise_mode == "const":
            x = x + self.noise_const * self.noise_strength
        elif noise_mode != "none":
            raise ValueError(f"noise_mode must be 'random', 'const' or 'none', got {noise_mode!r}")
        return lrelu(x + self.bias[None, :, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 convolution to RGB, without demodulation (as in StyleGAN2)."""

    def __init__(self, in_channels: int, image_channels: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, image_channels, w_dim, kernel=1, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(image_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias[None, :, None, None]


class SynthesisNetwork(nn.Module):
    """ws (N, num_ws, w_dim) -> images (N, C, R, R), from the learned constant 4x4 input."""

    def __init__(self, config: StyleGANConfig):
        super().__init__()
        c = config.channels
        self.const = nn.Parameter(torch.randn(c[0], 4, 4))
        self.layers = nn.ModuleList([SynthesisLayer(c[0], c[0], config.w_dim, 4)])
        self.torgb = nn.ModuleList([ToRGB(c[0], config.image_channels, config.w_dim)])
        for i in range(1, len(c)):
            r = 4 * 2**i
            self.layers.append(SynthesisLayer(c[i - 1], c[i], config.w_dim, r, up=True))
            self.layers.append(SynthesisLayer(c[i], c[i], config.w_dim, r))
            self.torgb.append(ToRGB(c[i], config.image_channels, config.w_dim))
        self.num_ws = config.num_ws

    def layer_names(self) -> list[str]:
        """What each of the ``num_ws`` w's drives, e.g. ``'8x8 conv0'``, ``'32x32 toRGB'``."""
        names = []
        for layer in self.layers:
            r = layer.resolution
            names.append(f"{r}x{r} conv" if r == 4 else f"{r}x{r} conv{0 if layer.up else 1}")
        return names + [f"{self.layers[-1].resolution}x{self.layers[-1].resolution} toRGB"]

    def forward(
        self, ws: torch.Tensor, noise_mode: str = "random", *, return_partials: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """The image; with ``return_partials``, ``(image, partials)``: the image after each resolution's
        toRGB is added (4x4, 8x8, ...; the last is the image), the "skip" generator's partial sums."""
        if ws.ndim != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"ws must have shape (N, {self.num_ws}, w_dim), got {tuple(ws.shape)}")
        x = self.const[None].expand(ws.shape[0], -1, -1, -1)
        x = self.layers[0](x, ws[:, 0], noise_mode)
        img = self.torgb[0](x, ws[:, 1])  # a toRGB reads the w of the next convolution, as officially
        partials = [img]
        for block in range(1, len(self.torgb)):
            i = 2 * block - 1
            x = self.layers[i](x, ws[:, i], noise_mode)
            x = self.layers[i + 1](x, ws[:, i + 1], noise_mode)
            img = F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False)
            img = img + self.torgb[block](x, ws[:, i + 2])
            partials.append(img)
        return (img, partials) if return_partials else img


class StyleGenerator(nn.Module):
    """z (N, z_dim) -> images (N, C, R, R), ``R = config.resolution`` (4 · 2^(len(channels) − 1): 32 for
    four widths); ``mapping`` and ``synthesis`` may also be called apart.

    The images are unbounded (the toRGB outputs are summed, with no tanh); trained on images
    in [-1, 1], the generator learns to stay near that range, and clamps or ``(x + 1) / 2`` are
    the reader's.
    """

    def __init__(self, config: StyleGANConfig | None = None):
        super().__init__()
        self.config = config or StyleGANConfig()
        self.mapping = MappingNetwork(self.config)
        self.synthesis = SynthesisNetwork(self.config)

    @property
    def num_ws(self) -> int:
        return self.config.num_ws

    @property
    def latent_dim(self) -> int:
        """The size of z, as every generator from noise names it (``config.z_dim``)."""
        return self.config.z_dim

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """One w per example (N, w_dim) -> the same w for every layer (N, num_ws, w_dim)."""
        return w[:, None].expand(-1, self.num_ws, -1)

    def forward(self, z: torch.Tensor, *, psi: float = 1.0, noise_mode: str = "random") -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.config.z_dim:
            raise ValueError(f"z must have shape (N, {self.config.z_dim}), got {tuple(z.shape)}")
        return self.synthesis(self.broadcast(self.mapping(z, psi=psi)), noise_mode=noise_mode)

    def style_weights(self, layers: list[int] | None = None) -> list[torch.Tensor]:
        """The affine maps w -> style ``(in_channels, w_dim)`` of the chosen layers (all by default).

        Indexed like ws: entry ``i`` is the affine of the *convolution* that reads ``ws[:, i]``
        (``synthesis.layer_names()[i]``), and the last entry that of the last toRGB, which reads
        the last w. The intermediate toRGBs, which also read ``ws[:, 1]``, ``ws[:, 3]``, ...,
        are left out. What :func:`gencore.sefa.factorize` takes; each includes its equalized-lr gain.
        """
        affines = [layer.conv.affine for layer in self.synthesis.layers] + [self.synthesis.torgb[-1].conv.affine]
        chosen = range(len(affines)) if layers is None else layers
        return [(affines[i].weight * affines[i].weight_gain).detach() for i in chosen]

    def sample(self, n, *, seed: int | None = None, psi: float = 1.0, noise_mode: str = "const") -> torch.Tensor:
        """``n`` images (N, C, R, R), without gradients; z drawn from ``seed``.

        ``noise_mode="const"`` (the default, as in the official generate.py) uses each
        layer's fixed noise image, so the same seed gives the same images.
        """
        device = self.const_device()

        def draw(k, gen):
            z = torch.randn(k, self.config.z_dim, generator=gen).to(device)
            return self(z, psi=psi, noise_mode=noise_mode)

        r = self.config.resolution
        return sample_in_chunks(draw, check_count(n), (self.config.image_channels, r, r), seed=seed, device=device)

    def const_device(self) -> torch.device:
        return self.synthesis.const.device


class ResidualBlock(nn.Module):
    """Discriminator block: two 3x3 convolutions and 2x downsampling, plus a 1x1 skip, summed / sqrt(2)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3)
        self.conv1 = EqualConv2d(in_channels, out_channels, 3)
        self.skip = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.skip_gain = 1.0 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Both paths compute "convolve, then average-pool 2x2", computed in the cheaper order that
        # gives the same numbers (both are linear): the 1x1 skip after pooling, and the 3x3 conv
        # with pooling folded in, a 4x4 kernel of stride 2 evaluated only where the pool keeps it.
        y = F.conv2d(F.avg_pool2d(x, 2), self.skip * self.skip_gain)
        x = lrelu(self.conv0(x))
        x = lrelu(conv3x3_avg_pool(x, self.conv1.weight * self.conv1.weight_gain, self.conv1.bias))
        return (x + y) / SQRT2


def conv3x3_avg_pool(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``avg_pool2d(conv2d(x, weight, bias, padding=1), 2)`` at a quarter of the cost: the 3x3 kernel
    convolved with the 2x2 box is a 4x4 kernel, applied with stride 2 (same zero padding, same result)."""
    k = (
        F.pad(weight, (0, 1, 0, 1))
        + F.pad(weight, (1, 0, 0, 1))
        + F.pad(weight, (0, 1, 1, 0))
        + F.pad(weight, (1, 0, 1, 0))
    )
    return F.conv2d(x, k / 4, bias, stride=2, padding=1)


def minibatch_std(x: torch.Tensor, group: int) -> torch.Tensor:
    """Append one feature map: the std over groups of ``group`` examples, averaged over channels and pixels."""
    n, c, h, w = x.shape
    g = min(group, n)
    if n % g:
        raise ValueError(f"minibatch std needs a batch size divisible by {g}, got {n}")
    y = x.reshape(g, -1, c, h, w)
    y = (y - y.mean(0)).pow(2).mean(0).add(1e-8).sqrt().mean(dim=(1, 2, 3))  # (n / g,)
    y = y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
    return torch.cat([x, y], 1)


class StyleDiscriminator(nn.Module):
    """Images (N, C, R, R), ``R = config.resolution``, in about [-1, 1] -> unbounded logits (N,):
    fromRGB, residual blocks down to 4x4, minibatch std, a 3x3 conv, two fully connected layers."""

    def __init__(self, config: StyleGANConfig | None = None):
        super().__init__()
        self.config = config = config or StyleGANConfig()
        c = list(reversed(config.d_channels or config.channels))  # 32 -> 4
        self.from_rgb = EqualConv2d(config.image_channels, c[0], 1)
        self.blocks = nn.ModuleList(ResidualBlock(a, b) for a, b in zip(c, c[1:]))
        self.conv = EqualConv2d(c[-1] + 1, c[-1], 3)
        self.fc = EqualLinear(c[-1] * 16, c[-1])
        self.out = EqualLinear(c[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.config.resolution
        if x.ndim != 4 or x.shape[1:] != (self.config.image_channels, r, r):
            raise ValueError(
                f"images must have shape (N, {self.config.image_channels}, {r}, {r}), got {tuple(x.shape)}"
            )
        if len(x) == 0:
            raise ValueError("the discriminator needs at least one image (minibatch std reads the batch)")
        x = lrelu(self.from_rgb(x))
        for block in self.blocks:
            x = block(x)
        x = lrelu(self.conv(minibatch_std(x, self.config.mbstd_group)))
        return self.out(lrelu(self.fc(x.flatten(1)))).squeeze(1)
